"""Extractive answers: sentence splitting, ranking, composition with calculations and markers."""

from __future__ import annotations

from decimal import Decimal

from assistant import extractive, passages, sentences
from assistant.calculator import route
from assistant.calculator.money import find_amounts
from assistant.lexical import analyze
from assistant.question import analysed as Q
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
    assert passages.body(SIP).startswith("Le stage d'insertion professionnelle, appelé")


def test_split_body_leaves_out_headings_and_questions_and_keeps_list_items() -> None:
    found = sentences.split_body(passages.body(WHO))
    texts = [t for t, _ in found]
    assert texts[0].endswith("voici les conditions requises :")
    assert ("Avoir la nationalité belge ;", True) in found
    assert not any(t.endswith("?") for t in texts)


def test_duration_question_gets_the_sentence_with_the_duration() -> None:
    answer = extractive.compose(Q("Combien de temps dure le stage d'insertion ?"), [WHO, SIP])
    assert "310 jours" in answer
    assert "[2]" in answer


def test_list_question_gets_the_introduction_with_its_items() -> None:
    answer = extractive.compose(Q("Qui a droit au stage d'insertion professionnelle ?"), [WHO, SIP])
    assert "nationalité belge" in answer and "24 ans" in answer
    assert answer.index("conditions requises") < answer.index("nationalité belge")


def test_calculation_comes_first_with_the_marker_of_its_source() -> None:
    question = "Combien gagne un stagiaire IFAPME non qualifié en 2e année ?"
    calculations = route(question)
    assert calculations and calculations[0].result == Decimal("908.29")
    answer = extractive.compose(Q(question), [SIP, IFAPME], calculations)
    assert answer.startswith(calculations[0].statement.rstrip(". ")[:40])
    assert "[2]" in answer.split(".")[0] + answer  # the IFAPME passage is [2]
    # Only the calculator's figures: no other year's amount from the table.
    assert set(find_amounts(answer)) <= set(calculations[0].figures)


def test_missing_slot_gives_the_general_figures_and_asks() -> None:
    question = "Combien je touche en IFAPME ?"
    calculations = route(question)
    answer = extractive.compose(Q(question), [IFAPME], calculations)
    asks = [c.ask for c in calculations if c.ask]
    assert asks and answer.rstrip().endswith(asks[0])
    assert answer.count("?") >= 1


def test_answer_stays_short() -> None:
    long_passage = passage("x:1", "cisp-cefa", "T — S\n" + " ".join(["Une phrase sur la cisp et la durée."] * 60), ["cisp"])
    answer = extractive.compose(Q("Quelle est la durée de la cisp ?"), [long_passage])
    assert len(answer.split()) <= 160


def test_excerpt_keeps_the_relevant_sentences_within_the_budget() -> None:
    text = extractive.excerpt(Q("Combien de jours dure le stage d'insertion ?"), SIP, 1, 200)
    assert "310 jours" in text
    assert len(text) <= 400


def test_amount_and_count_intents() -> None:
    assert Q("combien je touche en cip ?").asks_amount
    assert not Q("combien de jours de congé en ifapme ?").asks_amount
    assert Q("combien de jours de congé en ifapme ?").asks_count
    # The SMS form counts too, and a count "par an" is no yearly sum of money (no calculation).
    visits = Q("le référent ifapme il vient cb de fois dans l'entreprise par an ?")
    assert visits.asks_count and not visits.asks_amount and route(visits) == []
    assert [c.name for c in route(Q("cb je touche par an en ifapme 2e année qualifié ?"))] == ["ifapme_yearly"]


FOREM_TEXT = (
    "Le stage d'insertion professionnelle — FAQ > 3. Comment s'inscrire au forem ?\n"
    "Pour s'inscrire au Forem en tant que chercheur d'emploi, commencez par créer votre espace personnel en ligne. "
    "Vous aurez besoin de votre carte d'identité et d'une adresse e-mail valide. "
    "Une fois votre espace créé, complétez le formulaire d'inscription en ligne."
)
FOREIGN_TEXT = (
    "Le stage d'insertion professionnelle — Comment passer le stage d'insertion professionnelle si on n'a pas la nationalité belge ?\n"
    "Pour les personnes ne disposant pas de la nationalité belge, ces derniers doivent remplir les deux questions suivantes :\n"
    "- Résider en Belgique d'une façon effective ; et\n"
    "- Avoir droit au marché du travail belge, qui exige disposer de la carte professionnelle."
)
FOREM = passage("sip:3", "stage-insertion-professionnelle", FOREM_TEXT, ["sip"])
FOREIGN = passage("sip:4", "stage-insertion-professionnelle", FOREIGN_TEXT, ["sip"])


