"""The deterministic calculator: every amount a user sees is computed here from sourced rates.

    from assistant.calculator import Calculation, Slots, extract_slots, route, calculator_tools
"""

from assistant.calculator.money import find_amounts, format_eur, parse_number
from assistant.calculator.result import Calculation
from assistant.calculator.router import route
from assistant.calculator.slots import Slots, extract_slots
from assistant.calculator.tools import calculator_tools

__all__ = [
    "Calculation",
    "Slots",
    "calculator_tools",
    "extract_slots",
    "find_amounts",
    "format_eur",
    "parse_number",
    "route",
]
