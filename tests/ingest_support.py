"""Helpers shared by the ingest, store and loader tests (not a test module)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from assistant.config import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"
DOC_IDS = ["cip-bruxelles", "cip-master-alternance", "cisp-cefa", "ifapme-convention-stage",
           "stage-insertion-professionnelle"]


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings confined to tmp_path (embedded Chroma, hashing embedder unless overridden)."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "corpus_dir": tmp_path / "corpus",
        "chroma_host": None,
        "chroma_path": None,
        "collection": "test-brochures",
        "embedding_backend": "hashing",
    }
    values.update(overrides)
    return Settings(**values)


def copy_corpus(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def minimal_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one line of Helvetica text per page (for loader tests)."""
    objects: list[bytes] = []
    kids = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    for i, text in enumerate(pages):
        page_id, content_id = 3 + 2 * i, 4 + 2 * i
        kids.append(f"{page_id} 0 R")
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("cp1252")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    header = [b"<< /Type /Catalog /Pages 2 0 R >>",
              f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {n_pages} >>".encode()]
    font = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    all_objects = header + objects + font
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(all_objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(all_objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(all_objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
