"""The one segmenter (assistant/sentences.py): passages, streamed answers and chunking agree."""

from __future__ import annotations

from assistant import sentences


def test_markers_written_after_the_full_stop_stay_with_their_sentence() -> None:
    complete, rest = sentences.complete("Vous touchez 848,90 €. [1] Le montant est indexé. Fin")
    assert complete == ["Vous touchez 848,90 €. [1] ", "Le montant est indexé. "]
    assert rest == "Fin"


def test_a_decimal_point_or_a_thousands_separator_ends_no_sentence() -> None:
    complete, rest = sentences.complete("Montant : 1.035,20 € par mois")
    assert complete == [] and rest == "Montant : 1.035,20 € par mois"


def test_a_full_stop_before_a_lower_case_word_ends_no_sentence() -> None:
    assert sentences.split("Le formulaire D.ALT. doit être complété. Ensuite on signe.") == [
        "Le formulaire D.ALT. doit être complété. ",
        "Ensuite on signe.",
    ]
    assert sentences.split("Jusqu'à 6 mois max. ou moins.") == ["Jusqu'à 6 mois max. ou moins."]


def test_a_sentence_is_complete_only_once_what_follows_is_known() -> None:
    # The marker that may follow a full stop is not known yet: the sentence waits.
    assert sentences.complete("Il dure 310 jours.") == ([], "Il dure 310 jours.")
    assert sentences.complete("Il dure 310 jours. [") == ([], "Il dure 310 jours. [")
    assert sentences.complete("Il dure 310 jours. [2] E")[0] == ["Il dure 310 jours. [2] "]


def test_wrapped_lines_are_joined_and_headings_left_out() -> None:
    found = sentences.split_body("# Quelle durée ?\nLe chef d'entreprise est tenu de\nverser une allocation.\nAutre phrase.")
    assert [t for t, _ in found] == ["Le chef d'entreprise est tenu de verser une allocation.", "Autre phrase."]


def test_list_items_belong_to_their_intro_line_and_take_its_polarity() -> None:
    body = "Il n'est pas possible de conclure une CIP dans les cas suivants :\n- un contrat de travail ;\n- un stage d'avocat.\nLe stagiaire peut travailler ailleurs."
    found = sentences.of_passage(1, body, "CIP > Exclusions")
    assert [(s.intro, s.item, s.negated) for s in found] == [
        (True, False, True),
        (False, True, True),
        (False, True, True),
        (False, False, False),
    ]


def test_a_passage_opening_on_a_list_is_introduced_by_its_section_title() -> None:
    found = sentences.of_passage(1, "- 12 septembre\n- 3 octobre", "Master > 2ème année du master (environ 106 jours)")
    assert found[0].text == "2ème année du master (environ 106 jours)" and found[0].intro
    assert [s.item for s in found] == [False, True, True]


def test_chunking_cuts_at_the_same_sentence_ends() -> None:
    text = "Première phrase. Deuxième phrase ! Troisième ? fin"
    assert sentences.ends(text) == [len("Première phrase. "), len("Première phrase. Deuxième phrase ! ")]


def test_a_markdown_table_row_is_a_sentence_that_names_its_columns() -> None:
    body = (
        "Durant la formation, vous versez une indemnité forfaitaire.\n\n"
        "| Future rémunération brute | Le montant du forfait (*) |\n"
        "| --- | --- |\n"
        "| < 2.004 euros | 767 euros |\n"
        "| 2.004 euros - 2.466,99 euros | 1.002 euros |\n\n"
        "(*) Montants au 1er août 2022\n\n"
        "- Un module peut être réalisé chez un opérateur ;\n"
        "- Les frais d'auto-école sont remboursés."
    )
    found = [(s.text, s.intro, s.item) for s in sentences.of_passage(1, body, "Vos avantages")]
    texts = [t for t, _, _ in found]
    assert "Future rémunération brute : < 2.004 euros ; Le montant du forfait (*) : 767 euros." in texts
    assert "Future rémunération brute : 2.004 euros - 2.466,99 euros ; Le montant du forfait (*) : 1.002 euros." in texts
    assert not any("|" in t or "---" in t for t in texts)
    # The footnote keeps its mark and introduces nothing: the list after it stands alone.
    assert ("(*) Montants au 1er août 2022", False, False) in found


def test_no_sentence_end_inside_parentheses_closed_on_the_same_line() -> None:
    text = "La formation dure 4 à 26 semaines (jusqu'à 52 semaines dans certains cas. Voir ci-dessous) et se fait en entreprise. Elle est payée."
    assert sentences.split(text) == [
        "La formation dure 4 à 26 semaines (jusqu'à 52 semaines dans certains cas. Voir ci-dessous) et se fait en entreprise. ",
        "Elle est payée.",
    ]
    # An unclosed parenthesis does not swallow the rest of the text.
    assert len(sentences.split("Voir le point (a. Puis la suite. Et la fin.")) == 3
