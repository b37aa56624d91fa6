"""The appliance's components on the simulated site, read by the unmodified SDK and by the console's
Azure source: every kind ASR lists is served with mixed health, typed by the SDK's models, and becomes
an immutable record on its fabric; classic servers report their SSL certificate's expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from azure.mgmt.recoveryservicessiterecovery import models as m
from azure.mgmt.recoveryservicessiterecovery.aio import SiteRecoveryManagementClient

from asr_console.model.records import ComponentKind, FabricKind, Health
from asr_console.sim import make_demo_site
from asr_console.sim.arm_server import serve_site
from asr_console.sources.azure_auth import StaticTokenCredential
from tests.arm_site import sdk_service

LISTS: dict[str, type[Any]] = {
    "rcm_proxies": m.RcmProxyDetails,
    "push_installers": m.PushInstallerDetails,
    "replication_agents": m.ReplicationAgentDetails,
    "reprotect_agents": m.ReprotectAgentDetails,
    "mars_agents": m.MarsAgentDetails,
    "dras": m.DraDetails,
}


async def test_the_sdk_reads_every_component_kind_with_mixed_health() -> None:
    engine = make_demo_site(vms=30, protected=10, seed=5, speed=0.0, provider="mixed")
    async with serve_site(engine, lro_retry_after=0) as site:
        client = SiteRecoveryManagementClient(
            StaticTokenCredential("t"),
            site.subscription,
            base_url=site.arm_endpoint,
            connection_verify=site.ca_bundle,
            retry_total=0,
        )
        try:
            fabric = await client.replication_fabrics.get(site.resource_group, site.vault, "appliance-weu-01")
            server = await client.replication_fabrics.get(site.resource_group, site.vault, "config-server-01")
        finally:
            await client.close()
    assert fabric.properties is not None and server.properties is not None
    details = fabric.properties.custom_details
    assert isinstance(details, m.InMageRcmFabricSpecificDetails)
    healths: set[str] = set()
    for attr, model in LISTS.items():
        listed = getattr(details, attr)
        assert listed, f"{attr} is empty"
        part: Any
        for part in listed:
            assert isinstance(part, model)
            assert part.id and part.name and part.version and part.last_heartbeat_utc is not None
            healths.add(part.health)  # a ProtectionHealth, equal to its wire string
    assert {"Normal", "Warning", "Critical"} <= healths
    (pusher,) = [p for p in details.push_installers or [] if p.health == "Warning"]
    assert pusher.health_errors and pusher.health_errors[0].recommended_action
    classic = server.properties.custom_details
    assert isinstance(classic, m.VMwareDetails)
    assert classic.ssl_cert_expiry_remaining_days is not None and classic.ssl_cert_expiry_remaining_days < 30
    assert classic.ssl_cert_expiry_date is not None


async def test_the_source_turns_them_into_records_that_age_as_the_site_runs() -> None:
    engine = make_demo_site(vms=30, protected=10, seed=5, speed=0.0, provider="mixed")
    async with serve_site(engine, lro_retry_after=0) as site:
        service = sdk_service(site)
        try:
            before = await service.infrastructure()
            engine.advance(600)
            after = await service.infrastructure()
        finally:
            await service.close()
    (appliance,) = [f for f in after.fabrics if f.kind is FabricKind.APPLIANCE]
    (server,) = [f for f in after.fabrics if f.kind is FabricKind.CONFIGURATION_SERVER]
    kinds = {c.kind for c in appliance.components}
    assert kinds == set(ComponentKind)
    assert all(c.fabric_id == appliance.id for c in appliance.components)
    assert len({c.key for c in appliance.components}) == len(appliance.components)
    by = {(c.kind, c.name): c for c in appliance.components}
    pusher = by[ComponentKind.PUSH_INSTALLER, "asr-appliance-01"]
    mars = by[ComponentKind.MARS_AGENT, "asr-appliance-01"]
    assert pusher.health is Health.WARNING and pusher.health_errors
    assert mars.health is Health.CRITICAL and mars.health_errors[0].recommended_action
    assert (
        by[ComponentKind.REPLICATION_AGENT, "asr-appliance-02"].version
        < by[ComponentKind.REPLICATION_AGENT, "asr-appliance-01"].version
    )
    # the stalled push installer stays silent while the healthy ones keep beating
    assert appliance.last_heartbeat is not None and pusher.last_heartbeat is not None
    assert appliance.last_heartbeat - pusher.last_heartbeat > timedelta(minutes=30)
    (old,) = [f for f in before.fabrics if f.kind is FabricKind.APPLIANCE]
    old_by = {(c.kind, c.name): c for c in old.components}
    assert old_by[ComponentKind.PUSH_INSTALLER, "asr-appliance-01"].last_heartbeat == pusher.last_heartbeat
    proxy = by[ComponentKind.RCM_PROXY, "asr-appliance-01"]
    old_proxy = old_by[ComponentKind.RCM_PROXY, "asr-appliance-01"]
    assert proxy.last_heartbeat is not None and old_proxy.last_heartbeat is not None
    assert proxy.last_heartbeat > old_proxy.last_heartbeat
    # the configuration server's certificate: a date, within the doctor's 30 days
    assert server.cert_expiry is not None and server.last_heartbeat is not None
    assert timedelta(0) < server.cert_expiry - server.last_heartbeat < timedelta(days=30)
    assert not appliance.cert_expiry  # the appliance's details report none


def test_a_seed_gives_the_same_fabrics() -> None:
    def bodies() -> list[dict[str, Any]]:
        return make_demo_site(vms=20, protected=5, seed=9, speed=0.0, provider="mixed").list_fabrics()

    first = bodies()
    assert first == bodies()
    assert all(f["properties"]["customDetails"] for f in first)
