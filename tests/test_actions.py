"""The write path every UI action takes: read-only guard, audit log, activity event, fast follow-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from asr_console.actions import Actions, ReadOnlyError
from asr_console.audit import AuditLog, Target
from asr_console.model.records import Event, EventSource, Job, Kind, ProtectedItem, Provider
from asr_console.model.specs import InvalidInput, PolicySpec
from asr_console.model.store import Batch, Store
from asr_console.sim.engine import SimEngine, make_demo_site
from asr_console.sources.azure import AzureRecoveryService
from asr_console.sync.engine import SyncEngine
from tests.arm_site import on_site


@pytest.fixture
def sim() -> SimEngine:
    return make_demo_site(vms=30, protected=10, seed=11, speed=1.0)


@pytest.fixture
async def service(sim: SimEngine) -> AsyncIterator[AzureRecoveryService]:
    async with on_site(sim) as served:
        yield served


async def loaded_store(service: AzureRecoveryService) -> Store:
    store = Store()
    store.apply(Batch().replace(Kind.PROTECTED_ITEM, await service.protected_items()))
    store.apply(Batch().replace(Kind.POLICY, await service.policies()))
    return store


def item_allowing_test_failover(store: Store) -> ProtectedItem:
    for item in store.all(ProtectedItem):
        if "TestFailover" in item.allowed_operations:
            return item
    raise AssertionError("the simulated site has no item allowing test failover")


async def test_read_only_refuses_and_sends_nothing(service: AzureRecoveryService, tmp_path: Path) -> None:
    store = await loaded_store(service)
    audit = AuditLog(tmp_path / "audit.log", profile="prod")
    actions = Actions(service, store, audit=audit, read_only=True)
    item = item_allowing_test_failover(store)
    jobs_before = len(await service.jobs())
    with pytest.raises(ReadOnlyError, match="read-only"):
        await actions.resync(item.id)
    assert len(await service.jobs()) == jobs_before
    [entry] = audit.entries()
    assert entry["action"] == "resync" and entry["result"] == "refused: read-only"
    assert entry["phase"] == "refused"  # no intent: nothing was about to be sent


async def test_write_is_audited_with_job_and_followed_fast(
    sim: SimEngine, service: AzureRecoveryService, tmp_path: Path
) -> None:
    store = await loaded_store(service)
    audit = AuditLog(tmp_path / "audit.log", profile="lab")
    engine = SyncEngine(store)
    actions = Actions(service, store, engine=engine, audit=audit)
    item = item_allowing_test_failover(store)
    network = sim.scope.network_id("vnet-dr-test")
    from asr_console.model.specs import RecoveryPointChoice

    job = await actions.test_failover(item.id, RecoveryPointChoice(), network)
    assert isinstance(job, Job) and job.id
    assert store.get(Kind.JOB, job.id) is not None
    intent, started = audit.entries()
    assert intent["phase"] == "intent" and "result" not in intent
    assert intent["action"] == "test-failover" and intent["profile"] == "lab" and intent["user"]
    # targets are named beside their ids
    assert intent["targets"] == [{"id": item.id, "name": item.display_name}]
    assert started["phase"] == "result" and started["intent"] == intent["intent"]
    assert started["result"] == "started" and started["job_id"] == job.id
    # when the job ends, the audit log says how, under the same intent
    sim.advance(3600)
    store.apply(Batch().replace(Kind.JOB, await service.jobs()))
    entries = audit.entries()
    assert [e.get("result") for e in entries] == [None, "started", "job Succeeded"]
    assert entries[2]["job_id"] == job.id and entries[2]["action"] == "test-failover"
    assert entries[2]["intent"] == intent["intent"]
    store.apply(Batch().replace(Kind.JOB, await service.jobs()))
    assert len(audit.entries()) == 3  # recorded once
    events = [e for e in store.all(Event) if e.source is EventSource.CONSOLE]
    assert events and item.display_name in events[-1].message
    assert engine.is_fast()


async def test_a_job_listed_with_its_id_in_another_case_is_still_ours(
    sim: SimEngine, service: AzureRecoveryService, tmp_path: Path
) -> None:
    """ARM ids ignore case: the jobs list may spell the id the write answered with otherwise."""
    import dataclasses

    store = await loaded_store(service)
    audit = AuditLog(tmp_path / "audit.log", profile="lab")
    actions = Actions(service, store, audit=audit)
    from asr_console.model.specs import RecoveryPointChoice

    network = sim.scope.network_id("vnet-dr-test")
    job = await actions.test_failover(item_allowing_test_failover(store).id, RecoveryPointChoice(), network)
    sim.advance(3600)
    listed = [dataclasses.replace(j, id=j.id.upper()) for j in await service.jobs()]
    store.apply(Batch().replace(Kind.JOB, listed))
    assert [(e["action"], e.get("result")) for e in audit.entries()] == [
        ("test-failover", None),
        ("test-failover", "started"),
        ("test-failover", "job Succeeded"),
    ]
    assert store.count(Kind.JOB) == len(listed)  # the same job, not a second copy
    assert store.typed(Job, job.id) is not None


async def test_invalid_input_is_not_sent_and_audited_as_such(
    service: AzureRecoveryService, tmp_path: Path
) -> None:
    store = await loaded_store(service)
    audit = AuditLog(tmp_path / "audit.log")
    actions = Actions(service, store, audit=audit)
    policies_before = len(await service.policies())
    bad = PolicySpec(
        name="p1",
        provider=Provider.INMAGE_RCM,
        recovery_point_history_minutes=60,
        app_consistent_frequency_minutes=120,
    )
    with pytest.raises(InvalidInput) as info:
        await actions.create_policy(bad)
    assert info.value.errors[0].field == "app_consistent_frequency_minutes"
    assert len(await service.policies()) == policies_before
    intent, result = audit.entries()
    assert intent["phase"] == "intent" and result["intent"] == intent["intent"]
    assert result["result"].startswith("not sent: ") and result["job_id"] == ""


async def test_audit_log_is_append_only_json_lines(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "logs" / "audit.log", profile="p")
    item = [Target("/x/item-1", "app-001")]
    first = audit.intent("commit-failover", item)
    audit.result(first, "commit-failover", item, "started", job_id="j1")
    second = audit.intent("reprotect", item)
    audit.result(second, "reprotect", item, "failed: 409 Conflict")
    text = (tmp_path / "logs" / "audit.log").read_text()
    assert text.count("\n") == 4
    entries = audit.entries()
    assert [e["action"] for e in entries] == ["commit-failover"] * 2 + ["reprotect"] * 2
    assert [e["intent"] for e in entries] == [first, first, second, second] and first != second


async def test_only_enable_or_disable_rereads_the_item_list_and_protectable_items(
    sim: SimEngine, service: AzureRecoveryService, tmp_path: Path
) -> None:
    """Thousands of protectable items are read on a slow cycle; a test failover does not change them,
    a finished disable (or enable) replication job does."""
    from asr_console.model.intervals import Intervals
    from asr_console.model.specs import RecoveryPointChoice
    from asr_console.sync.streams import DISCOVERY, ITEMS, build_engine

    store = await loaded_store(service)
    engine = build_engine(store, service, None, Intervals())
    actions = Actions(service, store, engine=engine, audit=AuditLog(tmp_path / "audit.log", profile="lab"))
    discovery = engine.streams[DISCOVERY]
    item = item_allowing_test_failover(store)
    network = sim.scope.network_id("vnet-dr-test")
    await actions.test_failover(item.id, RecoveryPointChoice(), network)
    assert engine.streams["asr-jobs"].wake.is_set() and not discovery.wake.is_set()
    assert not engine.streams[ITEMS].wake.is_set()  # its item is followed by itself instead
    sim.advance(3600)
    store.apply(Batch().replace(Kind.JOB, await service.jobs()))
    assert not discovery.wake.is_set()
    other = next(
        i for i in store.all(ProtectedItem) if i.id != item.id and "DisableProtection" in i.allowed_operations
    )
    await actions.disable_replication(other.id)
    assert not discovery.wake.is_set() and engine.streams[ITEMS].wake.is_set()  # the list loses one
    sim.advance(3600)
    store.apply(Batch().replace(Kind.JOB, await service.jobs()))
    assert discovery.wake.is_set()
