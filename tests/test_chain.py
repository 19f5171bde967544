"""The chain with fakes: a lexical search over a few real passages, scripted chat models, the real calculator."""

from __future__ import annotations

import re
from datetime import date

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.calculator.money import find_amounts
from assistant.chain import Assistant, StreamEvent, get_assistant
from assistant.config import Settings
from assistant.lexical import analyze
from assistant.prepare import order_by_scheme
from assistant.schemas import ChatRequest, ChatResponse, Passage, Turn


def _passage(chunk_id: str, doc_id: str, title: str, section: str, body: str, schemes: list[str]) -> Passage:
    return Passage(
        chunk_id=chunk_id, doc_id=doc_id, title=title, section=section, text=f"{title} — {section}\n{body}", schemes=schemes
    )


CIP_TITLE = "La convention d'immersion professionnelle"
RECENT = date(2024, 8, 1)
PASSAGES = [
    _passage(
        "cip:indemnite", "cip-bruxelles", CIP_TITLE, "Quelle indemnité ?",
        "Vous bénéficierez en tant que stagiaire d'une indemnité à charge de l'employeur. L'indemnité dépend de "
        "votre âge et variera de 848,90€ (18 ans) à 1.035,20 € (21 ans et plus) – index mai 2024\n\n"
        "Ce montant correspond à celui de l'indemnité due à l'apprenti industriel et est assujéti à la sécurité "
        "sociale des travailleurs salariés.",
        ["cip"],
    ),
    _passage("cip:duree", "cip-bruxelles", CIP_TITLE, "Quelle durée ?", "1 à 6 mois.", ["cip"]),
    _passage(
        "sip:definition", "stage-insertion-professionnelle", "Le stage d'insertion professionnelle",
        "Qu'est-ce que le stage d'insertion professionnelle ?",
        "C'est une période obligatoire de recherche d'emploi d'une durée de 310 jours (environ 12 mois), qui "
        "commence immédiatement après l'inscription comme demandeur d'emploi à la fin des études.",
        ["sip"],
    ),
    _passage(
        "sip:allocations", "stage-insertion-professionnelle", "Le stage d'insertion professionnelle",
        "Existe-t-il d'autres allocations disponibles en même temps ?",
        "Si vous travaillez en parallèle de ce stage, votre salaire mensuel ne doit pas excéder 715,46 € brut par "
        "mois. Pour bénéficier des allocations d'insertion après votre stage, vous devez procéder à leur demande.",
        ["sip"],
    ),
    _passage(
        "ifapme:allocation", "ifapme-convention-stage", "Informations générales sur la convention de stage",
        "Allocation de stage - Fiche de paie",
        "Le chef d'entreprise est tenu de verser une allocation mensuelle progressive au stagiaire.\n"
        "Montants bruts allocations de stage (septembre 2023)\n"
        "• Qualifié : 908,33€ (1ère année) | 1073,49€ (2ème année) | 1073,49€ (3ème année)\n"
        "• Non qualifié : 625,60€ (1ère année) | 908,29€ (2ème année) | 1073,49€ (3ème année)",
        ["ifapme"],
    ),
]


class LexicalSearch:
    """search(query, k, mode, schemes): passages sharing the most analyzed words; records its calls."""

    def __init__(self, passages: list[Passage] | None = None) -> None:
        self.calls: list[dict] = []
        self.passages = passages if passages is not None else PASSAGES

    def __call__(self, query: str, k: int = 5, mode: str = "hybrid", schemes: list[str] | None = None) -> list[Passage]:
        self.calls.append({"query": query, "k": k, "schemes": schemes})
        words = set(analyze(query))

        def score(p: Passage) -> float:
            return len(words & set(analyze(p.text))) + (2 if schemes and set(p.schemes) & set(schemes) else 0)

        return sorted(self.passages, key=score, reverse=True)[:k]


