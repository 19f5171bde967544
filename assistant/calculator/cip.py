"""CIP (convention d'immersion professionnelle, Bruxelles): the monthly indemnity by age and its total.

The brochure gives one figure per age band (rates.yaml, kind `cip_indemnity`: 18 years, 21 and
over); the band is chosen by its conditions, so a new band is a new rate. An age between two bands
or below the first gets the bands and who to ask, never an interpolation.
"""

from __future__ import annotations

from assistant.calculator.common import (
    ASK_AGE,
    ASK_MONTHS,
    Header,
    Sourced,
    eur,
    in_words,
    listing,
    rate,
    sourced,
    times,
)
from assistant.calculator.money import format_number
from assistant.calculator.rates import Conditions, Rate, current, select
from assistant.calculator.result import Calculation

KIND = "cip_indemnity"
WHERE = "Bruxelles Formation, Actiris"


def band(conditions: Conditions) -> str:
    """An age band as the brochure says it: "18 ans", "21 ans et plus", "19 à 20 ans"."""
    if conditions.age is not None:
        return f"{conditions.age} ans"
    if conditions.age_min is not None and conditions.age_max is not None:
        return f"{conditions.age_min} à {conditions.age_max} ans"
    if conditions.age_min is not None:
        return f"{conditions.age_min} ans et plus"
    if conditions.age_max is not None:
        return f"jusqu'à {conditions.age_max} ans"
    return "tout âge"


def at_band(conditions: Conditions) -> str:
    """The band after an amount: "à 18 ans", "à 21 ans et plus", "de 19 à 20 ans"."""
    label = band(conditions)
    if conditions.age is None and conditions.age_max is not None:
        return label if conditions.age_min is None else f"de {label}"
    return f"à {label}"


def _youngest(conditions: Conditions) -> int:
    return next((a for a in (conditions.age, conditions.age_min) if a is not None), 0)


def _oldest(conditions: Conditions) -> float:
    return next((a for a in (conditions.age, conditions.age_max) if a is not None), float("inf"))


def _bands() -> list[Rate]:
    """The current rate of each age band, youngest first."""
    return sorted(current(KIND), key=lambda r: _youngest(r.conditions))


def _table(bands: list[Rate]) -> str:
    """"848,90 € à 18 ans et 1.035,20 € à 21 ans et plus (index mai 2024)"."""
    labels = {r.date_label for r in bands}
    if len(labels) == 1:
        cells = [f"{eur(r.value)} {at_band(r.conditions)}" for r in bands]
        return f"{listing(cells, 'et')} ({bands[0].date_label})"
    return listing([f"{eur(r.value)} {at_band(r.conditions)} ({r.date_label})" for r in bands], "et")


_EMPLOYER = "Indemnité à charge de l'employeur, assujettie à la sécurité sociale des travailleurs salariés."


def _no_band(header: Header, where: Sourced, age: int, bands: list[Rate]) -> Calculation:
    """An age no band covers: between two bands, the range; below or above them, who to ask."""
    table = _table(bands)
    below = [r for r in bands if _oldest(r.conditions) < age]
    above = [r for r in bands if _youngest(r.conditions) > age]
    if below and above:
        low, high = below[-1].value, above[0].value
        no_interpolation = (
            f"La brochure ne donne que {in_words(len(bands))} montants ({', '.join(band(r.conditions) for r in bands)}) : "
            "aucun montant n'est calculé par interpolation."
        )
        return Calculation(
            **header,
            notes=[_EMPLOYER, no_interpolation],
            formula=f"{age} ans : pas de montant dans la brochure (entre {eur(low)} et {eur(high)})",
            statement=(
                f"Pour {age} ans, la brochure ne donne pas de montant : elle indique {table}. "
                f"Votre indemnité se situe entre {eur(low)} et {eur(high)} ; demandez le "
                f"montant exact à {WHERE} ou au secrétariat social de l'employeur."
            ),
            **where,
        )
    which = f"en dessous de {_youngest(bands[0].conditions)} ans" if above else f"à {age} ans"
    return Calculation(
        **header,
        notes=[_EMPLOYER],
        formula=f"{age} ans : pas de montant dans la brochure",
        statement=(
            f"La brochure ne donne pas d'indemnité de CIP {which} : elle indique {table}. "
            f"Renseignez-vous auprès de {WHERE} ou du secrétariat social de l'employeur."
        ),
        **where,
    )


def cip_indemnity(age: int | None) -> Calculation:
    """Monthly CIP indemnity by age: the band whose conditions the age meets (18 years, 21+)."""
    bands = _bands()
    header: Header = {
        "name": "cip_indemnity",
        "label": "Indemnité mensuelle de CIP (Bruxelles)",
        "inputs": {"age": age},
    }
    where = sourced(*bands)
    if age is None:
        return Calculation(
            **header,
            notes=[_EMPLOYER],
            formula=" ; ".join(f"{band(r.conditions)} : {eur(r.value)}" for r in bands),
            statement=f"En CIP, l'indemnité dépend de l'âge : {_table(bands)}.",
            missing=["age"],
            ask=ASK_AGE,
            **where,
        )
    found = select(KIND, age=age)
    if found is None:
        return _no_band(header, where, age, bands)
    return Calculation(
        **header,
        notes=[_EMPLOYER],
        result=found.value,
        formula=f"{band(found.conditions)} → {eur(found.value)} par mois ({found.date_label})",
        statement=f"À {age} ans, l'indemnité de CIP est de {eur(found.value)} par mois ({found.date_label}).",
        **where,
    )


def cip_total(age: int | None, months: int | None) -> Calculation:
    """CIP indemnity over the length of the convention (1 to 6 months)."""
    monthly = cip_indemnity(age)
    shortest, longest = rate("cip_duration_min"), rate("cip_duration_max")
    header: Header = {
        "name": "cip_total",
        "label": "Total des indemnités de CIP",
        "inputs": {"age": age, "months": months},
    }
    used = [rate(i) for i in monthly.rate_ids]
    where = sourced(*used, shortest, longest, primary=used[0])
    if months is None:
        return Calculation(
            **header,
            formula=monthly.formula,
            statement=monthly.statement,
            notes=monthly.notes,
            missing=[*monthly.missing, "months"],
            ask=monthly.ask or ASK_MONTHS,
            **where,
        )
    if not shortest.value <= months <= longest.value:
        return Calculation(
            **header,
            formula=f"{months} mois : hors de la durée d'une CIP",
            statement=(
                f"Une CIP dure de {format_number(shortest.value)} à {format_number(longest.value)} mois : "
                f"un total sur {months} mois ne correspond pas à une seule convention."
            ),
            **where,
        )
    if monthly.result is None:
        return Calculation(
            **header,
            formula=monthly.formula,
            statement=monthly.statement,
            notes=monthly.notes,
            missing=monthly.missing,
            ask=monthly.ask,
            **where,
        )
    total = times(months, monthly.result)
    return Calculation(
        **header,
        result=total,
        formula=f"{months} mois × {eur(monthly.result)} = {eur(total)}",
        statement=(
            f"Sur {months} mois de CIP, à {age} ans, l'indemnité totale est de {eur(total)} "
            f"({months} × {eur(monthly.result)}, {monthly.date_label})."
        ),
        notes=monthly.notes,
        **where,
    )
