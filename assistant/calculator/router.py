"""Which calculations a question needs, decided without a model.

A small model without tool calling must still get the right figure, so the router reads the
question's intents (vocabulary.yaml) and slots and calls the calculations itself. Rules:

- Scheme: the `schemes` argument, else the schemes named in the question, else those of earlier
  turns, else "ifapme" when the user says whether they are qualified (only the IFAPME table has
  that distinction). A master en alternance is a CIP: "cip-master" replaces "cip".
- An amount asked without any scheme gives one `scheme_needed` calculation (no figure, a question
  to ask): amounts differ by scheme and picking one would be a guess.
- Ceilings: the scheme's own source; with no scheme, each source's ceiling with its scope.
- Counts (leave, notice, suspension) are only in the IFAPME brochure: with no scheme they are given
  with that scope; for another scheme the calculation says the sources do not give them.
- A turn with no intent of its own that only states a situation ("j'ai 19 ans") or a date ("et en
  2016 ?") continues the request of the earlier turns (Slots.intents).
- A date asked about (Slots.as_of: "fixé en 2011", "depuis juin 2016") gives the rate valid then
  where rates.yaml holds a dated history (the master's lump sum); the monthly and daily bases
  exist only at one date, so a total asked for an earlier date is not computed.
- Several people or situations (Slots.ages, years, qualifications): one calculation each, its
  statement saying for whom ("À 22 ans : …"); a difference asked ("combien de plus que moi ?")
  adds the difference of the two figures. Two dates and a difference: the change of the scheme's
  dated history between them. Several years of training ("3 ans à l'IFAPME"): each year's total
  and the grand total, the months per year stated or assumed (12) in the notes.
- A yearly ceiling checked against a monthly amount: the yearly amount is its own calculation
  (× 12 months, an assumption said), then the comparison. A question about hours, days or months
  ("la limite d'heures") gets no money ceiling: the unit asked decides (Slots.asked_unit).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from assistant.calculator.cip import cip_indemnity, cip_total
from assistant.calculator.cisp import cisp_indemnity
from assistant.calculator.common import SHORT_ORDINAL, TWELVE, rate
from assistant.calculator.compose import (
    difference,
    headroom,
    labelled,
    months_of,
    over_years,
    series_change,
    series_of,
    situations,
    yearly_income,
)
from assistant.calculator.counts import duration, notice_period, paid_leave, scheme_needed, suspension_pay
from assistant.calculator.ifapme import ifapme_allocation, ifapme_total, ifapme_yearly
from assistant.calculator.intents import COUNT_INTENTS, in_domain
from assistant.calculator.master import SERIES_NAMES, cip_master_indemnity, cip_master_total
from assistant.calculator.rates import Household
from assistant.calculator.result import Calculation
from assistant.calculator.sip import sip_allowance
from assistant.calculator.slots import Slots, extract_slots
from assistant.calculator.thresholds import (
    FAMILY_SCHEMES,
    TAX_SCHEMES,
    answered,
    dependent_check,
    family_allowance_check,
    named_ceilings,
    tax_check,
)

KNOWN_SCHEMES = ("cip", "cip-master", "ifapme", "sip", "cisp")


def resolve_schemes(own: Slots, merged: Slots, schemes: list[str] | None) -> list[str]:
    chosen = list(schemes or own.schemes or merged.schemes)
    if not chosen and merged.qualified is not None:
        chosen = ["ifapme"]
    if "cip-master" in chosen and "cip" in chosen:
        chosen.remove("cip")
    return [s for s in dict.fromkeys(chosen) if s in KNOWN_SCHEMES]


def amount_calculations(scheme: str, s: Slots, intents: list[str]) -> list[Calculation]:
    """What the user earns in a scheme: per month, over N days/months (the scheme's own total, or
    the monthly amount times the months), or per year."""
    wants_total = "total" in intents or s.days is not None or s.months is not None
    if scheme == "cip":
        return [cip_total(s.age, s.months) if s.months is not None else cip_indemnity(s.age)]
    if scheme == "cip-master":
        if wants_total:
            months = s.months if s.days is None else None
            return [cip_master_total(days=s.days, months=months, year=s.year, as_of=s.as_of)]
        return [cip_master_indemnity(as_of=s.as_of)]
    if scheme == "ifapme":
        if s.months is not None:
            return [ifapme_total(s.year, s.qualified, s.months)]
        if "yearly" in intents:
            return [ifapme_yearly(s.year, s.qualified)]
        return [ifapme_allocation(s.year, s.qualified)]
    if scheme == "cisp":
        monthly = cisp_indemnity(s.age, s.year, s.hours_per_week)
        # (no total of its own: the monthly amount over the months asked, both stated)
        return [monthly, months_of(monthly, s.months)] if s.months is not None and monthly.result is not None else [monthly]
    if scheme == "sip":
        return [sip_allowance()]
    return []


def _year_total(scheme: str, s: Slots, year: int, months: int) -> Calculation | None:
    """One year of training over `months` months, for the schemes whose amount depends on the year."""
    if scheme == "ifapme":
        return ifapme_total(year, s.qualified, months)
    if scheme == "cisp":
        return months_of(cisp_indemnity(s.age, year, s.hours_per_week), months)
    return None


def years_total(scheme: str, s: Slots) -> list[Calculation]:
    """Several years of training: each year's total, then the grand total; [] when the scheme's
    amount does not depend on the year of training."""
    if s.training_years is None:
        return []
    months = s.months_per_year or TWELVE
    parts: list[tuple[int, Calculation]] = []
    for year in range(1, s.training_years + 1):
        found = _year_total(scheme, s, year, months)
        if found is None:
            return []
        parts.append((year, found))
    out = [labelled(f"En {SHORT_ORDINAL.get(y, str(y))} année", c) for y, c in parts]
    total = over_years(parts, months, stated=s.months_per_year is not None, what=scheme.upper())
    return out + ([total] if total is not None else [])


def situation_amounts(scheme: str, s: Slots, intents: list[str]) -> tuple[list[Calculation], Calculation | None]:
    """One situation's calculations and the figure that sums them up: a grand total, else the last
    (a monthly amount then its total over the months asked: "quelle différence sur 12 mois ?"
    compares the totals)."""
    over = years_total(scheme, s)
    if over:
        return over, over[-1]
    found = amount_calculations(scheme, s, intents)
    return found, found[-1] if found else None


def amount_request(scheme: str, s: Slots, intents: list[str]) -> list[Calculation]:
    """An amount asked: per person or situation (each labelled), the difference when asked, or the
    change of a dated amount between two dates."""
    series = series_of(scheme)
    if "difference" in intents and len(s.dates) >= 2 and series:
        return [series_change(series[0], s.dates[0], s.dates[1], SERIES_NAMES.get(series[0], "le montant"))]
    people = situations(s)
    if len(people) == 1:
        return situation_amounts(scheme, s, intents)[0]
    out: list[Calculation] = []
    headlines: list[tuple[str, Calculation]] = []
    for label, one in people:
        found, headline = situation_amounts(scheme, one, intents)
        out += [labelled(label, c) for c in found]
        if headline is not None:
            headlines.append((label, labelled(label, headline)))
    if "difference" in intents and len(headlines) >= 2:
        gap = difference(headlines[0], headlines[1])
        if gap is not None:
            out.append(gap)
    return out


def _scheme_income(scheme: str, s: Slots) -> tuple[Calculation | None, Calculation | None, Decimal | None, Decimal | None]:
    """The scheme's own allocation when the user gave no amount: (monthly calculation, yearly
    calculation when it is another one, monthly, yearly)."""
    if scheme == "ifapme":
        c = ifapme_allocation(s.year, s.qualified)
        yearly = ifapme_yearly(s.year, s.qualified)
        return c, yearly, c.result, yearly.result
    if scheme == "cip-master":
        c = cip_master_indemnity()
        return c, None, rate("master_monthly").value, c.result
    if scheme == "cip":
        c = cip_indemnity(s.age)
        total = cip_total(s.age, s.months) if s.months is not None else None
        return c, total, c.result, total.result if total is not None else None
    if scheme == "cisp":
        c = cisp_indemnity(s.age, s.year, s.hours_per_week)
        return c, None, c.result, None
    return None, None, None, None


def threshold_calculations(schemes: list[str], s: Slots, kinds: list[str], rule_only: bool = False) -> list[Calculation]:
    """Ceiling checks. With the user's amount: a comparison. Without one: the scheme's own
    allocation is compared when it can be computed ("je perds les allocs ?"), unless the question
    asks for the ceiling itself (`rule_only`: "jusqu'à combien ?"), which is then just stated."""
    out: list[Calculation] = []
    scopes: list[str | None] = [*schemes] or [None]
    ask = not rule_only
    for scheme in scopes:
        monthly = yearly = None
        period = s.amount_period
        yearly_kinds = "dependent" in kinds or "tax" in kinds
        if s.amount is not None:
            monthly = yearly = s.amount
            if yearly_kinds and period == "month":
                out.append(yearly_income(s.amount))
        elif scheme is not None and not rule_only:
            own, own_yearly, monthly, yearly = _scheme_income(scheme, s)
            out += [c for c in (own, own_yearly if yearly_kinds else None) if c is not None]
        if "family_allowance" in kinds:
            family_schemes = [scheme] if scheme else list(FAMILY_SCHEMES)
            for fs in family_schemes:
                amount, p = (monthly, period) if s.amount is not None else (monthly, "month")
                out.append(family_allowance_check(amount, p, fs, s.region, ask_amount=ask))
        if "dependent" in kinds:
            households: list[Household] = ["two_parents", "single_parent"] if s.single_parent is None else (
                ["single_parent"] if s.single_parent else ["two_parents"])
            amount, p = (yearly, period) if s.amount is not None else (yearly, "year")
            for household in households:
                out.append(dependent_check(amount, p, household, scheme, ask_amount=ask))
        if "tax" in kinds:
            tax_schemes = [scheme] if scheme in TAX_SCHEMES else list(TAX_SCHEMES)
            amount, p = (yearly, period) if s.amount is not None else (yearly, "year")
            for ts in tax_schemes:
                out.append(tax_check(amount, p, ts, ask_amount=ask))
    return out


def count_calculations(schemes: list[str], s: Slots, intents: list[str]) -> list[Calculation]:
    out: list[Calculation] = []
    scopes: list[str | None] = [*schemes] or [None]  # no scheme: the IFAPME brochure's, with that scope
    if "paid_leave" in intents:
        out += [paid_leave(s.days_per_week, scheme) for scheme in scopes]
    if "duration" in intents:
        out += [duration(scheme, s.year) for scheme in schemes or KNOWN_SCHEMES]
    if "notice" in intents:
        out += [notice_period(scheme) for scheme in scopes]
    if "suspension" in intents:
        out += [suspension_pay(scheme) for scheme in scopes]
    return out


def _unique(calculations: Iterable[Calculation]) -> list[Calculation]:
    seen: set[str] = set()
    out = []
    for c in calculations:
        key = c.model_dump_json(include={"name", "inputs", "statement"})
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


class Reading(Protocol):
    """What the router reads of a question: assistant.question.Question is one (the calculator
    does not import it: the question's analysis uses the calculator's vocabulary)."""

    @property
    def slots(self) -> Slots: ...

    @property
    def in_calculator_domain(self) -> bool: ...

    @property
    def is_yes_no(self) -> bool: ...


def route(question: Reading | str, slots: Slots | None = None, schemes: list[str] | None = None) -> list[Calculation]:
    """The calculations a question needs; [] when it asks for no amount, count or ceiling. The
    chain passes its analysed question; a plain text (CLI, the model's tools) is read here."""
    own = extract_slots(question) if isinstance(question, str) else question.slots
    domain = in_domain(question) if isinstance(question, str) else question.in_calculator_domain
    merged = slots.merge(own) if slots is not None else own
    # A turn that only states a situation or a date ("et en 2016 ?") continues the earlier request.
    continues = own.has_situation() or own.as_of is not None
    intents = own.intents or (merged.intents if continues else [])
    if not intents:
        return []
    named = list(schemes or own.schemes or merged.schemes)
    if named and not any(s in KNOWN_SCHEMES for s in named):
        # A scheme with no calculation here (a brochure an advisor added): its passages answer,
        # not another scheme's rates, and no "which scheme?" question.
        return []
    active = resolve_schemes(own, merged, schemes)
    if not active and not merged.has_situation() and not domain:
        return []  # "c combien le salaire d'un ingénieur ?": not about internships or training
    counts = [i for i in COUNT_INTENTS if i in intents]
    kinds: list[str] = [k for k in ("family_allowance", "dependent", "tax") if k in intents]
    if not kinds and "threshold" in intents and not counts:
        kinds = ["family_allowance", "dependent", "tax"]
    if named := named_ceilings(merged.amount):
        # "Je reste sous les 9.210 € ?": the figure is the ceiling, not the user's income; the
        # scheme's own income is compared with it.
        kinds = list(dict.fromkeys([*kinds, *named]))
        merged = merged.model_copy(update={"amount": None, "amount_period": None})
    # "différence entre qualifié et non qualifié ?": a difference between two situations' amounts.
    compared = "difference" in intents and (len(situations(merged)) > 1 or len(merged.dates) > 1)
    asks_amount = not counts and not kinds and (compared or any(i in intents for i in ("amount", "total", "yearly")))

    out: list[Calculation] = []
    if asks_amount:
        if not active:
            out.append(scheme_needed())
        for scheme in active:
            out += amount_request(scheme, merged, intents)
    if kinds:
        # "de combien je dépasse ?", "combien de plus que le minimum ?": the user's own figure is compared.
        # "Je suis non qualifié en 1re année… est-ce que je dépasse le plafond ?" asks yes or no about
        # the user's situation: the amount it gives is compared (without a situation, the rule is stated).
        yes_no = not isinstance(question, str) and question.is_yes_no and merged.has_situation()
        # A ceiling the user names is known to them: their own income is what is asked about.
        rule_only = "ceiling_value" in intents and "difference" not in intents and not yes_no and not named
        checks = threshold_calculations(active, merged, kinds, rule_only=rule_only)
        if yes_no:
            checks = [answered(c, "keeps" in intents, "loses" in intents) for c in checks]
        if "difference" in intents:
            checks += [m for m in map(headroom, checks) if m is not None]
        # A question about hours, days or months is not answered by a ceiling in euros.
        out += [c for c in checks if own.asked_unit is None or not c.unit.upper().startswith("EUR")]
    if counts:
        out += count_calculations(active, merged, counts)
    return _unique(out)
