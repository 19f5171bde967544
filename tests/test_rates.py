"""rates.yaml: every figure is quoted verbatim from its document and holds the value used."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from assistant.calculator import rates as rates_module
from assistant.calculator.cip import cip_indemnity
from assistant.calculator.ifapme import ifapme_allocation
from assistant.calculator.rates import (
    RATES_FILE,
    Conditions,
    Rate,
    RateTable,
    check_rates,
    document_text,
    fold_spaces,
    get_rates,
    load_rates,
    rate_at,
)
from assistant.calculator.vocabulary import numbers_in
from assistant.config import PROJECT_ROOT
from assistant.schemes import load_vocabulary

CORPUS = PROJECT_ROOT / "corpus"
TABLE = load_rates()


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    sources = yaml.safe_load((CORPUS / "sources.yaml").read_text(encoding="utf-8"))
    return {d["id"]: fold_spaces(document_text(CORPUS / d["file"])) for d in sources["documents"]}


@pytest.mark.parametrize("rate", TABLE.rates, ids=lambda r: r.id)
def test_quote_is_verbatim_in_its_document(rate: Rate, documents: dict[str, str]) -> None:
    assert rate.doc_id in documents
    assert fold_spaces(rate.quote) in documents[rate.doc_id]


@pytest.mark.parametrize("rate", TABLE.rates, ids=lambda r: r.id)
def test_quote_holds_the_figure_as_written(rate: Rate) -> None:
    assert fold_spaces(rate.figure) in fold_spaces(rate.quote)
    assert rate.value in numbers_in(rate.figure)


@pytest.mark.parametrize("rate", TABLE.rates, ids=lambda r: r.id)
def test_scheme_is_a_known_scheme(rate: Rate) -> None:
    assert rate.scheme in load_vocabulary().schemes


def test_check_rates_passes_on_the_corpus() -> None:
    assert check_rates(CORPUS) == []


@pytest.mark.parametrize(
    ("rate_id", "value", "written"),
    [
        ("cip_indemnity_18", "848.90", "848,90€"),
        ("cip_indemnity_21", "1035.20", "1.035,20 €"),
        ("master_lump_2011", "7218", "7.218 €"),
        ("master_lump_2016", "7813", "7.813 €"),
        ("master_lump_2019", "7969", "7969 €"),
        ("master_monthly", "796.9", "796,9 €"),
        ("master_daily", "79.69", "79,69 €"),
        ("master_monthly_tax_section", "796.3", "796,3 €"),
        ("ifapme_qualified_1", "908.33", "908,33€"),
        ("ifapme_qualified_2", "1073.49", "1073,49€"),
        ("ifapme_unqualified_1", "625.60", "625,60€"),
        ("ifapme_unqualified_2", "908.29", "908,29€"),
        ("ifapme_unqualified_3", "1073.49", "1073,49€"),
        ("ifapme_family_ceiling", "759.28", "759,28€"),
        ("sip_family_ceiling", "715.46", "715,46 €"),
        ("master_family_ceiling", "530.49", "530,49 €"),
        ("dependent_two_parents_net", "3490", "3.490€"),
        ("dependent_two_parents_gross", "7272.50", "7.272,50€"),
        ("dependent_single_parent_net", "5040", "5.040€"),
        ("dependent_single_parent_gross", "9210", "9.210€"),
        ("tax_exempt_net", "9270", "9270€"),
        ("tax_exempt_gross", "13242.86", "13.242,86€"),
        ("master_tax_threshold", "7420", "7.420 €"),
        ("cisp_example_16_year_1", "265.59", "265,59 euros"),
        ("cisp_example_18_year_3", "451.12", "451,12 euros"),
        ("ifapme_leave_5_days", "20", "20 ou 24 jours"),
        ("ifapme_leave_6_days", "24", "20 ou 24 jours"),
        ("sip_duration_days", "310", "310 jours"),
    ],
)
def test_brief_figures(rate_id: str, value: str, written: str) -> None:
    rate = TABLE.get(rate_id)
    assert rate.value == Decimal(value)
    assert written in rate.quote


def test_dates_and_valid_from() -> None:
    assert TABLE.get("cip_indemnity_18").date_label == "index mai 2024"
    assert TABLE.get("cip_indemnity_18").iso_date == "2024-05-01"
    assert TABLE.get("ifapme_qualified_1").iso_date == "2023-09-01"
    assert TABLE.get("ifapme_family_ceiling").iso_date == "2022-12-01"
    assert TABLE.get("master_lump_2016").iso_date == "2016-06-01"
    assert TABLE.get("master_lump_2019").iso_date == "2019-01-01"
    assert TABLE.get("sip_family_ceiling").iso_date is None  # the article is not dated


def _one_rate(**changes: object) -> dict:
    base = TABLE.get("cip_indemnity_18").model_dump(mode="json")
    base.update(changes)
    return base


def test_check_rates_reports_a_quote_not_in_the_document() -> None:
    bad = RateTable.model_validate({"rates": [_one_rate(quote="L'indemnité est de 848,90€ pour tout le monde")]})
    problems = check_rates(CORPUS, bad)
    assert len(problems) == 1 and "quote not found" in problems[0]


def test_check_rates_reports_an_unknown_document() -> None:
    bad = RateTable.model_validate({"rates": [_one_rate(doc_id="nope")]})
    assert "unknown doc_id" in check_rates(CORPUS, bad)[0]


def test_a_figure_missing_from_its_quote_is_rejected() -> None:
    with pytest.raises(ValidationError, match="not in its quote"):
        Rate.model_validate(_one_rate(figure="849,90€"))


def test_a_value_that_differs_from_the_figure_is_rejected() -> None:
    with pytest.raises(ValidationError, match="not the number written"):
        Rate.model_validate(_one_rate(value="849.90"))


def test_values_must_be_strings_in_yaml() -> None:
    with pytest.raises(ValidationError, match="string"):
        Rate.model_validate(_one_rate(value=848.9))


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(ValidationError, match="duplicate"):
        RateTable.model_validate({"rates": [_one_rate(), _one_rate()]})


def test_unknown_rate_id_raises() -> None:
    with pytest.raises(KeyError):
        TABLE.get("no_such_rate")


def test_advisor_edit_flow(tmp_path: Path) -> None:
    """Editing the value without the quote fails; editing both to another document's text is caught."""
    data = yaml.safe_load((PROJECT_ROOT / "assistant/calculator/rates.yaml").read_text(encoding="utf-8"))
    for rate in data["rates"]:
        if rate["id"] == "cip_indemnity_21":
            rate["value"] = "1056.00"
            rate["figure"] = "1.056,00 €"
            rate["quote"] = "variera de 848,90€ (18 ans) à 1.056,00 € (21 ans et plus)"
    edited = tmp_path / "rates.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = check_rates(CORPUS, load_rates(edited))
    assert [p.split(":")[0] for p in problems] == ["cip_indemnity_21"]


