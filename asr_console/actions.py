"""Write actions, as the UI and scripts call them: read-only guard, audit, activity, fast follow-up.

Every write goes through here so none can skip the read-only check or the audit log. Input validation
happens in the service before anything is sent (``InvalidInput``); this layer records the outcome,
puts a console event in the activity stream and tells the sync engine to follow the job closely.

Audit before action: a write's intent is recorded (and fsynced) before the service is called; if it
cannot be, nothing is sent (``NotAudited``). One write per intent: while an operation on some targets is
in flight (from the call until ASR has accepted it and named its job), the same operation on any of
those targets is refused (``AlreadyInFlight``) — a key pressed twice, a dialog submitted twice or two
panes all come here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from asr_console.audit import AuditError, AuditLog, Target
from asr_console.model.arm import arm_key, same_arm_id
from asr_console.model.doctor import TargetFact
from asr_console.model.errors import SourceError
from asr_console.model.operations import Operation, OperationInputs, OperationShorthands
from asr_console.model.prepare import Create, PreparePlan, PrepareStep, PrepareWanted, plan_prepare
from asr_console.model.protocols import PreparesAzure, RecoveryService
from asr_console.model.records import Event, EventSource, Job, Kind, RecoveryPoint
from asr_console.model.specs import (
    ComputeNetworkSpec,
    EnableReplicationSpec,
    InvalidInput,
    PolicySpec,
)
from asr_console.model.store import Batch, ChangeSet, Store
from asr_console.model.targets import ComputeSize, StorageAccount, TargetChoices
from asr_console.sync.engine import SyncEngine
from asr_console.sync.followed import FollowedItems
from asr_console.sync.streams import DISCOVERY, ITEMS

log = logging.getLogger(__name__)


class ReadOnlyError(PermissionError):
    def __init__(self, action: str) -> None:
        super().__init__(f"{action} refused: this console is read-only (profile read_only or --read-only)")
        self.action = action


class WriteRefused(Exception):
    """A write refused before anything was sent; ``str()`` is one line for a person."""


class NotAudited(WriteRefused):
    """The write's intent could not be recorded in the audit log, so it was not sent."""

    def __init__(self, action: str, names: str, error: AuditError) -> None:
        super().__init__(f"{action} {names} not sent: {error}")
        self.path = error.path


class AlreadyInFlight(WriteRefused):
    """The same operation on one of these targets has been sent and ASR has not answered yet."""

    def __init__(self, action: str, names: str, running: InFlight) -> None:
        super().__init__(f"{action} {names} refused: {running} is still in flight")
        self.running = running


@dataclass(frozen=True, slots=True)
class InFlight:
    """One write between its call and ASR's answer."""

    action: str
    names: str
    since: datetime

    def __str__(self) -> str:
        return f"{self.action} {self.names} (sent {self.since.astimezone():%H:%M:%S})"


_sequence = itertools.count(1)


