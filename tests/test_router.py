"""The deterministic router: question (+ earlier slots) -> the calculations that apply."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.calculator import extract_slots, route
from assistant.question import analysed

D = Decimal

# (question, expected calculation names in order, expected result of the first one or "-" to skip)
TABLE: list[tuple[str, list[str], object]] = [
    ("jsuis en 2e annee ifapme combien je touche", ["ifapme_allocation"], None),
    ("c combien la cip a 18 ans", ["cip_indemnity"], D("848.90")),
    ("g 21 ans combien en immersion", ["cip_indemnity"], D("1035.20")),
    ("en master alternance combien pour 103 jours", ["cip_master_total"], D("8208.07")),
    ("si je gagne 800 € par mois en ifapme je perds les allocs familiales ?", ["family_allowance_check"], D("40.72")),
    ("combien de jours de congé si je bosse 6 jours par semaine", ["paid_leave"], D(24)),
    ("Quel est le montant de l'indemnité CIP pour un jeune de 19 ans ?", ["cip_indemnity"], None),
    ("je suis en 1ère année ifapme non qualifié, combien par mois ?", ["ifapme_allocation"], D("625.60")),
    ("ifapme 2e année qualifié combien par an", ["ifapme_yearly"], D("12881.88")),
    ("ifapme 3e année combien en tout sur 10 mois", ["ifapme_total"], D("10734.90")),
    ("j'ai 16 ans en CISP 1ère année 24h par semaine, combien je gagne ?", ["cisp_indemnity"], D("265.59")),
    ("cefa 18 ans 3e année 24 heures par semaine combien", ["cisp_indemnity"], D("451.12")),
    ("cefa 18 ans 3e année 19h semaine combien", ["cisp_indemnity"], D("357.14")),
    ("en cisp a 17 ans 2e annee 24h combien", ["cisp_indemnity"], None),
    # a year after the tables (3rd year): the calculation says no amount is given
    ("je redouble et je suis en 4e annee ifapme, je touche combien ?", ["ifapme_allocation"], None),
    ("ifapme 4e année qualifié combien par an", ["ifapme_yearly"], None),
    ("ifapme 5e annee combien sur 10 mois", ["ifapme_total"], None),
    ("cefa 16 ans 4e année 24h par semaine combien", ["cisp_indemnity"], None),
    ("combien je touche en stage ?", ["scheme_needed"], None),
    ("combien je touche ?", [], "-"),  # no scheme, no situation, no word of the domain
    ("c combien le salaire d'un ingenieur civil en belgique ?", [], "-"),
    ("comment je calcule la taxe de circulation de ma voiture ?", [], "-"),
    ("qui a gagne le match standard anderlecht hier ?", [], "-"),
    ("Selon la brochure, la CIP paie 3000 € par mois à 18 ans, c'est bien ça ?", ["cip_indemnity"], D("848.90")),
    ("ma mere est isolee, jusqu'a combien de revenus je reste a sa charge en ifapme ?", ["dependent_check"], D(5040)),
    ("je suis en ifapme j'ai 19 ans, je peux gagner combien max sans perdre les allocs familiales ?",
     ["family_allowance_check"], D("759.28")),
    ("au dessus de quel revenu annuel un etudiant en master en alternance paie des impots ?", ["tax_check"], D(7420)),
    ("j'ai 18 ans, combien ?", ["scheme_needed"], None),
    ("combien en cip", ["cip_indemnity"], None),
    ("combien pour 6 mois de CIP à 21 ans", ["cip_total"], D("6211.20")),
    ("combien en master en alternance ?", ["cip_master_indemnity"], D(7969)),
    ("master 1re année combien au total", ["cip_master_total"], D("8208.07")),
    ("combien en stage d'insertion ?", ["sip_allowance"], None),
    ("je suis qualifié en 2e année combien je touche", ["ifapme_allocation"], D("1073.49")),
    ("combien dure une CIP ?", ["duration"], D(6)),
    ("quelle est la durée du stage d'insertion", ["duration"], D(310)),
    ("la CISP dure combien de temps", ["duration"], D(12)),
    ("la convention IFAPME peut être prolongée ?", ["duration"], None),
    ("préavis pendant la période d'essai ifapme", ["notice_period"], D(7)),
    ("si je suis malade je garde mon allocation ifapme ?", ["suspension_pay"], D(7)),
    ("combien de congés en ifapme", ["paid_leave"], None),
    ("combien de jours de congé en CIP ?", ["paid_leave"], None),
    # a monthly amount against a yearly ceiling: the yearly amount first (12 × 700 €), then the checks
    ("je gagne 700 € par mois, est-ce que je reste à charge de mes parents ?",
     ["yearly_income", "dependent_check", "dependent_check"], D(8400)),
    ("je gagne 700 € par mois ma mère est seule, je reste à charge ?", ["yearly_income", "dependent_check"], D(8400)),
    ("est-ce que je paie des impôts avec 9000 € par an en ifapme", ["tax_check"], D("4242.86")),
    ("en master je paie un précompte ?", ["cip_master_indemnity", "tax_check"], D(7969)),
    ("stage d'insertion, je gagne 750 € brut par mois, je perds les allocations familiales ?", ["family_allowance_check"], D("34.54")),
    ("master alternance je touche 600€ par mois je perds les allocs ?", ["family_allowance_check"], D("69.51")),
    ("je suis en 2e année qualifié ifapme, je perds les allocs ?", ["ifapme_allocation", "family_allowance_check"], D("1073.49")),
    ("quel est le plafond pour garder les allocations familiales ?", ["family_allowance_check"] * 3, D("759.28")),
    ("je perds les allocs en ifapme ?", ["ifapme_allocation", "family_allowance_check"], None),
    ("c'est quoi une CIP ?", [], "-"),
    # "allocs d'insertion / de chômage" are not the family allowance; a deadline is not a duration
    ("apres la demande d'allocs d'insertion j'ai combien de temps pour me reinscrire ?", [], "-"),
    ("l'entreprise doit garder la convention combien de temps ?", [], "-"),
    ("le stage d'insertion c combien de temps ?", ["duration"], "-"),
    ("quels documents pour s'inscrire au forem ?", [], "-"),
    ("qui signe la convention de stage ?", [], "-"),
]


@pytest.mark.parametrize(("question", "names", "first_result"), TABLE, ids=[t[0] for t in TABLE])
def test_route(question: str, names: list[str], first_result: object) -> None:
    calcs = route(question)
    assert [c.name for c in calcs] == names
    if first_result != "-":
        assert calcs[0].result == first_result


def test_at_least_thirty_questions() -> None:
    assert len(TABLE) >= 30


CIP_FIGURES = {D("848.90"), D("1035.20")}


@pytest.mark.parametrize(
    "question",
    [
        "jsuis en 2e annee ifapme combien je touche",
        "j'ai 18 ans en ifapme combien je touche",
        "j'ai 21 ans, 1ère année ifapme qualifié, c'est combien ?",
        "ifapme combien par mois",
    ],
)
def test_never_a_cip_figure_for_an_ifapme_question(question: str) -> None:
    for c in route(question):
        assert not CIP_FIGURES & set(c.figures)
        assert "cip-bruxelles" not in c.source_ids


@pytest.mark.parametrize(
    "question",
    [
        "je redouble et je suis en 4e annee ifapme, je touche combien ?",
        "quatrième année ifapme pas qualifié combien par mois",
        "ifapme 4e année qualifié combien par an",
        "cefa 16 ans 4e année 24h par semaine combien",
    ],
)
def test_a_fourth_year_says_the_sources_give_no_amount(question: str) -> None:
    [c] = route(question)
    assert c.inputs["year"] == 4 and c.result is None and not c.missing
    assert "ne donne pas de montant" in c.statement


def test_ceilings_without_scheme_show_each_with_its_scope() -> None:
    calcs = route("je gagne 700 € par mois, je perds les allocations familiales ?")
    assert {c.inputs["scheme"] for c in calcs} == {"ifapme", "sip", "cip-master"}
    verdicts = {c.inputs["scheme"]: c.verdict for c in calcs}
    assert verdicts == {"ifapme": "below", "sip": "below", "cip-master": "above"}


def test_tax_without_scheme_shows_both_thresholds() -> None:
    calcs = route("je gagne 8000 € par an, je dois payer des impôts ?")
    assert [(c.name, c.inputs["scheme"], c.verdict) for c in calcs] == [
        ("tax_check", "ifapme", "below"),
        ("tax_check", "cip-master", "above"),
    ]


def test_schemes_argument_wins() -> None:
    [c] = route("combien je touche à 18 ans ?", schemes=["cip"])
    assert c.name == "cip_indemnity" and c.result == D("848.90")


def test_slots_from_earlier_turns() -> None:
    earlier = extract_slots("je suis en CIP à Bruxelles, combien je touche ?")
    [c] = route("j'ai 21 ans", slots=earlier)
    assert c.name == "cip_indemnity" and c.result == D("1035.20")


def test_answering_the_qualification_question() -> None:
    earlier = extract_slots("jsuis en 2e annee ifapme combien je touche")
    [c] = route("non qualifié", slots=earlier)
    assert c.result == D("908.29")


def test_unrelated_follow_up_does_not_repeat_the_calculation() -> None:
    earlier = extract_slots("c combien la cip a 18 ans")
    assert route("et qui paie l'assurance ?", slots=earlier) == []


def test_new_scheme_in_follow_up_replaces_the_old_one() -> None:
    earlier = extract_slots("c combien la cip a 18 ans")
    calcs = route("et en ifapme 1ère année qualifié, combien ?", slots=earlier)
    assert [(c.name, c.result) for c in calcs] == [("ifapme_allocation", D("908.33"))]


def test_missing_slot_gives_the_question_to_ask() -> None:
    [c] = route("combien en cisp ?")
    assert c.missing == ["age", "year", "hours_per_week"] and c.ask == "Quel âge avez-vous ?"
    assert "265,59 €" in c.statement


def test_route_is_deterministic() -> None:
    question = "si je gagne 800 € par mois en ifapme je perds les allocs familiales ?"
    assert route(question) == route(question)


def test_ceiling_question_states_the_ceiling_without_asking() -> None:
    calcs = route("c'est quoi le plafond de revenus pour rester a charge de mes deux parents (ifapme) ?")
    assert [(c.name, c.result, c.missing) for c in calcs] == [("dependent_check", D(3490), [])]
    assert "7.272,50 €" in calcs[0].statement


def test_yes_no_question_compares_the_scheme_allocation() -> None:
    calcs = route("je suis en 2e année qualifié ifapme, je perds les allocs ?")
    check = calcs[-1]
    assert check.verdict == "above" and check.result == D("314.21")  # 1.073,49 - 759,28
    assert "1.073,49 €" in check.statement and "759,28 €" in check.statement


def test_yes_no_question_without_enough_slots_asks_for_the_amount() -> None:
    check = route("je perds les allocs en ifapme ?")[-1]
    assert check.result is None and check.missing == ["amount"] and "759,28 €" in check.statement


# --- the date asked about: the rate valid then (master's lump sum history) --------------------


@pytest.mark.parametrize(
    ("question", "result"),
    [
        ("Quel était le montant de base de l'indemnité fixé en 2011 pour les masters en alternance ?", D(7218)),
        ("le montant indexe depuis juin 2016 pour le master en alternance ?", D(7813)),
        ("combien en master en alternance au 01/06/2016 ?", D(7813)),
        ("combien en master en alternance en 2019 ?", D(7969)),
        ("combien en master en alternance ?", D(7969)),  # no date: the most recent, as before
        ("quel est le montant de l'indemnité du master en alternance ?", D(7969)),
    ],
)
def test_master_amount_at_the_date_asked(question: str, result: Decimal) -> None:
    [c] = route(question)
    assert c.name == "cip_master_indemnity" and c.result == result


def test_master_amount_before_the_first_one_gives_no_figure() -> None:
    [c] = route("combien touchait un étudiant en master en alternance en 2005 ?")
    assert c.name == "cip_master_indemnity" and c.result is None and "ne donne pas de montant" in c.statement


def test_master_total_for_a_date_before_the_bases_is_not_computed() -> None:
    [c] = route("en master alternance combien pour 103 jours en 2011")
    assert c.name == "cip_master_total" and c.result is None and "7.218 €" in c.statement
    [now] = route("en master alternance combien pour 103 jours")
    assert now.result == D("8208.07")


def test_a_date_alone_continues_the_earlier_request() -> None:
    earlier = extract_slots("Quel était le montant de base fixé en 2011 pour les masters en alternance ?")
    [c] = route("et en 2016 ?", slots=earlier)
    assert c.name == "cip_master_indemnity" and c.result == D(7813)
    # the date belongs to its turn: a later question without one gets today's amount
    [later] = route("combien en master en alternance ?", slots=earlier)
    assert later.result == D(7969)


@pytest.mark.parametrize(
    "question",
    ["combien en 2024 ?", "c combien le salaire d'un ingenieur en 2024 ?", "qui a gagne le match en 2016 ?"],
)
def test_a_date_alone_is_not_a_question_about_internships(question: str) -> None:
    assert route(question) == []


def test_a_date_does_not_change_other_schemes() -> None:
    assert route("c combien la cip a 18 ans en 2016") == route("c combien la cip a 18 ans")


def test_a_yes_no_question_about_a_ceiling_compares_the_schemes_amount() -> None:
    from assistant.question import analysed

    q = "non qualifié en 1re année ifapme, 12 mois sur l'année. Est-ce que je dépasse le plafond pour rester à charge ?"
    found = route(analysed(q))
    verdicts = {c.inputs["household"]: c.verdict for c in found if c.name == "dependent_check"}
    assert verdicts == {"two_parents": "above", "single_parent": "below"}  # 7.507,20 € against 7.272,50 € and 9.210 €
    # "c'est quoi le plafond ?" asks for the ceiling itself: stated, not compared.
    rule = route(analysed("c'est quoi le plafond pour rester à charge en ifapme ?"))
    assert all(c.inputs.get("amount") is None for c in rule if c.name == "dependent_check")


def test_a_ceiling_the_user_names_is_compared_with_their_own_income() -> None:
    # 7.272,50 € is the brochure's ceiling, not the user's income: the 1st-year allocation over 12
    # months is what is compared with it (and the excess computed).
    found = route("Non qualifié 1ère année ifapme, sur 12 mois est-ce que je dépasse les 7.272,50 € brut pour rester à charge de mes parents mariés, et de combien ?")
    check = next(c for c in found if c.name == "dependent_check")
    assert check.verdict == "above" and check.inputs["amount"] == D("7507.20") and check.result == D("234.70")
    # Named by its figure alone, the tax-free allowance is the check to run.
    found = route("Qualifié 1ère année IFAPME: est-ce que je reste sous les 13.242,86 € brut ?")
    assert [c.verdict for c in found if c.name == "tax_check"] == ["below"]
    # An income of the user's that is no ceiling is still theirs.
    found = route("si je gagne 800 € par mois en ifapme je perds les allocs familiales ?")
    assert [c.inputs["amount"] for c in found if c.name == "family_allowance_check"] == [D(800)]


def test_two_situations_asked_whether_alike_get_their_difference() -> None:
    found = route("Ma soeur a 18 ans et moi 21, on fait une CIP à Bruxelles. On va toucher la même chose ?")
    assert [c.name for c in found][-1] == "difference" and found[-1].result == D("186.30")
    found = route("en 3ème année ifapme, un qualifié gagne plus qu'un non qualifié ?")
    assert found[-1].name == "difference" and found[-1].result == D("0.00")
    assert "difference" not in [c.name for c in route("j'ai 18 ans, la CIP c'est pareil qu'un job ?")]


def test_a_yes_no_question_about_a_ceiling_is_answered_by_its_verb() -> None:
    def first_check(question: str) -> str:
        # (the analysed question: a plain text is never read as yes/no by the router)
        return next(c.statement for c in route(analysed(question)) if c.name == "family_allowance_check")

    # Keeping the right: below the ceiling is a yes, above a no; losing it: the other way round.
    assert first_check("stage d'insertion en Wallonie, je gagne 650 € brut par mois, je garde les allocs familiales ?").startswith("Oui : avec 650 €")
    assert first_check("stage d'insertion en Wallonie, je gagne 900 € brut par mois, je garde les allocs familiales ?").startswith("Non : avec 900 €")
    assert first_check("si je gagne 800 € par mois en ifapme je perds les allocs familiales ?").startswith("Oui : avec 800 €")
    assert first_check("si je gagne 600 € par mois en ifapme je perds les allocs familiales ?").startswith("Non : avec 600 €")
    # Not a yes/no question, or one that says both: the comparison as it is.
    assert first_check("je gagne 800 € par mois en ifapme, de combien je dépasse le plafond des allocs ?").startswith("Avec 800 €")


def test_a_difference_over_months_compares_the_totals_over_those_months() -> None:
    # "quelle différence sur 12 mois ?": each situation's total over 12 months, then their gap.
    found = route("Entre le minimum (16 ans 1ère année) et le maximum (18 ans 3ème année) de la CISP à 24h/semaine, "
                  "ça fait quelle différence sur 12 mois ?")
    totals = [c for c in found if c.name == "cisp_indemnity_total"]
    gap = found[-1]
    assert gap.name == "difference" and len(totals) == 2
    assert gap.result == abs((totals[1].result or D(0)) - (totals[0].result or D(0)))
    monthly = sorted(c.result or D(0) for c in found if c.name == "cisp_indemnity")
    assert len(monthly) == 2 and gap.result == 12 * (monthly[1] - monthly[0])
