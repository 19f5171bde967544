"""The generation queue: the CPU answers one question at a time, so a few wait and the rest get 503.

Bounded on purpose: an unbounded queue would turn a burst into minutes of waiting for everyone.
"""

from __future__ import annotations

import asyncio


class Busy(Exception):
    """Every generation slot and every queue place is taken."""


class GenerationGate:
    """At most ``concurrency`` answers at once and ``queue`` waiting; beyond that, Busy."""

    def __init__(self, concurrency: int, queue: int) -> None:
        self.concurrency = max(1, concurrency)
        self.capacity = self.concurrency + max(0, queue)
        self._semaphore = asyncio.Semaphore(self.concurrency)
        self.pending = 0  # running + waiting
        self.running = 0

    def reserve(self) -> Ticket:
        if self.pending >= self.capacity:
            raise Busy
        self.pending += 1
        return Ticket(self)

    @property
    def waiting(self) -> int:
        return self.pending - self.running


class Ticket:
    """A queue place; entering it waits for a generation slot. Release is idempotent."""

    def __init__(self, gate: GenerationGate) -> None:
        self.gate = gate
        self._acquired = False
        self._released = False

    async def __aenter__(self) -> Ticket:
        await self.gate._semaphore.acquire()
        self._acquired = True
        self.gate.running += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        if self._acquired:
            self._acquired = False
            self.gate.running -= 1
            self.gate._semaphore.release()
        if not self._released:
            self._released = True
            self.gate.pending -= 1


class NoQueue:
    """The ticket of an answer composed without a model: nothing to wait for, nothing to give back."""

    async def __aenter__(self) -> NoQueue:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def release(self) -> None:
        return None
