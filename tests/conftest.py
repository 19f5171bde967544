"""Shared test set-up: the project root is importable (``tests.fakes``) even without ``pip install -e``;
the real index (``index_settings``) for the slow tests that use it."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.real_index import index_settings  # noqa: E402,F401  (a session fixture for the slow tests)
