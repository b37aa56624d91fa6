"""The standard streams: what to read from each back end and how it lands in the store."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from asr_console.model.errors import NotFound
from asr_console.model.intervals import Intervals
from asr_console.model.listed import Listed
from asr_console.model.protocols import InventorySource, PagedProtectedItems, RecoveryService
from asr_console.model.records import (
    Event,
    Job,
    Kind,
    ProcessServer,
    ProtectedItem,
    Record,
)
from asr_console.model.store import Batch, Store
from asr_console.sync.engine import StreamSpec, SyncEngine
from asr_console.sync.followed import FollowedItems

# How far back the jobs and events panes look; ASR keeps jobs for 30 days.
JOB_WINDOW = timedelta(days=3)
EVENT_LIMIT = 2000


# back ends: the status bar shows the stalest stream of each
ASR = "asr"
VCENTER = "vcenter"
# stream names: each keeps its own freshness in the store
ITEMS = "asr-items"
JOBS = "asr-jobs"
INFRA = "asr-infra"
ASR_EVENTS = "asr-events"
FOLLOWED = "asr-followed"
DISCOVERY = "asr-discovery"
VCENTER_INVENTORY = "vcenter-inventory"
VCENTER_EVENTS = "vcenter-events"
CHURN = "vcenter-churn"
# Seconds one read may take before its stream is stale (a back end that accepts and never answers).
POLL_DEADLINE = 60.0
# Protected items and the inventory fill the first screen; everything else starts this much later.
STAGGER = 1.0
# During a first load, pages after the first reach the store at most this often: each apply repaints
# the tables, and 50 repaints of a growing table would cost more than they show.
FIRST_LOAD_APPLY_EVERY = 0.5


def asr_streams(
    service: RecoveryService, intervals: Intervals, store: Store, followed: FollowedItems | None = None
) -> list[StreamSpec]:
    async def items() -> Batch:
        if store.count(Kind.PROTECTED_ITEM) == 0 and isinstance(service, PagedProtectedItems):
            return await _first_load(service, store)
        return Batch().replace(Kind.PROTECTED_ITEM, await service.protected_items())

    async def jobs() -> Batch:
        since = datetime.now(UTC) - JOB_WINDOW
        listed = await service.jobs(since=since)
        return Batch().replace(Kind.JOB, listed)

    async def infra() -> Batch:
        vault = await service.vault()
        infra = await service.infrastructure()
        policies = await service.policies()
        plans = await service.recovery_plans()
        dropped = frozenset(infra.dropped)

        def read(records: Iterable[Record]) -> Listed[Record]:
            return Listed(records, infra.dropped)

        def of_read_fabric(old: Record) -> bool:
            # an unreadable fabric's process servers are not listed either: they keep their rows
            return not isinstance(old, ProcessServer) or old.fabric_id not in dropped

        return (
            Batch()
            .replace(Kind.VAULT, [vault])
            .replace(Kind.FABRIC, read(infra.fabrics))
            .replace(Kind.PROCESS_SERVER, read(infra.process_servers), of_read_fabric)
            .replace(Kind.VCENTER, read(infra.vcenters))
            .replace(Kind.CONTAINER, read(infra.containers))
            .replace(Kind.MAPPING, read(infra.mappings))
            .replace(Kind.POLICY, policies)
            .replace(Kind.RECOVERY_PLAN, plans)
        )

    async def discovery() -> Batch:
        return Batch().replace(Kind.PROTECTABLE, await service.protectable_items())

    def running(job_id: str) -> bool | None:
        job = store.typed(Job, job_id)
        return None if job is None else job.running

    async def followed_items() -> Batch | None:
        if not followed:
            return None
        batch = Batch()
        read: list[tuple[str, bool]] = []
        for item_id, final in followed.due(running):
            try:
                batch.upsert(await service.protected_item(item_id))
            except NotFound:
                batch.remove(Kind.PROTECTED_ITEM, item_id)  # replication disabled
                final = True
            read.append((item_id, final))
        # only once every read succeeded: a throttled poll is retried whole, final reads included
        for item_id, final in read:
            followed.read(item_id, final=final)
        return batch

    last_event: list[datetime | None] = [None]

    async def events() -> Batch:
        listed = await service.events(since=last_event[0])
        if listed:
            last_event[0] = max(e.time for e in listed)
        return Batch().upsert(*listed).unread(listed.dropped).extend(_trim_events(store, listed))

    return [
        # A large vault nearly always has some job running; re-reading thousands of items every few
        # seconds for that would spend the subscription's shared ARM read budget (25/s refill). The
        # jobs stream follows any job closely; the list goes fast only after this console's own writes
        # (within its read budget), and the items those writes change are read one by one.
        StreamSpec(
            ITEMS,
            ASR,
            items,
            intervals.items,
            intervals.items_fast,
            fast_on_any_job=False,
            floor=lambda: store.count(Kind.PROTECTED_ITEM) * 60.0 / max(1.0, intervals.items_per_minute),
            # a write's own items are followed one by one; Actions kicks the list for writes that add
            # or remove items
            kicked_by_writes=False,
            deadline=lambda: _list_deadline(store.count(Kind.PROTECTED_ITEM)),
        ),
        StreamSpec(JOBS, ASR, jobs, intervals.jobs, intervals.jobs_fast, initial_delay=STAGGER),
        StreamSpec(INFRA, ASR, infra, intervals.infra, intervals.infra_fast, initial_delay=2 * STAGGER),
        StreamSpec(ASR_EVENTS, ASR, events, intervals.events, initial_delay=2 * STAGGER),
        StreamSpec(FOLLOWED, ASR, followed_items, intervals.items_fast),
        # Protectable items only matter to enabling replication.
        StreamSpec(
            DISCOVERY,
            ASR,
            discovery,
            intervals.discovery,
            initial_delay=3 * STAGGER,
            fast_on_any_job=False,
            kicked_by_writes=False,  # Actions kicks it when an enable or disable job ends
            deadline=lambda: _list_deadline(store.count(Kind.PROTECTABLE)),
        ),
    ]


def inventory_streams(inventory: InventorySource, intervals: Intervals, store: Store) -> list[StreamSpec]:
    async def changes() -> Batch:
        return await inventory.changes(intervals.inventory_wait)

    async def events() -> Batch:
        listed = await inventory.events()
        return Batch().upsert(*listed).extend(_trim_events(store, listed))

    async def churn() -> Batch:
        return Batch().upsert(*await inventory.churn())

    return [
        # a long poll: vCenter holds it up to inventory_wait before it even starts to answer
        StreamSpec(
            VCENTER_INVENTORY,
            VCENTER,
            changes,
            0.0,
            initial_delay=0.5 * STAGGER,
            deadline=intervals.inventory_wait + POLL_DEADLINE / 2,
        ),
        StreamSpec(VCENTER_EVENTS, VCENTER, events, intervals.events, initial_delay=2 * STAGGER),
        StreamSpec(CHURN, VCENTER, churn, intervals.churn, initial_delay=2 * STAGGER),
    ]


def _list_deadline(count: int) -> float:
    """A whole list read: the usual deadline, and two seconds more per page of 100 it has to read."""
    return POLL_DEADLINE + 2.0 * (count // 100)


async def _first_load(service: PagedProtectedItems, store: Store) -> Batch:
    """Protected items into an empty store page by page, so the first rows show after one page.

    The returned batch still replaces the whole kind, as every later poll does: an item removed while
    the pages were read is dropped there.
    """
    listed: list[ProtectedItem] = []
    dropped: list[str] = []
    pending: list[ProtectedItem] = []
    applied_at: float | None = None
    async for page in service.protected_item_pages():
        listed.extend(page)
        dropped.extend(page.dropped)
        pending.extend(page)
        now = time.monotonic()
        if pending and (applied_at is None or now - applied_at >= FIRST_LOAD_APPLY_EVERY):
            store.apply(Batch().upsert(*pending))
            pending = []
            applied_at = now
    return Batch().replace(Kind.PROTECTED_ITEM, Listed(listed, dropped))


def _trim_events(store: Store, incoming: list[Event]) -> Batch:
    """Keep the activity stream bounded: drop the oldest beyond EVENT_LIMIT."""
    total = store.count(Kind.EVENT) + len(incoming)
    batch = Batch()
    if total <= EVENT_LIMIT:
        return batch
    existing = sorted(store.all(Event), key=lambda e: e.time)
    for event in existing[: total - EVENT_LIMIT]:
        batch.remove(Kind.EVENT, event.id)
    return batch


def build_engine(
    store: Store,
    service: RecoveryService | None,
    inventory: InventorySource | None,
    intervals: Intervals | None = None,
    followed: FollowedItems | None = None,
) -> SyncEngine:
    intervals = intervals or Intervals()
    engine = SyncEngine(store)
    if service is not None:
        for spec in asr_streams(service, intervals, store, followed):
            engine.add(spec)
    if inventory is not None:
        for spec in inventory_streams(inventory, intervals, store):
            engine.add(spec)
    return engine


__all__ = [
    "ASR",
    "ASR_EVENTS",
    "CHURN",
    "DISCOVERY",
    "FOLLOWED",
    "INFRA",
    "ITEMS",
    "JOBS",
    "VCENTER",
    "VCENTER_EVENTS",
    "VCENTER_INVENTORY",
    "Intervals",
    "asr_streams",
    "build_engine",
    "inventory_streams",
]
