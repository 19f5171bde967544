"""Counts that must not be guessed either: days of leave, durations, notice, suspension; and the
question to ask when an amount is asked without a scheme.

Leave, notice and suspension are only in the IFAPME brochure: for another scheme the calculation
says the sources do not give them. The days of leave are chosen by the days worked per week
(rates.yaml, kind `paid_leave`), the master's days by its year (kind `master_days`).
"""

from __future__ import annotations

from assistant.calculator.common import (
    ASK_DAYS_PER_WEEK,
    ASK_SCHEME,
    SHORT_ORDINAL,
    Header,
    rate,
    sourced,
    year_of,
)
from assistant.calculator.master import MASTER_DAYS, calendar_days
from assistant.calculator.money import format_number
from assistant.calculator.rates import Rate, current, select
from assistant.calculator.result import Calculation
from assistant.schemes import competent_body

LEAVE = "paid_leave"


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


def _week(rate_: Rate) -> int | None:
    return rate_.conditions.days_per_week


def paid_leave(days_per_week: int | None, scheme: str | None = "ifapme") -> Calculation:
    """Days of paid leave per year of training (IFAPME: 20 for a 5-day week, 24 for 6)."""
    if scheme not in (None, "ifapme"):
        return _not_in_sources("paid_leave", "Jours de congé", "le nombre de jours de congé", scheme, "jours")
    rows = current(LEAVE)
    found = select(LEAVE, days_per_week=days_per_week) if days_per_week is not None else None
    header: Header = {"name": "paid_leave", "label": "Jours de congé par année de formation (IFAPME)",
                      "inputs": {"days_per_week": days_per_week, "scheme": "ifapme"}}
    if found is None:
        both = ", ".join(
            f"{format_number(r.value)} jours pour {'un régime de ' if i == 0 else ''}{_week(r)} jours par semaine"
            for i, r in enumerate(rows)
        )
        return Calculation(
            **header,
            unit="jours",
            formula=" ; ".join(f"{_week(r)} jours/semaine → {format_number(r.value)} jours" for r in rows),
            statement=(
                "En convention de stage IFAPME, en plus des jours fériés, vous avez droit par année de formation "
                f"à {both} (cours compris)."
            ),
            missing=["days_per_week"],
            ask=ASK_DAYS_PER_WEEK,
            **sourced(*rows),
        )
    return Calculation(
        **header,
        unit="jours",
        result=found.value,
        formula=f"{days_per_week} jours par semaine → {format_number(found.value)} jours de congé",
        statement=(
            f"Avec {days_per_week} jours par semaine (cours compris), un stagiaire IFAPME a droit à "
            f"{format_number(found.value)} jours de congé par année de formation, en plus des jours fériés."
        ),
        **sourced(*rows),
    )


def _master_days(year: int | None) -> Calculation:
    """The master's internship calendar: the year asked, or every year it lists."""
    found = calendar_days(year)
    rows = [found] if found is not None else current(MASTER_DAYS)
    parts = " ; ".join(
        f"environ {format_number(r.value)} jours en {SHORT_ORDINAL[year_of(r)]} année" for r in rows
    )
    return Calculation(
        name="duration", label="Jours de stage en master en alternance", unit="jours",
        result=found.value if found is not None else None, inputs={"scheme": "cip-master", "year": year},
        formula=parts,
        statement=f"Selon le calendrier des stages 2019-2021 du master en alternance : {parts} (dates susceptibles de modifications).",
        **sourced(*rows),
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
            **sourced(lo, hi),
        )
    if scheme == "sip":
        r = rate("sip_duration_days")
        return Calculation(
            name="duration", label="Durée du stage d'insertion professionnelle", unit="jours", result=r.value,
            inputs={"scheme": scheme}, formula=f"{format_number(r.value)} jours (environ 12 mois)",
            statement=(f"Le stage d'insertion professionnelle dure {format_number(r.value)} jours (environ 12 mois), "
                       "à partir de l'inscription comme demandeur d'emploi à la fin des études."),
            **sourced(r),
        )
    if scheme == "cisp":
        r = rate("cisp_duration_months")
        return Calculation(
            name="duration", label="Durée d'une CISP", unit="mois", result=r.value, inputs={"scheme": scheme},
            formula=f"{format_number(r.value)} mois maximum, renouvelable",
            statement=(f"Une CISP dure {format_number(r.value)} mois maximum, avec une possibilité de la renouveler "
                       "pour permettre au jeune d'achever une formation entamée."),
            **sourced(r),
        )
    if scheme == "ifapme":
        r = rate("ifapme_extension_years")
        return Calculation(
            name="duration", label="Durée de la convention de stage IFAPME", unit="an", inputs={"scheme": scheme},
            formula="durée du plan de formation (+ un an au plus de prolongation)",
            statement=("La convention de stage IFAPME dure autant que le plan de formation personnalisé ; "
                       "elle peut être prolongée d'un an au plus."),
            **sourced(r),
        )
    if scheme == "cip-master":
        return _master_days(year)
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
        **sourced(days, months),
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
        **sourced(r),
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
