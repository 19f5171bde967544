"""Throwaway servers on 127.0.0.1 for the load run and the integration tests.

Each helper starts one real server as a subprocess of ours (its own session, so stopping it stops
its children too), waits until it answers, and stops it by its process id: the app
(`assistant serve`), a Chroma server (`chroma run`), a PostgreSQL cluster in a temporary folder,
and llama-cpp-python's OpenAI-compatible server. Nothing listens beyond the loopback interface.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import httpx

from assistant.config import PROJECT_ROOT

HOST = "127.0.0.1"
BIN = Path(sys.executable).parent


class ServerError(RuntimeError):
    """A server did not start (its log tail is in the message)."""


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def assistant_command(*args: str) -> list[str]:
    """The `assistant` command of this venv; the same entry point without `pip install -e`."""
    script = BIN / "assistant"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "import sys; from assistant.cli import app; app(sys.argv[1:])", *args]


def offline_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: offline models, no telemetry, plus ``extra``."""
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


class Server:
    """One subprocess with its output in a log file; a context manager that always stops it."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.args = list(args)
        self.env = offline_env(env)
        self.cwd = cwd or PROJECT_ROOT
        self.log_path = log_path or Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> Server:
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                self.args, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        finally:
            log.close()
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll ``ready`` until it holds; fail fast if the process died, with its log tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServerError(f"{self.name} exited (code {self.process and self.process.returncode}) "
                                  f"before {what}:\n{self.tail()}")
            with contextlib.suppress(Exception):
                if ready():
                    return
            time.sleep(0.2)
        raise ServerError(f"{self.name}: no {what} after {timeout:.0f} s:\n{self.tail()}")

    def wait_http(self, url: str, timeout: float, accept: Callable[[httpx.Response], bool] | None = None) -> None:
        accept = accept or (lambda r: r.status_code == 200)

        def ready() -> bool:
            return accept(httpx.get(url, timeout=2.0))

        self.wait_until(ready, timeout, f"answer on {url}")

    def _signal(self, sig: signal.Signals) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)  # the group we created: our child and its workers

    def kill(self) -> None:
        """SIGKILL, no clean-up (a crash)."""
        self._signal(signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds."""
        if self.process is None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> Server:
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- the servers ---------------------------------------------------------------------------------
def chroma_server(path: Path, port: int, log_path: Path | None = None) -> Server:
    """`chroma run` on 127.0.0.1:port with its data in ``path``; started and ready."""
    server = Server("chroma", [str(BIN / "chroma"), "run", "--host", HOST, "--port", str(port), "--path", str(path)],
                    log_path=log_path).start()
    try:
        server.wait_http(f"http://{HOST}:{port}/api/v2/heartbeat", timeout=60)
    except Exception:
        server.stop()
        raise
    return server


def assistant_server(port: int, env: Mapping[str, str], workers: int = 1, log_path: Path | None = None,
                     ready_timeout: float = 240.0) -> Server:
    """`assistant serve` on 127.0.0.1:port with ``env`` (ASSISTANT_* settings); started and ready."""
    server = Server("assistant", assistant_command("serve", "--host", HOST, "--port", str(port), "--workers", str(workers)),
                    env=env, log_path=log_path).start()
    ready: set[int] = set()

    def all_ready() -> bool:
        # Each worker loads on its own: a new connection per poll lets the kernel reach every one.
        health = httpx.get(f"http://{HOST}:{port}/api/health", timeout=5.0).json()
        if health.get("ready"):
            ready.add(int(health.get("worker") or 0))
        return len(ready) >= workers

    try:
        server.wait_until(all_ready, ready_timeout, f"{workers} ready worker(s) on port {port}")
    except Exception:
        server.stop()
        raise
    return server


def llama_server(model: Path, port: int, threads: int = 2, n_ctx: int = 4096, log_path: Path | None = None,
                 ready_timeout: float = 180.0) -> Server:
    """llama-cpp-python's OpenAI-compatible server (`pip install 'llama-cpp-python[server]'`); ready."""
    args = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", HOST, "--port", str(port),
            "--n_ctx", str(n_ctx), "--n_threads", str(threads)]
    server = Server("llama-server", args, log_path=log_path).start()
    try:
        server.wait_http(f"http://{HOST}:{port}/v1/models", timeout=ready_timeout)
    except Exception:
        server.stop()
        raise
    return server


def postgres_binaries() -> Path | None:
    """The newest PostgreSQL bin folder of the Debian packages, if any."""
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(initdbs[-1]).parent if initdbs else None


def _as_db_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


def postgres_unavailable_reason() -> str | None:
    """Why a throwaway cluster cannot run here (None: it can)."""
    if postgres_binaries() is None:
        return "no PostgreSQL binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


class PostgresCluster:
    """A throwaway cluster in a temporary folder (trust auth, loopback only, no fsync)."""

    def __init__(self) -> None:
        reason = postgres_unavailable_reason()
        if reason:
            raise ServerError(reason)
        self.bindir = postgres_binaries()
        self.base = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.base, user="postgres", group="postgres")
        self.data, self.log = self.base / "data", self.base / "server.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@{HOST}:{self.port}/postgres"
        self._initialised = False

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        assert self.bindir is not None
        return subprocess.run(_as_db_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), *args]),
                              check=check, capture_output=True, timeout=120)

    def start(self) -> PostgresCluster:
        assert self.bindir is not None
        if not self._initialised:
            subprocess.run(
                _as_db_user([str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                             "-E", "UTF8", "--no-sync"]),
                check=True, capture_output=True, timeout=120,
            )
            self._initialised = True
        options = f"-p {self.port} -k {self.base} -c listen_addresses={HOST} -c fsync=off"
        self._ctl("-o", options, "-l", str(self.log), "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        """Immediate shutdown (the data folder stays: start() brings the same cluster back)."""
        if self._initialised:
            self._ctl("-m", "immediate", "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    try:
        yield cluster
    finally:
        cluster.remove()
