"""Storage limitation: what users wrote is deleted once it is older than the retention period.

Conversations of minors and job seekers are personal data (GDPR): they are kept
``ASSISTANT_RETENTION_DAYS`` days (90 by default), long enough for advisors to read the feedback,
then deleted by the server (at start-up and every hour, ``purge_periodically``) or by hand
(`assistant purge`). Erasing one conversation on request is ``Storage.delete_conversation``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from assistant.storage import Purged, Storage, StorageError

log = logging.getLogger(__name__)

PURGE_INTERVAL = 3600.0  # seconds: a deletion is at most an hour late


def retention_cutoff(days: int, now: datetime | None = None) -> datetime:
    """The instant before which everything stored is past its retention period."""
    return (now or datetime.now(UTC)) - timedelta(days=days)


def purge_expired(storage: Storage, days: int, now: datetime | None = None) -> Purged:
    """Delete the conversations, messages and feedback older than ``days`` days."""
    purged = storage.purge(retention_cutoff(days, now))
    if purged.total:
        log.info(
            "retention (%d days): deleted %d conversations, %d messages, %d feedback",
            days,
            purged.conversations,
            purged.messages,
            purged.feedback,
        )
    return purged


async def purge_periodically(storage: Storage, days: int, interval: float = PURGE_INTERVAL) -> None:
    """Purge now, then every ``interval`` seconds until cancelled; a database that fails is
    logged and tried again at the next turn (answering never depends on it)."""
    while True:
        try:
            await asyncio.to_thread(purge_expired, storage, days)
        except StorageError as exc:
            log.error("retention purge failed, next try in %.0f s: %s", interval, exc)
        await asyncio.sleep(interval)
