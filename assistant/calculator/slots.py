"""A user's situation read from French text: age, year, qualification, hours, amounts...

Young people write "g 19a", "jsuis en 2eme annee pas qualifie", "je gagne 800 par mois": every
pattern lives in vocabulary.yaml and is matched on folded text (assistant.text.fold). Each value
consumes its span so "5 jours par semaine" is not also read as 5 days. Nothing is guessed: a slot
the text does not state stays None.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.calculator.common import MAX_YEAR
from assistant.calculator.dates import AsOf
from assistant.calculator.intents import detect_intents
from assistant.calculator.money import _NUMBER, iter_amounts, parse_number
from assistant.calculator.vocabulary import load_vocabulary, word_to_int
from assistant.schemes import detect_region, detect_schemes
from assistant.text import fold


class Slots(BaseModel):
    age: int | None = None
    # Up to MAX_YEAR (a repeated or extended year): the tables stop at the 3rd year and the
    # calculations say so for a later one rather than ignore it.
    year: int | None = Field(default=None, ge=1, le=MAX_YEAR)
    qualified: bool | None = None
    hours_per_week: Decimal | None = None
    days_per_week: int | None = None
    days: int | None = None
    months: int | None = None
    amount: Decimal | None = None
    amount_period: Literal["month", "year"] | None = None
    region: str | None = None
    schemes: list[str] = Field(default_factory=list)
    single_parent: bool | None = None
    # The date the question asks about ("fixé en 2011", "depuis juin 2016"): the calculations then
    # give the rate valid at that date. It belongs to its turn: a later turn without a date asks
    # about today's amounts again, so merge() never carries it over.
    as_of: AsOf | None = None
    # Extension: what the turn asked for (amount, family_allowance, paid_leave...), carried over
    # so that a turn which only answers a question ("j'ai 19 ans") completes the earlier request.
    intents: list[str] = Field(default_factory=list)

    def merge(self, newer: Slots) -> Slots:
        """Earlier turns' values, overridden by what the newer turn states."""
        data = self.model_dump()
        for name, value in newer.model_dump().items():
            if name in ("schemes", "intents"):
                if value:
                    data[name] = value
            elif name == "as_of" or value is not None:
                data[name] = value
        if newer.amount is not None:
            data["amount_period"] = newer.amount_period  # a period belongs to its amount
        return Slots(**data)

    def stated(self) -> dict[str, Any]:
        """The slots this object actually holds (for logs and tests)."""
        return {k: v for k, v in self.model_dump().items() if v not in (None, [])}

    def has_situation(self) -> bool:
        """Does it state anything a calculation uses (beyond schemes and intents)? A date alone is
        no situation: "combien en 2024 ?" names nothing of internships."""
        ignored = ("schemes", "intents", "region", "as_of")
        return any(v not in (None, []) for k, v in self.model_dump().items() if k not in ignored)


class _Text:
    """Folded text whose matched spans are blanked, so one phrase feeds one slot."""

    def __init__(self, text: str) -> None:
        self.text = fold(text)

    def take(self, start: int, end: int) -> None:
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]


@lru_cache
def _compiled(pattern: str) -> re.Pattern[str]:
    vocab = load_vocabulary()
    decimal = rf"(?P<num>\d+(?:[.,]\d+)?|{vocab.number_pattern[len('(?P<num>'):-1]})"
    return re.compile(pattern.replace("{n}", vocab.number_pattern).replace("{x}", decimal))


def _number(token: str) -> Decimal | None:
    token = token.strip()
    if token and token[0].isdigit():
        return parse_number(token.replace(".", ",")) if re.fullmatch(r"\d+[.,]\d+", token) else Decimal(token)
    value = word_to_int(token)
    return Decimal(value) if value is not None else None


def _within(value: Decimal | None, limits: list[int]) -> bool:
    return value is not None and limits[0] <= value <= limits[1]


def _first_number(t: _Text, slot: str, reject_before: str | None = None) -> Decimal | None:
    spec = load_vocabulary().slots[slot]
    for pattern in spec["patterns"]:
        for m in _compiled(pattern).finditer(t.text):
            if reject_before and re.search(reject_before, t.text[: m.start()]):
                continue
            value = _number(m.group("num"))
            if _within(value, spec["limits"]):
                t.take(m.start(), m.end())
                return value
    return None


def _as_of(t: _Text) -> AsOf | None:
    """The date asked about; a number only counts as a year in the as_of limits (2000-2099)."""
    spec = load_vocabulary().slots["as_of"]
    names = {fold(spelling): number for number, spellings in enumerate(spec["months"].values(), start=1)
             for spelling in spellings}
    month_pattern = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    reject, before = re.compile(spec["reject_after"]), re.compile(spec["before"])
    for pattern in spec["patterns"]:
        for m in re.finditer(pattern.replace("{month}", rf"(?:{month_pattern})\b\.?"), t.text):
            if reject.match(t.text, m.end()):
                continue
            groups = m.groupdict()
            year = int(groups["year"])
            if not _within(Decimal(year), spec["limits"]):
                continue
            month = groups.get("month") or None
            if groups.get("month_name"):
                month = names[groups["month_name"].rstrip(".")]
            day = groups.get("day")
            first = min(m.start(g) for g, v in groups.items() if v is not None)
            try:
                found = AsOf(
                    year=year,
                    month=int(month) if month is not None else None,
                    day=int(day.removesuffix("er")) if day else None,
                    before=bool(before.search(t.text[:first])),
                )
            except ValueError:  # 31/02, a 13th month: not a date
                continue
            t.take(m.start(), m.end())
            return found
    return None


