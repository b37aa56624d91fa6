"""The simulated site as an independent contract: every write body must load into the SDK input model
the operation catalogue names (required fields present, no unknown key, discriminators followed) and
satisfy ASR's documented rules, or the site answers 400 naming the field; nothing changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservicessiterecovery import models as m
from azure.mgmt.recoveryservicessiterecovery.aio import SiteRecoveryManagementClient

from asr_console.model.operations import Operation
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import serve_site
from asr_console.sim.contract import fields_of, input_model, problems
from asr_console.sim.errors import Rejected
from asr_console.sources.azure_auth import StaticTokenCredential

Site = tuple[SimEngine, SiteRecoveryManagementClient, str, str]


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    engine = make_demo_site(vms=30, protected=10, seed=3, speed=0.0, provider="inmagercm")
    async with serve_site(engine, lro_retry_after=0) as endpoint:
        client = SiteRecoveryManagementClient(
            StaticTokenCredential("t"),
            endpoint.subscription,
            base_url=endpoint.arm_endpoint,
            connection_verify=endpoint.ca_bundle,
            retry_total=0,
        )
        try:
            yield engine, client, endpoint.resource_group, endpoint.vault
        finally:
            await client.close()


def unprotected_enable_body(engine: SimEngine) -> tuple[tuple[str, str, str], dict[str, Any]]:
    """A modernized enable of a machine the appliance's Azure Migrate site lists and no item protects."""
    fabric = next(iter(engine.fabrics.values()))
    protected = {i.instance_uuid for i in engine.items.values()}
    machine = next(
        m
        for m in (render() for render in engine.site_machines(fabric.site_name))
        if m["properties"]["instanceUuid"] not in protected
    )
    policy = next(mp.policy for mp in engine.mappings.values() if mp.fabric == fabric.name)
    body = {
        "properties": {
            "policyId": engine.scope.policy_id(policy),
            "providerSpecificDetails": {
                "instanceType": "InMageRcm",
                "fabricDiscoveryMachineId": machine["id"],
                "targetResourceGroupId": engine.scope.resource_group_id("rg-dr-recovery"),
                "processServerId": fabric.process_servers[0].id,
                "disksDefault": {
                    "logStorageAccountId": engine.scope.storage_id("stasrcacheweu01"),
                    "diskType": "Standard_LRS",
                },
            },
        }
    }
    return (fabric.name, fabric.container, machine["name"]), body


def refusal(caught: pytest.ExceptionInfo[HttpResponseError]) -> tuple[int, str, str]:
    error = caught.value.error
    assert error is not None
    return caught.value.status_code or 0, str(error.code), str(error.message)


async def test_a_body_missing_a_required_field_is_refused_naming_it(site: Site) -> None:
    engine, client, rg, vault = site
    path, body = unprotected_enable_body(engine)
    del body["properties"]["providerSpecificDetails"]["processServerId"]
    jobs, items = len(engine.jobs), len(engine.items)
    with pytest.raises(HttpResponseError) as caught:
        await client.replication_protected_items.begin_create(rg, vault, *path, body)
    status, code, message = refusal(caught)
    assert (status, code) == (400, "InvalidRequestContent")
    assert "properties.providerSpecificDetails.processServerId: is required" in message
    assert (len(engine.jobs), len(engine.items)) == (jobs, items)


async def test_a_body_with_an_unknown_key_is_refused_naming_it(site: Site) -> None:
    engine, client, rg, vault = site
    body = {
        "properties": {
            "providerSpecificInput": {
                "instanceType": "InMageRcm",
                "recoveryPointHistoryInMinutes": 1440,
                "appConsistentFrequencyInMinutes": 60,
                "retentionDays": 1,  # not a field of InMageRcmPolicyCreationInput
            }
        }
    }
    with pytest.raises(HttpResponseError) as caught:
        await client.replication_policies.begin_create(rg, vault, "p-unknown", body)
    status, code, message = refusal(caught)
    assert (status, code) == (400, "InvalidRequestContent")
    assert (
        "properties.providerSpecificInput.retentionDays: is not a field of InMageRcmPolicyCreationInput"
        in message
    )
    assert "p-unknown" not in engine.policies


async def test_a_valid_enable_passes_and_an_unknown_process_server_is_refused(site: Site) -> None:
    engine, client, rg, vault = site
    path, body = unprotected_enable_body(engine)
    body["properties"]["providerSpecificDetails"]["processServerId"] = "not-a-process-server"
    with pytest.raises(HttpResponseError) as caught:
        await client.replication_protected_items.begin_create(rg, vault, *path, body)
    status, code, message = refusal(caught)
    assert (status, code) == (400, "InvalidInput")
    assert "properties.providerSpecificDetails.processServerId" in message
    body["properties"]["providerSpecificDetails"]["processServerId"] = (
        engine.fabrics[path[0]].process_servers[0].id
    )
    await client.replication_protected_items.begin_create(rg, vault, *path, body)  # accepted: 202
    assert path[2] in engine.items


