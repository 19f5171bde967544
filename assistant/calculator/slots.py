"""A user's situation read from French text: age, year, qualification, hours, amounts...

Young people write "g 19a", "jsuis en 2eme annee pas qualifie", "je gagne 800 par mois": every
pattern lives in vocabulary.yaml and is matched on folded text (assistant.text.fold). Each value
consumes its span so "5 jours par semaine" is not also read as 5 days. Nothing is guessed: a slot
the text does not state stays None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

from assistant.calculator.common import MAX_YEAR
from assistant.calculator.dates import AsOf
from assistant.calculator.intents import detect_intents
from assistant.calculator.money import _NUMBER, iter_amounts, parse_number
from assistant.calculator.vocabulary import load_vocabulary, word_to_int
from assistant.schemes import detect_region, detect_schemes
from assistant.text import fold

V = TypeVar("V", int, bool)


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
    # Several people or situations in one message ("moi 18 ans et ma soeur 22"): every value of
    # the slot in the order written (the single slot keeps the value it would have alone). Empty
    # when the message states one value, so one value behaves as it always did.
    ages: list[int] = Field(default_factory=list)
    years: list[int] = Field(default_factory=list)
    qualifications: list[bool] = Field(default_factory=list)
    # Totals over several years of training ("3 ans à l'IFAPME, 12 mois par an").
    training_years: int | None = Field(default=None, ge=2, le=MAX_YEAR)
    months_per_year: int | None = Field(default=None, ge=1, le=12)
    # Turn-only, like as_of: every date of the turn when it names two ("entre 2011 et 2016"), and the
    # non-money quantity it asks about ("la limite d'heures": hours), if any.
    dates: list[AsOf] = Field(default_factory=list)
    asked_unit: str | None = None

    def merge(self, newer: Slots) -> Slots:
        """Earlier turns' values, overridden by what the newer turn states."""
        data = self.model_dump()
        for name, value in newer.model_dump().items():
            if name in ("schemes", "intents", *_PLURALS.values()):
                if value:
                    data[name] = value
            elif name in _TURN_ONLY or value is not None:
                data[name] = value
        if newer.amount is not None:
            data["amount_period"] = newer.amount_period  # a period belongs to its amount
        for single, plural in _PLURALS.items():
            if getattr(newer, single) is not None or (single == "qualified" and newer.qualifications):
                data[plural] = getattr(newer, plural)  # a newer value replaces the earlier people's
        return Slots(**data)

    def stated(self) -> dict[str, Any]:
        """The slots this object actually holds (for logs and tests)."""
        return {k: v for k, v in self.model_dump().items() if v not in (None, [])}

    def has_situation(self) -> bool:
        """Does it state anything a calculation uses (beyond schemes and intents)? A date alone is
        no situation: "combien en 2024 ?" names nothing of internships."""
        ignored = ("schemes", "intents", "region", *_TURN_ONLY)
        return any(v not in (None, []) for k, v in self.model_dump().items() if k not in ignored)


# A slot and the list of its values when the message names several people or situations.
_PLURALS = {"age": "ages", "year": "years", "qualified": "qualifications"}
# Slots that belong to their turn: merge() never carries them over.
_TURN_ONLY = ("as_of", "dates", "asked_unit")


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


def _number_at(t: _Text, slot: str, reject_before: str | None = None,
               before: int | None = None) -> tuple[Decimal, int, int] | None:
    """The first value of a slot's patterns within its limits (starting before ``before``), with
    its span (then blanked)."""
    spec = load_vocabulary().slots[slot]
    for pattern in spec["patterns"]:
        for m in _compiled(pattern).finditer(t.text):
            if before is not None and m.start() >= before:
                break
            if reject_before and re.search(reject_before, t.text[: m.start()]):
                continue
            value = _number(m.group("num"))
            if value is not None and _within(value, spec["limits"]):
                t.take(m.start(), m.end())
                return value, m.start(), m.end()
    return None


def _first_number(t: _Text, slot: str, reject_before: str | None = None) -> Decimal | None:
    hit = _number_at(t, slot, reject_before)
    return hit[0] if hit is not None else None


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


