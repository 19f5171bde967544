"""Composed calculations: several people in one message, totals over years, differences.

Each composed figure is a Calculation of its own whose formula writes every figure it is made of
(each person's amount, each year's total), so the guard finds every euro figure of the answer in
a calculation's result, formula or notes; the parts stay in the answer with their own statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from assistant.calculator.common import SHORT_ORDINAL, TWELVE, Header, Sourced, eur, listing, sourced, times
from assistant.calculator.dates import AsOf
from assistant.calculator.money import round_cents
from assistant.calculator.rates import Rate, get_rates, rate_at
from assistant.calculator.result import Calculation
from assistant.calculator.slots import Slots
from assistant.text import fold

# The slots that may hold one value per person or situation (Slots.ages...), and their single slot.
_PLURAL_SLOTS = (("ages", "age"), ("years", "year"), ("qualifications", "qualified"))


def situation_label(s: Slots, varying: Sequence[str]) -> str:
    """Whom or what a situation is ("À 18 ans", "En 2e année", "Non qualifié"), by the slots that vary."""
    parts: list[str] = []
    if "age" in varying and s.age is not None:
        parts.append(f"à {s.age} ans")
    if "year" in varying and s.year is not None:
        parts.append(f"en {SHORT_ORDINAL.get(s.year, str(s.year))} année")
    if "qualified" in varying and s.qualified is not None:
        parts.append("qualifié" if s.qualified else "non qualifié")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def situations(s: Slots) -> list[tuple[str, Slots]]:
    """One (label, slots) per person or situation the message names; [("", s)] for one.

    Several slots with as many values each are read person by person ("moi 18 ans en 1re, lui 22
    en 2e"); otherwise the first slot with several values makes the situations, the others keep
    their single value."""
    lists = [(single, getattr(s, plural)) for plural, single in _PLURAL_SLOTS if len(getattr(s, plural)) > 1]
    if not lists:
        return [("", s)]
    count = len(lists[0][1])
    varying = [single for single, values in lists if len(values) == count]
    out: list[tuple[str, Slots]] = []
    for index in range(count):
        update: dict[str, int | bool | list[int] | list[bool]] = {single: values[index] for single, values in lists
                                                                  if single in varying}
        update.update({plural: [] for plural, _ in _PLURAL_SLOTS})
        one = s.model_copy(update=update)
        out.append((situation_label(one, varying), one))
    return out


def labelled(label: str, calculation: Calculation) -> Calculation:
    """The calculation for one person or situation: its statement says for whom ("À 22 ans : …"),
    unless it already opens with it."""
    if not label:
        return calculation
    statement = calculation.statement
    if not fold(statement).startswith(fold(label)):
        statement = f"{label} : {statement[:1].lower()}{statement[1:]}"
    return calculation.model_copy(update={"statement": statement, "label": f"{calculation.label} ({label.lower()})"})


def _joined_sources(parts: Sequence[Calculation]) -> Sourced:
    """The documents and rates of the parts, each once; the date of the first part."""
    return {
        "source_ids": list(dict.fromkeys(i for c in parts for i in c.source_ids)),
        "rate_ids": list(dict.fromkeys(i for c in parts for i in c.rate_ids)),
        "valid_from": parts[0].valid_from,
        "date_label": parts[0].date_label,
    }


def difference(first: tuple[str, Calculation], second: tuple[str, Calculation]) -> Calculation | None:
    """How much more one person gets than the other: the larger amount minus the smaller.
    None when either has no figure (its own calculation says what is missing)."""
    (label_a, a), (label_b, b) = first, second
    if a.result is None or b.result is None or not a.unit.startswith("EUR") or not b.unit.startswith("EUR"):
        return None
    (label_hi, hi), (label_lo, lo) = sorted([(label_a, a), (label_b, b)], key=lambda p: p[1].result or 0, reverse=True)
    gap = round_cents((hi.result or Decimal(0)) - (lo.result or Decimal(0)))
    who_hi, who_lo = label_hi.lower(), label_lo.lower()
    if gap == 0:
        statement = f"Différence : aucune, le montant est le même ({eur(hi.result or gap)}) {who_hi} et {who_lo}."
    else:
        statement = (
            f"Différence : {who_hi}, c'est {eur(gap)} de plus {_que(who_lo)} "
            f"({eur(hi.result or gap)} − {eur(lo.result or gap)})."
        )
    return Calculation(
        name="difference",
        label=f"Différence entre {who_hi} et {who_lo}",
        inputs={"first": label_hi, "second": label_lo},
        result=gap,
        formula=f"{eur(hi.result or gap)} ({who_hi}) − {eur(lo.result or gap)} ({who_lo}) = {eur(gap)}",
        statement=statement,
        notes=[f"{hi.label} : {eur(hi.result or gap)} ; {lo.label} : {eur(lo.result or gap)}."],
        **_joined_sources([hi, lo]),
    )


def _que(words: str) -> str:
    """"que" elided before a vowel: "qu'à 18 ans", "que non qualifié"."""
    return f"qu'{words}" if fold(words)[:1] in "aeiouy" else f"que {words}"


def _year_of(as_of: AsOf) -> str:
    """A date as it follows "entre": "2011", "juin 2016", "le 01/06/2016"."""
    label = as_of.label()
    return label.removeprefix("en ").replace("au ", "le ", 1) if not as_of.before else label


def series_of(scheme: str) -> list[str]:
    """The dated histories (rates.yaml `series`) of a scheme's amounts: chosen by the data."""
    names = [r.series for r in get_rates().rates if r.series and r.scheme == scheme]
    return list(dict.fromkeys(n for n in names if n))


def series_change(series: str, earlier: AsOf, later: AsOf, what: str) -> Calculation:
    """How much a sourced amount changed between two dates (each the rate valid then)."""
    if later.when < earlier.when:
        earlier, later = later, earlier
    a, b = rate_at(series, earlier.when), rate_at(series, later.when)
    header: Header = {
        "name": "series_change",
        "label": f"Évolution de {what}",
        "inputs": {"from": earlier.when.isoformat(), "to": later.when.isoformat(), "series": series},
    }
    history = get_rates().series(series)
    if a is None or b is None:
        missing = earlier if a is None else later
        known = ", ".join(f"{eur(r.value)} ({r.date_label})" for r in history)
        return Calculation(
            **header,
            formula=f"{missing.label()} : pas de montant dans la source ; montants connus : {known}",
            statement=f"La source ne donne pas de montant {missing.label()} pour {what} ; elle cite : {known}.",
            **sourced(*history),
        )
    change = round_cents(b.value - a.value)
    verb = "augmenté" if change > 0 else "diminué" if change < 0 else "pas changé"
    amount = f" de {eur(abs(change))}" if change else ""
    return Calculation(
        **header,
        result=abs(change),
        formula=f"{eur(b.value)} ({b.date_label}) − {eur(a.value)} ({a.date_label}) = {eur(change)}",
        statement=(
            f"Entre {_year_of(earlier)} ({eur(a.value)}, {a.date_label}) et {_year_of(later)} ({eur(b.value)}, "
            f"{b.date_label}), {what} a {verb}{amount}."
        ),
        notes=_between(history, a, b),
        **sourced(b, a),
    )


def _between(history: Sequence[Rate], a: Rate, b: Rate) -> list[str]:
    """The values of the history between the two compared, if any (an indexation in between)."""
    inner = history[history.index(a) + 1:history.index(b)] if a in history and b in history else []
    if not inner:
        return []
    return [f"Entre les deux, la source cite aussi {listing([f'{eur(r.value)} ({r.date_label})' for r in inner], 'et')}."]


def over_years(parts: Sequence[tuple[int, Calculation]], months: int, stated: bool, what: str) -> Calculation | None:
    """The grand total of several years of training, each year's total listed in the formula.
    None when a year has no figure (its calculation says what to ask or that the source has none)."""
    if not parts or any(c.result is None for _, c in parts):
        return None
    total = round_cents(sum((c.result or Decimal(0) for _, c in parts), Decimal(0)))
    per_year = " ; ".join(f"{SHORT_ORDINAL.get(y, str(y))} année : {c.formula}" for y, c in parts)
    months_note = (
        f"{months} mois par année de formation, comme indiqué dans la question."
        if stated else
        f"Hypothèse : {months} mois par année de formation (la question ne le précise pas) ; comptez les mois "
        "réellement prestés."
    )
    return Calculation(
        name="total_over_years",
        label=f"Total sur {len(parts)} années de formation ({what})",
        inputs={"years": len(parts), "months_per_year": months},
        result=total,
        formula=f"{per_year} ; total : {' + '.join(eur(c.result or total) for _, c in parts)} = {eur(total)}",
        statement=(
            f"Sur {len(parts)} années de formation ({months} mois par année{'' if stated else ', hypothèse'}), "
            f"le total fait {eur(total)} ({' + '.join(eur(c.result or total) for _, c in parts)})."
        ),
        notes=[months_note, "Calcul aux montants actuels : les montants sont indexés d'une année à l'autre."],
        **_joined_sources([c for _, c in parts]),
    )


def months_of(monthly: Calculation, months: int) -> Calculation:
    """A monthly amount over N months (a year of training of a scheme without its own total)."""
    if monthly.result is None:
        return monthly
    total = times(months, monthly.result)
    return Calculation(
        name=f"{monthly.name}_total",
        label=f"{monthly.label} sur {months} mois",
        inputs={**monthly.inputs, "months": months},
        result=total,
        formula=f"{months} mois × {eur(monthly.result)} = {eur(total)}",
        statement=f"Sur {months} mois, cela fait {eur(total)} ({months} × {eur(monthly.result)} par mois).",
        notes=list(monthly.notes),
        **_joined_sources([monthly]),
    )


def headroom(check: Calculation) -> Calculation | None:
    """How much more than the amount compared stays under the ceiling ("jusqu'à combien de plus
    que le minimum ?"): the ceiling minus the amount. None unless the amount is below the ceiling."""
    amount = check.inputs.get("amount")
    if check.verdict != "below" or check.result is None or not isinstance(amount, Decimal):
        return None
    ceiling = round_cents(amount + check.result)
    per = {"month": " par mois", "year": " par an"}.get(str(check.inputs.get("amount_period")), "")
    what = check.label[:1].lower() + check.label[1:]
    return Calculation(
        name="headroom",
        label=f"Marge sous le {what}",
        inputs={"amount": amount, "ceiling": ceiling},
        result=check.result,
        formula=f"{eur(ceiling)} − {eur(amount)} = {eur(check.result)}",
        statement=(
            f"Marge : jusqu'à {eur(check.result)}{per} de plus que {eur(amount)} ({eur(ceiling)} − {eur(amount)}), "
            f"sans dépasser le {what}."
        ),
        **_joined_sources([check]),
    )


def yearly_income(monthly: Decimal) -> Calculation:
    """A monthly amount over a year, for a ceiling the source gives per year (12 months assumed)."""
    yearly = times(TWELVE, monthly)
    return Calculation(
        name="yearly_income",
        label="Revenu annuel à partir du montant mensuel",
        inputs={"amount": monthly, "months": TWELVE},
        result=yearly,
        formula=f"{eur(monthly)} × {TWELVE} mois = {eur(yearly)}",
        statement=(
            f"Sur un an, en comptant {TWELVE} mois (hypothèse), {eur(monthly)} par mois font {eur(yearly)} "
            f"({eur(monthly)} × {TWELVE} mois)."
        ),
        notes=[
            f"Hypothèse : {TWELVE} mois perçus sur l'année civile (la question ne le précise pas) ; comptez les mois "
            "réellement perçus."
        ],
    )
