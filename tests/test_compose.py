"""Composed calculations: several people in one message, totals over years of training,
differences, a yearly income against a yearly ceiling, and the unit a question asks about.

The figures are the brochures' own: the CIP brochure (cip-bruxelles) says "L'indemnité dépend de
votre âge et variera de 848,90€ (18 ans) à 1.035,20 € (21 ans et plus) – index mai 2024"; the
IFAPME brochure "Qualifié : 908,33€ (1ère année) | 1073,49€ (2ème année) | 1073,49€ (3ème année)"
and "Non qualifié : 625,60€ (1ère année) | 908,29€ (2ème année) | 1073,49€ (3ème année)", its
family-allowance ceiling "759,28€ (montant brut indexé valable à partir du 01/12/2022)" and
"3.490€ net (= 7.272,50€ brut) par an si le stagiaire est à charge des deux parents"; the master's
brochure "un montant de base de 7.218 € par année académique (montant indexé depuis le 01/06/2016 :
7.813 €)".
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from assistant import guard
from assistant.calculator import Calculation, extract_slots, route
from assistant.calculator.rates import get_rates
from assistant.schemas import Passage

D = Decimal


def statements(calculations: list[Calculation]) -> str:
    return " ".join(c.statement for c in calculations)


COMPOSED = ("difference", "series_change", "total_over_years", "yearly_income", "headroom")


def quoted_passages(calculations: list[Calculation]) -> list[Passage]:
    """The source sentence of every rate used (its verbatim quote), as the chain's context holds it."""
    rates = get_rates()
    ids = dict.fromkeys(i for c in calculations for i in c.rate_ids)
    return [
        Passage(chunk_id=f"{i}:1", doc_id=rates.get(i).doc_id, title=i, text=rates.get(i).quote)
        for i in ids
    ]


def assert_guarded(question: str, calculations: list[Calculation]) -> None:
    """The answer made of the statements passes the guard as the extractive answer is checked
    (the calculations and their source passages), and every euro figure of a composed statement
    is a calculation's result or in a formula or notes, with no passage at all (CONTRACT.md)."""
    evidence = dataclasses.replace(
        guard.Evidence.build(calculations, quoted_passages(calculations), [question]), strict=False
    )
    verdict = guard.check(statements(calculations), evidence, require_citation=False)
    assert not verdict.unsupported_amounts, verdict.unsupported_amounts
    assert not verdict.unsupported_numbers, verdict.unsupported_numbers
    assert not verdict.missing_results, verdict.missing_results
    strict = guard.Evidence.build(calculations, [], [question])
    composed = [c for c in calculations if c.name in COMPOSED]
    assert not guard.check(statements(composed), strict, require_results=False, require_citation=False).unsupported_amounts


# --- slots: several values of one slot --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "values"),
    [
        ("moi j'ai 18 ans et ma soeur 22", "ages", [18, 22]),
        ("mon pote a 21 ans et moi 18", "ages", [21, 18]),
        ("moi j'ai 18 ans et ma sœur a 22 ans", "ages", [18, 22]),
        ("lui il est qualifié, moi non", "qualifications", [True, False]),
        ("moi je suis pas qualifié, mon frère oui il est qualifié", "qualifications", [False, True]),
        ("ma copine en 1re et moi en 2e année", "years", [1, 2]),
        ("en 1re ou en 2e année ifapme, combien ?", "years", [1, 2]),
        ("différence entre qualifié et non qualifié en 1re année ifapme ?", "qualifications", [True, False]),
        ("à 18 et à 21 ans, combien en CIP ?", "ages", [18, 21]),
    ],
)
def test_several_people_give_several_values(text: str, field: str, values: list[object]) -> None:
    assert getattr(extract_slots(text), field) == values


@pytest.mark.parametrize(
    "text",
    [
        "j'ai 18 ans, combien en CIP ?",
        "je suis en 2e année ifapme qualifié",
        "j'ai 19 ans, la cip c'est à partir de 18 ans ?",
        "je suis qualifié ou non qualifié, je sais pas",
        "j'ai 18 ans et je suis en 1re année",
        "entre 18 et 25 ans, combien en CIP ?",
    ],
)
def test_one_person_keeps_one_value(text: str) -> None:
    s = extract_slots(text)
    assert s.ages == [] and s.years == [] and s.qualifications == []


