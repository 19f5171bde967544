"""CISP in a CEFA: the monthly training indemnity, a percentage of the RMMMG by year × hours / 38.

The page gives the percentages by year (rates.yaml, kind `cisp_percent`) but no RMMMG, only worked
examples (kind `cisp_example`, by age): the RMMMG depends on age, so an age with an example gets
that example scaled to the year and hours asked; another age gets the formula without a figure.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from assistant.calculator.common import (
    ASK_AGE,
    ASK_HOURS,
    ASK_YEAR,
    ORDINAL,
    SHORT_ORDINAL,
    Header,
    eur,
    in_words,
    listing,
    one,
    pct,
    rate,
    sourced,
    year_of,
    years_of,
)
from assistant.calculator.money import format_number, round_cents
from assistant.calculator.rates import Rate, current, select
from assistant.calculator.result import Calculation
from assistant.schemes import competent_body

PERCENT = "cisp_percent"
EXAMPLE = "cisp_example"
_DATE_NOTE = (
    "La page du SPF Emploi n'est pas datée et ne donne pas le RMMMG : les montants sont calculés à partir "
    "de ses exemples ; le RMMMG a pu être indexé depuis. Faites confirmer par {body}."
)


def _percent(year: int) -> Rate:
    return one(PERCENT, year=year)


def _percents() -> list[Rate]:
    return [_percent(y) for y in years_of(current(PERCENT))]


def _example_facts(example: Rate) -> tuple[int, Decimal]:
    """The year of training and the weekly hours of a worked example (its conditions in rates.yaml)."""
    hours = example.conditions.hours_per_week
    if hours is None:
        raise ValueError(f"rates.yaml: {example.id} needs an `hours_per_week` condition")
    return year_of(example), Decimal(hours)


def _general() -> str:
    """The rule and the page's examples, for answers that cannot give a figure."""
    percents = _percents()
    years = years_of(percents)
    examples = [
        f"{eur(e.value)}{' par mois' if i == 0 else ''} à {e.conditions.age} ans en "
        f"{SHORT_ORDINAL[year_of(e)]} année"
        for i, e in enumerate(current(EXAMPLE))
    ]
    hours = format_number(rate("cisp_example_hours").value)
    return (
        f"En CISP, l'indemnité mensuelle vaut {listing([pct(p.value) for p in percents], 'ou')} du RMMMG "
        f"applicable ({listing([SHORT_ORDINAL[y] for y in years], 'ou')} année), multiplié par la fraction de "
        f"prestation en entreprise. Exemples de la page, pour {hours} h par semaine : {', '.join(examples)}."
    )


def _general_rates() -> list[Rate]:
    return [*_percents(), *current(EXAMPLE), rate("cisp_example_hours")]


def _year_not_in_table(header: Header, year: int) -> Calculation:
    """A year after the page's last percentage (a 4th year): no percentage, hence no amount."""
    percents = _percents()
    years = years_of(percents)
    listed = listing([pct(p.value) for p in percents], "ou")
    ordinals = listing([SHORT_ORDINAL[y] for y in years], "ou")
    renewal = rate("cisp_duration_months")
    return Calculation(
        **header,
        formula=f"{SHORT_ORDINAL[year]} année : pas de pourcentage du RMMMG dans la source ({listed} pour la "
        f"{ordinals} année)",
        statement=(
            f"Pour une {SHORT_ORDINAL[year]} année de formation, la page du SPF Emploi sur la CISP ne donne pas de "
            f"montant : la base de l'indemnité y est de {listed} du RMMMG applicable selon qu'il s'agit de la "
            f"{ordinals} année de formation, sans pourcentage pour une {SHORT_ORDINAL[year]} année. Renseignez-vous "
            f"auprès de {competent_body('cisp')}."
        ),
        notes=[
            f"Aucun pourcentage n'est extrapolé au-delà de la {SHORT_ORDINAL[years[-1]]} année.",
            f"La CISP dure {format_number(renewal.value)} mois maximum et peut être renouvelée pour permettre au "
            "jeune d'achever une formation entamée.",
        ],
        **sourced(*percents, renewal),
    )


def _no_base(header: Header, age: int, year: int | None, hours: Decimal | None) -> Calculation:
    """An age without a worked example: the sources give no RMMMG for it, so the formula only."""
    max_hours = rate("ifapme_max_weekly_hours")
    year_part = pct(_percent(year).value) if year else f"{listing([pct(p.value) for p in _percents()], 'ou')} (selon l'année)"
    hours_part = f"{format_number(hours)}/{format_number(max_hours.value)}" if hours else "fraction de prestation"
    examples = current(EXAMPLE)
    ages = listing([f"{e.conditions.age}" for e in examples], "et")
    return Calculation(
        **header,
        formula=f"RMMMG applicable à {age} ans × {year_part} × {hours_part}",
        statement=(
            f"Pour {age} ans, les sources ne donnent pas le RMMMG applicable : le montant ne peut pas être "
            f"calculé ici. {_general()}"
        ),
        notes=[
            f"Seuls les âges des {in_words(len(examples))} exemples de la page ({ages} ans) permettent de déduire une base ; "
            "aucune base n'est extrapolée à un autre âge.",
            _DATE_NOTE.format(body=competent_body("cisp")),
        ],
        **sourced(*_general_rates()),
    )


