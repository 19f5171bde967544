"""Is the passage index reachable right now? A cheap, bounded check the API makes before answering.

With a Chroma server (ASSISTANT_CHROMA_HOST) the index can vanish while the app runs: the chain
then finds no passage and would politely say the sources do not hold the answer — a wrong answer,
not an outage. The API asks this probe first and answers a clear 503 instead; the probe is the
server's heartbeat with a short timeout (a stopped or frozen server never makes a request hang),
a success is trusted for a second (one heartbeat per second under load, not one per request),
and a failure is never cached, so answers resume the moment the server is back. The embedded
index (a local folder) has nothing to probe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from assistant.config import Settings

TRUST_SECONDS = 1.0


def chroma_heartbeat(settings: Settings) -> Callable[[], None]:
    """Raises when the Chroma server does not answer its heartbeat within the probe timeout."""
    url = f"http://{settings.chroma_host}:{settings.chroma_port}/api/v2/heartbeat"
    timeout = settings.index_probe_timeout

    def check() -> None:
        response = httpx.get(url, timeout=timeout)
        response.raise_for_status()

    return check


class IndexProbe:
    """``ok()``: whether the index answers; ``remote``: whether there is anything to probe."""

    def __init__(self, check: Callable[[], None] | None, trust_seconds: float = TRUST_SECONDS) -> None:
        self._check = check
        self.trust_seconds = trust_seconds
        self._last_ok = float("-inf")
        self._lock = threading.Lock()
        self.last_error: str | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> IndexProbe:
        return cls(chroma_heartbeat(settings) if settings.chroma_host else None)

    @property
    def remote(self) -> bool:
        return self._check is not None

    def ok(self, fresh: bool = False) -> bool:
        """True when the index answered (within the last second unless ``fresh``)."""
        if self._check is None:
            return True
        if not fresh and time.monotonic() - self._last_ok < self.trust_seconds:
            return True
        try:
            self._check()
        except Exception as exc:  # refused, timed out, 5xx: all mean "not now"
            with self._lock:
                self._last_ok = float("-inf")
                self.last_error = type(exc).__name__
            return False
        with self._lock:
            self._last_ok = time.monotonic()
            self.last_error = None
        return True
