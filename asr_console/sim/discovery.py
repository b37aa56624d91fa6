"""The simulated appliance's discovery: the site's vCenter side read from a real vCenter (or vcsim).

A configuration server or replication appliance discovers the VMs of the vCenter it is registered
with and lists them as protectable items. Here the same happens through an ``InventorySource``
(``VCenterInventory`` on pyvmomi): the first full read becomes the site's estate (``make_demo_site(...,
estate_from=...)``), then every change the source reports is folded into a ``Store`` and the engine
adopts the result (``SimEngine.adopt_inventory``), so VMs that appear become protectable and VMs that
go stop replicating.

    async with discovered_site(VCenterInventory(url, user, password), protected=10, ...) as engine:
        async with serve_site(engine) as endpoint: ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from asr_console.model.errors import SourceError, TimedOut
from asr_console.model.protocols import InventorySource
from asr_console.model.records import Kind, Record
from asr_console.model.store import Store
from asr_console.sim.engine import SimEngine, make_demo_site
from asr_console.sim.estate import INVENTORY_KINDS

log = logging.getLogger(__name__)


class Discovery:
    """Follows one ``InventorySource`` and keeps a site's estate equal to it."""

    def __init__(self, source: InventorySource, *, max_wait: float = 5.0, retry: float = 5.0) -> None:
        self.source = source
        self.max_wait = max_wait
        self.retry = retry
        self.store = Store()
        self.error = ""  # why the last read failed, "" while the source answers

    def inventory(self) -> dict[Kind, list[Record]]:
        return {kind: list(self.store.values(kind)) for kind in INVENTORY_KINDS}

    async def initial(self, timeout: float = 300.0) -> dict[Kind, list[Record]]:
        """Connect and read the whole inventory (with disks and NICs, when the source reads them)."""
        try:
            async with asyncio.timeout(timeout):
                await self.source.connect()
                self.store.apply(await self.source.changes(0))
                while not self.source.synced:
                    self.store.apply(await self.source.changes(0))
        except TimeoutError:
            raise TimedOut(
                f"{self.source.name}: the inventory did not finish loading in {timeout:g} s"
            ) from None
        return self.inventory()

    async def follow(self, engine: SimEngine) -> None:
        """Apply the source's changes to ``engine`` until cancelled; a failing source is retried."""
        while True:
            try:
                batch = await self.source.changes(self.max_wait)
            except SourceError as exc:
                if str(exc) != self.error:
                    log.warning("discovery: %s unavailable: %s", self.source.name, exc)
                self.error = str(exc)
                await asyncio.sleep(self.retry)
                continue
            if self.error:
                log.info("discovery: %s answers again", self.source.name)
                self.error = ""
            if batch and self.store.apply(batch):
                appeared, went = engine.adopt_inventory(self.inventory())
                if appeared or went:
                    log.info("discovery: %d VMs appeared, %d went", appeared, went)


@contextlib.asynccontextmanager
async def discovered_site(
    source: InventorySource, *, timeout: float = 300.0, max_wait: float = 5.0, **site: Any
) -> AsyncIterator[SimEngine]:
    """A simulated site whose estate is ``source``'s vCenter, followed while the context is open.

    ``site`` takes ``make_demo_site``'s keywords (``protected``, ``seed``, ``speed``, ``provider``, …);
    ``vms`` is whatever the vCenter holds. The source is closed on exit.
    """
    discovery = Discovery(source, max_wait=max_wait)
    try:
        inventory = await discovery.initial(timeout)
        site.pop("vms", None)
        engine = make_demo_site(**site, estate_from=inventory)
        follower = asyncio.create_task(discovery.follow(engine), name="sim-discovery")
        try:
            yield engine
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
    finally:
        await source.close()
