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
from asr_console.model.doctor import TargetFact
from asr_console.model.errors import SourceError
from asr_console.model.intervals import Intervals
from asr_console.model.prepare import PrepareWanted
from asr_console.model.privileges import PrivilegeReport
from asr_console.model.protocols import InventorySource, RecoveryService
from asr_console.model.records import Vault
from asr_console.model.store import Store
from asr_console.model.targets import Permission, ResourceGroup
from asr_console.sync.engine import SyncEngine
from asr_console.sync.followed import FollowedItems
from asr_console.sync.streams import build_engine

log = logging.getLogger(__name__)
# how long the doctor's access read waits for the vault's first read (its id is the scope)
VAULT_WAIT = 60.0

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

    async def check_access(self) -> AccessFacts:
        """The Azure side's permissions, providers and the profile's targets (``read_access``), once
        the vault has been read (its ARM id is the permissions' scope)."""
        loop = asyncio.get_running_loop()
        ends = loop.time() + VAULT_WAIT
        while not (vaults := self.store.all(Vault)) and loop.time() < ends:
            await asyncio.sleep(0.25)  # the first infrastructure read is still on its way
        if not vaults:
            return AccessFacts(permissions_error="the vault has not been read yet")
        return await read_access(self.service, self.settings, vaults[0].id)

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


@dataclass(frozen=True)
class AccessFacts:
    """What the doctor checks of the Azure side beyond the vault: the caller's permissions, the
    resource providers, and the profile's targets."""

    permissions: dict[str, list[Permission]] | None = None
    permissions_error: str = ""
    providers: dict[str, str] | None = None
    providers_error: str = ""
    targets: tuple[TargetFact, ...] = ()


async def read_access(service: RecoveryService, settings: Settings, vault_id: str) -> AccessFacts:
    """The caller's permissions on the vault and the target resource group, the providers, and whether
    the profile's target resource group, network, subnet and cache storage account exist (a read that
    fails says why in its ``*_error``, and its checks are unknown)."""
    from asr_console.model.targets import Unresolved, resolve

    granted: dict[str, list[Permission]] = {}
    permissions: dict[str, list[Permission]] | None = granted
    permissions_error = ""
    groups = None
    try:
        granted["vault"] = await service.permissions(vault_id)
        if settings.target_resource_group:
            groups = list(await service.resource_groups())
            group = resolve(settings.target_resource_group, groups, "resource group")
            granted["target resource group"] = await service.permissions(group.id)
    except Unresolved:
        pass  # the target check below says the group does not exist
    except SourceError as exc:
        permissions, permissions_error = None, str(exc)
    providers: dict[str, str] | None = None
    providers_error = ""
    try:
        providers = await service.provider_states()
    except SourceError as exc:
        providers_error = str(exc)
    facts: list[TargetFact] = []
    try:
        facts = await _target_facts(service, settings, groups)
    except SourceError as exc:
        facts = [TargetFact("targets", "", found=True, problem=f"could not be read: {exc}")]
    return AccessFacts(permissions, permissions_error, providers, providers_error, tuple(facts))


def prepare_wanted(settings: Settings) -> PrepareWanted:
    """The profile's targets, as Prepare Azure names what it creates."""
    return PrepareWanted(
        resource_group=settings.target_resource_group,
        network=settings.target_network,
        subnet=settings.target_subnet,
        cache_storage=settings.cache_storage,
    )


async def target_facts(service: RecoveryService, settings: Settings) -> tuple[TargetFact, ...]:
    """Whether the profile's target resource group, network, subnet and cache account exist."""
    return tuple(await _target_facts(service, settings, None))


async def _target_facts(
    service: RecoveryService, settings: Settings, groups: list[ResourceGroup] | None
) -> list[TargetFact]:
    from asr_console.model.targets import Unresolved, resolve

    facts: list[TargetFact] = []
    if settings.target_resource_group:
        groups = groups if groups is not None else list(await service.resource_groups())
        try:
            group = resolve(settings.target_resource_group, groups, "resource group")
            facts.append(TargetFact("target resource group", group.name, True, group.location))
        except Unresolved:
            facts.append(TargetFact("target resource group", settings.target_resource_group, False))
    if settings.target_network:
        networks = list(await service.virtual_networks())
        try:
            net = resolve(settings.target_network, networks, "virtual network")
            facts.append(
                TargetFact("target network", net.name, True, net.location, ", ".join(net.address_prefixes))
            )
            if settings.target_subnet:
                subnet = next(
                    (s for s in net.subnets if s.name.lower() == settings.target_subnet.lower()), None
                )
                facts.append(
                    TargetFact(
                        "target subnet",
                        f"{net.name}/{settings.target_subnet}",
                        subnet is not None,
                        net.location,
                        subnet.address_prefix if subnet else "",
                    )
                )
        except Unresolved:
            facts.append(TargetFact("target network", settings.target_network, False))
    if settings.cache_storage:
        accounts = list(await service.storage_accounts())
        try:
            account = resolve(settings.cache_storage, accounts, "storage account")
            problem = ""
            if account.kind not in ("StorageV2", "Storage") or account.sku.startswith("Premium"):
                problem = (
                    f"a {account.sku} {account.kind} account: ASR's cache needs a Standard general-purpose "
                    "(StorageV2) account"
                )
            facts.append(
                TargetFact(
                    "cache storage account",
                    account.name,
                    True,
                    account.location,
                    f"{account.kind}, {account.sku}",
                    problem,
                )
            )
        except Unresolved:
            facts.append(TargetFact("cache storage account", settings.cache_storage, False))
    return facts
