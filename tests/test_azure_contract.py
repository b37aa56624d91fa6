"""Contract: the unmodified SDK client and ``AzureRecoveryService`` against the simulated site's ARM face."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.recoveryservicessiterecovery import models as m
from azure.mgmt.recoveryservicessiterecovery.aio import SiteRecoveryManagementClient

from asr_console.model.errors import AuthError, NotFound, OperationRejected, Unreachable
from asr_console.model.records import Provider
from asr_console.model.specs import InvalidInput, PolicySpec, RecoveryPointChoice, RecoveryPointKind
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.faults import Fault
from asr_console.sources.azure import AzureRecoveryService
from asr_console.sources.azure_auth import StaticTokenCredential
from tests.arm_site import reprotect_target, sdk_service


async def settle(engine: SimEngine, svc: AzureRecoveryService, job_id: str) -> str:
    name = job_id.rsplit("/", 1)[-1]
    assert engine.run_until(lambda: engine.get_job(name)["properties"]["state"] != "InProgress")
    return (await svc.job(job_id)).state


async def test_reads_match_the_site_item_for_item(frozen: tuple[SimEngine, SiteEndpoint]) -> None:
    engine, site = frozen
    svc = sdk_service(site)
    try:
        items = await svc.protected_items()
        wire = {i["id"]: i["properties"] for i in engine.list_protected_items()}
        assert {i.id for i in items} == set(wire)  # 50 items over 3 pages of 20
        for item in items:
            props = wire[item.id]
            assert item.replication_health.value == props["replicationHealth"]
            assert item.protection_state == props["protectionState"]
            assert item.allowed_operations == tuple(props["allowedOperations"])
            assert [e.code for e in item.health_errors] == [e["errorCode"] for e in props["healthErrors"]]
            details = props["providerSpecificDetails"]
            assert item.rpo_seconds == details.get("lastRpoInSeconds", details.get("rpoInSeconds"))
        vault = await svc.vault()
        assert vault.name == site.vault and vault.id == engine.scope.vault_id
        infra = await svc.infrastructure()
        assert len(infra.fabrics) == 2 and len(infra.process_servers) == 2
        assert len(await svc.protectable_items()) == 160
        assert len(await svc.policies()) == len(engine.policies)
        assert len(await svc.jobs()) == len(engine.jobs)
        assert len(await svc.recovery_plans()) == 2
        point_owner = next(i for i in items if i.protection_state == "Protected")
        assert len(await svc.recovery_points(point_owner.id)) == len(
            engine.list_recovery_points(*[point_owner.id.split("/")[i] for i in (-5, -3, -1)])
        )
        assert await svc.events() == []  # a fresh site has no events yet
    finally:
        await svc.close()


async def test_writes_through_the_sdk_follow_the_state_machines(
    frozen: tuple[SimEngine, SiteEndpoint],
) -> None:
    engine, site = frozen
    svc = sdk_service(site)
    try:
        items = await svc.protected_items()
        rcm = next(
            i for i in items if i.provider is Provider.INMAGE_RCM and "TestFailover" in i.allowed_operations
        )
        job = await svc.test_failover(
            rcm.id,
            RecoveryPointChoice(RecoveryPointKind.LATEST_APP_CONSISTENT),
            engine.scope.network_id("vnet-dr-test"),
        )
        # real jobs name the item by its friendly name; their targetObjectId is ASR's own, not the ARM id
        assert job.scenario == "TestFailover" and job.target_object_name == rcm.display_name
        assert job.target_object_id and job.target_object_id != rcm.id
        assert await settle(engine, svc, job.id) == "Succeeded"
        assert await settle(engine, svc, (await svc.test_failover_cleanup(rcm.id, "ok")).id) == "Succeeded"
        classic = next(
            i
            for i in items
            if i.provider is Provider.INMAGE_AZURE_V2 and "UnplannedFailover" in i.allowed_operations
        )
        with pytest.raises(InvalidInput):
            await svc.unplanned_failover(classic.id, RecoveryPointChoice(), shutdown_source=True)
        job = await svc.unplanned_failover(classic.id, RecoveryPointChoice(), shutdown_source=False)
        assert await settle(engine, svc, job.id) == "Succeeded"
        points = await svc.recovery_points(classic.id)
        assert (
            await settle(engine, svc, (await svc.change_recovery_point(classic.id, points[-1].id)).id)
            == "Succeeded"
        )
        assert await settle(engine, svc, (await svc.commit_failover(classic.id)).id) == "Succeeded"
        target = await reprotect_target(svc, classic)
        assert await settle(engine, svc, (await svc.reprotect(classic.id, target)).id) == "Succeeded"
        spec = PolicySpec(
            name="p-sdk",
            provider=Provider.INMAGE_RCM,
            recovery_point_history_minutes=1440,
            app_consistent_frequency_minutes=120,
        )
        assert await settle(engine, svc, (await svc.create_policy(spec)).id) == "Succeeded"
        policy = next(p for p in await svc.policies() if p.name == "p-sdk")
        assert await settle(engine, svc, (await svc.delete_policy(policy.id)).id) == "Succeeded"
        running = await svc.disable_replication(rcm.id)
        cancelled = await svc.cancel_job(running.id)
        assert cancelled.state == "Cancelled"
        restarted = await svc.restart_job(running.id)
        assert restarted.running and restarted.name != running.name  # a restarted job is a new job
        with pytest.raises(NotFound):
            await svc.job(engine.scope.job_id("no-such-job"))
    finally:
        await svc.close()


async def test_server_side_validation_answers_400_with_field_errors(
    frozen: tuple[SimEngine, SiteEndpoint],
) -> None:
    _, site = frozen
    client = SiteRecoveryManagementClient(
        StaticTokenCredential("t"),
        site.subscription,
        base_url=site.arm_endpoint,
        connection_verify=site.ca_bundle,
    )
    svc = sdk_service(site)
    try:
        bad = {
            "properties": {
                "providerSpecificInput": {
                    "instanceType": "InMageRcm",
                    "recoveryPointHistoryInMinutes": 99999,
                    "appConsistentFrequencyInMinutes": 0,
                    "crashConsistentFrequencyInMinutes": 5,
                    "enableMultiVmSync": "false",
                }
            }
        }
        with pytest.raises(Exception) as caught:
            await client.replication_policies.begin_create(site.resource_group, site.vault, "bad", bad)
        from asr_console.sources.azure import translate

        error = translate(caught.value)
        assert isinstance(error, OperationRejected) and error.code == "InvalidInput"
        assert "properties.providerSpecificInput.recoveryPointHistoryInMinutes" in str(error)
    finally:
        await client.close()
        await svc.close()


async def test_unmodified_sdk_polls_lros_to_completion() -> None:
    engine = make_demo_site(vms=20, protected=10, seed=4, speed=2000.0, provider="inmagercm")
    async with serve_site(engine, lro_retry_after=0) as site:
        client = SiteRecoveryManagementClient(
            StaticTokenCredential("t"),
            site.subscription,
            base_url=site.arm_endpoint,
            connection_verify=site.ca_bundle,
            polling_interval=0.05,
        )
        try:
            rg, vault = site.resource_group, site.vault
            # the SDK types every field Optional; the simulated site fills the ones read here
            listed: list[Any] = [i async for i in client.replication_protected_items.list(rg, vault)]
            item = next(i for i in listed if "TestFailover" in (i.properties.allowed_operations or []))
            parts = item.id.split("/")
            fabric, container = parts[-5], parts[-3]
            poller = await client.replication_protected_items.begin_test_failover(
                rg,
                vault,
                fabric,
                container,
                item.name,
                m.TestFailoverInput(
                    properties=m.TestFailoverInputProperties(
                        network_id=engine.scope.network_id("vnet-dr-test"),
                        provider_specific_details=m.InMageRcmTestFailoverInput(
                            network_id=engine.scope.network_id("vnet-dr-test")
                        ),
                    )
                ),
            )
            result = await asyncio.wait_for(poller.result(), 30)
            assert isinstance(result, m.ReplicationProtectedItem) and result.properties is not None
            assert result.properties.test_failover_state == "WaitingForCompletion"
            policy = await (
                await client.replication_policies.begin_create(
                    rg,
                    vault,
                    "lro-policy",
                    m.CreatePolicyInput(
                        properties=m.CreatePolicyInputProperties(
                            provider_specific_input=m.InMageRcmPolicyCreationInput(
                                recovery_point_history_in_minutes=720,
                                crash_consistent_frequency_in_minutes=5,
                                app_consistent_frequency_in_minutes=60,
                                enable_multi_vm_sync="false",
                            )
                        )
                    ),
                )
            ).result()
            assert isinstance(policy, m.Policy) and policy.name == "lro-policy"
            await (await client.replication_policies.begin_delete(rg, vault, "lro-policy")).result()
            assert "lro-policy" not in engine.policies
        finally:
            await client.close()


async def test_paging_5000_items_one_request_per_page() -> None:
    engine = make_demo_site(vms=5000, protected=5000, seed=2, speed=0.0, provider="inmagercm", history_jobs=0)
    async with serve_site(engine, page_size=100) as site:
        svc = sdk_service(site)
        try:
            before = site.site.requests
            items = await svc.protected_items()
            assert len(items) == 5000 and len({i.id for i in items}) == 5000
            assert site.site.requests - before == 50
        finally:
            await svc.close()


async def test_faults_retry_or_surface_as_source_errors(frozen: tuple[SimEngine, SiteEndpoint]) -> None:
    engine, site = frozen
    faults = site.site.faults
    svc = sdk_service(site)
    try:
        faults.queue(Fault.THROTTLE, 2)
        assert (await svc.vault()).name == site.vault  # retried after Retry-After
        assert faults.injected["429"] == 2
        faults.queue(Fault.SERVER_ERROR)
        faults.queue(Fault.UNAVAILABLE)
        assert len(await svc.policies()) == len(engine.policies)
        faults.queue(Fault.DROP, 10)
        with pytest.raises(Unreachable):
            await svc.vault()
        faults.clear()
        faults.reject_tokens = True
        with pytest.raises(AuthError):
            await svc.vault()
        faults.reject_tokens = False
        assert (await svc.vault()).name == site.vault  # and nothing is left broken
    finally:
        await svc.close()


async def test_unknown_vault_and_bad_api_version(frozen: tuple[SimEngine, SiteEndpoint]) -> None:
    _, site = frozen
    svc = sdk_service(site, vault="nope")
    client = SiteRecoveryManagementClient(
        StaticTokenCredential("t"),
        site.subscription,
        base_url=site.arm_endpoint,
        connection_verify=site.ca_bundle,
        api_version="2023-08-01",
    )
    try:
        with pytest.raises(NotFound):
            await svc.vault()
        with pytest.raises(Exception) as caught:
            await client.replication_vault_health.get(site.resource_group, site.vault)
        assert getattr(caught.value, "status_code", None) == 400
    finally:
        await svc.close()
        await client.close()


async def test_one_protectable_item_through_the_sdk_equals_its_list_entry(
    frozen: tuple[SimEngine, SiteEndpoint],
) -> None:
    engine, site = frozen
    # a configuration server's container: an appliance's (modernized) lists none
    fabric = next(f for f in engine.fabrics.values() if f.provider == "InMageAzureV2")
    listed = engine.list_protectable_items(fabric.name, fabric.container)[7]
    client = SiteRecoveryManagementClient(
        StaticTokenCredential("t"),
        site.subscription,
        base_url=site.arm_endpoint,
        connection_verify=site.ca_bundle,
    )
    args = (site.resource_group, site.vault, fabric.name, fabric.container)
    try:
        got = await client.replication_protectable_items.get(*args, listed["name"].upper())
        assert got.as_dict() == m.ProtectableItem(listed).as_dict()
        with pytest.raises(ResourceNotFoundError):
            await client.replication_protectable_items.get(*args, "no-such-machine")
    finally:
        await client.close()
