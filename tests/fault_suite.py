"""The fault suite (issue 11 §8): the real sync engine on the real sources, one fault at a time.

Each case builds ``sync.streams.build_engine`` on a ``Store`` with the Azure source (the unmodified SDK,
``tests.arm_site.sdk_service``) on the simulated ARM site, or the vCenter source on a private vcsim,
reads until every stream of that back end is fresh, injects the fault, holds it, ends it, and measures:

- recovered in: seconds from the fault's end until every stream of the back end has read successfully
  again (None: it did not within the case's limit);
- lost: records removed from the store while the back end was failing (the site does not change during
  a case, so every removal is a record deleted by a failed read);
- duplicates: writes the site received beyond the one the console sent during the fault (a retried
  POST that was already carried out creates a second job);
- loop busy: the longest the event loop ran the console's own work without letting a 10 ms ticker run —
  the ticker's overrun, counted only as far as the loop's thread used the CPU meanwhile (a machine
  whose other processes hold both cores delays the ticker too, but that is not the loop being blocked);
- wall lag: the ticker's overrun on the wall clock, which also catches a call that blocks the loop
  without using the CPU (a synchronous socket or file wait).

``tests/test_faults.py`` runs the short profile under pytest; ``bench/faults.py`` the full one and prints
the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import re
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pyVim.connect import Disconnect, SmartConnect

from asr_console.actions import Actions
from asr_console.audit import AuditLog
from asr_console.model.errors import SourceError, Throttled
from asr_console.model.intervals import Intervals
from asr_console.model.operations import Operation, OperationInputs
from asr_console.model.records import Kind, ProtectedItem
from asr_console.model.specs import RecoveryPointChoice
from asr_console.model.store import ChangeSet, Store
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site_in_thread
from asr_console.sim.faults import Fault, Faults
from asr_console.sources.vmware import VCenterInventory
from asr_console.sync.engine import SyncEngine
from asr_console.sync.streams import build_engine
from tests.arm_site import sdk_service
from tests.vcsim_fixture import Topology, Vcsim

# Records a failed read must never take out of the store (events and churn are trimmed by design).
KEPT = frozenset(Kind) - {Kind.EVENT, Kind.CHURN}
# Short intervals, so a case measures the recovery rather than the wait for the next poll.
FAST = Intervals(
    items=1.0,
    items_fast=1.0,
    jobs=1.0,
    jobs_fast=1.0,
    infra=2.0,
    infra_fast=2.0,
    events=1.0,
    discovery=5.0,
    inventory_wait=1.0,
    churn=2.0,
)
# What the console's TUI engine waits at most when ARM asks for longer (sync.engine.SyncEngine).
TUI_RETRY_AFTER_CAP = 120.0
# What one headless command takes inside a request at most (sources.azure's default max_retry_after).
HEADLESS_RETRY_AFTER_CAP = 30.0
VCSIM_TOPOLOGY = Topology(dc=1, cluster=1, host=2, standalone=1, vm=3)


# issue 11 §8: the event loop never blocked > 100 ms by the console's work; a wall-clock stall of a
# second is a synchronous wait on the loop whatever else the machine is doing
MAX_LAG = 0.1
MAX_WALL = 1.0


@dataclass(slots=True)
class Row:
    fault: str
    recovered_in: float | None
    lost: int
    duplicates: int
    max_lag: float
    note: str = ""
    measures_recovery: bool = True  # False: a row of other figures (the soak, a headless give-up)
    max_wall: float = 0.0


def table(rows: list[Row]) -> str:
    """fault | recovered in | lost | duplicates | loop busy | wall lag, and a note."""
    head = (
        f"{'fault':<36} {'recovered in':>12} {'lost':>5} {'dups':>5} {'loop busy':>10} {'wall lag':>9}  note"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        if not r.measures_recovery:
            rec = "-"
        else:
            rec = f"{r.recovered_in:.1f} s" if r.recovered_in is not None else "NO"
        lines.append(
            f"{r.fault:<36} {rec:>12} {r.lost:>5} {r.duplicates:>5} {r.max_lag * 1000:>7.0f} ms "
            f"{r.max_wall * 1000:>6.0f} ms  {r.note}"
        )
    return "\n".join(lines)


class Watch:
    """The loop-lag ticker and the store's removals, for the length of a case."""

    def __init__(self, store: Store, tick: float = 0.01) -> None:
        self.tick = tick
        self.max_lag = 0.0  # loop busy: the overrun the loop's thread spent on the CPU
        self.max_wall = 0.0  # the overrun on the wall clock
        self.removed: list[tuple[Kind, str]] = []
        self.counting = False
        self._unsubscribe = store.subscribe(self._changed)
        self._task: asyncio.Task[None] | None = None

    def _changed(self, changes: ChangeSet) -> None:
        if not self.counting:
            return
        for kind in KEPT:
            self.removed.extend((kind, key) for key in changes.of(kind).removed)

    async def _tick(self) -> None:
        while True:
            started, cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(self.tick)
            if self.counting:  # from the fault on: the first load is the console's start, not a fault
                overrun = time.perf_counter() - started - self.tick
                busy = min(overrun, time.thread_time() - cpu)
                self.max_wall = max(self.max_wall, overrun)
                self.max_lag = max(self.max_lag, busy)

    def __enter__(self) -> Watch:
        # What the process held before the case (under pytest, the heap every earlier test left; the
        # simulated site's estate, which is Azure's, not the console's) is set aside from the cyclic
        # collector, so a full collection during the case walks what the console holds, not that.
        gc.collect()
        gc.freeze()
        self._task = asyncio.create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        self._unsubscribe()
        gc.unfreeze()


