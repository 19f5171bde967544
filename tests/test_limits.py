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
