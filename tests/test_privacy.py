"""Personal data typed by users is masked; amounts, dates and look-alikes are left alone."""

from __future__ import annotations

import pytest

from assistant.privacy import MASKS, find_personal_data, mask

NN, IBAN, EMAIL, PHONE = MASKS["national_number"], MASKS["iban"], MASKS["email"], MASKS["phone"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon numéro national est 85.07.30-033.28, merci", f"Mon numéro national est {NN}, merci"),
        ("85073003328", NN),
        ("NN 85 07 30 033 28 !", f"NN {NN} !"),
        ("née en 2001 : 01.02.03-001.70", f"née en 2001 : {NN}"),  # born after 2000: other checksum
        ("IBAN BE68 5390 0754 7034 et voilà", f"IBAN {IBAN} et voilà"),
        ("iban: be68539007547034", f"iban: {IBAN}"),
        ("compte BE71 0961 2345 6769.", f"compte {IBAN}."),
        ("NL91 ABNA 0417 1643 00", IBAN),
        ("écrivez à jean.dupont+stage@exemple.be.", f"écrivez à {EMAIL}."),
        ("0470 12 34 56", PHONE),
        ("appelle-moi au +32 470 12 34 56 stp", f"appelle-moi au {PHONE} stp"),
        ("0032470123456", PHONE),
        ("04/229.70.70", PHONE),
        ("02 123 45 67", PHONE),
        ("0470/12.34.56.", f"{PHONE}."),
        ("0470 12 34 56 24 h par semaine", f"{PHONE} 24 h par semaine"),  # greedy match shrinks
    ],
)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "J'ai 18 ans, combien en CIP ?",
        "L'indemnité est de 1.035,20 € par mois",
        "1 035,20 €",
        "848,90",
        "le 01/12/2022",
        "né le 30/07/1985",
        "2022-12-01 à 14h30",
        "CISP : combien pour 24 h par semaine ?",
        "année scolaire 2023-2024",
        "85.07.30-033.29",  # national-number look-alike with a wrong checksum
        "85073003329",
        "BE68 5390 0754 7035",  # IBAN look-alike with a wrong checksum
        "12345678901",
        "code postal 4000 Liège",
        "de 9h à 17h, 5 jours sur 7",
    ],
)
def test_look_alikes_are_untouched(text: str) -> None:
    assert mask(text) == text


def test_several_kinds_in_one_message() -> None:
    text = "NN 85073003328, IBAN BE68 5390 0754 7034, mail a@b.be, gsm 0475 11 22 33 ; 848,90 € à 18 ans"
    masked = mask(text)
    assert "85073003328" not in masked and "5390" not in masked and "a@b.be" not in masked and "0475" not in masked
    assert masked.endswith("; 848,90 € à 18 ans")
    kinds = [kind for kind, _ in find_personal_data(text)]
    assert sorted(kinds) == ["email", "iban", "national_number", "phone"]


def test_empty_text() -> None:
    assert mask("") == ""
