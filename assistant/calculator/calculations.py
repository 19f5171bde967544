"""The calculations: pure functions from a user's situation to a sourced, explained Calculation.

Every figure comes from rates.yaml (each tied to a verbatim quote); arithmetic is Decimal with
half-up rounding to the cent; nothing is interpolated or guessed. When the sources hold no figure
for a situation, the Calculation says so (result None) and points to who can answer.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from assistant.calculator.dates import AsOf
from assistant.calculator.money import format_eur, format_number, round_cents
from assistant.calculator.rates import Rate, get_rates, rate_at
from assistant.calculator.result import Calculation
from assistant.schemes import competent_body

Household = Literal["two_parents", "single_parent"]
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


def rate(rate_id: str) -> Rate:
    return get_rates().get(rate_id)


def eur(value: Decimal) -> str:
    """Amounts as the brochures write them: cents shown unless they are zero ("7.969 €")."""
    return format_eur(value, cents=False)


def _pct(value: Decimal) -> str:
    return f"{format_number(value)} %"


def _sourced(*rates: Rate, primary: Rate | None = None) -> dict:
    primary = primary or rates[0]
    return {
        "source_ids": list(dict.fromkeys(r.doc_id for r in rates)),
        "valid_from": primary.iso_date,
        "date_label": primary.date_label,
        "rate_ids": list(dict.fromkeys(r.id for r in rates)),
    }


def _times(count: int | Decimal, unit_amount: Decimal) -> Decimal:
    """count × a unit amount already rounded to the cent: the total is exactly unit × count."""
    return round_cents(Decimal(count) * unit_amount)


# --- CIP (Bruxelles) ----------------------------------------------------------------------


def cip_indemnity(age: int | None) -> Calculation:
    """Monthly CIP indemnity by age; the brochure gives 18 years and 21+ only."""
    r18, r21 = rate("cip_indemnity_18"), rate("cip_indemnity_21")
    base = {
        "name": "cip_indemnity",
        "label": "Indemnité mensuelle de CIP (Bruxelles)",
        "inputs": {"age": age},
        "notes": [
            "Indemnité à charge de l'employeur, assujettie à la sécurité sociale des travailleurs salariés.",
        ],
        **_sourced(r18, r21),
    }
    table = f"{eur(r18.value)} à 18 ans et {eur(r21.value)} à 21 ans et plus ({r18.date_label})"
    if age is None:
        return Calculation(
            **base,
            formula=f"18 ans : {eur(r18.value)} ; 21 ans et plus : {eur(r21.value)}",
            statement=f"En CIP, l'indemnité dépend de l'âge : {table}.",
            missing=["age"],
            ask=ASK_AGE,
        )
    if age == 18:
        return Calculation(
            **base,
            result=r18.value,
            formula=f"18 ans → {eur(r18.value)} par mois ({r18.date_label})",
            statement=f"À 18 ans, l'indemnité de CIP est de {eur(r18.value)} par mois ({r18.date_label}).",
        )
    if age >= 21:
        return Calculation(
            **base,
            result=r21.value,
            formula=f"21 ans et plus → {eur(r21.value)} par mois ({r21.date_label})",
            statement=f"À {age} ans, l'indemnité de CIP est de {eur(r21.value)} par mois ({r21.date_label}).",
        )
    where = "Bruxelles Formation, Actiris"
    if age > 18:  # 19 or 20
        base["notes"].append(
            "La brochure ne donne que deux montants (18 ans, 21 ans et plus) : aucun montant n'est "
            "calculé par interpolation."
        )
        return Calculation(
            **base,
            formula=f"{age} ans : pas de montant dans la brochure (entre {eur(r18.value)} et {eur(r21.value)})",
            statement=(
                f"Pour {age} ans, la brochure ne donne pas de montant : elle indique {table}. "
                f"Votre indemnité se situe entre {eur(r18.value)} et {eur(r21.value)} ; demandez le "
                f"montant exact à {where} ou au secrétariat social de l'employeur."
            ),
        )
    return Calculation(
        **base,
        formula=f"{age} ans : pas de montant dans la brochure",
        statement=(
            f"La brochure ne donne pas d'indemnité de CIP en dessous de 18 ans : elle indique {table}. "
            f"Renseignez-vous auprès de {where} ou du secrétariat social de l'employeur."
        ),
    )


def cip_total(age: int | None, months: int | None) -> Calculation:
    """CIP indemnity over the length of the convention (1 to 6 months)."""
    monthly = cip_indemnity(age)
    shortest, longest = rate("cip_duration_min"), rate("cip_duration_max")
    base = {
        "name": "cip_total",
        "label": "Total des indemnités de CIP",
        "inputs": {"age": age, "months": months},
        **_sourced(*[rate(i) for i in monthly.rate_ids], shortest, longest, primary=rate(monthly.rate_ids[0])),
    }
    if months is None:
        return Calculation(
            **base,
            formula=monthly.formula,
            statement=monthly.statement,
            notes=monthly.notes,
            missing=[*monthly.missing, "months"],
            ask=monthly.ask or ASK_MONTHS,
        )
    if not shortest.value <= months <= longest.value:
        return Calculation(
            **base,
            formula=f"{months} mois : hors de la durée d'une CIP",
            statement=(
                f"Une CIP dure de {format_number(shortest.value)} à {format_number(longest.value)} mois : "
                f"un total sur {months} mois ne correspond pas à une seule convention."
            ),
        )
    if monthly.result is None:
        return Calculation(
            **base,
            formula=monthly.formula,
            statement=monthly.statement,
            notes=monthly.notes,
            missing=monthly.missing,
            ask=monthly.ask,
        )
    total = _times(months, monthly.result)
    return Calculation(
        **base,
        result=total,
        formula=f"{months} mois × {eur(monthly.result)} = {eur(total)}",
        statement=(
            f"Sur {months} mois de CIP, à {age} ans, l'indemnité totale est de {eur(total)} "
            f"({months} × {eur(monthly.result)}, {monthly.date_label})."
        ),
        notes=monthly.notes,
    )


# --- CIP in a master en alternance ----------------------------------------------------------

# The yearly lump sum's indexation history (rates.yaml, `series`).
MASTER_LUMP = "master_lump"


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


def cip_master_indemnity(as_of: AsOf | None = None) -> Calculation:
    """The yearly lump sum of a master en alternance and its monthly and daily bases.

    `as_of`: the date the question asks about; the lump sum valid then is given (with the most
    recent one), or none before the first one. Without it, the most recent lump sum.
    """
    history = get_rates().series(MASTER_LUMP)
    first, latest = history[0], history[-1]
    monthly, daily = rate("master_monthly"), rate("master_daily")
    base = {
        "name": "cip_master_indemnity",
        "label": "Indemnité de CIP en master en alternance (forfait annuel)",
        "inputs": {} if as_of is None else {"as_of": as_of.when.isoformat()},
        "notes": _master_notes(),
    }
    rates = _master_rates()
    if as_of is None:
        return Calculation(
            **base,
            result=latest.value,
            formula=_bases_formula(),
            statement=(
                f"En master en alternance, l'indemnité forfaitaire est de {eur(latest.value)} par année académique "
                f"({latest.date_label}), que l'entreprise peut répartir sur {_bases_text()}."
            ),
            **_sourced(latest, *rates),
        )
    when = as_of.label()
    chosen = rate_at(MASTER_LUMP, as_of.when)
    if chosen is None:
        return Calculation(
            **base,
            formula=f"{when} : pas de montant dans la brochure (premier montant : {eur(first.value)}, {first.date_label})",
            statement=(
                f"La brochure ne donne pas de montant {when} : le plus ancien qu'elle cite est celui "
                f"{_since(first.valid_from or as_of.when)} ({eur(first.value)} par année académique, {first.date_label}) ; "
                f"le plus récent est de {eur(latest.value)} par année académique ({latest.date_label})."
            ),
            **_sourced(first, *rates),
        )
    earlier = _earlier_in_period(chosen, as_of)
    if chosen == latest:
        newer_year = latest.valid_from is not None and as_of.when.year > latest.valid_from.year
        if newer_year:
            lead = (
                f"{_capital(when)}, la brochure ne donne pas de montant plus récent que celui "
                f"{_since(latest.valid_from or as_of.when)} : l'indemnité forfaitaire du master en alternance "
                f"est de {eur(latest.value)} par année académique ({latest.date_label}, susceptible d'avoir été "
                f"indexée depuis)"
            )
        else:
            lead = (
                f"{_capital(when)}, l'indemnité forfaitaire du master en alternance est de {eur(latest.value)} "
                f"par année académique ({latest.date_label}{earlier})"
            )
        return Calculation(
            **base,
            result=latest.value,
            formula=(
                f"{when} : {eur(latest.value)} par année académique ({latest.date_label}, le plus récent) ; "
                + _bases_formula()
            ),
            statement=f"{lead}, que l'entreprise peut répartir sur {_bases_text()}.",
            **_sourced(latest, *rates),
        )
    later = history[history.index(chosen) + 1:]
    following = ", puis ".join(f"{eur(r.value)} ({r.date_label})" for r in later)
    notes = [*base.pop("notes")]
    if monthly.valid_from is not None and as_of.when < monthly.valid_from:
        notes.insert(1, (
            f"La brochure ne donne les bases mensuelle ({eur(monthly.value)}) et journalière ({eur(daily.value)}) "
            f"qu'avec le forfait de {eur(_bases_lump().value)} ({monthly.date_label}) : elle n'en donne pas pour "
            f"le montant de {eur(chosen.value)}."
        ))
    return Calculation(
        **base,
        result=chosen.value,
        formula=(
            f"{when} : {eur(chosen.value)} par année académique ({chosen.date_label}) ; "
            f"montant le plus récent : {eur(latest.value)} ({latest.date_label})"
        ),
        statement=(
            f"{_capital(when)}, l'indemnité forfaitaire du master en alternance était de {eur(chosen.value)} par "
            f"année académique ({chosen.date_label}{earlier}). Montant{'s' if len(later) > 1 else ''} "
            f"suivant{'s' if len(later) > 1 else ''} selon la brochure : {following}, le plus récent."
        ),
        notes=notes,
        **_sourced(chosen, *rates),
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
        **_sourced(daily, monthly, *_master_rates()),
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
    inputs: dict[str, object] = {"days": days, "months": months, "year": year}
    if as_of is not None:
        inputs["as_of"] = as_of.when.isoformat()
    notes = _master_notes()
    used: list[Rate] = [daily, monthly, lump, rate("master_monthly_tax_section")]
    if days is None and months is None and year in (1, 2):
        calendar = rate(f"master_days_year_{year}")
        days = int(calendar.value)
        used.append(calendar)
        notes.insert(0, f"Nombre de jours : environ {days} jours en {SHORT_ORDINAL[year]} année du master "
                        f"({calendar.date_label}, dates susceptibles de modifications).")
    if days is not None:
        total = _times(days, daily.value)
        return Calculation(
            name="cip_master_total",
            label="Total de l'indemnité de master en alternance (par jour)",
            inputs=inputs,
            result=total,
            formula=f"{days} jours × {eur(daily.value)} = {eur(total)}",
            statement=(
                f"Pour {days} jours de formation en entreprise, l'indemnité est de {eur(total)} "
                f"({days} jours × {eur(daily.value)}, base journalière à l'{daily.date_label})."
            ),
            notes=notes,
            **_sourced(*used),
        )
    if months is not None:
        total = _times(months, monthly.value)
        return Calculation(
            name="cip_master_total",
            label="Total de l'indemnité de master en alternance (par mois)",
            inputs=inputs,
            result=total,
            formula=f"{months} mois × {eur(monthly.value)} = {eur(total)}",
            statement=(
                f"Sur {months} mois, l'indemnité est de {eur(total)} ({months} mois × {eur(monthly.value)}, "
                f"base mensuelle à l'{monthly.date_label})."
            ),
            notes=notes,
            **_sourced(monthly, lump, daily, rate("master_monthly_tax_section")),
        )
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
        **_sourced(daily, monthly, lump, rate("master_monthly_tax_section")),
    )


# --- IFAPME convention de stage ------------------------------------------------------------


def _table_years(prefix: str) -> list[int]:
    """The years a table of rates.yaml covers (ids `<prefix><year>`), e.g. [1, 2, 3]."""
    return sorted(r.conditions.year for r in get_rates().rates if r.id.startswith(prefix) and r.conditions.year)


def _ifapme_rate(year: int, qualified: bool) -> Rate:
    return rate(f"ifapme_{'qualified' if qualified else 'unqualified'}_{year}")


def _ifapme_years() -> list[int]:
    return _table_years("ifapme_qualified_")


def _ifapme_year_not_in_table(year: int, qualified: bool | None) -> Calculation:
    """A year after the table's last (a 4th year): no figure, the last row recalled with its date."""
    first, last = _ifapme_years()[0], _ifapme_years()[-1]
    q, nq = _ifapme_rate(last, True), _ifapme_rate(last, False)
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
        **_sourced(q, nq, extension),
    )


