"""Prepare Azure's creates on the simulated site, driven by the official management clients
(``azure-mgmt-resource``, ``-network``, ``-storage``) as they would drive ARM: resource groups, virtual
networks (LRO with Azure-AsyncOperation) and storage accounts (LRO with Location) appear in later reads,
and bodies ARM refuses are refused with its status and error code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.network import models as net_models
from azure.mgmt.network.aio import NetworkManagementClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.storage import models as storage_models
from azure.mgmt.storage.aio import StorageManagementClient

from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sources.azure_auth import StaticTokenCredential


class Clients:
    def __init__(self, site: SiteEndpoint) -> None:
        options: dict[str, Any] = {
            "base_url": site.arm_endpoint,
            "connection_verify": site.ca_bundle,
            "polling_interval": 0,
            "retry_total": 0,
        }
        credential = StaticTokenCredential("any-token")
        self.resource = ResourceManagementClient(credential, site.subscription, **options)
        self.network = NetworkManagementClient(credential, site.subscription, **options)
        self.storage = StorageManagementClient(credential, site.subscription, **options)

    async def close(self) -> None:
        for client in (self.resource, self.network, self.storage):
            await client.close()


@pytest.fixture
async def clients() -> AsyncIterator[tuple[SimEngine, Clients]]:
    engine = make_demo_site(vms=10, protected=2, seed=5, speed=0.0, provider="inmagercm")
    async with serve_site(engine, lro_retry_after=0) as site:
        made = Clients(site)
        try:
            yield engine, made
        finally:
            await made.close()


def vnet_body(prefix: str = "10.77.0.0/16", subnet: str = "10.77.0.0/24", **extra: Any) -> dict[str, Any]:
    return {
        "location": "westeurope",
        "properties": {
            "addressSpace": {"addressPrefixes": [prefix]},
            "subnets": [{"name": "snet-new", "properties": {"addressPrefix": subnet}}],
        },
        **extra,
    }


async def error_of(call: Any) -> tuple[int, str]:
    with pytest.raises(HttpResponseError) as raised:
        await call
    error = raised.value.error
    return raised.value.status_code or 0, (error.code or "") if error else ""


def vnet(body: dict[str, Any]) -> net_models.VirtualNetwork:
    return net_models.VirtualNetwork(body)


def account(body: dict[str, Any]) -> storage_models.StorageAccountCreateParameters:
    return storage_models.StorageAccountCreateParameters(body)


def name_check(name: str) -> storage_models.StorageAccountCheckNameAvailabilityParameters:
    return storage_models.StorageAccountCheckNameAvailabilityParameters({"name": name})


async def test_a_created_resource_group_is_listed_and_read(clients: tuple[SimEngine, Clients]) -> None:
    _, c = clients
    created = await c.resource.resource_groups.create_or_update("rg-new-dr", {"location": "West Europe"})
    assert (created.name, created.location) == ("rg-new-dr", "westeurope")
    assert "rg-new-dr" in [g.name async for g in c.resource.resource_groups.list()]
    again = await c.resource.resource_groups.get("rg-new-dr")
    assert again.id == created.id


async def test_resource_group_rejections(clients: tuple[SimEngine, Clients]) -> None:
    _, c = clients
    groups = c.resource.resource_groups
    assert await error_of(groups.create_or_update("rg-x", {"location": "atlantis"})) == (
        400,
        "LocationNotAvailableForResourceGroup",
    )
    assert await error_of(groups.create_or_update("rg-bad!", {"location": "westeurope"})) == (
        400,
        "InvalidResourceGroupName",
    )
    # an existing group keeps its region
    assert await error_of(groups.create_or_update("rg-dr-neu", {"location": "westeurope"})) == (
        409,
        "InvalidResourceGroupLocation",
    )


async def test_a_created_network_is_awaited_and_then_listed(clients: tuple[SimEngine, Clients]) -> None:
    engine, c = clients
    poller = await c.network.virtual_networks.begin_create_or_update(
        "rg-dr-network", "vnet-new", vnet(vnet_body())
    )
    net = await poller.result()
    assert net.provisioning_state == "Succeeded"
    assert [s.name for s in net.subnets or []] == ["snet-new"]
    listed = [n.name async for n in c.network.virtual_networks.list_all()]
    assert "vnet-new" in listed
    assert any(n.name == "vnet-new" for n in engine.state.targets.networks)


@pytest.mark.parametrize(
    ("group", "body", "expected"),
    [
        ("rg-dr-network", vnet_body(subnet="10.78.0.0/24"), (400, "NetcfgSubnetRangeOutsideVnet")),
        ("rg-dr-network", vnet_body(prefix="10.77.0.0/33"), (400, "InvalidAddressPrefixFormat")),
        ("rg-dr-network", {**vnet_body(), "location": "mars"}, (400, "LocationNotAvailableForResourceType")),
        ("rg-missing", vnet_body(), (404, "ResourceGroupNotFound")),
        # the planted role on the recovery group cannot write networks
        ("rg-dr-recovery", vnet_body(), (403, "AuthorizationFailed")),
    ],
)
async def test_network_rejections(
    clients: tuple[SimEngine, Clients], group: str, body: dict[str, Any], expected: tuple[int, str]
) -> None:
    engine, c = clients
    before = list(engine.state.targets.networks)
    networks = c.network.virtual_networks
    assert await error_of(networks.begin_create_or_update(group, "vnet-new", vnet(body))) == expected
    assert engine.state.targets.networks == before


async def test_a_created_storage_account_is_awaited_and_then_listed(
    clients: tuple[SimEngine, Clients],
) -> None:
    _, c = clients
    body = {"location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}
    accounts = c.storage.storage_accounts
    assert (await accounts.check_name_availability(name_check("stnewcache01"))).name_available
    poller = await accounts.begin_create("rg-dr-storage", "stnewcache01", account(body))
    created = await poller.result()
    assert (created.name, created.kind) == ("stnewcache01", "StorageV2")
    assert created.sku is not None and created.sku.name == "Standard_LRS"
    assert "stnewcache01" in [a.name async for a in c.storage.storage_accounts.list()]
    taken = await c.storage.storage_accounts.check_name_availability(name_check("stnewcache01"))
    assert (taken.name_available, taken.reason) == (False, "AlreadyExists")


@pytest.mark.parametrize(
    ("group", "name", "body", "expected"),
    [
        ("rg-dr-storage", "Bad_Name", {}, (400, "AccountNameInvalid")),
        ("rg-dr-storage", "ab", {}, (400, "AccountNameInvalid")),
        ("rg-dr-storage", "stok01", {"location": "nowhere"}, (400, "LocationNotValid")),
        ("rg-dr-storage", "stok01", {"sku": None}, (400, "InvalidValuesForRequestParameters")),
        ("rg-dr-storage", "stok01", {"kind": None}, (400, "InvalidValuesForRequestParameters")),
        ("rg-dr-storage", "stok01", {"sku": {"name": "Gold_LRS"}}, (400, "InvalidAccountType")),
        # globally unique: another subscription holds it
        ("rg-dr-storage", "asrcache", {}, (409, "StorageAccountAlreadyTaken")),
        ("rg-missing", "stok01", {}, (404, "ResourceGroupNotFound")),
        ("rg-dr-recovery", "stok01", {}, (403, "AuthorizationFailed")),
    ],
)
async def test_storage_rejections(
    clients: tuple[SimEngine, Clients], group: str, name: str, body: dict[str, Any], expected: tuple[int, str]
) -> None:
    engine, c = clients
    full = {"location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", **body}
    sent = {k: v for k, v in full.items() if v is not None}
    before = list(engine.state.targets.storage)
    assert await error_of(c.storage.storage_accounts.begin_create(group, name, account(sent))) == expected
    assert engine.state.targets.storage == before
