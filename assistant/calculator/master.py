"""CIP in a master en alternance: the yearly lump sum, its monthly and daily bases, and totals.

The lump sum has a dated history (rates.yaml, series `master_lump`): a question about a date
("fixé en 2011", "depuis juin 2016") gets the sum valid then, with the most recent one. The bases
exist at one date only, so a total asked for an earlier date is not computed. The days of each year
of the master come from its internship calendar (kind `master_days`, by year).
"""

from __future__ import annotations

from datetime import date

from assistant.calculator.common import (
    ASK_DAYS_OR_MONTHS,
    SHORT_ORDINAL,
    Header,
    eur,
    rate,
    sourced,
    times,
    year_of,
)
from assistant.calculator.dates import AsOf
from assistant.calculator.money import format_number
from assistant.calculator.rates import Rate, get_rates, rate_at, select
from assistant.calculator.result import Calculation, InputValue
from assistant.schemes import competent_body

# The yearly lump sum's indexation history (rates.yaml, `series`).
MASTER_LUMP = "master_lump"
# What each dated history is, as an answer names it ("… a augmenté de 595 €").
SERIES_NAMES = {MASTER_LUMP: "l'indemnité forfaitaire annuelle du master en alternance"}
# The internship calendar: days in the company, one rate per year of the master (rates.yaml, `kind`).
MASTER_DAYS = "master_days"


def calendar_days(year: int | None) -> Rate | None:
    """The calendar's days for a year of the master; None for an unknown year or one it does not list."""
    return None if year is None else select(MASTER_DAYS, year=year)


def _since(day: date) -> str:
    """"de 2011" for a rate dated only by its year (1 January), else "du 01/06/2016"."""
    return f"de {day.year}" if (day.month, day.day) == (1, 1) else f"du {day.strftime('%d/%m/%Y')}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lump_history() -> str:
    return ", ".join(f"{eur(r.value)} ({r.date_label})" for r in get_rates().series(MASTER_LUMP))


def _bases_lump() -> Rate:
    """The lump sum the monthly and daily bases divide (the one valid when the bases are dated)."""
    found = rate_at(MASTER_LUMP, rate("master_monthly").valid_from)
    return found if found is not None else get_rates().series(MASTER_LUMP)[-1]


def _master_notes() -> list[str]:
    latest, lump = get_rates().series(MASTER_LUMP)[-1], _bases_lump()
    monthly, other = rate("master_monthly"), rate("master_monthly_tax_section")
    return [
        f"Historique du forfait annuel : {_lump_history()} ; sans date demandée, c'est le plus récent "
        f"({latest.date_label}) qui est utilisé.",
        f"Le document est incohérent : il écrit « {monthly.quote} » (index au 01/01/2019) mais aussi, dans "
        f"la section Fiscalité, « {other.quote} ». Le calcul retient {eur(monthly.value)}, la base "
        f"mensuelle donnée avec le forfait de {eur(lump.value)} ({format_number(10)} × {eur(monthly.value)} "
        f"= {eur(lump.value)}) ; {eur(other.value)} n'est pas daté. Faites confirmer le montant par "
        f"{competent_body('cip-master')}.",
        "Montant défini sur la base du RMMM pour les plus de 21 ans, susceptible d'être indexé depuis 2019.",
    ]


def _master_rates() -> list[Rate]:
    return [*get_rates().series(MASTER_LUMP), rate("master_monthly"), rate("master_daily"),
            rate("master_daily_divisor"), rate("master_monthly_tax_section")]


def _bases_text() -> str:
    """How the lump sum is spread (the brochure gives the bases only with one lump sum)."""
    lump, monthly, daily, divisor = _bases_lump(), rate("master_monthly"), rate("master_daily"), rate("master_daily_divisor")
    return (
        f"une base mensuelle de {eur(monthly.value)} ou sur une base journalière de {eur(daily.value)} "
        f"({eur(lump.value)} / {format_number(divisor.value)} jours de formation en entreprise)"
    )


def _bases_formula() -> str:
    """"7.969 € / 100 jours = 79,69 € par jour ; base mensuelle : 796,90 €"."""
    daily, monthly, divisor = rate("master_daily"), rate("master_monthly"), rate("master_daily_divisor")
    return (
        f"{eur(_bases_lump().value)} / {format_number(divisor.value)} jours = {eur(daily.value)} par jour ; "
        f"base mensuelle : {eur(monthly.value)}"
    )


def _earlier_in_period(chosen: Rate, as_of: AsOf) -> str:
    """" ; avant cette date : 7.218 €" when the rate changed during the period asked ("en 2016")."""
    history = get_rates().series(MASTER_LUMP)
    index = history.index(chosen)
    if as_of.before or index == 0 or chosen.valid_from is None or chosen.valid_from <= as_of.start:
        return ""
    previous = history[index - 1]
    return f" ; avant cette date : {eur(previous.value)}"


