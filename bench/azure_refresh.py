"""Full refresh of 5,000 protected items and 1,000 jobs through AzureRecoveryService (the unmodified
SDK's request builders and pipeline, wire JSON converted to records) against the simulated site, beside
plain aiohttp fetching and parsing the same pages (the floor).

Goal: requests = pages, time ≤ 1.5× the floor. Run: .venv/bin/python bench/azure_refresh.py
"""

from __future__ import annotations

import asyncio
import json
import ssl
import statistics
import time
from typing import Any

import aiohttp

from asr_console.sim import make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.ids import API_VERSION
from asr_console.sources.azure import AzureRecoveryService
from asr_console.sources.azure_auth import StaticTokenCredential

ITEMS = 5000
JOBS = 1000
PAGE = 100
ROUNDS = 5


async def floor(site: SiteEndpoint, session: aiohttp.ClientSession) -> tuple[int, int]:
    """Follow nextLink with plain aiohttp and parse each page's JSON: no models, no conversion."""
    base = f"{site.arm_endpoint}/subscriptions/{site.subscription}/resourceGroups/{site.resource_group}"
    base += f"/providers/Microsoft.RecoveryServices/vaults/{site.vault}"
    pages = values = 0
    for collection in ("replicationProtectedItems", "replicationJobs"):
        url: str | None = f"{base}/{collection}?api-version={API_VERSION}"
        while url:
            async with session.get(url, headers={"Authorization": "Bearer t"}) as response:
                body: dict[str, Any] = json.loads(await response.read())
            pages += 1
            values += len(body["value"])
            url = body.get("nextLink")
    return pages, values


async def main() -> None:
    engine = make_demo_site(
        vms=ITEMS, protected=ITEMS, seed=3, speed=0.0, provider="mixed", history_jobs=JOBS
    )
    async with serve_site(engine, page_size=PAGE) as site:
        service = AzureRecoveryService(
            subscription=site.subscription,
            resource_group=site.resource_group,
            vault=site.vault,
            credential=StaticTokenCredential("t"),
            arm_endpoint=site.arm_endpoint,
            ca_bundle=site.ca_bundle,
        )
        context = ssl.create_default_context(cafile=site.ca_bundle)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
            sdk_times, floor_times = [], []
            requests = pages = 0
            await floor(site, session)  # warm both paths (TLS session, imports)
            await service.protected_items()
            for _ in range(ROUNDS):
                start = time.perf_counter()
                pages, values = await floor(site, session)
                floor_times.append(time.perf_counter() - start)
                before = site.site.requests
                start = time.perf_counter()
                items = await service.protected_items()
                jobs = await service.jobs()
                sdk_times.append(time.perf_counter() - start)
                requests = site.site.requests - before
                assert len(items) == ITEMS and len(jobs) == JOBS and values == ITEMS + JOBS
        await service.close()
    sdk, low = statistics.median(sdk_times), statistics.median(floor_times)
    print(f"azure refresh: {ITEMS} items + {JOBS} jobs, page size {PAGE}, median of {ROUNDS}")
    print(f"  pages                     {pages}")
    print(f"  SDK + convert requests    {requests}  ({'=' if requests == pages else '!='} pages)")
    print(f"  plain aiohttp (floor)     {low:.3f} s")
    print(f"  AzureRecoveryService      {sdk:.3f} s")
    print(f"  ratio                     {sdk / low:.2f}x  (goal <= 1.5x)")


if __name__ == "__main__":
    asyncio.run(main())