def _ifapme_table() -> str:
    rows = []
    for qualified, word in ((True, "qualifié"), (False, "non qualifié")):
        cells = ", ".join(
            f"{eur(_ifapme_rate(y, qualified).value)} ({SHORT_ORDINAL[y]} année)" for y in (1, 2, 3)
        )
        rows.append(f"{word} : {cells}")
    return " ; ".join(rows)


def _ifapme_all_rates() -> list[Rate]:
    return [_ifapme_rate(y, q) for q in (True, False) for y in (1, 2, 3)]


def ifapme_allocation(year: int | None, qualified: bool | None) -> Calculation:
    """Minimum gross monthly allocation of an IFAPME trainee, by year and qualification."""
    if year is not None and year not in _ifapme_years():
        return _ifapme_year_not_in_table(year, qualified)
    first = _ifapme_rate(1, True)
    base = {
        "name": "ifapme_allocation",
        "label": "Allocation mensuelle de stage IFAPME (brut)",
        "inputs": {"year": year, "qualified": qualified},
        "notes": ["Il s'agit de montants minima : l'entreprise peut accorder une allocation supérieure."],
    }
    if year is not None and (qualified is not None or year == 3):
        # In the third year both rows of the table give the same amount: no need to ask.
        r = _ifapme_rate(year, True if qualified is None else qualified)
        if qualified is None:
            base["notes"].append(
                f"En {SHORT_ORDINAL[year]} année, le montant est le même pour un stagiaire qualifié ou non."
            )
            who = ""
        else:
            who = " qualifié" if qualified else " non qualifié"
        return Calculation(
            **base,
            result=r.value,
            formula=f"{SHORT_ORDINAL[year]} année{who} → {eur(r.value)} brut par mois ({r.date_label})",
            statement=(
                f"En {ORDINAL[year]} année, un stagiaire IFAPME{who} touche au minimum {eur(r.value)} brut "
                f"par mois (montants de {r.date_label})."
            ),
            **_sourced(r),
        )
    missing, ask = [], None
    if year is None:
        missing.append("year")
        ask = ASK_YEAR
    if qualified is None:
        missing.append("qualified")
        ask = ask or ASK_QUALIFIED
    if year is not None:
        q, nq = _ifapme_rate(year, True), _ifapme_rate(year, False)
        statement = (
            f"En {ORDINAL[year]} année, l'allocation IFAPME minimale est de {eur(q.value)} brut par mois si vous "
            f"êtes qualifié, {eur(nq.value)} sinon (montants de {q.date_label})."
        )
        used = [q, nq]
    elif qualified is not None:
        rs = [_ifapme_rate(y, qualified) for y in (1, 2, 3)]
        word = "qualifié" if qualified else "non qualifié"
        cells = ", ".join(f"{eur(r.value)} en {SHORT_ORDINAL[y]} année" for y, r in zip((1, 2, 3), rs, strict=True))
        statement = f"Pour un stagiaire IFAPME {word}, l'allocation minimale est de {cells} (brut par mois, {first.date_label})."
        used = rs
    else:
        statement = f"Allocations de stage IFAPME, montants bruts minimaux par mois ({first.date_label}) : {_ifapme_table()}."
        used = _ifapme_all_rates()
    return Calculation(
        **base,
        formula=f"Montants bruts ({first.date_label}) : {_ifapme_table()}",
        statement=statement,
        missing=missing,
        ask=ask,
        **_sourced(*used),
    )


