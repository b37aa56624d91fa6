"""Write actions, as the UI and scripts call them: read-only guard, audit, activity, fast follow-up.

Every write goes through here so none can skip the read-only check or the audit log. Input validation
happens in the service before anything is sent (``InvalidInput``); this layer records the outcome,
puts a console event in the activity stream and tells the sync engine to follow the job closely.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from asr_console.audit import AuditLog
from asr_console.model.arm import arm_key, same_arm_id
from asr_console.model.errors import SourceError
from asr_console.model.operations import Operation, OperationInputs, OperationShorthands
from asr_console.model.protocols import RecoveryService
from asr_console.model.records import Event, EventSource, Job, Kind, RecoveryPoint
from asr_console.model.specs import (
    EnableReplicationSpec,
    InvalidInput,
    PolicySpec,
)
from asr_console.model.store import Batch, ChangeSet, Store
from asr_console.sync.engine import SyncEngine
from asr_console.sync.followed import FollowedItems
from asr_console.sync.streams import DISCOVERY, ITEMS


class ReadOnlyError(PermissionError):
    def __init__(self, action: str) -> None:
        super().__init__(f"{action} refused: this console is read-only (profile read_only or --read-only)")
        self.action = action


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
        # end: the audit log records how each one finished
        self._following: dict[str, tuple[Operation, list[str]]] = {}
        self._unsubscribe = store.subscribe(self._on_change)

    def close(self) -> None:
        self._unsubscribe()

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
            op, targets = self._following.pop(arm_key(job_id))
            severity = "info" if job.state == "Succeeded" else "warning"
            self._record(op.action, targets, result=f"job {job.state}", job_id=job_id, severity=severity)
            # operations that add or remove protected items change which VMs are protectable: the
            # item list and the protectable items (each read on a slow cycle for a large vault) are
            # read when they start and end
            if op.spec.adds_or_removes_items and self.engine is not None:
                self.engine.kick(ITEMS)
                self.engine.kick(DISCOVERY)

    # ------------------------------------------------------------------ plumbing

    async def _run(self, op: Operation, targets: list[str], call: Callable[[], Awaitable[Job]]) -> Job:
        action = op.action
        if self.read_only:
            self._record(action, targets, result="refused: read-only", severity="warning")
            raise ReadOnlyError(action)
        try:
            job = await call()
        except InvalidInput as exc:
            # Nothing was sent: no audit entry for a write that never happened, but say so.
            self._event(f"{action} not sent: {exc}", targets, "warning")
            raise
        except SourceError as exc:
            self._record(action, targets, result=f"failed: {exc}", severity="error")
            raise
        self._following[arm_key(job.id)] = (op, targets)
        self._record(action, targets, result="started", job_id=job.id, severity="info")
        self.store.apply(Batch().upsert(job))
        if self.followed is not None:
            self.followed.add(
                (t for t in targets if self.store.get(Kind.PROTECTED_ITEM, t) is not None), job.id
            )
        if self.engine is not None:
            self.engine.hurry()
            if op.spec.adds_or_removes_items:
                self.engine.kick(ITEMS)
        return job

    def _record(
        self, action: str, targets: list[str], *, result: str, job_id: str = "", severity: str
    ) -> None:
        if self.audit is not None:
            self.audit.write(action, targets, result=result, job_id=job_id)
        names = ", ".join(self._name_of(t) for t in targets)
        self._event(f"{action} {names}: {result}", targets, severity)

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
        for kind in (Kind.PROTECTED_ITEM, Kind.POLICY, Kind.JOB, Kind.PROTECTABLE, Kind.MAPPING):
            record = self.store.get(kind, target)
            if record is not None:
                display = getattr(record, "display_name", "") or getattr(record, "name", "")
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

    # ------------------------------------------------------------------ replication

    async def enable_replication(self, spec: EnableReplicationSpec) -> Job:
        return await self._run(
            Operation.ENABLE_REPLICATION,
            [spec.protectable_item_id],
            lambda: self.service.enable_replication(spec),
        )

    # ------------------------------------------------------------------ reads on demand

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
