"""The Calculation: one computed answer with everything needed to show and check it.

The chain shows `statement`, the API returns `to_api()`, and the guard accepts exactly the euro
figures listed in `figures` (filled from the texts themselves, so they cannot drift apart).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from assistant.calculator.money import find_amounts
from assistant.schemas import CalculationOut

# What a calculation was given (age, year, qualified, hours, amount, period, scheme, a date as ISO text).
InputValue = Decimal | bool | int | float | str | None
Verdict = Literal["above", "below", "equal"]


class Calculation(BaseModel):
    name: str
    label: str
    inputs: dict[str, InputValue] = Field(default_factory=dict)
    result: Decimal | None = None
    unit: str = "EUR"
    formula: str = ""
    source_ids: list[str] = Field(default_factory=list)
    valid_from: str | None = None  # ISO date
    date_label: str | None = None
    notes: list[str] = Field(default_factory=list)
    statement: str = ""
    missing: list[str] = Field(default_factory=list)
    ask: str | None = None
    figures: list[Decimal] = Field(default_factory=list)
    # Extensions: the rates used (ids in rates.yaml, for citing their quotes) and, for a
    # threshold check, whether the amount is above or below the ceiling.
    rate_ids: list[str] = Field(default_factory=list)
    verdict: Verdict | None = None

    @model_validator(mode="after")
    def _collect_figures(self) -> Calculation:
        """Every euro figure written in the texts, plus the result when it is money."""
        found = list(self.figures)
        for text in [self.statement, self.formula, *self.notes]:
            found.extend(find_amounts(text))
        if self.result is not None and self.unit.startswith("EUR"):
            found.append(self.result)
        unique: list[Decimal] = []
        for value in found:
            if value not in unique:
                unique.append(value)
        self.figures = unique
        return self

    @property
    def ok(self) -> bool:
        """A figure was computed (nothing missing, nothing outside the sources)."""
        return self.result is not None

    def text(self) -> str:
        """Statement, formula and notes as one French block (for prompts and extractive answers)."""
        parts = [self.statement]
        if self.formula:
            parts.append(f"Calcul : {self.formula}")
        parts.extend(self.notes)
        return "\n".join(p for p in parts if p)

    def to_api(self) -> CalculationOut:
        return CalculationOut(
            name=self.name,
            inputs={k: _json_value(v) for k, v in self.inputs.items()},
            result=float(self.result) if self.result is not None else None,
            unit=self.unit,
            formula=self.formula,
            source_ids=list(self.source_ids),
            valid_from=self.valid_from,
            notes=list(self.notes),
            label=self.label,
            statement=self.statement,
            date_label=self.date_label or "",  # CalculationOut.date_label is a str; some rates have none
            missing=list(self.missing),
            ask=self.ask,
        )


def _json_value(value: InputValue) -> bool | int | float | str | None:
    """A Decimal input as JSON shows it: 24 rather than 24.0, 19.5 as a float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
