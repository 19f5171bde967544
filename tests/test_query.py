"""Query understanding from vocabulary.yaml: SMS rewrites, abbreviations, synonyms, schemes."""

from __future__ import annotations

from assistant.lexical import analyze, get_analyzer
from assistant.query import build_vocabulary, normalize, understand


def _stem(word: str) -> str:
    (token,) = analyze(word)
    return token


def test_sms_forms_are_rewritten() -> None:
    assert normalize("c koi la cip") == "c'est quoi la cip"
    assert normalize("jsuis en 2e annee") == "je suis en 2e annee"
    assert normalize("g 18 ans cb je touche") == "j'ai 18 ans combien je touche"
    assert normalize("Les allocs") == "les allocations"


def test_abbreviation_expands_both_ways() -> None:
    q = understand("c koi la cip")
    assert q.terms[_stem("cip")] == 1.0
    assert q.terms[_stem("immersion")] == 0.5
    assert "convention d'immersion professionnelle" in q.dense_text()
    back = understand("convention d'immersion professionnelle")
    assert back.terms.get(_stem("cip")) == 0.5
    assert back.dense_text() == back.normalized  # nothing to spell out


def test_money_words_reach_the_brochure_words() -> None:
    for phrase in ("combien je touche", "mon salaire", "je suis payé combien", "je gagne combien"):
        q = understand(phrase)
        assert _stem("indemnité") in q.terms, phrase
        assert q.terms[_stem("indemnité")] == 0.5


def test_allocs_means_family_allowances() -> None:
    q = understand("allocs")
    assert _stem("allocations") in q.terms and _stem("familiales") in q.terms


def test_chomage_reaches_dispense() -> None:
    q = understand("je suis au chômage, je peux faire un stage ?")
    assert _stem("dispense") in q.terms


def test_typed_words_outweigh_added_ones() -> None:
    q = understand("indemnité salaire", expansion_weight=0.3)
    assert q.terms[_stem("indemnité")] == 1.0  # typed, also an expansion of "salaire": stays 1
    assert q.terms[_stem("montant")] == 0.3


def test_ordinal_year_in_sms() -> None:
    q = understand("jsuis en 2e an ifapme")
    assert "2e" in q.terms and _stem("année") in q.terms
    assert q.schemes == ["ifapme"]


def test_schemes_and_region_from_question_then_context() -> None:
    q = understand("et pour les allocations familiales ?", context=["Je fais une CIP à Bruxelles"])
    assert q.schemes == ["cip"] and q.region == "Bruxelles"
    own = understand("et en IFAPME ?", context=["Je fais une CIP à Bruxelles"])
    assert own.schemes == ["ifapme"]  # the question's own scheme wins over the conversation's


def test_vocabulary_is_data() -> None:
    raw = {"synonyms": {"rewrite": {"\\bzz\\b": "stage"}, "expand": {"stage": ["mutuelle"]}}}
    vocabulary = build_vocabulary(raw, get_analyzer())
    q = understand("zz", vocabulary=vocabulary)
    assert q.normalized == "stage"
    assert q.terms == {_stem("stage"): 1.0, _stem("mutuelle"): 0.5}


def test_combien_of_a_count_is_not_money() -> None:
    # "combien" alone asks for money (montant, indemnité); "combien de jours / de temps" does not.
    assert "indemnit" in understand("c'est combien en cip ?").terms
    days = understand("cb de jours de congé en ifapme ?")
    assert "indemnit" not in days.terms and "cong" in days.terms
    period = understand("je dois garder la convention combien de temps ?")
    assert "indemnit" not in period.terms and "period" in period.terms
    assert "conserv" in period.terms  # garder -> conserver


def test_a_quantity_written_short_is_spelled_out_for_retrieval() -> None:
    q = understand("mon patron me fait faire 40h/sem, c'est ok ?")
    assert "40 heures par semaine" in q.dense_text()
    assert q.terms["heur"] < 1.0 and "semain" in q.terms  # added like an expansion, lighter than typed words
    # Written in full already: nothing added.
    assert understand("une CIP de 8 mois c'est possible ?").dense_text().count("8 mois") == 1