def ifapme_total(year: int | None, qualified: bool | None, months: int | None, *, name: str = "ifapme_total") -> Calculation:
    """The IFAPME allocation over N months (months × the monthly minimum)."""
    monthly = ifapme_allocation(year, qualified)
    per_year = name == "ifapme_yearly"
    label = "Allocation IFAPME sur un an (12 mois)" if per_year else "Total des allocations IFAPME"
    base = {
        "name": name,
        "label": label,
        "inputs": {"year": year, "qualified": qualified, "months": months},
        "source_ids": monthly.source_ids,
        "valid_from": monthly.valid_from,
        "date_label": monthly.date_label,
        "rate_ids": monthly.rate_ids,
    }
    if monthly.result is None and not monthly.missing:
        # No monthly figure in the sources (a year after the table): no total either, nothing to ask.
        return Calculation(**base, formula=monthly.formula, statement=monthly.statement, notes=monthly.notes)
    if monthly.result is None or months is None:
        missing = list(monthly.missing) + ([] if months is not None else ["months"])
        return Calculation(
            **base,
            formula=monthly.formula,
            statement=monthly.statement,
            notes=monthly.notes,
            missing=missing,
            ask=monthly.ask or ASK_MONTHS,
        )
    total = _times(months, monthly.result)
    span = "sur un an (12 mois)" if per_year else f"sur {months} mois"
    return Calculation(
        **base,
        result=total,
        formula=f"{months} mois × {eur(monthly.result)} = {eur(total)}",
        statement=(
            f"{span[0].upper()}{span[1:]}, l'allocation IFAPME minimale ({ORDINAL[year]} année) fait "
            f"{eur(total)} brut ({months} × {eur(monthly.result)}, montants de {monthly.date_label})."
        ),
        notes=[*monthly.notes, "Calcul à montant constant : l'allocation change avec l'année de formation et l'indexation."],
    )