def test_one_value_reads_as_before() -> None:
    s = extract_slots("moi j'ai 18 ans et ma soeur 22")
    assert s.age == 18  # the single slot keeps the first value
    assert extract_slots("lui il est qualifié, moi non").qualified is True


def test_a_newer_single_value_replaces_the_people() -> None:
    earlier = extract_slots("mon pote a 21 ans et moi 18, en CIP")
    assert earlier.merge(extract_slots("il va gagner combien de plus sur 6 mois ?")).ages == [21, 18]
    assert earlier.merge(extract_slots("en fait j'ai 19 ans")).ages == []


def test_training_years_and_months_per_year() -> None:
    s = extract_slots("3 ans à l'IFAPME, 12 mois par an, ça fait combien en tout ?")
    assert (s.training_years, s.months_per_year, s.months, s.age) == (3, 12, None, None)


def test_a_count_of_years_is_the_training_years_when_a_total_is_asked() -> None:
    s = extract_slots("non qualifié en ifapme, 12 mois par an, ça fait cb en tout sur mes 2 premières années ?")
    assert (s.training_years, s.months_per_year, s.year) == (2, 12, None)
    assert extract_slots("ifapme 3 ans, 12 mois par an : cb au total ?").training_years == 3
    # Without a total asked, "2 ans" says nothing about the years a figure covers.
    assert extract_slots("j'ai arrêté l'école il y a 2 ans, je touche combien en ifapme ?").training_years is None
    found = route("non qualifié en ifapme, 12 mois par an, ça fait cb en tout sur mes 2 premières années ?")
    assert found[-1].name == "total_over_years" and found[-1].result == D("18406.68")


def test_two_dates_are_read() -> None:
    s = extract_slots("augmenté de combien entre le montant de 2011 et celui de 2016 ?")
    assert [d.year for d in s.dates] == [2011, 2016] and s.as_of is not None and s.as_of.year == 2011
    assert extract_slots("le montant de 2011 c'était combien ?").dates == []


# --- one calculation per person ---------------------------------------------------------------


def test_one_cip_calculation_per_age() -> None:
    q = "moi j'ai 18 ans et ma soeur 22, combien en CIP ?"
    found = route(q)
    assert [c.result for c in found] == [D("848.90"), D("1035.20")]
    assert found[0].statement.startswith("À 18 ans") and found[1].statement.startswith("À 22 ans")
    assert_guarded(q, found)


def test_one_ifapme_calculation_per_qualification() -> None:
    q = "lui il est qualifié, moi non, on est en 2e année ifapme, on touche combien ?"
    found = route(q)
    assert [c.result for c in found] == [D("1073.49"), D("908.29")]
    assert found[0].statement.startswith("Qualifié :") and found[1].statement.startswith("Non qualifié :")
    assert_guarded(q, found)


def test_one_calculation_per_training_year() -> None:
    q = "ma copine en 1re et moi en 2e année, qualifiés en ifapme, combien ?"
    found = route(q)
    assert [c.result for c in found] == [D("908.33"), D("1073.49")]
    assert [c.statement.split(" :")[0] for c in found] == ["En 1re année", "En 2e année"]


def test_one_person_is_unchanged() -> None:
    assert [c.statement for c in route("j'ai 18 ans combien en cip")] == [
        "À 18 ans, l'indemnité de CIP est de 848,90 € par mois (index mai 2024)."
    ]


# --- differences ------------------------------------------------------------------------------


