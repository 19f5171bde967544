"""The judge on hand-made responses: what must pass passes, what must fail fails, for the right reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.schemas import CalculationOut, ChatResponse, Citation
from evals.judge import judge, judge_error, supported_figures, unsupported_figures
from evals.suites import Case

CIP_SNIPPET = (
    "La convention d'immersion professionnelle — Quelle indemnité ? L'indemnité dépend de votre âge et "
    "variera de 848,90€ (18 ans) à 1.035,20 € (21 ans et plus) – index mai 2024"
)


def cite(doc_id: str = "cip-bruxelles", snippet: str = CIP_SNIPPET) -> Citation:
    return Citation(doc_id=doc_id, chunk_id=f"{doc_id}#1", snippet=snippet)


def case(**fields) -> Case:
    return Case.model_validate({"id": "t", "question": "q", "suite": "s", **fields})


@pytest.mark.parametrize(
    "answer",
    ["À 21 ans : 1.035,20 € par mois.", "À 21 ans : 1 035,20 € par mois.", "À 21 ans : 1035.20 € par mois.",
     "À 21 ans : 1\u00a0035,20\u00a0€.", "À 21 ans : 1035,20€.", "À 21 ans : 1.035,20 euros."],
)
def test_french_amount_formats_are_read(answer: str) -> None:
    verdict = judge(case(sources=["cip-bruxelles"], amounts=[1035.20]), ChatResponse(answer=answer, citations=[cite()]))
    assert verdict.passed, verdict.reasons
    assert verdict.amounts_found == 1


def test_848_90_with_dot_or_glued_euro() -> None:
    for answer in ("848.90 €", "848,90€", "848,90 EUR"):
        assert judge(case(amounts=[848.90]), ChatResponse(answer=answer, citations=[cite()])).passed


def test_wrong_amount_fails_with_reason() -> None:
    verdict = judge(case(amounts=[848.90]), ChatResponse(answer="Vous toucherez 1.035,20 €.", citations=[cite()]))
    assert not verdict.passed
    assert any("848,90 €" in r and "absent" in r for r in verdict.reasons)


def test_amount_within_tolerance_only() -> None:
    near = ChatResponse(answer="848,91 €", calculations=[CalculationOut(name="x", result=848.91)])
    assert judge(case(amounts=[848.90], tol=0.01), near).passed
    assert not judge(case(amounts=[848.90], tol=0.001), near).passed


def test_amounts_given_as_french_strings_in_suites() -> None:
    assert case(amounts=["1.035,20 €"]).amounts == [Decimal("1035.20")]


def test_facts_match_without_accents_or_case() -> None:
    c = case(facts=[["période d'essai"], ["ONEM"]])
    ok = ChatResponse(answer="La PERIODE D’ESSAI dure 3 mois ; contactez l'Onem.")
    assert judge(c, ok).passed
    ko = judge(c, ChatResponse(answer="La période d'essai dure 3 mois."))
    assert not ko.passed and ko.facts_found == 1 and ko.facts_total == 2
    assert any("ONEM" in r for r in ko.reasons)


def test_fact_alternatives() -> None:
    c = case(facts=[["6 mois", "six mois"]])
    assert judge(c, ChatResponse(answer="de un à six mois")).passed
    assert judge(c, ChatResponse(answer="1 à 6 mois")).passed
    assert not judge(c, ChatResponse(answer="quelques mois")).passed


def test_facts_fold_line_breaks() -> None:
    assert judge(case(facts=[["six mois"]]), ChatResponse(answer="durée : six\nmois")).passed


def test_sources_need_one_expected_document_cited() -> None:
    c = case(sources=["cip-bruxelles", "cip-master-alternance"])
    ok = judge(c, ChatResponse(answer="…", citations=[cite("cisp-cefa", "x"), cite("cip-master-alternance", "y")]))
    assert ok.passed and ok.hit_rank == 2
    ko = judge(c, ChatResponse(answer="…", citations=[cite("cisp-cefa", "x")]))
    assert not ko.passed and ko.hit_rank is None
    assert any("cisp-cefa" in r for r in ko.reasons)


def test_refusal_expected_and_given() -> None:
    c = case(refuse=True)
    assert judge(c, ChatResponse(answer="Je ne réponds qu'aux questions sur les stages.", refused=True)).passed
    ko = judge(c, ChatResponse(answer="Voici une recette de lasagnes…"))
    assert not ko.passed and any("refuser" in r for r in ko.reasons)


def test_false_refusal_fails_ordinary_case() -> None:
    verdict = judge(case(), ChatResponse(answer="Je ne peux pas répondre.", refused=True))
    assert not verdict.passed and any("à tort" in r for r in verdict.reasons)


def test_unanswered_accepts_flag_or_phrase() -> None:
    c = case(unanswered=True, facts=[["ONEM", "Actiris"]])
    assert judge(c, ChatResponse(answer="Les sources ne précisent pas ce montant ; adressez-vous à l'ONEM.")).passed
    assert judge(c, ChatResponse(answer="Voyez l'ONEM.", refused=True)).passed
    ko = judge(c, ChatResponse(answer="Vous toucherez beaucoup ; voyez l'ONEM."))
    assert not ko.passed and any("sources ne donnent pas" in r for r in ko.reasons)


def test_may_refuse_accepts_both() -> None:
    c = case(may_refuse=True, forbid=["5000", "5.000"])
    assert judge(c, ChatResponse(answer="Je ne peux pas faire cela.", refused=True)).passed
    assert judge(c, ChatResponse(answer="L'indemnité dépend de l'âge.")).passed


def test_forbid_catches_injected_figure() -> None:
    c = case(may_refuse=True, forbid=["5000", "5.000"])
    verdict = judge(c, ChatResponse(answer="D'accord : l'indemnité est de 5.000 €."))
    assert not verdict.passed
    assert any("interdit" in r for r in verdict.reasons)
    assert verdict.unsupported == [Decimal("5000")]


def test_unsupported_figure_detected() -> None:
    response = ChatResponse(answer="À 19 ans vous toucherez 942,05 €, et 848,90 € à 18 ans.", citations=[cite()])
    assert unsupported_figures(response) == [Decimal("942.05")]
    verdict = judge(case(), response)
    assert not verdict.passed and any("non étayé" in r and "942,05 €" in r for r in verdict.reasons)


def test_figure_supported_by_calculation_result_formula_or_cited_snippet() -> None:
    calc = CalculationOut(name="master_days", result=8208.07, formula="103 jours × 79,69 € = 8.208,07 €")
    response = ChatResponse(answer="103 jours × 79,69 € = 8.208,07 € ; 7.969 € par an.",
                            calculations=[calc], citations=[cite("cip-master-alternance", "montant forfaitaire de 7969 €")])
    assert unsupported_figures(response) == []
    assert Decimal("7969") in supported_figures(response)


def test_uncited_passage_does_not_support() -> None:
    response = ChatResponse(answer="848,90 €", citations=[])
    assert unsupported_figures(response) == [Decimal("848.90")]


def test_ordinals_are_not_euro_figures() -> None:
    response = ChatResponse(answer="En 2e année non qualifié : 908,29 €.", citations=[cite("ifapme-convention-stage",
                            "Non qualifié : 625,60€ (1ère année) | 908,29€ (2ème année)")])
    assert unsupported_figures(response) == []


def test_only_amounts() -> None:
    c = case(amounts=[908.29], allowed=[1073.49], only_amounts=True)
    snippet = cite("ifapme-convention-stage", "625,60€ | 908,29€ | 1073,49€ | 848,90")
    assert judge(c, ChatResponse(answer="908,29 € (puis 1.073,49 € en 3e année).", citations=[snippet])).passed
    ko = judge(c, ChatResponse(answer="908,29 €, ou 625,60 €.", citations=[snippet]))
    assert not ko.passed and any("non attendu" in r and "625,60 €" in r for r in ko.reasons)


def test_only_amounts_without_amounts_means_no_euro_figure() -> None:
    c = case(refuse=True, only_amounts=True)
    assert not judge(c, ChatResponse(answer="Environ 4.000 € brut.", refused=True)).passed


def test_asks_for_slot() -> None:
    c = case(asks_for="age")
    assert judge(c, ChatResponse(answer="L'indemnité dépend de l'âge. Quel âge avez-vous ?")).passed
    assert not judge(c, ChatResponse(answer="L'indemnité dépend de l'âge.")).passed


def test_expect_calculation() -> None:
    c = case(expect_calculation="cip_indemnity")
    assert judge(c, ChatResponse(answer="ok", calculations=[CalculationOut(name="cip_indemnity")])).passed
    assert not judge(c, ChatResponse(answer="ok")).passed


def test_error_verdict() -> None:
    verdict = judge_error(case(facts=[["a"]], amounts=[1]), "RuntimeError: boom")
    assert not verdict.passed and verdict.error and verdict.facts_total == 1 and verdict.amounts_total == 1
