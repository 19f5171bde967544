"""Mask the personal data that users type before anything is stored or logged.

Young people paste their national register number, IBAN, e-mail or phone number into a chat
without thinking. Only user-typed text goes through here: answers and passages come from the
public corpus (the phone numbers of public bodies in them are not user data) and are kept as is.

Numbers with a checksum (national register number, IBAN) are masked only when the checksum
holds, so amounts ("1.035,20"), dates ("01/12/2022") and hours never are.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum import iban as stdnum_iban
from stdnum.be import bis as stdnum_bis
from stdnum.be import nn as stdnum_nn

MASKS = {
    "iban": "[IBAN masqué]",
    "national_number": "[numéro national masqué]",
    "email": "[e-mail masqué]",
    "phone": "[téléphone masqué]",
}

# IBAN: two letters, two check digits, then 11 to 30 alphanumerics, optionally grouped by four.
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{1,4}){3,8}(?![A-Za-z0-9])")
# Belgian national register / BIS number: YY.MM.DD-XXX.CC with any of the usual separators.
_NN_RE = re.compile(r"(?<![\d.,])\d{2}[. ]?\d{2}[. ]?\d{2}[ .-]?\d{3}[ .-]?\d{2}(?![\d]|[.,]\d)")
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
# A phone candidate: an optional +/00 prefix, digits with spaces, dots, slashes or dashes between.
_PHONE_RE = re.compile(r"(?<![\w.,/+-])(?:\+|00)?\d(?:[ ./-]?\(?\d\)?){7,14}(?![\w]|[.,/-]\d)")


def _is_iban(candidate: str) -> bool:
    # The ISO 7064 checksum is what makes a random string an IBAN; the bank registry is not
    # needed (a user's account at a bank stdnum does not list must be masked too).
    return stdnum_iban.is_valid(candidate, check_country=False)


def _is_national_number(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return stdnum_nn.is_valid(digits) or stdnum_bis.is_valid(digits)


def _is_phone(candidate: str) -> bool:
    """Belgian numbers (0 + 8 or 9 digits, +32 / 0032 + 8 or 9) and other international ones."""
    if "," in candidate:
        return False
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith("+") or candidate.startswith("00"):
        national = digits[2:] if candidate.startswith("00") else digits
        if national.startswith("32"):
            return len(national) - 2 in (8, 9)
        return 8 <= len(national) <= 15
    if not digits.startswith("0"):
        return False
    # Landlines: 0 + 8 digits ("02 123 45 67", "04/229.70.70"); mobiles: 04xx xx xx xx.
    return len(digits) == 9 or (len(digits) == 10 and digits.startswith("04"))


def _is_email(candidate: str) -> bool:
    return True


_RULES: list[tuple[str, re.Pattern[str], Callable[[str], bool]]] = [
    ("iban", _IBAN_RE, _is_iban),
    ("email", _EMAIL_RE, _is_email),
    ("national_number", _NN_RE, _is_national_number),
    ("phone", _PHONE_RE, _is_phone),
]


def _group_ends(candidate: str) -> list[int]:
    """Where the candidate may end, longest first: after each run of letters or digits.

    The patterns are greedy ("0470 12 34 56 24 h" reads one digit group too many), so the
    longest prefix that validates wins.
    """
    ends = [i + 1 for i, ch in enumerate(candidate) if ch.isalnum() and (i + 1 == len(candidate) or not candidate[i + 1].isalnum())]
    return sorted(ends, reverse=True)


def _scan(text: str, kind: str, pattern: re.Pattern[str], valid: Callable[[str], bool]) -> tuple[str, list[str]]:
    out: list[str] = []
    found: list[str] = []
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        start, candidate = match.start(), match.group(0)
        end = next((start + e for e in _group_ends(candidate) if valid(candidate[:e])), None)
        if end is None:
            out.append(text[pos : start + 1])
            pos = start + 1
            continue
        out.append(text[pos:start])
        out.append(MASKS[kind])
        found.append(text[start:end])
        pos = end
    out.append(text[pos:])
    return "".join(out), found


def find_personal_data(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for every piece of personal data found, in masking order."""
    found: list[tuple[str, str]] = []
    for kind, pattern, valid in _RULES:
        text, hits = _scan(text, kind, pattern, valid)
        found.extend((kind, hit) for hit in hits)
    return found


def mask(text: str) -> str:
    """The text with every validated piece of personal data replaced by a French placeholder."""
    if not text:
        return text
    for kind, pattern, valid in _RULES:
        text, _ = _scan(text, kind, pattern, valid)
    return text