def test_a_section_titled_with_the_question_is_read_on_after_its_best_sentence() -> None:
    # "carte d'identité" shares no word with the question: only its section title says it answers.
    answer = extractive.compose(Q("comment s'inscrire au forem ?"), [SIP, FOREM])
    assert "carte d'identité" in answer
    assert answer.index("commencez par créer") < answer.index("carte d'identité")


def test_a_section_title_that_does_not_echo_the_question_is_not_read_on() -> None:
    pool = extractive.sentences([FOREM])
    ranked = [(score, s) for score, s in extractive.rank(Q("combien de temps dure le stage ?"), pool) if score > 0]
    assert extractive.read_on(Q("combien de temps dure le stage ?"), ranked, pool) == ranked


def test_the_section_title_ranks_its_sentences_first() -> None:
    # "belge" is a neutral word for the scope, but it tells which section answers.
    answer = extractive.compose(Q("je suis pas belge, je peux faire le stage d'insertion ?"), [WHO, FOREIGN])
    assert answer.startswith("Pour les personnes ne disposant pas de la nationalité belge")
    assert "Résider en Belgique d'une façon effective ; Avoir droit" in answer  # the dangling "et" dropped


def test_heading_coverage_needs_a_word_that_weighs() -> None:
    heading = frozenset(analyze("Comment s'inscrire au forem ?"))
    assert extractive.heading_coverage(Q("comment s'inscrire au forem ?").typed_focus, heading) == 1.0
    # "comment" alone is a neutral word: no match.
    assert extractive.heading_coverage(Q("comment ça marche ?").typed_focus, heading) == 0.0


def test_a_question_about_an_age_or_a_nationality_is_not_a_definition_question() -> None:
    assert Q("c koi la cisp ?").is_definition
    assert not Q("c pour quel age la cisp ?").is_definition
    assert not Q("je suis pas belge, je peux faire le stage d'insertion ?").is_definition


def test_a_how_to_question_naming_money_does_not_ask_an_amount() -> None:
    assert Q("je touche combien en ifapme ?").asks_amount
    assert not Q("je touche le chomage et je veux faire une formation en alternance, je fais comment ?").asks_amount
    assert not Q("on me donne une fiche de paie en ifapme ?").asks_amount
    assert Q("je touche le chomage, combien je garde si je fais comment ils disent ?").asks_amount


def test_a_list_under_a_section_title_is_introduced_by_it() -> None:
    calendar = passage(
        "master:cal",
        "cip-master-alternance",
        "Annexe — ANNEXE 2 : CALENDRIER DES STAGES > 2ème année du master (environ 106 jours)\n"
        "- du 16/09/2019 au 21/09/2019: du mardi au jeudi\n- du 23/09/2019 au 28/09/2019: du mardi au jeudi",
        ["cip-master"],
    )
    first = extractive.sentences([calendar])[0]
    assert first.text == "2ème année du master (environ 106 jours)" and first.intro
    answer = extractive.compose(Q("combien de jours de stage en deuxième année du master ?"), [calendar])
    assert answer.startswith("2ème année du master (environ 106 jours) : du 16/09/2019 au 21/09/2019")


def test_an_unpunctuated_line_above_items_introduces_them() -> None:
    body = "Annexe — Calendrier\nLes périodes sont indiquées ci-dessous.\n1ère année du master (environ 103 jours)\n- du 28/10/2019 au 02/11/2019: du lundi au jeudi"
    pool = extractive.sentences([passage("master:cal1", "cip-master-alternance", body, ["cip-master"])])
    assert [s.intro for s in pool] == [False, True, False]