def make(
    backend: str = "extractive",
    script: list[str] | None = None,
    sleep: float | None = None,
    passages: list[Passage] | None = None,
    **settings,
) -> Assistant:
    llm = FakeListChatModel(responses=script, sleep=sleep) if script else None
    # Answers given while the amounts were recent (no "il a pu être indexé" note): see the freshness tests below.
    settings.setdefault("today", RECENT)
    return Assistant(Settings(llm_backend=backend, **settings), llm=llm, search=LexicalSearch(passages))


def ask(assistant: Assistant, message: str, history: list[Turn] | None = None) -> ChatResponse:
    return assistant.ask(ChatRequest(message=message, history=history or [], conversation_id="c1"))


def assert_contract(response: ChatResponse) -> None:
    """Markers point to returned citations, numbered 1..n in order of use; figures are supported."""
    markers = [int(m) for m in re.findall(r"\[(\d+)\]", response.answer)]
    assert sorted(set(markers)) == [c.marker for c in response.citations]
    assert list(dict.fromkeys(markers)) == sorted(set(markers))
    supported = {round(float(c.result), 2) for c in response.calculations if c.result is not None}
    for c in response.citations:
        supported |= {round(float(a), 2) for a in find_amounts(c.snippet)}
    for calc in response.calculations:
        supported |= {round(float(a), 2) for a in find_amounts(calc.formula + " ".join(calc.notes))}
    for amount in find_amounts(response.answer):
        assert round(float(amount), 2) in supported, amount


# --- extractive backend ----------------------------------------------------------------------


def test_extractive_answer_states_the_calculation_and_cites_its_source() -> None:
    response = ask(make(), "J'ai 18 ans, combien je gagne en CIP ?")
    assert "848,90 €" in response.answer
    assert [c.name for c in response.calculations] == ["cip_indemnity"]
    assert response.citations[0].doc_id == "cip-bruxelles" and response.citations[0].marker == 1
    assert response.citations[0].snippet.startswith(CIP_TITLE)
    assert not response.refused and not response.fallback
    assert response.backend == "extractive" and response.conversation_id == "c1"
    assert response.latency_ms is not None
    assert_contract(response)


def test_extractive_answer_from_passages() -> None:
    response = ask(make(), "Combien de temps dure le stage d'insertion professionnelle ?")
    assert "310 jours" in response.answer
    assert response.citations[0].doc_id == "stage-insertion-professionnelle"
    assert_contract(response)


def test_a_comparison_of_two_schemes_finds_and_answers_both() -> None:
    search = LexicalSearch()
    assistant = Assistant(Settings(llm_backend="extractive", today=RECENT, retrieval_k=2), search=search)
    response = ask(assistant, "quelle durée pour une CIP, et pour le stage d'insertion ?")
    assert {"cip", "sip"} <= {tuple(c["schemes"] or ())[0] for c in search.calls if c["schemes"] and len(c["schemes"]) == 1}
    # Two passages only (k=2): both schemes' are there, and each side's duration is said.
    assert {c.doc_id for c in response.citations} == {"cip-bruxelles", "stage-insertion-professionnelle"}
    assert "1 à 6 mois" in response.answer and "310 jours" in response.answer
    assert_contract(response)


MASTER_PASSAGE = _passage(
    "master:indemnite", "cip-master-alternance", "La CIP dans les masters en alternance", "Indemnité",
    "Dans le projet des masters en alternance, l'indemnité a été fixée en 2011 par un accord-cadre "
    "patronat/syndicats/hautes écoles/cabinet JC Marcourt à un montant de base de 7.218 € par année académique "
    "(montant indexé depuis le 01/06/2016 : 7.813 €), hors indemnités fixées par ou en vertu d'autres dispositions.\n\n"
    "Suivant l'index au 01/01/2019, les entreprises ont le choix de répartir ce montant forfaitaire de 7969 € :",
    ["cip-master"],
)


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("Quel était le montant de base de l'indemnité fixé en 2011 pour les masters en alternance ?", "7.218 €"),
        ("le montant indexe depuis juin 2016 pour le master en alternance ?", "7.813 €"),
    ],
)
def test_extractive_answer_gives_the_amount_of_the_date_asked(question: str, figure: str) -> None:
    response = ask(make(passages=[*PASSAGES, MASTER_PASSAGE]), question)
    assert figure in response.answer
    assert response.answer.index(figure) < response.answer.index("7.969 €")  # the date's amount, then the latest
    assert [c.name for c in response.calculations] == ["cip_master_indemnity"]
    assert not any("montant non justifié" in g for g in response.guard), response.guard
    assert not response.refused and not response.fallback
    assert_contract(response)


