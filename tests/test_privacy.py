"""Personal data typed by users is masked by its shape; amounts, dates and the corpus's figures are not.

Both sides are property-based (hypothesis): every generated identifier (national and BIS numbers
with any separators and a wrong checksum, IBANs grouped or not, phones in the usual Belgian and
international styles, e-mails) is masked inside a sentence; no generated amount, date, year, hour
or postal code is touched, and neither is any figure of the evaluation suites or of the corpus,
except the public bodies' landlines and e-mail address listed in CORPUS_MASKED.
"""

from __future__ import annotations

import re
import string
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban

from assistant.privacy import MASKS, SERVICE_PREFIXES, find_personal_data, mask

ROOT = Path(__file__).resolve().parent.parent
NN, NUMBER, IBAN, EMAIL, PHONE = (MASKS[k] for k in ("national_number", "number", "iban", "email", "phone"))


# --- examples ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon numéro national est 85.07.30-033.28, merci", f"Mon numéro national est {NN}, merci"),
        ("85073003328", NN),
        ("NN 85 07 30 033 28 !", f"NN {NN} !"),
        ("850730 033 28", NN),
        ("née en 2001 : 01.02.03-001.70", f"née en 2001 : {NN}"),  # born after 2000: other checksum
        ("85.07.30-033.29", NUMBER),  # one digit mistyped: the checksum fails, still masked
        ("85073003329", NUMBER),
        ("mon registre national 850730-03329.", f"mon registre national {NUMBER}."),
        ("12345678901", NUMBER),
        ("IBAN BE68 5390 0754 7034 et voilà", f"IBAN {IBAN} et voilà"),
        ("iban: be68539007547034", f"iban: {IBAN}"),
        ("compte BE71 0961 2345 6769.", f"compte {IBAN}."),
        ("BE68 5390 0754 7035", IBAN),  # wrong checksum: an IBAN all the same
        ("be71096123456769", IBAN),
        ("FR14 2004 1010 0505 0001 3M02 606", IBAN),
        ("NL91 ABNA 0417 1643 00", IBAN),
        ("GB29 NWBK 6016 1331 9268 19 mais", f"{IBAN} mais"),
        ("écrivez à jean.dupont+stage@exemple.be.", f"écrivez à {EMAIL}."),
        ("0470 12 34 56", PHONE),
        ("0470/12.34.56", PHONE),
        ("0470 123 456", PHONE),
        ("0470123456", PHONE),
        ("appelle-moi au +32 470 12 34 56 stp", f"appelle-moi au {PHONE} stp"),
        ("+32 (0)470 12 34 56", PHONE),
        ("0032470123456", PHONE),
        ("02 505 79 15", PHONE),  # a public body's landline looks like anyone's: masked when typed
        ("(02) 505 79 15", PHONE),
        ("04/229.70.70", PHONE),
        ("02 123 45 67", PHONE),
        ("+33 6 12 34 56 78", PHONE),
        ("0470/12.34.56.", f"{PHONE}."),
        ("0470 12 34 56 24 h par semaine", f"{PHONE} 24 h par semaine"),  # a trailing figure is kept
        ("en 2024, 0470 12 34 56", f"en 2024, {PHONE}"),
        ("en 2024 0470 12 34 56", f"en 2024 {PHONE}"),
    ],
)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "J'ai 18 ans, combien en CIP ?",
        "L'indemnité est de 1.035,20 € par mois",
        "848,90 €",
        "1.035,20 €",
        "7.969 €",
        "1 035,20 €",
        "1\u202f035,20 €",
        "le 01/12/2022",
        "01/06/2016",
        "né le 30/07/1985",
        "2022-12-01 à 14h30",
        "2024",
        "38 heures",
        "CISP : combien pour 24 h par semaine ?",
        "année scolaire 2023-2024",
        "1000 Bruxelles",
        "code postal 4000 Liège",
        "de 9h à 17h, 5 jours sur 7",
        "du 28/10/2019 au 02/11/2019 9 jours",
        "le 02/11/2019 04/11/2019",
        # Belgian service numbers (freephone, shared cost, premium) are no one's personal number.
        "0800 90 133",
        "0800/93 947",
        "078 15 50 35",
        "070 23 45 67",
    ],
)
def test_figures_and_service_numbers_are_untouched(text: str) -> None:
    assert mask(text) == text