def fresh_since(
    store: Store, engine: SyncEngine, since: float, streams: frozenset[str] | None = None
) -> bool:
    """Every stream (of ``streams``, default all) has read successfully after ``since`` (monotonic) and
    is not stale."""
    for name in streams if streams is not None else engine.streams:
        f = store.freshness(name)
        if f.stale or f.last_success_monotonic is None or f.last_success_monotonic < since:
            return False
    return True


def any_stale(store: Store, streams: frozenset[str]) -> bool:
    return any(store.freshness(n).stale for n in streams)


def _with_stale(note: str, after: float | None) -> str:
    """The note, and how soon a stream showed the fault (stale) while it held."""
    if after is None:
        return note
    return f"{note}; stale after {after:.1f} s" if note else f"stale after {after:.1f} s"


def reading(store: Store, engine: SyncEngine) -> frozenset[str]:
    """The streams that have read something (one that has had nothing to read keeps no freshness)."""
    return frozenset(n for n in engine.streams if store.freshness(n).last_success is not None)


async def baseline(store: Store, engine: SyncEngine, limit: float = 60) -> frozenset[str] | None:
    """Waits until the streams that read at all are fresh (two seconds of reading); those streams."""
    if await until(lambda: bool(reading(store, engine)), limit) is None:
        return None
    await asyncio.sleep(2.0)
    streams = reading(store, engine)
    if await until(lambda: fresh_since(store, engine, 0.0, streams), limit) is None:
        return None
    return streams