def _age(t: _Text) -> int | None:
    spec = load_vocabulary().slots["age"]
    over = _compiled(spec["over"]).search(t.text)
    if over:
        value = _number(over.group("num"))
        if _within(value, spec["limits"]):
            t.take(over.start(), over.end())
            return int(value) + 1
    value = _first_number(t, "age", reject_before=spec["reject_before"])
    return int(value) if value is not None else None


def _year(t: _Text) -> int | None:
    spec = load_vocabulary().slots["year"]
    annee, reject = re.compile(spec["annee"]), re.compile(spec["reject_after"])
    school = re.compile(spec["reject_after_annee"])  # "4e annee secondaire": a school year
    m = re.search(spec["number_after"], t.text)
    if m:
        t.take(m.start(), m.end())
        return int(m.group("num"))
    candidates: list[tuple[int, int, int]] = []
    for strength in ("strong", "weak"):
        for year, forms in spec[strength].items():
            for form in forms:
                for m in re.finditer(rf"(?<![\w]){form}(?![\w])", t.text):
                    rest = t.text[m.end():]
                    followed_by_annee = annee.match(rest)
                    if strength == "weak" and not followed_by_annee:
                        continue
                    if not followed_by_annee and reject.match(rest):
                        continue
                    if followed_by_annee and school.match(rest[followed_by_annee.end():]):
                        continue
                    end = m.end() + (followed_by_annee.end() if followed_by_annee else 0)
                    candidates.append((m.start(), end, int(year)))
    if not candidates:
        return None
    start, end, year = min(candidates)
    t.take(start, end)
    return year


def _qualified(t: _Text) -> bool | None:
    spec = load_vocabulary().slots["qualified"]
    negative = False
    for pattern in spec["negative"]:
        for m in re.finditer(pattern, t.text):
            negative = True
            t.take(m.start(), m.end())
    positive = any(re.search(p, t.text) for p in spec["positive"])
    if negative and positive:
        return None  # "qualifié ou non qualifié": the user did not say which
    if negative:
        return False
    return True if positive else None


def _amount(t: _Text) -> tuple[Decimal | None, int | None]:
    """(amount, end of its span); a euro sign, a money verb, a period or money-like writing."""
    spec = load_vocabulary().slots["amount"]
    limits = spec["limits"]
    for value, start, end in iter_amounts(t.text):
        if _within(value, limits):
            t.take(start, end)
            return value, start
    reject = re.compile(spec["reject_after"])
    patterns = [
        re.compile(rf"{spec['verbs']}(?P<num>{_NUMBER})"),
        re.compile(rf"(?<![\w.,])(?P<num>{_NUMBER})(?={spec['after']})"),
        # Written like money without a sign: "1.035,20", "848,90", "7.420".
        re.compile(r"(?<![\w.,])(?P<num>\d{1,3}(?:\.\d{3})+(?:,\d{2})?|\d+,\d{2})(?![\d,.])"),
    ]
    for pattern in patterns:
        for m in pattern.finditer(t.text):
            if reject.match(t.text[m.end("num"):]):
                continue
            value = parse_number(m.group("num"))
            if _within(value, limits):
                t.take(m.start("num"), m.end("num"))
                return value, m.start("num")
    return None, None


def _period(t: _Text, position: int | None) -> Literal["month", "year"] | None:
    spec = load_vocabulary().slots["period"]
    near = t.text[position:] if position is not None else t.text
    found: list[tuple[int, Literal["month", "year"]]] = []
    for name in ("month", "year"):
        m = re.search(spec[name], near)
        if m:
            found.append((m.start(), name))  # type: ignore[arg-type]
    if not found:
        return None
    return min(found)[1]


def _single_parent(t: _Text) -> bool | None:
    spec = load_vocabulary().slots["single_parent"]
    if any(re.search(p, t.text) for p in spec["positive"]):
        return True
    if any(re.search(p, t.text) for p in spec["negative"]):
        return False
    return None


def extract_slots(text: str, previous: Slots | None = None) -> Slots:
    """The slots stated in `text`, merged over `previous` (earlier turns)."""
    t = _Text(text)
    as_of = _as_of(t)  # first: "en 2011" is then never read as an amount or a count
    days_per_week = _first_number(t, "days_per_week")
    hours = _first_number(t, "hours_per_week")
    amount, amount_at = _amount(t)
    age = _age(t)
    year = _year(t)
    months = _first_number(t, "months")
    days = _first_number(t, "days")
    found = Slots(
        age=age,
        year=year,
        qualified=_qualified(t),
        hours_per_week=hours,
        days_per_week=int(days_per_week) if days_per_week is not None else None,
        days=int(days) if days is not None else None,
        months=int(months) if months is not None else None,
        amount=amount,
        amount_period=_period(t, amount_at) if amount is not None else None,
        region=detect_region(text),
        schemes=detect_schemes(text),
        single_parent=_single_parent(t),
        as_of=as_of,
        intents=detect_intents(text),
    )
    return previous.merge(found) if previous is not None else found