# --- series (an indexation history) -----------------------------------------------------------


def test_master_lump_series_is_the_brochures_history() -> None:
    assert [r.id for r in TABLE.series("master_lump")] == ["master_lump_2011", "master_lump_2016", "master_lump_2019"]
    assert TABLE.get("master_lump_2011").date_label == "montant de base 2011"  # "fixée en 2011", no day


@pytest.mark.parametrize(
    ("when", "rate_id"),
    [
        (date(2011, 1, 1), "master_lump_2011"),
        (date(2011, 12, 31), "master_lump_2011"),
        (date(2016, 5, 31), "master_lump_2011"),
        (date(2016, 6, 1), "master_lump_2016"),  # valid from its own date on
        (date(2018, 12, 31), "master_lump_2016"),
        (date(2019, 1, 1), "master_lump_2019"),
        (date(2030, 1, 1), "master_lump_2019"),
        (None, "master_lump_2019"),  # no date asked: the most recent
    ],
)
def test_rate_at_gives_the_latest_rate_valid_on_the_date(when: date | None, rate_id: str) -> None:
    found = rate_at("master_lump", when)
    assert found is not None and found.id == rate_id
    assert TABLE.at("master_lump", when) == found


def test_rate_at_before_the_first_rate_gives_none() -> None:
    assert rate_at("master_lump", date(2005, 6, 1)) is None
    assert rate_at("master_lump", date(2010, 12, 31)) is None


