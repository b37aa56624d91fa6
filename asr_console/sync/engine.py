"""Supervised polling: one asyncio task per stream, feeding one store.

Each stream is "fetch, apply, sleep": a fetch never overlaps the previous one because the next sleep
only starts after the apply. Intervals are adaptive (fast while ASR jobs or our own writes are in
flight), jittered so several consoles sharing an ARM identity do not poll in lock-step, and back off
exponentially on errors, honouring a server's Retry-After. Errors never escape: they become the
stream's freshness in the store, which the UI shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from asr_console.model.backoff import Backoff
from asr_console.model.records import Event, EventSource
from asr_console.model.store import Batch, Store

log = logging.getLogger(__name__)

# None: nothing needed reading this time (no request made, so freshness is left alone)
Fetch = Callable[[], Awaitable[Batch | None]]

_event_ids = itertools.count(1)


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def retry_after_of(exc: BaseException) -> float | None:
    value = getattr(exc, "retry_after", None)
    if isinstance(value, int | float) and value >= 0:
        return float(value)
    return None


@dataclass(slots=True)
class StreamSpec:
    """One stream. Its success or failure updates its own freshness entry (``name``); ``source`` names
    its back end, whose stalest stream the status bar shows."""

    name: str
    source: str
    fetch: Fetch
    interval: float
    fast_interval: float | None = None
    jitter: float = 0.1  # fraction of the interval
    # Seconds to wait before the first poll, so what the first screen needs is fetched first and the
    # rest does not compete with it for the event loop.
    initial_delay: float = 0.0
    # Whether any running ASR job (not only this console's own operations) selects the fast interval.
    fast_on_any_job: bool = True
    # Whether this console's own writes wake it at once (``hurry``); a costly read that only some writes
    # change is kicked by name instead.
    kicked_by_writes: bool = True
    # The least interval, fast or not, the data's size allows (a read budget).
    floor: Callable[[], float] | None = None
    # Seconds one fetch may take before the stream is marked stale (a back end that accepts and never
    # answers); a callable for reads whose size grows with the data.
    deadline: float | Callable[[], float] = 60.0
    # Streams whose fetch waits on the server (WaitForUpdatesEx) run back to back: interval 0.


@dataclass(slots=True)
class StreamState:
    spec: StreamSpec
    backoff: Backoff
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    polls: int = 0
    errors: int = 0
    last_duration: float = 0.0
    in_flight: bool = False
    backoff_delay: float = 1.0
    # why the stream last failed, as told to the events pane ("" while it reads)
    announced: str = ""


class SyncEngine:
    def __init__(
        self,
        store: Store,
        *,
        fast: Callable[[], bool] | None = None,
        rng: random.Random | None = None,
        max_backoff: float = 300.0,
        max_retry_after: float = 120.0,
    ) -> None:
        self.store = store
        self._streams: dict[str, StreamState] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._fast_until = 0.0
        self._fast_predicate = fast if fast is not None else (lambda: bool(store.running_jobs()))
        self._rng = rng or random.Random()
        self._max_backoff = max_backoff
        # Resource providers have asked for 900 s and more; cap so one answer cannot freeze a pane.
        self._max_retry_after = max_retry_after
        # back end → monotonic time before which none of its streams polls: one identity's read budget
        # is shared, so when ARM throttles one stream, all of that back end's streams wait together
        self._quiet_until: dict[str, float] = {}
        self._running = False

    # ------------------------------------------------------------------ setup

    def add(self, spec: StreamSpec) -> None:
        if spec.name in self._streams:
            raise ValueError(f"stream {spec.name!r} already added")
        self._streams[spec.name] = StreamState(
            spec=spec, backoff=Backoff(base=max(1.0, spec.interval / 4 or 1.0), cap=self._max_backoff)
        )
        if self._running:
            self._start(spec.name)

    @property
    def streams(self) -> dict[str, StreamState]:
        return self._streams

    async def start(self) -> None:
        self._running = True
        for name in self._streams:
            self._start(name)

    def _start(self, name: str) -> None:
        task = asyncio.create_task(self._run(self._streams[name]), name=f"sync:{name}")
        self._tasks[name] = task

    async def stop(self, grace: float = 1.0) -> None:
        """Cancel every stream; wait at most ``grace`` seconds for them to end (a fetch that ignores
        its cancellation is left behind rather than hold up quitting)."""
        self._running = False
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=grace)
        if pending:
            names = ", ".join(t.get_name() for t in pending)
            log.warning("streams still running after %g s: %s", grace, names)

    # ------------------------------------------------------------------ control

    def kick(self, name: str | None = None) -> None:
        """Poll now (after a write, or a user's refresh) instead of at the next interval."""
        for stream_name, state in self._streams.items():
            if name is None or stream_name == name:
                state.wake.set()

    def hurry(self, seconds: float = 120.0) -> None:
        """Use fast intervals for a while, e.g. after starting a long-running operation."""
        self._fast_until = max(self._fast_until, time.monotonic() + seconds)
        for state in self._streams.values():
            if state.spec.kicked_by_writes:
                state.wake.set()

    def is_fast(self) -> bool:
        return self.hurried() or self._fast_predicate()

    def hurried(self) -> bool:
        """Inside the fast window opened by this console's own write."""
        return time.monotonic() < self._fast_until

    def next_delay(self, state: StreamState) -> float:
        spec = state.spec
        interval = spec.interval
        fast = self.is_fast() if spec.fast_on_any_job else self.hurried()
        if spec.fast_interval is not None and fast:
            interval = min(interval, spec.fast_interval)
        if spec.floor is not None and interval > 0:
            interval = max(interval, spec.floor())
        if interval <= 0:
            return 0.0
        spread = interval * spec.jitter
        return max(0.0, interval + self._rng.uniform(-spread, spread))

    async def poll_once(self, name: str) -> bool:
        """Run one fetch/apply of a stream now (used by headless commands); True on success."""
        return await self._poll(self._streams[name])

    # ------------------------------------------------------------------ the loop

    async def _poll(self, state: StreamState) -> bool:
        spec = state.spec
        if state.in_flight:
            # A headless poll_once racing the loop: never two fetches of one stream at once.
            return False
        state.in_flight = True
        started = time.monotonic()
        deadline = spec.deadline() if callable(spec.deadline) else spec.deadline
        try:
            async with asyncio.timeout(deadline):
                batch = await spec.fetch()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure becomes freshness, never a crash
            state.errors += 1
            reason = f"no answer in {deadline:g} s" if isinstance(exc, TimeoutError) else describe_error(exc)
            cause = reason
            delay = state.backoff.next(self._rng)
            retry_after = retry_after_of(exc)
            if retry_after is not None:
                wait = min(retry_after, self._max_retry_after)
                delay = max(delay, wait)
                until = time.monotonic() + wait
                self._quiet_until[spec.source] = max(self._quiet_until.get(spec.source, 0.0), until)
                resume = datetime.now().astimezone() + timedelta(seconds=wait)
                reason += f"; throttled until {resume:%H:%M:%S}"
            log.warning("stream %s failed: %s", spec.name, reason)
            self.store.mark_error(spec.name, reason, spec.source)
            self._announce(state, cause, reason)
            state.backoff_delay = delay
            return False
        finally:
            state.in_flight = False
            state.last_duration = time.monotonic() - started
            state.polls += 1
        if batch is None:
            state.backoff.reset()
            return True
        try:
            self.store.apply(batch)
        except Exception as exc:  # a subscriber's bug must not kill the stream
            log.exception("applying %s failed", spec.name)
            self.store.mark_error(spec.name, describe_error(exc), spec.source)
            self._announce(state, describe_error(exc), describe_error(exc))
            return False
        state.backoff.reset()
        self.store.mark_ok(spec.name, spec.source, dropped=len(batch.unreadable))
        self._announce(state, "", "")
        return True

    def _announce(self, state: StreamState, cause: str, reason: str) -> None:
        """A console event when a stream starts failing, fails for another ``cause`` or reads again —
        not at every failed poll (``reason`` is what the event says: the cause and its throttling)."""
        before, state.announced = state.announced, cause
        if cause == before:
            return
        name = state.spec.name
        if cause:
            message, severity = f"stream {name} failed: {reason}", "warning"
        else:
            message, severity = f"stream {name} reads again", "info"
        now = datetime.now(UTC)
        event = Event(
            id=f"console:stream:{name}:{next(_event_ids)}",
            time=now,
            source=EventSource.CONSOLE,
            message=message,
            severity=severity,
            event_type="StreamFailed" if cause else "StreamRecovered",
            entity_name=state.spec.source,
        )
        self.store.apply(Batch().upsert(event))

    async def _run(self, state: StreamState) -> None:
        if state.spec.initial_delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.wake.wait(), timeout=state.spec.initial_delay)
        while True:
            quiet = self._quiet_until.get(state.spec.source, 0.0) - time.monotonic()
            if quiet > 0:  # the back end is throttled: not even a kick polls it before then
                await asyncio.sleep(quiet)
                continue
            # cleared before the poll, so a kick that arrives while it runs is not lost
            state.wake.clear()
            ok = await self._poll(state)
            delay = self.next_delay(state) if ok else state.backoff_delay
            if delay <= 0:
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.wake.wait(), timeout=delay)
