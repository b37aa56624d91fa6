from __future__ import annotations

import asyncio
import itertools
import random
import time

import pytest

from asr_console.model.errors import Throttled, Unreachable
from asr_console.model.intervals import Intervals
from asr_console.model.records import Job, Kind
from asr_console.model.store import Batch, Store
from asr_console.sim.engine import make_demo_site
from asr_console.sync.engine import StreamSpec, SyncEngine
from asr_console.sync.streams import asr_streams
from tests.arm_site import on_site
from tests.factories import item, vm
from tests.waiting import wait_until


async def test_stream_applies_batches_and_marks_fresh() -> None:
    store = Store()
    engine = SyncEngine(store)
    calls = 0

    async def fetch() -> Batch:
        nonlocal calls
        calls += 1
        return Batch().replace(Kind.VM, [vm(i) for i in range(calls)])

    engine.add(StreamSpec("vms", "vcenter", fetch, interval=0.01))
    await engine.start()
    await wait_until(lambda: store.count(Kind.VM) >= 3)
    await engine.stop()
    assert not store.freshness("vcenter").stale


async def test_polls_never_overlap_even_when_slow_and_kicked() -> None:
    store = Store()
    engine = SyncEngine(store)
    active = 0
    peak = 0
    done = 0

    async def fetch() -> Batch:
        nonlocal active, peak, done
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.02)
        active -= 1
        done += 1
        return Batch()

    engine.add(StreamSpec("slow", "asr", fetch, interval=0.0))
    await engine.start()
    for _ in range(20):
        engine.kick()
        await asyncio.sleep(0.001)
    await wait_until(lambda: done >= 5)
    await engine.stop()
    assert peak == 1


async def test_errors_become_stale_freshness_and_backoff_grows() -> None:
    store = Store()
    engine = SyncEngine(store, rng=random.Random(1))
    attempts: list[float] = []

    async def fetch() -> Batch:
        attempts.append(time.monotonic())
        raise Unreachable("connection refused by 127.0.0.1:1")

    engine.add(StreamSpec("asr-items", "asr", fetch, interval=0.01))
    state = engine.streams["asr-items"]
    state.backoff.base = 0.01
    await engine.start()
    await wait_until(lambda: len(attempts) >= 4)
    await engine.stop()
    fresh = store.freshness("asr")
    assert fresh.stale
    assert fresh.last_error == "Unreachable: connection refused by 127.0.0.1:1"
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert gaps[-1] > gaps[0]  # exponential backoff, jitter never below half the ceiling


async def test_retry_after_is_honoured_and_capped() -> None:
    store = Store()
    engine = SyncEngine(store, max_retry_after=30.0)

    async def fetch() -> Batch:
        raise Throttled("429 Too Many Requests", retry_after=900)

    engine.add(StreamSpec("asr-jobs", "asr", fetch, interval=1.0))
    ok = await engine.poll_once("asr-jobs")
    assert not ok
    assert engine.streams["asr-jobs"].backoff_delay == pytest.approx(30.0)


async def test_recovery_after_errors_resets_backoff_and_freshness() -> None:
    store = Store()
    engine = SyncEngine(store)
    fail = [True]

    async def fetch() -> Batch:
        if fail[0]:
            raise Unreachable("down")
        return Batch().upsert(vm(1))

    engine.add(StreamSpec("s", "vcenter", fetch, interval=1.0))
    assert not await engine.poll_once("s")
    assert store.freshness("vcenter").stale
    fail[0] = False
    assert await engine.poll_once("s")
    assert not store.freshness("vcenter").stale
    assert engine.streams["s"].backoff.attempt == 0


async def test_fast_interval_while_jobs_run_and_after_hurry() -> None:
    store = Store()
    engine = SyncEngine(store, rng=random.Random(3))

    async def fetch() -> Batch:
        return Batch()

    engine.add(StreamSpec("jobs", "asr", fetch, interval=30.0, fast_interval=3.0, jitter=0.1))
    state = engine.streams["jobs"]
    assert 27.0 <= engine.next_delay(state) <= 33.0
    store.apply(Batch().upsert(Job(id="j", name="j", state="InProgress")))
    assert 2.7 <= engine.next_delay(state) <= 3.3
    store.apply(Batch().upsert(Job(id="j", name="j", state="Succeeded")))
    assert engine.next_delay(state) > 20
    engine.hurry(60)
    assert engine.next_delay(state) < 4


async def test_kick_wakes_a_sleeping_stream() -> None:
    store = Store()
    engine = SyncEngine(store)
    count = 0

    async def fetch() -> Batch:
        nonlocal count
        count += 1
        return Batch()

    engine.add(StreamSpec("s", "asr", fetch, interval=3600.0))
    await engine.start()
    await wait_until(lambda: count == 1)
    engine.kick("s")
    await wait_until(lambda: count == 2)
    await engine.stop()


async def test_stop_cancels_a_hung_fetch_cleanly() -> None:
    store = Store()
    engine = SyncEngine(store)
    started = asyncio.Event()

    async def fetch() -> Batch:
        started.set()
        await asyncio.sleep(3600)
        return Batch()

    engine.add(StreamSpec("hung", "vcenter", fetch, interval=1.0))
    await engine.start()
    await asyncio.wait_for(started.wait(), 2)
    await asyncio.wait_for(engine.stop(), 2)
    assert all(t.done() for t in asyncio.all_tasks() if t.get_name().startswith("sync:"))


