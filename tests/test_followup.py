"""Follow-ups made standalone: deterministic carry-over of scheme and slots, checked model rewrites."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.followup import check_rewrite, is_followup, resolve
from assistant.schemas import Turn

HISTORY = [
    Turn(role="user", content="J'ai 18 ans, combien je touche en CIP ?"),
    Turn(role="assistant", content="À 18 ans, l'indemnité de CIP est de 848,90 € par mois [1]."),
]
IFAPME = [
    Turn(role="user", content="jsuis en 2e annee ifapme non qualifie combien je touche"),
    Turn(role="assistant", content="En 2e année, non qualifié : 908,29 € brut par mois."),
]


def test_no_history_means_no_follow_up() -> None:
    standalone = resolve("J'ai 18 ans, combien en CIP ?", [])
    assert not standalone.followup and standalone.question == "J'ai 18 ans, combien en CIP ?"
    assert standalone.schemes == ["cip"] and standalone.slots.age == 18


def test_follow_up_detection() -> None:
    assert is_followup("et si j'ai 21 ans ?", HISTORY)
    assert is_followup("et à Bruxelles ?", HISTORY)
    assert not is_followup("Combien gagne un stagiaire IFAPME qualifié en première année de formation ?", HISTORY)
    assert not is_followup("et si j'ai 21 ans ?", [])


def test_rules_carry_scheme_and_slots_and_the_new_value_wins() -> None:
    standalone = resolve("et si j'ai 21 ans ?", HISTORY)
    assert standalone.followup and standalone.rewritten_by == "rules"
    assert standalone.schemes == ["cip"]
    assert standalone.slots.age == 21
    assert standalone.question.startswith("et si j'ai 21 ans ?")
    assert "CIP" in standalone.question  # the earlier question it continues


def test_rules_carry_year_and_qualification() -> None:
    standalone = resolve("et en 3e année ?", IFAPME)
    assert standalone.schemes == ["ifapme"]
    assert standalone.slots.year == 3 and standalone.slots.qualified is False


def test_switching_scheme_drops_the_old_scheme_name() -> None:
    standalone = resolve("et en IFAPME ?", HISTORY)
    assert standalone.schemes == ["ifapme"]
    assert "cip" not in standalone.question.lower().replace("ifapme", "")


def test_model_rewrite_is_used_when_it_keeps_scheme_and_slots() -> None:
    model = FakeListChatModel(responses=["Combien touche-t-on en CIP à 21 ans ?"])
    standalone = resolve("et si j'ai 21 ans ?", HISTORY, llm=model)
    assert standalone.rewritten_by == "model"
    assert standalone.question == "Combien touche-t-on en CIP à 21 ans ?"
    assert standalone.slots.age == 21


def test_model_rewrite_that_changes_a_slot_is_rejected() -> None:
    model = FakeListChatModel(responses=["Combien touche-t-on en CIP à 18 ans ?"])
    standalone = resolve("et si j'ai 21 ans ?", HISTORY, llm=model)
    assert standalone.rewritten_by == "rules"
    assert standalone.slots.age == 21


def test_model_rewrite_that_loses_the_scheme_or_adds_a_figure_is_rejected() -> None:
    assert check_rewrite("Combien touche-t-on à 21 ans ?", "et si j'ai 21 ans ?", HISTORY, ["cip"])
    problems = check_rewrite("En CIP à 21 ans, est-ce 1.200 € ?", "et si j'ai 21 ans ?", HISTORY, ["cip"])
    assert "montant ajouté" in problems


def test_failing_model_falls_back_to_rules() -> None:
    class Broken(FakeListChatModel):
        def _call(self, *args, **kwargs):  # type: ignore[override]
            raise RuntimeError("server down")

        def _stream(self, *args, **kwargs):  # type: ignore[override]
            raise RuntimeError("server down")

    standalone = resolve("et si j'ai 21 ans ?", HISTORY, llm=Broken(responses=["x"]))
    assert standalone.rewritten_by == "rules" and standalone.slots.age == 21


def test_a_model_rewrite_that_loses_what_is_asked_is_rejected() -> None:
    history = [Turn(role="user", content="c quoi une cisp"), Turn(role="assistant", content="Une formation en alternance entre un CEFA et une entreprise.")]
    assert check_rewrite("C'est quoi une CISP ?", "c'est jusqu'a quel age ?", history, ["cisp"]) == ["mots perdus : age"]
    assert check_rewrite("Jusqu'à quel âge peut-on faire une CISP ?", "c'est jusqu'a quel age ?", history, ["cisp"]) == []
