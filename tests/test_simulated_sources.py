"""The simulated site's faces through the protocols: the in-process inventory's deltas, the store join,
and the recovery service's reads and writes (the Azure source on the site's ARM face)."""

from __future__ import annotations

from typing import Any

import pytest

from asr_console.model.errors import NotFound, OperationRejected
from asr_console.model.protocols import InventorySource, RecoveryService
from asr_console.model.records import TO_VMWARE, Kind, Provider, VirtualMachine
from asr_console.model.specs import (
    DiskChoice,
    EnableReplicationSpec,
    InvalidInput,
    PolicySpec,
    RecoveryPointChoice,
    RecoveryPointKind,
)
from asr_console.model.store import Batch, Store
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.inventory import SimulatedInventory
from asr_console.sources.azure import AzureRecoveryService
from tests.arm_site import on_site, reprotect_target


def site(provider: str = "mixed", **kwargs: Any) -> SimEngine:
    options: dict[str, Any] = {"vms": 60, "protected": 30, "seed": 5, "speed": 0.0, "provider": provider}
    options.update(kwargs)
    return make_demo_site(**options)


async def settle(engine: SimEngine, service: AzureRecoveryService, job_id: str) -> str:
    assert engine.run_until(
        lambda: engine.get_job(job_id.rsplit("/", 1)[-1])["properties"]["state"] != "InProgress"
    )
    return (await service.job(job_id)).state


async def test_protocols_are_implemented() -> None:
    engine = site()
    async with on_site(engine) as service:
        assert isinstance(service, RecoveryService)
        assert isinstance(SimulatedInventory(engine), InventorySource)


async def test_inventory_snapshot_then_deltas() -> None:
    engine = site()
    inventory = SimulatedInventory(engine, poll=0.01)
    info = await inventory.connect()
    assert info.version.startswith("8.")
    store = Store()
    first = await inventory.changes(0)
    assert {kind for kind, _, _ in first.replacements} >= {Kind.VM, Kind.HOST, Kind.DATASTORE, Kind.CLUSTER}
    store.apply(first)
    assert store.count(Kind.VM) == 60
    assert not await inventory.changes(0.05)  # nothing changed: empty batch after the wait
    vm = next(v for v in store.all(VirtualMachine) if v.power_state == "poweredOn")
    engine.estate.set_power(vm.moref, "poweredOff", engine.now)
    delta = await inventory.changes(0.05)
    assert not delta.replacements and [r.key for r in delta.upserts] == [vm.moref]
    changes = store.apply(delta)
    assert changes.of(Kind.VM).updated == {vm.moref}
    off = store.typed(VirtualMachine, vm.moref)
    assert off is not None and off.power_state == "poweredOff"
    events = await inventory.events()
    assert any(e.event_type == "VmPoweredOffEvent" and e.entity_id == vm.moref for e in events)
    assert not await inventory.events()


async def test_churn_samples_only_for_running_vms() -> None:
    engine = site()
    engine.advance(600)
    samples = await SimulatedInventory(engine).churn()
    running = {v.moref for v in engine.estate.vms.values() if v.power_state == "poweredOn"}
    assert {s.moref for s in samples} == running
    assert all(len(s.samples) > 1 and s.latest_kbps is not None for s in samples)


@pytest.mark.parametrize("provider", ["inmagercm", "inmageazurev2", "mixed"])
async def test_store_join_matches_every_item_to_its_vm(provider: str) -> None:
    engine = site(provider)
    store = Store()
    store.apply(await SimulatedInventory(engine).changes(0))
    async with on_site(engine) as service:
        items = await service.protected_items()
        store.apply(Batch().replace(Kind.PROTECTED_ITEM, items))
        assert len(items) == 30
        for item in items:
            vm = store.vm_for_item(item.id)
            assert vm is not None and vm.moref == engine.items[item.name].vm_moref
            assert item.display_name == vm.name


async def test_reads_cover_the_vault() -> None:
    engine = site()
    async with on_site(engine) as service:
        vault = await service.vault()
        assert vault.name == engine.scope.vault
        items = await service.protected_items()
        assert vault.protected_items_critical == sum(i.replication_health.value == "Critical" for i in items)
        infra = await service.infrastructure()
        assert {f.kind.value for f in infra.fabrics} == {"appliance", "configuration-server"}
        assert infra.process_servers and all(ps.last_heartbeat for ps in infra.process_servers)
        assert len(infra.mappings) == 2 and len(infra.vcenters) == 2 and len(infra.containers) == 2
        assert {p.provider for p in await service.policies()} == {
            Provider.INMAGE_RCM,
            Provider.INMAGE_AZURE_V2,
        }
        assert len(await service.protectable_items()) == 120  # every VM, seen by both fabrics
        assert {i.provider for i in items} == {Provider.INMAGE_RCM, Provider.INMAGE_AZURE_V2}
        protected = next(i for i in items if i.protection_state == "Protected")
        points = await service.recovery_points(protected.id)
        assert points and all(p.item_id == protected.id for p in points)
        jobs = await service.jobs()
        assert jobs and all(j.tasks for j in jobs)
        assert len(await service.recovery_plans()) == 2
        with pytest.raises(NotFound):
            await service.recovery_points(protected.id + "x")


