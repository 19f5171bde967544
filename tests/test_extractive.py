"""Extractive answers: sentence splitting, ranking, composition with calculations and markers."""

from __future__ import annotations

from decimal import Decimal

from assistant import extractive
from assistant.calculator import route
from assistant.calculator.money import find_amounts
from assistant.schemas import Passage

SIP_TEXT = (
    "Le stage d'insertion professionnelle — Qu'est-ce que le stage d'insertion professionnelle ?\n"
    "Le stage d'insertion professionnelle, appelé stage d'attente auparavant, est un stage effectué par les jeunes, "
    "à la fin de leurs études, lorsqu'ils ne sont plus en obligation scolaire.\n"
    "C'est une période obligatoire de recherche d'emploi d'une durée de 310 jours (environ 12 mois), qui commence "
    "immédiatement après l'inscription comme demandeur d'emploi à la fin des études.\n"
    "Ce n'est pas un stage en entreprise, mais un parcours guidé visant à valider une recherche active d'emploi."
)
SIP_WHO = (
    "Le stage d'insertion professionnelle — Qui a droit au stage d'insertion professionnelle ?\n"
    "Pour avoir droit au stage d'insertion professionnel, voici les conditions requises :\n"
    "- Avoir la nationalité belge ;\n"
    "- Procéder à l'inscription, au maximum, le jour de ses 24 ans ;\n"
    "- Avoir terminé des études qui y donnent droit.\n"
    "Comment passer le stage si on n'a pas la nationalité belge ?"
)
IFAPME_TEXT = (
    "Informations générales sur la convention de stage — Allocation de stage - Fiche de paie\n"
    "Le chef d'entreprise est tenu de verser une allocation mensuelle progressive au stagiaire. Il s'agit de "
    "montants minima.\n"
    "Montants bruts allocations de stage (septembre 2023)\n"
    "• Qualifié : 908,33€ (1ère année) | 1073,49€ (2ème année) | 1073,49€ (3ème année)\n"
    "• Non qualifié : 625,60€ (1ère année) | 908,29€ (2ème année) | 1073,49€ (3ème année)"
)


def passage(chunk_id: str, doc_id: str, text: str, schemes: list[str]) -> Passage:
    title, _, rest = text.partition(" — ")
    return Passage(chunk_id=chunk_id, doc_id=doc_id, title=title, section=rest.split("\n")[0], text=text, schemes=schemes)


SIP = passage("sip:1", "stage-insertion-professionnelle", SIP_TEXT, ["sip"])
WHO = passage("sip:2", "stage-insertion-professionnelle", SIP_WHO, ["sip"])
IFAPME = passage("ifapme:1", "ifapme-convention-stage", IFAPME_TEXT, ["ifapme"])


def test_passage_body_drops_the_title_line() -> None:
    assert extractive.passage_body(SIP).startswith("Le stage d'insertion professionnelle, appelé")


def test_split_sentences_leaves_out_headings_and_questions_and_keeps_list_items() -> None:
    found = extractive.split_sentences(extractive.passage_body(WHO))
    texts = [t for t, _ in found]
    assert texts[0].endswith("voici les conditions requises :")
    assert ("Avoir la nationalité belge ;", True) in found
    assert not any(t.endswith("?") for t in texts)


def test_split_sentences_joins_wrapped_lines() -> None:
    found = extractive.split_sentences("Le chef d'entreprise est tenu de\nverser une allocation.\nAutre phrase.")
    assert [t for t, _ in found] == ["Le chef d'entreprise est tenu de verser une allocation.", "Autre phrase."]


def test_duration_question_gets_the_sentence_with_the_duration() -> None:
    answer = extractive.compose("Combien de temps dure le stage d'insertion ?", [WHO, SIP])
    assert "310 jours" in answer
    assert "[2]" in answer


def test_list_question_gets_the_introduction_with_its_items() -> None:
    answer = extractive.compose("Qui a droit au stage d'insertion professionnelle ?", [WHO, SIP])
    assert "nationalité belge" in answer and "24 ans" in answer
    assert answer.index("conditions requises") < answer.index("nationalité belge")


def test_calculation_comes_first_with_the_marker_of_its_source() -> None:
    question = "Combien gagne un stagiaire IFAPME non qualifié en 2e année ?"
    calculations = route(question)
    assert calculations and calculations[0].result == Decimal("908.29")
    answer = extractive.compose(question, [SIP, IFAPME], calculations)
    assert answer.startswith(calculations[0].statement.rstrip(". ")[:40])
    assert "[2]" in answer.split(".")[0] + answer  # the IFAPME passage is [2]
    # Only the calculator's figures: no other year's amount from the table.
    assert set(find_amounts(answer)) <= set(calculations[0].figures)


def test_missing_slot_gives_the_general_figures_and_asks() -> None:
    question = "Combien je touche en IFAPME ?"
    calculations = route(question)
    answer = extractive.compose(question, [IFAPME], calculations)
    asks = [c.ask for c in calculations if c.ask]
    assert asks and answer.rstrip().endswith(asks[0])
    assert answer.count("?") >= 1


def test_answer_stays_short() -> None:
    long_passage = passage("x:1", "cisp-cefa", "T — S\n" + " ".join(["Une phrase sur la cisp et la durée."] * 60), ["cisp"])
    answer = extractive.compose("Quelle est la durée de la cisp ?", [long_passage])
    assert len(answer.split()) <= 160


def test_excerpt_keeps_the_relevant_sentences_within_the_budget() -> None:
    text = extractive.excerpt("Combien de jours dure le stage d'insertion ?", SIP, 1, 200)
    assert "310 jours" in text
    assert len(text) <= 400


def test_amount_and_count_intents() -> None:
    assert extractive.asks_amount("combien je touche en cip ?")
    assert not extractive.asks_amount("combien de jours de congé en ifapme ?")
    assert extractive.asks_count("combien de jours de congé en ifapme ?")
