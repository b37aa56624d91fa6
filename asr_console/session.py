"""One console session's core objects, built the same way for the TUI, the demo and the tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from asr_console.actions import Actions
from asr_console.audit import AuditLog
from asr_console.config import Settings, log_dir
from asr_console.model.intervals import Intervals
from asr_console.model.protocols import InventorySource, RecoveryService
from asr_console.model.store import Store
from asr_console.sync.engine import SyncEngine
from asr_console.sync.followed import FollowedItems
from asr_console.sync.streams import build_engine


@dataclass(slots=True)
class Session:
    settings: Settings
    store: Store
    # None when the caller fills the store itself (the UI tests' fixed site): nothing polls.
    engine: SyncEngine | None
    actions: Actions
    service: RecoveryService
    inventory: InventorySource | None
    # What "now" is for ages on screen: the wall clock, or the simulated site's faster clock.
    clock: Callable[[], datetime] | None = None

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.stop()
        self.actions.close()
        with contextlib.suppress(Exception):
            await self.service.close()
        if self.inventory is not None:
            with contextlib.suppress(Exception):
                await self.inventory.close()


def audit_log(settings: Settings) -> AuditLog:
    return AuditLog(log_dir() / "audit.log", profile=settings.profile or "default")


def build_session(
    settings: Settings,
    service: RecoveryService,
    inventory: InventorySource | None,
    *,
    intervals: Intervals | None = None,
    audit: AuditLog | None = None,
) -> Session:
    store = Store()
    followed = FollowedItems()
    engine = build_engine(store, service, inventory, intervals or settings.intervals, followed)
    actions = Actions(
        service,
        store,
        engine=engine,
        followed=followed,
        audit=audit if audit is not None else audit_log(settings),
        read_only=settings.read_only,
    )
    return Session(settings, store, engine, actions, service, inventory)
