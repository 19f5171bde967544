"""IFAPME convention de stage (Wallonie): the minimum monthly allocation by year and qualification.

The brochure's table (rates.yaml, kind `ifapme_allocation`) has one row per year of training and
qualified / not qualified; a row is chosen by its conditions, so a new year or a new indexation is
a change of rates.yaml. A year after the table's last gets no figure and who to ask.
"""

from __future__ import annotations

from assistant.calculator.common import (
    ASK_MONTHS,
    ASK_QUALIFIED,
    ASK_YEAR,
    ORDINAL,
    SHORT_ORDINAL,
    TWELVE,
    Header,
    Sourced,
    eur,
    one,
    rate,
    sourced,
    times,
    years_of,
)
from assistant.calculator.rates import Rate, current, matching
from assistant.calculator.result import Calculation
from assistant.schemes import competent_body

KIND = "ifapme_allocation"
_QUALIFICATIONS = ((True, "qualifié"), (False, "non qualifié"))


def _row(year: int, qualified: bool) -> Rate:
    return one(KIND, year=year, qualified=qualified)


def _years() -> list[int]:
    return years_of(current(KIND))


def _same_for_both(year: int) -> Rate | None:
    """The year's rate when qualified and not qualified get the same amount (no need to ask)."""
    rows = matching(KIND, year=year)
    return rows[0] if len({r.value for r in rows}) == 1 else None


def _year_not_in_table(year: int, qualified: bool | None) -> Calculation:
    """A year after the table's last (a 4th year): no figure, the last row recalled with its date."""
    first, last = _years()[0], _years()[-1]
    q, nq = _row(last, True), _row(last, False)
    extension = rate("ifapme_extension_years")
    if q.value == nq.value:
        last_row = f"{eur(q.value)} brut par mois, qualifié ou non"
    else:
        last_row = f"{eur(q.value)} brut par mois si qualifié, {eur(nq.value)} sinon"
    return Calculation(
        name="ifapme_allocation",
        label="Allocation mensuelle de stage IFAPME (brut)",
        inputs={"year": year, "qualified": qualified},
        formula=(
            f"{SHORT_ORDINAL[year]} année : pas de montant dans la brochure (barème de {q.date_label} : "
            f"{SHORT_ORDINAL[first]} à {SHORT_ORDINAL[last]} année ; {SHORT_ORDINAL[last]} année : {last_row})"
        ),
        statement=(
            f"Pour une {SHORT_ORDINAL[year]} année, la brochure IFAPME ne donne pas de montant : son barème des "
            f"allocations de stage ({q.date_label}) s'arrête à la {SHORT_ORDINAL[last]} année, dont le minimum est "
            f"de {last_row}. Renseignez-vous auprès de {competent_body('ifapme')}."
        ),
        notes=[
            "Aucun montant n'est extrapolé au-delà du barème de la brochure.",
            "La brochure indique seulement que la convention de stage dure autant que le plan de formation et "
            "peut être prolongée d'un an au plus ; elle ne précise pas l'allocation due au-delà de la "
            f"{SHORT_ORDINAL[last]} année.",
        ],
        **sourced(q, nq, extension),
    )


def _table() -> str:
    rows = []
    for qualified, word in _QUALIFICATIONS:
        cells = ", ".join(f"{eur(_row(y, qualified).value)} ({SHORT_ORDINAL[y]} année)" for y in _years())
        rows.append(f"{word} : {cells}")
    return " ; ".join(rows)


_MINIMA = "Il s'agit de montants minima : l'entreprise peut accorder une allocation supérieure."


