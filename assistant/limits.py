"""Yes or no by the source's condition: the user's quantity against the limit a passage states.

"On peut faire une CIP de 8 mois ?" — the brochure says "1 à 6 mois": 8 is above the limit, so the
answer is no, with the sentence that says so. Quantities and limits are read from the text (units,
per-period and the words that say "at most" / "at least" are in vocabulary.yaml, `limits:`); only
a quantity and a limit of the same unit and period are compared. The verdict is the assistant's
sentence; the limit is the brochure's, quoted with its citation marker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from assistant.calculator.money import iter_amounts, parse_number
from assistant.schemes import load_vocabulary
from assistant.text import fold

_WINDOW = 45  # characters before a figure where "maximum", "au moins"… still qualify it
_NUMBER = re.compile(r"(?<![\d.,/])\d+(?:[.,]\d+)?(?![\d.,]\d)")
# A converted duration this near a bound (a share of it) is left undecided: months vary in length.
_NEAR = Decimal("0.1")
# "12 mois maximum", "4 semaines au moins": the bound said after the figure and its unit.
_AFTER_MOST = re.compile(r"\s*\w+\s*(?:/\s*\w+\s*)?(?:maximum|max\b|au plus|au maximum)")
_AFTER_LEAST = re.compile(r"\s*\w+\s*(?:/\s*\w+\s*)?(?:minimum|au moins|au minimum)")
# "24 ans et demi": half a unit more.
_HALF = re.compile(r"\s*et\s+demie?\b")


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: str  # a key of `limits: units` ("mois")
    per: str | None  # a key of `limits: per` ("semaine"), or None
    text: str  # as written ("8 mois")

    @property
    def kind(self) -> tuple[str, str | None]:
        return (self.unit, self.per)


@dataclass(frozen=True)
class Limit:
    low: Decimal | None
    high: Decimal | None
    unit: str
    per: str | None

    def holds(self, q: Quantity) -> bool | None:
        """Within the limit? None at an age bound itself: "jusqu'au jour de ses 24 ans" holds on
        that day only, and "j'ai 24 ans" does not say which day it is."""
        if self.unit == "ans" and q.value in (self.low, self.high):
            return None
        return (self.low is None or q.value >= self.low) and (self.high is None or q.value <= self.high)

    def describe(self, q: Quantity) -> str:
        """What the comparison found, in French ("au-dessus du maximum")."""
        if self.high is not None and q.value > self.high:
            return "au-delà du maximum"
        if self.low is not None and q.value < self.low:
            return "en dessous du minimum"
        return "dans la limite"


@dataclass(frozen=True)
class _Patterns:
    quantity: re.Pattern[str]
    span: re.Pattern[str]
    at_most: re.Pattern[str]
    at_least: re.Pattern[str]
    first: re.Pattern[str]
    in_days: dict[str, Decimal]
    units: dict[str, re.Pattern[str]]
    per: dict[str, re.Pattern[str]]


@lru_cache
def _patterns() -> _Patterns:
    spec = load_vocabulary().raw.get("limits", {}) or {}
    units = {name: re.compile("(?:" + "|".join(p) + ")") for name, p in (spec.get("units") or {}).items()}
    per = {name: re.compile("(?:" + "|".join(p) + ")") for name, p in (spec.get("per") or {}).items()}
    unit_alt = "|".join(f"(?:{p.pattern})" for p in units.values()) or "(?!)"
    number = r"\d+(?:[.,]\d+)?"
    return _Patterns(
        quantity=re.compile(rf"(?<![\d.,/])({number})\s*(?:{unit_alt})"),
        span=re.compile(rf"(?<![\d.,/])(?:de\s+|entre\s+)?({number})\s*(?:a|-|et)\s*±?\s*({number})\s*(?:{unit_alt})"),
        at_most=re.compile("(?:" + "|".join(spec.get("at_most") or ["(?!)"]) + r")\W*(?:\w+\W+){0,6}$"),
        at_least=re.compile("(?:" + "|".join(spec.get("at_least") or ["(?!)"]) + r")\W*(?:\w+\W+){0,6}$"),
        first=re.compile(r"\s*(?:" + "|".join(spec.get("first") or ["(?!)"]) + ")"),
        in_days={unit: Decimal(str(days)) for unit, days in (spec.get("in_days") or {}).items()},
        units=units,
        per=per,
    )


def _unit_at(folded: str, start: int) -> tuple[str, str | None] | None:
    """The unit written at `start` (just after a number) and the period that may follow it."""
    p = _patterns()
    rest = folded[start:].lstrip()
    for name, pattern in p.units.items():
        m = pattern.match(rest)
        if m:
            after = rest[m.end() : m.end() + 20].lstrip()
            period = next((k for k, q in p.per.items() if q.match(after)), None)
            return name, period
    return None


def quantities(text: str) -> list[Quantity]:
    """The quantities a user states ("8 mois", "15h par semaine", "24 ans", "24 ans et demi")."""
    folded = fold(text)
    out: list[Quantity] = []
    for m in _patterns().quantity.finditer(folded):
        value = parse_number(m.group(1))
        unit = _unit_at(folded, m.end(1))
        if value is not None and unit is not None:
            half = _HALF.match(folded, m.end())
            value += Decimal("0.5") if half else 0
            out.append(Quantity(value, unit[0], unit[1], _spelled(m.group(1), *unit, half=bool(half))))
    return out


def _spelled(number: str, unit: str, per: str | None, half: bool = False) -> str:
    """"42 heures par semaine": the user's quantity in words the answer can show."""
    return f"{number} {unit}" + (" et demi" if half else "") + (f" par {per}" if per else "")


