"""The bulk reads (protected items, protectable items, jobs) send their own GETs through the SDK's
pipeline and convert wire JSON directly: they must yield exactly what the SDK's own pager and models
yield, and fail the same way — an SDK upgrade that changes the operations' paths or API version fails
here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from azure.mgmt.recoveryservicessiterecovery.aio import SiteRecoveryManagementClient

from asr_console.model.errors import AuthError, NotFound, Unreachable
from asr_console.model.records import ProtectedItem
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.faults import Fault
from asr_console.sources import azure_wire as wire
from asr_console.sources.azure import AzureRecoveryService
from asr_console.sources.azure_auth import StaticTokenCredential
from tests.arm_site import sdk_service


def service(site: SiteEndpoint, vault: str = "") -> AzureRecoveryService:
    return sdk_service(site, vault=vault or site.vault)


@pytest.fixture
async def site() -> AsyncIterator[tuple[SimEngine, SiteEndpoint]]:
    engine = make_demo_site(vms=90, protected=70, seed=5, speed=0.0, provider="mixed", history_jobs=45)
    async with serve_site(engine, page_size=16, lro_retry_after=0) as endpoint:
        yield engine, endpoint


async def test_bulk_reads_equal_the_sdk_pager_and_models(site: tuple[SimEngine, SiteEndpoint]) -> None:
    engine, endpoint = site
    svc = service(endpoint)
    client = SiteRecoveryManagementClient(
        StaticTokenCredential("t"),
        endpoint.subscription,
        base_url=endpoint.arm_endpoint,
        connection_verify=endpoint.ca_bundle,
    )
    rv = (endpoint.resource_group, endpoint.vault)
    try:
        before = endpoint.site.requests
        items = await svc.protected_items()
        assert endpoint.site.requests - before == -(-len(engine.list_protected_items()) // 16)
        pager = client.replication_protected_items.list(*rv)
        by_sdk = [wire.protected_item(i.as_dict()) async for i in pager]
        assert len(items) == 70 and items == by_sdk
        jobs = await svc.jobs()
        assert len(jobs) >= 45
        assert jobs == [wire.job(j.as_dict()) async for j in client.replication_jobs.list(*rv)]
        protectable = await svc.protectable_items()
        by_sdk_protectable = []
        async for container in client.replication_protection_containers.list(*rv):
            fabric = wire.segment(container.id or "", "replicationFabrics")
            pages = client.replication_protectable_items.list_by_replication_protection_containers(
                *rv, fabric, container.name or ""
            )
            by_sdk_protectable += [wire.protectable_item(p.as_dict()) async for p in pages]
        # configuration servers' containers list their protectable items; an appliance's lists none,
        # its machines come from the Azure Migrate site instead
        listed = [p for p in protectable if "/replicationProtectableItems/" in p.id]
        assert listed and listed == by_sdk_protectable
        assert any("/Microsoft.OffAzure/VMwareSites/" in p.id for p in protectable)
        # the service-side filter is sent the way the SDK sends it and the answer converts the same
        since = max(j.start for j in jobs if j.start is not None) - timedelta(hours=2)
        recent = await svc.jobs(since=since)
        assert 0 < len(recent) < len(jobs)
        assert all(j.running or (j.start is not None and j.start >= since) for j in recent)
    finally:
        await svc.close()
        await client.close()


async def test_bulk_reads_retry_and_fail_like_the_sdk(site: tuple[SimEngine, SiteEndpoint]) -> None:
    engine, endpoint = site
    faults = endpoint.site.faults
    svc = service(endpoint)
    try:
        faults.queue(Fault.THROTTLE, 2)
        faults.queue(Fault.UNAVAILABLE)
        assert len(await svc.protected_items()) == 70  # retried mid-paging, nothing lost or doubled
        assert faults.injected["429"] == 2 and faults.injected["503"] == 1
        faults.queue(Fault.DROP, 10)
        with pytest.raises(Unreachable):
            await svc.jobs()
        faults.clear()
        faults.reject_tokens = True
        with pytest.raises(AuthError):
            await svc.protected_items()
        faults.reject_tokens = False
        assert len(await svc.jobs()) == len(engine.list_jobs())
    finally:
        await svc.close()
    missing = service(endpoint, vault="no-such-vault")
    try:
        with pytest.raises(NotFound):
            await missing.protected_items()
    finally:
        await missing.close()


async def test_item_pages_arrive_one_request_at_a_time_and_add_up_to_the_list(
    site: tuple[SimEngine, SiteEndpoint],
) -> None:
    _engine, endpoint = site
    svc = service(endpoint)
    try:
        pages: list[int] = []
        collected: list[ProtectedItem] = []
        before = endpoint.site.requests
        async for page in svc.protected_item_pages():
            # each page is handed over as soon as its request is answered, before the next is sent
            assert endpoint.site.requests - before == len(pages) + 1
            pages.append(len(page))
            collected.extend(page)
        assert pages == [16, 16, 16, 16, 6]
        assert collected == await svc.protected_items()
        # one item by itself (the console follows its own operations' items so), as the list has it
        assert await svc.protected_item(collected[17].id) == collected[17]
        with pytest.raises(NotFound):
            await svc.protected_item(collected[17].id.replace(collected[17].name, "no-such-item"))
    finally:
        await svc.close()


async def test_item_pages_fail_as_the_list_does(site: tuple[SimEngine, SiteEndpoint]) -> None:
    _engine, endpoint = site
    svc = service(endpoint, vault="missing-vault")
    try:
        with pytest.raises(NotFound):
            async for _page in svc.protected_item_pages():
                pass
    finally:
        await svc.close()
