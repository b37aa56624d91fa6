"""One console session's core objects, built the same way for the TUI, the demo and the tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asr_console.actions import Actions
from asr_console.audit import AuditLog
from asr_console.config import Settings, log_dir
from asr_console.model.intervals import Intervals
from asr_console.model.privileges import PrivilegeReport
from asr_console.model.protocols import InventorySource, RecoveryService
from asr_console.model.store import Store
from asr_console.sync.engine import SyncEngine
from asr_console.sync.followed import FollowedItems
from asr_console.sync.streams import build_engine

log = logging.getLogger(__name__)

# Seconds closing a session may take in all. Quitting must not wait on a back end that stopped
# answering: whatever has not finished by then is left to the daemon threads and dropped at exit.
CLOSE_GRACE = 1.0


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
    # The file this process logs to while the console owns the terminal (shown in help), if any.
    log_file: Path | None = None

    async def check_privileges(self) -> list[PrivilegeReport] | None:
        """The vCenter account's privileges for ASR, per datacenter; None without a vCenter."""
        if self.inventory is None:
            return None
        return await self.inventory.check_privileges()

    async def close(self, grace: float = CLOSE_GRACE) -> None:
        """Stop polling and close both back ends, within ``grace`` seconds whatever they are doing."""
        loop = asyncio.get_running_loop()
        ends = loop.time() + grace
        if self.engine is not None:
            await _bounded(self.engine.stop(grace / 2), ends, "stopping the sync engine")
        self.actions.close()
        # the two back ends are independent: one that does not answer must not use up the other's time
        closing = [_bounded(self.service.close(), ends, "closing the Azure client")]
        if self.inventory is not None:
            closing.append(_bounded(self.inventory.close(), ends, "logging out of vCenter"))
        await asyncio.gather(*closing)


async def _bounded(step: Awaitable[None], ends: float, what: str) -> None:
    try:
        async with asyncio.timeout_at(ends):
            await step
    except TimeoutError:
        log.warning("%s did not finish in time; left behind", what)
    except Exception as exc:  # closing is best effort: a back end already gone is not an error
        log.info("%s failed: %s", what, exc)


def root_log_file() -> Path | None:
    """The file the root logger writes to, if any (the console's log while it owns the terminal)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


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
    return Session(settings, store, engine, actions, service, inventory, log_file=root_log_file())
