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
from typing import Literal, TypedDict, Unpack

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.calculator.vocabulary import numbers_in

RATES_FILE = Path(__file__).with_name("rates.yaml")
_WHITESPACE = re.compile(r"\s+")


Household = Literal["two_parents", "single_parent"]


class Facts(TypedDict, total=False):
    """What is known of the user's situation, matched against a rate's conditions (None: unknown)."""

    age: int | None
    year: int | None
    qualified: bool | None
    region: str | None
    hours_per_week: Decimal | int | None
    days_per_week: int | None
    household: Household | None


class Conditions(BaseModel):
    """What a figure applies to; absent keys mean 'any'."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    age: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    # Up to the 6th year, the last whose ordinal the answers write (common.MAX_YEAR).
    year: int | None = Field(default=None, ge=1, le=6)
    qualified: bool | None = None
    region: str | None = None
    hours_per_week: int | None = None
    days_per_week: int | None = None
    household: Household | None = None

    def matches(self, **facts: Unpack[Facts]) -> bool:
        """Every condition set here holds for the facts; an unknown fact (absent or None) rules nothing out,
        so a caller passes only what decides between the rates it looks at."""
        age = facts.get("age")
        if age is not None and not (
            (self.age is None or age == self.age)
            and (self.age_min is None or age >= self.age_min)
            and (self.age_max is None or age <= self.age_max)
        ):
            return False
        exact = self.model_dump(exclude_none=True, exclude={"age", "age_min", "age_max"})
        return all(facts.get(key) in (None, wanted) for key, wanted in exact.items())


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
    # Rates that one calculation chooses between by their conditions (a table: an age band, a year
    # of training, a household) share a kind; see RateTable.select.
    kind: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
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

    @model_validator(mode="after")
    def _rows_of_a_kind_are_dated(self) -> RateTable:
        """Two rates of a kind with the same scheme and conditions must be two dates of one row, or
        `select` could not tell which applies."""
        for rate in self.rates:
            twins = [r for r in self.rates if r.kind and _same_row(r, rate)]
            if len(twins) > 1 and len({r.valid_from for r in twins if r.valid_from}) < len(twins):
                raise ValueError(
                    f"kind {rate.kind!r}: rates {[r.id for r in twins]} have the same scheme and conditions; "
                    "successive values of one row need distinct valid_from dates"
                )
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

    def current(self, kind: str, scheme: str | None = None, when: date | None = None) -> list[Rate]:
        """The rows of a kind (rates.yaml, `kind`) in file order, each row (same scheme and conditions)
        by its value valid on `when` (without a date, the most recent); a row not yet valid is left out."""
        if not any(r.kind == kind for r in self.rates):
            raise KeyError(f"unknown kind {kind!r} (see {RATES_FILE.name})")
        members = [r for r in self.rates if r.kind == kind and scheme in (None, r.scheme)]
        rows: list[Rate] = []
        for rate in members:
            if any(_same_row(rate, r) for r in rows):
                continue
            versions = [r for r in members if _same_row(rate, r)]
            valid = [r for r in versions if when is None or r.valid_from is None or r.valid_from <= when]
            if valid:
                rows.append(max(valid, key=lambda r: r.valid_from or date.min))
        return rows

    def matching(
        self, kind: str, *, scheme: str | None = None, when: date | None = None, **facts: Unpack[Facts]
    ) -> list[Rate]:
        """The current rows of a kind whose conditions the facts meet (see Conditions.matches)."""
        return [r for r in self.current(kind, scheme, when) if r.conditions.matches(**facts)]

    def select(
        self, kind: str, *, scheme: str | None = None, when: date | None = None, **facts: Unpack[Facts]
    ) -> Rate | None:
        """The one rate of a kind that applies to the facts; None when the sources give none.

        Several matching rows mean the facts do not decide between them (a missing age): the caller
        must ask first, so that is an error rather than a pick.
        """
        found = self.matching(kind, scheme=scheme, when=when, **facts)
        if len(found) > 1:
            raise LookupError(f"kind {kind!r}: {[r.id for r in found]} all match {facts}")
        return found[0] if found else None


def fold_spaces(text: str) -> str:
    """Runs of white space (PDF line breaks, double spaces) count as one space."""
    return _WHITESPACE.sub(" ", text).strip()


def load_rates(path: Path = RATES_FILE) -> RateTable:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return RateTable.model_validate(data)


@lru_cache
def get_rates() -> RateTable:
    """The table every calculation reads; RATES_FILE is read at the first call (tests point it at a copy)."""
    return load_rates(RATES_FILE)


def rate_at(series: str, when: date | None = None) -> Rate | None:
    """The rate of `series` valid on `when` (the latest one without a date); see RateTable.at."""
    return get_rates().at(series, when)


def select(kind: str, *, scheme: str | None = None, when: date | None = None, **facts: Unpack[Facts]) -> Rate | None:
    """The rate of `kind` whose conditions the facts meet (see RateTable.select)."""
    return get_rates().select(kind, scheme=scheme, when=when, **facts)


def matching(kind: str, *, scheme: str | None = None, when: date | None = None, **facts: Unpack[Facts]) -> list[Rate]:
    """Every current rate of `kind` whose conditions the facts meet (see RateTable.matching)."""
    return get_rates().matching(kind, scheme=scheme, when=when, **facts)


def current(kind: str, scheme: str | None = None, when: date | None = None) -> list[Rate]:
    """The rows of `kind` valid on `when` (see RateTable.current)."""
    return get_rates().current(kind, scheme, when)


def _same_row(a: Rate, b: Rate) -> bool:
    """Two rates of one row of a table: same kind, scheme and conditions (they differ by date)."""
    return (a.kind, a.scheme, a.conditions) == (b.kind, b.scheme, b.conditions)


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