def test_the_checksum_decides_the_label_only() -> None:
    assert mask("85073003328") == NN
    assert mask("85273003399") in (NN, NUMBER)  # BIS-shaped (month + 20)
    assert mask("85073003300") == NUMBER
    assert [kind for kind, _ in find_personal_data("85073003300 et 85073003328")] == ["national_number"] * 2


def test_several_kinds_in_one_message() -> None:
    text = "NN 85073003329, IBAN BE68 5390 0754 7034, mail a@b.be, gsm 0475 11 22 33 ; 848,90 € à 18 ans"
    masked = mask(text)
    assert "8507300" not in masked and "5390" not in masked and "a@b.be" not in masked and "0475" not in masked
    assert masked.endswith("; 848,90 € à 18 ans")
    kinds = [kind for kind, _ in find_personal_data(text)]
    assert sorted(kinds) == ["email", "iban", "national_number", "phone"]


def test_empty_text() -> None:
    assert mask("") == ""
    assert find_personal_data("") == []


def test_long_runs_of_digits_stay_fast() -> None:
    text = "1 " * 1000
    assert mask(text) == text


# --- generated identifiers: every one masked --------------------------------------------------
WORDS = ["Bonjour", "mon numéro", "c'est", "voici", "merci", "svp", "au", "!", "?", "(", ")", ":", "mon gsm", "IBAN"]
prefixes = st.lists(st.sampled_from(WORDS), max_size=3).map(lambda w: " ".join(w) + " " if w else "")
suffixes = st.lists(st.sampled_from(WORDS), max_size=3).map(lambda w: " " + " ".join(w) if w else "")


def _nn_digits(draw: st.DrawFn) -> str:
    year, month, day = draw(st.integers(0, 99)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    month += draw(st.sampled_from([0, 20, 40]))  # BIS numbers add 20 or 40 to the month
    serial = draw(st.integers(1, 998))
    base = f"{year:02d}{month:02d}{day:02d}{serial:03d}"
    check = draw(st.integers(0, 99))  # a checksum that is right by chance only: the shape is enough
    digits = base + f"{check:02d}"
    if draw(st.booleans()):  # and a mistyped digit anywhere
        at = draw(st.integers(0, 10))
        digits = digits[:at] + str((int(digits[at]) + draw(st.integers(1, 9))) % 10) + digits[at + 1 :]
    return digits


@st.composite
def national_numbers(draw: st.DrawFn) -> str:
    digits = _nn_digits(draw)
    sep = st.sampled_from(["", " ", ".", "-", "/"])
    date = draw(sep).join([digits[0:2], digits[2:4], digits[4:6]])  # YY MM DD apart or together
    return date + draw(sep) + digits[6:9] + draw(sep) + digits[9:11]


IBAN_LENGTHS = {"BE": 16, "FR": 27, "NL": 18, "DE": 22, "LU": 20, "ES": 24, "IT": 27, "GB": 22, "CH": 21, "PT": 25, "NO": 15}


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(IBAN_LENGTHS)))
    size = IBAN_LENGTHS[country] - 4
    letters = draw(st.integers(0, 4)) if country in ("NL", "GB", "FR", "IT") else 0
    bank = "".join(draw(st.lists(st.sampled_from(string.ascii_uppercase), min_size=letters, max_size=letters)))
    digits = "".join(draw(st.lists(st.sampled_from(string.digits), min_size=size - letters, max_size=size - letters)))
    account = bank + digits
    if draw(st.booleans()):
        number = country + stdnum_iban.calc_check_digits(country + "00" + account) + account
    else:
        number = country + f"{draw(st.integers(0, 99)):02d}" + account
    if draw(st.booleans()):
        number = number.lower()
    if draw(st.booleans()):
        number = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


def _groups(digits: str, sizes: list[int], sep: str) -> str:
    out, at = [], 0
    for size in sizes:
        out.append(digits[at : at + size])
        at += size
    return sep.join(out)


