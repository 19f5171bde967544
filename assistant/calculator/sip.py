"""Stage d'insertion professionnelle: a job-search period, for which the article gives no amount.

Its duration is in counts.duration and its family-allowance ceiling in thresholds; here only the
answer to "combien je touche ?", which must say that the source has no figure rather than guess.
"""

from __future__ import annotations

from assistant.calculator.common import rate, sourced
from assistant.calculator.money import format_number
from assistant.calculator.result import Calculation
from assistant.schemes import competent_body


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
        **sourced(duration),
    )
