"""The guard: euro figures, numbers with units, citation markers, calculator results, streaming gate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant import guard
from assistant.calculator import Calculation
from assistant.schemas import Passage

CIP = Passage(
    chunk_id="cip:1",
    doc_id="cip-bruxelles",
    title="La convention d'immersion professionnelle",
    section="Quelle indemnité ?",
    text=(
        "La convention d'immersion professionnelle — Quelle indemnité ?\n"
        "L'indemnité dépend de votre âge et variera de 848,90€ (18 ans) à 1.035,20 € (21 ans et plus) – index mai 2024"
    ),
    schemes=["cip"],
)
SIP = Passage(
    chunk_id="sip:1",
    doc_id="stage-insertion-professionnelle",
    title="Le stage d'insertion professionnelle",
    section="Durée",
    text="C'est une période obligatoire de recherche d'emploi d'une durée de 310 jours (environ 12 mois).",
    schemes=["sip"],
)
CALC_18 = Calculation(
    name="cip_indemnity",
    label="Indemnité mensuelle de CIP",
    inputs={"age": 18},
    result=Decimal("848.90"),
    statement="À 18 ans, l'indemnité de CIP est de 848,90 € par mois (index mai 2024).",
    source_ids=["cip-bruxelles"],
)


@pytest.fixture
def evidence() -> guard.Evidence:
    return guard.Evidence.build([CALC_18], [CIP, SIP], ["J'ai 18 ans, combien en CIP ?"])


def test_calculated_and_cited_figures_pass(evidence: guard.Evidence) -> None:
    verdict = guard.check("À 18 ans, vous touchez 848,90 € par mois [1]. Le stage dure 310 jours [2].", evidence)
    assert verdict.ok, verdict.problems()


@pytest.mark.parametrize("written", ["900,00 €", "900 euros", "€ 900", "900e", "1.900,00 €"])
def test_invented_euro_figure_is_caught_in_any_format(evidence: guard.Evidence, written: str) -> None:
    verdict = guard.check(f"Vous touchez 848,90 € [1] et une prime de {written} [1].", evidence)
    assert not verdict.ok
    assert verdict.unsupported_amounts
    assert any("non justifié" in p for p in verdict.problems())


def test_figure_of_an_uncited_passage_is_repaired_by_citing_it() -> None:
    evidence = guard.Evidence.build([], [SIP, CIP])
    verdict = guard.check("Le stage dure 310 jours [1]. À 21 ans et plus : 1.035,20 € par mois.", evidence)
    assert verdict.ok
    assert verdict.text.endswith("1.035,20 € par mois [2].")
    assert verdict.repairs == ["source [2] ajoutée pour 1.035,20 €"]


def test_figure_of_a_passage_cited_earlier_needs_no_repair() -> None:
    evidence = guard.Evidence.build([], [CIP, SIP])
    verdict = guard.check("À 18 ans : 848,90 € [1]. À 21 ans et plus : 1.035,20 € par mois.", evidence)
    assert verdict.ok and not any("pour 1.035,20" in r for r in verdict.repairs)


def test_sentence_taken_from_a_passage_without_marker_gets_its_citation(evidence: guard.Evidence) -> None:
    verdict = guard.check(
        "À 18 ans : 848,90 € [1]. C'est une période obligatoire de recherche d'emploi après les études.", evidence
    )
    assert verdict.text.endswith("après les études [2].")
    unrelated = guard.check("À 18 ans : 848,90 € [1]. Bonne chance pour la suite de vos démarches !", evidence)
    assert unrelated.text.endswith("démarches !")


def test_figure_of_a_cited_passage_passes_without_repair() -> None:
    evidence = guard.Evidence.build([], [CIP, SIP])
    verdict = guard.check("À 18 ans : 848,90 € [1], à 21 ans : 1.035,20 € [1].", evidence)
    assert verdict.ok and not verdict.repairs


def test_marker_to_a_missing_source_is_caught(evidence: guard.Evidence) -> None:
    verdict = guard.check("À 18 ans, l'indemnité est de 848,90 € par mois [7].", evidence)
    assert verdict.bad_markers == [7]
    assert not verdict.ok


def test_ignoring_the_calculator_is_caught_even_with_a_brochure_figure(evidence: guard.Evidence) -> None:
    # 1.035,20 € is in the brochure, but a result was computed for this user: strict mode.
    verdict = guard.check("En CIP, l'indemnité est de 1.035,20 € par mois [1].", evidence)
    assert evidence.strict
    assert verdict.unsupported_amounts == [Decimal("1035.20")]
    assert verdict.missing_results  # and the computed result is not stated
    assert not verdict.ok


def test_invented_duration_is_caught(evidence: guard.Evidence) -> None:
    assert not guard.check("Le stage d'insertion dure 400 jours [2]. Vous touchez 848,90 € [1].", evidence).ok
    assert guard.check("Vous avez 18 ans : 848,90 € [1]. Il dure 310 jours [2].", evidence).ok


def test_marker_spellings_are_normalized() -> None:
    assert guard.normalize_markers("voir [1, 2] et [Source 3]") == "voir [1][2] et [3]"
    assert guard.markers_in("a [1][2] b [source 4]") == [1, 2, 4]


def test_renumbering_follows_first_use() -> None:
    renumber = guard.Renumberer()
    assert renumber.apply("a [3] b [1] c [3]") == "a [1] b [2] c [1]"
    assert renumber.order() == [(3, 1), (1, 2)]


def test_gate_releases_only_checked_sentences(evidence: guard.Evidence) -> None:
    gate = guard.SentenceGate(evidence)
    released: list[str] = []
    text = "À 18 ans, vous touchez 848,90 € par mois [1]. Avec la prime, cela fait 950,00 € [1]. Fin."
    for i in range(0, len(text), 7):
        released += gate.feed(text[i : i + 7])
    released += gate.finish()
    assert released == ["À 18 ans, vous touchez 848,90 € par mois [1]. "]
    assert gate.failed
    assert "950" not in "".join(released)


def test_gate_holds_a_sentence_until_its_marker_is_known(evidence: guard.Evidence) -> None:
    gate = guard.SentenceGate(evidence)
    assert gate.feed("Vous touchez 848,90 €.") == []
    assert gate.feed(" ") == []
    assert gate.feed("[1] Ensuite") == ["Vous touchez 848,90 €. [1] "]
    assert gate.finish() == ["Ensuite"]


def test_gate_holds_uncited_sentences_until_a_cited_one() -> None:
    evidence = guard.Evidence.build([], [CIP, SIP])
    gate = guard.SentenceGate(evidence)
    assert gate.feed("Bonne question. ") == []
    assert gate.feed("Le stage dure 310 jours [2]. Fin") == ["Bonne question. ", "Le stage dure 310 jours [2]. "]
    assert gate.finish() == ["Fin"]


def test_gate_fails_an_answer_that_never_cites() -> None:
    gate = guard.SentenceGate(guard.Evidence.build([], [CIP, SIP]))
    assert gate.feed("Actiris. Voilà.") == []
    assert gate.finish() == [] and gate.failed and gate.failure.uncited


EXCLUSIONS = Passage(
    chunk_id="cip:exclues",
    doc_id="cip-bruxelles",
    title="La convention d'immersion professionnelle",
    section="Quelles sont les activités exclues ?",
    text=(
        "Il n'est pas possible de conclure une convention d'immersion professionnelle dans les situations suivantes :\n\n"
        "- Lorsque le stage concerne les activités de formation effectuées dans le cadre de votre contrat de travail ;\n"
        "- Lorsque le stage prépare à l'exercice d'une profession libérale. Il s'agit notamment des stages que vous "
        "devez effectuer pour devenir avocat, architecte ou réviseur d'entreprise.\n\n"
        "Le stagiaire peut conclure un contrat d'étudiant auprès d'un autre employeur."
    ),
    schemes=["cip"],
)


def test_list_items_take_the_polarity_of_the_line_that_introduces_them() -> None:
    # The intro line, its two items (the second one of two sentences), then a sentence of its own.
    polar = guard.polar_sentences(EXCLUSIONS)
    assert [neg for _, neg in polar] == [True, True, True, False]


@pytest.mark.parametrize(
    ("sentence", "contradicts"),
    [
        ("Oui, vous pouvez faire votre stage d'avocat sous CIP [1].", True),
        ("C'est possible car le stage concerne les activités de formation de votre contrat de travail [1].", True),
        ("Non, un stage pour devenir avocat ne peut pas se faire sous CIP [1].", False),
        ("Vous pouvez conclure un contrat d'étudiant auprès d'un autre employeur [1].", False),
        ("Non, vous ne pouvez pas conclure de contrat d'étudiant auprès d'un autre employeur [1].", True),
        ("Le ciel est bleu aujourd'hui [1].", False),  # nothing close in the source: not judged here
    ],
)
def test_a_sentence_saying_the_opposite_of_its_source_is_caught(sentence: str, contradicts: bool) -> None:
    evidence = guard.Evidence.build([], [EXCLUSIONS])
    assert guard.contradicts(sentence, evidence) is contradicts


def test_ties_between_source_sentences_are_broken_by_all_words() -> None:
    onss = Passage(
        chunk_id="ifapme:onss", doc_id="ifapme-convention-stage", title="IFAPME", section="ONSS",
        text="Le stagiaire ne doit pas payer de cotisations personnelles à l'ONSS. "
        "L'entreprise bénéficie de réductions de cotisations ONSS.",
        schemes=["ifapme"],
    )
    evidence = guard.Evidence.build([], [onss])
    assert guard.contradicts("Oui, vous payez des cotisations ONSS [1].", evidence)
    assert not guard.contradicts("Non, vous ne payez pas de cotisations personnelles ONSS [1].", evidence)