async def until(predicate: Callable[[], bool], limit: float, step: float = 0.05) -> float | None:
    """Seconds until ``predicate()`` holds, or None after ``limit``."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > limit:
            return None
        await asyncio.sleep(step)
    return time.monotonic() - started


@dataclass(slots=True)
class Running:
    """A started engine on its store, watched, once the streams that read at all are fresh."""

    store: Store
    engine: SyncEngine
    watch: Watch
    streams: frozenset[str] | None  # None: never fresh (see ``never_fresh``)

    def never_fresh(self, name: str, note: str = "never fresh before the fault") -> Row:
        return Row(name, None, 0, 0, self.watch.max_lag, note, max_wall=self.watch.max_wall)


@contextlib.asynccontextmanager
async def running(
    service: Any, inventory: Any, intervals: Intervals = FAST, store: Store | None = None
) -> AsyncIterator[Running]:
    """Every case's setup and teardown: the console's engine on ``service`` and ``inventory`` (either
    may be None) started on a watched store and read to a baseline; then stopped, and both sources
    closed, whatever the case did."""
    store = store if store is not None else Store()
    engine = build_engine(store, service, inventory, intervals)
    with Watch(store) as watch:
        await engine.start()
        try:
            yield Running(store, engine, watch, await baseline(store, engine))
        finally:
            await engine.stop()
            if inventory is not None:
                await inventory.close()
            if service is not None:
                await service.close()


# --------------------------------------------------------------------------- the ARM site


@dataclass(slots=True)
class ArmCase:
    name: str
    inject: Callable[[Faults], None]
    hold: float  # seconds the fault stays
    limit: float  # seconds allowed for the recovery
    note: str = ""
    write: bool = True  # send one write (a resync: a POST that creates a job) while the fault holds
    options: dict[str, Any] | None = None  # for sdk_service
    proxy: bool = False  # through a relay that turns into a TCP black hole while the fault holds


class Proxy:
    """A TCP relay in front of the site that can turn into a black hole: connections are accepted and
    then nothing goes through, either way (the route died; no RST, no FIN). Connections held by the black
    hole stay dead after it ends, as they would on a real network; new ones go through again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.black_hole = False
        self.listen_port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> Proxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.listen_port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self.black_hole:
            return  # held open, never answered
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        self._writers.add(up_writer)
        dead = asyncio.Event()

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    if self.black_hole:
                        dead.set()
                    if dead.is_set():
                        continue  # swallowed: the route is gone
                    dst.write(data)
                    await dst.drain()
            if not dead.is_set():
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@contextlib.asynccontextmanager
async def arm_site(
    faults: Faults, proxy: bool = False
) -> AsyncIterator[tuple[SimEngine, SiteEndpoint, Proxy | None]]:
    site_engine = make_demo_site(vms=60, protected=40, seed=5, speed=0.0, provider="mixed")
    async with serve_site_in_thread(site_engine, faults=faults, page_size=20, lro_retry_after=0) as site:
        if not proxy:
            yield site_engine, site, None
            return
        port = int(site.arm_endpoint.rsplit(":", 1)[1])
        async with Proxy(port) as relay:
            endpoint = dataclasses.replace(site, arm_endpoint=f"https://127.0.0.1:{relay.listen_port}")
            yield site_engine, endpoint, relay


WRITE = "TestFailover"  # the write sent during a fault: a POST that starts a job


def _write_jobs(site_engine: SimEngine) -> int:
    return sum(1 for job in list(site_engine.jobs.values()) if job.scenario == WRITE)


def keys(store: Store) -> set[tuple[Kind, str]]:
    return {(kind, key) for kind in KEPT for key in store.keys(kind)}


async def run_arm_case(case: ArmCase) -> Row:
    faults = Faults(seed=1)
    async with arm_site(faults, proxy=case.proxy) as (site_engine, site, relay):
        options = {"max_retry_after": HEADLESS_RETRY_AFTER_CAP, **(case.options or {})}
        service = sdk_service(site, **options)
        async with running(service, None) as run:
            store, engine, watch, streams = run.store, run.engine, run.watch, run.streams
            if streams is None:
                return run.never_fresh(case.name)
            target = next(i for i in store.all(ProtectedItem) if WRITE in i.allowed_operations)
            network = target.test_network_id  # an isolated network, as the dialog requires
            truth = keys(store)  # the site does not change during a case
            jobs_before = _write_jobs(site_engine)
            watch.counting = True
            case.inject(faults)
            if relay is not None:
                relay.black_hole = True
            stale = asyncio.create_task(until(lambda: any_stale(store, streams), case.hold))
            write = (
                asyncio.create_task(service.test_failover(target.id, RecoveryPointChoice(), network))
                if case.write
                else None
            )
            await asyncio.sleep(case.hold)
            faults.clear()
            if relay is not None:
                relay.black_hole = False
            ended = time.monotonic()
            took = await until(lambda: fresh_since(store, engine, ended, streams), case.limit)
            note = _with_stale(case.note, await stale)
            if write is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(write), 60)
                if write.done() and not write.cancelled() and write.exception() is not None:
                    note = (note + "; " if note else "") + f"write failed: {type(write.exception()).__name__}"
            duplicates = max(0, _write_jobs(site_engine) - jobs_before - 1)
            lost = sum(1 for removed in watch.removed if removed in truth)
            return Row(case.name, took, lost, duplicates, watch.max_lag, note, max_wall=watch.max_wall)