@st.composite
def belgian_phones(draw: st.DrawFn) -> str:
    number = draw(st.integers(10**7, 10**8 - 1))  # a subscriber number never starts with 0
    if draw(st.booleans()):  # mobile: 04xx xx xx xx
        national = f"4{draw(st.integers(60, 99))}{number % 10**6:06d}"
        styles = [
            lambda d: "0" + _groups(d, [3, 2, 2, 2], " "),
            lambda d: "0" + d[:3] + "/" + _groups(d[3:], [2, 2, 2], "."),
            lambda d: "0" + _groups(d, [3, 3, 3], " "),
            lambda d: "0" + d[:3] + " " + d[3:],
        ]
    else:  # landline: a one-digit zone (02, 03, 04, 09) or a two-digit one, not a service prefix
        zone = draw(st.sampled_from(["2", "3", "4", "9", "10", "15", "50", "65", "71", "81", "87"]))
        national = zone + f"{number:08d}"[: 8 - len(zone)]
        styles = [
            lambda d: "0" + _groups(d, [len(zone), 3, 2, 2] if len(zone) == 1 else [len(zone), 2, 2, 2], " "),
            lambda d: "0" + d[: len(zone)] + "/" + _groups(d[len(zone) :], [3, 2, 2] if len(zone) == 1 else [2, 2, 2], "."),
        ]
    styles += [
        lambda d: "0" + d,
        lambda d: "+32 " + _groups(d, [len(d) - 6, 2, 2, 2], " "),
        lambda d: "+32" + d,
        lambda d: "0032" + d,
        lambda d: "0032 " + _groups(d, [len(d) - 6, 2, 2, 2], " "),
        lambda d: "+32 (0)" + _groups(d, [len(d) - 6, 2, 2, 2], " "),
    ]
    return draw(st.sampled_from(styles))(national)


@st.composite
def international_phones(draw: st.DrawFn) -> str:
    country, size = draw(st.sampled_from([("33", 9), ("31", 9), ("49", 10), ("44", 10), ("352", 9), ("1", 10), ("212", 9)]))
    rest = "".join(draw(st.lists(st.sampled_from(string.digits), min_size=size, max_size=size)))
    sep = draw(st.sampled_from([" ", ".", ""]))
    grouped = sep.join(rest[i : i + 2] for i in range(0, len(rest), 2))
    return draw(st.sampled_from(["+", "00"])) + country + (" " if sep else "") + grouped


emails = st.builds(
    lambda user, dot, domain, tld: f"{user}{dot}@{domain}.{tld}",
    st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12),
    st.sampled_from(["", ".dupont", "_2005", "+stage"]),
    st.text(string.ascii_lowercase, min_size=2, max_size=10),
    st.sampled_from(["be", "com", "brussels", "org"]),
)


@pytest.mark.parametrize(
    ("strategy", "labels"),
    [
        (national_numbers(), {NN, NUMBER}),
        (ibans(), {IBAN}),
        (belgian_phones(), {PHONE}),
        (international_phones(), {PHONE}),
        (emails, {EMAIL}),
    ],
    ids=["national-number", "iban", "belgian-phone", "international-phone", "email"],
)
def test_every_shaped_identifier_is_masked(strategy: st.SearchStrategy[str], labels: set[str]) -> None:
    @given(prefixes, strategy, suffixes)
    def check(prefix: str, identifier: str, suffix: str) -> None:
        masked = mask(prefix + identifier + suffix)
        assert masked[: len(prefix)] == prefix and masked[len(masked) - len(suffix) :] == suffix, masked
        assert masked[len(prefix) : len(masked) - len(suffix)] in labels, masked

    check()


# --- generated figures: none touched ----------------------------------------------------------
def _french_amount(cents: int, thousands: str, with_cents: bool) -> str:
    euros, rest = divmod(cents, 100)
    grouped = f"{euros:,}".replace(",", thousands)
    return f"{grouped},{rest:02d} €" if with_cents else f"{grouped} €"


