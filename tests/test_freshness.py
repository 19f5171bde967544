"""How old an amount is: its date (rate, else document), in French, and the one-sentence note."""

from __future__ import annotations

from datetime import date

from assistant import freshness
from assistant.calculator.rates import load_rates
from assistant.freshness import Dated, amount_date, french_date, months_before, review, stale_note
from ingest.sources import SourceEntry, read_entries
from tests.ingest_support import CORPUS

DOCS = {
    "a": SourceEntry(id="a", file="a.md", title="Brochure A", updated="2024-07-01"),
    "b": SourceEntry(id="b", file="b.md", title="Brochure B"),
}
TODAY = date(2026, 12, 2)


def test_dates_in_belgian_french() -> None:
    assert french_date(date(2023, 9, 1)) == "1er septembre 2023"
    assert french_date(date(2024, 5, 15)) == "15 mai 2024"
    assert freshness.french_month(date(2023, 9, 1)) == "septembre 2023"


def test_months_before_keeps_the_day_or_the_month_end() -> None:
    assert months_before(date(2026, 12, 2), 12) == date(2025, 12, 2)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


def test_an_amount_dates_from_its_rate_else_its_document() -> None:
    assert amount_date("2023-09-01", ["a"], DOCS) == Dated(date(2023, 9, 1), "rate")
    assert amount_date(None, ["a"], DOCS) == Dated(date(2024, 7, 1), "document")
    assert amount_date(None, ["b"], DOCS) == Dated(None, "none")
    assert Dated(None, "none").stale(TODAY, 12)  # undated: to check
    assert not Dated(date(2026, 6, 1), "rate").stale(TODAY, 12)
    assert Dated(date(2025, 12, 1), "rate").stale(TODAY, 12)


def test_the_note_names_the_month_and_who_to_ask() -> None:
    old = Dated(date(2023, 9, 1), "rate")
    assert stale_note([old], TODAY, 12, "l'IFAPME") == (
        "Montant de septembre 2023 ; il a pu être indexé depuis : vérifiez auprès de l'IFAPME."
    )
    two = stale_note([old, Dated(date(2024, 5, 1), "rate")], TODAY, 12, "Actiris")
    assert two.startswith("Montants de septembre 2023 et mai 2024 ; ils ont pu être indexés")
    assert "pas daté" in stale_note([Dated(None, "none")], TODAY, 12, "l'ONEM")
    assert stale_note([Dated(date(2026, 9, 1), "rate")], TODAY, 12, "x") == ""


def test_review_lists_the_stale_rates_and_documents_first() -> None:
    rows = review(load_rates().rates, read_entries(CORPUS), TODAY, 12)
    assert {r.kind for r in rows} == {"rate", "document"}
    assert all(r.stale for r in rows)  # on 2 December 2026, every amount of the corpus is over 12 months old
    fresh = review(load_rates().rates, read_entries(CORPUS), date(2024, 8, 1), 12)
    states = [r.stale for r in fresh]
    assert states == sorted(states, reverse=True) and not all(states)
    cip = next(r for r in fresh if r.id == "cip_indemnity_18")
    assert (cip.dated, cip.stale, cip.title) == ("1er mai 2024", False, "La convention d'immersion professionnelle")