def test_unknown_series_raises() -> None:
    with pytest.raises(KeyError):
        TABLE.series("no_such_series")


def test_only_the_master_lump_sum_has_a_dated_history() -> None:
    """Other figures have a single date in the corpus: no series is invented for them."""
    assert {r.series for r in TABLE.rates} == {None, "master_lump"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"valid_from": None}, "needs a valid_from"),
        ({"valid_from": "2024-05-01"}, "same valid_from"),
        ({"unit": "EUR/an"}, "unit or scheme"),
    ],
)
def test_a_series_needs_distinct_dates_and_one_unit(changes: dict, message: str) -> None:
    first = _one_rate(series="cip_18")
    second = _one_rate(id="cip_indemnity_18_bis", series="cip_18", **changes)
    if "valid_from" not in changes:
        second["valid_from"] = "2025-01-01"
    with pytest.raises(ValidationError, match=message):
        RateTable.model_validate({"rates": [first, second]})


# --- kinds: a rate chosen by its conditions (rates.select) ------------------------------------


@pytest.mark.parametrize(
    ("age", "rate_id"),
    [(18, "cip_indemnity_18"), (21, "cip_indemnity_21"), (30, "cip_indemnity_21"), (17, None), (19, None), (20, None)],
)
def test_select_takes_the_age_band_the_age_falls_in(age: int, rate_id: str | None) -> None:
    found = TABLE.select("cip_indemnity", age=age)
    assert (found.id if found else None) == rate_id


@pytest.mark.parametrize(("year", "qualified"), [(y, q) for y in (1, 2, 3) for q in (True, False)])
def test_select_takes_the_ifapme_row_of_the_year_and_qualification(year: int, qualified: bool) -> None:
    found = TABLE.select("ifapme_allocation", year=year, qualified=qualified)
    assert found is not None and found.id == f"ifapme_{'qualified' if qualified else 'unqualified'}_{year}"
    assert TABLE.select("ifapme_allocation", year=4, qualified=qualified) is None


def test_select_by_scheme_and_household() -> None:
    assert [TABLE.select("family_ceiling", scheme=s).id for s in ("ifapme", "sip", "cip-master")] == [
        "ifapme_family_ceiling", "sip_family_ceiling", "master_family_ceiling"]
    assert TABLE.select("dependent_net", household="single_parent").id == "dependent_single_parent_net"
    assert TABLE.select("tax_threshold_net", scheme="cip-master") is None  # the master annex gives no net figure
    assert TABLE.select("cisp_percent", year=2).value == Decimal("50")
    assert TABLE.select("paid_leave", days_per_week=6).value == Decimal("24")
    assert TABLE.select("cisp_example", age=18).id == "cisp_example_18_year_3"


def test_an_unknown_fact_rules_nothing_out_and_an_undecided_select_is_an_error() -> None:
    assert [r.id for r in TABLE.matching("ifapme_allocation", year=3)] == ["ifapme_qualified_3", "ifapme_unqualified_3"]
    assert len(TABLE.matching("cip_indemnity", age=None)) == 2
    with pytest.raises(LookupError, match="all match"):
        TABLE.select("cip_indemnity")


def test_conditions_match_ages_within_their_bounds_and_exact_facts() -> None:
    band = Conditions(age_min=19, age_max=20, region="Bruxelles")
    assert band.matches(age=19) and band.matches(age=20, region="Bruxelles")
    assert not band.matches(age=18) and not band.matches(age=21) and not band.matches(region="Wallonie")
    assert band.matches()  # nothing known: nothing ruled out
    assert Conditions(qualified=False).matches(qualified=False) and not Conditions(qualified=False).matches(qualified=True)


def test_unknown_kind_raises() -> None:
    with pytest.raises(KeyError, match="unknown kind"):
        TABLE.current("no_such_kind")


def _with_rows(tmp_path: Path, *rows: dict) -> Path:
    """A copy of rates.yaml with extra rows."""
    data = yaml.safe_load(RATES_FILE.read_text(encoding="utf-8"))
    data["rates"].extend(rows)
    copy = tmp_path / "rates.yaml"
    copy.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return copy


