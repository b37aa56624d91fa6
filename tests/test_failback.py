"""Re-protect, failback, purge, multi-VM points, events and job naming against the simulated site.

Each write goes through the unmodified SDK to the simulated ARM site (which checks it against the SDK
input model and ASR's rules); the body the console sent is also checked here against the SDK input
model, independently of both (``tests/sdk_fields.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservicessiterecovery import models as m
from azure.mgmt.recoveryservicessiterecovery.aio import SiteRecoveryManagementClient

from asr_console.model.inputs import InvalidInput, RecoveryPointChoice, RecoveryPointKind
from asr_console.model.operations import FailbackPointType, Operation, OperationInputs, ReprotectTarget
from asr_console.model.records import TO_AZURE, TO_VMWARE, ProtectedItem, Provider, RecoveryPoint
from asr_console.model.reprotect import ReprotectWanted, resolve_reprotect
from asr_console.model.targets import StorageAccount
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sources import azure_inputs as inputs
from asr_console.sources.azure import AzureRecoveryService, job_name_from_headers
from asr_console.sources.azure_auth import StaticTokenCredential
from tests.arm_site import reprotect_target, sdk_service
from tests.sdk_fields import rest_fields


class Recording(AzureRecoveryService):
    """The Azure source, keeping each body it hands the SDK."""

    sent: list[tuple[Operation, dict[str, Any] | None]]

    async def _send(self, op: Operation, args: tuple[str, ...], body: dict[str, Any] | None) -> str:
        self.sent = [*getattr(self, "sent", []), (op, body)]
        return await super()._send(op, args, body)


def unknown_keys(model: Any, wire: dict[str, Any], where: str = "") -> list[str]:
    fields = rest_fields(type(model))
    found = []
    for key, value in wire.items():
        if key not in fields:
            found.append(f"{where}{key} ({type(model).__name__})")
        elif isinstance(value, dict):
            found += unknown_keys(getattr(model, fields[key]), value, f"{where}{key}.")
    return found


def loads_into_its_model(op: Operation, body: dict[str, Any] | None, provider_model: str) -> None:
    """The body loads into the operation's SDK input model, its provider input into ``provider_model``,
    with no key either does not define."""
    assert body is not None
    model = getattr(m, op.spec.input_model)(body)
    assert unknown_keys(model, body) == []
    assert model.as_dict() == body
    details = model.properties.provider_specific_details
    assert type(details).__name__ == provider_model


@pytest.fixture
async def served() -> AsyncIterator[tuple[SimEngine, SiteEndpoint]]:
    engine = make_demo_site(vms=40, protected=24, seed=5, speed=0.0, provider="mixed")
    async with serve_site(engine, lro_retry_after=0) as site:
        yield engine, site


async def settle(engine: SimEngine, svc: AzureRecoveryService, job_id: str) -> str:
    name = job_id.rsplit("/", 1)[-1]
    assert engine.run_until(lambda: engine.get_job(name)["properties"]["state"] != "InProgress", limit=7200)
    return (await svc.job(job_id)).state


async def fresh(svc: AzureRecoveryService, item: ProtectedItem) -> ProtectedItem:
    return await svc.protected_item(item.id)


async def failed_over_and_committed(
    engine: SimEngine, svc: AzureRecoveryService, provider: Provider
) -> ProtectedItem:
    item = next(
        i
        for i in await svc.protected_items()
        if i.provider is provider and "UnplannedFailover" in i.allowed_operations
    )
    assert (
        await settle(engine, svc, (await svc.unplanned_failover(item.id, RecoveryPointChoice(), False)).id)
        == "Succeeded"
    )
    assert await settle(engine, svc, (await svc.commit_failover(item.id)).id) == "Succeeded"
    return await fresh(svc, item)


async def test_modernized_failover_reprotect_failback_and_reprotect_back(
    served: tuple[SimEngine, SiteEndpoint],
) -> None:
    engine, site = served
    svc = sdk_service(site, service_class=Recording)
    assert isinstance(svc, Recording)
    try:
        item = await failed_over_and_committed(engine, svc, Provider.INMAGE_RCM)
        assert item.direction == TO_AZURE and item.log_storage_account_id
        # re-protect towards VMware: the appliance's reprotect agent, a datastore it reaches, the cache
        # storage account the item was protected with
        target = await reprotect_target(svc, item)
        assert (
            target.agent_id
            and target.datastore
            and target.log_storage_account_id == item.log_storage_account_id
        )
        assert await settle(engine, svc, (await svc.reprotect(item.id, target)).id) == "Succeeded"
        loads_into_its_model(Operation.REPROTECT, svc.sent[-1][1], "InMageRcmReprotectInput")
        item = await fresh(svc, item)
        assert item.direction == TO_VMWARE and item.provider_name == "InMageRcmFailback"
        assert (item.reprotect_agent_id, item.datastore_name) == (target.agent_id, target.datastore)
        assert item.allowed_operations == ("PlannedFailover", "DisableProtection")
        # failback: planned failover back to VMware, then commit
        job = await svc.failback(item.id, FailbackPointType.CRASH)
        assert job.display_name == "Planned failover"
        sent = svc.sent[-1][1]
        loads_into_its_model(Operation.FAILBACK, sent, "InMageRcmFailbackPlannedFailoverProviderInput")
        assert (
            sent is not None
            and sent["properties"]["providerSpecificDetails"]["recoveryPointType"] == "CrashConsistent"
        )
        assert await settle(engine, svc, job.id) == "Succeeded"
        item = await fresh(svc, item)
        assert (item.active_location, item.allowed_operations) == ("Primary", ("Commit", "DisableProtection"))
        assert await settle(engine, svc, (await svc.commit_failover(item.id)).id) == "Succeeded"
        # re-protect back to Azure: a process server of the appliance and the policy it used before
        item = await fresh(svc, item)
        target = await reprotect_target(svc, item)
        assert target.process_server_id and target.policy_id == item.last_used_policy_id
        assert await settle(engine, svc, (await svc.reprotect(item.id, target)).id) == "Succeeded"
        loads_into_its_model(Operation.REPROTECT, svc.sent[-1][1], "InMageRcmFailbackReprotectInput")
        item = await fresh(svc, item)
        assert (item.provider, item.direction, item.active_location) == (
            Provider.INMAGE_RCM,
            TO_AZURE,
            "Primary",
        )
        assert "UnplannedFailover" in item.allowed_operations
    finally:
        await svc.close()


async def test_classic_reprotect_sends_the_inmage_input(served: tuple[SimEngine, SiteEndpoint]) -> None:
    engine, site = served
    svc = sdk_service(site, service_class=Recording)
    assert isinstance(svc, Recording)
    try:
        item = await failed_over_and_committed(engine, svc, Provider.INMAGE_AZURE_V2)
        target = await reprotect_target(svc, item)
        assert (
            target.agent_id and target.retention_drive and target.process_server_id == item.process_server_id
        )
        assert await settle(engine, svc, (await svc.reprotect(item.id, target)).id) == "Succeeded"
        loads_into_its_model(Operation.REPROTECT, svc.sent[-1][1], "InMageReprotectInput")
        item = await fresh(svc, item)
        assert (item.provider_name, item.direction) == ("InMage", TO_VMWARE)
        # planned failover is the modernized stack's failback only
        assert "PlannedFailover" not in item.allowed_operations
    finally:
        await svc.close()


def client_for(site: SiteEndpoint) -> SiteRecoveryManagementClient:
    return SiteRecoveryManagementClient(
        StaticTokenCredential("t"),
        site.subscription,
        base_url=site.arm_endpoint,
        connection_verify=site.ca_bundle,
        retry_total=0,
    )


async def test_the_site_refuses_a_reprotect_without_its_required_inputs(
    served: tuple[SimEngine, SiteEndpoint],
) -> None:
    engine, site = served
    svc = sdk_service(site)
    client = client_for(site)
    try:
        item = await failed_over_and_committed(engine, svc, Provider.INMAGE_RCM)
        target = await reprotect_target(svc, item)
        body = inputs.reprotect_body(inputs.ItemRequest(item, "", OperationInputs(reprotect=target)))
        parts = item.id.split("/")
        path = (parts[-5], parts[-3], parts[-1])
        del body["properties"]["providerSpecificDetails"]["reprotectAgentId"]
        jobs = len(engine.jobs)
        with pytest.raises(HttpResponseError) as caught:
            await client.replication_protected_items.begin_reprotect(
                site.resource_group, site.vault, *path, body
            )
        assert caught.value.status_code == 400
        assert "properties.providerSpecificDetails.reprotectAgentId: is required" in str(caught.value)
        assert len(engine.jobs) == jobs
        # and the console refuses to send one without an agent before anything goes out
        with pytest.raises(InvalidInput, match="reprotect agent"):
            await svc.reprotect(item.id, dataclasses.replace(target, agent_id=""))
        assert len(engine.jobs) == jobs
    finally:
        await client.close()
        await svc.close()


def known(storage: list[StorageAccount]) -> str:
    return ", ".join(sorted(a.name for a in storage))


async def test_reprotect_names_resolve_and_unknown_ones_are_named(
    served: tuple[SimEngine, SiteEndpoint],
) -> None:
    engine, site = served
    svc = sdk_service(site)
    try:
        item = await failed_over_and_committed(engine, svc, Provider.INMAGE_RCM)
        infra = await svc.infrastructure()
        fabric = next(f for f in infra.fabrics if f.id.lower() == item.fabric_id.lower())
        agent = fabric.reprotect_agents[0]
        policies = list(await svc.policies())
        wanted = ReprotectWanted(agent=agent.name, datastore=agent.datastores[-1])
        plan = resolve_reprotect(item, fabric, infra.process_servers, policies, wanted)
        assert plan.problems == [] and plan.target.agent_id == agent.id
        assert plan.target.datastore == agent.datastores[-1]
        wrong = ReprotectWanted(agent="no-agent", cache_storage="cachename", policy=policies[0].name)
        problems = resolve_reprotect(item, fabric, infra.process_servers, policies, wrong).problems
        assert any("unknown reprotect agent no-agent" in p for p in problems)
        assert any("--cache-storage cachename: give the storage account's ARM id" in p for p in problems)
        assert any("use an InMageRcmFailback one" in p for p in problems)
        # with the subscription's storage accounts, a bare name resolves to its id; an unknown one is named
        storage = list(await svc.storage_accounts())
        account = next(a for a in storage if a.name == "stasrcacheweu02")
        by_name = ReprotectWanted(cache_storage="STASRCACHEWEU02")
        plan = resolve_reprotect(item, fabric, infra.process_servers, policies, by_name, storage)
        assert plan.problems == [] and plan.target.log_storage_account_id == account.id
        unknown = ReprotectWanted(cache_storage="cachename")
        problems = resolve_reprotect(item, fabric, infra.process_servers, policies, unknown, storage).problems
        assert problems == [
            f"--cache-storage: no storage account is named cachename (known: {known(storage)})"
        ]
    finally:
        await svc.close()


async def test_purge_removes_an_item_whatever_its_state(served: tuple[SimEngine, SiteEndpoint]) -> None:
    engine, site = served
    svc = sdk_service(site)
    try:
        item = next(i for i in await svc.protected_items() if "TestFailover" in i.allowed_operations)
        await svc.test_failover(item.id, RecoveryPointChoice(), engine.scope.network_id("vnet-dr-test"))
        item = await fresh(svc, item)
        assert item.allowed_operations == ()  # in transition: disable is refused, purge is not
        with pytest.raises(InvalidInput):
            await svc.disable_replication(item.id)
        job = await svc.purge(item.id)
        assert job.target_object_name == item.display_name
        assert await settle(engine, svc, job.id) == "Succeeded"
        assert item.id not in {i.id for i in await svc.protected_items()}
    finally:
        await svc.close()


async def test_a_write_answered_with_location_only_names_its_job(
    served: tuple[SimEngine, SiteEndpoint],
) -> None:
    engine, site = served
    site.site.lro_location_only = True
    svc = sdk_service(site)
    try:
        item = next(i for i in await svc.protected_items() if "TestFailover" in i.allowed_operations)
        network = engine.scope.network_id("vnet-dr-test")
        job = await svc.test_failover(item.id, RecoveryPointChoice(), network)
        assert job.name in engine.jobs and job.scenario == "TestFailover"
    finally:
        await svc.close()


def test_the_job_name_comes_from_locations_operationresults_segment_first() -> None:
    vault = "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"
    both = {
        "Location": f"{vault}/replicationJobs/x/operationresults/job-from-location?api-version=2025-08-01",
        "Azure-AsyncOperation": f"{vault}/replicationOperationStatus/job-from-status?api-version=2025-08-01",
    }
    assert job_name_from_headers(both) == "job-from-location"
    assert job_name_from_headers({"Azure-AsyncOperation": both["Azure-AsyncOperation"]}) == "job-from-status"
    assert (
        job_name_from_headers({"Location": f"{vault}/replicationOperationResults/j1?api-version=1"}) == "j1"
    )
    assert job_name_from_headers({}) == ""


async def test_a_restarted_job_comes_back_under_a_new_name(served: tuple[SimEngine, SiteEndpoint]) -> None:
    engine, site = served
    svc = sdk_service(site)
    try:
        item = next(i for i in await svc.protected_items() if "TestFailover" in i.allowed_operations)
        started = await svc.test_failover(
            item.id, RecoveryPointChoice(), engine.scope.network_id("vnet-dr-test")
        )
        assert (await svc.cancel_job(started.id)).state == "Cancelled"
        again = await svc.restart_job(started.id)
        assert again.name != started.name and again.running
        assert (await svc.job(started.id)).state == "Cancelled"
        assert await settle(engine, svc, again.id) == "Succeeded"
        assert again.target_object_name == item.display_name
    finally:
        await svc.close()


def point(name: str, minutes_ago: int, kind: str, multi_vm: bool) -> RecoveryPoint:
    return RecoveryPoint(
        id=f"/rp/{name}",
        name=name,
        item_id="/item",
        time=datetime(2026, 5, 1, 12, tzinfo=UTC) - timedelta(minutes=minutes_ago),
        type=kind,
        multi_vm=multi_vm,
    )


def test_multi_vm_choices_pick_only_multi_vm_sync_points() -> None:
    points = [
        point("crash-new", 1, "CrashConsistent", False),
        point("crash-multi", 15, "CrashConsistent", True),
        point("app-new", 20, "AppConsistent", False),
        point("app-multi", 80, "AppConsistent", True),
    ]
    resolve = inputs.resolve_recovery_point
    assert resolve(RecoveryPointChoice(RecoveryPointKind.LATEST_PROCESSED), points) == "/rp/crash-new"
    assert (
        resolve(RecoveryPointChoice(RecoveryPointKind.LATEST_MULTI_VM_PROCESSED), points) == "/rp/crash-multi"
    )
    assert (
        resolve(RecoveryPointChoice(RecoveryPointKind.LATEST_MULTI_VM_APP_CONSISTENT), points)
        == "/rp/app-multi"
    )
    single = [p for p in points if not p.multi_vm]
    with pytest.raises(InvalidInput, match="no multi-VM sync recovery point"):
        resolve(RecoveryPointChoice(RecoveryPointKind.LATEST_MULTI_VM_PROCESSED), single)


async def test_only_items_of_a_multi_vm_group_list_multi_vm_sync_points(
    served: tuple[SimEngine, SiteEndpoint],
) -> None:
    engine, site = served
    engine.advance(3 * 3600)
    svc = sdk_service(site)
    try:
        grouped = {n for n, i in engine.items.items() if i.multi_vm_group}
        assert grouped
        seen: dict[bool, set[bool]] = {True: set(), False: set()}
        for item in await svc.protected_items():
            if item.protection_state != "Protected":
                continue
            points = await svc.recovery_points(item.id)
            seen[item.name in grouped].update(p.multi_vm for p in points)
        assert seen[True] == {True, False}  # only some of a group's points are sync points
        assert seen[False] == {False}
    finally:
        await svc.close()


async def test_events_are_read_with_asrs_filter_fields(served: tuple[SimEngine, SiteEndpoint]) -> None:
    engine, site = served
    svc = sdk_service(site)
    client = client_for(site)
    try:
        item = next(i for i in await svc.protected_items() if "TestFailover" in i.allowed_operations)
        job = await svc.test_failover(item.id, RecoveryPointChoice(), engine.scope.network_id("vnet-dr-test"))
        await settle(engine, svc, job.id)
        since = datetime(2000, 1, 1, tzinfo=UTC)
        events = await svc.events(since=since)
        assert any(e.message.startswith("TestFailover") for e in events)
        rv = (site.resource_group, site.vault)
        named = [
            e
            async for e in client.replication_events.list(
                *rv, filter=f"AffectedObjectFriendlyName eq '{item.display_name}' and Severity eq 'OK'"
            )
        ]
        names = {e.properties.affected_object_friendly_name if e.properties else None for e in named}
        assert names == {item.display_name}
        with pytest.raises(HttpResponseError, match="not an event filter field"):
            [
                e
                async for e in client.replication_events.list(
                    *rv, filter="TimeOfOccurrence ge '2026-01-01T00:00:00Z'"
                )
            ]
    finally:
        await client.close()
        await svc.close()


def test_failback_body_is_refused_for_an_item_not_replicating_to_vmware() -> None:
    item = ProtectedItem(
        id="/i",
        name="i",
        friendly_name="vm",
        provider=Provider.INMAGE_RCM,
        provider_name="InMageRcm",
        allowed_operations=("PlannedFailover",),
    )
    with pytest.raises(InvalidInput, match="re-protect it first"):
        inputs.failback_body(inputs.ItemRequest(item, "", OperationInputs()))
    item = dataclasses.replace(item, allowed_operations=("ReverseReplicate",))
    with pytest.raises(InvalidInput, match="choose a datastore"):
        inputs.reprotect_body(
            inputs.ItemRequest(item, "", OperationInputs(reprotect=ReprotectTarget(agent_id="a")))
        )
