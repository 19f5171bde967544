"""Conversations, answers and feedback, through SQLAlchemy Core (SQLite file or PostgreSQL).

Advisors read these to see what young people ask and where answers fail; the API reads them to
turn a conversation id into history. Questions and comments are masked (assistant.privacy)
before they get here; answers, citations and calculations come from the corpus and are stored as
is. Nothing is kept forever: ``purge`` deletes what is older than the retention period
(assistant.retention) and ``delete_conversation`` erases one conversation on request (GDPR:
storage limitation, right to erasure). Storage is a side effect of answering: callers catch
StorageError and keep serving.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from assistant.schemas import ChatResponse, Turn

log = logging.getLogger(__name__)

metadata = MetaData()
CONNECT_TIMEOUT = 5  # seconds (PostgreSQL); a URL's own ?connect_timeout= wins

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(100), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("question", Text, nullable=False),  # masked
    Column("answer", Text, nullable=False),
    Column("citations", JSON, nullable=False),
    Column("calculations", JSON, nullable=False),
    Column("latency_ms", Float),
    Column("backend", String(50)),
    Column("refused", Boolean, nullable=False, default=False),
    Column("fallback", Boolean, nullable=False, default=False),
    Column("guard", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(100), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="SET NULL"), nullable=True),
    Column("rating", String(10), nullable=False),
    Column("comment", Text),  # masked
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)


class StorageError(RuntimeError):
    """The database could not be reached or refused the operation."""


class UnknownConversation(LookupError):
    """Feedback or history asked for a conversation id that was never stored."""


@dataclass(frozen=True)
class Purged:
    """What one deletion removed, row counts by table."""

    conversations: int = 0
    messages: int = 0
    feedback: int = 0

    @property
    def total(self) -> int:
        return self.conversations + self.messages + self.feedback


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite gives naive datetimes back
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


class Storage:
    """One engine per process; tables are created on first use (and again if that failed)."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
            self._ensure_sqlite_dir(url)
        elif url.startswith("postgresql") and "connect_timeout" not in url:
            # libpq waits forever for an unreachable host by default: the answer would wait with it.
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
        self.engine: Engine = create_engine(url, **kwargs)
        self._ready = False
        self._lock = threading.Lock()
        self.healthy = True  # the last operation's outcome, for /api/health

    @staticmethod
    def _ensure_sqlite_dir(url: str) -> None:
        from pathlib import Path

        from sqlalchemy.engine import make_url

        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def create_tables(self) -> None:
        """Under a lock: the warm-up, the retention purge and a first request may all ask at once
        (two concurrent CREATE TABLE would fail one of them)."""
        with self._lock:
            try:
                metadata.create_all(self.engine)
            except SQLAlchemyError as exc:
                self.healthy = False
                raise StorageError(f"cannot create tables: {exc.__class__.__name__}") from exc
            self._ready = self.healthy = True

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        if not self._ready:
            self.create_tables()
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            self.healthy = False
            raise StorageError(f"database error: {exc.__class__.__name__}") from exc
        self.healthy = True

    def ping(self) -> bool:
        try:
            with self._begin() as conn:
                conn.execute(select(1))
        except StorageError:
            return False
        return True

    # --- writes ----------------------------------------------------------------------------
    def save_exchange(self, conversation_id: str, question: str, response: ChatResponse) -> int:
        """Store one question (already masked) and its answer; returns the message id."""
        now = _now()
        with self._begin() as conn:
            exists = conn.execute(select(conversations.c.id).where(conversations.c.id == conversation_id)).first()
            if exists:
                conn.execute(update(conversations).where(conversations.c.id == conversation_id).values(updated_at=now))
            else:
                conn.execute(insert(conversations).values(id=conversation_id, created_at=now, updated_at=now))
            result = conn.execute(
                insert(messages).values(
                    conversation_id=conversation_id,
                    question=question,
                    answer=response.answer,
                    citations=[c.model_dump(mode="json") for c in response.citations],
                    calculations=[c.model_dump(mode="json") for c in response.calculations],
                    latency_ms=response.latency_ms,
                    backend=response.backend,
                    refused=response.refused,
                    fallback=response.fallback,
                    guard=list(response.guard),
                    created_at=now,
                )
            )
            return int(result.inserted_primary_key[0])

    def add_feedback(
        self, conversation_id: str, rating: str, comment: str | None = None, message_id: int | None = None
    ) -> int:
        """Feedback on a conversation (its latest answer unless message_id says which); returns its id."""
        with self._begin() as conn:
            if conn.execute(select(conversations.c.id).where(conversations.c.id == conversation_id)).first() is None:
                raise UnknownConversation(conversation_id)
            if message_id is not None:
                owned = conn.execute(
                    select(messages.c.id).where(messages.c.id == message_id, messages.c.conversation_id == conversation_id)
                ).first()
                if owned is None:
                    raise UnknownConversation(conversation_id)
            else:
                message_id = conn.execute(
                    select(func.max(messages.c.id)).where(messages.c.conversation_id == conversation_id)
                ).scalar()
            # One opinion per answer: a later click or a comment updates the earlier one.
            earlier = conn.execute(
                select(feedback.c.id, feedback.c.comment)
                .where(feedback.c.conversation_id == conversation_id, feedback.c.message_id == message_id)
                .order_by(feedback.c.id.desc())
            ).first()
            if earlier is not None and message_id is not None:
                conn.execute(
                    update(feedback)
                    .where(feedback.c.id == earlier.id)
                    .values(rating=rating, comment=comment or earlier.comment, created_at=_now())
                )
                return int(earlier.id)
            result = conn.execute(
                insert(feedback).values(
                    conversation_id=conversation_id,
                    message_id=message_id,
                    rating=rating,
                    comment=comment or None,
                    created_at=_now(),
                )
            )
            return int(result.inserted_primary_key[0])

    # --- erasure and retention -------------------------------------------------------------
    # Deleted child rows first, explicitly: SQLite does not enforce the foreign keys' cascades.
    def delete_conversation(self, conversation_id: str) -> Purged | None:
        """Erase one conversation with its messages and feedback; None when it was never stored."""
        with self._begin() as conn:
            fb = conn.execute(delete(feedback).where(feedback.c.conversation_id == conversation_id)).rowcount
            msgs = conn.execute(delete(messages).where(messages.c.conversation_id == conversation_id)).rowcount
            convs = conn.execute(delete(conversations).where(conversations.c.id == conversation_id)).rowcount
        return Purged(convs, msgs, fb) if convs else None

    def purge(self, before: datetime) -> Purged:
        """Delete everything older than ``before``: messages and feedback created earlier, and the
        conversations idle since then (with whatever is left of them)."""
        idle = select(conversations.c.id).where(conversations.c.updated_at < before)
        old_messages = select(messages.c.id).where(messages.c.created_at < before)
        with self._begin() as conn:
            fb = conn.execute(
                delete(feedback).where(
                    or_(
                        feedback.c.created_at < before,
                        feedback.c.conversation_id.in_(idle),
                        feedback.c.message_id.in_(old_messages),
                    )
                )
            ).rowcount
            msgs = conn.execute(
                delete(messages).where(or_(messages.c.created_at < before, messages.c.conversation_id.in_(idle)))
            ).rowcount
            convs = conn.execute(delete(conversations).where(conversations.c.updated_at < before)).rowcount
        return Purged(convs, msgs, fb)

    # --- reads -----------------------------------------------------------------------------
    def conversation_exists(self, conversation_id: str) -> bool:
        with self._begin() as conn:
            return conn.execute(select(conversations.c.id).where(conversations.c.id == conversation_id)).first() is not None

    def history(self, conversation_id: str, max_turns: int) -> list[Turn]:
        """The last exchanges of a conversation as at most ``max_turns`` turns (user, assistant, ...)."""
        exchanges = max_turns // 2  # whole exchanges only: history starts with a user turn
        if exchanges <= 0:
            return []
        with self._begin() as conn:
            rows = conn.execute(
                select(messages.c.question, messages.c.answer)
                .where(messages.c.conversation_id == conversation_id)
                .order_by(messages.c.id.desc())
                .limit(exchanges)
            ).all()
        turns: list[Turn] = []
        for question, answer in reversed(rows):
            turns.append(Turn(role="user", content=question[:8000]))
            turns.append(Turn(role="assistant", content=answer[:8000]))
        return turns

    def recent_conversations(self, limit: int = 50, rating: str | None = None) -> list[dict[str, Any]]:
        """Newest conversations first, each with its messages and feedback.

        ``rating`` ("up" or "down") keeps the conversations that received such feedback.
        """
        with self._begin() as conn:
            query = select(conversations).order_by(conversations.c.updated_at.desc(), conversations.c.id).limit(limit)
            if rating:
                rated = select(feedback.c.conversation_id).where(feedback.c.rating == rating)
                query = query.where(conversations.c.id.in_(rated))
            convs = conn.execute(query).mappings().all()
            ids = [c["id"] for c in convs]
            if not ids:
                return []
            msg_rows = conn.execute(
                select(messages).where(messages.c.conversation_id.in_(ids)).order_by(messages.c.id)
            ).mappings().all()
            fb_rows = conn.execute(
                select(feedback).where(feedback.c.conversation_id.in_(ids)).order_by(feedback.c.id)
            ).mappings().all()
        by_conv: dict[str, dict[str, Any]] = {
            c["id"]: {
                "conversation_id": c["id"],
                "created_at": _iso(c["created_at"]),
                "updated_at": _iso(c["updated_at"]),
                "messages": [],
                "feedback": [],
            }
            for c in convs
        }
        for m in msg_rows:
            by_conv[m["conversation_id"]]["messages"].append(
                {
                    "id": m["id"],
                    "question": m["question"],
                    "answer": m["answer"],
                    "citations": m["citations"],
                    "calculations": m["calculations"],
                    "latency_ms": m["latency_ms"],
                    "backend": m["backend"],
                    "refused": m["refused"],
                    "fallback": m["fallback"],
                    "guard": m["guard"],
                    "created_at": _iso(m["created_at"]),
                }
            )
        for f in fb_rows:
            by_conv[f["conversation_id"]]["feedback"].append(
                {
                    "id": f["id"],
                    "message_id": f["message_id"],
                    "rating": f["rating"],
                    "comment": f["comment"],
                    "created_at": _iso(f["created_at"]),
                }
            )
        return [by_conv[i] for i in ids]

    def close(self) -> None:
        self.engine.dispose()