def test_difference_between_two_people_over_six_months() -> None:
    earlier = extract_slots("mon pote a 21 ans et moi 18, on est en CIP")
    q = "il va gagner combien de plus que moi sur 6 mois ?"
    found = route(q, earlier)
    # 6 × 1.035,20 € = 6.211,20 € and 6 × 848,90 € = 5.093,40 €
    assert [c.name for c in found] == ["cip_total", "cip_total", "difference"]
    assert [c.result for c in found] == [D("6211.20"), D("5093.40"), D("1117.80")]
    assert found[-1].formula == "6.211,20 € (à 21 ans) − 5.093,40 € (à 18 ans) = 1.117,80 €"
    assert "qu'à 18 ans" in found[-1].statement
    assert found[-1].statement.startswith("Différence : à 21 ans, c'est 1.117,80 € de plus")
    assert_guarded(q, found)


def test_difference_between_two_situations() -> None:
    q = "différence entre qualifié et non qualifié en 1re année ifapme ?"
    found = route(q)
    assert [c.result for c in found] == [D("908.33"), D("625.60"), D("282.73")]  # 908,33 € − 625,60 €
    assert found[-1].statement == "Différence : qualifié, c'est 282,73 € de plus que non qualifié (908,33 € − 625,60 €)."
    assert_guarded(q, found)


def test_a_difference_asked_makes_two_values_two_situations() -> None:
    # Neither joined by "et" nor said of two people: the difference asked compares them.
    q = "sur 12 mois en 1re année ifapme, un qualifié gagne combien de plus qu'un non qualifié ?"
    found = route(q)
    # 12 × 908,33 € = 10.899,96 € ; 12 × 625,60 € = 7.507,20 €
    assert [c.result for c in found] == [D("10899.96"), D("7507.20"), D("3392.76")]
    assert_guarded(q, found)
    # Without a difference asked, "qualifié ou non qualifié" stays one person who does not say which.
    assert extract_slots("je suis qualifié ou non qualifié, je sais pas, ifapme 1re année").qualifications == []


def test_a_monthly_amount_over_the_months_asked() -> None:
    # The CISP has no total of its own: its monthly amount times the months, both stated.
    q = "j'ai 18 ans, en 3e année de CISP à 24h/semaine, ça fait combien sur 12 mois ?"
    found = route(q)
    assert [c.name for c in found] == ["cisp_indemnity", "cisp_indemnity_total"]
    assert found[-1].result == D("5413.44")  # 12 × 451,12 €
    assert found[-1].formula == "12 mois × 451,12 € = 5.413,44 €"
    assert_guarded(q, found)


def test_no_difference_without_both_figures() -> None:
    found = route("lui il est qualifié, moi non, ifapme, combien de plus que moi ?")
    assert "difference" not in [c.name for c in found]  # no year: each asks for it
    assert all(c.missing for c in found)


def test_change_of_a_dated_amount_between_two_dates() -> None:
    q = "augmenté de combien entre le montant de 2011 et celui de 2016 ?"
    found = route(q, extract_slots("master en alternance"))
    assert [c.name for c in found] == ["series_change"]
    assert found[0].result == D(595)  # 7.813 € − 7.218 €
    assert "7.813 € (indexé depuis le 01/06/2016) − 7.218 €" in found[0].formula
    assert "augmenté de 595 €" in found[0].statement
    assert_guarded(q, found)


def test_a_difference_asked_reads_any_second_year_as_a_date() -> None:
    # "le montant indexé de 2016" is no "et celui de 2016": the difference asked makes it the second date.
    q = "l'indemnité du master a augmenté de combien entre le montant de base de 2011 et le montant indexé de 2016 ?"
    assert [d.year for d in extract_slots(q).dates] == [2011, 2016]
    found = route(q)
    assert [c.name for c in found] == ["series_change"] and found[0].result == D(595)
    # Without a difference asked, a second year is not a date compared.
    assert extract_slots("le montant de base de 2011, puis indexé de 2016 : c'est combien ?").dates == []


def test_ceiling_minus_the_schemes_minimum() -> None:
    q = ("en ifapme 1re année non qualifié, mon patron peut me payer jusqu'à combien de plus que le minimum "
         "sans que je perde les allocations familiales ?")
    found = route(q)
    assert [c.name for c in found] == ["ifapme_allocation", "family_allowance_check", "headroom"]
    assert found[1].result == D("133.68") and found[1].verdict == "below"
    assert found[-1].formula == "759,28 € − 625,60 € = 133,68 €"
    assert found[-1].statement.startswith("Marge : jusqu'à 133,68 € par mois de plus que 625,60 €")
    assert_guarded(q, found)