async def test_failover_commit_reprotect_through_the_protocol() -> None:
    engine = site("inmagercm")
    async with on_site(engine) as service:
        item = next(i for i in await service.protected_items() if "UnplannedFailover" in i.allowed_operations)
        job = await service.unplanned_failover(
            item.id, RecoveryPointChoice(RecoveryPointKind.LATEST_PROCESSED), True
        )
        assert job.running and job.target_object_name == item.display_name
        assert await settle(engine, service, job.id) == "Succeeded"
        points = await service.recovery_points(item.id)
        job = await service.change_recovery_point(item.id, points[1].id)
        assert await settle(engine, service, job.id) == "Succeeded"
        assert await settle(engine, service, (await service.commit_failover(item.id)).id) == "Succeeded"
        target = await reprotect_target(service, item)
        assert await settle(engine, service, (await service.reprotect(item.id, target)).id) == "Succeeded"
        after = next(i for i in await service.protected_items() if i.id == item.id)
        assert after.protection_state == "Protected" and after.active_location == "Recovery"
        assert after.direction == TO_VMWARE


async def test_invalid_writes_raise_before_anything_is_sent() -> None:
    engine = site()
    async with on_site(engine) as service:
        jobs = len(engine.jobs)
        item = next(i for i in await service.protected_items() if "TestFailover" in i.allowed_operations)
        with pytest.raises(InvalidInput):
            await service.commit_failover(item.id)
        with pytest.raises(InvalidInput):
            await service.test_failover(item.id, RecoveryPointChoice(RecoveryPointKind.CUSTOM), "x")
        with pytest.raises(InvalidInput):
            await service.create_policy(
                PolicySpec(name="bad", provider=Provider.INMAGE_RCM, app_consistent_frequency_minutes=45)
            )
        with pytest.raises(InvalidInput):
            await service.test_failover_cleanup(item.id, "notes")
        assert len(engine.jobs) == jobs


async def test_policy_lifecycle_and_association() -> None:
    engine = site("inmageazurev2")
    async with on_site(engine) as service:
        spec = PolicySpec(
            name="classic-24h",
            provider=Provider.INMAGE_AZURE_V2,
            recovery_point_history_minutes=1440,
            app_consistent_frequency_minutes=60,
            rpo_threshold_minutes=30,
        )
        assert await settle(engine, service, (await service.create_policy(spec)).id) == "Succeeded"
        policy = next(p for p in await service.policies() if p.name == "classic-24h")
        assert policy.settings.rpo_threshold_minutes == 30
        container = (await service.infrastructure()).containers[0]
        assert (
            await settle(engine, service, (await service.associate_policy(policy.id, container.id)).id)
            == "Succeeded"
        )
        mapping = next(m for m in (await service.infrastructure()).mappings if m.policy_id == policy.id)
        with pytest.raises(OperationRejected, match="associated"):
            await service.delete_policy(policy.id)  # still associated: the site refuses it
        assert await settle(engine, service, (await service.dissociate_policy(mapping.id)).id) == "Succeeded"
        updated = PolicySpec(
            name="classic-24h",
            provider=Provider.INMAGE_AZURE_V2,
            recovery_point_history_minutes=720,
            app_consistent_frequency_minutes=120,
            rpo_threshold_minutes=30,
        )
        assert (
            await settle(engine, service, (await service.update_policy(policy.id, updated)).id) == "Succeeded"
        )
        assert (
            next(
                p for p in await service.policies() if p.id == policy.id
            ).settings.app_consistent_frequency_minutes
            == 120
        )
        assert await settle(engine, service, (await service.delete_policy(policy.id)).id) == "Succeeded"
        assert policy.id not in {p.id for p in await service.policies()}


async def test_enable_replication_modernized_and_classic_refused() -> None:
    engine = site()
    async with on_site(engine) as service:
        infra = await service.infrastructure()
        for fabric in infra.fabrics:
            provider = Provider.INMAGE_RCM if fabric.kind.value == "appliance" else Provider.INMAGE_AZURE_V2
            container = next(c for c in infra.containers if c.fabric_id == fabric.id)
            mapping = next(m for m in infra.mappings if m.container_id == container.id)
            ps = next(p for p in infra.process_servers if p.fabric_id == fabric.id)
            protected = {i.display_name for i in await service.protected_items()}
            candidate = next(
                p
                for p in await service.protectable_items()
                if p.container_id == container.id
                and p.protection_status == "Unprotected"
                and p.friendly_name not in protected
            )
            spec = EnableReplicationSpec(
                protectable_item_id=candidate.id,
                container_id=container.id,
                policy_id=mapping.policy_id,
                provider=provider,
                target_resource_group_id=engine.scope.resource_group_id("rg-dr-recovery"),
                process_server_id=ps.id,
                log_storage_account_id=engine.scope.storage_id("stasrcacheweu01"),
                machine_id=candidate.machine_id,
                disks=tuple(DiskChoice(disk_id=d.uuid) for d in candidate.disks),
            )
            if provider is Provider.INMAGE_AZURE_V2:
                requests = len(engine.jobs)
                with pytest.raises(InvalidInput, match="30 March 2026"):
                    await service.enable_replication(spec)
                assert len(engine.jobs) == requests  # refused before anything was sent
                continue
            assert candidate.id == candidate.machine_id and "/machines/" in candidate.id
            assert candidate.disks and candidate.instance_uuid
            job = await service.enable_replication(spec)
            assert job.scenario == "EnableDr"
            assert await settle(engine, service, job.id) == "Succeeded"
            item = next(
                i for i in await service.protected_items() if i.display_name == candidate.friendly_name
            )
            assert item.provider is provider and item.protection_state == "ProtectedStatesBegin"
            assert item.name == candidate.name  # named after the discovered machine, not the VM