def _partial(header: Header, year: int | None, qualified: bool | None) -> Calculation:
    """The year or the qualification is unknown: the rows that fit what is known, and what to ask."""
    first = _row(_years()[0], True)
    missing: list[str] = []
    ask: str | None = None
    if year is None:
        missing.append("year")
        ask = ASK_YEAR
    if qualified is None:
        missing.append("qualified")
        ask = ask or ASK_QUALIFIED
    if year is not None:
        q, nq = _row(year, True), _row(year, False)
        statement = (
            f"En {ORDINAL[year]} année, l'allocation IFAPME minimale est de {eur(q.value)} brut par mois si vous "
            f"êtes qualifié, {eur(nq.value)} sinon (montants de {q.date_label})."
        )
        used = [q, nq]
    elif qualified is not None:
        used = [_row(y, qualified) for y in _years()]
        word = "qualifié" if qualified else "non qualifié"
        cells = ", ".join(f"{eur(r.value)} en {SHORT_ORDINAL[y]} année" for y, r in zip(_years(), used, strict=True))
        statement = f"Pour un stagiaire IFAPME {word}, l'allocation minimale est de {cells} (brut par mois, {first.date_label})."
    else:
        statement = f"Allocations de stage IFAPME, montants bruts minimaux par mois ({first.date_label}) : {_table()}."
        used = [_row(y, q) for q, _ in _QUALIFICATIONS for y in _years()]
    return Calculation(
        **header,
        notes=[_MINIMA],
        formula=f"Montants bruts ({first.date_label}) : {_table()}",
        statement=statement,
        missing=missing,
        ask=ask,
        **sourced(*used),
    )


def ifapme_allocation(year: int | None, qualified: bool | None) -> Calculation:
    """Minimum gross monthly allocation of an IFAPME trainee, by year and qualification."""
    if year is not None and year not in _years():
        return _year_not_in_table(year, qualified)
    header: Header = {
        "name": "ifapme_allocation",
        "label": "Allocation mensuelle de stage IFAPME (brut)",
        "inputs": {"year": year, "qualified": qualified},
    }
    notes = [_MINIMA]
    if year is None:
        return _partial(header, year, qualified)
    if qualified is None:
        found = _same_for_both(year)
        if found is None:
            return _partial(header, year, qualified)
        notes.append(f"En {SHORT_ORDINAL[year]} année, le montant est le même pour un stagiaire qualifié ou non.")
        who = ""
    else:
        found = _row(year, qualified)
        who = " qualifié" if qualified else " non qualifié"
    return Calculation(
        **header,
        notes=notes,
        result=found.value,
        formula=f"{SHORT_ORDINAL[year]} année{who} → {eur(found.value)} brut par mois ({found.date_label})",
        statement=(
            f"En {ORDINAL[year]} année, un stagiaire IFAPME{who} touche au minimum {eur(found.value)} brut "
            f"par mois (montants de {found.date_label})."
        ),
        **sourced(found),
    )


def ifapme_total(year: int | None, qualified: bool | None, months: int | None, *, name: str = "ifapme_total") -> Calculation:
    """The IFAPME allocation over N months (months × the monthly minimum)."""
    monthly = ifapme_allocation(year, qualified)
    per_year = name == "ifapme_yearly"
    label = "Allocation IFAPME sur un an (12 mois)" if per_year else "Total des allocations IFAPME"
    header: Header = {"name": name, "label": label, "inputs": {"year": year, "qualified": qualified, "months": months}}
    where: Sourced = {
        "source_ids": monthly.source_ids,
        "valid_from": monthly.valid_from,
        "date_label": monthly.date_label,
        "rate_ids": monthly.rate_ids,
    }
    if monthly.result is None and not monthly.missing:
        # No monthly figure in the sources (a year after the table): no total either, nothing to ask.
        return Calculation(**header, **where, formula=monthly.formula, statement=monthly.statement, notes=monthly.notes)
    if monthly.result is None or months is None or year is None:
        missing = list(monthly.missing) + ([] if months is not None else ["months"])
        return Calculation(
            **header,
            **where,
            formula=monthly.formula,
            statement=monthly.statement,
            notes=monthly.notes,
            missing=missing,
            ask=monthly.ask or ASK_MONTHS,
        )
    total = times(months, monthly.result)
    span = "sur un an (12 mois)" if per_year else f"sur {months} mois"
    return Calculation(
        **header,
        **where,
        result=total,
        formula=f"{months} mois × {eur(monthly.result)} = {eur(total)}",
        statement=(
            f"{span[0].upper()}{span[1:]}, l'allocation IFAPME minimale ({ORDINAL[year]} année) fait "
            f"{eur(total)} brut ({months} × {eur(monthly.result)}, montants de {monthly.date_label})."
        ),
        notes=[*monthly.notes, "Calcul à montant constant : l'allocation change avec l'année de formation et l'indexation."],
    )


def ifapme_yearly(year: int | None, qualified: bool | None) -> Calculation:
    """The IFAPME allocation over twelve months (a year of training at a constant amount)."""
    return ifapme_total(year, qualified, TWELVE, name="ifapme_yearly")
