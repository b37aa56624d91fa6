"""Every write the console performs on ASR, in one table.

Each ``Operation`` carries its ``OperationSpec``: the name ASR lists it under in an item's
``allowedOperations`` (or a job's ``allowedActions``), what the console calls it, what it asks for, and
how it reaches ASR — the SDK operation group and ``begin_*`` method, the SDK input model its body
loads into, and the REST method and path suffix (the simulated ARM site routes by these).

Adding an operation is one member here plus its body builder in ``sources/azure_inputs.py``; the
Actions, the sources' dispatch, the simulator's routes, the failover dialog, the tables and the job
screens all read this table.
"""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from asr_console.model.inputs import RecoveryPointChoice, RecoveryPointKind
from asr_console.model.records import Job


class Resource(StrEnum):
    """The ARM resource a request is sent to (its path; ``path`` below is appended to it)."""

    PROTECTED_ITEM = "protected item"
    JOB = "job"
    POLICY = "policy"
    MAPPING = "container mapping"


class ExtraInput(StrEnum):
    """Inputs besides a recovery point and a network that the failover dialog asks for."""

    NOTES = "notes"
    SHUTDOWN_SOURCE = "shutdown_source"
    REPROTECT_TARGET = "reprotect_target"  # agent/master target, datastore, cache storage, policy
    RECOVERY_POINT_TYPE = "recovery_point_type"  # failback: application- or crash-consistent


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationSpec:
    action: str  # the console's name for it: audit log, activity stream, worker names
    label: str
    short: str  # in tables' "Allowed" column
    resource: Resource
    sdk_operations: str  # the SDK client's operation group
    sdk_method: str  # its ``begin_*`` method
    http_method: str
    path: str = ""  # appended to the resource's path ("" = the resource itself)
    input_model: str = ""  # the SDK model the request body loads into ("" = no body is sent)
    asr_name: str = ""  # in allowedOperations / allowedActions ("" = ASR lists no such permission)
    preview: str = ""  # what happens to one item; {name} is replaced
    irreversible: bool = False  # asks the user to type the target's name
    needs_point: bool = False
    listed_point_only: bool = False  # the recovery point must be one of the listed ones (no "latest")
    needs_network: bool = False
    inputs: tuple[ExtraInput, ...] = field(default=())
    adds_or_removes_items: bool = False  # the item and protectable lists are re-read around it