def throttle(retry_after: int) -> Callable[[Faults], None]:
    def inject(faults: Faults) -> None:
        faults.retry_after = retry_after
        faults.throttle_rate = 1.0

    return inject


def rate(attribute: str, value: float = 1.0) -> Callable[[Faults], None]:
    def inject(faults: Faults) -> None:
        setattr(faults, attribute, value)

    return inject


def reject_tokens(faults: Faults) -> None:
    faults.reject_tokens = True


async def throttled_headless(retry_after: int) -> tuple[float, float | None]:
    """A headless read (the source as ``status`` builds it) under a 429 with ``retry_after``: seconds it
    took to give up, and the wait the Throttled error carries (None: it did not give up)."""
    faults = Faults(seed=1)
    async with arm_site(faults) as (_, site, _relay):
        service = sdk_service(site, max_retry_after=HEADLESS_RETRY_AFTER_CAP, retry_total=3)
        faults.retry_after = retry_after
        faults.throttle_rate = 1.0
        started = time.monotonic()
        try:
            await asyncio.wait_for(service.protected_items(), HEADLESS_RETRY_AFTER_CAP * 4 + 30)
        except Throttled as exc:
            return time.monotonic() - started, exc.retry_after
        except (SourceError, TimeoutError):
            return time.monotonic() - started, None
        finally:
            await service.close()
        return time.monotonic() - started, None


def throttled_until(store: Store) -> datetime | None:
    """The latest "throttled until HH:MM:SS" a stream shows, as a local time today (or tomorrow)."""
    latest: datetime | None = None
    now = datetime.now().astimezone()
    for f in store.all_freshness():
        match = re.search(r"throttled until (\d\d):(\d\d):(\d\d)", f.last_error or "")
        if match is None:
            continue
        h, m, sec = (int(g) for g in match.groups())
        at = now.replace(hour=h, minute=m, second=sec, microsecond=0)
        if at < now - timedelta(hours=12):
            at += timedelta(days=1)
        latest = at if latest is None else max(latest, at)
    return latest


async def tui_throttle_shown(retry_after: int) -> float | None:
    """Seconds ahead the console's streams say they are throttled until, after one 429 asking for
    ``retry_after`` (None: no stream says so)."""
    faults = Faults(seed=1)
    async with arm_site(faults) as (_, site, _relay):
        service = sdk_service(site, max_retry_after=HEADLESS_RETRY_AFTER_CAP)
        async with running(service, None) as run:
            store = run.store
            faults.retry_after = retry_after
            faults.queue(Fault.THROTTLE, 1)
            shown_at = datetime.now().astimezone()
            await until(lambda: throttled_until(store) is not None, 30)
            at = throttled_until(store)
            return None if at is None else (at - shown_at).total_seconds()


async def tui_throttle_wait(retry_after: int) -> float:
    """How long the sync engine keeps the ASR streams quiet after a 429 asking ``retry_after``: the
    seconds between the throttled poll and the next request the site receives."""
    faults = Faults(seed=1)
    async with arm_site(faults) as (_, site, _relay):
        service = sdk_service(site, max_retry_after=HEADLESS_RETRY_AFTER_CAP)
        async with running(service, None):
            faults.retry_after = retry_after
            faults.queue(Fault.THROTTLE, 1)
            await until(lambda: faults.injected.get("429", 0) >= 1, 30)
            throttled_at, after = time.monotonic(), site.site.requests
            await until(lambda: site.site.requests > after, TUI_RETRY_AFTER_CAP + 30)
            return time.monotonic() - throttled_at