def ifapme_yearly(year: int | None, qualified: bool | None) -> Calculation:
    return ifapme_total(year, qualified, TWELVE, name="ifapme_yearly")


# --- CISP (CEFA) ---------------------------------------------------------------------------

_CISP_EXAMPLES = {16: "cisp_example_16_year_1", 18: "cisp_example_18_year_3"}


def _cisp_percent(year: int) -> Rate:
    return rate(f"cisp_percent_{year}")


def _cisp_year_not_in_table(base: dict, year: int) -> Calculation:
    """A year after the page's last percentage (a 4th year): no percentage, hence no amount."""
    years = _table_years("cisp_percent_")
    percents = [_cisp_percent(y) for y in years]
    listed = ", ".join(_pct(p.value) for p in percents[:-1]) + f" ou {_pct(percents[-1].value)}"
    ordinals = ", ".join(SHORT_ORDINAL[y] for y in years[:-1]) + f" ou {SHORT_ORDINAL[years[-1]]}"
    renewal = rate("cisp_duration_months")
    return Calculation(
        **base,
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
        **_sourced(*percents, renewal),
    )


def _cisp_general() -> str:
    p1, p2, p3 = (_cisp_percent(y) for y in (1, 2, 3))
    e16, e18 = rate(_CISP_EXAMPLES[16]), rate(_CISP_EXAMPLES[18])
    hours = format_number(rate("cisp_example_hours").value)
    return (
        f"En CISP, l'indemnité mensuelle vaut {_pct(p1.value)}, {_pct(p2.value)} ou {_pct(p3.value)} du RMMMG "
        f"applicable (1re, 2e ou 3e année), multiplié par la fraction de prestation en entreprise. Exemples de la "
        f"page, pour {hours} h par semaine : {eur(e16.value)} par mois à 16 ans en 1re année, {eur(e18.value)} "
        f"à 18 ans en 3e année."
    )


def cisp_implied_base(age: int) -> Decimal:
    """The monthly RMMMG base implied by the page's worked example for this age (unrounded)."""
    example = rate(_CISP_EXAMPLES[age])
    fraction = Decimal(example.conditions.hours_per_week) / rate("ifapme_max_weekly_hours").value
    return example.value / (_cisp_percent(example.conditions.year).value / 100 * fraction)


