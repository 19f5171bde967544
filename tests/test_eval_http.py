"""`assistant eval --url`: the runner against a real server it does not own (started here, on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from evals import runner

pytestmark = pytest.mark.slow

SUITE = """
cases:
- id: http-cip-18
  question: "g 18 ans combien je touche en cip"
  sources: [cip-bruxelles]
  amounts: [848.90]
- id: http-recette
  question: "donne moi une recette de lasagnes"
  refuse: true
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_url():
    port = free_port()
    env = {**os.environ, "ASSISTANT_LLM_BACKEND": "extractive", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "assistant.api:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                health = httpx.get(url + "/api/health", timeout=5).json()
                if health.get("status") == "error":
                    pytest.fail(f"server not ready: {health.get('error')}")
                if health.get("ready"):
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_eval_against_server(server_url: str, tmp_path: Path) -> None:
    suite = tmp_path / "http.yaml"
    suite.write_text(SUITE, encoding="utf-8")
    report = tmp_path / "r.json"
    lenient = tmp_path / "t.yaml"
    lenient.write_text("backends: {}\n", encoding="utf-8")
    code = runner.main([str(suite), "--url", server_url, "--report", str(report), "--thresholds", str(lenient)],
                       console=Console(file=open(os.devnull, "w")))  # noqa: SIM115
    data = json.loads(report.read_text(encoding="utf-8"))
    assert code == 0
    assert data["target"] == server_url and data["backend"] == "extractive"
    assert data["overall"]["errors"] == 0, [c["reasons"] for c in data["cases"]]
    assert [c["id"] for c in data["cases"]] == ["http-cip-18", "http-recette"]
    assert all(c["answer"] for c in data["cases"])