def test_how_much_above_the_ceiling() -> None:
    q = "je gagne 800 € par mois en ifapme, je dépasse de combien le plafond des allocations familiales ?"
    found = route(q)
    assert [c.result for c in found] == [D("40.72")] and found[0].verdict == "above"  # 800 € − 759,28 €


# --- totals over several years ----------------------------------------------------------------


def test_total_over_three_years_stated_months() -> None:
    q = "3 ans à l'IFAPME, 12 mois par an, qualifié, ça fait combien en tout ?"
    found = route(q)
    assert [c.name for c in found] == ["ifapme_total", "ifapme_total", "ifapme_total", "total_over_years"]
    # 12 × 908,33 € + 12 × 1.073,49 € + 12 × 1.073,49 €
    assert [c.result for c in found] == [D("10899.96"), D("12881.88"), D("12881.88"), D("36663.72")]
    total = found[-1]
    assert "1re année : 12 mois × 908,33 € = 10.899,96 €" in total.formula
    assert "comme indiqué dans la question" in total.notes[0]
    assert_guarded(q, found)


def test_total_over_years_states_the_assumed_months() -> None:
    q = "3 ans à l'IFAPME non qualifié, ça fait combien en tout ?"
    found = route(q)
    assert found[-1].result == D("31288.56")  # 12 × (625,60 € + 908,29 € + 1.073,49 €)
    assert found[-1].notes[0].startswith("Hypothèse : 12 mois par année de formation")
    assert "(12 mois par année, hypothèse)" in found[-1].statement
    assert_guarded(q, found)


def test_total_over_years_without_the_qualification_asks_for_it() -> None:
    found = route("3 ans à l'IFAPME, ça fait combien en tout ?")
    assert "total_over_years" not in [c.name for c in found]
    assert any(c.ask for c in found)


# --- a yearly income against a yearly ceiling ---------------------------------------------------


def test_yearly_income_is_its_own_calculation_before_the_check() -> None:
    q = "je gagne 700 € par mois, est-ce que je reste à charge de mes parents ?"
    found = route(q)
    assert found[0].name == "yearly_income" and found[0].result == D(8400)
    assert found[0].formula == "700 € × 12 mois = 8.400 €" and found[0].notes[0].startswith("Hypothèse")
    assert [c.name for c in found[1:]] == ["dependent_check", "dependent_check"]
    assert found[1].result == D("1127.50")  # 8.400 € − 7.272,50 €
    assert_guarded(q, found)


def test_the_schemes_yearly_allocation_before_a_yearly_check() -> None:
    q = "je suis en 2e année ifapme qualifié, je reste à charge de mes deux parents ?"
    found = route(q)
    assert [c.name for c in found] == ["ifapme_allocation", "ifapme_yearly", "dependent_check"]
    assert found[1].result == D("12881.88") and found[2].verdict == "above"
    assert_guarded(q, found)


# --- the unit asked ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "c'est quoi la limite d'heures ?",
        "en ifapme c'est quoi le maximum d'heures par semaine ?",
        "il y a un plafond de jours en stage ?",
    ],
)
def test_a_question_about_hours_gets_no_money_ceiling(question: str) -> None:
    assert [c for c in route(question) if c.unit.upper().startswith("EUR")] == []


def test_an_hours_ceiling_still_answers_an_hours_question() -> None:
    found = route("c'est quoi la limite d'heures en cip pour garder les allocations familiales ?")
    assert [(c.name, c.unit) for c in found] == [("family_allowance_check", found[0].unit)]
    assert not found[0].unit.upper().startswith("EUR") and found[0].result == D(240)


def test_a_money_ceiling_question_is_unchanged() -> None:
    found = route("c'est quoi le plafond pour les allocations familiales en ifapme ?")
    assert [c.result for c in found] == [D("759.28")]