def arm_cases(full: bool) -> list[ArmCase]:
    hold = 5.0 if full else 2.0
    cases = [
        ArmCase("ARM 429 storm, Retry-After 1 s", throttle(1), hold, 30),
        ArmCase("ARM 500/503", rate("error_rate"), hold, 30),
        ArmCase("ARM dropped connections", rate("drop_rate"), hold, 30),
        ArmCase("ARM token rejected (401) mid-run", reject_tokens, hold, 60),
    ]
    if full:
        cases += [
            ArmCase(
                "ARM 429 storm, Retry-After 372 s",
                throttle(372),
                hold,
                TUI_RETRY_AFTER_CAP + 30,
                note=f"waits capped at {TUI_RETRY_AFTER_CAP:g} s",
            ),
            ArmCase(
                "ARM 429 storm, Retry-After 900 s",
                throttle(900),
                hold,
                TUI_RETRY_AFTER_CAP + 30,
                note=f"waits capped at {TUI_RETRY_AFTER_CAP:g} s",
            ),
            ArmCase("ARM 10 s latency", rate("latency", 10.0), 30.0, 90, note="held 30 s"),
            ArmCase(
                "ARM TCP black hole",
                lambda faults: None,
                75.0,
                90,
                note="held 75 s",
                proxy=True,
            ),
        ]
    return cases


# --------------------------------------------------------------------------- vcsim


@dataclass(slots=True)
class VcsimCase:
    name: str
    inject: Callable[[Vcsim], Awaitable[None]]
    end: Callable[[Vcsim], Awaitable[None]]
    hold: float
    limit: float
    note: str = ""


def sessions_of(url: str) -> list[Any]:
    parts = urlsplit(url)
    si = SmartConnect(protocol=parts.scheme, host=parts.hostname, port=parts.port, user="admin", pwd="p")
    try:
        manager = si.content.sessionManager
        own = manager.currentSession.key
        return [s for s in manager.sessionList or () if s.key != own]
    finally:
        Disconnect(si)


def terminate_sessions(url: str) -> int:
    """Ends every session but the caller's (the console's, as an administrator would)."""
    parts = urlsplit(url)
    si = SmartConnect(protocol=parts.scheme, host=parts.hostname, port=parts.port, user="admin", pwd="p")
    try:
        manager = si.content.sessionManager
        own = manager.currentSession.key
        keys = [s.key for s in manager.sessionList or () if s.key != own]
        if keys:
            manager.TerminateSession(sessionId=keys)
        return len(keys)
    finally:
        Disconnect(si)


async def _nothing(sim: Vcsim) -> None:
    return None


async def _kill_session(sim: Vcsim) -> None:
    await asyncio.to_thread(terminate_sessions, sim.url)


async def _restart(sim: Vcsim) -> None:
    await asyncio.to_thread(sim.restart)


async def _stop(sim: Vcsim) -> None:
    assert sim.process is not None
    sim.process.send_signal(signal.SIGSTOP)


async def _cont(sim: Vcsim) -> None:
    assert sim.process is not None
    sim.process.send_signal(signal.SIGCONT)