def limits(sentence: str) -> list[Limit]:
    """The limits a sentence states: a span ("1 à 6 mois") or a bound said before a figure."""
    folded = fold(sentence)
    p = _patterns()
    out: list[Limit] = []
    used: list[tuple[int, int]] = []
    for m in p.span.finditer(folded):
        low, high = parse_number(m.group(1)), parse_number(m.group(2))
        unit = _unit_at(folded, m.end(2))
        if low is not None and high is not None and unit is not None and low < high:
            out.append(Limit(low, high, unit[0], unit[1]))
            used.append(m.span())
    for m in _NUMBER.finditer(folded):
        if any(a <= m.start() < b for a, b in used):
            continue
        value = parse_number(m.group(0))
        # "Pendant les 3 premiers mois": the first months are those up to the third.
        first = p.first.match(folded, m.end())
        # The unit after the figure, else the one the sentence is about ("Le nombre d'heures de
        # travail par semaine ne peut excéder 38").
        unit = _unit_at(folded, first.end() if first else m.end()) or _subject_unit(folded[: m.start()])
        if value is None or unit is None:
            continue
        before = folded[max(0, m.start() - _WINDOW) : m.start()]
        after = folded[m.end() : m.end() + 25]
        if first or p.at_most.search(before) or _AFTER_MOST.match(after):
            out.append(Limit(None, value, unit[0], unit[1]))
        elif p.at_least.search(before) or _AFTER_LEAST.match(after):
            out.append(Limit(value, None, unit[0], unit[1]))
    return out


def _subject_unit(before: str) -> tuple[str, str | None] | None:
    """The last unit word written before a figure ("d'heures … par semaine"), with its period."""
    p = _patterns()
    periods = [m.span() for q in p.per.values() for m in q.finditer(before)]
    best: tuple[int, str] | None = None
    for name, pattern in p.units.items():
        for m in re.finditer(rf"\b(?:{pattern.pattern})", before):
            in_period = any(a <= m.start() < b for a, b in periods)  # "par semaine" is a period
            if len(m.group(0)) > 1 and not in_period and (best is None or m.start() > best[0]):
                best = (m.start(), name)
    if best is None:
        return None
    period = next((k for k, q in p.per.items() if q.search(before[best[0] :])), None)
    return best[1], period


@dataclass(frozen=True)
class Verdict:
    quantity: Quantity  # the user's quantity in the limit's unit (its text as the user wrote it)
    limit: Limit
    holds: bool
    stated: Quantity | None = None  # as stated, when it was converted ("3 semaines" against months)


