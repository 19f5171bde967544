"""What the calculations of every scheme share: the questions they ask, the French they write
(amounts, percentages, ordinals, lists) and the source fields of a Calculation.

Kept in one place so that a figure, a question or a list reads the same in every scheme's answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal, TypedDict, Unpack

from assistant.calculator.money import format_eur, format_number, round_cents
from assistant.calculator.rates import Facts, Rate, get_rates, select
from assistant.calculator.result import InputValue

Period = Literal["month", "year"]

ASK_AGE = "Quel âge avez-vous ?"
ASK_YEAR = "En quelle année de formation êtes-vous (1re, 2e ou 3e) ?"
ASK_QUALIFIED = "Êtes-vous qualifié ou non ?"
ASK_HOURS = "Combien d'heures par semaine prestez-vous en entreprise ?"
ASK_MONTHS = "Sur combien de mois voulez-vous le total ?"
ASK_DAYS_OR_MONTHS = "Combien de jours (ou de mois) de formation en entreprise voulez-vous compter ?"
ASK_AMOUNT = "Quel montant brut touchez-vous par mois ?"
ASK_PERIOD = "Ce montant est-il par mois ou par an ?"
ASK_DAYS_PER_WEEK = "Travaillez-vous 5 ou 6 jours par semaine (cours compris) ?"
ASK_SCHEME = (
    "De quel dispositif s'agit-il : CIP (Bruxelles), master en alternance, convention de stage IFAPME, "
    "stage d'insertion professionnelle ou CISP (CEFA) ?"
)

ORDINAL = {1: "première", 2: "deuxième", 3: "troisième", 4: "quatrième", 5: "cinquième", 6: "sixième"}
SHORT_ORDINAL = {1: "1re", 2: "2e", 3: "3e", 4: "4e", 5: "5e", 6: "6e"}
# The highest year of training read from a question (a repeated or extended year). The sources'
# tables stop earlier (IFAPME and CISP: 3rd year); a later year gets no figure, said plainly.
MAX_YEAR = max(ORDINAL)
TWELVE = 12


class Header(TypedDict):
    """What a calculation is, whichever case applies (spread into Calculation); each case gives its
    own notes, so that none is given twice."""

    name: str
    label: str
    inputs: dict[str, InputValue]


class Sourced(TypedDict):
    """Where a calculation's figures come from (spread into Calculation)."""

    source_ids: list[str]
    valid_from: str | None
    date_label: str | None
    rate_ids: list[str]


def rate(rate_id: str) -> Rate:
    """A figure that is the only one of its kind (a duration, a divisor), by its id in rates.yaml."""
    return get_rates().get(rate_id)


def one(kind: str, *, scheme: str | None = None, **facts: Unpack[Facts]) -> Rate:
    """The rate of a table for facts it is known to cover (a year listed in its own rows)."""
    found = select(kind, scheme=scheme, **facts)
    if found is None:
        raise KeyError(f"rates.yaml: no rate of kind {kind!r} for scheme {scheme!r} and {facts}")
    return found


def year_of(rate_: Rate) -> int:
    """The year of training of a rate that a table gives per year (an error in rates.yaml without one)."""
    if rate_.conditions.year is None:
        raise ValueError(f"rates.yaml: {rate_.id} needs a `year` condition")
    return rate_.conditions.year


def years_of(rates: Sequence[Rate]) -> list[int]:
    """The years of training a table covers (its rows' `year` conditions), e.g. [1, 2, 3]."""
    return sorted({r.conditions.year for r in rates if r.conditions.year})


def eur(value: Decimal) -> str:
    """Amounts as the brochures write them: cents shown unless they are zero ("7.969 €")."""
    return format_eur(value, cents=False)


def pct(value: Decimal) -> str:
    return f"{format_number(value)} %"


def listing(items: Sequence[str], last: str) -> str:
    """French enumeration: "40 %, 50 % ou 58 %" (last="ou"), "A, B et C" (last="et")."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def in_words(count: int) -> str:
    """A small count in words, as the answers write it ("deux montants"); digits beyond five."""
    return {1: "un", 2: "deux", 3: "trois", 4: "quatre", 5: "cinq"}.get(count, str(count))


def sourced(*rates: Rate, primary: Rate | None = None) -> Sourced:
    """The documents and rates used (each once, in order); date and label of the primary rate."""
    primary = primary or rates[0]
    return {
        "source_ids": list(dict.fromkeys(r.doc_id for r in rates)),
        "valid_from": primary.iso_date,
        "date_label": primary.date_label,
        "rate_ids": list(dict.fromkeys(r.id for r in rates)),
    }


def times(count: int | Decimal, unit_amount: Decimal) -> Decimal:
    """count × a unit amount already rounded to the cent: the total is exactly unit × count."""
    return round_cents(Decimal(count) * unit_amount)
