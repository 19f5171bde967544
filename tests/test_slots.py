"""Slots from colloquial French: ages, years, qualification, hours, days, amounts, family."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.calculator import Slots, extract_slots
from assistant.calculator.dates import AsOf

D = Decimal

# (text, the slots it must give); slots not named must stay empty.
PHRASINGS: list[tuple[str, dict]] = [
    # age
    ("j'ai 19 ans", {"age": 19}),
    ("J’ai 18 ans", {"age": 18}),
    ("19a", {"age": 19}),
    ("19ans", {"age": 19}),
    ("jai 20 ans", {"age": 20}),
    ("dix-neuf ans", {"age": 19}),
    ("dix neuf ans", {"age": 19}),
    ("j'ai vingt et un ans", {"age": 21}),
    ("g 21 ans", {"age": 21}),
    ("j'ai 17 piges", {"age": 17}),
    ("je suis âgé de 16 ans", {"age": 16}),
    ("j'ai plus de 21 ans", {"age": 22}),
    ("jusqu'à 25 ans on garde les allocs ?", {"intents": ["family_allowance"]}),
    ("à partir de 18 ans c'est combien", {"intents": ["amount"]}),
    ("j'ai 3 ans d'expérience", {}),
    # year
    ("je suis en 1ère", {"year": 1}),
    ("1ere annee", {"year": 1}),
    ("en première année", {"year": 1}),
    ("premiere annee", {"year": 1}),
    ("1re année", {"year": 1}),
    ("2e année", {"year": 2}),
    ("2ème année", {"year": 2}),
    ("deuxième année", {"year": 2}),
    ("2eme annee", {"year": 2}),
    ("jsuis en 2e", {"year": 2}),
    ("3ème année", {"year": 3}),
    ("troisieme", {"year": 3}),
    ("en 3e annee", {"year": 3}),
    ("année 2", {"year": 2}),
    # a 4th to 6th year (a repeated or extended year): read, the calculations then say the
    # tables stop at the 3rd year
    ("4e annee ifapme", {"year": 4, "schemes": ["ifapme"]}),
    ("4ème année", {"year": 4}),
    ("4eme annee", {"year": 4}),
    ("jsuis en 4e", {}),  # bare "4e" is more often a school year: years 4-6 need "annee"
    ("quatrième année", {"year": 4}),
    ("quatrieme", {}),
    ("5e annee", {"year": 5}),
    ("cinquième année", {"year": 5}),
    ("sixieme annee", {"year": 6}),
    ("année 4", {"year": 4}),
    ("4 annee", {"year": 4}),
    # ...but an ordinal before another noun, or a school year, is not a year of training
    ("4e mois", {}),
    ("le 5e jour", {}),
    ("4 semaines", {}),
    ("je suis en 4e secondaire", {}),
    ("je suis en 5e annee secondaire", {}),
    ("3e annee du secondaire", {}),
    ("en 4eme sec", {}),
    ("le 6e enfant", {}),
    ("c'est la première fois", {}),
    ("les 3 premiers mois", {}),
    ("je suis en 3e secondaire", {}),
    # qualification
    ("je suis qualifié", {"qualified": True}),
    ("qualifiee", {"qualified": True}),
    ("pas qualifie", {"qualified": False}),
    ("non qualifié", {"qualified": False}),
    ("non-qualifié", {"qualified": False}),
    ("sans qualification", {"qualified": False}),
    ("je ne suis pas qualifié", {"qualified": False}),
    ("pas encore qualifie", {"qualified": False}),
    ("qualifié ou non qualifié ?", {}),
    # hours per week
    ("24h/semaine", {"hours_per_week": D(24)}),
    ("24 heures par semaine", {"hours_per_week": D(24)}),
    ("24h", {"hours_per_week": D(24)}),
    ("30 h par sem", {"hours_per_week": D(30)}),
    ("19,5 heures/semaine", {"hours_per_week": D("19.5")}),
    # days per week
    ("5 jours par semaine", {"days_per_week": 5}),
    ("6j/sem", {"days_per_week": 6}),
    ("cinq jours par semaine", {"days_per_week": 5}),
    ("6 jours semaine", {"days_per_week": 6}),
    # days and months
    ("103 jours", {"days": 103}),
    ("pour 103j de stage", {"days": 103}),
    ("pendant 6 mois", {"months": 6}),
    ("sur six mois", {"months": 6}),
    ("12 mois", {"months": 12}),
    # amounts
    ("700 €", {"amount": D(700)}),
    ("700 euros", {"amount": D(700)}),
    ("700e", {"amount": D(700)}),
    ("1.035,20", {"amount": D("1035.20")}),
    ("848,90 €", {"amount": D("848.90")}),
    ("je gagne 800 par mois", {"amount": D(800), "amount_period": "month", "intents": ["amount"]}),
    ("je touche 650 brut", {"amount": D(650), "intents": ["amount"]}),
    ("je gagne 9000 par an", {"amount": D(9000), "amount_period": "year", "intents": ["amount", "yearly"]}),
    ("salaire de 950€/mois", {"amount": D(950), "amount_period": "month", "intents": ["amount"]}),
    ("1 200 € par mois", {"amount": D(1200), "amount_period": "month"}),
    # region and schemes
    ("j'habite à Liège", {"region": "Wallonie"}),
    ("à Bruxelles", {"region": "Bruxelles"}),
    ("en ifapme", {"schemes": ["ifapme"]}),
    ("CIP en master", {"schemes": ["cip", "cip-master"]}),
    ("en CEFA", {"schemes": ["cisp"]}),
    # single parent
    ("ma mère est seule", {"single_parent": True}),
    ("mère seule", {"single_parent": True}),
    ("parent isolé", {"single_parent": True}),
    ("ma maman est isolée", {"single_parent": True}),
    ("famille monoparentale", {"single_parent": True}),
    ("mes deux parents", {"single_parent": False}),
    ("mes parents sont mariés", {"single_parent": False}),
    ("ma maman m élève seule", {"single_parent": True}),
    # typos and missing accents
    ("2eme anne ifpame quallifié", {"year": 2, "qualified": True, "schemes": ["ifapme"]}),
    ("jsui en premiere anne pas qalifie", {"year": 1, "qualified": False}),
    ("jai 18ans", {"age": 18}),
    ("j ai dix huit ans", {"age": 18}),
    ("je touche 1073,49 brut par mois", {"amount": D("1073.49"), "amount_period": "month", "intents": ["amount"]}),
    ("mon salaire est de 900 balles", {"amount": D(900), "intents": ["amount"]}),
    # combined, colloquial
    (
        "jsuis en 2e annee ifapme pas qualifié combien je touche",
        {"year": 2, "qualified": False, "schemes": ["ifapme"], "intents": ["amount"]},
    ),
    ("c combien la cip a 18 ans", {"age": 18, "schemes": ["cip"], "intents": ["amount"]}),
    (
        "cisp 16 ans 1ere annee 24h/semaine",
        {"age": 16, "year": 1, "hours_per_week": D(24), "schemes": ["cisp"]},
    ),
    (
        "combien de jours de congé si je bosse 6 jours par semaine",
        {"days_per_week": 6, "intents": ["paid_leave"], "asked_unit": "days"},
    ),
    (
        "si je gagne 800 € par mois en ifapme je perds les allocs familiales ?",
        {"amount": D(800), "amount_period": "month", "schemes": ["ifapme"], "intents": ["amount", "family_allowance"]},
    ),
    (
        "en master alternance combien pour 103 jours",
        {"days": 103, "schemes": ["cip-master"], "intents": ["amount", "total"]},
    ),
    ("J'AI 19 ANS ET JE SUIS EN 3EME ANNEE", {"age": 19, "year": 3}),
    ("18 ans, 2ème année, 30h par semaine", {"age": 18, "year": 2, "hours_per_week": D(30)}),
    (
        "je redouble et je suis en 4e annee ifapme, je touche combien ?",
        {"year": 4, "schemes": ["ifapme"], "intents": ["amount"]},
    ),
    ("je suis en 4e annee, le 4e mois de ma convention", {"year": 4}),
    # the date asked about (as_of): a year 2000-2099 after a word, with a month, or in a full date
    ("fixé en 2011", {"as_of": {"year": 2011, "month": None, "day": None, "before": False}}),
    ("en 2016", {"as_of": {"year": 2016, "month": None, "day": None, "before": False}}),
    ("depuis juin 2016", {"as_of": {"year": 2016, "month": 6, "day": None, "before": False}}),
    ("au 01/06/2016", {"as_of": {"year": 2016, "month": 6, "day": 1, "before": False}}),
    ("avant 2011", {"as_of": {"year": 2011, "month": None, "day": None, "before": True}}),
    # ...never an amount, an age, a year of training, a duration or a count
    ("7.218 €", {"amount": D(7218)}),
    ("en 2019-2020", {}),  # an academic year spans two rates: not read
    ("2000 Anvers", {}),  # a postal code
    ("en 1999", {}),
]


@pytest.mark.parametrize(("text", "expected"), PHRASINGS, ids=[p[0] for p in PHRASINGS])
def test_phrasing(text: str, expected: dict) -> None:
    stated = extract_slots(text).stated()
    intents = stated.pop("intents", [])
    wanted_intents = expected.get("intents", [])
    assert set(wanted_intents) <= set(intents)
    assert stated == {k: v for k, v in expected.items() if k != "intents"}


def test_at_least_sixty_phrasings() -> None:
    assert len(PHRASINGS) >= 60


def test_five_days_a_week_is_not_five_days() -> None:
    slots = extract_slots("5 jours par semaine pendant 103 jours")
    assert slots.days_per_week == 5 and slots.days == 103


def test_amount_is_not_an_age_or_an_hour() -> None:
    slots = extract_slots("j'ai 19 ans, je preste 24h et je gagne 800 € par mois")
    assert (slots.age, slots.hours_per_week, slots.amount) == (19, D(24), D(800))


def test_merge_carries_earlier_turns_over() -> None:
    first = extract_slots("je suis en 2e année ifapme, combien je touche ?")
    second = extract_slots("pas qualifié", previous=first)
    assert (second.year, second.qualified, second.schemes) == (2, False, ["ifapme"])
    assert "amount" in second.intents


def test_merge_newer_values_win() -> None:
    earlier = Slots(age=18, schemes=["cip"], amount=D(700), amount_period="year")
    newer = Slots(age=21, schemes=["ifapme"], amount=D(800))
    merged = earlier.merge(newer)
    assert (merged.age, merged.schemes, merged.amount) == (21, ["ifapme"], D(800))
    assert merged.amount_period is None  # the period belonged to the old amount


def test_merge_keeps_values_the_newer_turn_does_not_state() -> None:
    merged = Slots(age=18, region="Bruxelles", single_parent=True).merge(Slots(year=1))
    assert (merged.age, merged.region, merged.single_parent, merged.year) == (18, "Bruxelles", True, 1)


@pytest.mark.parametrize("year", [0, 7])
def test_year_out_of_range_is_rejected(year: int) -> None:
    with pytest.raises(ValueError):
        Slots(year=year)


def test_a_later_year_than_the_tables_is_a_valid_slot() -> None:
    assert Slots(year=4).year == 4 and Slots(year=6).year == 6


def test_vocabulary_patterns_are_written_folded() -> None:
    """Patterns match folded text: an accent in a pattern would never match."""
    import re

    from assistant.calculator.vocabulary import VOCABULARY_FILE

    for line in VOCABULARY_FILE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("- ") or ": \"" in line:
            assert not re.search(r"[À-ÿ]", line), line


# --- the date a question asks about (as_of) ---------------------------------------------------

YEARS_ASKED = [
    ("Quel était le montant de base de l'indemnité fixé en 2011 pour les masters en alternance ?", AsOf(year=2011)),
    ("le montant indexe depuis juin 2016 pour le master en alternance ?", AsOf(year=2016, month=6)),
    ("combien en master en 2016 ?", AsOf(year=2016)),
    ("quel montant au 01/06/2016 ?", AsOf(year=2016, month=6, day=1)),
    ("et en 2019 ?", AsOf(year=2019)),
    ("le 1er janvier 2019", AsOf(year=2019, month=1, day=1)),
    ("en fév. 2017", AsOf(year=2017, month=2)),
    ("avant juin 2016", AsOf(year=2016, month=6, before=True)),
    ("en 2016 j'ai 19 ans et je touche 800 €", AsOf(year=2016)),
]


@pytest.mark.parametrize(("text", "expected"), YEARS_ASKED, ids=[t for t, _ in YEARS_ASKED])
def test_the_date_asked_is_read(text: str, expected: AsOf) -> None:
    assert extract_slots(text).as_of == expected


@pytest.mark.parametrize(
    "text",
    [
        "j'ai 21 ans", "7.218 €", "2e annee", "310 jours", "je gagne 2050 par mois", "2016 €", "en 2010 heures",
        "pour 2016 jours", "2000 Anvers", "en 1999", "en 2100", "le 31/02/2016", "en 2019-2020", "2011,50 €",
        "la CIP paie 1.035,20 € à 21 ans", "3e année pendant 12 mois", "103 jours × 79,69 €",
    ],
)
def test_ages_amounts_durations_and_counts_are_not_years(text: str) -> None:
    assert extract_slots(text).as_of is None


def test_the_other_slots_are_unchanged_by_a_date() -> None:
    slots = extract_slots("en 2016 j'ai 19 ans, 2e année, 24h par semaine, je touche 800 € par mois pendant 6 mois")
    assert (slots.age, slots.year, slots.hours_per_week, slots.amount, slots.months) == (19, 2, D(24), D(800), 6)
    assert slots.as_of == AsOf(year=2016)


def test_a_date_is_no_situation_and_is_not_carried_to_the_next_turn() -> None:
    first = extract_slots("combien en master en alternance en 2011 ?")
    assert first.as_of == AsOf(year=2011) and not first.has_situation()
    assert extract_slots("et par jour ?", previous=first).as_of is None
    assert extract_slots("et en 2016 ?", previous=first).as_of == AsOf(year=2016)


@pytest.mark.parametrize(
    ("as_of", "when", "label"),
    [
        (AsOf(year=2011), "2011-12-31", "en 2011"),
        (AsOf(year=2016, month=6), "2016-06-30", "en juin 2016"),
        (AsOf(year=2016, month=6, day=1), "2016-06-01", "au 01/06/2016"),
        (AsOf(year=2011, before=True), "2010-12-31", "avant 2011"),
        (AsOf(year=2016, month=6, day=1, before=True), "2016-05-31", "avant le 01/06/2016"),
    ],
)
def test_as_of_looks_up_the_periods_last_day(as_of: AsOf, when: str, label: str) -> None:
    assert as_of.when.isoformat() == when and as_of.label() == label


@pytest.mark.parametrize("year", [1999, 2100])
def test_as_of_years_are_limited(year: int) -> None:
    with pytest.raises(ValueError):
        AsOf(year=year)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("jai 18 ans depuis mars", 18),  # after "j'ai", an age whatever follows
        ("g 20 ans depuis hier, je touche combien ?", 20),
        ("j'ai 2 ans d'expérience et 19 ans", 19),  # a quantity of something is no age
        ("je suis au chômage depuis 2 ans", None),
        ("ma soeur a 22 ans et j'ai 18 ans depuis mars", 22),  # the first age stated comes first
    ],
)
def test_an_age_is_read_after_j_ai_whatever_follows(text: str, age: int | None) -> None:
    assert extract_slots(text).age == age


def test_two_people_are_named_with_a_word_between_the_possessive_and_the_person() -> None:
    # "mon petit frère … et mon cousin": two people, so their ages and years are one situation each.
    s = extract_slots("Mon petit frère (16 ans, 1ère année) et mon cousin (18 ans, 3ème année) touchent combien ?")
    assert (s.ages, s.years) == ([16, 18], [1, 3])
    assert extract_slots("moi j'ai 18 ans et ma grande soeur 22, on touche combien ?").ages == [18, 22]
