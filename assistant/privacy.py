"""Mask the personal data that users type, by its shape, before anything is stored or logged.

Young people paste their national register number, IBAN, e-mail or phone number into a chat
without thinking, and often mistype it. A mistyped national number is still that person's number,
so what decides is the shape, never the checksum: anything shaped like a national register or
BIS number (11 digits, grouped 2-2-2-3-2 or less, any separators), an IBAN (any country, grouped
by four or not), a Belgian or international phone number or an e-mail address is masked. The
checksum (python-stdnum) only picks the label of a national number.

What is never masked, because of its shape: amounts ("848,90 €", "1.035,20 €", "7.969 €"), dates
("01/06/2016", "2022-12-01"), years, hours, postal codes. Kept on purpose: Belgian non-geographic
service numbers (0800 freephone, 070 / 078 shared-cost, 090x): they belong to services, never to
a person ("0800 90 133"). A public body's ordinary landline ("02 505 79 15") cannot be told from a
home phone and is masked when a user types it.

Only user-typed text goes through here: answers and passages come from the public corpus and are
kept as is (the phone numbers and addresses of public bodies in them are not user data).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from stdnum.be import bis as stdnum_bis
from stdnum.be import nn as stdnum_nn

MASKS = {
    "iban": "[IBAN masqué]",
    "national_number": "[numéro national masqué]",
    "number": "[numéro masqué]",  # national-number shape whose checksum fails (a typo, a BIS look-alike)
    "email": "[e-mail masqué]",
    "phone": "[téléphone masqué]",
}

# Belgian non-geographic prefixes of service numbers: kept (see the module docstring).
SERVICE_PREFIXES = ("0800", "070", "078", "090")

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")

# IBAN: country letters and check digits, then the account either in one piece or in groups of
# four (the first may be a bank code in letters, "NL91 ABNA 0417 1643 00"; later groups hold a
# digit, so that a word after the IBAN is not taken for one).
_ISEP = r"[ .\-\u00a0]"
_IGROUP = r"(?=[A-Za-z]{0,3}\d)[A-Za-z0-9]{4}"
_ILAST = r"(?=[A-Za-z]{0,2}\d)[A-Za-z0-9]{1,3}"
_IBAN_RE = re.compile(
    rf"(?<![A-Za-z0-9])[A-Za-z]{{2}}\d{{2}}"
    rf"(?:[A-Za-z0-9]{{11,30}}|{_ISEP}[A-Za-z0-9]{{4}}(?:{_ISEP}{_IGROUP}){{1,6}}(?:{_ISEP}{_ILAST})?)"
    rf"(?![A-Za-z0-9])"
)
_IBAN_MIN_DIGITS = 8  # in the account part: no IBAN format has fewer

# A run of digit groups joined by one separator each (space, dot, slash, dash, "(0)"), with an
# optional leading "+" or "(02)": every candidate identifier is a stretch of consecutive groups.
# The minutes of an hour ("14h00", "9:30") start no run.
_SEP = r"(?:[ ./\-\u00a0\u202f]|\s?\(0\)\s?)"
_SPAN_RE = re.compile(rf"(?<![\d,])(?<!\d[hH:])(?:\+\s?)?(?:\(\d{{1,4}}\)\s?)?\d+(?:{_SEP}\d+)*")
_GROUP_RE = re.compile(r"\(0\)|\d+")
_MAX_DIGITS = 17  # "00" + 15 digits: the longest phone number


@dataclass(frozen=True)
class Group:
    start: int
    end: int
    digits: str  # "" for the trunk "(0)" of "+32 (0)470…", which counts for nothing


_NN_CUTS = {2, 4, 6, 9}  # YY|MM|DD|XXX|CC


def _national_number_kind(digits: str, groups: list[Group]) -> str | None:
    """11 digits cut only where YY.MM.DD-XXX.CC may be (any separator may be left out or
    mistyped): the checksum only picks the label."""
    if len(digits) != 11:
        return None
    cuts, total = set(), 0
    for group in groups[:-1]:
        total += len(group.digits)
        cuts.add(total)
    if not cuts <= _NN_CUTS or min(cuts, default=2) == 4:  # a first group of four reads as a year: "2024 1234567"
        return None
    valid = stdnum_nn.is_valid(digits) or stdnum_bis.is_valid(digits)
    return "national_number" if valid else "number"


def _international(digits: str, plus: bool) -> bool:
    """+32 / 0032 and 8 or 9 digits (a trunk 0 allowed); another country code: 8 to 15 digits."""
    national = digits if plus else digits[2:]
    if national.startswith("32"):
        rest = national[2:]
        rest = rest[1:] if rest.startswith("0") else rest
        return len(rest) in (8, 9)
    return 8 <= len(national) <= 15


def _belgian(digits: str, groups: list[Group]) -> bool:
    """0 + 8 digits (landline, "02 505 79 15", "04/229.70.70") or 04 + 8 (mobile, "0470 12 34 56").

    After the zone prefix come groups of 2 or 3 digits, or the rest in one piece ("0470 123456"):
    a date ("02/11/2019") has a group of four and never passes.
    """
    if not digits.startswith("0") or not (len(digits) == 9 or (len(digits) == 10 and digits.startswith("04"))):
        return False
    if digits.startswith(SERVICE_PREFIXES):
        return False
    if len(groups) == 1:
        return True
    first, rest = groups[0].digits, [g.digits for g in groups[1:]]
    if not 2 <= len(first) <= 4:
        return False
    return all(2 <= len(g) <= 3 for g in rest) or (len(rest) == 1 and 6 <= len(rest[0]) <= 8)


def _kind(groups: list[Group], plus: bool) -> str | None:
    """What a stretch of digit groups is shaped like, if anything that must be masked."""
    digits = "".join(g.digits for g in groups)
    if plus:
        return "phone" if _international(digits, plus) else None
    national = _national_number_kind(digits, groups)  # first: "00.01.01-001.00" was born in 2000
    if national or groups[0].digits.startswith("00") and len(groups[0].digits) > 2:  # "0032", not "0h00"
        return national or ("phone" if _international(digits, plus) else None)
    return "phone" if _belgian(digits, groups) else None


def _decimal_follows(text: str, end: int) -> bool:
    return text[end : end + 1] == "," and text[end + 1 : end + 2].isdigit()


def _numbers(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) of every national number and phone number, left to right, longest first."""
    for span in _SPAN_RE.finditer(text):
        groups = [
            Group(span.start() + m.start(), span.start() + m.end(), m.group().strip("()") if m.group() != "(0)" else "")
            for m in _GROUP_RE.finditer(span.group())
        ]
        plus = span.group().startswith("+")
        i = 0
        while i < len(groups):
            found = _longest_from(text, groups, i, plus and i == 0) if _may_start(text, groups, i) else None
            if found is None:
                i += 1
                continue
            j, kind = found
            yield (span.start() if i == 0 else groups[i].start), groups[j].end, kind
            i = j + 1


