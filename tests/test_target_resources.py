"""The target pickers' reads: resource groups, networks, storage accounts and VM sizes, read through the
official management clients from the simulated site's ARM face."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.network.aio import NetworkManagementClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.storage.aio import StorageManagementClient

from asr_console.model.targets import Unresolved, VirtualNetwork, resolve
from asr_console.sim import make_demo_site
from asr_console.sim.arm_server import serve_site
from asr_console.sources.azure_auth import StaticTokenCredential
from tests.arm_site import on_site


async def test_the_service_lists_what_a_replication_can_target() -> None:
    engine = make_demo_site(vms=12, protected=4, seed=3, speed=0.0)
    scope = engine.scope
    async with on_site(engine) as service:
        groups = await service.resource_groups()
        networks = await service.virtual_networks()
        storage = await service.storage_accounts()
        items = await service.protected_items()
        sizes = await service.target_compute_sizes(items[0].id)
    assert not groups.dropped and not networks.dropped and not storage.dropped
    assert {g.name for g in groups} >= {scope.resource_group, "rg-dr-recovery"}
    recovery = resolve("rg-dr-recovery", groups, "resource group")
    assert recovery.id == scope.resource_group_id("rg-dr-recovery")
    assert recovery.location == scope.location

    prod = resolve("vnet-dr-weu", networks, "virtual network")
    assert prod.id == scope.network_id("vnet-dr-weu") and prod.resource_group == "rg-dr-network"
    assert [s.name for s in prod.subnets] == ["snet-app", "snet-db", "snet-web"]
    assert prod.subnets[0].address_prefix == "10.10.1.0/24"
    assert prod.address_prefixes == ("10.10.0.0/16",)
    assert {n.name for n in networks} == {"vnet-dr-weu", "vnet-dr-test", "vnet-dr-test-isolated"}

    by_name = {a.name: a for a in storage}
    assert by_name["stasrcacheweu01"].location == scope.location
    assert by_name["stasrcacheweu01"].sku == "Standard_LRS" and by_name["stasrcacheweu01"].kind == "StorageV2"
    assert by_name["stasrcacheneu01"].location != scope.location  # another region: not a cache choice
    assert by_name["stasrcacheweu01"].id == scope.storage_id("stasrcacheweu01")

    assert "Standard_D2s_v3" in {s.name for s in sizes}
    d4 = next(s for s in sizes if s.name == "Standard_D4s_v3")
    assert (d4.cores, d4.memory_gb, d4.errors) == (4, 16.0, ())


async def test_the_official_clients_read_single_resources_and_ask_for_missing_ones() -> None:
    engine = make_demo_site(vms=4, protected=1, seed=3, speed=0.0)
    async with serve_site(engine, lro_retry_after=0) as site:
        options: dict[str, Any] = {
            "base_url": site.arm_endpoint,
            "connection_verify": site.ca_bundle,
            "retry_total": 0,
        }
        credential = StaticTokenCredential("t")
        async with (
            ResourceManagementClient(credential, site.subscription, **options) as resources,
            NetworkManagementClient(credential, site.subscription, **options) as network,
            StorageManagementClient(credential, site.subscription, **options) as storage,
        ):
            group = await resources.resource_groups.get("rg-dr-recovery")
            assert group.location == engine.scope.location
            net = await network.virtual_networks.get("rg-dr-network", "vnet-dr-test")
            assert net.subnets is not None and [s.name for s in net.subnets] == ["snet-test"]
            in_group = [n.name async for n in network.virtual_networks.list("rg-dr-network")]
            assert len(in_group) == 3
            account = await storage.storage_accounts.get_properties("rg-dr-storage", "stasrcacheweu01")
            assert account.sku is not None and account.sku.name == "Standard_LRS"
            by_group = [a.name async for a in storage.storage_accounts.list_by_resource_group("rg-dr-neu")]
            assert by_group == ["stasrcacheneu01"]
            with pytest.raises(ResourceNotFoundError):
                await network.virtual_networks.get("rg-dr-network", "vnet-nowhere")
            with pytest.raises(ResourceNotFoundError):
                await resources.resource_groups.get("rg-nowhere")


def test_a_name_resolves_only_when_it_names_one() -> None:
    nets = [
        VirtualNetwork(
            id="/subscriptions/s/resourceGroups/a/providers/Microsoft.Network/virtualNetworks/v", name="v"
        ),
        VirtualNetwork(
            id="/subscriptions/s/resourceGroups/b/providers/Microsoft.Network/virtualNetworks/v", name="v"
        ),
        VirtualNetwork(
            id="/subscriptions/s/resourceGroups/b/providers/Microsoft.Network/virtualNetworks/w", name="w"
        ),
    ]
    assert resolve("W", nets, "network") is nets[2]
    assert resolve(nets[1].id.upper(), nets, "network") is nets[1]
    with pytest.raises(Unresolved, match="2 networks are named v"):
        resolve("v", nets, "network")
    with pytest.raises(Unresolved, match="no network is named x"):
        resolve("x", nets, "network")
