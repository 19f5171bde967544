"""The generation queue: the CPU answers one question at a time, so a few wait and the rest get 503.

Bounded on purpose: an unbounded queue would turn a burst into minutes of waiting for everyone.
First come, first served, so that a waiting user can be told their place in the line and about how
long it will take (the median of the last answers' durations), rather than wait with no sign.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections import deque
from collections.abc import AsyncIterator

FIRST_ESTIMATE = 10.0  # seconds per answer before any was measured: the default model's p50 on 2 cores
MEASURED = 20  # the last answers whose durations make the estimate


class Busy(Exception):
    """Every generation slot and every queue place is taken."""


class GenerationGate:
    """At most ``concurrency`` answers at once and ``queue`` waiting in line; beyond that, Busy."""

    def __init__(self, concurrency: int, queue: int) -> None:
        self.concurrency = max(1, concurrency)
        self.capacity = self.concurrency + max(0, queue)
        self.pending = 0  # running + waiting
        self.running = 0
        self._line: deque[Ticket] = deque()
        self._durations: deque[float] = deque(maxlen=MEASURED)

    def reserve(self) -> Ticket:
        if self.pending >= self.capacity:
            raise Busy
        self.pending += 1
        return Ticket(self)

    @property
    def waiting(self) -> int:
        return self.pending - self.running

    def position(self, ticket: Ticket) -> int:
        """1 for the next in line, 0 once answering (or not yet in line)."""
        try:
            return self._line.index(ticket) + 1
        except ValueError:
            return 0

    def answer_seconds(self) -> float:
        return statistics.median(self._durations) if self._durations else FIRST_ESTIMATE

    def wait_seconds(self, position: int) -> int:
        """About how long the ``position``-th in line waits: one answer per round of the slots."""
        return math.ceil(math.ceil(position / self.concurrency) * self.answer_seconds())

    def retry_after(self) -> int:
        """Seconds until a place in line is likely free: the next answer's end, at least 1."""
        return max(1, math.ceil(self.answer_seconds() / self.concurrency))

    def _enter(self, ticket: Ticket) -> asyncio.Future[None] | None:
        """A slot at once (None) if one is free and nobody is in line, else a place at the end of it."""
        if self.running < self.concurrency and not self._line:
            self.running += 1
            ticket._hold()
            return None
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ticket._future = future
        self._line.append(ticket)
        return future

    def _leave(self, seconds: float) -> None:
        """A running answer is done: its slot goes to the first in line, if any."""
        self._durations.append(seconds)
        while self._line:
            nxt = self._line.popleft()
            if nxt._future is not None and not nxt._future.done():
                nxt._hold()  # the running count is unchanged: the slot is handed over
                nxt._future.set_result(None)
                return
        self.running -= 1


class Ticket:
    """A queue place; entering it waits for a generation slot. Release is idempotent."""

    def __init__(self, gate: GenerationGate) -> None:
        self.gate = gate
        self._future: asyncio.Future[None] | None = None
        self._acquired = False
        self._released = False
        self._started = 0.0

    @property
    def position(self) -> int:
        return self.gate.position(self)

    def _hold(self) -> None:
        self._acquired = True
        self._started = time.monotonic()

    async def enter(self) -> None:
        """Wait for a slot. Idempotent; a cancelled wait gives the ticket up (place or slot)."""
        if self._acquired or self._released:
            return
        future = self._future if self._future is not None else self.gate._enter(self)
        if future is None:
            return
        try:
            await future
        except asyncio.CancelledError:
            self.release()
            raise

    async def turns(self, every: float = 1.0) -> AsyncIterator[int]:
        """Enter the line; while waiting, yield the place in it each time it changes, then 0 once
        answering. Nothing is yielded when a slot is free at once."""
        if self._acquired or self._released or self._future is not None:
            return
        future = self.gate._enter(self)
        if future is None:
            return
        last = 0
        while not future.done():
            position = self.position
            if position and position != last:
                last = position
                yield position
            await asyncio.wait({future}, timeout=every)
        if self._acquired:
            yield 0

    async def __aenter__(self) -> Ticket:
        await self.enter()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        if self._acquired:
            self._acquired = False
            self.gate._leave(time.monotonic() - self._started)
        elif self in self.gate._line:
            self.gate._line.remove(self)
            if self._future is not None and not self._future.done():
                self._future.cancel()
        if not self._released:
            self._released = True
            self.gate.pending -= 1


class NoQueue:
    """The ticket of an answer composed without a model: nothing to wait for, nothing to give back."""

    async def __aenter__(self) -> NoQueue:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def turns(self, every: float = 1.0) -> AsyncIterator[int]:
        return
        yield 0  # an async generator that yields nothing

    def release(self) -> None:
        return None