def cisp_indemnity(age: int | None, year: int | None, hours_per_week: Decimal | int | None) -> Calculation:
    """CISP monthly indemnity = % of the RMMMG (by year) × fraction of presence.

    The page gives no RMMMG figure, only two worked examples (16 years, 1st year, 24 h → 265,59 €;
    18 years, 3rd year, 24 h → 451,12 €). The RMMMG applicable depends on age, the percentage on the
    year and the amount is proportional to the hours, so for 16 and 18 years (any year, up to 38 h)
    the amount is the example scaled: example × (% of the year / % of the example) × (hours / 24).
    Other ages have no base in the sources: formula only.
    """
    hours = Decimal(str(hours_per_week)) if hours_per_week is not None else None
    max_hours = rate("ifapme_max_weekly_hours")
    ex_hours = rate("cisp_example_hours")
    base = {
        "name": "cisp_indemnity",
        "label": "Indemnité mensuelle de formation en CISP (CEFA)",
        "inputs": {"age": age, "year": year, "hours_per_week": hours},
    }
    general_rates = [*(_cisp_percent(y) for y in (1, 2, 3)), rate(_CISP_EXAMPLES[16]), rate(_CISP_EXAMPLES[18]), ex_hours]
    date_note = (
        "La page du SPF Emploi n'est pas datée et ne donne pas le RMMMG : les montants sont calculés à partir "
        f"de ses exemples ; le RMMMG a pu être indexé depuis. Faites confirmer par {competent_body('cisp')}."
    )
    if year is not None and year not in _table_years("cisp_percent_"):
        return _cisp_year_not_in_table(base, year)
    missing = [slot for slot, value in (("age", age), ("year", year), ("hours_per_week", hours)) if value is None]
    if age is not None and age not in _CISP_EXAMPLES:
        year_part = _pct(_cisp_percent(year).value) if year else "40 %, 50 % ou 58 % (selon l'année)"
        hours_part = f"{format_number(hours)}/{format_number(max_hours.value)}" if hours else "fraction de prestation"
        return Calculation(
            **base,
            formula=f"RMMMG applicable à {age} ans × {year_part} × {hours_part}",
            statement=(
                f"Pour {age} ans, les sources ne donnent pas le RMMMG applicable : le montant ne peut pas être "
                f"calculé ici. {_cisp_general()}"
            ),
            notes=[
                "Seuls les âges des deux exemples de la page (16 et 18 ans) permettent de déduire une base ; "
                "aucune base n'est extrapolée à un autre âge.",
                date_note,
            ],
            **_sourced(*general_rates),
        )
    if missing:
        asks = {"age": ASK_AGE, "year": ASK_YEAR, "hours_per_week": ASK_HOURS}
        return Calculation(
            **base,
            formula=f"RMMMG applicable × ({_pct(_cisp_percent(1).value)}, {_pct(_cisp_percent(2).value)} ou "
            f"{_pct(_cisp_percent(3).value)}) × heures par semaine / {format_number(max_hours.value)}",
            statement=_cisp_general(),
            notes=[date_note],
            missing=missing,
            ask=asks[missing[0]],
            **_sourced(*general_rates),
        )
    assert age is not None and year is not None and hours is not None
    if not Decimal(0) < hours <= max_hours.value:
        return Calculation(
            **base,
            formula=f"{format_number(hours)} h par semaine : hors de la fraction de prestation (0 à "
            f"{format_number(max_hours.value)} h)",
            statement=(
                f"Un horaire de {format_number(hours)} h par semaine dépasse un temps plein de "
                f"{format_number(max_hours.value)} h : vérifiez le nombre d'heures prestées en entreprise. "
                f"{_cisp_general()}"
            ),
            notes=[date_note],
            **_sourced(*general_rates),
        )
    example = rate(_CISP_EXAMPLES[age])
    ex_year = example.conditions.year
    pct, ex_pct = _cisp_percent(year), _cisp_percent(ex_year)
    exact = example.value * (pct.value / ex_pct.value) * (hours / ex_hours.value)
    result = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    implied = round_cents(cisp_implied_base(age))
    derivation = (
        f"Base mensuelle implicite à {age} ans (RMMMG applicable) : {eur(example.value)} ÷ ({_pct(ex_pct.value)} × "
        f"{format_number(ex_hours.value)}/{format_number(max_hours.value)}) ≈ {eur(implied)} (exemple de la page : "
        f"{age} ans, {SHORT_ORDINAL[ex_year]} année, {format_number(ex_hours.value)} h par semaine ; semaine pleine "
        f"de {format_number(max_hours.value)} h). La même base vaut pour toutes les années au même âge ; seul le "
        f"pourcentage change."
    )
    if year == ex_year and hours == ex_hours.value:
        formula = (
            f"RMMMG applicable à {age} ans × {_pct(pct.value)} × {format_number(hours)}/"
            f"{format_number(max_hours.value)} = {eur(result)} (exemple de la page)"
        )
    else:
        formula = (
            f"{eur(example.value)} × ({_pct(pct.value)} ÷ {_pct(ex_pct.value)}) × ({format_number(hours)} h ÷ "
            f"{format_number(ex_hours.value)} h) = {eur(result)}"
        )
    return Calculation(
        **base,
        result=result,
        formula=formula,
        statement=(
            f"En CISP, un jeune de {age} ans en {ORDINAL[year]} année qui preste {format_number(hours)} h par "
            f"semaine touche {eur(result)} par mois ({_pct(pct.value)} du RMMMG applicable × "
            f"{format_number(hours)}/{format_number(max_hours.value)})."
        ),
        notes=[derivation, date_note],
        **_sourced(example, pct, ex_pct, ex_hours, max_hours),
    )


# --- Stage d'insertion professionnelle -----------------------------------------------------


def sip_allowance() -> Calculation:
    """The article gives no amount for the stage d'insertion (it is a job-search period)."""
    duration = rate("sip_duration_days")
    return Calculation(
        name="sip_allowance",
        label="Montant pendant le stage d'insertion professionnelle",
        statement=(
            "Le stage d'insertion professionnelle n'est pas un stage en entreprise rémunéré : c'est une période "
            f"de recherche d'emploi de {format_number(duration.value)} jours. La source ne donne pas le montant "
            f"des allocations d'insertion ; renseignez-vous auprès de {competent_body('sip')}."
        ),
        unit="EUR",
        **_sourced(duration),
    )


# --- Threshold checks ----------------------------------------------------------------------


def _monthly_amount(amount: Decimal, period: Period | None, notes: list[str]) -> Decimal:
    if period == "year":
        monthly = round_cents(amount / TWELVE)
        notes.append(f"Montant annuel ramené au mois : {eur(amount)} / 12 = {eur(monthly)}.")
        return monthly
    if period is None:
        notes.append("Montant considéré comme mensuel (le plafond est mensuel).")
    return amount


def _yearly_amount(amount: Decimal, period: Period, notes: list[str]) -> Decimal:
    if period == "month":
        yearly = _times(TWELVE, amount)
        notes.append(
            f"Montant mensuel porté sur un an : 12 × {eur(amount)} = {eur(yearly)} (la règle porte sur les "
            "revenus de l'année civile : comptez les mois réellement perçus)."
        )
        return yearly
    return amount


def _compare(amount: Decimal, ceiling: Decimal) -> tuple[Decimal, Literal["above", "below", "equal"]]:
    gap = round_cents(amount - ceiling)
    return abs(gap), "above" if gap > 0 else "below" if gap < 0 else "equal"