class Operation(Enum):
    _value_: OperationSpec

    CREATE_POLICY = OperationSpec(
        action="create-policy",
        label="Create policy",
        short="create",
        resource=Resource.POLICY,
        sdk_operations="replication_policies",
        sdk_method="begin_create",
        http_method="PUT",
        input_model="CreatePolicyInput",
    )
    UPDATE_POLICY = OperationSpec(
        action="update-policy",
        label="Update policy",
        short="update",
        resource=Resource.POLICY,
        sdk_operations="replication_policies",
        sdk_method="begin_update",
        http_method="PATCH",
        input_model="UpdatePolicyInput",
    )
    DELETE_POLICY = OperationSpec(
        action="delete-policy",
        label="Delete policy",
        short="delete",
        resource=Resource.POLICY,
        sdk_operations="replication_policies",
        sdk_method="begin_delete",
        http_method="DELETE",
        irreversible=True,
    )
    ASSOCIATE_POLICY = OperationSpec(
        action="associate-policy",
        label="Associate policy",
        short="associate",
        resource=Resource.MAPPING,
        sdk_operations="replication_protection_container_mappings",
        sdk_method="begin_create",
        http_method="PUT",
        input_model="CreateProtectionContainerMappingInput",
    )
    DISSOCIATE_POLICY = OperationSpec(
        action="dissociate-policy",
        label="Dissociate policy",
        short="dissociate",
        resource=Resource.MAPPING,
        sdk_operations="replication_protection_container_mappings",
        sdk_method="begin_delete",
        http_method="POST",
        path="remove",
        input_model="RemoveProtectionContainerMappingInput",
    )
    UPDATE_MAPPING = OperationSpec(
        action="update-mapping",
        label="Mobility agent auto-update",
        short="auto-update",
        resource=Resource.MAPPING,
        sdk_operations="replication_protection_container_mappings",
        sdk_method="begin_update",
        http_method="PATCH",
        input_model="UpdateProtectionContainerMappingInput",
    )
    ENABLE_REPLICATION = OperationSpec(
        action="enable-replication",
        label="Enable replication",
        short="enable",
        resource=Resource.PROTECTED_ITEM,
        sdk_operations="replication_protected_items",
        sdk_method="begin_create",
        http_method="PUT",
        input_model="EnableProtectionInput",
        adds_or_removes_items=True,
    )
    UPDATE_ITEM = OperationSpec(
        action="update-compute-network",
        label="Compute & Network",
        short="compute",
        resource=Resource.PROTECTED_ITEM,
        # ASR lists no permission for it in allowedOperations: the item's own details offer it
        sdk_operations="replication_protected_items",
        sdk_method="begin_update",
        http_method="PATCH",
        input_model="UpdateReplicationProtectedItemInput",
        preview="{name}: the Azure VM a failover creates gets these settings; replication continues.",
    )
    TEST_FAILOVER = OperationSpec(
        action="test-failover",
        label="Test failover",
        short="TFO",
        resource=Resource.PROTECTED_ITEM,
        sdk_operations="replication_protected_items",
        sdk_method="begin_test_failover",
        http_method="POST",
        path="testFailover",
        input_model="TestFailoverInput",
        asr_name="TestFailover",
        preview="{name}: a test VM is created in the test network from the chosen point; "
        "replication continues.",
        needs_point=True,
        needs_network=True,
    )
    TEST_FAILOVER_CLEANUP = OperationSpec(
        action="test-failover-cleanup",
        label="Test failover cleanup",
        short="cleanup",
        resource=Resource.PROTECTED_ITEM,
        sdk_operations="replication_protected_items",
        sdk_method="begin_test_failover_cleanup",
        http_method="POST",
        path="testFailoverCleanup",
        input_model="TestFailoverCleanupInput",
        asr_name="TestFailoverCleanup",
        preview="{name}: the test VM and its disks are deleted; your notes are recorded with the test.",
        inputs=(ExtraInput.NOTES,),
    )
    UNPLANNED_FAILOVER = OperationSpec(
        action="unplanned-failover",
        label="Failover (unplanned)",
        short="failover",
        resource=Resource.PROTECTED_ITEM,
        sdk_operations="replication_protected_items",
        sdk_method="begin_unplanned_failover",
        http_method="POST",
        path="unplannedFailover",
        input_model="UnplannedFailoverInput",
        asr_name="UnplannedFailover",
        preview="{name}: the Azure VM is created from the chosen point and becomes the active copy.",
        irreversible=True,
        needs_point=True,
        inputs=(ExtraInput.SHUTDOWN_SOURCE,),
    )
    CHANGE_RECOVERY_POINT = OperationSpec(
        action="change-recovery-point",
        label="Change recovery point",
        short="change-RP",
        resource=Resource.PROTECTED_ITEM,
        sdk_operations="replication_protected_items",
        sdk_method="begin_apply_recovery_point",
        http_method="POST",
        path="applyRecoveryPoint",
        input_model="ApplyRecoveryPointInput",
        asr_name="ChangePit",
        preview="{name}: the failed-over VM is rebuilt from another recovery point; later points are lost.",
        irreversible=True,
        needs_point=True,
        listed_point_only=True,
    )
    COMMIT = OperationSpec(
        action="commit-failover",
        label="Commit failover",
        short="commit",
        resource=Resource.PROTECTED_ITEM,
        sdk_operations="replication_protected_items",
        sdk_method="begin_failover_commit",
        http_method="POST",
        path="failoverCommit",
        asr_name="Commit",
        preview="{name}: the failover is made final; other recovery points are deleted.",
        irreversible=True,
    )
    REPROTECT = OperationSpec(
        action="reprotect",
        label="Re-protect",
        short="reprotect",
        resource=Resource.PROTECTED_ITEM,
        sdk_operations="replication_protected_items",
        sdk_method="begin_reprotect",
        http_method="POST",
        path="reProtect",
        input_model="ReverseReplicationInput",
        asr_name="ReverseReplicate",
        preview="{name}: replication starts in the other direction (Azure → VMware after a failover, "
        "VMware → Azure after a failback).",
        inputs=(ExtraInput.REPROTECT_TARGET,),
    )
    FAILBACK = OperationSpec(
        action="failback",
        label="Failback (planned failover)",
        short="failback",
        resource=Resource.PROTECTED_ITEM,
        sdk_operations="replication_protected_items",
        sdk_method="begin_planned_failover",
        http_method="POST",
        path="plannedFailover",
        input_model="PlannedFailoverInput",
        asr_name="PlannedFailover",
        preview="{name}: the Azure VM is shut down and the on-premises VM is brought up from the "
        "latest point of the chosen consistency.",
        irreversible=True,
        inputs=(ExtraInput.RECOVERY_POINT_TYPE,),
    )
    RESYNC = OperationSpec(
        action="resync",
        label="Resynchronize",
        short="resync",
        resource=Resource.PROTECTED_ITEM,
        sdk_operations="replication_protected_items",
        sdk_method="begin_repair_replication",
        http_method="POST",
        path="repairReplication",
        asr_name="RepairReplication",
        preview="{name}: all disks are compared and changed blocks re-sent; RPO rises meanwhile.",
    )
    DISABLE_REPLICATION = OperationSpec(
        action="disable-replication",
        label="Disable replication",
        short="disable",
        resource=Resource.PROTECTED_ITEM,
        # the SDK's begin_delete on a protected item is the POST to /remove; begin_purge is the DELETE
        sdk_operations="replication_protected_items",
        sdk_method="begin_delete",
        http_method="POST",
        path="remove",
        input_model="DisableProtectionInput",
        asr_name="DisableProtection",
        preview="{name}: replication stops and the item leaves the vault; recovery points are deleted.",
        irreversible=True,
        adds_or_removes_items=True,
    )
    PURGE = OperationSpec(
        action="purge",
        label="Purge (remove from vault)",
        short="purge",
        resource=Resource.PROTECTED_ITEM,
        # ASR lists no permission for it: it is the way out for items stuck where nothing else is allowed
        sdk_operations="replication_protected_items",
        sdk_method="begin_purge",
        http_method="DELETE",
        preview="{name}: the item is removed from the vault as it is; nothing is cleaned up on the "
        "source or in Azure.",
        irreversible=True,
        adds_or_removes_items=True,
    )
    UPDATE_MOBILITY_SERVICE = OperationSpec(
        action="update-agent",
        label="Update Mobility service",
        short="update-agent",
        resource=Resource.PROTECTED_ITEM,
        # ASR lists no permission for it: offered where the item reports an upgrade
        sdk_operations="replication_protected_items",
        sdk_method="begin_update_mobility_service",
        http_method="POST",
        path="updateMobilityService",
        input_model="UpdateMobilityServiceRequest",
        preview="{name}: the Mobility service on the machine is upgraded to the latest version; "
        "replication goes on.",
    )
    CANCEL_JOB = OperationSpec(
        action="cancel-job",
        label="Cancel job",
        short="cancel",
        resource=Resource.JOB,
        sdk_operations="replication_jobs",
        sdk_method="begin_cancel",
        http_method="POST",
        path="cancel",
        asr_name="Cancel",
    )
    RESTART_JOB = OperationSpec(
        action="restart-job",
        label="Restart job",
        short="restart",
        resource=Resource.JOB,
        sdk_operations="replication_jobs",
        sdk_method="begin_restart",
        http_method="POST",
        path="restart",
        asr_name="Restart",
    )

    @property
    def spec(self) -> OperationSpec:
        return self._value_

    # the fields read most often, without ``.spec``
    @property
    def action(self) -> str:
        return self._value_.action

    @property
    def label(self) -> str:
        return self._value_.label

    @property
    def asr_name(self) -> str:
        return self._value_.asr_name

    def allowed_by(self, allowed: tuple[str, ...] | list[str]) -> bool:
        """Whether ASR's list (an item's allowedOperations, a job's allowedActions) permits it."""
        return self._value_.asr_name.lower() in {a.lower() for a in allowed}


