"""The standard streams fill the store from both back ends (the simulated site, in process)."""

from __future__ import annotations

from asr_console.model.records import Kind
from asr_console.model.store import Store
from asr_console.sim.engine import make_demo_site
from asr_console.sources.simulated import SimulatedInventory, SimulatedRecoveryService
from asr_console.sync.streams import ASR, VCENTER, Intervals, build_engine


async def test_one_poll_of_every_stream_fills_every_collection() -> None:
    site = make_demo_site(vms=40, protected=12, seed=5, speed=1.0, provider="mixed")
    store = Store()
    engine = build_engine(store, SimulatedRecoveryService(site), SimulatedInventory(site), Intervals())
    assert set(engine.streams) == {
        "asr-items",
        "asr-jobs",
        "asr-infra",
        "asr-events",
        "vcenter-inventory",
        "vcenter-events",
        "vcenter-churn",
    }
    for name in engine.streams:
        assert await engine.poll_once(name), name
    for kind in (
        Kind.VM,
        Kind.HOST,
        Kind.PROTECTED_ITEM,
        Kind.PROTECTABLE,
        Kind.JOB,
        Kind.FABRIC,
        Kind.POLICY,
        Kind.MAPPING,
        Kind.CONTAINER,
        Kind.VAULT,
    ):
        assert store.count(kind) > 0, kind
    assert store.count(Kind.PROTECTED_ITEM) == 12
    assert store.count(Kind.VM) == 40
    # every protected item found its VM through the join
    assert len(store.join.pairs()) == 12
    assert not store.freshness(ASR).stale and not store.freshness(VCENTER).stale


def test_scaled_intervals_never_below_two_seconds() -> None:
    fast = Intervals().scaled(1000)
    assert fast.items == 2.0 and fast.jobs_fast == 2.0
    assert fast.inventory_wait == Intervals().inventory_wait
    assert Intervals().scaled(1) == Intervals()