async def test_a_failing_subscriber_does_not_starve_others_or_the_stream() -> None:
    store = Store()
    engine = SyncEngine(store)
    seen: list[object] = []

    def broken(_: object) -> None:
        raise RuntimeError("widget bug")

    async def fetch() -> Batch:
        return Batch().upsert(vm(1))

    store.subscribe(broken)
    store.subscribe(seen.append)
    engine.add(StreamSpec("s", "vcenter", fetch, interval=1.0))
    assert await engine.poll_once("s")
    assert store.count(Kind.VM) == 1
    assert seen  # the healthy subscriber still got the change set
    assert not store.freshness("vcenter").stale


async def test_a_stream_can_ignore_other_peoples_jobs_and_follow_only_its_own_writes() -> None:
    store = Store()
    engine = SyncEngine(store, rng=random.Random(5))

    async def fetch() -> Batch:
        return Batch()

    engine.add(StreamSpec("items", "asr", fetch, interval=30.0, fast_interval=5.0, fast_on_any_job=False))
    engine.add(StreamSpec("jobs", "asr", fetch, interval=30.0, fast_interval=3.0))
    store.apply(Batch().upsert(Job(id="j", name="j", state="InProgress")))
    assert engine.next_delay(engine.streams["items"]) > 20
    assert engine.next_delay(engine.streams["jobs"]) < 4
    engine.hurry(60)
    assert engine.next_delay(engine.streams["items"]) < 6


async def test_a_read_budget_stretches_the_intervals_of_a_large_list() -> None:
    store = Store()
    engine = SyncEngine(store, rng=random.Random(7))
    site = make_demo_site(vms=4, protected=2, seed=1, speed=0.0, provider="inmagercm")
    async with on_site(site) as service:
        for spec in asr_streams(service, Intervals(items_per_minute=1000), store):
            engine.add(spec)
        items = engine.streams["asr-items"]
        assert 27.0 <= engine.next_delay(items) <= 33.0  # few items: the configured interval
        store.apply(Batch().upsert(*(item(n) for n in range(2000))))
        assert 108.0 <= engine.next_delay(items) <= 132.0  # 2,000 items at 1,000 a minute
        engine.hurry(60)
        assert 108.0 <= engine.next_delay(items) <= 132.0  # our writes' items are read one by one instead
        fewer = Batch()
        for n in range(1990):
            fewer.remove(Kind.PROTECTED_ITEM, item(n).id)
        store.apply(fewer)
        assert engine.next_delay(items) < 6  # a small vault's list follows our writes closely


async def test_a_kick_while_a_poll_runs_is_not_lost() -> None:
    store = Store()
    engine = SyncEngine(store, rng=random.Random(9))
    started = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    async def fetch() -> Batch:
        nonlocal calls
        calls += 1
        if calls == 1:
            started.set()
            await release.wait()
        return Batch()

    engine.add(StreamSpec("slow", "asr", fetch, interval=3600.0))
    await engine.start()
    try:
        await asyncio.wait_for(started.wait(), 5)
        engine.kick("slow")  # arrives mid-poll: the next poll must follow at once, not in an hour
        release.set()
        await wait_until(lambda: calls >= 2)
    finally:
        await engine.stop()


async def test_a_fetch_that_never_answers_turns_its_stream_stale_by_its_deadline() -> None:
    store = Store()
    engine = SyncEngine(store)
    never = asyncio.Event()

    async def silent() -> Batch:
        await never.wait()  # a server that accepted the connection and says nothing
        return Batch()

    engine.add(StreamSpec("asr-items", "asr", silent, interval=60.0, deadline=0.2))
    started = time.monotonic()
    await engine.start()
    await wait_until(
        lambda: store.freshness("asr-items").stale and bool(store.freshness("asr-items").last_error)
    )
    await engine.stop()
    assert time.monotonic() - started < 2.0
    assert "no answer in 0.2 s" in (store.freshness("asr-items").last_error or "")


async def test_a_throttled_stream_quiets_every_stream_of_its_back_end_and_says_until_when() -> None:
    store = Store()
    engine = SyncEngine(store, max_retry_after=0.5)
    jobs_polls: list[float] = []
    throttled_at: list[float] = []

    async def items() -> Batch:
        if not throttled_at:
            throttled_at.append(time.monotonic())
            raise Throttled("429 Too Many Requests", retry_after=900)
        return Batch()

    async def jobs() -> Batch:
        jobs_polls.append(time.monotonic())
        return Batch()

    async def inventory() -> Batch:
        return Batch()

    engine.add(StreamSpec("asr-items", "asr", items, interval=0.01))
    engine.add(StreamSpec("asr-jobs", "asr", jobs, interval=0.01, initial_delay=0.05))
    engine.add(StreamSpec("vcenter-inventory", "vcenter", inventory, interval=0.01))
    await engine.start()
    await wait_until(lambda: bool(throttled_at) and store.freshness("asr-items").stale)
    assert "throttled until" in (store.freshness("asr-items").last_error or "")
    engine.kick()  # not even a kick polls a throttled back end
    await wait_until(lambda: not store.freshness("asr-items").stale, timeout=5.0)
    await engine.stop()
    # the jobs stream of the same back end waited out the same pause (capped at 0.5 s, not 900)
    assert jobs_polls and min(jobs_polls) >= throttled_at[0] + 0.45
    assert not store.freshness("vcenter-inventory").stale
