"""The calculations against the brochures' own figures and worked examples."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.calculator import Calculation, find_amounts
from assistant.calculator.cip import cip_indemnity, cip_total
from assistant.calculator.cisp import cisp_implied_base, cisp_indemnity
from assistant.calculator.counts import duration, notice_period, paid_leave, scheme_needed, suspension_pay
from assistant.calculator.dates import AsOf
from assistant.calculator.ifapme import ifapme_allocation, ifapme_total, ifapme_yearly
from assistant.calculator.master import cip_master_indemnity, cip_master_total
from assistant.calculator.rates import get_rates
from assistant.calculator.sip import sip_allowance
from assistant.calculator.thresholds import dependent_check, family_allowance_check, tax_check

D = Decimal


def assert_consistent(c: Calculation) -> None:
    """Every euro figure written in the texts is in `figures`, and a money result too."""
    for text in [c.statement, c.formula, *c.notes]:
        for value in find_amounts(text):
            assert value in c.figures, (value, text)
    if c.result is not None and c.unit == "EUR":
        assert c.result in c.figures
    assert c.statement
    assert (c.ask is None) == (not c.missing)


# --- CIP (Bruxelles) ------------------------------------------------------------------------


def test_cip_18() -> None:
    c = cip_indemnity(18)
    assert c.result == D("848.90")
    assert "848,90 €" in c.statement and "index mai 2024" in c.statement
    assert c.source_ids == ["cip-bruxelles"] and c.valid_from == "2024-05-01"
    assert_consistent(c)


@pytest.mark.parametrize("age", [21, 22, 25, 30])
def test_cip_21_and_over(age: int) -> None:
    c = cip_indemnity(age)
    assert c.result == D("1035.20")
    assert "1.035,20 €" in c.statement


@pytest.mark.parametrize("age", [19, 20])
def test_cip_19_20_gives_the_range_without_interpolating(age: int) -> None:
    c = cip_indemnity(age)
    assert c.result is None
    assert "848,90 €" in c.statement and "1.035,20 €" in c.statement
    assert "Bruxelles Formation" in c.statement and "Actiris" in c.statement
    assert "secrétariat social" in c.statement
    assert set(c.figures) == {D("848.90"), D("1035.20")}  # no figure in between
    assert_consistent(c)


@pytest.mark.parametrize("age", [15, 16, 17])
def test_cip_under_18_has_no_figure(age: int) -> None:
    c = cip_indemnity(age)
    assert c.result is None and "en dessous de 18 ans" in c.statement
    assert_consistent(c)


def test_cip_without_age_asks_for_it() -> None:
    c = cip_indemnity(None)
    assert c.result is None and c.missing == ["age"] and c.ask == "Quel âge avez-vous ?"
    assert "848,90 €" in c.statement and "1.035,20 €" in c.statement


def test_cip_total() -> None:
    c = cip_total(21, 6)
    assert c.result == D("6211.20")
    assert c.formula == "6 mois × 1.035,20 € = 6.211,20 €"
    assert_consistent(c)


@pytest.mark.parametrize("months", [7, 12])
def test_cip_total_beyond_six_months_is_refused(months: int) -> None:
    c = cip_total(21, months)
    assert c.result is None and "1 à 6 mois" in c.statement


def test_cip_total_19_years_has_no_figure() -> None:
    assert cip_total(19, 3).result is None


# --- Master en alternance -------------------------------------------------------------------


def test_master_lump_sum_is_the_most_recent() -> None:
    c = cip_master_indemnity()
    assert c.result == D("7969")
    assert "7.969 €" in c.statement and "796,90 €" in c.statement and "79,69 €" in c.statement
    assert c.valid_from == "2019-01-01"
    assert_consistent(c)


def test_master_notes_quote_both_monthly_figures() -> None:
    notes = " ".join(cip_master_indemnity().notes)
    assert "« Sur une base mensuelle forfaitaire de 796,9 € »" in notes
    assert "796,3 €" in notes and "Fiscalité" in notes
    assert "7.218 €" in notes and "7.813 €" in notes


def _guard_passes(c: Calculation) -> None:
    """The guard's rule: every euro figure of the statement is the result or is in the formula or notes;
    and every euro figure written anywhere is a value of rates.yaml or the result (never typed in code)."""
    vouched = set(find_amounts(c.formula + " " + " ".join(c.notes)))
    if c.result is not None:
        vouched.add(c.result)
    for value in find_amounts(c.statement):
        assert value in vouched, (value, c.statement)
    sourced = {r.value for r in get_rates().rates} | ({c.result} if c.result is not None else set())
    for text in [c.statement, c.formula, *c.notes]:
        for value in find_amounts(text):
            assert value in sourced, (value, text)


@pytest.mark.parametrize(
    ("as_of", "result", "label"),
    [
        (AsOf(year=2011), D(7218), "montant de base 2011"),
        (AsOf(year=2016, month=6), D(7813), "indexé depuis le 01/06/2016"),
        (AsOf(year=2016, month=6, day=1), D(7813), "indexé depuis le 01/06/2016"),
        (AsOf(year=2016, month=6, before=True), D(7218), "montant de base 2011"),
        (AsOf(year=2018), D(7813), "indexé depuis le 01/06/2016"),
    ],
)
def test_master_lump_sum_at_a_past_date(as_of: AsOf, result: Decimal, label: str) -> None:
    c = cip_master_indemnity(as_of=as_of)
    assert c.result == result and c.date_label == label
    stated = find_amounts(c.statement)
    assert stated[0] == result  # the amount asked for comes first...
    assert stated[-1] == D(7969) and "le plus récent" in c.statement  # ...then the most recent one
    assert as_of.label() in c.statement.lower() and label in c.statement
    assert "796,90 €" in " ".join(c.notes) and "79,69 €" not in c.statement  # the bases are 2019's only
    _guard_passes(c)
    assert_consistent(c)


def test_master_2011_statement() -> None:
    c = cip_master_indemnity(as_of=AsOf(year=2011))
    assert c.statement.startswith("En 2011, l'indemnité forfaitaire du master en alternance était de 7.218 € par année")
    assert "7.813 € (indexé depuis le 01/06/2016)" in c.statement and "7.969 € (index au 01/01/2019)" in c.statement
    assert c.valid_from == "2011-01-01" and c.inputs == {"as_of": "2011-12-31"}


def test_master_year_with_an_indexation_inside_gives_the_earlier_amount_too() -> None:
    c = cip_master_indemnity(as_of=AsOf(year=2016))
    assert c.result == D(7813) and "avant cette date : 7.218 €" in c.statement
    _guard_passes(c)


@pytest.mark.parametrize("as_of", [AsOf(year=2005), AsOf(year=2011, before=True), AsOf(year=2010, month=12)])
def test_master_before_the_first_amount_gives_no_figure(as_of: AsOf) -> None:
    c = cip_master_indemnity(as_of=as_of)
    assert c.result is None and not c.missing
    assert "ne donne pas de montant" in c.statement and "de 2011" in c.statement
    _guard_passes(c)
    assert_consistent(c)


@pytest.mark.parametrize("as_of", [AsOf(year=2019), AsOf(year=2019, month=1, day=1), AsOf(year=2024)])
def test_master_at_or_after_the_latest_index_gives_the_latest(as_of: AsOf) -> None:
    c = cip_master_indemnity(as_of=as_of)
    assert c.result == D(7969) and "79,69 €" in c.statement
    assert ("ne donne pas de montant plus récent" in c.statement) == (as_of.year > 2019)
    _guard_passes(c)


def test_master_without_a_date_is_unchanged() -> None:
    c = cip_master_indemnity()
    assert c.result == D(7969) and c.inputs == {} and c.valid_from == "2019-01-01"
    assert c.statement.startswith("En master en alternance, l'indemnité forfaitaire est de 7.969 €")
    _guard_passes(c)


def test_master_total_before_the_bases_is_not_computed() -> None:
    c = cip_master_total(days=100, as_of=AsOf(year=2011))
    assert c.result is None and "ne donne la base journalière" in c.statement and "7.218 €" in c.statement
    _guard_passes(c)
    assert_consistent(c)
    later = cip_master_total(days=100, as_of=AsOf(year=2020))
    assert later.result == cip_master_total(days=100).result == D("7969.00")


def test_master_103_days() -> None:
    c = cip_master_total(days=103)
    assert c.result == D("8208.07")
    assert c.formula == "103 jours × 79,69 € = 8.208,07 €"
    assert_consistent(c)


def test_master_months() -> None:
    c = cip_master_total(months=10)
    assert c.result == D("7969.00")  # 10 × 796,90 € = the yearly lump sum
    assert c.formula == "10 mois × 796,90 € = 7.969 €"


def test_master_year_uses_the_internship_calendar() -> None:
    c = cip_master_total(year=2)
    assert c.result == D("106") * D("79.69")
    assert "environ 106 jours" in c.notes[0]


def test_master_total_without_count_asks() -> None:
    c = cip_master_total()
    assert c.result is None and c.missing == ["days"] and c.ask


# --- IFAPME --------------------------------------------------------------------------------

IFAPME = {
    (1, True): "908.33", (2, True): "1073.49", (3, True): "1073.49",
    (1, False): "625.60", (2, False): "908.29", (3, False): "1073.49",
}


@pytest.mark.parametrize(("year", "qualified"), list(IFAPME))
def test_ifapme_table(year: int, qualified: bool) -> None:
    c = ifapme_allocation(year, qualified)
    assert c.result == D(IFAPME[(year, qualified)])
    assert c.valid_from == "2023-09-01" and "septembre 2023" in c.statement
    assert c.source_ids == ["ifapme-convention-stage"]
    assert_consistent(c)


def test_ifapme_third_year_needs_no_qualification() -> None:
    c = ifapme_allocation(3, None)
    assert c.result == D("1073.49") and not c.missing


def test_ifapme_missing_qualification_gives_both() -> None:
    c = ifapme_allocation(2, None)
    assert c.result is None and c.missing == ["qualified"] and c.ask == "Êtes-vous qualifié ou non ?"
    assert "1.073,49 €" in c.statement and "908,29 €" in c.statement


def test_ifapme_missing_year_gives_the_table() -> None:
    c = ifapme_allocation(None, None)
    assert c.missing == ["year", "qualified"]
    assert c.ask == "En quelle année de formation êtes-vous (1re, 2e ou 3e) ?"
    for value in IFAPME.values():
        assert D(value) in c.figures
    assert_consistent(c)


@pytest.mark.parametrize(("year", "qualified"), list(IFAPME))
@pytest.mark.parametrize("months", [1, 6, 10, 12])
def test_ifapme_total_is_unit_times_count(year: int, qualified: bool, months: int) -> None:
    c = ifapme_total(year, qualified, months)
    assert c.result == D(IFAPME[(year, qualified)]) * months
    assert_consistent(c)


def test_ifapme_yearly() -> None:
    c = ifapme_yearly(2, True)
    assert c.name == "ifapme_yearly" and c.result == D("12881.88")
    assert c.formula == "12 mois × 1.073,49 € = 12.881,88 €"


# A year the brochures' tables do not cover (a repeated or extended year): no figure is invented.

RATE_VALUES = {r.value for r in get_rates().rates}


def assert_no_figure_beyond_the_sources(c: Calculation) -> None:
    """No result; each euro figure is a rates.yaml value and is vouched for by the formula or the
    notes (what the guard accepts when no result was computed)."""
    assert c.result is None and not c.missing and c.ask is None
    assert set(c.figures) <= RATE_VALUES, c.figures
    vouched = {a for text in [c.formula, *c.notes] for a in find_amounts(text)}
    assert set(find_amounts(c.statement)) <= vouched
    assert_consistent(c)


@pytest.mark.parametrize("qualified", [None, True, False])
@pytest.mark.parametrize("year", [4, 5, 6])
def test_ifapme_year_after_the_table_has_no_amount(year: int, qualified: bool | None) -> None:
    c = ifapme_allocation(year, qualified)
    assert c.name == "ifapme_allocation"
    assert "ne donne pas de montant" in c.statement
    assert f"Pour une {year}e année" in c.statement and "s'arrête à la 3e année" in c.statement
    assert "septembre 2023" in c.statement and c.valid_from == "2023-09-01"
    assert "0800 90 133" in c.statement and "référent IFAPME" in c.statement  # the brochure's contact
    assert c.figures == [D("1073.49")]  # the table's last row (3rd year), recalled as such
    assert "ifapme_extension_years" in c.rate_ids and c.source_ids == ["ifapme-convention-stage"]
    assert_no_figure_beyond_the_sources(c)


def test_ifapme_fourth_year_unqualified_is_the_users_case() -> None:
    c = ifapme_allocation(4, False)
    assert c.result is None and "ne donne pas de montant" in c.statement
    assert "1.073,49 €" in c.formula  # the statement's figure is carried by the formula (the guard's rule)
    for invented in ("908,33", "908,29", "625,60"):
        assert invented not in c.text()


@pytest.mark.parametrize("qualified", [None, False])
@pytest.mark.parametrize("months", [None, 6, 12])
def test_ifapme_total_and_yearly_after_the_table_have_no_amount(qualified: bool | None, months: int | None) -> None:
    total = ifapme_total(4, qualified, months)
    yearly = ifapme_yearly(4, qualified)
    assert (total.name, yearly.name) == ("ifapme_total", "ifapme_yearly")
    for c in (total, yearly):
        assert "ne donne pas de montant" in c.statement
        assert_no_figure_beyond_the_sources(c)  # in particular no 12 × 1.073,49 €


# --- CISP ----------------------------------------------------------------------------------


def test_cisp_example_16_years_first_year_24h() -> None:
    c = cisp_indemnity(16, 1, 24)
    assert c.result == D("265.59")
    assert_consistent(c)


def test_cisp_example_18_years_third_year_24h() -> None:
    c = cisp_indemnity(18, 3, 24)
    assert c.result == D("451.12")
    assert_consistent(c)


def test_cisp_implied_bases_reproduce_the_examples() -> None:
    base16, base18 = cisp_implied_base(16), cisp_implied_base(18)
    assert (base16 * D("0.40") * 24 / 38).quantize(D("0.01")) == D("265.59")
    assert (base18 * D("0.58") * 24 / 38).quantize(D("0.01")) == D("451.12")
    assert round(base16, 2) == D("1051.29") and round(base18, 2) == D("1231.51")


def test_cisp_derivation_is_shown() -> None:
    c = cisp_indemnity(16, 1, 30)
    assert "265,59 € ÷ (40 % × 24/38)" in c.notes[0] and "1.051,29 €" in c.notes[0]
    assert c.formula == "265,59 € × (40 % ÷ 40 %) × (30 h ÷ 24 h) = 331,99 €"
    assert c.result == D("331.99")  # 265,59 × 30/24 = 331,9875


def test_cisp_18_years_third_year_19h() -> None:
    c = cisp_indemnity(18, 3, 19)
    assert c.result == D("357.14")  # 451,12 × 19/24 = 357,136…
    assert_consistent(c)


def test_cisp_same_age_other_year_changes_only_the_percentage() -> None:
    c = cisp_indemnity(16, 2, 24)
    assert c.result == D("331.99")  # 265,59 × 50/40 = 331,9875
    assert "50 %" in c.formula


@pytest.mark.parametrize("age", [15, 17, 19, 20])
def test_cisp_ages_without_a_base_give_the_formula_only(age: int) -> None:
    c = cisp_indemnity(age, 2, 24)
    assert c.result is None
    assert f"RMMMG applicable à {age} ans × 50 % × 24/38" == c.formula
    assert "16 et 18 ans" in " ".join(c.notes)
    assert_consistent(c)


def test_cisp_more_than_full_time_is_refused() -> None:
    assert cisp_indemnity(16, 1, 45).result is None


def test_cisp_missing_slots() -> None:
    c = cisp_indemnity(16, None, None)
    assert c.missing == ["year", "hours_per_week"] and c.ask.startswith("En quelle année")
    assert "265,59 €" in c.statement and "451,12 €" in c.statement


@pytest.mark.parametrize("hours", [None, 24])
@pytest.mark.parametrize("age", [None, 16, 17, 18])
@pytest.mark.parametrize("year", [4, 5])
def test_cisp_year_after_the_page_has_no_percentage(year: int, age: int | None, hours: int | None) -> None:
    c = cisp_indemnity(age, year, hours)
    assert "ne donne pas de montant" in c.statement and "CEFA" in c.statement
    assert "40 %, 50 % ou 58 %" in c.statement and "1re, 2e ou 3e année" in c.statement
    percents = {D(m) for text in [c.statement, c.formula, *c.notes] for m in re.findall(r"(\d+) %", text)}
    assert percents == {D(40), D(50), D(58)}  # the page's three, no fourth one
    assert c.figures == []  # no euro figure at all (the worked examples are 1st and 3rd year)
    assert_no_figure_beyond_the_sources(c)


@given(st.sampled_from([16, 18]), st.integers(1, 3), st.integers(1, 37))
def test_cisp_more_hours_more_money(age: int, year: int, hours: int) -> None:
    assert cisp_indemnity(age, year, hours + 1).result >= cisp_indemnity(age, year, hours).result


@given(st.sampled_from([16, 18]), st.integers(1, 38))
def test_cisp_later_year_more_money(age: int, hours: int) -> None:
    amounts = [cisp_indemnity(age, y, hours).result for y in (1, 2, 3)]
    assert amounts == sorted(amounts)


# --- Totals: monotonicity and exactness ------------------------------------------------------


@given(st.integers(1, 399))
def test_master_more_days_more_money(days: int) -> None:
    fewer, more = cip_master_total(days=days), cip_master_total(days=days + 1)
    assert more.result > fewer.result
    assert fewer.result == D(days) * D("79.69")


@given(st.integers(1, 5))
def test_cip_more_months_more_money(months: int) -> None:
    assert cip_total(21, months + 1).result > cip_total(21, months).result


# --- Thresholds ----------------------------------------------------------------------------


def test_family_allowance_ifapme_above() -> None:
    c = family_allowance_check(D(800), "month", "ifapme")
    assert c.verdict == "above" and c.result == D("40.72")
    assert "759,28 €" in c.statement and "01/12/2022" in c.statement and "IFAPME" in c.statement
    assert c.valid_from == "2022-12-01"
    assert_consistent(c)


def test_family_allowance_sip_below() -> None:
    c = family_allowance_check(D(700), "month", "sip")
    assert c.verdict == "below" and c.result == D("15.46")
    assert "715,46 €" in c.statement and "Wallonie" in c.statement


def test_family_allowance_master_and_yearly_amount() -> None:
    c = family_allowance_check(D(6000), "year", "cip-master")
    assert c.verdict == "below" and c.result == D("30.49")  # 6.000 / 12 = 500 < 530,49
    assert "01/06/2016" in c.statement
    assert any("6.000 € / 12 = 500 €" in n for n in c.notes)


def test_family_allowance_equal_is_not_above() -> None:
    c = family_allowance_check(D("759.28"), "month", "ifapme")
    assert c.verdict == "equal" and c.result == 0


def test_family_allowance_outside_wallonia_has_no_figure() -> None:
    c = family_allowance_check(D(700), "month", "sip", region="Bruxelles")
    assert c.result is None and "Wallonie" in c.statement


def test_family_allowance_cip_is_an_hours_rule() -> None:
    c = family_allowance_check(D(900), "month", "cip")
    assert c.result == 240 and c.unit == "heures/trimestre" and c.verdict is None


def test_family_allowance_cisp_has_no_ceiling_in_the_sources() -> None:
    c = family_allowance_check(D(400), "month", "cisp")
    assert c.result is None and not c.figures


@pytest.mark.parametrize(
    ("household", "amount", "period", "verdict", "gap"),
    [
        ("two_parents", "600", "month", "below", "72.50"),  # 7.200 vs 7.272,50
        ("two_parents", "700", "month", "above", "1127.50"),  # 8.400
        ("single_parent", "700", "month", "below", "810"),  # 8.400 vs 9.210
        ("single_parent", "9500", "year", "above", "290"),
    ],
)
def test_dependent_check(household: str, amount: str, period: str, verdict: str, gap: str) -> None:
    c = dependent_check(D(amount), period, household)  # type: ignore[arg-type]
    assert c.verdict == verdict and c.result == D(gap)
    assert "revenus 2022" in c.statement
    assert_consistent(c)


def test_dependent_check_needs_a_period() -> None:
    c = dependent_check(D(800), None, "two_parents")
    assert c.missing == ["amount_period"] and c.ask == "Ce montant est-il par mois ou par an ?"


def test_tax_check_ifapme_and_master() -> None:
    ifapme = tax_check(D("1073.49"), "month", "ifapme")
    assert ifapme.verdict == "below" and ifapme.result == D("360.98")  # 13.242,86 - 12.881,88
    assert "9.270 €" in ifapme.statement and "13.242,86 €" in ifapme.statement
    master = tax_check(D(7969), "year", "cip-master")
    assert master.verdict == "above" and master.result == D(549)
    assert "7.420 €" in master.statement and "2017" in master.statement


# --- Counts --------------------------------------------------------------------------------


def test_paid_leave() -> None:
    assert paid_leave(5).result == 20
    assert paid_leave(6).result == 24
    c = paid_leave(None)
    assert c.result is None and c.missing == ["days_per_week"] and "20 jours" in c.statement and "24 jours" in c.statement


def test_paid_leave_other_scheme_is_not_in_sources() -> None:
    c = paid_leave(5, "cip")
    assert c.result is None and "IFAPME" in c.statement


@pytest.mark.parametrize(
    ("scheme", "result", "unit", "text"),
    [
        ("cip", 6, "mois", "1 à 6 mois"),
        ("sip", 310, "jours", "environ 12 mois"),
        ("cisp", 12, "mois", "renouveler"),
        ("ifapme", None, "an", "prolongée d'un an au plus"),
    ],
)
def test_durations(scheme: str, result: int | None, unit: str, text: str) -> None:
    c = duration(scheme)
    assert c.result == result and c.unit == unit and text in c.statement


def test_notice_and_suspension() -> None:
    notice = notice_period()
    assert notice.result == 7 and "3 premiers mois" in notice.statement
    suspension = suspension_pay()
    assert suspension.result == 7 and "7 jours" in suspension.statement


@pytest.mark.parametrize("year", [3, 4, 6])
def test_master_year_outside_the_calendar_invents_nothing(year: int) -> None:
    total = cip_master_total(year=year)
    assert total.result is None and total.missing == ["days"] and total.ask
    assert "master_days_year_1" not in total.rate_ids and "master_days_year_2" not in total.rate_ids
    days = duration("cip-master", year)
    assert days.result is None  # both years of the calendar are listed, none is picked
    assert "103 jours" in days.statement and "106 jours" in days.statement
    assert_consistent(total)
    assert_consistent(days)


def test_counts_carry_no_euro_figures() -> None:
    for c in (paid_leave(5), duration("cip"), notice_period(), suspension_pay()):
        assert c.figures == []


# --- API shape -----------------------------------------------------------------------------


def test_to_api() -> None:
    out = cip_indemnity(18).to_api()
    assert out.name == "cip_indemnity" and out.result == pytest.approx(848.90)
    assert out.inputs == {"age": 18} and out.valid_from == "2024-05-01"
    assert out.source_ids == ["cip-bruxelles"] and out.unit == "EUR"
    cisp = cisp_indemnity(16, 1, D("24.5")).to_api()
    assert cisp.inputs["hours_per_week"] == 24.5
    assert cisp.model_dump_json()


def test_every_calculation_is_consistent() -> None:
    samples = [
        cip_indemnity(a) for a in (None, 16, 18, 19, 21)
    ] + [cip_master_indemnity(), cip_master_total(days=50), sip_allowance(), scheme_needed()] + [
        ifapme_allocation(y, q) for y in (None, 1, 2, 3, 4) for q in (None, True, False)
    ] + [cisp_indemnity(a, y, h) for a in (None, 16, 17, 18) for y in (None, 1, 3, 4) for h in (None, 24)]
    for c in samples:
        assert_consistent(c)


def test_ceilings_stated_without_comparison() -> None:
    family = family_allowance_check(None, None, "ifapme", ask_amount=False)
    assert family.result == D("759.28") and not family.missing and family.verdict is None
    dependent = dependent_check(None, None, "single_parent", ask_amount=False)
    assert dependent.result == D(5040) and "9.210 €" in dependent.statement and not dependent.ask
    tax = tax_check(None, None, "ifapme", ask_amount=False)
    assert tax.result == D(9270) and "13.242,86 €" in tax.statement
    assert tax_check(None, None, "cip-master", ask_amount=False).result == D(7420)
    for c in (family, dependent, tax):
        assert_consistent(c)


def test_cisp_example_formula_names_no_unsourced_base() -> None:
    c = cisp_indemnity(16, 1, 24)
    assert c.formula == "RMMMG applicable à 16 ans × 40 % × 24/38 = 265,59 € (exemple de la page)"
    assert "1.051,29 €" in c.notes[0]  # the derivation stays visible in the notes