def test_missing_slot_is_asked_with_the_general_figures() -> None:
    response = ask(make(), "combien je touche en cip ?")
    assert response.answer.rstrip().endswith("?") and "âge" in response.answer
    assert "848,90 €" in response.answer and not response.refused
    assert_contract(response)


# --- scope ---------------------------------------------------------------------------------------


def test_out_of_scope_is_refused_politely_without_calling_the_model() -> None:
    assistant = make("fake", ["Voici une recette de lasagnes : 500 g de pâtes."])
    response = ask(assistant, "donne moi une recette de lasagnes")
    assert response.refused
    assert response.answer.startswith("Désolé") and "CIP" in response.answer and "IFAPME" in response.answer
    assert "lasagnes" not in response.answer and not response.citations
    assert assistant._llm.i == 0  # type: ignore[union-attr]


def test_amount_the_sources_do_not_hold_is_declined_with_the_competent_body() -> None:
    response = ask(make("fake", ["Les allocations d'insertion sont de 1.200,00 € [1]."]), "c'est combien les allocations d'insertion par mois ?")
    assert response.refused
    assert "ne donne pas" in response.answer and "ONEM" in response.answer
    assert "1.200" not in response.answer
    assert_contract(response)


def test_cip_at_19_is_declined_with_the_range_of_the_sources() -> None:
    response = ask(make(), "j'ai 19 ans combien je touche en cip ?")
    assert response.refused and "ne donne pas" in response.answer
    assert {str(a) for a in find_amounts(response.answer)} <= {"848.90", "1035.20"}  # the sources' figures only
    assert_contract(response)


def test_fourth_ifapme_year_says_the_brochure_gives_no_amount() -> None:
    """A real case: the table stops at the 3rd year; the answer says so instead of listing it."""
    response = ask(make(), "je redouble et je suis en 4e annee ifapme, je touche combien ?")
    assert [(c.name, c.inputs["year"], c.result) for c in response.calculations] == [("ifapme_allocation", 4, None)]
    assert "ne donne pas de montant" in response.answer and "0800 90 133" in response.answer
    assert {str(a) for a in find_amounts(response.answer)} <= {"1073.49"}  # the table's last row only
    assert_contract(response)


# --- the guard with scripted models --------------------------------------------------------------


LEAD = "À 18 ans, l'indemnité de CIP est de 848,90 € par mois (index mai 2024) [1]."


def test_calculation_opens_the_answer_and_the_model_completes_it() -> None:
    script = ["À 18 ans, vous recevez 848,90 € par mois [1]. Cette indemnité est à charge de l'employeur [1]."]
    response = ask(make("fake", script), "J'ai 18 ans, combien je gagne en CIP ?")
    assert response.answer == LEAD + " Cette indemnité est à charge de l'employeur [1]."  # no repetition
    assert not response.fallback
    assert_contract(response)


def test_invented_figure_is_regenerated_then_replaced_by_the_extractive_answer() -> None:
    invented = "Vous recevez aussi une prime de 900,00 € par mois [1]."
    response = ask(make("fake", [invented, invented]), "J'ai 18 ans, combien je gagne en CIP ?")
    assert "900" not in response.answer and "848,90 €" in response.answer
    assert response.fallback
    assert any("900,00 €" in g for g in response.guard)
    assert any("secours" in g for g in response.guard)
    assert_contract(response)