def _in_unit(q: Quantity, lim: Limit) -> Quantity | None:
    """The quantity in the limit's unit: as it is, or a duration converted (`limits: in_days`:
    "3 semaines" against "1 à 6 mois"); None when the units do not convert or when the converted
    value is too near a bound to decide (a month is 28 to 31 days: 4 weeks against "1 mois")."""
    if (lim.unit, lim.per) == q.kind:
        return q
    days = _patterns().in_days
    if q.per != lim.per or q.unit not in days or lim.unit not in days:
        return None
    value = q.value * days[q.unit] / days[lim.unit]
    if any(b is not None and abs(value - b) <= _NEAR * b for b in (lim.low, lim.high)):
        return None
    return Quantity(value, lim.unit, lim.per, q.text)


def compare(stated: Sequence[Quantity], sentence: str) -> list[Verdict]:
    """Each of the user's quantities against the sentence's limits of the same unit and period, a
    duration converted to the limit's unit (undecided comparisons left out)."""
    out = []
    for q in stated:
        for lim in limits(sentence):
            if (converted := _in_unit(q, lim)) is not None and (holds := lim.holds(converted)) is not None:
                out.append(Verdict(converted, lim, holds, None if converted is q else q))
    return out


def statement(verdict: Verdict, sentence: str, section: str = "", excluded: bool = False) -> str:
    """The verdict in French, then the brochure's sentence quoted (with its section when the
    sentence alone is a bare figure: "Quelle durée ? — 1 à 6 mois."). Within the limit it says so
    without a "oui": the sentence compared may be about another matter than the one asked, and
    other conditions may apply. `excluded` when the sentence lists a case where it is not possible
    ("… dont la durée n'excède pas 60 jours" under "Il n'est pas possible de…")."""
    q, lim = verdict.quantity, verdict.limit
    if verdict.holds and excluded:
        head = f"Non : {q.text}, c'est un des cas où ce n'est pas possible"
    elif verdict.holds:
        head = f"{q.text} reste dans la limite indiquée"
    elif lim.high is not None and q.value > lim.high:
        head = f"Non : {q.text}, c'est au-delà du maximum indiqué"
    else:
        head = f"Non : {q.text}, c'est en dessous du minimum indiqué"
    quoted = sentence.strip().rstrip(".")
    where = f" ({section})" if section and len(quoted.split()) < 8 else ""
    return f"{head} : « {quoted} »{where}"


# --- euro brackets: the row of a table (or the item of a list) whose range holds the user's figure
_BETWEEN = re.compile(r"^\s*(?:-|–|—|a|à|et)\s*$")
_BELOW = re.compile(r"(?:<|≤|inferieur\w* a|moins de)\s*$")
_ABOVE = re.compile(r"(?:>|≥|superieur\w* a|plus de|a partir de|au-dela de)\s*$")


@dataclass(frozen=True)
class Band:
    low: Decimal | None
    high: Decimal | None

    def holds(self, value: Decimal) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


@lru_cache(maxsize=4096)
def bands(sentence: str) -> tuple[Band, ...]:
    """The euro ranges a sentence states: "2.004 euros - 2.466,99 euros", "< 2.004 euros",
    "≥ 3066 euros" (a bare figure is a value, not a range; in "de 500 à 800 €" only 800 is an
    amount, so it is one value too)."""
    folded = fold(sentence)
    found = list(iter_amounts(folded))
    out: list[Band] = []
    paired: set[int] = set()
    for i in range(len(found) - 1):
        (a, _, end), (b, start, _) = found[i], found[i + 1]
        if a < b and _BETWEEN.match(folded[end:start]):
            out.append(Band(a, b))
            paired |= {i, i + 1}
    for i, (value, start, _) in enumerate(found):
        if i in paired:
            continue
        before = folded[max(0, start - 20) : start]
        if _BELOW.search(before):
            out.append(Band(None, value))
        elif _ABOVE.search(before):
            out.append(Band(value, None))
    return tuple(out)