class Actions(OperationShorthands):
    def __init__(
        self,
        service: RecoveryService,
        store: Store,
        *,
        engine: SyncEngine | None = None,
        audit: AuditLog | None = None,
        read_only: bool = False,
        followed: FollowedItems | None = None,
    ) -> None:
        self.service = service
        self.store = store
        self.engine = engine
        self.audit = audit
        self.read_only = read_only
        self.followed = followed
        # jobs this console started (by arm_key: the jobs list may spell the id otherwise), until they
        # end: the audit log records how each one finished, under the intent that started it
        self._following: dict[str, tuple[Operation, list[Target], str]] = {}
        # (operation, arm_key(target)) of every write between its call and ASR's answer
        self._in_flight: dict[tuple[Operation | str, str], InFlight] = {}
        self._unsubscribe = store.subscribe(self._on_change)

    def close(self) -> None:
        self._unsubscribe()

    def in_flight(self) -> list[InFlight]:
        """The writes sent and not yet answered, oldest first."""
        return sorted(set(self._in_flight.values()), key=lambda f: f.since)

    def _on_change(self, changes: ChangeSet) -> None:
        if not self._following:
            return
        touched = changes.of(Kind.JOB)
        for job_id in list(touched.updated | touched.added):
            if arm_key(job_id) not in self._following:
                continue
            job = self.store.typed(Job, job_id)
            if job is None or job.running or not job.state:
                continue
            op, targets, intent = self._following.pop(arm_key(job_id))
            severity = "info" if job.state == "Succeeded" else "warning"
            self._outcome(op.action, targets, intent, f"job {job.state}", severity, job_id=job_id)
            # operations that add or remove protected items change which VMs are protectable: the
            # item list and the protectable items (each read on a slow cycle for a large vault) are
            # read when they start and end
            if op.spec.adds_or_removes_items and self.engine is not None:
                self.engine.kick(ITEMS)
                self.engine.kick(DISCOVERY)

    # ------------------------------------------------------------------ plumbing

    async def _run(self, op: Operation, target_ids: list[str], call: Callable[[], Awaitable[Job]]) -> Job:
        action = op.action
        targets = [Target(t, self._name_of(t)) for t in target_ids]
        names = ", ".join(t.name for t in targets)
        if self.read_only:
            self._refused(action, targets, "refused: read-only")
            raise ReadOnlyError(action)
        keys = [(op, arm_key(t)) for t in target_ids]
        running = next((self._in_flight[k] for k in keys if k in self._in_flight), None)
        if running is not None:
            refusal = AlreadyInFlight(action, names, running)
            self._refused(action, targets, f"refused: {running} is still in flight")
            raise refusal
        # claimed before the first await, so a second call in the same loop turn already sees it
        mine = InFlight(action, names, datetime.now(UTC))
        for key in keys:
            self._in_flight[key] = mine
        try:
            intent = await self._intend(action, targets, names)
            try:
                job = await call()
            except InvalidInput as exc:
                await self._outcome_async(action, targets, intent, f"not sent: {exc}", "warning")
                raise
            except SourceError as exc:
                await self._outcome_async(action, targets, intent, f"failed: {exc}", "error")
                raise
            except BaseException as exc:
                # cancelled (the console quit) or a bug: whether ASR got it is unknown; say so
                self._outcome(action, targets, intent, f"unknown: {type(exc).__name__} {exc}", "error")
                raise
        finally:
            for key in keys:
                if self._in_flight.get(key) is mine:
                    del self._in_flight[key]
        self._following[arm_key(job.id)] = (op, targets, intent)
        await self._outcome_async(action, targets, intent, "started", "info", job_id=job.id)
        self.store.apply(Batch().upsert(job))
        if self.followed is not None:
            self.followed.add(
                (t for t in target_ids if self.store.get(Kind.PROTECTED_ITEM, t) is not None), job.id
            )
        if self.engine is not None:
            self.engine.hurry()
            if op.spec.adds_or_removes_items:
                self.engine.kick(ITEMS)
        return job

    async def _intend(self, action: str, targets: list[Target], names: str) -> str:
        """The intent recorded before anything is sent; ``NotAudited`` (nothing sent) if it cannot be."""
        if self.audit is None:
            return ""
        try:
            # an fsync can take a while on a busy disk: not on the event loop
            return await asyncio.to_thread(self.audit.intent, action, targets)
        except AuditError as exc:
            refusal = NotAudited(action, names, exc)
            self._event(str(refusal), [t.id for t in targets], "error")
            raise refusal from exc

    async def _outcome_async(
        self, action: str, targets: list[Target], intent: str, result: str, severity: str, *, job_id: str = ""
    ) -> None:
        if self.audit is not None and intent:
            try:
                await asyncio.to_thread(self.audit.result, intent, action, targets, result, job_id=job_id)
            except AuditError as exc:
                self._unrecorded(action, targets, result, exc)
        self._say(action, targets, result, severity)

    def _outcome(
        self, action: str, targets: list[Target], intent: str, result: str, severity: str, *, job_id: str = ""
    ) -> None:
        if self.audit is not None and intent:
            try:
                self.audit.result(intent, action, targets, result, job_id=job_id)
            except AuditError as exc:
                self._unrecorded(action, targets, result, exc)
        self._say(action, targets, result, severity)

    def _refused(self, action: str, targets: list[Target], result: str) -> None:
        """A refusal sends nothing: record it if the log can be written, never hide the refusal."""
        if self.audit is not None:
            try:
                self.audit.refused(action, targets, result)
            except AuditError as exc:
                self._unrecorded(action, targets, result, exc)
        self._say(action, targets, result, "warning")

    def _unrecorded(self, action: str, targets: list[Target], result: str, exc: AuditError) -> None:
        # the write was already sent (or refused): failing it now would invite a second attempt
        message = f"{action} {', '.join(t.name for t in targets)}: {result}, but {exc}"
        log.error("%s", message)
        self._event(message, [t.id for t in targets], "error")

    def _say(self, action: str, targets: list[Target], result: str, severity: str) -> None:
        names = ", ".join(t.name for t in targets)
        self._event(f"{action} {names}: {result}", [t.id for t in targets], severity)

    def _event(self, message: str, targets: list[str], severity: str) -> None:
        now = datetime.now(UTC)
        event = Event(
            id=f"console:{now.timestamp():.6f}:{next(_sequence)}",
            time=now,
            source=EventSource.CONSOLE,
            message=message,
            severity=severity,
            event_type="ConsoleAction",
            entity_id=targets[0] if targets else "",
            entity_name=self._name_of(targets[0]) if targets else "",
        )
        self.store.apply(Batch().upsert(event))

    def _name_of(self, target: str) -> str:
        kinds = (Kind.PROTECTED_ITEM, Kind.POLICY, Kind.JOB, Kind.PROTECTABLE, Kind.MAPPING, Kind.CONTAINER)
        for kind in kinds:
            record = self.store.get(kind, target)
            if record is not None:
                # a discovered machine's ARM name is an opaque id: its friendly name is the VM's name
                display = (
                    getattr(record, "display_name", "")
                    or getattr(record, "friendly_name", "")
                    or getattr(record, "name", "")
                )
                return str(display or target)
        return target.rsplit("/", 1)[-1]

    # ------------------------------------------------------------------ any operation

    async def operate(self, op: Operation, target_id: str, given: OperationInputs | None = None) -> Job:
        """An operation of the catalogue on a protected item or a job (the failover dialog's and the
        jobs pane's one entry)."""
        chosen = given if given is not None else OperationInputs()
        return await self._run(op, [target_id], lambda: self.service.operate(op, target_id, chosen))

    # ------------------------------------------------------------------ policies

    async def create_policy(self, spec: PolicySpec) -> Job:
        return await self._run(Operation.CREATE_POLICY, [spec.name], lambda: self.service.create_policy(spec))

    async def update_policy(self, policy_id: str, spec: PolicySpec) -> Job:
        return await self._run(
            Operation.UPDATE_POLICY, [policy_id], lambda: self.service.update_policy(policy_id, spec)
        )

    async def delete_policy(self, policy_id: str) -> Job:
        return await self._run(
            Operation.DELETE_POLICY, [policy_id], lambda: self.service.delete_policy(policy_id)
        )

    async def associate_policy(self, policy_id: str, container_id: str) -> Job:
        return await self._run(
            Operation.ASSOCIATE_POLICY,
            [policy_id, container_id],
            lambda: self.service.associate_policy(policy_id, container_id),
        )

    async def dissociate_policy(self, mapping_id: str) -> Job:
        return await self._run(
            Operation.DISSOCIATE_POLICY, [mapping_id], lambda: self.service.dissociate_policy(mapping_id)
        )

    async def update_mapping(self, mapping_id: str, auto_upgrade: bool) -> Job:
        return await self._run(
            Operation.UPDATE_MAPPING,
            [mapping_id],
            lambda: self.service.update_mapping(mapping_id, auto_upgrade),
        )

    # ------------------------------------------------------------------ replication

    async def enable_replication(self, spec: EnableReplicationSpec) -> Job:
        return await self._run(
            Operation.ENABLE_REPLICATION,
            [spec.protectable_item_id],
            lambda: self.service.enable_replication(spec),
        )

    async def update_item(self, spec: ComputeNetworkSpec) -> Job:
        return await self._run(Operation.UPDATE_ITEM, [spec.item_id], lambda: self.service.update_item(spec))

    # ------------------------------------------------------------------ Prepare Azure

    async def load_prepare_plan(self, wanted: PrepareWanted, facts: tuple[TargetFact, ...]) -> PreparePlan:
        """What Prepare Azure would create for the doctor's findings: in the vault's region, the network
        in an address space no other network of the subscription uses, the cache account under a name
        Azure still has free."""
        if all(f.found for f in facts):
            return PreparePlan()  # nothing missing: no reason to read the vault or the networks
        vault = await self.service.vault()
        networks = await self.service.virtual_networks()
        plan = plan_prepare(wanted, facts, vault.location, (p for n in networks for p in n.address_prefixes))
        if not isinstance(self.service, PreparesAzure):
            return plan
        problems = list(plan.problems)
        for step in plan.steps:
            if step.create is Create.STORAGE_ACCOUNT:
                problem = await self.service.storage_name_problem(step.name)
                if problem:
                    problems.append(f"storage account {step.name}: {problem}")
        return dataclasses.replace(plan, problems=tuple(problems))

    async def create_target(self, step: PrepareStep, subscription: str) -> str:
        """One create of a Prepare Azure plan, with the writes' guards: refused when read-only or while
        the same create is in flight, audited before it is sent (``NotAudited``: nothing sent) and after.
        The created resource's ARM id."""
        action = f"create {step.create.value}"
        target = Target(step.arm_id(subscription), step.name)
        if self.read_only:
            self._refused(action, [target], "refused: read-only")
            raise ReadOnlyError(action)
        if not isinstance(self.service, PreparesAzure):
            raise WriteRefused(f"{action} {step.name}: this back end cannot create Azure resources")
        key = (action, arm_key(target.id))
        running = self._in_flight.get(key)
        if running is not None:
            self._refused(action, [target], f"refused: {running} is still in flight")
            raise AlreadyInFlight(action, step.name, running)
        mine = self._in_flight[key] = InFlight(action, step.name, datetime.now(UTC))
        try:
            intent = await self._intend(action, [target], step.name)
            try:
                created = await self.service.create_target(step)
            except SourceError as exc:
                await self._outcome_async(action, [target], intent, f"failed: {exc}", "error")
                raise
            except BaseException as exc:
                self._outcome(action, [target], intent, f"unknown: {type(exc).__name__} {exc}", "error")
                raise
        finally:
            if self._in_flight.get(key) is mine:
                del self._in_flight[key]
        await self._outcome_async(action, [target], intent, "created", "info", job_id="")
        return created

    async def prepare_azure(
        self, plan: PreparePlan, subscription: str, progress: Callable[[int, PrepareStep], None]
    ) -> list[str]:
        """Every create of the plan in order (``progress`` told before each), stopping at the first that
        fails (its error propagates: what follows it depends on it). The created ARM ids."""
        created: list[str] = []
        for number, step in enumerate(plan.steps, 1):
            progress(number, step)
            created.append(await self.create_target(step, subscription))
        return created

    # ------------------------------------------------------------------ reads on demand

    async def load_targets(self) -> TargetChoices:
        """The subscription's resource groups, virtual networks and storage accounts, for the pickers."""
        groups, networks, storage = await asyncio.gather(
            self.service.resource_groups(), self.service.virtual_networks(), self.service.storage_accounts()
        )
        return TargetChoices(groups=tuple(groups), networks=tuple(networks), storage=tuple(storage))

    async def load_storage_accounts(self) -> list[StorageAccount]:
        """The subscription's storage accounts, for a cache storage picker."""
        return list(await self.service.storage_accounts())

    async def load_compute_sizes(self, item_id: str) -> list[ComputeSize]:
        """The VM sizes ASR offers for an item, for its Compute & Network settings."""
        return list(await self.service.target_compute_sizes(item_id))

    async def load_recovery_points(self, item_id: str) -> list[RecoveryPoint]:
        points = await self.service.recovery_points(item_id)
        self.store.apply(
            Batch().replace(
                Kind.RECOVERY_POINT,
                points,
                scope=lambda r: isinstance(r, RecoveryPoint) and same_arm_id(r.item_id, item_id),
            )
        )
        return points
