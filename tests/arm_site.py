"""The Azure source on a simulated ARM site, as every test that reads or writes ASR builds it.

A pytest plugin (``conftest.pytest_plugins``) for the ``frozen`` fixture: a small mixed site, clock stopped,
served over HTTPS with short pages; ``on_site`` serves any engine the same way for one block.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from asr_console.model.operations import ReprotectTarget
from asr_console.model.records import ProtectedItem
from asr_console.model.reprotect import ReprotectWanted, resolve_reprotect
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.faults import Faults
from asr_console.sources.azure import AzureRecoveryService
from asr_console.sources.azure_auth import StaticTokenCredential


def sdk_service(
    site: SiteEndpoint, service_class: type[AzureRecoveryService] = AzureRecoveryService, **options: Any
) -> AzureRecoveryService:
    """The unmodified SDK client on the site; quick LRO polls, few retries, Retry-After capped at 1 s."""
    settings: dict[str, Any] = {
        "vault": site.vault,
        "polling_interval": 0.05,
        "retry_total": 3,
        "max_retry_after": 1.0,
        **options,
    }
    return service_class(
        subscription=site.subscription,
        resource_group=site.resource_group,
        credential=StaticTokenCredential("any-token"),
        arm_endpoint=site.arm_endpoint,
        ca_bundle=site.ca_bundle,
        **settings,
    )


@pytest.fixture
async def frozen() -> AsyncIterator[tuple[SimEngine, SiteEndpoint]]:
    engine = make_demo_site(vms=80, protected=50, seed=21, speed=0.0, provider="mixed")
    async with serve_site(engine, page_size=20, lro_retry_after=0) as site:
        yield engine, site


@contextlib.asynccontextmanager
async def on_site(
    engine: SimEngine,
    *,
    page_size: int = 100,
    service_class: type[AzureRecoveryService] = AzureRecoveryService,
    faults: Faults | None = None,
    **options: Any,
) -> AsyncIterator[AzureRecoveryService]:
    """The Azure source on ``engine``'s ARM face: the site served over HTTPS (with ``faults``, if
    given), the unmodified SDK on it."""
    async with serve_site(engine, page_size=page_size, lro_retry_after=0, faults=faults) as site:
        service = sdk_service(site, service_class=service_class, **options)
        try:
            yield service
        finally:
            await service.close()


async def reprotect_target(svc: AzureRecoveryService, item: ProtectedItem) -> ReprotectTarget:
    """The item's re-protect inputs by default: the fabric's first agent/master target and datastore."""
    infra = await svc.infrastructure()
    fabric = next(f for f in infra.fabrics if f.id.lower() == item.fabric_id.lower())
    plan = resolve_reprotect(
        item, fabric, infra.process_servers, list(await svc.policies()), ReprotectWanted()
    )
    assert plan.problems == []
    return plan.target
