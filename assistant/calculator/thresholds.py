"""Ceilings: an amount against the family-allowance ceiling, the 'personne à charge' maximum or the
tax-exempt threshold of the scheme's source, with the gap, the verdict and the threshold's date.

Each ceiling is a rate chosen by its scheme or household (rates.yaml, kinds `family_ceiling`,
`dependent_net` / `dependent_gross`, `tax_threshold` / `tax_threshold_net`); the comparison helpers
are shared so that the three checks word a gap the same way.
"""

from __future__ import annotations

from decimal import Decimal

from assistant.calculator.common import (
    ASK_AMOUNT,
    ASK_PERIOD,
    TWELVE,
    Header,
    Period,
    Sourced,
    eur,
    one,
    rate,
    sourced,
    times,
)
from assistant.calculator.money import format_number, round_cents
from assistant.calculator.rates import Household, get_rates, select
from assistant.calculator.result import Calculation, InputValue, Verdict
from assistant.schemes import competent_body


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
        yearly = times(TWELVE, amount)
        notes.append(
            f"Montant mensuel porté sur un an : 12 × {eur(amount)} = {eur(yearly)} (la règle porte sur les "
            "revenus de l'année civile : comptez les mois réellement perçus)."
        )
        return yearly
    return amount


def _compare(amount: Decimal, ceiling: Decimal) -> tuple[Decimal, Verdict]:
    gap = round_cents(amount - ceiling)
    return abs(gap), "above" if gap > 0 else "below" if gap < 0 else "equal"


def _verdict_text(verdict: Verdict, gap: Decimal, ceiling: str) -> str:
    if verdict == "above":
        return f"vous dépassez de {eur(gap)} {ceiling}"
    if verdict == "below":
        return f"vous restez {eur(gap)} en dessous {ceiling.replace('le ', 'du ', 1)}"
    return f"vous êtes exactement {ceiling.replace('le ', 'au ', 1)}, sans le dépasser"


def _compared(
    header: Header, where: Sourced, amount: Decimal, ceiling: Decimal, per: str, rule: str, consequences: tuple[str, str],
    notes: list[str],
) -> Calculation:
    """The amount against the ceiling: the gap as result, the verdict, and what follows from it
    (`consequences`: when above, otherwise)."""
    gap, verdict = _compare(amount, ceiling)
    return Calculation(
        **header,
        result=gap,
        verdict=verdict,
        formula=f"{eur(amount)} − {eur(ceiling)} = {eur(round_cents(amount - ceiling))}",
        statement=(
            f"Avec {eur(amount)}{per}, {_verdict_text(verdict, gap, rule)} : "
            f"{consequences[0] if verdict == 'above' else consequences[1]}."
        ),
        notes=notes,
        **where,
    )


# The ceilings' rate kinds (rates.yaml `kind`, as the checks below select them) and the check that
# compares an income with each.
_CEILING_CHECKS = {"family_ceiling": "family_allowance", "dependent_net": "dependent", "dependent_gross": "dependent",
                   "tax_threshold": "tax", "tax_threshold_net": "tax"}


def named_ceilings(amount: Decimal | None) -> list[str]:
    """The checks whose ceiling a euro figure of the user's is, to the cent (a figure the sources
    give as a ceiling names that ceiling: "je dépasse les 7.272,50 € ?")."""
    if amount is None:
        return []
    found = (_CEILING_CHECKS.get(r.kind) for r in get_rates().rates if abs(r.value - amount) < Decimal("0.01"))
    return list(dict.fromkeys(check for check in found if check is not None))


def answered(check: Calculation, keeps: bool, loses: bool) -> Calculation:
    """A comparison with a ceiling that opens with "Oui" or "Non" for a yes/no question asking
    whether a right is kept ("je garde les allocs ?": below = oui) or lost / the ceiling crossed
    ("je perds… ?", "je dépasse… ?": above = oui); unchanged when the question says neither, or both."""
    if check.verdict is None or keeps == loses or not check.statement:
        return check
    yes = check.verdict != "above" if keeps else check.verdict == "above"
    opening = "Oui : " if yes else "Non : "
    return check.model_copy(update={"statement": opening + check.statement[0].lower() + check.statement[1:]})


