"""The advisor's corpus: add, replace or remove a brochure, then follow its indexing.

The file travels base64-encoded in a JSON body with its sources.yaml fields (no multipart parser
needed; the body limit of these routes is ASSISTANT_MAX_FILE_MB). It is checked by the ingest's own
loader and chunker before anything is written (ingest/documents.py): a bad or oversized file gets a
French 4xx and the corpus and index stay as they were. The ingest then runs in the background
(assistant/api/jobs.py); 202 returns the job, `GET /api/advisor/jobs/{id}` its progress.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from assistant.api.core import Core, CoreDep, require_advisor
from assistant.api.errors import ApiError
from assistant.api.jobs import IngestJobs, Job

router = APIRouter(tags=["advisor"], dependencies=[Depends(require_advisor)])

DocId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$", description="identifiant du document")]
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")]


class DocumentFields(BaseModel):
    """A document's sources.yaml entry, as the advisor fills it in."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    publisher: str | None = Field(default=None, max_length=300)
    updated: str | None = Field(default=None, max_length=10, description="AAAA-MM-JJ")
    url: str | None = Field(default=None, max_length=500)
    region: str | None = Field(default=None, max_length=100)
    scheme: str | None = Field(default=None, max_length=200, description="le dispositif, en clair")
    schemes: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=10)
    contact: str | None = Field(default=None, max_length=300, description="qui répond pour ce dispositif")
    synonyms: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=20)


class DocumentUpload(DocumentFields):
    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")
    filename: str | None = Field(default=None, min_length=1, max_length=200)
    content_base64: str | None = Field(default=None, description="le fichier, encodé en base64")


def jobs_of(core: Core) -> IngestJobs:
    if core.jobs is None:
        forget = getattr(core.library, "forget", None)
        core.jobs = IngestJobs(core.settings, after=forget if callable(forget) else None)
    return core.jobs


def _content(body: DocumentUpload) -> tuple[str, bytes | None]:
    if body.content_base64 is None:
        return body.filename or "", None
    if not body.filename:
        raise ApiError(400, "document_invalid", "Donnez le nom du fichier envoyé.", "The file name is missing.")
    try:
        return body.filename, base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "document_invalid", "Le fichier envoyé est mal encodé (base64 attendu).",
                       "The file is not valid base64.") from None


async def _save(core: Core, body: DocumentUpload, doc_id: str | None, replace: bool) -> Job:
    from ingest.documents import DocumentError, save_document

    filename, data = _content(body)
    if data is None and not replace:
        raise ApiError(400, "document_invalid", "Envoyez le fichier du document.", "The file is missing.")
    fields = body.model_dump(exclude={"id", "filename", "content_base64"})
    try:
        checked = await run_in_threadpool(save_document, core.settings.corpus_dir, filename, data, fields,
                                          core.settings, doc_id or body.id, replace)
    except DocumentError as exc:
        raise ApiError(exc.status, "document_refused", str(exc), "The document was refused (see message).") from None
    jobs = jobs_of(core)
    job = jobs.new("remplacement" if replace else "ajout", checked.entry.id)
    job.passages, job.sections = checked.passages, checked.sections
    return jobs.submit(job)


@router.post("/api/advisor/documents", status_code=202, summary="Ajouter un document (indexé en arrière-plan)")
async def add_document(core: CoreDep, body: DocumentUpload) -> dict[str, Any]:
    return (await _save(core, body, None, replace=False)).to_dict()


@router.put("/api/advisor/documents/{doc_id}", status_code=202, summary="Remplacer un document ou sa fiche")
async def replace_document(core: CoreDep, doc_id: DocId, body: DocumentUpload) -> dict[str, Any]:
    return (await _save(core, body, doc_id, replace=True)).to_dict()


@router.delete("/api/advisor/documents/{doc_id}", status_code=202, summary="Retirer un document")
async def delete_document(core: CoreDep, doc_id: DocId) -> dict[str, Any]:
    from ingest.documents import DocumentError, remove_document

    try:
        await run_in_threadpool(remove_document, core.settings.corpus_dir, doc_id)
    except DocumentError as exc:
        raise ApiError(exc.status, "document_refused", str(exc), "The document was refused (see message).") from None
    jobs = jobs_of(core)
    return jobs.submit(jobs.new("suppression", doc_id)).to_dict()


@router.get("/api/advisor/jobs", summary="Les dernières indexations")
async def list_jobs(core: CoreDep) -> list[dict[str, Any]]:
    return [job.to_dict() for job in jobs_of(core).recent()]


@router.get("/api/advisor/jobs/{job_id}", summary="Une indexation et sa progression")
async def get_job(core: CoreDep, job_id: JobId) -> dict[str, Any]:
    job = jobs_of(core).get(job_id)
    if job is None:
        raise ApiError(404, "job_not_found", "Indexation inconnue (le serveur a peut-être redémarré).", "Unknown job.")
    return job.to_dict()



@router.get("/api/advisor/documents/{doc_id}/figures", summary="Les montants qu'un document cite (rates.yaml)")
async def document_figures(core: CoreDep, doc_id: DocId) -> list[dict[str, Any]]:
    """Each euro figure of the file with its verbatim sentence, the rates that already use it, and
    a rates.yaml entry to complete (assistant/calculator/candidates.py)."""
    from assistant.calculator.candidates import candidates
    from assistant.calculator.rates import load_rates
    from ingest.sources import current_entries

    entry = next((e for e in current_entries(core.settings.corpus_dir) if e.id == doc_id), None)
    path = core.settings.corpus_dir / entry.file if entry is not None else None
    if entry is None or path is None or not path.is_file():
        raise ApiError(404, "document_not_found", f"Aucun document « {doc_id} » dans le corpus.", "Unknown document.")
    try:
        found = await run_in_threadpool(candidates, entry, path, load_rates())
    except Exception as exc:  # an unreadable file: the ingest reports it too
        raise ApiError(422, "document_unreadable", "Le fichier de ce document ne peut pas être lu.",
                       f"The file cannot be read ({type(exc).__name__}).") from None
    return [c.to_dict() for c in found]
