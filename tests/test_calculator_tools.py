"""The calculations as LangChain StructuredTools: schemas, content and artifact."""

from __future__ import annotations

from decimal import Decimal

import pytest
from langchain_core.messages import ToolMessage
from pydantic import ValidationError

from assistant.calculator import Calculation, calculator_tools
from assistant.calculator.ifapme import ifapme_allocation, ifapme_total
from assistant.calculator.master import cip_master_indemnity, cip_master_total
from assistant.calculator.thresholds import dependent_check

TOOLS = {t.name: t for t in calculator_tools()}


def call(name: str, **args: object) -> ToolMessage:
    return TOOLS[name].invoke({"name": name, "args": args, "id": "call-1", "type": "tool_call"})


def test_one_tool_per_calculation() -> None:
    assert set(TOOLS) == {
        "cip_indemnity", "cip_total", "cip_master_indemnity", "cip_master_total",
        "ifapme_allocation", "ifapme_total", "ifapme_yearly", "cisp_indemnity", "sip_allowance",
        "family_allowance_check", "dependent_check", "tax_check",
        "paid_leave", "duration", "notice_period", "suspension_pay",
    }
    for tool in TOOLS.values():
        assert tool.description and tool.args_schema is not None


def test_tool_returns_text_and_the_calculation() -> None:
    message = call("cip_indemnity", age=18)
    assert "848,90 €" in message.content
    assert isinstance(message.artifact, Calculation) and message.artifact.result == Decimal("848.90")


def test_cisp_tool_reproduces_the_example() -> None:
    message = call("cisp_indemnity", age=18, year=3, hours_per_week=24)
    assert message.artifact.result == Decimal("451.12")
    assert "451,12 €" in message.content


def test_tool_results_equal_the_functions() -> None:
    assert call("ifapme_total", year=2, qualified=False, months=6).artifact == ifapme_total(2, False, 6)
    assert call("cip_master_total", days=103).artifact == cip_master_total(days=103)
    assert call("dependent_check", amount=700, period="month", single_parent=True).artifact == dependent_check(
        Decimal(700), "month", "single_parent"
    )


def test_missing_slot_content_says_what_to_ask() -> None:
    message = call("ifapme_allocation", year=2)
    assert "Question à poser : Êtes-vous qualifié ou non ?" in message.content


def test_a_year_after_the_table_is_accepted_and_answered_without_a_figure() -> None:
    message = call("ifapme_allocation", year=4, qualified=False)
    assert message.artifact.result is None and "ne donne pas de montant" in message.content
    assert message.artifact == ifapme_allocation(4, False)
    cisp = call("cisp_indemnity", age=16, year=4, hours_per_week=24)
    assert cisp.artifact.result is None and "CEFA" in cisp.content


def test_tools_without_arguments() -> None:
    assert call("cip_master_indemnity").artifact.result == Decimal(7969)
    assert call("sip_allowance").artifact.result is None


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("ifapme_allocation", {"year": 7}),
        ("cisp_indemnity", {"age": 16, "year": 0, "hours_per_week": 24}),
        ("cip_indemnity", {"age": "dix-huit"}),
        ("tax_check", {"amount": 9000, "period": "week"}),
        ("duration", {"scheme": "erasmus"}),
    ],
)
def test_invalid_arguments_are_rejected(name: str, args: dict) -> None:
    with pytest.raises(ValidationError):
        TOOLS[name].invoke(args)


def test_json_schema_for_models() -> None:
    schema = TOOLS["cisp_indemnity"].args_schema.model_json_schema()
    assert set(schema["required"]) == {"age", "year", "hours_per_week"}


def test_master_tool_takes_the_year_asked() -> None:
    from assistant.calculator.dates import AsOf

    assert call("cip_master_indemnity").artifact == cip_master_indemnity()
    message = call("cip_master_indemnity", as_of_year=2011)
    assert message.artifact == cip_master_indemnity(AsOf(year=2011)) and "7.218 €" in message.content
    with pytest.raises(ValidationError):
        call("cip_master_indemnity", as_of_year=1990)
