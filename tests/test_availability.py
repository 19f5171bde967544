"""The index probe: bounded, trusted for a second when the index answered, never cached when it did not."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from assistant.availability import IndexProbe, chroma_heartbeat
from assistant.config import Settings
from bench.servers import free_port


class Flaky:
    def __init__(self) -> None:
        self.up = True
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if not self.up:
            raise ConnectionRefusedError("down")


def test_embedded_index_has_nothing_to_probe(tmp_path) -> None:
    probe = IndexProbe.for_settings(Settings(data_dir=tmp_path))
    assert not probe.remote and probe.ok() and probe.ok(fresh=True)


def test_success_is_trusted_briefly_and_failure_never_cached() -> None:
    check = Flaky()
    probe = IndexProbe(check, trust_seconds=0.2)
    assert probe.ok() and probe.ok() and check.calls == 1  # trusted
    assert probe.ok(fresh=True) and check.calls == 2
    check.up = False
    assert probe.ok() and check.calls == 2  # still within the trust window
    time.sleep(0.25)
    assert not probe.ok() and probe.last_error == "ConnectionRefusedError"
    assert not probe.ok() and check.calls == 4  # failures are re-checked every time
    check.up = True
    assert probe.ok() and probe.last_error is None  # back at once


def test_heartbeat_of_a_dead_port_fails_fast() -> None:
    settings = Settings(chroma_host="127.0.0.1", chroma_port=free_port(), index_probe_timeout=1.0)
    started = time.monotonic()
    assert not IndexProbe.for_settings(settings).ok()
    assert time.monotonic() - started < 1.0


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers (a frozen server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def serve() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    sock.close()


def test_heartbeat_of_a_frozen_server_times_out(silent_server: int) -> None:
    settings = Settings(chroma_host="127.0.0.1", chroma_port=silent_server, index_probe_timeout=0.5)
    check = chroma_heartbeat(settings)
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017 - httpx.ReadTimeout; the point is that it returns
        check()
    assert time.monotonic() - started < 2.0
    assert not IndexProbe(check).ok()