def test_regenerated_answer_is_used_when_it_passes() -> None:
    script = ["Vous recevez aussi une prime de 900,00 € [1].", "Cette indemnité est à charge de l'employeur [1]."]
    response = ask(make("fake", script), "J'ai 18 ans, combien je gagne en CIP ?")
    assert response.answer == LEAD + " Cette indemnité est à charge de l'employeur [1]."
    assert not response.fallback and "réponse régénérée" in response.guard
    assert_contract(response)


def test_marker_to_a_missing_source_is_caught() -> None:
    script = ["Elle est à charge de l'employeur [7].", "Elle est à charge de l'employeur [1]."]
    response = ask(make("fake", script), "J'ai 18 ans, combien je gagne en CIP ?")
    assert "[7]" not in response.answer and "source inexistante : [7]" in response.guard
    assert_contract(response)


def test_model_ignoring_the_calculator_is_caught() -> None:
    wrong = "En CIP, l'indemnité est de 1.035,20 € par mois [1]."  # a brochure figure, not this user's
    response = ask(make("fake", [wrong, wrong]), "J'ai 18 ans, combien je gagne en CIP ?")
    assert response.fallback and "848,90 €" in response.answer and "1.035,20" not in response.answer
    assert "montant non justifié : 1.035,20 €" in response.guard  # strict: a result was computed
    assert_contract(response)


def test_model_answer_keeps_only_the_citations_it_uses_renumbered() -> None:
    script = ["Une CIP dure de 1 à 6 mois [2]. L'indemnité dépend de votre âge [1]."]
    assistant = Assistant(
        Settings(llm_backend="fake"), llm=FakeListChatModel(responses=script), search=LexicalSearch(),
        route=lambda *args: [],
    )
    response = ask(assistant, "Que faut-il savoir sur la CIP : durée, indemnité ?")
    assert response.answer.startswith("Une CIP dure de 1 à 6 mois [1].")
    assert [c.marker for c in response.citations] == [1, 2]
    assert_contract(response)


def test_model_timeout_falls_back_to_the_extractive_answer() -> None:
    assistant = make("fake", ["Cette indemnité est à charge de l'employeur [1]. " * 4], sleep=0.01, llm_timeout=0.05)
    response = ask(assistant, "J'ai 18 ans, combien je gagne en CIP ?")
    assert response.fallback and "848,90 €" in response.answer
    assert any("TimeoutError" in g for g in response.guard)


def test_unavailable_model_falls_back(tmp_path) -> None:
    assistant = Assistant(
        Settings(llm_backend="llamacpp", model_dir=tmp_path, llm_model="absent.gguf"), search=LexicalSearch()
    )
    response = ask(assistant, "J'ai 18 ans, combien je gagne en CIP ?")
    assert response.fallback and "848,90 €" in response.answer


def test_fake_backend_without_script_echoes_the_extractive_answer() -> None:
    fake = ask(Assistant(Settings(llm_backend="fake", today=RECENT), search=LexicalSearch()), "J'ai 18 ans, combien je gagne en CIP ?")
    extractive = ask(make(), "J'ai 18 ans, combien je gagne en CIP ?")
    assert fake.answer == extractive.answer and not fake.fallback and fake.backend == "fake"


# --- follow-ups ------------------------------------------------------------------------------------

HISTORY = [
    Turn(role="user", content="J'ai 18 ans, combien je touche en CIP ?"),
    Turn(role="assistant", content="À 18 ans, l'indemnité de CIP est de 848,90 € par mois [1]."),
]


def test_follow_up_carries_scheme_and_slots_deterministically() -> None:
    search = LexicalSearch()
    assistant = Assistant(Settings(llm_backend="extractive"), search=search)
    response = ask(assistant, "et si j'ai 21 ans ?", HISTORY)
    assert "1.035,20 €" in response.answer
    assert response.calculations[0].inputs["age"] == 21
    assert search.calls[-1]["schemes"] == ["cip"]
    assert_contract(response)


