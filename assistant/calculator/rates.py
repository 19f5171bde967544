"""The rates table (rates.yaml): every figure the calculator uses, with its verbatim source quote.

Advisors update a rate by editing rates.yaml only; `check_rates` (run by the tests and by
`python -m assistant.calculator.rates --check`) proves each quote is in its document and holds
the figure, so a typo or an unsourced figure cannot reach a user.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.calculator.vocabulary import numbers_in

RATES_FILE = Path(__file__).with_name("rates.yaml")
_WHITESPACE = re.compile(r"\s+")


class Conditions(BaseModel):
    """What a figure applies to; absent keys mean 'any'."""

    model_config = ConfigDict(extra="forbid")
    age: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    year: int | None = Field(default=None, ge=1, le=3)
    qualified: bool | None = None
    region: str | None = None
    hours_per_week: int | None = None
    days_per_week: int | None = None
    household: Literal["two_parents", "single_parent"] | None = None


class Rate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    value: Decimal
    unit: str
    scheme: str
    conditions: Conditions = Field(default_factory=Conditions)
    date_label: str | None = None
    valid_from: date | None = None
    # Rates that are successive values of one amount (an indexation history) share a series name.
    series: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
    doc_id: str
    figure: str = Field(min_length=1)
    quote: str = Field(min_length=10)

    @field_validator("value", mode="before")
    @classmethod
    def _value_is_text(cls, value: object) -> object:
        # A YAML float (848.9) would lose the written precision: values are strings.
        if isinstance(value, float):
            raise ValueError("write the value as a string, e.g. \"848.90\"")
        return value

    @model_validator(mode="after")
    def _figure_in_quote(self) -> Rate:
        if fold_spaces(self.figure) not in fold_spaces(self.quote):
            raise ValueError(f"{self.id}: figure {self.figure!r} is not in its quote")
        if self.value not in numbers_in(self.figure):
            raise ValueError(f"{self.id}: value {self.value} is not the number written in {self.figure!r}")
        return self

    @property
    def iso_date(self) -> str | None:
        return self.valid_from.isoformat() if self.valid_from else None


class RateTable(BaseModel):
    rates: list[Rate]

    @model_validator(mode="after")
    def _unique_ids(self) -> RateTable:
        ids = [r.id for r in self.rates]
        duplicates = {i for i in ids if ids.count(i) > 1}
        if duplicates:
            raise ValueError(f"duplicate rate ids: {sorted(duplicates)}")
        for name in {r.series for r in self.rates if r.series}:
            members = [r for r in self.rates if r.series == name]
            if any(r.valid_from is None for r in members):
                raise ValueError(f"series {name!r}: every rate needs a valid_from")
            if len({r.valid_from for r in members}) < len(members):
                raise ValueError(f"series {name!r}: two rates with the same valid_from")
            if len({(r.unit, r.scheme) for r in members}) > 1:
                raise ValueError(f"series {name!r}: the rates differ in unit or scheme")
        return self

    def get(self, rate_id: str) -> Rate:
        for rate in self.rates:
            if rate.id == rate_id:
                return rate
        raise KeyError(f"unknown rate {rate_id!r} (see {RATES_FILE.name})")

    def value(self, rate_id: str) -> Decimal:
        return self.get(rate_id).value

    def series(self, name: str) -> list[Rate]:
        """The rates of a series (rates.yaml, `series`), oldest first."""
        members = sorted((r for r in self.rates if r.series == name), key=lambda r: r.valid_from or date.min)
        if not members:
            raise KeyError(f"unknown series {name!r} (see {RATES_FILE.name})")
        return members

    def at(self, name: str, when: date | None = None) -> Rate | None:
        """The rate of a series valid on `when`: the latest whose valid_from is on or before it.

        None when `when` is before the first rate (the source gives no amount then); without a
        date, the most recent rate.
        """
        members = self.series(name)
        if when is None:
            return members[-1]
        valid = [r for r in members if r.valid_from is not None and r.valid_from <= when]
        return valid[-1] if valid else None


def fold_spaces(text: str) -> str:
    """Runs of white space (PDF line breaks, double spaces) count as one space."""
    return _WHITESPACE.sub(" ", text).strip()


def load_rates(path: Path = RATES_FILE) -> RateTable:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return RateTable.model_validate(data)


@lru_cache
def get_rates() -> RateTable:
    return load_rates()


def rate_at(series: str, when: date | None = None) -> Rate | None:
    """The rate of `series` valid on `when` (the latest one without a date); see RateTable.at."""
    return get_rates().at(series, when)


def document_text(path: Path) -> str:
    """The document's text as the quotes were copied from it (pypdf for PDFs)."""
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    return path.read_text(encoding="utf-8")


def check_rates(corpus_dir: Path, table: RateTable | None = None) -> list[str]:
    """Problems found: unknown documents, quotes not found verbatim. Empty list = all good."""
    table = table or load_rates()
    sources = yaml.safe_load((corpus_dir / "sources.yaml").read_text(encoding="utf-8"))
    files = {d["id"]: corpus_dir / d["file"] for d in sources["documents"]}
    texts: dict[str, str] = {}
    problems = []
    for rate in table.rates:
        if rate.doc_id not in files:
            problems.append(f"{rate.id}: unknown doc_id {rate.doc_id!r}")
            continue
        if rate.doc_id not in texts:
            texts[rate.doc_id] = fold_spaces(document_text(files[rate.doc_id]))
        if fold_spaces(rate.quote) not in texts[rate.doc_id]:
            problems.append(f"{rate.id}: quote not found in {files[rate.doc_id].name}: {rate.quote!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate rates.yaml against the corpus.")
    parser.add_argument("--check", action="store_true", help="check every quote against its document")
    parser.add_argument("--corpus", type=Path, default=None, help="corpus folder (default: settings)")
    args = parser.parse_args(argv)
    table = load_rates()
    print(f"{len(table.rates)} rates loaded from {RATES_FILE}")
    if not args.check:
        return 0
    from assistant.config import get_settings

    problems = check_rates(args.corpus or get_settings().corpus_dir, table)
    for problem in problems:
        print(problem, file=sys.stderr)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
