"""Shared test set-up: the project root is importable (``tests.fakes``) even without ``pip install -e``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