amounts = st.builds(_french_amount, st.integers(0, 10**8), st.sampled_from([".", " ", "\u202f", ""]), st.booleans())
dates = st.builds(
    lambda d, m, y, sep, iso: f"{y}-{m:02d}-{d:02d}" if iso else f"{d:02d}{sep}{m:02d}{sep}{y}",
    st.integers(1, 31), st.integers(1, 12), st.integers(1990, 2035), st.sampled_from(["/", ".", "-"]), st.booleans(),
)
years = st.integers(1900, 2099).map(str)
hours = st.one_of(
    st.integers(1, 60).map(lambda h: f"{h} heures"),
    st.builds(lambda h, m: f"{h}h{m:02d}", st.integers(0, 23), st.integers(0, 59)),
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
)
postal_codes = st.builds(lambda c, town: f"{c} {town}", st.integers(1000, 9999), st.sampled_from(["Bruxelles", "Liège", "Namur"]))
counts = st.builds(lambda n, unit: f"{n} {unit}", st.integers(0, 10**6), st.sampled_from(["jours", "heures", "%", "semaines"]))
figures = st.one_of(amounts, dates, years, hours, postal_codes, counts)


@given(st.lists(figures, min_size=1, max_size=4), st.sampled_from([" ", ", ", " et ", " ; "]))
def test_no_generated_figure_is_altered(parts: list[str], joiner: str) -> None:
    text = "Montant : " + joiner.join(parts) + "."
    assert mask(text) == text


# --- the suites and the corpus: no figure altered, the public contacts named ------------------
# The corpus quotes public bodies' landlines and one e-mail address: typed by a user they would be
# masked (their shape is a person's), so they are listed here; answers and passages come from the
# corpus and are never masked. The service numbers (0800, 078) of the corpus are kept anyway.
CORPUS_MASKED = {
    ("phone", "02 505 79 15"), ("phone", "025057915"), ("phone", "02 515 44 44"), ("phone", "04/229.70.70"),
    ("phone", "02 511 51 51"), ("phone", "02 627 97 65"), ("phone", "02 739 71 11"), ("phone", "02 509 59 59"),
    ("phone", "02 272 20 00"), ("phone", "02 793 80 00"), ("email", "dispenses@actiris.be"),
}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _suite_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "evals" / "suites").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += _strings(data)
        for case in data.get("cases", []) if isinstance(data, dict) else data:
            for amount in [*case.get("amounts", []), *case.get("allowed", [])]:
                value = Decimal(str(amount))
                texts += [f"{value:.2f} €".replace(".", ","), _french_amount(int(value * 100), ".", True)]
    return texts


def _corpus_texts() -> list[str]:
    from pypdf import PdfReader

    corpus = ROOT / "corpus"
    texts = [p.read_text(encoding="utf-8") for p in sorted([*corpus.glob("*.md"), *corpus.glob("*.txt")])]
    for pdf in sorted(corpus.glob("*.pdf")):
        texts.append("\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages))
    return texts


@pytest.mark.parametrize("source", ["suites", "corpus"])
def test_no_figure_of_the_suites_or_the_corpus_is_altered(source: str) -> None:
    texts = _suite_texts() if source == "suites" else _corpus_texts()
    assert texts
    found = {hit for text in texts for hit in find_personal_data(text)}
    assert found <= CORPUS_MASKED, found - CORPUS_MASKED
    for text in texts:  # everything else, every figure included, comes out as it went in
        rest = mask(text)
        for kind, hit in find_personal_data(text):
            text = text.replace(hit, MASKS[kind], 1)
        assert rest == text
    figures_in = sum(len(re.findall(r"\d+(?:[.,]\d+)*", t)) for t in texts)
    assert figures_in > 100  # the check above ran over real figures


def test_no_suite_question_changes_so_no_suite_answer_can() -> None:
    """What the chain sees through the API is the masked text: for every case it is the typed text."""
    from evals.suites import default_suite_paths, load_suites

    cases = [case for suite in load_suites(default_suite_paths()) for case in suite.cases]
    typed = [case.question for case in cases] + [t.content for case in cases for t in case.history if t.role == "user"]
    assert len(cases) > 300 and [text for text in typed if mask(text) != text] == []


def test_the_corpus_service_numbers_are_kept() -> None:
    numbers = {m for t in _corpus_texts() for m in re.findall(r"0800[ /]\s*\d{2}\s*\d{3}", t)}
    assert numbers and all(mask(n) == n for n in numbers)
    assert all(prefix.startswith("0") for prefix in SERVICE_PREFIXES)