def test_follow_up_rewritten_by_a_fake_model() -> None:
    search = LexicalSearch()
    rewriter = FakeListChatModel(responses=["Combien touche-t-on en CIP à 21 ans ?"])
    assistant = Assistant(Settings(llm_backend="extractive"), rewriter=rewriter, search=search)
    response = ask(assistant, "et si j'ai 21 ans ?", HISTORY)
    assert search.calls[-1]["query"] == "Combien touche-t-on en CIP à 21 ans ?"
    assert "1.035,20 €" in response.answer


def test_follow_up_off_topic_is_refused() -> None:
    response = ask(make(), "et sinon tu connais une bonne pizzeria a namur ?", HISTORY)
    assert response.refused


# --- streaming --------------------------------------------------------------------------------------


def collect(assistant: Assistant, message: str, history: list[Turn] | None = None) -> list[StreamEvent]:
    return list(assistant.stream(ChatRequest(message=message, history=history or [])))


def test_stream_events_in_order_and_done_matches_the_tokens() -> None:
    events = collect(make("fake", ["Elle est payée par l'employeur [1]. Elle est assujettie à la sécurité sociale [1]."]), "J'ai 18 ans, combien je gagne en CIP ?")
    kinds = [e.event for e in events]
    assert kinds[-3:] == ["citations", "calculations", "done"] and set(kinds[:-3]) == {"token"}
    tokens = [e.data for e in events if e.event == "token"]
    assert tokens[0] == LEAD  # the calculation first, at once
    assert len(tokens) == 3  # then one event per sentence
    done = ChatResponse(**events[-1].data)
    assert "".join(tokens) == done.answer
    assert not done.fallback
    assert_contract(done)


def test_stream_never_emits_an_unsupported_figure() -> None:
    script = [
        "L'indemnité est à charge de l'employeur [1]. Avec la prime de fin d'année, cela fait 950,00 € [1]. "
        "Vous recevrez aussi 120 € de chèques-repas."
    ]
    events = collect(make("fake", script), "J'ai 18 ans, combien je gagne en CIP ?")
    tokens = [e.data for e in events if e.event == "token"]
    assert tokens[:2] == [LEAD, " L'indemnité est à charge de l'employeur [1]. "]
    assert not any("950" in t or "120" in t for t in tokens)
    done = ChatResponse(**events[-1].data)
    assert done.fallback and "".join(tokens) == done.answer
    assert any("950,00 €" in g for g in done.guard)
    assert_contract(done)


def test_stream_regenerates_when_the_first_sentence_fails() -> None:
    script = ["Vous touchez 999,00 € [1].", "L'indemnité est à charge de l'employeur [1]."]
    events = collect(make("fake", script), "J'ai 18 ans, combien je gagne en CIP ?")
    done = ChatResponse(**events[-1].data)
    assert done.answer == LEAD + " L'indemnité est à charge de l'employeur [1]."
    assert "réponse régénérée" in done.guard and not done.fallback


def test_stream_states_the_calculation_whatever_the_model_says() -> None:
    events = collect(make("fake", ["L'indemnité est à charge de l'employeur [1]."]), "J'ai 18 ans, combien je gagne en CIP ?")
    done = ChatResponse(**events[-1].data)
    assert done.answer.startswith(LEAD)
    assert "".join(e.data for e in events if e.event == "token") == done.answer
    assert_contract(done)


def test_stream_of_a_refusal() -> None:
    events = collect(make(), "donne moi une recette de lasagnes")
    done = ChatResponse(**events[-1].data)
    assert done.refused and "".join(e.data for e in events if e.event == "token") == done.answer


# --- assembly -----------------------------------------------------------------------------------------


def test_passages_of_other_schemes_are_left_out_when_enough_remain() -> None:
    ordered = order_by_scheme(PASSAGES, ["cip"])
    assert {p.doc_id for p in ordered} == {"cip-bruxelles"}
    assert order_by_scheme(PASSAGES, []) == PASSAGES


