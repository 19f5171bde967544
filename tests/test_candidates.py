"""The euro figures a document states, as the advisor view lists them: verbatim sentences that a
rate can quote, the rates that already use them, and an entry that validates once completed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml

from assistant.calculator.candidates import candidates
from assistant.calculator.rates import Rate, RateTable, check_rates, document_text, fold_spaces, load_rates
from ingest.sources import read_entries
from tests.ingest_support import CORPUS

NEW_DOCS = Path(__file__).resolve().parent.parent / "evals" / "new-docs"


def test_a_known_document_s_figures_name_their_rates() -> None:
    entry = next(e for e in read_entries(CORPUS) if e.id == "cip-bruxelles")
    found = candidates(entry, CORPUS / entry.file, load_rates())
    by_value = {c.value: c for c in found}
    assert "cip_indemnity_18" in by_value[Decimal("848.90")].rates
    text = fold_spaces(document_text(CORPUS / entry.file))
    assert all(fold_spaces(c.quote) in text for c in found)


def test_a_new_document_s_figure_becomes_a_rate_that_passes_the_check(tmp_path: Path) -> None:
    entry = next(e for e in read_entries(NEW_DOCS) if e.id == "stage-first")
    found = candidates(entry, NEW_DOCS / entry.file, RateTable(rates=[]))
    values = [c.value for c in found]
    assert Decimal("500") in values and Decimal("26.82") in values
    assert all(not c.rates for c in found)
    raw = yaml.safe_load(next(c for c in found if c.value == Decimal("500")).entry)[0]
    raw["unit"] = "EUR/mois"  # what the advisor completes
    rate = Rate.model_validate(raw)
    (tmp_path / "stage-first.md").write_bytes((NEW_DOCS / entry.file).read_bytes())
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"documents": [{"id": "stage-first", "file": "stage-first.md",
                                                                         "title": entry.title}]}), encoding="utf-8")
    assert check_rates(tmp_path, RateTable(rates=[rate])) == []