# The operations on protected items that the failover dialog offers (when ASR allows them), in the
# order they are offered and shown in the tables.
ITEM_OPERATIONS: tuple[Operation, ...] = tuple(
    op for op in Operation if op.spec.resource is Resource.PROTECTED_ITEM and op.asr_name
)
JOB_OPERATIONS: tuple[Operation, ...] = tuple(op for op in Operation if op.spec.resource is Resource.JOB)


def safe_next_step(allowed: tuple[str, ...] | list[str], *, resync_required: bool) -> Operation | None:
    """The operation the failover dialog preselects for items ASR allows ``allowed`` on: the cleanup
    a test failover waits for, the resync a broken replication needs, else a test failover; never a
    failover nor anything that cannot be undone (None when none of these is allowed: the user picks)."""
    steps = (
        Operation.TEST_FAILOVER_CLEANUP,
        *((Operation.RESYNC,) if resync_required else ()),
        Operation.TEST_FAILOVER,
    )
    return next((op for op in steps if op.allowed_by(allowed) and not op.spec.irreversible), None)


# a protection state naming a failed step ("...Failed"), not the "FailedOver"/"FailedBack" of a
# completed failover or failback
_FAILED_STATE = re.compile(r"failed(?!over|back)", re.IGNORECASE)


def purgeable(allowed: tuple[str, ...] | list[str], protection_state: str, scenario: str = "") -> bool:
    """Whether the failover dialog offers a purge for an item: ASR lists no permission for it, so it
    is offered where the item is stuck — its state names a failure, or nothing else is allowed while no
    operation runs on it (an item failing over allows nothing either, and must not be purged then)."""
    if _FAILED_STATE.search(protection_state):
        return True
    return not allowed and scenario.strip().lower() in ("", "none")


