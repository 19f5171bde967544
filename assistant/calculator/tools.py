"""The calculations as LangChain tools, for models that can call tools.

Each tool validates its arguments with a pydantic schema and returns (content, artifact): the
content is the French text the model may quote (statement, calculation, notes), the artifact the
Calculation itself, so the chain can return it to the API and give its figures to the guard.
Models without tool calling get the same calculations through router.route.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Literal

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from assistant.calculator.cip import cip_indemnity, cip_total
from assistant.calculator.cisp import cisp_indemnity
from assistant.calculator.common import MAX_YEAR
from assistant.calculator.counts import duration, notice_period, paid_leave, suspension_pay
from assistant.calculator.dates import FIRST_YEAR, LAST_YEAR, AsOf
from assistant.calculator.ifapme import ifapme_allocation, ifapme_total, ifapme_yearly
from assistant.calculator.master import cip_master_indemnity, cip_master_total
from assistant.calculator.result import Calculation
from assistant.calculator.sip import sip_allowance
from assistant.calculator.thresholds import dependent_check, family_allowance_check, tax_check

Scheme = Literal["cip", "cip-master", "ifapme", "sip", "cisp"]
Period = Literal["month", "year"]


class NoArgs(BaseModel):
    pass


class AgeArgs(BaseModel):
    age: int = Field(ge=0, le=120, description="Âge du stagiaire en années.")


class CipTotalArgs(AgeArgs):
    months: int = Field(ge=1, le=48, description="Nombre de mois de CIP.")


class MasterIndemnityArgs(BaseModel):
    as_of_year: int | None = Field(
        default=None, ge=FIRST_YEAR, le=LAST_YEAR,
        description="Année demandée (ex. 2011) : le montant en vigueur cette année-là ; sans année, le plus récent.",
    )


class MasterTotalArgs(BaseModel):
    days: int | None = Field(default=None, ge=1, le=400, description="Jours de formation en entreprise.")
    months: int | None = Field(default=None, ge=1, le=48, description="Nombre de mois (si pas de jours).")
    year: int | None = Field(default=None, ge=1, le=2, description="Année du master (calendrier des stages).")


_YEAR_HELP = "Année de formation : 1, 2 ou 3 (le barème s'arrête à la 3e ; au-delà, la source ne donne pas de montant)."


class IfapmeArgs(BaseModel):
    year: int = Field(ge=1, le=MAX_YEAR, description=_YEAR_HELP)
    qualified: bool | None = Field(default=None, description="Stagiaire qualifié (true) ou non (false).")


class IfapmeTotalArgs(IfapmeArgs):
    months: int = Field(ge=1, le=48, description="Nombre de mois.")


class CispArgs(BaseModel):
    age: int = Field(ge=0, le=120, description="Âge du jeune en années.")
    year: int = Field(ge=1, le=MAX_YEAR, description=_YEAR_HELP)
    hours_per_week: Decimal = Field(gt=0, le=60, description="Heures prestées en entreprise par semaine.")


class FamilyArgs(BaseModel):
    amount: Decimal = Field(ge=0, description="Montant brut perçu, en euros.")
    period: Period = Field(default="month", description="'month' (par mois) ou 'year' (par an).")
    scheme: Scheme = Field(default="ifapme", description="Dispositif dont le plafond s'applique.")
    region: str | None = Field(default=None, description="Région de résidence (Wallonie, Bruxelles, Flandre).")


class DependentArgs(BaseModel):
    amount: Decimal = Field(ge=0, description="Montant brut perçu, en euros.")
    period: Period = Field(description="'month' (par mois) ou 'year' (par an).")
    single_parent: bool = Field(description="true si à charge d'un parent isolé, false si des deux parents.")


class TaxArgs(BaseModel):
    amount: Decimal = Field(ge=0, description="Montant perçu, en euros.")
    period: Period = Field(description="'month' (par mois) ou 'year' (par an).")
    scheme: Literal["ifapme", "cip-master"] = Field(default="ifapme", description="Source du seuil.")


class LeaveArgs(BaseModel):
    days_per_week: int = Field(ge=1, le=7, description="Jours de travail par semaine, cours compris (5 ou 6).")


class SchemeArgs(BaseModel):
    scheme: Scheme = Field(description="Dispositif.")


class DurationArgs(SchemeArgs):
    year: int | None = Field(default=None, ge=1, le=MAX_YEAR, description="Année (master : calendrier des stages).")


def _content(c: Calculation) -> str:
    lines = [c.text()]
    if c.ask:
        lines.append(f"Question à poser : {c.ask}")
    return "\n".join(lines)


def _tool(name: str, description: str, args: type[BaseModel], run: Callable[..., Calculation]) -> StructuredTool:
    def invoke(**kwargs: object) -> tuple[str, Calculation]:
        result = run(**kwargs)
        return _content(result), result

    return StructuredTool.from_function(
        func=invoke,
        name=name,
        description=description,
        args_schema=args,
        response_format="content_and_artifact",
    )


def calculator_tools() -> list[StructuredTool]:
    """One tool per calculation; descriptions in French (the model reads them)."""
    return [
        _tool("cip_indemnity", "Indemnité mensuelle de CIP (convention d'immersion professionnelle, Bruxelles) selon l'âge.",
              AgeArgs, lambda age: cip_indemnity(age)),
        _tool("cip_total", "Total des indemnités de CIP (Bruxelles) sur un nombre de mois.",
              CipTotalArgs, lambda age, months: cip_total(age, months)),
        _tool("cip_master_indemnity", "Indemnité forfaitaire annuelle d'un master en alternance (CIP), bases mensuelle et journalière.",
              MasterIndemnityArgs,
              lambda as_of_year=None: cip_master_indemnity(AsOf(year=as_of_year) if as_of_year else None)),
        _tool("cip_master_total", "Total de l'indemnité de master en alternance pour un nombre de jours ou de mois.",
              MasterTotalArgs, lambda days=None, months=None, year=None: cip_master_total(days, months, year)),
        _tool("ifapme_allocation", "Allocation mensuelle brute minimale d'un stagiaire IFAPME selon l'année et la qualification.",
              IfapmeArgs, lambda year, qualified=None: ifapme_allocation(year, qualified)),
        _tool("ifapme_total", "Total des allocations IFAPME sur un nombre de mois.",
              IfapmeTotalArgs, lambda year, months, qualified=None: ifapme_total(year, qualified, months)),
        _tool("ifapme_yearly", "Allocation IFAPME sur un an (12 mois).",
              IfapmeArgs, lambda year, qualified=None: ifapme_yearly(year, qualified)),
        _tool("cisp_indemnity", "Indemnité mensuelle de formation en CISP (CEFA) selon l'âge, l'année et les heures par semaine.",
              CispArgs, lambda age, year, hours_per_week: cisp_indemnity(age, year, hours_per_week)),
        _tool("sip_allowance", "Montant pendant le stage d'insertion professionnelle (la source n'en donne pas).",
              NoArgs, lambda: sip_allowance()),
        _tool("family_allowance_check", "Compare un montant au plafond des allocations familiales du dispositif.",
              FamilyArgs, lambda amount, period="month", scheme="ifapme", region=None:
              family_allowance_check(amount, period, scheme, region)),
        _tool("dependent_check", "Compare un revenu au maximum pour rester fiscalement à charge de ses parents.",
              DependentArgs, lambda amount, period, single_parent:
              dependent_check(amount, period, "single_parent" if single_parent else "two_parents")),
        _tool("tax_check", "Compare un revenu annuel au seuil d'imposition (quotité exemptée).",
              TaxArgs, lambda amount, period, scheme="ifapme": tax_check(amount, period, scheme)),
        _tool("paid_leave", "Jours de congé par année de formation (IFAPME) selon le régime de 5 ou 6 jours par semaine.",
              LeaveArgs, lambda days_per_week: paid_leave(days_per_week)),
        _tool("duration", "Durée d'un dispositif (CIP, stage d'insertion, CISP, IFAPME, master).",
              DurationArgs, lambda scheme, year=None: duration(scheme, year)),
        _tool("notice_period", "Préavis pendant la période d'essai (IFAPME).",
              SchemeArgs, lambda scheme: notice_period(scheme)),
        _tool("suspension_pay", "Jours d'allocation conservés en cas de suspension de la convention (IFAPME).",
              SchemeArgs, lambda scheme: suspension_pay(scheme)),
    ]
