"""Failover and test networks of protected items: read from the SDK's models (both VMware providers) and
served by the simulated site, where a test failover records the network it ran in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.recoveryservicessiterecovery import models as m

from asr_console.model.records import ProtectedItem, Provider
from asr_console.model.specs import RecoveryPointChoice
from asr_console.sim import SimEngine
from asr_console.sim.arm_server import SiteEndpoint
from asr_console.sources import azure_wire as wire
from tests.arm_site import sdk_service
from tests.test_azure_contract import settle

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "asr-examples"
VNETS = "/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks"
RG = "/subscriptions/s/resourceGroups/rg-dr-recovery"


def example(name: str) -> m.ReplicationProtectedItem:
    if not (EXAMPLES / name).is_file():
        pytest.skip("official examples not present")
    body = json.loads((EXAMPLES / name).read_text())["responses"]["200"]["body"]
    return m.ReplicationProtectedItem(body)


def both_ways(model: m.ReplicationProtectedItem) -> list[ProtectedItem]:
    """The converter on the model's wire JSON, as a single read hands it over (``as_dict()``)."""
    return [wire.protected_item(model.as_dict())]


@pytest.mark.parametrize(
    ("example_name", "provider", "attributes"),
    [
        (
            "ReplicationProtectedItems_UpdateAppliance.json",
            Provider.INMAGE_RCM,
            ("target_network_id", "test_network_id", "target_resource_group_id"),
        ),
        (
            "ReplicationProtectedItems_ReinstallMobilityService.json",
            Provider.INMAGE_AZURE_V2,
            (
                "selected_recovery_azure_network_id",
                "selected_tfo_azure_network_id",
                "recovery_azure_resource_group_id",
            ),
        ),
    ],
)
def test_converters_read_the_networks_the_sdk_models_carry(
    example_name: str, provider: Provider, attributes: tuple[str, str, str]
) -> None:
    model = example(example_name)
    for item in both_ways(model):  # the official examples carry no networks: empty, no crash
        assert item.provider is provider
        assert (item.recovery_network_id, item.test_network_id, item.recovery_resource_group_id) == (
            "",
            "",
            "",
        )
    assert model.properties is not None
    details: Any = model.properties.provider_specific_details
    # set through the SDK's own attribute names, so the wire names are the SDK's, not ours
    failover, test, group = attributes
    setattr(details, failover, f"{VNETS}/vnet-dr-prod")
    setattr(details, test, f"{VNETS}/vnet-dr-test")
    setattr(details, group, RG)
    for item in both_ways(model):
        assert item.recovery_network_id == f"{VNETS}/vnet-dr-prod"
        assert item.test_network_id == f"{VNETS}/vnet-dr-test"
        assert item.recovery_resource_group_id == RG


async def test_simulated_site_serves_networks_and_records_the_test_network(
    frozen: tuple[SimEngine, SiteEndpoint],
) -> None:
    engine, site = frozen
    svc = sdk_service(site)
    try:
        items = await svc.protected_items()
        failover_net = engine.scope.network_id("vnet-dr-weu")
        assert {i.provider for i in items} == {Provider.INMAGE_RCM, Provider.INMAGE_AZURE_V2}
        assert {i.recovery_network_id for i in items} == {failover_net}
        assert {i.recovery_resource_group_id for i in items} == {
            engine.scope.resource_group_id("rg-dr-recovery")
        }
        tested = {i.test_network_id for i in items if i.test_network_id}
        assert tested and failover_net not in tested  # earlier tests ran in isolated networks
        # each into a network the site's subscription has (ASR refuses one that does not exist)
        for provider, test_net in (
            (Provider.INMAGE_RCM, "vnet-dr-test"),
            (Provider.INMAGE_AZURE_V2, "vnet-dr-test-isolated"),
        ):
            chosen = next(
                i
                for i in items
                if i.provider is provider and "TestFailover" in i.allowed_operations and not i.test_network_id
            )
            network = engine.scope.network_id(test_net)
            job = await svc.test_failover(chosen.id, RecoveryPointChoice(), network)
            assert await settle(engine, svc, job.id) == "Succeeded"
            after = next(i for i in await svc.protected_items() if i.id == chosen.id)
            assert after.test_network_id == network and after.recovery_network_id == failover_net
            job = await svc.test_failover_cleanup(chosen.id, "ok")
            assert await settle(engine, svc, job.id) == "Succeeded"
            after = next(i for i in await svc.protected_items() if i.id == chosen.id)
            assert after.test_network_id == network  # the last test's network stays on the item
    finally:
        await svc.close()