async def run_vcsim_case(case: VcsimCase, sim: Vcsim) -> Row:
    inventory = VCenterInventory(sim.url, "u", "p", timeout=10.0, max_wait_cap=5.0)
    async with running(None, inventory) as run:
        store, engine, watch, streams = run.store, run.engine, run.watch, run.streams
        if streams is None:
            return run.never_fresh(case.name)
        watch.counting = True
        await case.inject(sim)
        stale = asyncio.create_task(until(lambda: any_stale(store, streams), case.hold))
        await asyncio.sleep(case.hold)
        await case.end(sim)
        ended = time.monotonic()
        took = await until(lambda: fresh_since(store, engine, ended, streams), case.limit)
        note = _with_stale(case.note, await stale)
        # what vCenter holds now, read afresh: a record removed that is still there was lost (a
        # restarted simulator names its local datastores anew, so those really went)
        truth = Store()
        fresh = VCenterInventory(sim.url, "u", "p", timeout=10.0)
        try:
            truth.apply(await fresh.snapshot())
        finally:
            await fresh.close()
        lost = sum(1 for removed in watch.removed if removed in keys(truth))
        if took is not None:
            # the one console session: every other one was ended or died with the simulator
            others = await asyncio.to_thread(sessions_of, sim.url)
            if len(others) != 1:
                note = (note + "; " if note else "") + f"PROBLEM: {len(others)} console sessions"
        return Row(case.name, took, lost, 0, watch.max_lag, note, max_wall=watch.max_wall)


def vcsim_cases(full: bool) -> list[VcsimCase]:
    cases = [
        VcsimCase("vCenter session killed", _kill_session, _nothing, 0.5, 30),
        VcsimCase("vcsim restarted", _restart, _nothing, 0.5, 60),
        VcsimCase("vcsim frozen (SIGSTOP) 3 s, resumed", _stop, _cont, 3.0, 60),
    ]
    if full:
        cases.append(
            VcsimCase(
                "vcsim frozen (SIGSTOP) 70 s, resumed",
                _stop,
                _cont,
                70.0,
                90,
                note="longer than a poll deadline",
            )
        )
    return cases


# --------------------------------------------------------------------------- the whole console