def _verdict_text(verdict: str, gap: Decimal, ceiling: str) -> str:
    if verdict == "above":
        return f"vous dépassez de {eur(gap)} {ceiling}"
    if verdict == "below":
        return f"vous restez {eur(gap)} en dessous {ceiling.replace('le ', 'du ', 1)}"
    return f"vous êtes exactement {ceiling.replace('le ', 'au ', 1)}, sans le dépasser"


_FAMILY = {
    "ifapme": ("ifapme_family_ceiling", "convention de stage IFAPME, Wallonie"),
    "sip": ("sip_family_ceiling", "stage d'insertion professionnelle, personnes résidant en Wallonie"),
    "cip-master": ("master_family_ceiling", "CIP en master en alternance, étudiant de plus de 18 ans"),
}
FAMILY_SCHEMES = tuple(_FAMILY)


def family_allowance_check(
    amount: Decimal | None,
    period: Period | None = None,
    scheme: str = "ifapme",
    region: str | None = None,
    ask_amount: bool = True,
) -> Calculation:
    """A monthly amount against the family-allowance ceiling of the scheme's source.

    Without an amount: the ceiling itself (result = the ceiling) when `ask_amount` is False,
    otherwise no result and the question for the amount.
    """
    base = {
        "name": "family_allowance_check",
        "inputs": {"amount": amount, "amount_period": period, "scheme": scheme, "region": region},
    }
    if scheme == "cip":
        hours = rate("cip_family_hours")
        return Calculation(
            **base,
            label="Allocations familiales et CIP (Bruxelles)",
            result=hours.value,
            unit=hours.unit,
            formula=f"plafond en heures : {format_number(hours.value)} heures par trimestre",
            statement=(
                "Pour une CIP à Bruxelles, la brochure ne fixe pas de plafond en euros : vous conservez les "
                f"allocations familiales pour autant que vous ne travailliez pas plus de {format_number(hours.value)} "
                "heures par trimestre."
            ),
            **_sourced(hours),
        )
    if scheme not in _FAMILY:
        return Calculation(
            **base,
            label="Plafond des allocations familiales",
            statement=(
                "Les sources ne donnent pas de plafond d'allocations familiales pour ce dispositif ; "
                f"renseignez-vous auprès de {competent_body(scheme)} ou de votre caisse d'allocations familiales."
            ),
        )
    rate_id, scope = _FAMILY[scheme]
    ceiling = rate(rate_id)
    label = f"Plafond des allocations familiales ({scope})"
    gross = " brut" if "brut" in ceiling.unit else ""
    rule = f"{eur(ceiling.value)}{gross} par mois ({scope} ; {ceiling.date_label})"
    if ceiling.conditions.region and region and region != ceiling.conditions.region:
        return Calculation(
            **base,
            label=label,
            statement=(
                f"Le plafond de {rule} vaut pour la {ceiling.conditions.region} ; la source ne donne pas de montant "
                f"pour {region}. Renseignez-vous auprès de {competent_body(scheme)} ou de votre caisse "
                "d'allocations familiales."
            ),
            **_sourced(ceiling),
        )
    if amount is None:
        return Calculation(
            **base,
            label=label,
            result=None if ask_amount else ceiling.value,
            formula=f"montant mensuel{gross} comparé à {eur(ceiling.value)}",
            statement=f"Plafond des allocations familiales : {rule}.",
            missing=["amount"] if ask_amount else [],
            ask=ASK_AMOUNT if ask_amount else None,
            **_sourced(ceiling),
        )
    notes: list[str] = []
    monthly = _monthly_amount(Decimal(amount), period, notes)
    gap, verdict = _compare(monthly, ceiling.value)
    consequence = (
        "les allocations familiales risquent d'être perdues" if verdict == "above" else "ce plafond n'est pas dépassé"
    )
    return Calculation(
        **base,
        label=label,
        result=gap,
        verdict=verdict,
        formula=f"{eur(monthly)} − {eur(ceiling.value)} = {eur(round_cents(monthly - ceiling.value))}",
        statement=(
            f"Avec {eur(monthly)}{gross} par mois, {_verdict_text(verdict, gap, 'le plafond de ' + rule)} : "
            f"{consequence}."
        ),
        notes=notes,
        **_sourced(ceiling),
    )


def dependent_check(
    amount: Decimal | None,
    period: Period | None,
    household: Household,
    scheme: str | None = None,
    ask_amount: bool = True,
) -> Calculation:
    """A yearly gross amount against the 'personne à charge' ceilings (IFAPME brochure, revenus 2022).

    Without an amount and with `ask_amount` False: the ceiling itself (result = the net maximum).
    """
    net = rate(f"dependent_{household}_net")
    gross = rate(f"dependent_{household}_gross")
    who = "des deux parents" if household == "two_parents" else "d'un parent isolé"
    label = f"Rester fiscalement à charge {who}"
    rule = f"{eur(net.value)} net (= {eur(gross.value)} brut) par an ({net.date_label})"
    notes = ["La règle porte sur les ressources nettes ; la comparaison se fait sur l'équivalent brut donné par l'IFAPME."]
    if scheme not in (None, "ifapme"):
        notes.append(
            "Ces plafonds viennent de la brochure IFAPME ; faites-les confirmer pour votre dispositif par votre "
            "secrétariat social ou l'administration fiscale."
        )
    base = {
        "name": "dependent_check",
        "label": label,
        "inputs": {"amount": amount, "amount_period": period, "household": household, "scheme": scheme},
        **_sourced(gross, net),
    }
    if amount is None or period is None:
        missing = ["amount"] if amount is None else ["amount_period"]
        rule_only = amount is None and not ask_amount
        return Calculation(
            **base,
            result=net.value if rule_only else None,
            formula=f"revenu annuel brut comparé à {eur(gross.value)}",
            statement=f"Pour rester à charge {who}, le maximum de ressources est de {rule}.",
            notes=notes,
            missing=[] if rule_only else missing,
            ask=None if rule_only else ASK_AMOUNT if amount is None else ASK_PERIOD,
        )
    yearly = _yearly_amount(Decimal(amount), period, notes)
    gap, verdict = _compare(yearly, gross.value)
    consequence = (
        f"vous ne seriez plus à charge {who}" if verdict == "above" else f"vous pouvez rester à charge {who}"
    )
    return Calculation(
        **base,
        result=gap,
        verdict=verdict,
        formula=f"{eur(yearly)} − {eur(gross.value)} = {eur(round_cents(yearly - gross.value))}",
        statement=(
            f"Avec {eur(yearly)} brut par an, {_verdict_text(verdict, gap, 'le maximum de ' + rule)} : {consequence}."
        ),
        notes=notes,
    )