_BAND_19_20 = {
    "id": "cip_indemnity_19", "value": "950.00", "unit": "EUR/mois", "scheme": "cip", "kind": "cip_indemnity",
    "conditions": {"age_min": 19, "age_max": 20, "region": "Bruxelles"}, "date_label": "index mai 2024",
    "valid_from": "2024-05-01", "doc_id": "cip-bruxelles", "figure": "950,00 €",
    "quote": "Une tranche de test : 950,00 € de 19 à 20 ans.",
}


@pytest.fixture
def rates_file(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Point the calculator at another rates.yaml (get_rates reads RATES_FILE at its first call)."""

    def use(path: Path) -> None:
        monkeypatch.setattr(rates_module, "RATES_FILE", path)
        get_rates.cache_clear()

    yield use
    get_rates.cache_clear()


def test_a_new_age_band_is_a_data_change(tmp_path: Path, rates_file: Callable[[Path], None]) -> None:
    """A row with new conditions in a copy of rates.yaml changes the selection and the answer; no code."""
    path = _with_rows(tmp_path, _BAND_19_20)
    assert load_rates(path).select("cip_indemnity", age=19).id == "cip_indemnity_19"
    assert TABLE.select("cip_indemnity", age=19) is None  # the real table is unchanged
    rates_file(path)
    c = cip_indemnity(19)
    assert c.result == Decimal("950.00")
    assert c.statement == "À 19 ans, l'indemnité de CIP est de 950 € par mois (index mai 2024)."
    assert "950 € de 19 à 20 ans" in cip_indemnity(None).statement
    assert cip_indemnity(18).result == Decimal("848.90")


def test_a_new_year_of_a_table_is_a_data_change(tmp_path: Path, rates_file: Callable[[Path], None]) -> None:
    """A 4th year added to the IFAPME table gets its figure; the year after it, none."""
    fourth = [
        {**TABLE.get(f"ifapme_{q}_3").model_dump(mode="json"), "id": f"ifapme_{q}_4", "value": "1100.00",
         "figure": "1100,00€ (4ème année)", "quote": "Barème de test : 1100,00€ (4ème année)",
         "conditions": {"year": 4, "qualified": q == "qualified", "region": "Wallonie"}}
        for q in ("qualified", "unqualified")
    ]
    rates_file(_with_rows(tmp_path, *fourth))
    assert ifapme_allocation(4, False).result == Decimal("1100.00")
    assert ifapme_allocation(4, None).result == Decimal("1100.00")  # same amount qualified or not: no need to ask
    assert ifapme_allocation(5, True).result is None
    assert "s'arrête à la 4e année" in ifapme_allocation(5, True).statement


def test_a_new_indexation_of_a_row_is_a_data_change(tmp_path: Path, rates_file: Callable[[Path], None]) -> None:
    """A second rate with the same conditions and a later valid_from replaces the row from that date."""
    newer = {**TABLE.get("cip_indemnity_18").model_dump(mode="json"), "id": "cip_indemnity_18_2025",
             "value": "870.00", "figure": "870,00 €", "quote": "Indexation de test : 870,00 € à 18 ans.",
             "valid_from": "2025-01-01", "date_label": "index janvier 2025"}
    table = load_rates(_with_rows(tmp_path, newer))
    assert table.select("cip_indemnity", age=18).id == "cip_indemnity_18_2025"
    assert table.select("cip_indemnity", age=18, when=date(2024, 6, 1)).id == "cip_indemnity_18"
    assert [r.id for r in table.current("cip_indemnity")] == ["cip_indemnity_18_2025", "cip_indemnity_21"]
    rates_file(tmp_path / "rates.yaml")
    assert cip_indemnity(18).statement == "À 18 ans, l'indemnité de CIP est de 870 € par mois (index janvier 2025)."


def test_two_rows_of_a_kind_with_the_same_conditions_need_distinct_dates() -> None:
    twin = _one_rate(id="cip_indemnity_18_bis", kind="cip_indemnity")
    with pytest.raises(ValidationError, match="distinct valid_from"):
        RateTable.model_validate({"rates": [_one_rate(kind="cip_indemnity"), twin]})