def _latest_at(header: Header, as_of: AsOf) -> Calculation:
    """A date at which the most recent lump sum applies (or one after it: maybe indexed since)."""
    latest = get_rates().series(MASTER_LUMP)[-1]
    when = as_of.label()
    if latest.valid_from is not None and as_of.when.year > latest.valid_from.year:
        lead = (
            f"{_capital(when)}, la brochure ne donne pas de montant plus récent que celui "
            f"{_since(latest.valid_from or as_of.when)} : l'indemnité forfaitaire du master en alternance "
            f"est de {eur(latest.value)} par année académique ({latest.date_label}, susceptible d'avoir été "
            f"indexée depuis)"
        )
    else:
        lead = (
            f"{_capital(when)}, l'indemnité forfaitaire du master en alternance est de {eur(latest.value)} "
            f"par année académique ({latest.date_label}{_earlier_in_period(latest, as_of)})"
        )
    return Calculation(
        **header,
        notes=_master_notes(),
        result=latest.value,
        formula=(
            f"{when} : {eur(latest.value)} par année académique ({latest.date_label}, le plus récent) ; "
            + _bases_formula()
        ),
        statement=f"{lead}, que l'entreprise peut répartir sur {_bases_text()}.",
        **sourced(latest, *_master_rates()),
    )


def _older_at(header: Header, as_of: AsOf, chosen: Rate) -> Calculation:
    """A date at which an older lump sum applied: that one, then the following ones."""
    history = get_rates().series(MASTER_LUMP)
    latest, monthly, daily = history[-1], rate("master_monthly"), rate("master_daily")
    when = as_of.label()
    later = history[history.index(chosen) + 1:]
    following = ", puis ".join(f"{eur(r.value)} ({r.date_label})" for r in later)
    notes = _master_notes()
    if monthly.valid_from is not None and as_of.when < monthly.valid_from:
        notes.insert(1, (
            f"La brochure ne donne les bases mensuelle ({eur(monthly.value)}) et journalière ({eur(daily.value)}) "
            f"qu'avec le forfait de {eur(_bases_lump().value)} ({monthly.date_label}) : elle n'en donne pas pour "
            f"le montant de {eur(chosen.value)}."
        ))
    return Calculation(
        **header,
        result=chosen.value,
        formula=(
            f"{when} : {eur(chosen.value)} par année académique ({chosen.date_label}) ; "
            f"montant le plus récent : {eur(latest.value)} ({latest.date_label})"
        ),
        statement=(
            f"{_capital(when)}, l'indemnité forfaitaire du master en alternance était de {eur(chosen.value)} par "
            f"année académique ({chosen.date_label}{_earlier_in_period(chosen, as_of)}). "
            f"Montant{'s' if len(later) > 1 else ''} suivant{'s' if len(later) > 1 else ''} selon la brochure : "
            f"{following}, le plus récent."
        ),
        notes=notes,
        **sourced(chosen, *_master_rates()),
    )


def cip_master_indemnity(as_of: AsOf | None = None) -> Calculation:
    """The yearly lump sum of a master en alternance and its monthly and daily bases.

    `as_of`: the date the question asks about; the lump sum valid then is given (with the most
    recent one), or none before the first one. Without it, the most recent lump sum.
    """
    history = get_rates().series(MASTER_LUMP)
    first, latest = history[0], history[-1]
    header: Header = {
        "name": "cip_master_indemnity",
        "label": "Indemnité de CIP en master en alternance (forfait annuel)",
        "inputs": {} if as_of is None else {"as_of": as_of.when.isoformat()},
    }
    if as_of is None:
        return Calculation(
            **header,
            notes=_master_notes(),
            result=latest.value,
            formula=_bases_formula(),
            statement=(
                f"En master en alternance, l'indemnité forfaitaire est de {eur(latest.value)} par année académique "
                f"({latest.date_label}), que l'entreprise peut répartir sur {_bases_text()}."
            ),
            **sourced(latest, *_master_rates()),
        )
    chosen = rate_at(MASTER_LUMP, as_of.when)
    if chosen == latest:
        return _latest_at(header, as_of)
    if chosen is not None:
        return _older_at(header, as_of, chosen)
    when = as_of.label()
    return Calculation(
        **header,
        notes=_master_notes(),
        formula=f"{when} : pas de montant dans la brochure (premier montant : {eur(first.value)}, {first.date_label})",
        statement=(
            f"La brochure ne donne pas de montant {when} : le plus ancien qu'elle cite est celui "
            f"{_since(first.valid_from or as_of.when)} ({eur(first.value)} par année académique, {first.date_label}) ; "
            f"le plus récent est de {eur(latest.value)} par année académique ({latest.date_label})."
        ),
        **sourced(first, *_master_rates()),
    )