def _rule_only_or_ask(
    header: Header, where: Sourced, value: Decimal, formula: str, statement: str, notes: list[str], *, amount_missing: bool,
    rule_only: bool,
) -> Calculation:
    """No amount (or no period) to compare: the ceiling itself when only the rule was asked for (its
    value as result), otherwise the question for what is missing."""
    missing = [] if rule_only else ["amount"] if amount_missing else ["amount_period"]
    return Calculation(
        **header,
        result=value if rule_only else None,
        formula=formula,
        statement=statement,
        notes=notes,
        missing=missing,
        ask=None if rule_only else ASK_AMOUNT if amount_missing else ASK_PERIOD,
        **where,
    )


_FAMILY_SCOPES = {
    "ifapme": "convention de stage IFAPME, Wallonie",
    "sip": "stage d'insertion professionnelle, personnes résidant en Wallonie",
    "cip-master": "CIP en master en alternance, étudiant de plus de 18 ans",
}
FAMILY_SCHEMES = tuple(_FAMILY_SCOPES)


_FAMILY_CHECK = "family_allowance_check"


def _family_hours(inputs: dict[str, InputValue]) -> Calculation:
    """CIP (Bruxelles): the brochure's ceiling is in hours worked, not in euros."""
    hours = rate("cip_family_hours")
    return Calculation(
        name=_FAMILY_CHECK,
        label="Allocations familiales et CIP (Bruxelles)",
        inputs=inputs,
        result=hours.value,
        unit=hours.unit,
        formula=f"plafond en heures : {format_number(hours.value)} heures par trimestre",
        statement=(
            "Pour une CIP à Bruxelles, la brochure ne fixe pas de plafond en euros : vous conservez les "
            f"allocations familiales pour autant que vous ne travailliez pas plus de {format_number(hours.value)} "
            "heures par trimestre."
        ),
        **sourced(hours),
    )


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
    inputs: dict[str, InputValue] = {"amount": amount, "amount_period": period, "scheme": scheme, "region": region}
    if scheme == "cip":
        return _family_hours(inputs)
    if scheme not in _FAMILY_SCOPES:
        return Calculation(
            name=_FAMILY_CHECK,
            label="Plafond des allocations familiales",
            inputs=inputs,
            statement=(
                "Les sources ne donnent pas de plafond d'allocations familiales pour ce dispositif ; "
                f"renseignez-vous auprès de {competent_body(scheme)} ou de votre caisse d'allocations familiales."
            ),
        )
    scope = _FAMILY_SCOPES[scheme]
    ceiling = one("family_ceiling", scheme=scheme)
    header: Header = {"name": _FAMILY_CHECK, "label": f"Plafond des allocations familiales ({scope})", "inputs": inputs}
    gross = " brut" if "brut" in ceiling.unit else ""
    rule = f"{eur(ceiling.value)}{gross} par mois ({scope} ; {ceiling.date_label})"
    where = sourced(ceiling)
    if region and not ceiling.conditions.matches(region=region):
        return Calculation(
            **header,
            statement=(
                f"Le plafond de {rule} vaut pour la {ceiling.conditions.region} ; la source ne donne pas de montant "
                f"pour {region}. Renseignez-vous auprès de {competent_body(scheme)} ou de votre caisse "
                "d'allocations familiales."
            ),
            **where,
        )
    if amount is None:
        return _rule_only_or_ask(
            header, where, ceiling.value, f"montant mensuel{gross} comparé à {eur(ceiling.value)}",
            f"Plafond des allocations familiales : {rule}.", [], amount_missing=True, rule_only=not ask_amount,
        )
    notes: list[str] = []
    monthly = _monthly_amount(Decimal(amount), period, notes)
    return _compared(
        header, where, monthly, ceiling.value, f"{gross} par mois", "le plafond de " + rule,
        ("les allocations familiales risquent d'être perdues", "ce plafond n'est pas dépassé"), notes,
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
    net = one("dependent_net", household=household)
    gross = one("dependent_gross", household=household)
    who = "des deux parents" if household == "two_parents" else "d'un parent isolé"
    rule = f"{eur(net.value)} net (= {eur(gross.value)} brut) par an ({net.date_label})"
    notes = ["La règle porte sur les ressources nettes ; la comparaison se fait sur l'équivalent brut donné par l'IFAPME."]
    if scheme not in (None, "ifapme"):
        notes.append(
            "Ces plafonds viennent de la brochure IFAPME ; faites-les confirmer pour votre dispositif par votre "
            "secrétariat social ou l'administration fiscale."
        )
    header: Header = {
        "name": "dependent_check",
        "label": f"Rester fiscalement à charge {who}",
        "inputs": {"amount": amount, "amount_period": period, "household": household, "scheme": scheme},
    }
    where = sourced(gross, net)
    if amount is None or period is None:
        return _rule_only_or_ask(
            header, where, net.value, f"revenu annuel brut comparé à {eur(gross.value)}",
            f"Pour rester à charge {who}, le maximum de ressources est de {rule}.", notes,
            amount_missing=amount is None, rule_only=amount is None and not ask_amount,
        )
    yearly = _yearly_amount(Decimal(amount), period, notes)
    return _compared(
        header, where, yearly, gross.value, " brut par an", "le maximum de " + rule,
        (f"vous ne seriez plus à charge {who}", f"vous pouvez rester à charge {who}"), notes,
    )


_TAX_SCOPES = {"ifapme": "convention de stage IFAPME", "cip-master": "CIP en master en alternance"}
TAX_SCHEMES = tuple(_TAX_SCOPES)


def tax_check(amount: Decimal | None, period: Period | None, scheme: str = "ifapme", ask_amount: bool = True) -> Calculation:
    """A yearly amount against the tax-exempt threshold of the scheme's source.

    Without an amount and with `ask_amount` False: the threshold itself (the net figure where the
    source gives one, as the IFAPME brochure does).
    """
    scope = _TAX_SCOPES[scheme]
    threshold = one("tax_threshold", scheme=scheme)
    net = select("tax_threshold_net", scheme=scheme)
    notes: list[str] = []
    if net is not None:
        rule = f"{eur(net.value)} net ({eur(threshold.value)} brut) par an ({threshold.date_label}, {scope})"
        used = [threshold, net]
        consequences = ("un impôt peut être dû", "pas d'impôt en principe")
    else:
        rule = f"{eur(threshold.value)} par an ({threshold.date_label}, {scope})"
        used = [threshold]
        consequences = ("le bénéficiaire est redevable d'un impôt", "pas d'impôt en principe")
        notes.append(f"Ce seuil date de l'{threshold.date_label} ; ces montants sont indexés annuellement.")
    header: Header = {
        "name": "tax_check",
        "label": f"Seuil d'imposition ({scope})",
        "inputs": {"amount": amount, "amount_period": period, "scheme": scheme},
    }
    where = sourced(*used)
    if amount is None or period is None:
        return _rule_only_or_ask(
            header, where, used[-1].value, f"revenu annuel comparé à {eur(threshold.value)}",
            f"Seuil en dessous duquel aucun impôt n'est dû en principe : {rule}.", notes,
            amount_missing=amount is None, rule_only=amount is None and not ask_amount,
        )
    yearly = _yearly_amount(Decimal(amount), period, notes)
    return _compared(
        header, where, yearly, threshold.value, " par an", "le seuil de " + rule, consequences, notes,
    )
