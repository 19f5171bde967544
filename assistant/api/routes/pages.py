"""The HTML pages and the widget script: static files, outside the OpenAPI schema.

Each page fetches its data from the API; the server only hands out the files.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
DOCS_ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")


@router.get("/advisor")
async def advisor_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "advisor.html")


@router.get("/documents/{doc_id}")
async def document_page(doc_id: str) -> FileResponse:
    return FileResponse(STATIC_DIR / "document.html")


@router.get("/widget.js")
async def widget() -> FileResponse:
    return FileResponse(STATIC_DIR / "widget.js", media_type="text/javascript")


@router.get("/docs")
async def docs() -> FileResponse:
    return FileResponse(STATIC_DIR / "docs.html")