def test_get_assistant_is_cached_per_settings() -> None:
    settings = Settings(llm_backend="extractive")
    assert get_assistant(settings) is get_assistant(Settings(llm_backend="extractive"))
    assert get_assistant(settings) is not get_assistant(Settings(llm_backend="fake"))


@pytest.mark.parametrize("message", ["", "   "])
def test_empty_message_does_not_crash(message: str) -> None:
    response = ask(make(), message)
    assert response.answer


def test_answer_citing_nothing_is_held_back_and_regenerated() -> None:
    script = ["Actiris s'en occupe pour vous, pas de souci.", "L'indemnité est à charge de l'employeur [1]."]
    question = "qui verse l'indemnité de la CIP, Actiris ou le patron ?"
    events = collect(make("fake", script), question)
    tokens = [e.data for e in events if e.event == "token"]
    assert not any("souci" in t for t in tokens)
    done = ChatResponse(**events[-1].data)
    assert "à charge de l'employeur [1]." in done.answer and "souci" not in done.answer
    assert "aucune source citée" in done.guard
    response = ask(make("fake", script), question)
    assert "à charge de l'employeur [1]." in response.answer and "souci" not in response.answer


def test_fragments_and_bare_markers_are_dropped() -> None:
    response = ask(make("fake", ["[1] [2] [3]"]), "J'ai 18 ans, combien je gagne en CIP ?")
    assert response.answer == LEAD


def test_invented_sentence_without_figure_is_left_out() -> None:
    script = ["L'indemnité est à charge de l'employeur [1]. Les pompiers organisent des barbecues géants le dimanche [1]."]
    response = ask(make("fake", script), "J'ai 18 ans, combien je gagne en CIP ?")
    assert "barbecue" not in response.answer and "à charge de l'employeur [1]." in response.answer
    assert any("non étayée" in g for g in response.guard)
    events = collect(make("fake", script), "J'ai 18 ans, combien je gagne en CIP ?")
    assert not any("barbecue" in e.data for e in events if e.event == "token")


def test_model_sentence_without_marker_after_a_cited_lead_is_left_out_not_a_failure() -> None:
    # The lead cites its passage, so the answer cites a source: the model's sentence that cites
    # none (and is not taken from a passage) is left out, once regenerated, and the lead stands
    # without falling back to the extractive answer.
    script = ["C'est Actiris qui verse cette aide aux jeunes."]
    response = ask(make("fake", script), "J'ai 18 ans, combien je gagne en CIP ?")
    assert response.answer.startswith(LEAD) and not response.fallback and "Actiris" not in response.answer
    assert any(g.startswith(("phrase sans source retirée", "phrase non étayée retirée")) for g in response.guard)
    events = collect(make("fake", script), "J'ai 18 ans, combien je gagne en CIP ?")
    done = ChatResponse(**events[-1].data)
    assert done.answer.startswith(LEAD) and not done.fallback and "Actiris" not in done.answer
    assert_contract(response)


EXCLUDED = _passage(
    "cip:exclues", "cip-bruxelles", CIP_TITLE, "Quelles sont les activités exclues ?",
    "Il n'est pas possible de conclure une convention d'immersion professionnelle dans les situations suivantes :\n\n"
    "- Lorsque le stage prépare à l'exercice d'une profession libérale. Il s'agit notamment des stages que vous "
    "devez effectuer pour devenir avocat, architecte ou réviseur d'entreprise.",
    ["cip"],
)
PLAN = _passage(
    "cip:plan", "cip-bruxelles", CIP_TITLE, "Le plan de formation",
    "Le programme ou plan de formation fait partie intégrante de la convention. Celui-ci est établi par l'employeur "
    "en collaboration avec l'organisme compétent : Bruxelles Formation pour les chercheurs d'emploi francophones.",
    ["cip"],
)