def _may_start(text: str, groups: list[Group], i: int) -> bool:
    """An identifier starts a run, or follows a space: never the middle of "01/06/2016"."""
    return i == 0 or (groups[i].digits != "" and text[groups[i].start - 1].isspace())


def _longest_from(text: str, groups: list[Group], i: int, plus: bool) -> tuple[int, str] | None:
    """The last group index and kind of the longest identifier that starts at group ``i``."""
    size, last = 0, i
    while last < len(groups) and size + len(groups[last].digits) <= _MAX_DIGITS:
        size += len(groups[last].digits)
        last += 1
    for j in range(last - 1, i - 1, -1):
        if not groups[j].digits or (j == len(groups) - 1 and _decimal_follows(text, groups[j].end)):
            continue
        kind = _kind(groups[i : j + 1], plus)
        if kind is not None:
            return j, kind
    return None


def _iban_matches(text: str) -> Iterator[tuple[int, int, str]]:
    for match in _IBAN_RE.finditer(text):
        account = match.group()[4:]
        if sum(ch.isdigit() for ch in account) >= _IBAN_MIN_DIGITS:
            yield match.start(), match.end(), "iban"


def _email_matches(text: str) -> Iterator[tuple[int, int, str]]:
    for match in _EMAIL_RE.finditer(text):
        yield match.start(), match.end(), "email"


# Masking order: e-mails may hold digits, IBANs hold digit groups; numbers come last.
_FINDERS = (_email_matches, _iban_matches, _numbers)


def _masked(text: str) -> tuple[str, list[tuple[str, str]]]:
    found: list[tuple[str, str]] = []
    for finder in _FINDERS:
        out, pos = [], 0
        for start, end, kind in finder(text):
            out += [text[pos:start], MASKS[kind]]
            found.append(("national_number" if kind == "number" else kind, text[start:end]))
            pos = end
        text = "".join(out) + text[pos:]
    return text, found


def find_personal_data(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for every piece of personal data found, in masking order."""
    return _masked(text)[1] if text else []


def mask(text: str) -> str:
    """The text with every piece of personal data, by its shape, replaced by a French placeholder."""
    return _masked(text)[0] if text else text