def _missing(header: Header, missing: list[str]) -> Calculation:
    """Age, year or hours unknown: the rule and the examples, and the first question to ask."""
    asks = {"age": ASK_AGE, "year": ASK_YEAR, "hours_per_week": ASK_HOURS}
    max_hours = rate("ifapme_max_weekly_hours")
    percents = listing([pct(p.value) for p in _percents()], "ou")
    return Calculation(
        **header,
        formula=f"RMMMG applicable × ({percents}) × heures par semaine / {format_number(max_hours.value)}",
        statement=_general(),
        notes=[_DATE_NOTE.format(body=competent_body("cisp"))],
        missing=missing,
        ask=asks[missing[0]],
        **sourced(*_general_rates()),
    )


def _hours_out_of_range(header: Header, hours: Decimal) -> Calculation:
    max_hours = rate("ifapme_max_weekly_hours")
    return Calculation(
        **header,
        formula=f"{format_number(hours)} h par semaine : hors de la fraction de prestation (0 à "
        f"{format_number(max_hours.value)} h)",
        statement=(
            f"Un horaire de {format_number(hours)} h par semaine dépasse un temps plein de "
            f"{format_number(max_hours.value)} h : vérifiez le nombre d'heures prestées en entreprise. "
            f"{_general()}"
        ),
        notes=[_DATE_NOTE.format(body=competent_body("cisp"))],
        **sourced(*_general_rates()),
    )


def cisp_implied_base(age: int) -> Decimal:
    """The monthly RMMMG base implied by the page's worked example for this age (unrounded)."""
    example = one(EXAMPLE, age=age)
    year, hours = _example_facts(example)
    fraction = hours / rate("ifapme_max_weekly_hours").value
    return example.value / (_percent(year).value / 100 * fraction)


def _scaled(header: Header, example: Rate, age: int, year: int, hours: Decimal) -> Calculation:
    """The example of this age scaled: example × (% of the year / % of the example) × (hours / its hours)."""
    max_hours = rate("ifapme_max_weekly_hours")
    ex_year, ex_hours = _example_facts(example)
    percent, ex_percent = _percent(year), _percent(ex_year)
    exact = example.value * (percent.value / ex_percent.value) * (hours / ex_hours)
    result = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    implied = round_cents(cisp_implied_base(age))
    full, ex_h = format_number(max_hours.value), format_number(ex_hours)
    derivation = (
        f"Base mensuelle implicite à {age} ans (RMMMG applicable) : {eur(example.value)} ÷ ({pct(ex_percent.value)} × "
        f"{ex_h}/{full}) ≈ {eur(implied)} (exemple de la page : {age} ans, {SHORT_ORDINAL[ex_year]} année, {ex_h} h "
        f"par semaine ; semaine pleine de {full} h). La même base vaut pour toutes les années au même âge ; seul le "
        f"pourcentage change."
    )
    if year == ex_year and hours == ex_hours:
        formula = (
            f"RMMMG applicable à {age} ans × {pct(percent.value)} × {format_number(hours)}/{full} = {eur(result)} "
            "(exemple de la page)"
        )
    else:
        formula = (
            f"{eur(example.value)} × ({pct(percent.value)} ÷ {pct(ex_percent.value)}) × ({format_number(hours)} h ÷ "
            f"{ex_h} h) = {eur(result)}"
        )
    return Calculation(
        **header,
        result=result,
        formula=formula,
        statement=(
            f"En CISP, un jeune de {age} ans en {ORDINAL[year]} année qui preste {format_number(hours)} h par "
            f"semaine touche {eur(result)} par mois ({pct(percent.value)} du RMMMG applicable × "
            f"{format_number(hours)}/{full})."
        ),
        notes=[derivation, _DATE_NOTE.format(body=competent_body("cisp"))],
        **sourced(example, percent, ex_percent, rate("cisp_example_hours"), max_hours),
    )


def cisp_indemnity(age: int | None, year: int | None, hours_per_week: Decimal | int | None) -> Calculation:
    """CISP monthly indemnity = % of the RMMMG (by year) × fraction of presence.

    The page gives no RMMMG figure, only worked examples (16 years, 1st year, 24 h → 265,59 €;
    18 years, 3rd year, 24 h → 451,12 €). The RMMMG applicable depends on age, the percentage on the
    year and the amount is proportional to the hours, so for an age with an example (any year, up to
    38 h) the amount is the example scaled. Other ages have no base in the sources: formula only.
    """
    hours = Decimal(str(hours_per_week)) if hours_per_week is not None else None
    header: Header = {
        "name": "cisp_indemnity",
        "label": "Indemnité mensuelle de formation en CISP (CEFA)",
        "inputs": {"age": age, "year": year, "hours_per_week": hours},
    }
    if year is not None and year not in years_of(current(PERCENT)):
        return _year_not_in_table(header, year)
    example = select(EXAMPLE, age=age) if age is not None else None
    if age is not None and example is None:
        return _no_base(header, age, year, hours)
    if age is None or year is None or hours is None or example is None:
        missing = [slot for slot, value in (("age", age), ("year", year), ("hours_per_week", hours)) if value is None]
        return _missing(header, missing)
    if not Decimal(0) < hours <= rate("ifapme_max_weekly_hours").value:
        return _hours_out_of_range(header, hours)
    return _scaled(header, example, age, year, hours)
