"""Background ingests started from the advisor view, one at a time, with their progress.

A document saved by the advisor (ingest/documents.py) is indexed by the same incremental
`run_ingest` as `assistant ingest`, in one worker thread, so the request returns at once and the
view polls `GET /api/advisor/jobs/{id}` for the passages embedded so far. The last jobs are kept in
memory only: a restart forgets them, not the index (the ingest is crash-safe on its own).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Literal

from assistant.config import Settings

log = logging.getLogger(__name__)

State = Literal["en attente", "en cours", "terminé", "échec"]
KEPT = 50


@dataclass
class Job:
    id: str
    action: Literal["ajout", "remplacement", "suppression"]
    doc_id: str
    state: State = "en attente"
    done: int = 0  # passages embedded
    total: int = 0
    message: str = ""
    passages: int | None = None  # of the document, as checked before saving
    sections: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class IngestJobs:
    """The advisor's ingests, in order; `after` runs once an ingest has changed the index."""

    def __init__(self, settings: Settings, after: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.after = after
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="advisor-ingest")

    def submit(self, job: Job) -> Job:
        with self._lock:
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-KEPT]:
                del self._jobs[old]
        self._executor.submit(self._run, job)
        return job

    def new(self, action: Literal["ajout", "remplacement", "suppression"], doc_id: str) -> Job:
        return Job(id=uuid.uuid4().hex[:12], action=action, doc_id=doc_id)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def recent(self) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs.values()))

    def _run(self, job: Job) -> None:
        from ingest.pipeline import run_ingest

        job.state = "en cours"

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        try:
            report = run_ingest(corpus_dir=self.settings.corpus_dir, settings=self.settings, progress=progress,
                                show_progress=False)
            if report.failed:
                reasons = "; ".join(f"{f.file} : {f.reason}" for f in report.failures)
                job.state, job.message = "échec", f"Indexation incomplète ({reasons}) ; l'index précédent reste en service."
            else:
                job.state = "terminé"
                job.message = (f"Index à jour : {len(report.added)} ajouté(s), {len(report.updated)} mis à jour, "
                               f"{len(report.removed)} retiré(s).")
        except Exception as exc:  # the index stays as it was (run_ingest writes each document atomically)
            log.exception("advisor ingest failed")
            job.state, job.message = "échec", f"Indexation impossible ({type(exc).__name__}) ; l'index précédent reste en service."
        finally:
            job.finished = time.time()
            if self.after is not None:
                try:
                    self.after()
                except Exception:
                    log.exception("after advisor ingest")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