_TAX = {
    "ifapme": ("tax_exempt_gross", "convention de stage IFAPME"),
    "cip-master": ("master_tax_threshold", "CIP en master en alternance"),
}
TAX_SCHEMES = tuple(_TAX)


def tax_check(amount: Decimal | None, period: Period | None, scheme: str = "ifapme", ask_amount: bool = True) -> Calculation:
    """A yearly amount against the tax-exempt threshold of the scheme's source.

    Without an amount and with `ask_amount` False: the threshold itself (net figure for IFAPME).
    """
    rate_id, scope = _TAX[scheme]
    threshold = rate(rate_id)
    notes: list[str] = []
    if scheme == "ifapme":
        net = rate("tax_exempt_net")
        rule = f"{eur(net.value)} net ({eur(threshold.value)} brut) par an ({threshold.date_label}, {scope})"
        used = [threshold, net]
        consequence = {"above": "un impôt peut être dû", "below": "pas d'impôt en principe"}
    else:
        rule = f"{eur(threshold.value)} par an ({threshold.date_label}, {scope})"
        used = [threshold]
        consequence = {"above": "le bénéficiaire est redevable d'un impôt", "below": "pas d'impôt en principe"}
        notes.append("Ce seuil date de l'exercice d'imposition 2017 ; ces montants sont indexés annuellement.")
    base = {
        "name": "tax_check",
        "label": f"Seuil d'imposition ({scope})",
        "inputs": {"amount": amount, "amount_period": period, "scheme": scheme},
        **_sourced(*used),
    }
    if amount is None or period is None:
        rule_only = amount is None and not ask_amount
        return Calculation(
            **base,
            result=used[-1].value if rule_only else None,
            formula=f"revenu annuel comparé à {eur(threshold.value)}",
            statement=f"Seuil en dessous duquel aucun impôt n'est dû en principe : {rule}.",
            notes=notes,
            missing=[] if rule_only else ["amount"] if amount is None else ["amount_period"],
            ask=None if rule_only else ASK_AMOUNT if amount is None else ASK_PERIOD,
        )
    yearly = _yearly_amount(Decimal(amount), period, notes)
    gap, verdict = _compare(yearly, threshold.value)
    return Calculation(
        **base,
        result=gap,
        verdict=verdict,
        formula=f"{eur(yearly)} − {eur(threshold.value)} = {eur(round_cents(yearly - threshold.value))}",
        statement=(
            f"Avec {eur(yearly)} par an, {_verdict_text(verdict, gap, 'le seuil de ' + rule)} : "
            f"{consequence.get(verdict, consequence['below'])}."
        ),
        notes=notes,
    )


# --- Counts: leave, durations, notice, suspension -------------------------------------------


def _not_in_sources(name: str, label: str, what: str, scheme: str | None, unit: str) -> Calculation:
    return Calculation(
        name=name,
        label=label,
        unit=unit,
        inputs={"scheme": scheme},
        statement=(
            f"Les sources ne donnent {what} que pour la convention de stage IFAPME ; pour votre dispositif, "
            f"renseignez-vous auprès de {competent_body(scheme)}."
        ),
    )


def paid_leave(days_per_week: int | None, scheme: str | None = "ifapme") -> Calculation:
    """Days of paid leave per year of training (IFAPME: 20 for a 5-day week, 24 for 6)."""
    if scheme not in (None, "ifapme"):
        return _not_in_sources("paid_leave", "Jours de congé", "le nombre de jours de congé", scheme, "jours")
    five, six = rate("ifapme_leave_5_days"), rate("ifapme_leave_6_days")
    base = {"name": "paid_leave", "label": "Jours de congé par année de formation (IFAPME)", "unit": "jours",
            "inputs": {"days_per_week": days_per_week, "scheme": "ifapme"}, **_sourced(five, six)}
    both = (f"{format_number(five.value)} jours pour un régime de 5 jours par semaine, "
            f"{format_number(six.value)} jours pour 6 jours par semaine (cours compris)")
    if days_per_week not in (5, 6):
        return Calculation(
            **base,
            formula=f"5 jours/semaine → {format_number(five.value)} jours ; 6 jours/semaine → {format_number(six.value)} jours",
            statement=f"En convention de stage IFAPME, en plus des jours fériés, vous avez droit par année de formation à {both}.",
            missing=["days_per_week"],
            ask=ASK_DAYS_PER_WEEK,
        )
    r = five if days_per_week == 5 else six
    return Calculation(
        **base,
        result=r.value,
        formula=f"{days_per_week} jours par semaine → {format_number(r.value)} jours de congé",
        statement=(
            f"Avec {days_per_week} jours par semaine (cours compris), un stagiaire IFAPME a droit à "
            f"{format_number(r.value)} jours de congé par année de formation, en plus des jours fériés."
        ),
    )