def operation_key(op: Operation) -> str:
    """How the failover dialog names ``op``: ASR's allowedOperations name, or the console's action for
    an operation ASR lists no permission for (purge)."""
    return op.asr_name or op.action


def by_key(key: str) -> Operation | None:
    """The item operation ``operation_key`` names (case-insensitive)."""
    return next((op for op in Operation if operation_key(op).lower() == key.lower()), None)


def by_asr_name(name: str) -> Operation | None:
    """The item or job operation ASR lists as ``name`` (case-insensitive), if the console performs it."""
    for op in Operation:
        if op.asr_name and op.asr_name.lower() == name.lower():
            return op
    return None


class FailbackPointType(StrEnum):
    """The consistency of the point a failback brings the on-premises VM up from (ASR's names)."""

    APP = "ApplicationConsistent"
    CRASH = "CrashConsistent"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReprotectTarget:
    """Where a re-protect writes to, as ids (pickers and the CLI resolve names first).

    Modernized (InMageRcm) re-protect towards VMware: ``agent_id`` (a reprotect agent of the appliance),
    ``datastore``, ``log_storage_account_id`` and optionally a failback ``policy_id``. Classic
    (InMage): ``agent_id`` is the master target, with ``process_server_id``, ``retention_drive``,
    ``datastore`` and ``policy_id``. Re-protect back to Azure after a failback (InMageRcmFailback):
    ``process_server_id`` and the replication ``policy_id``."""

    agent_id: str = ""
    datastore: str = ""
    log_storage_account_id: str = ""
    policy_id: str = ""
    process_server_id: str = ""
    retention_drive: str = ""
    run_as_account_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationInputs:
    """What the user chose for an operation on a protected item or job; each operation reads the
    fields its spec says it needs."""

    recovery_point: RecoveryPointChoice = field(default_factory=RecoveryPointChoice)
    network_id: str = ""
    notes: str = ""
    shutdown_source: bool = False
    reprotect: ReprotectTarget | None = None  # re-protect: "" fields take the item's own
    recovery_point_type: FailbackPointType = FailbackPointType.APP
    run_as_account_id: str = ""  # update-agent: the push-install account (classic), "" for ASR's own


class OperationShorthands(abc.ABC):
    """The typed shorthands of the item and job operations, each ``operate`` with its inputs, written
    once for every class that has ``operate`` (the services and ``Actions``)."""

    @abc.abstractmethod
    async def operate(self, op: Operation, target_id: str, given: OperationInputs) -> Job: ...

    async def test_failover(self, item_id: str, recovery_point: RecoveryPointChoice, network_id: str) -> Job:
        given = OperationInputs(recovery_point=recovery_point, network_id=network_id)
        return await self.operate(Operation.TEST_FAILOVER, item_id, given)

    async def test_failover_cleanup(self, item_id: str, notes: str) -> Job:
        return await self.operate(Operation.TEST_FAILOVER_CLEANUP, item_id, OperationInputs(notes=notes))

    async def unplanned_failover(
        self, item_id: str, recovery_point: RecoveryPointChoice, shutdown_source: bool
    ) -> Job:
        given = OperationInputs(recovery_point=recovery_point, shutdown_source=shutdown_source)
        return await self.operate(Operation.UNPLANNED_FAILOVER, item_id, given)

    async def change_recovery_point(self, item_id: str, recovery_point_id: str) -> Job:
        point = RecoveryPointChoice(RecoveryPointKind.CUSTOM, recovery_point_id)
        return await self.operate(
            Operation.CHANGE_RECOVERY_POINT, item_id, OperationInputs(recovery_point=point)
        )

    async def commit_failover(self, item_id: str) -> Job:
        return await self.operate(Operation.COMMIT, item_id, OperationInputs())

    async def reprotect(self, item_id: str, target: ReprotectTarget | None = None) -> Job:
        return await self.operate(Operation.REPROTECT, item_id, OperationInputs(reprotect=target))

    async def failback(self, item_id: str, point_type: FailbackPointType = FailbackPointType.APP) -> Job:
        given = OperationInputs(recovery_point_type=point_type)
        return await self.operate(Operation.FAILBACK, item_id, given)

    async def purge(self, item_id: str) -> Job:
        return await self.operate(Operation.PURGE, item_id, OperationInputs())

    async def resync(self, item_id: str) -> Job:
        return await self.operate(Operation.RESYNC, item_id, OperationInputs())

    async def disable_replication(self, item_id: str) -> Job:
        return await self.operate(Operation.DISABLE_REPLICATION, item_id, OperationInputs())

    async def cancel_job(self, job_id: str) -> Job:
        return await self.operate(Operation.CANCEL_JOB, job_id, OperationInputs())

    async def restart_job(self, job_id: str) -> Job:
        return await self.operate(Operation.RESTART_JOB, job_id, OperationInputs())
