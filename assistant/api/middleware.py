"""What every request and every log line goes through: the body limit, the security headers, masking.

Plain ASGI middlewares (not ``BaseHTTPMiddleware``) so that streamed answers pass through unbuffered.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.errors import error_response
from assistant.privacy import mask

LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
WIDGET_PATHS = {"/widget.js", "/static/widget.js", "/static/widget.css"}

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI sets style attributes from its bundle; everything else stays as strict.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class BodyLimitMiddleware:
    """413 for bodies over ``limit`` bytes, declared (Content-Length) or streamed (chunked);
    ``wider`` gives paths under a prefix a larger limit (the advisor's uploads)."""

    def __init__(self, app: ASGIApp, limit: int, wider: dict[str, int] | None = None) -> None:
        self.app, self.default, self.wider = app, limit, wider or {}

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.wider.items() if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False
            if too_big:
                await self._reject(scope, receive, send, limit)
                return
            await self.app(scope, receive, send)
            return
        # No declared length: read the body up to the limit, then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._reject(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(
            413,
            "payload_too_large",
            f"La requête est trop volumineuse (maximum {limit} octets).",
            f"The request body is too large (at most {limit} bytes).",
        )
        await response(scope, receive, send)


class SecurityHeadersMiddleware:
    """Security headers on every response; a strict CSP on pages; the widget stays embeddable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"").decode("latin-1")

                def add(name: str, value: str) -> None:
                    if name.lower().encode() not in names:
                        headers.append((name.encode(), value.encode()))

                add("X-Content-Type-Options", "nosniff")
                add("Referrer-Policy", "no-referrer")
                add("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
                if path in WIDGET_PATHS:
                    # Loaded by partner sites: no frame or CSP restriction makes sense on it.
                    add("Cross-Origin-Resource-Policy", "cross-origin")
                else:
                    add("X-Frame-Options", "DENY")
                    if content_type.startswith("text/html"):
                        add("Content-Security-Policy", DOCS_CSP if path.startswith("/docs") else PAGE_CSP)
                    elif not path.startswith("/static"):
                        add("Content-Security-Policy", API_CSP)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PrivacyLogFilter(logging.Filter):
    """Mask personal data in access-log request lines (a search query is user-typed text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            args = list(record.args)
            args[2] = mask(unquote_plus(args[2]))
            record.args = tuple(args)
        return True


def install_log_handler() -> None:
    """Served by uvicorn, only its own loggers have a handler: give the app's INFO lines one too
    (timestamp, level and worker pid), unless the host application configured logging itself."""
    app_log = logging.getLogger("assistant")
    if logging.getLogger().handlers or app_log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    app_log.addHandler(handler)
    app_log.setLevel(logging.INFO)


def install_log_filter() -> None:
    """Once per process, however many apps are built (tests build many)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, PrivacyLogFilter) for f in access.filters):
        access.addFilter(PrivacyLogFilter())