def duration(scheme: str, year: int | None = None) -> Calculation:
    """How long each scheme lasts, as its source says."""
    if scheme == "cip":
        lo, hi = rate("cip_duration_min"), rate("cip_duration_max")
        return Calculation(
            name="duration", label="Durée d'une CIP", unit="mois", result=hi.value, inputs={"scheme": scheme},
            formula=f"de {format_number(lo.value)} à {format_number(hi.value)} mois",
            statement=f"Une convention d'immersion professionnelle (CIP) dure de {format_number(lo.value)} à {format_number(hi.value)} mois.",
            notes=["Une CIP de 6 mois ouvre l'accès à l'attestation activa.brussels."],
            **_sourced(lo, hi),
        )
    if scheme == "sip":
        r = rate("sip_duration_days")
        return Calculation(
            name="duration", label="Durée du stage d'insertion professionnelle", unit="jours", result=r.value,
            inputs={"scheme": scheme}, formula=f"{format_number(r.value)} jours (environ 12 mois)",
            statement=(f"Le stage d'insertion professionnelle dure {format_number(r.value)} jours (environ 12 mois), "
                       "à partir de l'inscription comme demandeur d'emploi à la fin des études."),
            **_sourced(r),
        )
    if scheme == "cisp":
        r = rate("cisp_duration_months")
        return Calculation(
            name="duration", label="Durée d'une CISP", unit="mois", result=r.value, inputs={"scheme": scheme},
            formula=f"{format_number(r.value)} mois maximum, renouvelable",
            statement=(f"Une CISP dure {format_number(r.value)} mois maximum, avec une possibilité de la renouveler "
                       "pour permettre au jeune d'achever une formation entamée."),
            **_sourced(r),
        )
    if scheme == "ifapme":
        r = rate("ifapme_extension_years")
        return Calculation(
            name="duration", label="Durée de la convention de stage IFAPME", unit="an", inputs={"scheme": scheme},
            formula="durée du plan de formation (+ un an au plus de prolongation)",
            statement=("La convention de stage IFAPME dure autant que le plan de formation personnalisé ; "
                       "elle peut être prolongée d'un an au plus."),
            **_sourced(r),
        )
    if scheme == "cip-master":
        years = (year,) if year in (1, 2) else (1, 2)
        rs = [rate(f"master_days_year_{y}") for y in years]
        parts = " ; ".join(f"environ {format_number(r.value)} jours en {SHORT_ORDINAL[y]} année" for y, r in zip(years, rs, strict=True))
        return Calculation(
            name="duration", label="Jours de stage en master en alternance", unit="jours",
            result=rs[0].value if len(rs) == 1 else None, inputs={"scheme": scheme, "year": year},
            formula=parts,
            statement=f"Selon le calendrier des stages 2019-2021 du master en alternance : {parts} (dates susceptibles de modifications).",
            **_sourced(*rs),
        )
    return Calculation(
        name="duration", label="Durée", unit="mois", inputs={"scheme": scheme},
        statement=f"Les sources ne donnent pas cette durée ; renseignez-vous auprès de {competent_body(scheme)}.",
    )


def notice_period(scheme: str | None = "ifapme") -> Calculation:
    """Notice during the IFAPME trial period (7 days during the first 3 months)."""
    if scheme not in (None, "ifapme"):
        return _not_in_sources("notice_period", "Préavis", "de délai de préavis chiffré", scheme, "jours")
    days, months = rate("ifapme_notice_days"), rate("ifapme_trial_months")
    return Calculation(
        name="notice_period", label="Préavis pendant la période d'essai (IFAPME)", unit="jours", result=days.value,
        inputs={"scheme": "ifapme"},
        formula=f"période d'essai ({format_number(months.value)} premiers mois) → {format_number(days.value)} jours de préavis",
        statement=(
            f"Pendant les {format_number(months.value)} premiers mois de la convention de stage IFAPME (période "
            f"d'essai), l'entreprise ou le stagiaire peut y mettre fin avec un préavis de {format_number(days.value)} "
            "jours, notifié par écrit après en avoir informé le référent."
        ),
        **_sourced(days, months),
    )


def suspension_pay(scheme: str | None = "ifapme") -> Calculation:
    """Days of allocation kept when an IFAPME convention is suspended (illness, accident...)."""
    if scheme not in (None, "ifapme"):
        return _not_in_sources("suspension_pay", "Allocation pendant une suspension",
                               "la durée de maintien de l'allocation pendant une suspension", scheme, "jours")
    r = rate("ifapme_suspension_days")
    return Calculation(
        name="suspension_pay", label="Allocation conservée pendant une suspension (IFAPME)", unit="jours",
        result=r.value, inputs={"scheme": "ifapme"},
        formula=f"suspension → allocation conservée {format_number(r.value)} jours",
        statement=(
            "En cas de suspension de la convention de stage IFAPME (maladie, accident, congé d'accouchement, "
            f"chômage forcé...), le stagiaire conserve son allocation de stage durant {format_number(r.value)} jours. "
            "Les absences doivent être justifiées."
        ),
        **_sourced(r),
    )


def scheme_needed() -> Calculation:
    """An amount was asked without naming a scheme: ask which one (no figure is picked at random)."""
    return Calculation(
        name="scheme_needed",
        label="Dispositif à préciser",
        statement=(
            "Le montant dépend du dispositif : CIP (Bruxelles), master en alternance, convention de stage "
            "IFAPME, stage d'insertion professionnelle ou CISP (CEFA)."
        ),
        missing=["schemes"],
        ask=ASK_SCHEME,
    )
