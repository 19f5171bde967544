from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from ingest_support import CORPUS

from assistant.calculator.money import find_amounts
from ingest.loaders import LoadedDocument, load_document
from ingest.normalize import is_boilerplate, looks_like_title, normalize

FILES = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".md", ".txt", ".pdf"))
DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}")
DECIMAL = re.compile(r"\d+(?:[.,/]\d+)+")


def _lines(doc) -> list[str]:
    return [doc.line_text(line) for line in doc.lines]


@pytest.mark.parametrize("name", FILES)
def test_no_figure_is_altered(name: str) -> None:
    """Every euro amount, date, decimal and digit group of the source survives, unchanged."""
    loaded = load_document(CORPUS / name)
    raw, clean = loaded.text, normalize(loaded).text
    assert Counter(find_amounts(raw)) == Counter(find_amounts(clean))
    assert Counter(DATE.findall(raw)) == Counter(DATE.findall(clean))
    assert Counter(DECIMAL.findall(raw)) - Counter(DECIMAL.findall(clean)) == Counter()
    assert Counter(re.findall(r"\d+", raw)) == Counter(re.findall(r"\d+", clean))


def test_known_figures_are_present_verbatim() -> None:
    pdf = normalize(load_document(CORPUS / "ifapme-convention-stage.pdf")).text
    for figure in ("759,28€", "13.242,86€", "1073,49€", "01/12/2022", "908,33€", "625,60€", "7.272,50€"):
        assert figure in pdf
    md = normalize(load_document(CORPUS / "cip-bruxelles.md")).text
    assert "848,90€" in md and "1.035,20 €" in md


def test_pdf_artefacts_are_repaired() -> None:
    doc = normalize(load_document(CORPUS / "ifapme-convention-stage.pdf"))
    text = doc.text
    assert "  " not in text and "\u00a0" not in text
    # Justified text: "après  une  durée" and a sentence broken over two lines are one line again.
    assert "après une durée de formation déterminée par un plan de formation personnalisé d’obtenir un diplôme" in text
    assert "au plus tard le 1er jour de l'exécution de la convention." in text
    # A sentence that runs over a page break is joined too (page 2 -> 3).
    assert "assujetti au secteur des soins de santé de la sécurité sociale" in text
    lines = _lines(doc)
    # Short title lines stay lines of their own.
    for title in ("Allocation de stage - Fiche de paie", "Montants bruts allocations de stage (septembre 2023)",
                  "Allocations familiales", "Frais de déplacement du domicile à l'entreprise"):
        assert title in lines
    assert lines[lines.index("Montants bruts allocations de stage (septembre 2023)") + 1].startswith("• Qualifié : 908,33€")


def test_pdf_lines_keep_their_pages() -> None:
    doc = normalize(load_document(CORPUS / "ifapme-convention-stage.pdf"))
    pages = {doc.line_text(line): line.page for line in doc.lines}
    assert pages["Montants bruts allocations de stage (septembre 2023)"] == 2
    assert pages["Allocations familiales"] == 3
    offset = doc.text.index("Montants bruts")
    assert doc.page_at(offset) == 2


def test_hyphenation_and_wrapping_in_a_pdf_like_document() -> None:
    loaded = LoadedDocument(path=Path("x.pdf"), kind="pdf", pages=[(1, (
        "Titre du document\n"
        "Le stagiaire perçoit une indemnité mensuelle dont le montant est fixé chaque année par le gouver-\n"
        "nement, soit  848,90\u00a0€  au  1er  mai  2024, payée au plus tard le quatrième jour ouvrable du mois\n"
        "suivant.\n"
        "Deuxième titre\n"
        "Un paragraphe court.\n"
    ))])
    lines = _lines(normalize(loaded))
    assert lines == [
        "Titre du document",
        "Le stagiaire perçoit une indemnité mensuelle dont le montant est fixé chaque année par le "
        "gouvernement, soit 848,90 € au 1er mai 2024, payée au plus tard le quatrième jour ouvrable du mois suivant.",
        "Deuxième titre",
        "Un paragraphe court.",
    ]


def test_web_dump_boilerplate_is_dropped_and_content_kept() -> None:
    doc = normalize(load_document(CORPUS / "cisp-cefa.txt"))
    text = doc.text
    for junk in ("NL | FR | EN | DE", "Lettre d'information", "Vers la page d'accueil", "Plan du site", "AnySurfer"):
        assert junk not in text
    assert "Chercher" not in _lines(doc)
    assert len(doc.dropped) == 6
    for kept in ("Nature et objet", "265,59 euros", "451,12 euros", "Autre protection",
                 "Une CPE de type 3 donne deux avantages :"):
        assert kept in text
    assert text.startswith("La convention d'insertion socioprofessionnelle dans les CEFA\n")


@pytest.mark.parametrize(("line", "dropped"), [
    ("NL | FR | EN | DE", True),
    ("Contact | Actualités | Lettre d'information | Recherche avancée .be", True),
    ("Accueil > Emploi | Formation | Stages", True),
    ("© 2024 Actiris", True),
    ("Mentions légales - Cookies", True),
    ("• Qualifié : 908,33€ (1ère année) | 1073,49€ (2ème année) | 1073,49€ (3ème année)", False),
    ("Infos | ONVA - 02 627 97 65 - www.onva.fgov.be", False),
    ("La dispense est délivrée pour la durée du stage.", False),
    ("Il faut chercher un stage | ou une formation qualifiante dans votre région | auprès du Forem", False),
])
def test_boilerplate_lines(line: str, dropped: bool) -> None:
    assert is_boilerplate(line) is dropped


def test_markdown_table_rows_are_not_navigation() -> None:
    assert not is_boilerplate("| Âge | Montant |", structure="markdown")


def test_markdown_syntax_is_removed_and_headings_kept_as_levels() -> None:
    doc = normalize(load_document(CORPUS / "cip-master-alternance.md"))
    text = doc.text
    assert "**" not in text and "<sup>" not in text and "\\*" not in text and "#" not in text
    levels = {doc.line_text(line): line.level for line in doc.lines if line.level}
    assert levels["ANNEXE 1 : EXTRAITS DE LA CIP*"] == 2
    assert levels["Définition"] == 3
    assert levels["1ère année du master (environ 103 jours)"] == 3
    md = normalize(load_document(CORPUS / "cip-bruxelles.md")).text
    assert "[Bruxelles Formation](#)" not in md and "organisme compétent : Bruxelles Formation pour" in md
    assert "dispenses@actiris.be ou par courrier" in md
    assert "Remarque :" in text and "Bon à savoir :" in md


@pytest.mark.parametrize(("line", "title"), [
    ("Allocation de stage - Fiche de paie", True),
    ("Montants bruts allocations de stage (septembre 2023)", True),
    ("Qu’est-ce que le stage d’insertion professionnelle ?", True),
    ("Comment puis-je trouver un stage d’insertion professionnelle et s’inscrire comme demandeur d’emploi ?", True),
    ("1. Quelles sont les obligations pendant le stage d’insertion ?", True),
    ("Référentes :", False),
    ("04/229.70.70", False),
    ("- Avoir la nationalité belge ;", False),
    ("La dispense est délivrée pour la durée du stage.", False),
    ("Infos | ONVA - 02 627 97 65 - www.onva.fgov.be", False),
    ("Service Alternance de Liège (Boulevard Louis Hillier 18/1 4000 Liège)", False),
    ("le temps que le jeune consacre", False),
])
def test_title_shape(line: str, title: bool) -> None:
    assert looks_like_title(line) is title