class ShiftedClock:
    """A monotonic-clock shim: ``jump`` moves ``time.monotonic`` and the event loop's clock forward at
    once, as a process resumed after a suspension sees them (every timer is due, every deadline past)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.offset = 0.0
        self._loop = loop
        self._real_monotonic = time.monotonic
        self._real_loop_time = loop.time

    def monotonic(self) -> float:
        return self._real_monotonic() + self.offset

    def __enter__(self) -> ShiftedClock:
        time.monotonic = self.monotonic
        self._loop.time = lambda: self._real_loop_time() + self.offset  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        time.monotonic = self._real_monotonic
        self._loop.time = self._real_loop_time  # type: ignore[method-assign]

    def jump(self, seconds: float) -> None:
        self.offset += seconds


async def run_suspended(sim: Vcsim, minutes: float = 35.0) -> Row:
    """Both back ends, the process "suspended" ``minutes`` and resumed: the clocks jump, and the vCenter
    session expired meanwhile (vCenter ends idle sessions after 30 minutes)."""
    name = f"process suspended {minutes:g} min, resumed"
    faults = Faults(seed=1)
    async with arm_site(faults) as (_, site, _relay):
        with ShiftedClock(asyncio.get_running_loop()) as clock:
            service = sdk_service(site, max_retry_after=HEADLESS_RETRY_AFTER_CAP)
            inventory = VCenterInventory(sim.url, "u", "p", timeout=10.0, max_wait_cap=5.0)
            async with running(service, inventory, store=Store(monotonic=clock.monotonic)) as run:
                store, engine, watch, streams = run.store, run.engine, run.watch, run.streams
                if streams is None:
                    return run.never_fresh(name)
                truth = keys(store)
                watch.counting = True
                await asyncio.to_thread(terminate_sessions, sim.url)
                before = site.site.requests
                clock.jump(minutes * 60)
                resumed = clock.monotonic()
                took = await until(lambda: fresh_since(store, engine, resumed, streams), 60)
                burst = site.site.requests - before
                lost = sum(1 for removed in watch.removed if removed in truth)
                note = f"{burst} ARM requests until fresh (streams: {len(streams)})"
                return Row(name, took, lost, 0, watch.max_lag, note, max_wall=watch.max_wall)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def run_soak(sim: Vcsim, seconds: float, speed: float = 60.0) -> Row:
    """The console's engine on both back ends at demo speed ×``speed`` for ``seconds``: memory at the end
    against a third of the way in, vCenter sessions seen, ARM requests per minute against the budget."""
    name = f"soak ×{speed:g}, {seconds * speed / 3600:g} simulated h"
    site_engine = make_demo_site(vms=300, protected=200, seed=7, speed=speed, provider="mixed")
    async with serve_site_in_thread(site_engine, page_size=100, lro_retry_after=0) as site:
        service = sdk_service(site, max_retry_after=HEADLESS_RETRY_AFTER_CAP)
        inventory = VCenterInventory(sim.url, "u", "p")
        async with running(service, inventory, Intervals().scaled(speed)) as run:
            store, watch, streams = run.store, run.watch, run.streams
            if streams is None:
                return run.never_fresh(name, "never fresh")
            watch.counting = True
            started, requests = time.monotonic(), site.site.requests
            sessions: set[int] = set()
            mem_early = 0.0
            while (elapsed := time.monotonic() - started) < seconds:
                await asyncio.sleep(min(10.0, seconds - elapsed))
                sessions.add(len(await asyncio.to_thread(sessions_of, sim.url)))
                if not mem_early and elapsed >= seconds / 3:
                    mem_early = rss_mb()
            per_minute = (site.site.requests - requests) / ((time.monotonic() - started) / 60)
            mem_end = rss_mb()
            stale = sorted(n for n in streams if store.freshness(n).stale)
            problems = [f"stale at the end: {', '.join(stale)}"] if stale else []
            if sessions != {1}:
                problems.append("not one vCenter session")
            if per_minute > ARM_READS_PER_MINUTE:
                problems.append("over the ARM read budget")
            if mem_early and mem_end > mem_early * 1.2 + 10:
                problems.append("memory grew")
            note = (
                f"RSS {mem_early:.0f}→{mem_end:.0f} MB; vCenter sessions {sorted(sessions)}; "
                f"ARM {per_minute:.0f} req/min (budget {ARM_READS_PER_MINUTE})"
                + "".join(f"; PROBLEM: {p}" for p in problems)
            )
            return Row(
                name, None, 0, 0, watch.max_lag, note, measures_recovery=False, max_wall=watch.max_wall
            )


# ARM's older documented rule, 12,000 reads an hour per subscription and principal, shared by every
# console on that identity (the token bucket allows bursts above it).
ARM_READS_PER_MINUTE = 200


async def run_audit_unwritable(directory: Path) -> Row:
    """A write (a test failover through ``Actions``) while the audit log cannot be written: the write
    must not be sent (issue 11 §4: audit before action), and the user told why."""
    name = "audit log not writable"
    blocker = directory / "not-a-directory"
    blocker.write_text("")  # the log's directory is a file: no mode lets anyone, root included, write it
    audit = AuditLog(blocker / "audit.log")
    faults = Faults(seed=1)
    async with arm_site(faults) as (site_engine, site, _relay):
        service = sdk_service(site, max_retry_after=HEADLESS_RETRY_AFTER_CAP)
        async with running(service, None) as run:
            store, engine, watch = run.store, run.engine, run.watch
            if run.streams is None:
                return run.never_fresh(name)
            target = next(i for i in store.all(ProtectedItem) if WRITE in i.allowed_operations)
            actions = Actions(service, store, engine=engine, audit=audit)
            watch.counting = True
            before = _write_jobs(site_engine)
            inputs = OperationInputs(network_id=target.test_network_id)
            try:
                await actions.operate(Operation.TEST_FAILOVER, target.id, inputs)
                outcome = "accepted"
            except Exception as exc:  # what the user is told
                outcome = f"refused: {type(exc).__name__}"
            sent = _write_jobs(site_engine) - before
            note = f"write {outcome}; sent {sent}"
            if sent:
                note += "; PROBLEM: sent without an audit record"
            return Row(
                name,
                None,
                0,
                max(0, sent - 1),
                watch.max_lag,
                note,
                measures_recovery=False,
                max_wall=watch.max_wall,
            )
