"""ASR jobs of the simulated site: tasks that progress with simulated time, then an effect.

A job's effect (the state change its operation causes) runs once, when its last task succeeds; a job
that fails runs its failure effect instead. Tasks and errors are embedded in the job, as in ASR.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asr_console.model.operations import Operation
from asr_console.sim.clock import SimClock
from asr_console.sim.health_catalog import CATALOG
from asr_console.sim.jsonutil import iso

Effect = Callable[[], None]


@dataclass(frozen=True, slots=True)
class TaskTemplate:
    name: str
    friendly_name: str
    seconds: float


# The task a failure with a health-catalog code stops a job at (later tasks never start); any other
# code fails the last task.
FAILS_AT = {
    "95001": "EnableProtectionTask",  # push installation of the Mobility service
}

# Scenario → (friendly name, tasks). Durations are simulated seconds, close to what admins see.
SCENARIOS: dict[str, tuple[str, tuple[TaskTemplate, ...]]] = {
    "EnableDr": (
        "Enable replication",
        (
            TaskTemplate("PrerequisitesCheckTask", "Prerequisites check", 20),
            TaskTemplate("IdentifyingReplicationTargetTask", "Identifying replication target", 30),
            TaskTemplate("EnableProtectionTask", "Enable replication", 120),
            TaskTemplate("StartingInitialReplicationTask", "Starting initial replication", 60),
            TaskTemplate("UpdatingDrProviderStateTask", "Updating the provider states", 30),
        ),
    ),
    "UpdateVmProperties": (
        "Update the virtual machine",
        (
            TaskTemplate("PrerequisitesCheckTask", "Prerequisites check", 10),
            TaskTemplate("UpdateVmPropertiesTask", "Update the virtual machine properties", 30),
        ),
    ),
    "TestFailover": (
        "Test failover",
        (
            TaskTemplate("PrerequisitesCheckTask", "Prerequisites check for test failover", 20),
            TaskTemplate("CreateTestVmTask", "Create test virtual machine", 180),
            TaskTemplate("PreparingVmTask", "Preparing the virtual machine", 90),
            TaskTemplate("StartVmTask", "Start the virtual machine", 60),
        ),
    ),
    "TestFailoverCleanup": (
        "Test failover cleanup",
        (
            TaskTemplate("RecordNotesTask", "Record test failover notes", 5),
            TaskTemplate("DeleteTestVmTask", "Delete test virtual machine", 120),
            TaskTemplate("UpdatingDrProviderStateTask", "Updating the provider states", 20),
        ),
    ),
    "UnplannedFailover": (
        "Failover",
        (
            TaskTemplate("PrerequisitesCheckTask", "Prerequisites check for failover", 20),
            TaskTemplate("ShutdownSourceTask", "Shut down the virtual machine", 60),
            TaskTemplate("CreateVmTask", "Create the virtual machine in Azure", 240),
            TaskTemplate("StartVmTask", "Start the virtual machine", 60),
        ),
    ),
    "ChangePit": (
        "Change recovery point",
        (
            TaskTemplate("PrerequisitesCheckTask", "Prerequisites check", 15),
            TaskTemplate("ApplyRecoveryPointTask", "Apply the recovery point", 180),
            TaskTemplate("StartVmTask", "Start the virtual machine", 60),
        ),
    ),
    "Commit": (
        "Commit",
        (
            TaskTemplate("PrerequisitesCheckTask", "Prerequisites check", 10),
            TaskTemplate("CommitTask", "Commit the failover", 45),
        ),
    ),
    "Reprotect": (
        "Reprotect",
        (
            TaskTemplate("PrerequisitesCheckTask", "Prerequisites check for reprotect", 20),
            TaskTemplate("PrepareReprotectTask", "Prepare the on-premises side", 120),
            TaskTemplate("StartReplicationTask", "Start reverse replication", 180),
        ),
    ),
    "PlannedFailover": (
        "Planned failover",
        (
            TaskTemplate("PrerequisitesCheckTask", "Prerequisites check for planned failover", 20),
            TaskTemplate("ShutdownAzureVmTask", "Shut down the virtual machine in Azure", 60),
            TaskTemplate("SyncFinalDeltaTask", "Synchronize the final changes", 120),
            TaskTemplate("StartOnPremVmTask", "Start the on-premises virtual machine", 60),
        ),
    ),
    "PurgeProtection": (
        "Remove replicated item",
        (TaskTemplate("PurgeProtectionTask", "Remove the replicated item", 30),),
    ),
    "UpdateMobilityService": (
        "Update Mobility service",
        (
            TaskTemplate("PrerequisitesCheckTask", "Prerequisites check", 10),
            TaskTemplate("UpdateMobilityServiceTask", "Update the Mobility service on the machine", 240),
        ),
    ),
    "RepairReplication": (
        "Resynchronize replication",
        (
            TaskTemplate("PrerequisitesCheckTask", "Prerequisites check", 10),
            TaskTemplate("StartResyncTask", "Start resynchronization", 60),
        ),
    ),
    "DisableDr": (
        "Disable replication",
        (
            TaskTemplate("DisableProtectionTask", "Disable replication", 60),
            TaskTemplate("CleanupTask", "Clean up replication data", 40),
        ),
    ),
    "AddProtectionProfile": (
        "Create replication policy",
        (TaskTemplate("CreatePolicyTask", "Create replication policy", 15),),
    ),
    "UpdateProtectionProfile": (
        "Update replication policy",
        (TaskTemplate("UpdatePolicyTask", "Update replication policy", 20),),
    ),
    "DeleteProtectionProfile": (
        "Delete replication policy",
        (TaskTemplate("DeletePolicyTask", "Delete replication policy", 10),),
    ),
    "ConfigureProtection": (
        "Associate replication policy",
        (
            TaskTemplate("PairCloudsTask", "Associate policy with the container", 30),
            TaskTemplate("UpdatingDrProviderStateTask", "Updating the provider states", 15),
        ),
    ),
    "UnConfigureProtection": (
        "Dissociate replication policy",
        (TaskTemplate("UnpairCloudsTask", "Dissociate policy from the container", 30),),
    ),
    "RestartJob": (
        "Restart job",
        (TaskTemplate("RestartJobTask", "Restart job", 5),),
    ),
}


@dataclass(slots=True)
class SimJob:
    name: str
    scenario: str
    start: float  # simulated elapsed seconds
    target_object_id: str
    target_object_name: str
    target_instance_type: str = "ProtectionEntity"
    on_start: Effect | None = None
    on_success: Effect | None = None
    on_failure: Effect | None = None
    on_cancel: Effect | None = None
    fail_code: str = ""  # a health catalog code: the job fails with it, at the task FAILS_AT names
    fail_params: dict[str, Any] = field(default_factory=dict)
    state: str = "InProgress"
    end: float | None = None
    ended_at_task: int = -1  # index of the task where a cancel or failure stopped it
    result: Callable[[], dict[str, Any] | None] | None = None  # the LRO's final body
    rev: int = 0

    @property
    def tasks(self) -> tuple[TaskTemplate, ...]:
        return SCENARIOS[self.scenario][1]

    @property
    def friendly_name(self) -> str:
        return SCENARIOS[self.scenario][0]

    @property
    def duration(self) -> float:
        """Seconds until the job ends: all its tasks, or those up to the one it fails at."""
        tasks = self.tasks
        if self.fail_code:
            tasks = tasks[: self._fail_index() + 1]
        return sum(t.seconds for t in tasks)

    def _fail_index(self) -> int:
        where = FAILS_AT.get(self.fail_code)
        for i, task in enumerate(self.tasks):
            if task.name == where:
                return i
        return len(self.tasks) - 1

    @property
    def running(self) -> bool:
        return self.state in ("InProgress", "NotStarted", "Cancelling")

    def advance(self, elapsed: float) -> bool:
        """Apply time; returns True when this call finished the job (its effect has run)."""
        if not self.running or elapsed < self.start + self.duration:
            return False
        self.end = self.start + self.duration
        if self.fail_code:
            self.state = "Failed"
            self.ended_at_task = self._fail_index()
            if self.on_failure:
                self.on_failure()
        else:
            self.state = "Succeeded"
            if self.on_success:
                self.on_success()
        self.rev += 1
        return True

    def cancel(self, elapsed: float) -> None:
        if self.on_cancel:
            self.on_cancel()
        self.state = "Cancelled"
        self.end = elapsed
        self.ended_at_task = self._task_index(elapsed)
        self.rev += 1

    def restart(self, elapsed: float) -> None:
        self.start = elapsed
        self.end = None
        self.state = "InProgress"
        self.fail_code = ""
        self.ended_at_task = -1
        self.rev += 1
        if self.on_start:
            self.on_start()

    def _task_index(self, elapsed: float) -> int:
        t = self.start
        for i, task in enumerate(self.tasks):
            t += task.seconds
            if elapsed < t:
                return i
        return len(self.tasks) - 1

    def to_arm(self, clock: SimClock, job_id: str, elapsed: float) -> dict[str, Any]:
        tasks: list[dict[str, Any]] = []
        t = self.start
        stop = self.ended_at_task
        for i, task in enumerate(self.tasks):
            t_end = t + task.seconds
            start: float | None
            end: float | None
            if self.state == "Succeeded" or (stop < 0 and elapsed >= t_end) or (stop >= 0 and i < stop):
                state, start, end = "Succeeded", t, t_end
            elif stop >= 0 and i == stop:
                state = "Failed" if self.state == "Failed" else "Cancelled"
                start, end = t, self.end
            elif stop < 0 and elapsed >= t:
                state, start, end = "InProgress", t, None
            else:
                state, start, end = "NotStarted", None, None
            tasks.append(
                {
                    "taskId": f"{self.name[:8]}-{i}",
                    "name": task.name,
                    "friendlyName": task.friendly_name,
                    "state": state,
                    "stateDescription": _DESCRIPTIONS.get(state, state),
                    "startTime": iso(clock.at(start)) if start is not None else None,
                    "endTime": iso(clock.at(end)) if end is not None else None,
                    "allowedActions": [],
                    "taskType": "TaskDetails",
                    "customDetails": {"instanceType": "ManualActionTaskDetails"},
                    "errors": [],
                }
            )
            t = t_end
        errors = []
        if self.state == "Failed" and self.fail_code:
            entry = CATALOG[self.fail_code]
            message = entry.message.format_map({"vm": self.target_object_name, **self.fail_params})
            errors.append(
                {
                    "serviceErrorDetails": {
                        "code": entry.code,
                        "message": message,
                        "possibleCauses": entry.possible_causes,
                        "recommendedAction": entry.recommended_action,
                    },
                    "providerErrorDetails": {
                        "errorCode": int(entry.code),
                        "errorMessage": message,
                        "possibleCauses": entry.possible_causes,
                        "recommendedAction": entry.recommended_action,
                    },
                    "errorLevel": "Error",
                    "creationTime": iso(clock.at(self.end or self.start)),
                    "taskId": tasks[self.ended_at_task]["taskId"],
                }
            )
        allowed = (
            [Operation.CANCEL_JOB.asr_name]
            if self.running
            else ([Operation.RESTART_JOB.asr_name] if self.state in ("Failed", "Cancelled") else [])
        )
        return {
            "id": job_id,
            "name": self.name,
            "type": "Microsoft.RecoveryServices/vaults/replicationJobs",
            "properties": {
                "activityId": f"{self.name} ActivityId: {self.name[::-1]}",
                "scenarioName": self.scenario,
                "friendlyName": self.friendly_name,
                "state": self.state,
                "stateDescription": _DESCRIPTIONS.get(self.state, self.state),
                "tasks": tasks,
                "errors": errors,
                "startTime": iso(clock.at(self.start)),
                "endTime": iso(clock.at(self.end)) if self.end is not None else None,
                "allowedActions": allowed,
                "targetObjectId": opaque_id(self.target_object_id),
                "targetObjectName": self.target_object_name,
                "targetInstanceType": self.target_instance_type,
                "customDetails": {"instanceType": "AsrJobDetails", "affectedObjectDetails": {}},
            },
        }

    def start_time(self, clock: SimClock) -> datetime:
        return clock.at(self.start)


def opaque_id(arm_id: str) -> str:
    """What a real job carries as ``targetObjectId``: ASR's internal id of the object (a GUID), not its
    ARM id; the same object always gets the same one."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, arm_id.lower())) if arm_id else ""


_DESCRIPTIONS = {
    "Succeeded": "Completed",
    "InProgress": "In progress",
    "NotStarted": "Not started",
    "Failed": "Failed",
    "Cancelled": "Cancelled",
    "Cancelling": "Cancelling",
}
