"""Mistyped and unseparated identifiers typed into every user entry point (chat, stream, history,
feedback comment, search) reach neither the database, the logs, the advisor API nor the chain."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assistant.api import PrivacyLogFilter
from assistant.storage import metadata
from tests.test_api import TOKEN, Harness, wait_ready

IDENTIFIERS = [
    "85.07.30-033.29",  # national number, one digit mistyped (checksum fails)
    "85073003328",  # unseparated, valid
    "850730 033 28",
    "85273003399",  # BIS-shaped (month + 20), checksum wrong
    "01.02.03-001.71",  # born in 2001, checksum wrong
    "BE71 0961 2345 6769",
    "be71096123456768",  # lower case, wrong check digits
    "FR14 2004 1010 0505 0001 3M02 606",
    "0470 12 34 56",
    "0470/12.34.56",
    "0470123456",
    "+32 470 12 34 56",
    "0032470123456",
    "02 505 79 15",
    "+33 6 12 34 56 78",
    "jeune.stagiaire+cip@exemple.be",
]


def _needles(identifier: str) -> list[str]:
    """The identifier as typed and its bare digits (or letters and digits for an IBAN or e-mail)."""
    bare = re.sub(r"[^0-9A-Za-z@.]", "", identifier) if "@" in identifier else re.sub(r"[^0-9A-Za-z]", "", identifier)
    return [identifier.lower(), bare.lower()]


def _leaks(text: str) -> list[str]:
    text = text.lower()
    return [ident for ident in IDENTIFIERS if any(n in text for n in _needles(ident))]


def _database_dump(harness: Harness) -> str:
    with harness.storage.engine.connect() as conn:
        return "\n".join(repr(row) for table in metadata.sorted_tables for row in conn.execute(select(table)))


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_no_typed_identifier_is_stored_logged_or_shown(
    tmp_path: Path, identifier: str, caplog: pytest.LogCaptureFixture
) -> None:
    h = Harness(tmp_path)
    caplog.set_level(logging.DEBUG)
    with TestClient(h.app) as client:
        wait_ready(client)
        message = f"Bonjour, mon numéro c'est {identifier}, j'ai 18 ans, combien en CIP ?"
        cid = client.post("/api/chat", json={"message": message}).json()["conversation_id"]
        history = [{"role": "user", "content": f"je m'appelle Léa, {identifier}"}, {"role": "assistant", "content": "Bonjour."}]
        client.post("/api/chat/stream", json={"message": message, "history": history, "conversation_id": cid})
        client.post("/api/chat", json={"message": "et à 21 ans ?", "conversation_id": cid})  # history from storage
        client.post("/api/feedback", json={"conversation_id": cid, "rating": "down", "comment": f"rappelez-moi : {identifier}"})
        client.get("/api/search", params={"q": f"indemnité {identifier}"})
        shown = client.get("/api/advisor/conversations", headers={"Authorization": f"Bearer {TOKEN}"}).text

    assert "[" in shown and not _leaks(shown)  # the advisor sees the placeholders
    assert not _leaks(_database_dump(h))
    server_lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]  # not the test client's
    assert len(server_lines) > 5 and not _leaks("\n".join(server_lines))
    seen = [req.message for req in h.assistant.requests] + [t.content for req in h.assistant.requests for t in req.history]
    assert len(h.assistant.requests) == 3 and not _leaks("\n".join(seen))  # the chain (the model) never sees them
    assert not _leaks("\n".join(call["query"] for call in h.search.calls))


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_access_log_lines_hide_identifiers_in_query_strings(identifier: str) -> None:
    from urllib.parse import quote_plus

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/search?q={quote_plus('mon gsm ' + identifier)}&k=5", "1.1", 200), None,
    )
    assert PrivacyLogFilter().filter(record)
    assert not _leaks(record.getMessage()) and "k=5" in record.getMessage()
