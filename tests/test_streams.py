"""The standard streams fill the store from both back ends (the simulated site: its ARM face through the
SDK, its vCenter in process)."""

from __future__ import annotations

import dataclasses

from asr_console.config import Settings
from asr_console.model.intervals import Intervals
from asr_console.model.records import Kind, ProtectedItem
from asr_console.model.store import Batch, ChangeSet, Store
from asr_console.sim.arm_server import serve_site
from asr_console.sim.engine import make_demo_site
from asr_console.sim.inventory import SimulatedInventory
from asr_console.sources.azure import AzureRecoveryService
from asr_console.sync.streams import ASR, FOLLOWED, VCENTER, build_engine
from tests.arm_site import on_site, sdk_service
from tests.waiting import wait_until


async def test_one_poll_of_every_stream_fills_every_collection() -> None:
    site = make_demo_site(vms=40, protected=12, seed=5, speed=1.0, provider="mixed")
    store = Store()
    async with on_site(site) as service:
        engine = build_engine(store, service, SimulatedInventory(site), Intervals())
        assert set(engine.streams) == {
            "asr-items",
            "asr-jobs",
            "asr-infra",
            "asr-events",
            "asr-discovery",
            "asr-followed",
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


def test_scaled_intervals_have_floors() -> None:
    fast = Intervals().scaled(1000)
    assert fast.items == 5.0 and fast.jobs_fast == 2.0 and fast.items_fast == 2.0
    assert fast.infra == 20.0 and fast.infra_fast == 10.0
    assert fast.discovery == 30.0
    assert fast.inventory_wait == Intervals().inventory_wait
    assert Intervals().scaled(1) == Intervals()


async def test_first_load_shows_the_first_page_before_the_last_arrives() -> None:
    site = make_demo_site(vms=90, protected=70, seed=5, speed=0.0, provider="mixed")
    async with serve_site(site, page_size=16, lro_retry_after=0) as endpoint:
        service = sdk_service(endpoint)
        try:
            store = Store()
            seen: list[tuple[int, int]] = []  # (items in the store, requests served) per change

            def record(changes: ChangeSet) -> None:
                if changes.of(Kind.PROTECTED_ITEM):
                    seen.append((store.count(Kind.PROTECTED_ITEM), endpoint.site.requests))

            store.subscribe(record)
            engine = build_engine(store, service, None, Intervals())
            before = endpoint.site.requests
            assert await engine.poll_once("asr-items")
            # the first change came after one page, with the other four still to be requested
            assert seen[0] == (16, before + 1)
            assert store.count(Kind.PROTECTED_ITEM) == 70
            assert {i.id for i in store.all(ProtectedItem)} == {i.id for i in await service.protected_items()}

            # later polls replace the whole kind, so an item gone from the vault leaves the store
            ghost = dataclasses.replace(store.all(ProtectedItem)[0], id="/ghost", name="ghost")
            store.apply(Batch().upsert(ghost))
            assert store.get(Kind.PROTECTED_ITEM, "/ghost") is not None
            assert await engine.poll_once("asr-items")
            assert store.get(Kind.PROTECTED_ITEM, "/ghost") is None
            assert store.count(Kind.PROTECTED_ITEM) == 70
        finally:
            await service.close()


class CountingService(AzureRecoveryService):
    """Counts the single-item reads (the followed items); everything else as the Azure source."""

    single_reads = 0

    async def protected_item(self, item_id: str) -> ProtectedItem:
        self.single_reads += 1
        return await super().protected_item(item_id)


async def test_our_own_operations_items_are_read_one_by_one_while_the_list_waits_on_its_budget() -> None:
    """A large vault's list refreshes on a read budget; the item someone just test-failed-over is read
    by itself until its job ends, then once more (its final state), then no longer."""
    from asr_console.model.records import Job
    from asr_console.model.specs import RecoveryPointChoice
    from asr_console.session import build_session

    site = make_demo_site(vms=40, protected=12, seed=5, speed=0.0, provider="inmagercm")
    async with on_site(site, service_class=CountingService) as service:
        assert isinstance(service, CountingService)
        budgeted = Intervals(items=0.2, items_fast=0.1, items_per_minute=1.0, jobs=0.1, jobs_fast=0.1)
        session = build_session(
            dataclasses.replace(Settings(profile="t"), read_only=False), service, None, intervals=budgeted
        )
        store, engine, followed = session.store, session.engine, session.actions.followed
        assert engine is not None and followed is not None
        assert await engine.poll_once("asr-items") and await engine.poll_once("asr-jobs")
        item = next(i for i in store.all(ProtectedItem) if "TestFailover" in i.allowed_operations)
        await engine.start()
        try:
            await wait_until(lambda: engine.streams["asr-items"].polls >= 2)  # the start's first read
            list_reads = engine.streams["asr-items"].polls
            network = site.scope.network_id("vnet-dr-test")
            job = await session.actions.test_failover(item.id, RecoveryPointChoice(), network)

            def tested() -> bool:
                current = store.typed(ProtectedItem, item.id)
                return current is not None and current.test_failover_state != item.test_failover_state

            def ended() -> bool:
                current = store.typed(Job, job.id)
                return current is not None and not current.running and item.id not in followed

            await wait_until(tested)
            assert item.id in followed and service.single_reads >= 1
            site.advance(3600)  # the job ends; the jobs stream sees it, the item is read a last time
            await wait_until(ended)
            reads = service.single_reads
            assert store.typed(ProtectedItem, item.id) == await service.protected_item(item.id)  # final state
            # the followed stream keeps polling (every 0.1 s) and reads nothing more: no longer followed
            polled = engine.streams[FOLLOWED].polls
            await wait_until(lambda: engine.streams[FOLLOWED].polls >= polled + 3)
            assert service.single_reads == reads + 1  # (the line above)
            # unbudgeted, the list would have been read every 0.1 s; at 1 item a minute it waits
            assert engine.streams["asr-items"].polls == list_reads
        finally:
            await session.close()
