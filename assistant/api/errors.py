"""Client-facing errors: one JSON body (``error``, ``message`` in French, ``message_en``, ``detail``).

Bad input gets a clean 4xx a French-speaking user can read, never a 500; an unexpected failure gets
a 500 in the same shape, with its cause in the log only.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A client-facing error with a stable code and a message in French and English."""

    def __init__(
        self,
        status: int,
        code: str,
        fr: str,
        en: str,
        detail: object = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.fr, self.en = status, code, fr, en
        self.detail, self.headers = detail, headers


def conversation_not_found(conversation_id: str) -> ApiError:
    return ApiError(
        404,
        "conversation_not_found",
        "Conversation inconnue.",
        "Unknown conversation.",
        {"conversation_id": conversation_id},
    )


def error_response(
    status: int, code: str, fr: str, en: str, detail: object = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": code, "message": fr, "message_en": en, "detail": detail}
    return JSONResponse(body, status_code=status, headers=headers)


_FIELD_NAMES_FR = {
    "message": "message",
    "history": "history (historique)",
    "role": "role",
    "content": "content (contenu)",
    "conversation_id": "conversation_id",
    "rating": "rating (avis)",
    "comment": "comment (commentaire)",
    "q": "q (recherche)",
    "k": "k",
    "mode": "mode",
    "thumbs": "thumbs",
    "limit": "limit",
}


def _translate(error: dict[str, Any]) -> tuple[str, str, str]:
    """(field path, French, English) for one pydantic error."""
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field_path = ".".join(loc) or "body"
    name = loc[-1] if loc and not loc[-1].isdigit() else (loc[-2] if len(loc) > 1 else field_path)
    fr_name = _FIELD_NAMES_FR.get(name, name)
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":
        return field_path, "Le corps de la requête n'est pas du JSON valide.", "The request body is not valid JSON."
    if field_path == "body" and kind in ("model_attributes_type", "dict_type", "model_type"):
        return field_path, "Le corps de la requête doit être un objet JSON.", "The request body must be a JSON object."
    if kind == "missing":
        return field_path, f"Champ obligatoire manquant : « {fr_name} ».", f"Missing required field '{name}'."
    if kind == "string_type":
        return field_path, f"Le champ « {fr_name} » doit être un texte.", f"Field '{name}' must be a string."
    if kind == "list_type":
        return (
            field_path,
            f"Le champ « {fr_name} » doit être une liste de tours {{role, content}}.",
            f"Field '{name}' must be a list of {{role, content}} turns.",
        )
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return (
            field_path,
            f"Chaque élément de « {fr_name} » doit être un objet {{role, content}}.",
            f"Each item of '{name}' must be a {{role, content}} object.",
        )
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        return (
            field_path,
            f"Valeur non autorisée pour « {fr_name} » (attendu : {expected}).",
            f"Value not allowed for '{name}' (expected: {expected}).",
        )
    if kind == "string_too_long":
        limit = ctx.get("max_length", "")
        return (
            field_path,
            f"Le champ « {fr_name} » est trop long (maximum {limit} caractères).",
            f"Field '{name}' is too long (at most {limit} characters).",
        )
    if kind == "string_too_short":
        return field_path, f"Le champ « {fr_name} » est vide.", f"Field '{name}' is empty."
    if kind == "extra_forbidden":
        return field_path, f"Champ inconnu : « {fr_name} ».", f"Unknown field '{name}'."
    if kind.startswith("int") or kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return (
            field_path,
            f"Valeur invalide pour « {fr_name} » : un nombre entier dans les limites est attendu.",
            f"Invalid value for '{name}': an integer within the limits is expected.",
        )
    return field_path, f"Valeur invalide pour « {fr_name} ».", f"Invalid value for '{name}'."


# --- exception handlers (registered by app.create_app) -----------------------------------------
async def api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.fr, exc.en, exc.detail, exc.headers)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Pydantic's errors in French and English; 415 for a body that is not JSON, 400 for broken JSON."""
    details = []
    for err in exc.errors():
        path, fr, en = _translate(err)
        details.append({"field": path, "type": err.get("type"), "message": fr, "message_en": en})
    first = details[0] if details else {"message": "Requête invalide.", "message_en": "Invalid request."}
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and "json" not in content_type and any(d["field"] == "body" for d in details):
        return error_response(
            415,
            "unsupported_media_type",
            "Envoyez un corps JSON (Content-Type: application/json).",
            "Send a JSON body (Content-Type: application/json).",
            details,
        )
    if any(d.get("type") == "json_invalid" for d in details):
        return error_response(400, "invalid_json", first["message"], first["message_en"], details)
    return error_response(422, "invalid_request", first["message"], first["message_en"], details)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    messages = {
        404: ("not_found", "Adresse introuvable.", "Not found."),
        405: ("method_not_allowed", "Méthode non autorisée.", "Method not allowed."),
    }
    code, fr, en = messages.get(exc.status_code, ("http_error", "Requête refusée.", "Request refused."))
    return error_response(exc.status_code, code, fr, en, None, getattr(exc, "headers", None))


def rate_limited(request: Request, exc: RateLimitExceeded) -> JSONResponse:
    """429 with a Retry-After that says when the client's window reopens (60 s if unknown)."""
    retry_after = 60
    limiter: Limiter = request.app.state.limiter
    current = getattr(request.state, "view_rate_limit", None)
    if current is not None:
        try:
            reset_at, _remaining = limiter.limiter.get_window_stats(current[0], *current[1])
            retry_after = max(1, int(reset_at - time.time()) + 1)
        except Exception:  # storage hiccup: keep the default
            pass
    return error_response(
        429,
        "rate_limited",
        "Trop de questions en peu de temps. Patientez un peu avant de réessayer.",
        "Too many requests. Please wait before trying again.",
        {"limit": str(exc.detail)},
        headers={"Retry-After": str(retry_after)},
    )


async def server_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s: %s", request.method, request.url.path, exc.__class__.__name__, exc_info=exc)
    return error_response(
        500,
        "internal_error",
        "Erreur interne du serveur. Réessayez plus tard.",
        "Internal server error. Please try again later.",
    )