def test_model_saying_the_opposite_of_its_source_is_replaced() -> None:
    wrong = "Oui, vous pouvez faire votre stage d'avocat sous CIP [1]."
    question = "je veux faire mon stage d'avocat sous cip c possible ?"
    response = ask(make("fake", [wrong, wrong], passages=[EXCLUDED, *PASSAGES]), question)
    assert "Oui, vous pouvez" not in response.answer and "avocat" in response.answer
    assert "phrase contredite par la source retirée" in response.guard and response.fallback
    events = collect(make("fake", [wrong, wrong], passages=[EXCLUDED, *PASSAGES]), question)
    assert not any("Oui, vous pouvez" in e.data for e in events if e.event == "token")


def test_the_sources_sentence_completes_a_terse_model_answer() -> None:
    terse = "L'employeur établit le plan de formation de la convention [1]."
    question = "qui etablit le plan de formation de la convention d'immersion ?"
    response = ask(make("fake", [terse], passages=[PLAN, *PASSAGES]), question)
    assert response.answer.startswith(terse) and "Bruxelles Formation" in response.answer
    assert not response.fallback and len(response.answer.split()) <= 120
    assert_contract(response)
    events = collect(make("fake", [terse], passages=[PLAN, *PASSAGES]), question)
    done = ChatResponse(**events[-1].data)
    assert "Bruxelles Formation" in done.answer and "".join(e.data for e in events if e.event == "token") == done.answer



def test_a_source_sentence_restating_the_answer_is_not_added() -> None:
    from assistant.answer_text import restates as _restates

    shown = "Le stage d'insertion professionnelle dure 310 jours (environ 12 mois), dès l'inscription [1]."
    same = "C'est une période obligatoire de recherche d'emploi d'une durée de 310 jours (environ 12 mois), dès l'inscription [1]."
    assert _restates(same, shown)
    assert not _restates("Le stagiaire s'inscrit au plus tard le 31 octobre [1].", shown)
    assert not _restates("La demande est gratuite et valable une seule fois par personne [1].", shown)


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("**Créer un espace personnel** [1]: ", "Créer un espace personnel [1]: "),
        ("[1] Annexe 1 : extraits de la CIP — Absences\n\nEn cas de maladie, la convention est prolongée [1].",
         "En cas de maladie, la convention est prolongée [1]."),
        ("- Forem pour la Wallonie ;\n- Actiris pour Bruxelles [1]. ", "Forem pour la Wallonie ; Actiris pour Bruxelles [1]. "),
        ("L'indemnité est de 1.035,20 € - index mai 2024 [1].", "L'indemnité est de 1.035,20 € - index mai 2024 [1]."),
    ],
)
def test_model_formatting_becomes_plain_text(raw: str, plain: str) -> None:
    from assistant.answer_text import plain as _plain

    assert _plain(raw) == plain


def test_a_sentence_the_model_repeats_is_said_once() -> None:
    twice = "Cette indemnité est à charge de l'employeur [1]. Cette indemnité est à charge de l'employeur [1]."
    response = ask(make("fake", [twice]), "J'ai 18 ans, combien je gagne en CIP ?")
    assert response.answer.count("à charge de l'employeur") == 1


def test_a_source_sentence_with_new_detail_is_added_even_if_mostly_said() -> None:
    from assistant.answer_text import adds as _adds

    shown = "Le stage d'attente est un stage effectué par les jeunes à la fin de leurs études [1]."
    richer = "Le stage d'insertion professionnelle, appelé stage d'attente auparavant, est un stage effectué par les jeunes à la fin de leurs études [1]."
    assert _adds(richer, shown)
    assert not _adds("Le stage d'attente est un stage effectué par les jeunes [1].", shown)


