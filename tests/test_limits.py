"""Yes/no by the source's condition: quantities, limits, verdicts (assistant/limits.py, conditions.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant import limits
from assistant.conditions import limit_checks
from assistant.question import analysed
from assistant.schemas import Passage


@pytest.mark.parametrize(
    ("sentence", "low", "high", "unit", "per"),
    [
        ("1 à 6 mois.", 1, 6, "mois", None),
        ("Le nombre d’heures de travail par semaine ne peut excéder 38 en moyenne par an.", None, 38, "heures", "semaine"),
        ("Procéder à l’inscription, au maximum, le jour de ses 24 ans", None, 24, "ans", None),
        ("pour autant que vous ne travaillez pas plus de 240 heures par trimestre", None, 240, "heures", "trimestre"),
        ("Sa durée est de 12 mois maximum, avec une possibilité de la renouveler", None, 12, "mois", None),
        ("des stages de minimum 4 semaines", 4, None, "semaines", None),
    ],
)
def test_a_sentence_states_its_limit(sentence: str, low: int | None, high: int | None, unit: str, per: str | None) -> None:
    found = limits.limits(sentence)
    assert limits.Limit(
        Decimal(low) if low is not None else None, Decimal(high) if high is not None else None, unit, per
    ) in found


def test_a_figure_without_a_bound_word_is_no_limit() -> None:
    assert limits.limits("L'indemnité variera de 848,90€ (18 ans) à 1.035,20 € (21 ans et plus)") == []
    assert limits.limits("Le stage dure 310 jours.") == []


def test_the_users_quantities_keep_their_period() -> None:
    found = limits.quantities("CIP de 2 mois mais juste 15h par semaine")
    assert [(q.value, q.unit, q.per) for q in found] == [(Decimal(2), "mois", None), (Decimal(15), "heures", "semaine")]
    assert found[1].text == "15 heures par semaine"


def test_only_the_same_unit_and_period_are_compared() -> None:
    stated = limits.quantities("je fais 250 heures par trimestre et 30 heures par semaine")
    verdicts = limits.compare(stated, "vous ne travaillez pas plus de 240 heures par trimestre")
    assert [(v.quantity.value, v.holds) for v in verdicts] == [(Decimal(250), False)]


def test_an_age_at_its_bound_is_left_undecided() -> None:
    # "le jour de ses 24 ans": someone who "has 24" may be before or after that day.
    assert limits.compare(limits.quantities("j'ai 24 ans"), "au maximum, le jour de ses 24 ans") == []
    assert limits.compare(limits.quantities("j'ai 23 ans"), "au maximum, le jour de ses 24 ans")[0].holds


DURATION = Passage(
    chunk_id="cip:duree", doc_id="cip-bruxelles", title="La convention d'immersion professionnelle",
    section="Quelle durée ? · Quelle indemnité ?", text="1 à 6 mois.\n\nQuelle indemnité ?\n\nL'indemnité dépend de votre âge.",
    schemes=["cip"],
)


def test_a_yes_no_question_over_a_limit_gets_a_no_with_the_sentence() -> None:
    (check,) = limit_checks(analysed("on peut faire une CIP de 9 mois ?"), [DURATION])
    assert check.name == "limit_check" and check.verdict == "above" and check.source_ids == ["cip-bruxelles"]
    assert check.statement.startswith("Non : 9 mois")
    assert "« 1 à 6 mois »" in check.statement and "(Quelle durée ?)" in check.statement


def test_within_the_limit_says_so_without_a_yes() -> None:
    (check,) = limit_checks(analysed("une CIP de 4 mois c'est possible ?"), [DURATION])
    assert check.verdict is None and check.statement.startswith("4 mois reste dans la limite")


def test_questions_that_ask_for_a_thing_get_no_verdict() -> None:
    assert limit_checks(analysed("combien dure une CIP de 9 mois ?"), [DURATION]) == []
    assert limit_checks(analysed("on peut faire une CIP ?"), [DURATION]) == []  # no quantity stated


def test_a_message_that_only_states_a_fact_gets_no_verdict() -> None:
    assert limit_checks(analysed("et si j'ai 21 ans ?"), [DURATION]) == []


# --- euro brackets (a table's rows) -------------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Rémunération : < 2.004 euros ; Forfait : 767 euros.", [(None, Decimal("2004"))]),
        ("Rémunération : 2.004 euros - 2.466,99 euros ; Forfait : 1.002 euros.", [(Decimal("2004"), Decimal("2466.99"))]),
        ("Rémunération : ≥ 3066 euros ; Forfait : 1.709 euros.", [(Decimal("3066"), None)]),
        ("Une indemnité de 500 € brut par mois.", []),  # a value, not a range
        ("Maximum 3.490 € net par an.", []),  # a limit (limits.py), not one row among others
    ],
)
def test_bands_are_the_euro_ranges_a_sentence_states(sentence: str, expected: list[tuple]) -> None:
    assert [(b.low, b.high) for b in limits.bands(sentence)] == expected


TABLE = """| Future rémunération brute | Le montant du forfait |
| --- | --- |
| < 2.004 euros | 767 euros |
| 2.004 euros - 2.466,99 euros | 1.002 euros |
| 2.467 euros - 2.710,99 euros | 1.238 euros |
| ≥ 3066 euros | 1.709 euros |
"""


def _rows_ranked(question: str) -> list[str]:
    from assistant.extractive import rank
    from assistant.sentences import of_passage

    pool = of_passage(1, TABLE, "Vos avantages")
    return [s.text for score, s in rank(analysed(question), pool) if score > 0]


def test_the_row_whose_range_holds_the_users_figure_comes_first() -> None:
    ranked = _rows_ranked("Il sera payé 2.500 € brut, le montant du forfait c'est combien ?")
    assert "1.238 euros" in ranked[0]
    ranked = _rows_ranked("Il sera payé 3.500 € brut, le montant du forfait c'est combien ?")
    assert "1.709 euros" in ranked[0]


def test_without_a_figure_of_the_user_the_rows_keep_their_order() -> None:
    ranked = _rows_ranked("Le montant du forfait c'est combien ?")
    assert "767 euros" in ranked[0]


def test_a_duration_is_compared_in_the_limit_s_unit() -> None:
    # "3 semaines" against "1 à 6 mois": below the minimum, said with the user's own words.
    [verdict] = limits.compare(limits.quantities("une CIP de 3 semaines"), "La CIP dure de 1 à 6 mois.")
    assert not verdict.holds and verdict.stated is not None and verdict.stated.text == "3 semaines"
    assert limits.statement(verdict, "La CIP dure de 1 à 6 mois.").startswith("Non : 3 semaines, c'est en dessous du minimum")
    [over] = limits.compare(limits.quantities("malade 3 semaines"), "Il conserve son allocation durant 7 jours maximum.")
    assert not over.holds
    # Too near a bound to decide once converted (a month is 28 to 31 days), and ages never converted.
    assert limits.compare(limits.quantities("une CIP de 4 semaines"), "La CIP dure de 1 à 6 mois.") == []
    assert limits.compare(limits.quantities("j'ai 2 ans d'expérience"), "Un stage de 1 à 6 mois.") == []



def test_the_first_months_are_an_upper_bound_and_a_half_counts() -> None:
    # "Pendant les 3 premiers mois": 2 months in is within, 5 months in is past it.
    sentence = "Pendant les 3 premiers mois de la convention, chacun peut y mettre fin avec un préavis de 7 jours."
    [within] = limits.compare(limits.quantities("ça fait 2 mois que j'ai commencé"), sentence)
    [past] = limits.compare(limits.quantities("je suis à 5 mois de ma convention"), sentence)
    assert within.holds and not past.holds
    [older] = limits.compare(limits.quantities("j'ai 24 ans et demi"), "au plus tard le jour de ses 24 ans")
    assert not older.holds and older.quantity.text == "24 ans et demi"


def test_a_maximal_delay_said_with_a_participle_is_a_limit() -> None:
    sentence = "Cette procédure doit être effectuée dans un délai maximal, ne dépassant pas 8 jours, à compter de la demande."
    [late] = limits.compare(limits.quantities("je l'ai demandé il y a 10 jours"), sentence)
    assert not late.holds and late.limit.high == 8


def test_one_comparison_per_quantity_the_user_states() -> None:
    text = ("Durée\nLa CIP dure de 1 à 6 mois.\nUne dispense est accordée pour les stages de minimum 4 semaines.")
    passage = Passage(chunk_id="d:2", doc_id="cip-bruxelles", title="CIP", section="Durée", text=text, schemes=["cip"])
    checks = limit_checks(analysed("un stage CIP de 3 mois avec la dispense, c'est possible ?"), [passage])
    assert len(checks) == 1  # "3 mois" is compared once, not again converted to weeks


def test_an_approximate_span_is_a_span() -> None:
    [limit] = limits.limits("soumis à l'obligation scolaire à temps partiel (±15 à ±18 ans)")
    assert (limit.low, limit.high, limit.unit) == (15, 18, "ans")


def test_a_limit_about_the_story_is_not_compared() -> None:
    leave = Passage(chunk_id="ifapme:conges", doc_id="ifapme-convention-stage", title="IFAPME", section="Congés",
                    text="Congés\nEntre le 1er mai et le 31 octobre, le stagiaire peut demander 2 semaines consécutives de congé.",
                    schemes=["ifapme"])
    allowance = Passage(chunk_id="ifapme:af", doc_id="ifapme-convention-stage", title="IFAPME", section="Allocations familiales",
                        text="Allocations familiales\nLes allocations familiales peuvent être accordées jusqu'à l'âge de 25 ans "
                             "si le stagiaire suit des cours.", schemes=["ifapme"])
    # The age is the story's; what is asked is about the mutual insurance, which no limit here concerns.
    story = analysed("J'ai 26 ans, je suis stagiaire IFAPME et je suis des cours. Je suis encore sur la mutuelle de mes parents ?")
    assert limit_checks(story, [leave, allowance]) == []
    (check,) = limit_checks(analysed("J'ai 26 ans, mes parents touchent encore les allocations familiales pour moi ?"),
                            [leave, allowance])
    assert check.verdict == "above"


def test_within_a_case_where_it_is_not_possible_is_a_no() -> None:
    text = ("Quelles sont les activités exclues ?\nIl n'est pas possible de conclure une convention d'immersion "
            "professionnelle dans les situations suivantes :\n\n- Lorsque le stage concerne votre contrat de travail ;\n"
            "- Lorsqu'il s'agit de prestations de travail dans le cadre de vos études dont la durée n'excède pas 60 jours ;")
    passage = Passage(chunk_id="cip:exclues", doc_id="cip-bruxelles", title="CIP", section="Quelles sont les activités exclues ?",
                      text=text, schemes=["cip"])
    (check,) = limit_checks(analysed("Mon école m'impose un stage de 45 jours dans le cadre de mes études, une convention d'immersion c'est possible ?"), [passage])
    assert check.statement.startswith("Non : 45 jours, c'est un des cas où ce n'est pas possible")
    # Past the excluded case, the exclusion says nothing: no verdict, and never a "Oui".
    assert limit_checks(analysed("Un stage de 90 jours dans le cadre de mes études, une convention d'immersion c'est possible ?"), [passage]) == []


def test_only_the_best_ranked_limit_is_compared() -> None:
    # Further down the ranking, a limit of another quantity the user states is most often about
    # another matter: the family allowance's age limit says nothing about keeping one's allocation.
    sick = Passage(chunk_id="ifapme:maladie", doc_id="ifapme-convention-stage", title="IFAPME", section="Maladie",
                   text="Maladie\nEn cas de maladie, le stagiaire garde son allocation pendant 2 semaines au maximum.",
                   schemes=["ifapme"])
    allowance = Passage(chunk_id="ifapme:af", doc_id="ifapme-convention-stage", title="IFAPME", section="Allocations familiales",
                        text="Allocations familiales\nLes allocations familiales sont accordées jusqu'à l'âge de 25 ans.",
                        schemes=["ifapme"])
    checks = limit_checks(analysed("J'ai 20 ans et je suis malade 3 semaines, je garde mon allocation ?"), [sick, allowance])
    assert [(c.inputs["quantity"], c.verdict) for c in checks] == [("3 semaines", "above")]
