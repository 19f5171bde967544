"""Rates an advisor can add from a document: each euro figure it states, with its sentence.

A rate of rates.yaml quotes its document verbatim (`rates.check_rates`). For a new brochure the
advisor view lists the figures the file states — read from the file as `--check` reads it, so the
sentence *is* a verbatim quote — says which rates already use each one, and gives the rates.yaml
entry to complete (unit, conditions, kind) and paste; `python -m assistant.calculator.rates --check`
then verifies it like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml

from assistant import sentences
from assistant.calculator.money import iter_amounts
from assistant.calculator.rates import RateTable, document_text, fold_spaces
from ingest.sources import SourceEntry

_LINE_MARKS = " \t-*•#|>"


@dataclass(frozen=True)
class Candidate:
    value: Decimal
    figure: str  # as written ("500€")
    quote: str  # the sentence that states it, verbatim
    rates: tuple[str, ...]  # ids of the rates of this document with this value
    entry: str  # a rates.yaml entry to complete

    def to_dict(self) -> dict[str, object]:
        return {"value": str(self.value), "figure": self.figure, "quote": self.quote,
                "rates": list(self.rates), "entry": self.entry}


def _entry(entry: SourceEntry, value: Decimal, figure: str, quote: str, n: int) -> str:
    rate = {
        "id": f"{re.sub(r'[^a-z0-9]+', '_', entry.id).strip('_')}_{n}",
        "value": str(value),
        "unit": "EUR",  # à préciser : EUR/mois, EUR/jour, EUR/an…
        "scheme": entry.scheme_ids[0],
        "conditions": {},
        "doc_id": entry.id,
        "figure": figure,
        "quote": quote,
        "date_label": None,
        "valid_from": entry.updated,
    }
    return yaml.safe_dump([rate], allow_unicode=True, sort_keys=False, width=1000)


def candidates(entry: SourceEntry, path: Path, table: RateTable) -> list[Candidate]:
    """Every euro figure of the file, in reading order, with its verbatim sentence."""
    text = document_text(path)
    out: list[Candidate] = []
    for line in text.splitlines():
        for sentence in sentences.split(line):
            quote = sentence.strip().strip(_LINE_MARKS).strip()
            for value, start, end in iter_amounts(quote):
                figure = quote[start:end].strip()
                known = tuple(r.id for r in table.rates
                              if r.doc_id == entry.id and r.value == value and fold_spaces(r.figure) in fold_spaces(quote))
                out.append(Candidate(value, figure, quote, known, _entry(entry, value, figure, quote, len(out) + 1)))
    return out