def test_a_figure_asked_but_not_given_names_who_knows_it() -> None:
    bonus = _passage(
        "cisp:jeune", "cisp-cefa", "La convention d'insertion socioprofessionnelle", "Aspect financier pour le jeune",
        "Pour chaque année de formation que le jeune termine avec fruit, il a droit à une prime forfaitaire, le "
        "“bonus de démarrage”.",
        ["cisp"],
    )
    response = ask(make(passages=[bonus]), "c combien le bonus de demarrage en cisp ?")
    assert "ne donnent pas de chiffre précis" in response.answer
    assert "adressez-vous à votre CEFA" in response.answer  # the competent body of the scheme
    assert_contract(response)


def test_a_copied_source_header_is_dropped() -> None:
    from assistant.answer_text import plain as _plain

    header = PASSAGES[2]  # "Le stage d'insertion professionnelle — Qu'est-ce que le stage d'insertion professionnelle ?"
    raw = f"{header.title} — {header.section} [1] C'est une période de recherche d'emploi [1]. "
    assert _plain(raw, [header]) == "C'est une période de recherche d'emploi [1]. "
    assert _plain(raw) != "C'est une période de recherche d'emploi [1]. "  # only the context's headers


def test_the_number_asked_for_comes_with_the_answer_even_after_a_long_model_text() -> None:
    contacts = _passage(
        "sip:contacts", "stage-insertion-professionnelle", "Le stage d'insertion professionnelle", "Un tremplin vers le monde professionnel",
        "Si vous avez besoin de plus de questions, vous pouvez prendre contact avec l'organisme de paiement de votre "
        "région, en l'appelant au numéro qui lui est assigné :\n- Actiris : 02 505 79 15\n- Forem : 0800/93 947",
        ["sip"],
    )
    assistant = make(passages=[contacts, *PASSAGES], answer_max_words=60)
    prep = assistant.prepare(ChatRequest(message="numero du forem pour le stage d'insertion ?"))
    shown = "Le Forem accompagne les chercheurs d'emploi de la Wallonie pendant le stage [1]. " * 8  # past the budget
    assert "0800/93 947" in assistant._complement(prep, shown)
    # Without a number asked for, the budget holds.
    prep = assistant.prepare(ChatRequest(message="le forem aide pour le stage d'insertion ?"))
    assert assistant._complement(prep, shown) == ""


# --- freshness: an amount older than ASSISTANT_STALE_AFTER_MONTHS is said to be possibly outdated ---


@pytest.mark.parametrize("backend", ["extractive", "fake"])
def test_an_old_amount_is_flagged_in_the_answer_and_on_its_card(backend: str) -> None:
    script = ["À 18 ans, vous recevez 848,90 € par mois [1]. Cette indemnité est à charge de l'employeur [1]."]
    assistant = make(backend, script if backend == "fake" else None, today=date(2026, 12, 2))
    events = list(assistant.stream(ChatRequest(message="J'ai 18 ans, combien je gagne en CIP ?")))
    tokens = "".join(e.data for e in events if e.event == "token")
    response = ChatResponse.model_validate(events[-1].data)
    assert response.answer == tokens  # streamed too, as the last sentence
    assert response.answer.endswith("Montant de mai 2024 ; il a pu être indexé depuis : vérifiez auprès de "
                                    "Bruxelles Formation ou Actiris (dispenses) ; l'ONEM pour le stage d'insertion.")
    card = response.calculations[0]
    assert (card.stale, card.dated) == (True, "1er mai 2024")
    assert card.source_titles == ["La convention d'immersion professionnelle"]
    assert_contract(response)


def test_a_recent_amount_or_a_question_without_amount_has_no_note() -> None:
    recent = ask(make(today=date(2024, 8, 1)), "J'ai 18 ans, combien je gagne en CIP ?")
    assert "indexé depuis" not in recent.answer and recent.calculations[0].stale is False
    later = ask(make(today=date(2026, 12, 2)), "Combien de temps dure le stage d'insertion professionnelle ?")
    assert "indexé depuis" not in later.answer
    bound = ask(make(today=date(2026, 12, 2), stale_after_months=60), "J'ai 18 ans, combien je gagne en CIP ?")
    assert "indexé depuis" not in bound.answer