_YEAR = r"(?<![\d/.,])(?P<year>\d{4})\b"


def _dates(t: _Text, compared: bool = False) -> list[AsOf]:
    """The date asked about and, when the text names another ("et celui de 2016"), each later one;
    when it asks a difference (`compared`), any other year is the second date compared ("entre le
    montant de base de 2011 et le montant indexé de 2016")."""
    first = _as_of(t)
    if first is None:
        return []
    found = [first]
    spec = load_vocabulary().slots["as_of"]
    for m in re.finditer(_YEAR if compared else spec["also"], t.text):
        year = int(m.group("year"))
        if _within(Decimal(year), spec["limits"]) and not re.match(spec["reject_after"], t.text[m.end():]):
            t.take(m.start(), m.end())
            found.append(AsOf(year=year))
    return found


def _age(t: _Text) -> tuple[int, int, int] | None:
    """(age, start, end) of the first age stated; "plus de 21 ans" reads as 22."""
    spec = load_vocabulary().slots["age"]
    over = _compiled(spec["over"]).search(t.text)
    if over:
        value = _number(over.group("num"))
        if value is not None and _within(value, spec["limits"]):
            t.take(over.start(), over.end())
            return int(value) + 1, over.start(), over.end()
    # "j'ai 18 ans depuis mars": an age whatever follows it, read in its place among the others.
    stated = _compiled(spec["stated"]).search(t.text)
    value = _number(stated.group("num")) if stated else None
    if stated is None or value is None or not _within(value, spec["limits"]):
        stated = None
    hit = _number_at(t, "age", reject_before=spec["reject_before"], before=stated.start() if stated else None)
    if hit is None and stated is not None and value is not None:
        t.take(stated.start("num"), stated.end())
        return int(value), stated.start("num"), stated.end()
    return (int(hit[0]), hit[1], hit[2]) if hit is not None else None


def _ages(t: _Text) -> list[tuple[int, int, int]]:
    """Every age stated, the first one first; once one is stated, a bare number after a person
    ("et ma soeur 22") is another person's age."""
    found: list[tuple[int, int, int]] = []
    while (hit := _age(t)) is not None:
        found.append(hit)
    if found:
        limits = load_vocabulary().slots["age"]["limits"]
        people = load_vocabulary().slots["people"]
        for _, start, _ in list(found):
            joined = re.search(people["joined_age"], t.text[:start])
            if joined and _within(Decimal(joined.group("num")), limits):
                t.take(joined.start("num"), joined.end("num"))
                found.append((int(joined.group("num")), joined.start("num"), joined.end("num")))
        for m in re.finditer(people["elliptic_age"], t.text):
            value = Decimal(m.group("num"))
            if _within(value, limits):
                t.take(m.start("num"), m.end("num"))
                found.append((int(value), m.start("num"), m.end("num")))
    return found


def _year(t: _Text) -> tuple[int, int, int] | None:
    spec = load_vocabulary().slots["year"]
    annee, reject = re.compile(spec["annee"]), re.compile(spec["reject_after"])
    school = re.compile(spec["reject_after_annee"])  # "4e annee secondaire": a school year
    m = re.search(spec["number_after"], t.text)
    if m:
        t.take(m.start(), m.end())
        return int(m.group("num")), m.start(), m.end()
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
    return year, start, end


def _years(t: _Text) -> list[tuple[int, int, int]]:
    """Every year of training stated, in the order written (the first is the one read alone)."""
    found: list[tuple[int, int, int]] = []
    while (hit := _year(t)) is not None:
        found.append(hit)
    return found