async def test_a_test_failover_into_a_network_the_subscription_lacks_is_refused(site: Site) -> None:
    engine, client, rg, vault = site
    item = next(
        i for i in engine.list_protected_items() if "TestFailover" in i["properties"]["allowedOperations"]
    )
    parts = item["id"].split("/")
    fabric = parts[parts.index("replicationFabrics") + 1]
    container = parts[parts.index("replicationProtectionContainers") + 1]

    def body(network: str) -> dict[str, Any]:
        details = {"instanceType": "InMageRcm", "networkId": network}
        return {"properties": {"failoverDirection": "PrimaryToRecovery", "providerSpecificDetails": details}}

    jobs = len(engine.jobs)
    missing = engine.scope.network_id("nosuchnet")
    with pytest.raises(HttpResponseError) as caught:
        await client.replication_protected_items.begin_test_failover(
            rg, vault, fabric, container, item["name"], body(missing)
        )
    status, code, message = refusal(caught)
    assert (status, code) == (400, "InvalidInput")
    assert (
        f"properties.providerSpecificDetails.networkId: virtual network {missing} does not exist" in message
    )
    assert len(engine.jobs) == jobs
    # the same write into a network the subscription has starts the job
    await client.replication_protected_items.begin_test_failover(
        rg, vault, fabric, container, item["name"], body(engine.scope.network_id("vnet-dr-test"))
    )
    assert len(engine.jobs) == jobs + 1


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"recoveryPointHistoryInMinutes": 21_601}, "recoveryPointHistoryInMinutes"),
        ({"appConsistentFrequencyInMinutes": 90}, "appConsistentFrequencyInMinutes"),
        ({"appConsistentFrequencyInMinutes": 780}, "appConsistentFrequencyInMinutes"),
        (
            {"recoveryPointHistoryInMinutes": 120, "appConsistentFrequencyInMinutes": 180},
            "appConsistentFrequencyInMinutes",
        ),
        (
            {"recoveryPointHistoryInMinutes": 0, "appConsistentFrequencyInMinutes": 60},
            "appConsistentFrequencyInMinutes",
        ),
        ({"crashConsistentFrequencyInMinutes": 10}, "crashConsistentFrequencyInMinutes"),
    ],
)
def test_policy_ranges_are_asrs_documented_ones(settings: dict[str, int], field: str) -> None:
    engine = make_demo_site(vms=5, protected=1, seed=1, speed=0.0)
    details: dict[str, Any] = {
        "instanceType": "InMageRcm",
        "recoveryPointHistoryInMinutes": 1440,
        "appConsistentFrequencyInMinutes": 60,
        "crashConsistentFrequencyInMinutes": 5,
    }
    details.update(settings)
    with pytest.raises(Rejected) as caught:
        engine.create_policy("p", {"properties": {"providerSpecificInput": details}})
    assert [e.field for e in caught.value.errors] == [f"properties.providerSpecificInput.{field}"]
    details.update({"recoveryPointHistoryInMinutes": 21_600, "appConsistentFrequencyInMinutes": 720})
    details["crashConsistentFrequencyInMinutes"] = 5
    assert engine.create_policy("p", {"properties": {"providerSpecificInput": details}})


def test_discriminators_pick_the_provider_model() -> None:
    body = {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcmX"}}}
    found = problems(m.TestFailoverInput, body)
    assert [p.field for p in found] == ["properties.providerSpecificDetails.instanceType"]
    assert "InMageRcm" in found[0].message
    # InMageAzureV2's test failover input has no networkId: the key is unknown there, not for InMageRcm
    rcm = {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "networkId": "n"}}}
    classic = {"properties": {"providerSpecificDetails": {"instanceType": "InMageAzureV2", "networkId": "n"}}}
    assert problems(m.TestFailoverInput, rcm) == []
    assert [p.field for p in problems(m.TestFailoverInput, classic)] == [
        "properties.providerSpecificDetails.networkId"
    ]
    disks = {"instanceType": "InMageRcm", "disksToInclude": [{"diskId": "d"}]}
    fields = [p.field for p in problems(m.EnableProtectionProviderSpecificInput, disks)]
    assert "disksToInclude[0].logStorageAccountId" in fields and "disksToInclude[0].diskType" in fields


def test_the_sdk_field_table_is_read() -> None:
    # Fails if an SDK upgrade moves the models' REST field table the contract is read from.
    fields = fields_of(m.InMageRcmEnableProtectionInput)
    required = {name for name, f in fields.items() if f.required and not f.discriminator}
    assert required == {"fabricDiscoveryMachineId", "targetResourceGroupId", "processServerId"}
    assert fields["disksDefault"].model is m.InMageRcmDisksDefaultInput
    assert fields["disksToInclude"].many and fields["disksToInclude"].model is m.InMageRcmDiskInput


def test_every_catalogued_input_model_exists_in_the_sdk() -> None:
    named = [op.spec.input_model for op in Operation if op.spec.input_model]
    assert named and all(fields_of(input_model(name)) for name in named)
