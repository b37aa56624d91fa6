"""One-shot reads of both back ends into a store, for the planning commands (``capacity``, ``doctor``).

Each read is bounded by the command's deadline; the store then answers the same questions the panes
ask of the live one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from asr_console.commands.deadline import Deadline
from asr_console.model.privileges import PrivilegeReport
from asr_console.model.protocols import VCenterInfo
from asr_console.model.records import Kind
from asr_console.model.store import Batch, Store

if TYPE_CHECKING:
    from asr_console.model.protocols import InventorySource, RecoveryService


async def read_vcenter(
    inventory: InventorySource, deadline: Deadline, store: Store, *, privileges: bool = False
) -> tuple[VCenterInfo, list[PrivilegeReport] | None]:
    """The inventory (one pass where the source offers it), churn and, if asked, the account's privileges."""
    info = await deadline.within(inventory.connect(), "vCenter to log in")
    snapshot = getattr(inventory, "snapshot", None)  # the real vCenter's one-pass read
    first = snapshot() if snapshot is not None else inventory.changes(0)
    store.apply(await deadline.within(first, "vCenter's inventory"))
    churn = await deadline.within(inventory.churn(), "vCenter's performance data")
    batch = Batch()
    batch.replace(Kind.CHURN, churn)
    store.apply(batch)
    reports = None
    if privileges:
        reports = await deadline.within(inventory.check_privileges(), "the vCenter account's privileges")
    return info, reports


async def read_vault(
    service: RecoveryService, deadline: Deadline, store: Store, *, discovered: bool = False
) -> None:
    """The vault, its infrastructure, policies and protected items (and with ``discovered`` the
    machines its appliances discovered)."""
    vault, items, policies, infra = await asyncio.gather(
        deadline.within(service.vault(), "the vault"),
        deadline.within(service.protected_items(), "the protected items"),
        deadline.within(service.policies(), "the replication policies"),
        deadline.within(service.infrastructure(), "the vault's infrastructure"),
    )
    if discovered:
        machines = await deadline.within(service.protectable_items(), "the discovered machines")
        store.apply(Batch().replace(Kind.PROTECTABLE, machines))
    batch = Batch()
    batch.upsert(vault)
    batch.replace(Kind.PROTECTED_ITEM, items)
    batch.replace(Kind.POLICY, policies)
    batch.replace(Kind.FABRIC, infra.fabrics)
    batch.replace(Kind.PROCESS_SERVER, infra.process_servers)
    batch.replace(Kind.VCENTER, infra.vcenters)
    batch.replace(Kind.CONTAINER, infra.containers)
    batch.replace(Kind.MAPPING, infra.mappings)
    store.apply(batch)