def test_after_a_calculation_a_list_may_repeat_its_figure_but_not_bring_others() -> None:
    from types import SimpleNamespace

    family = passage(
        "ifapme:af",
        "ifapme-convention-stage",
        "Informations — Allocations familiales\nA partir de 18 ans, il y a lieu de distinguer :\n"
        "- Stagiaire né avant 2001 : jusqu'à l'âge de 25 ans s'il ne perçoit pas plus de 759,28€/mois ;\n"
        "- Stagiaire né à partir de 2001 : jusqu'à 21 ans, sans contrôle.",
        ["ifapme"],
    )
    plafond = SimpleNamespace(statement="Plafond des allocations familiales : 759,28 € brut par mois.", source_ids=["ifapme-convention-stage"], result=None, ask=None, missing=None)
    answer = extractive.compose(Q("né en 2000, jusqu'à quel âge les allocations familiales ?"), [family], [plafond])
    assert "25 ans" in answer  # the list's items only repeat the stated 759,28 €
    other = SimpleNamespace(statement="Plafond des allocations familiales : 700,00 € brut par mois.", source_ids=["ifapme-convention-stage"], result=None, ask=None, missing=None)
    assert "25 ans" not in extractive.compose(Q("né en 2000, jusqu'à quel âge les allocations familiales ?"), [family], [other])


def test_a_count_is_answered_by_a_number_that_is_not_money() -> None:
    text = (
        "Convention d'immersion professionnelle — Durée et indemnité\n"
        "L'indemnité de la convention d'immersion professionnelle est de 848,90€ par mois.\n"
        "La convention dure de 1 à 6 mois."
    )
    cip = passage("cip:1", "cip-bruxelles", text, ["cip"])
    pool = extractive.sentences([cip])
    pay, length = pool
    assert not pay.has_count and length.has_count  # (848,90 is money; 1 and 6 count months)
    ranked = extractive.rank(Q("combien de temps dure une CIP ?"), pool)
    assert ranked[0][1] is length


def test_a_duration_asked_opens_with_the_sentence_that_gives_one() -> None:
    # "pendant" shares the asked word with "combien de temps"; only the other sentence says how long.
    text = (
        "Le stage First — En pratique\n"
        "Les allocations familiales sont suspendues pendant votre stage First.\n"
        "Il s'agit d'un stage de 3 mois ou 6 mois maximum dans une entreprise, dans une ASBL ou au sein d'un service "
        "public, assorti d'une allocation et d'une indemnité à charge du fournisseur de stage."
    )
    first = passage("first:1", "stage-first", text, ["stage-first"])
    question = Q("c combien de temps un stage first ?")
    ranked = extractive.rank(question, extractive.sentences([first]))
    assert "suspendues" in ranked[0][1].text  # words alone put the wrong one first
    answer = extractive.compose(question, [first])
    assert answer.startswith("Il s'agit d'un stage de 3 mois ou 6 mois")


def test_a_follow_up_reads_what_it_asks_from_the_message_and_its_topic_from_the_question_it_continues() -> None:
    follow = Q("et ça dure combien de temps ?", "c'est quoi un stage d'insertion ?")
    assert not follow.is_definition and follow.asks_count  # "c'est quoi" belongs to the earlier question
    assert follow.schemes == ("sip",)
    own = {t for t, w in follow.focus.items() if w >= 0.5}
    assert not own & set(analyze("c'est quoi"))
    answer = extractive.compose(follow, [WHO, SIP])
    assert "310 jours" in answer


def test_a_comparison_gives_each_scheme_its_best_sentence() -> None:
    cip_text = (
        "La convention d'immersion professionnelle — Durée\n"
        "La convention d'immersion professionnelle dure de 1 à 6 mois.\n"
        "La durée de la convention d'immersion professionnelle peut être prolongée jusqu'à 6 mois."
    )
    cip = passage("cip:1", "cip-bruxelles", cip_text, ["cip"])
    question = Q("quelle durée pour une convention d'immersion professionnelle et pour le stage d'insertion ?")
    assert set(question.schemes) == {"cip", "sip"}
    answer = extractive.compose(question, [cip, SIP], max_sentences=1)
    assert "[1]" in answer and "[2]" in answer  # one sentence of each scheme