def _qualified(t: _Text) -> tuple[bool | None, list[tuple[bool, int, int]]]:
    """The qualification stated, and every statement of one in the order written ("lui il est
    qualifié, moi non": qualified, then not), for several people."""
    spec = load_vocabulary().slots["qualified"]
    hits: list[tuple[bool, int, int]] = []
    for pattern in spec["negative"]:
        for m in re.finditer(pattern, t.text):
            hits.append((False, m.start(), m.end()))
            t.take(m.start(), m.end())
    negative = bool(hits)
    for pattern in spec["positive"]:
        hits.extend((True, m.start(), m.end()) for m in re.finditer(pattern, t.text))
    positive = any(h[0] for h in hits)
    single = None if negative and positive else False if negative else True if positive else None
    people = load_vocabulary().slots["people"]
    for key, same in (("contrast_same", True), ("contrast_no", False)):
        for m in re.finditer(people[key], t.text):
            earlier = [h for h in hits if h[1] < m.start()]
            if earlier:
                previous = max(earlier, key=lambda h: h[1])[0]
                hits.append((previous if same else not previous, m.start(), m.end()))
                t.take(m.start(), m.end())
    return single, sorted({h[1]: h for h in hits}.values(), key=lambda h: h[1])


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


def _several(folded: str, hits: Sequence[tuple[object, int, int]], joined: str = "joined", compared: bool = False) -> bool:
    """Are these values one per person or situation? When the text names two people, when it asks
    a difference (`compared`: "un qualifié gagne combien de plus qu'un non qualifié ?"), or when
    each value is joined to the next by the `joined` pattern of vocabulary.yaml ("à 18 et à 21 ans")."""
    if compared:
        return True
    people = load_vocabulary().slots["people"]
    if len({m.group(0) for m in re.finditer(people["persons"], folded)}) >= 2:
        return True
    ordered = sorted(hits, key=lambda h: h[1])
    return all(re.match(people[joined], folded[a[2]:b[1]]) for a, b in zip(ordered, ordered[1:], strict=False))


def _plural(folded: str, hits: Sequence[tuple[V, int, int]], joined: str = "joined", compared: bool = False) -> list[V]:
    """The values of one slot in the order written, kept when they are several people's or
    situations' (two different values at least); otherwise empty."""
    values = [h[0] for h in sorted(hits, key=lambda h: h[1])]
    if len(set(values)) < 2 or not _several(folded, hits, joined, compared):
        return []
    return values


def _asked_unit(folded: str) -> str | None:
    """The non-money quantity asked about ("la limite d'heures": hours), from vocabulary.yaml."""
    for unit, pattern in load_vocabulary().slots["asked_unit"].items():
        if re.search(pattern, folded):
            return str(unit)
    return None


def extract_slots(text: str, previous: Slots | None = None) -> Slots:
    """The slots stated in `text`, merged over `previous` (earlier turns)."""
    t = _Text(text)
    folded = t.text
    intents = detect_intents(text)
    compared = "difference" in intents
    dates = _dates(t, compared)  # first: "en 2011" is then never read as an amount or a count
    days_per_week = _first_number(t, "days_per_week")
    hours = _first_number(t, "hours_per_week")
    months_per_year = _first_number(t, "months_per_year")
    training_years = _first_number(t, "training_years")
    if training_years is None and "total" in intents:
        training_years = _first_number(t, "training_years_of_a_total")
    amount, amount_at = _amount(t)
    ages = _ages(t)
    years = _years(t)
    months = _first_number(t, "months")
    days = _first_number(t, "days")
    qualified, qualifications = _qualified(t)
    found = Slots(
        age=ages[0][0] if ages else None,
        year=years[0][0] if years else None,
        qualified=qualified,
        hours_per_week=hours,
        days_per_week=int(days_per_week) if days_per_week is not None else None,
        days=int(days) if days is not None else None,
        months=int(months) if months is not None else None,
        amount=amount,
        amount_period=_period(t, amount_at) if amount is not None else None,
        region=detect_region(text),
        schemes=detect_schemes(text),
        single_parent=_single_parent(t),
        as_of=dates[0] if dates else None,
        intents=intents,
        ages=_plural(folded, ages, compared=compared),
        years=_plural(folded, years, compared=compared),
        # "qualifié ou non qualifié" is one person who does not say which; "qualifié et non qualifié" both.
        qualifications=_plural(folded, qualifications, joined="joined_both", compared=compared),
        training_years=int(training_years) if training_years is not None else None,
        months_per_year=int(months_per_year) if months_per_year is not None else None,
        dates=dates if len(dates) > 1 else [],
        asked_unit=_asked_unit(folded),
    )
    return previous.merge(found) if previous is not None else found
