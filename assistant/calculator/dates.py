"""The date a question asks about ("fixé en 2011", "depuis juin 2016", "au 01/06/2016").

A question about a past amount gets the rate valid then (rates.RateTable.at), not today's. The
user writes a period (a year, a month or a day): the rate looked up is the one in force on its last
day, so "en 2016" and "depuis juin 2016" both find an indexation of 01/06/2016. "avant 2011" asks
about the day before the period. The words are read by slots.py with vocabulary.yaml (`as_of`).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.calculator.vocabulary import load_vocabulary

# A year is only read in this range: vocabulary.yaml's as_of.limits, for the text and the tools alike.
FIRST_YEAR, LAST_YEAR = (int(y) for y in load_vocabulary().slots["as_of"]["limits"])


def month_names() -> dict[int, str]:
    """Month number -> its French name as answers write it (the keys of vocabulary.yaml's months)."""
    months = load_vocabulary().slots["as_of"]["months"]
    return {number: name for number, name in enumerate(months, start=1)}


class AsOf(BaseModel):
    """A year, a month of a year, or a day; `before`: the question asks about the time before it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    before: bool = False

    @model_validator(mode="after")
    def _a_real_date(self) -> AsOf:
        if self.day is not None:
            if self.month is None:
                raise ValueError("a day needs a month")
            date(self.year, self.month, self.day)  # ValueError for 31/02
        return self

    @property
    def start(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def end(self) -> date:
        if self.day is not None:
            return self.start
        if self.month is not None:
            return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return date(self.year, 12, 31)

    @property
    def when(self) -> date:
        """The day whose rate answers the question: the period's last day, or the day before it."""
        return self.start - timedelta(days=1) if self.before else self.end

    def label(self) -> str:
        """French, lower case: "en 2011", "en juin 2016", "au 01/06/2016", "avant 2011"."""
        if self.day is not None:
            written = self.start.strftime("%d/%m/%Y")
            return f"avant le {written}" if self.before else f"au {written}"
        written = f"{month_names()[self.month]} {self.year}" if self.month is not None else str(self.year)
        return f"avant {written}" if self.before else f"en {written}"
