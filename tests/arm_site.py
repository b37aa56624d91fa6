"""The Azure source on a simulated ARM site, as the contract and bulk-read tests build it."""

from __future__ import annotations

from typing import Any

from asr_console.sim.arm_server import SiteEndpoint
from asr_console.sources.azure import AzureRecoveryService
from asr_console.sources.azure_auth import StaticTokenCredential


def sdk_service(site: SiteEndpoint, **options: Any) -> AzureRecoveryService:
    """The unmodified SDK client on the site; quick LRO polls, few retries, Retry-After capped at 1 s."""
    settings: dict[str, Any] = {
        "vault": site.vault,
        "polling_interval": 0.05,
        "retry_total": 3,
        "max_retry_after": 1.0,
        **options,
    }
    return AzureRecoveryService(
        subscription=site.subscription,
        resource_group=site.resource_group,
        credential=StaticTokenCredential("any-token"),
        arm_endpoint=site.arm_endpoint,
        ca_bundle=site.ca_bundle,
        **settings,
    )