def _master_total_before_bases(days: int | None, months: int | None, year: int | None, as_of: AsOf) -> Calculation:
    """A total asked for a date before the bases: the brochure gives no daily or monthly basis then."""
    monthly, daily, lump = rate("master_monthly"), rate("master_daily"), _bases_lump()
    when = as_of.label()
    chosen = rate_at(MASTER_LUMP, as_of.when)
    if chosen is None:
        then = f" La brochure ne donne pas de montant {when}."
    else:
        then = (f" {_capital(when)}, le forfait annuel était de {eur(chosen.value)} par année académique "
                f"({chosen.date_label}).")
    return Calculation(
        name="cip_master_total",
        label="Total de l'indemnité de master en alternance",
        inputs={"days": days, "months": months, "year": year, "as_of": as_of.when.isoformat()},
        formula=(
            f"{when} : pas de base journalière ni mensuelle dans la brochure (bases à l'{daily.date_label} : "
            f"{eur(daily.value)} par jour, {eur(monthly.value)} par mois, forfait de {eur(lump.value)})"
        ),
        statement=(
            f"La brochure ne donne la base journalière ({eur(daily.value)}) et la base mensuelle "
            f"({eur(monthly.value)}) qu'à l'{daily.date_label} : elle n'en donne pas {when}, aucun total n'est "
            f"donc calculé pour cette date.{then}"
        ),
        notes=_master_notes(),
        **sourced(daily, monthly, *_master_rates()),
    )


def _total(
    inputs: dict[str, InputValue], notes: list[str], count: int, basis: Rate, words: tuple[str, str, str], span: str,
    used: list[Rate],
) -> Calculation:
    """count × a basis: days × the daily basis or months × the monthly one (`words`: the unit, the
    unit after "par", the basis' adjective)."""
    unit, per, adjective = words
    total = times(count, basis.value)
    return Calculation(
        name="cip_master_total",
        label=f"Total de l'indemnité de master en alternance (par {per})",
        inputs=inputs,
        result=total,
        formula=f"{count} {unit} × {eur(basis.value)} = {eur(total)}",
        statement=(
            f"{span}, l'indemnité est de {eur(total)} ({count} {unit} × {eur(basis.value)}, "
            f"base {adjective} à l'{basis.date_label})."
        ),
        notes=notes,
        **sourced(*used),
    )


def cip_master_total(
    days: int | None = None, months: int | None = None, year: int | None = None, as_of: AsOf | None = None
) -> Calculation:
    """Total for N days (× the daily basis) or N months (× the monthly basis) of a master en alternance.

    Without days or months, the master's own internship calendar (about 103 days in the first year,
    106 in the second) gives the number of days when the year is known. `as_of`: a date asked
    about; before the bases' date the brochure has no basis, and no total is computed.
    """
    lump, monthly, daily = _bases_lump(), rate("master_monthly"), rate("master_daily")
    if as_of is not None and daily.valid_from is not None and as_of.when < daily.valid_from:
        return _master_total_before_bases(days, months, year, as_of)
    inputs: dict[str, InputValue] = {"days": days, "months": months, "year": year}
    if as_of is not None:
        inputs["as_of"] = as_of.when.isoformat()
    notes = _master_notes()
    used: list[Rate] = [daily, monthly, lump, rate("master_monthly_tax_section")]
    calendar = calendar_days(year)
    if days is None and months is None and calendar is not None:
        days = int(calendar.value)
        used.append(calendar)
        notes.insert(0, f"Nombre de jours : environ {days} jours en {SHORT_ORDINAL[year_of(calendar)]} année du master "
                        f"({calendar.date_label}, dates susceptibles de modifications).")
    if days is not None:
        return _total(inputs, notes, days, daily, ("jours", "jour", "journalière"),
                      f"Pour {days} jours de formation en entreprise", used)
    if months is not None:
        return _total(inputs, notes, months, monthly, ("mois", "mois", "mensuelle"), f"Sur {months} mois",
                      [monthly, lump, daily, rate("master_monthly_tax_section")])
    return Calculation(
        name="cip_master_total",
        label="Total de l'indemnité de master en alternance",
        inputs=inputs,
        formula=f"nombre de jours × {eur(daily.value)} ou nombre de mois × {eur(monthly.value)}",
        statement=(
            f"En master en alternance, le total se calcule à {eur(daily.value)} par jour de formation en "
            f"entreprise ou {eur(monthly.value)} par mois (forfait de {eur(lump.value)} par année académique)."
        ),
        notes=notes,
        missing=["days"],
        ask=ASK_DAYS_OR_MONTHS,
        **sourced(daily, monthly, lump, rate("master_monthly_tax_section")),
    )

