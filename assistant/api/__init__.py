"""The HTTP API, the chat widget and the advisor view (FastAPI; see CONTRACT.md).

The API is a thin, defensive shell around the chain: it validates input (clean 4xx in French and
English, never a 500 for bad input), masks personal data before anything is stored or logged,
turns a conversation id into history, queues generation (the CPU answers one question at a time),
and stores every exchange without ever letting a database failure break an answer.

``app`` wires the pieces; ``core`` holds the state routes share; ``routes/`` has one router per
resource; ``errors``, ``middleware``, ``queue``, ``sse`` and ``present`` are what the routes use.

Run with ``assistant serve`` (``uvicorn assistant.api:create_app --factory``).
"""

from assistant.api.app import create_app
from assistant.api.core import CorpusLibrary
from assistant.api.middleware import PrivacyLogFilter
from assistant.api.present import format_result
from assistant.api.queue import GenerationGate
from assistant.api.routes.pages import STATIC_DIR

__all__ = ["STATIC_DIR", "CorpusLibrary", "GenerationGate", "PrivacyLogFilter", "create_app", "format_result"]
