"""Opening the embedded simulated site as a console session (``demo``; tests and benches reuse it).

The ASR face is served over HTTPS on loopback and read through the unmodified SDK client, so the demo
exercises the same code path as a real vault. The vCenter side is the same engine's estate, or a real
vCenter (or vcsim) when ``--vcenter`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

from asr_console.config import Settings
from asr_console.model.protocols import InventorySource
from asr_console.session import Session, build_session


def inventory_for(args: argparse.Namespace, settings: Settings, site: Any) -> InventorySource:
    if settings.vcenter_url:
        from asr_console.sources.vmware import VCenterInventory

        return VCenterInventory(
            settings.vcenter_url,
            settings.vcenter_user,
            settings.vcenter_password(),
            insecure=settings.insecure,
        )
    from asr_console.sim.inventory import SimulatedInventory

    return SimulatedInventory(site)


@contextlib.asynccontextmanager
async def open_demo_site(args: argparse.Namespace, settings: Settings) -> AsyncIterator[Session]:
    from asr_console.commands.simulate import site_engine
    from asr_console.sim.arm_server import serve_site
    from asr_console.sources.azure import AzureRecoveryService
    from asr_console.sources.azure_auth import StaticTokenCredential

    # with --vcenter the site's appliance discovers its VMs from that vCenter (sim.discovery)
    async with site_engine(args, settings) as site, serve_site(site) as endpoint:
        settings = dataclasses.replace(
            settings,
            subscription=endpoint.subscription,
            resource_group=endpoint.resource_group,
            vault=endpoint.vault,
            arm_endpoint=endpoint.arm_endpoint,
            ca_bundle=endpoint.ca_bundle,
            auth="token",
        )
        settings = _demo_targets(settings)
        service = AzureRecoveryService(
            subscription=endpoint.subscription,
            resource_group=endpoint.resource_group,
            vault=endpoint.vault,
            # The simulated ARM accepts any bearer token; a static one keeps azure-identity out of it.
            credential=StaticTokenCredential("simulated-site"),
            arm_endpoint=endpoint.arm_endpoint,
            ca_bundle=endpoint.ca_bundle,
            polling_interval=0.5,
        )
        inventory = inventory_for(args, settings, site)
        session = build_session(settings, service, inventory, intervals=settings.intervals.scaled(args.speed))
        session.clock = site.clock.now
        try:
            yield session
        finally:
            await session.close()


# The demo's planted missing target: the cache storage account the profile names does not exist yet, so
# the doctor fails its check and offers Prepare Azure (p in :doctor) to create it. It sits in the
# storage group, where the demo's caller may write (the recovery group's role may not create accounts);
# enable and re-protect pick their cache account from what exists, so nothing else depends on it.
DEMO_MISSING_CACHE = "stasrcachedemo01"


# the demo's network plan unless the profile has one: the web, app and database port groups land in
# their own subnets (web and app with a test network), management and "VM Network" stay unmapped so the
# :network view and enable show both cases
DEMO_NETWORK_MAP = {
    "dvPG-Web-110": {
        "network": "vnet-dr-weu",
        "subnet": "snet-web",
        "test_network": "vnet-dr-test",
        "test_subnet": "snet-test",
    },
    "dvPG-App-120": {
        "network": "vnet-dr-weu",
        "subnet": "snet-app",
        "test_network": "vnet-dr-test",
        "test_subnet": "snet-test",
    },
    "dvPG-DB-130": {"network": "vnet-dr-weu", "subnet": "snet-db"},
}


def _demo_targets(settings: Settings) -> Settings:
    """The simulated subscription's recovery resource group and network as the profile's targets (what
    the doctor checks), a cache account still to create, and the demo's network plan, unless the profile
    names its own."""
    from asr_console.model.network_plan import parse_network_map
    from asr_console.sim.arm_resources import NETWORKS, RESOURCE_GROUPS, STORAGE

    missing_cache = (
        f"/subscriptions/{settings.subscription}/resourceGroups/{STORAGE[0].resource_group}"
        f"/providers/Microsoft.Storage/storageAccounts/{DEMO_MISSING_CACHE}"
    )
    return dataclasses.replace(
        settings,
        target_resource_group=settings.target_resource_group or RESOURCE_GROUPS[0][0],
        target_network=settings.target_network or NETWORKS[0].name,
        target_subnet=settings.target_subnet or NETWORKS[0].subnets[0][0],
        cache_storage=settings.cache_storage or missing_cache,
        network_map=settings.network_map or parse_network_map(DEMO_NETWORK_MAP),
    )
