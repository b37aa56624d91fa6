"""Protection phases of a simulated protected item, how ASR shows each, and what it allows next.

Paths: enable → initial replication → protected; test failover → (cleanup pending) → cleanup;
unplanned failover → failed over → (change recovery point)* → commit → re-protect → protected in
Azure (failback would follow); resync (repair replication) while protected; disable from most phases.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from asr_console.model.specs import FieldError, InvalidInput, require_allowed


class Phase(StrEnum):
    ENABLING = "enabling"
    INITIAL_REPLICATION = "initial-replication"
    PROTECTED = "protected"
    FAILING_OVER = "failing-over"
    FAILED_OVER = "failed-over"
    CHANGING_RECOVERY_POINT = "changing-recovery-point"
    COMMITTING = "committing"
    COMMITTED = "committed"
    REPROTECTING = "reprotecting"
    REPROTECTED = "reprotected"
    DISABLING = "disabling"


class TestFailover(StrEnum):
    NONE = "None"
    IN_PROGRESS = "InProgress"
    CLEANUP_PENDING = "WaitingForCompletion"
    CLEANING_UP = "MarkedForDeletion"


@dataclass(frozen=True, slots=True)
class PhaseView:
    protection_state: str
    description: str
    active_location: str
    allowed: tuple[str, ...]


PHASES: dict[Phase, PhaseView] = {
    Phase.ENABLING: PhaseView("EnablingProtection", "Enabling protection", "Primary", ()),
    Phase.INITIAL_REPLICATION: PhaseView(
        "ProtectedStatesBegin", "Initial replication in progress", "Primary", ("DisableProtection",)
    ),
    Phase.PROTECTED: PhaseView(
        "Protected", "Protected", "Primary", ("TestFailover", "UnplannedFailover", "DisableProtection")
    ),
    Phase.FAILING_OVER: PhaseView(
        "UnplannedFailoverTransitionStatesBegin", "Failover in progress", "Primary", ()
    ),
    Phase.FAILED_OVER: PhaseView(
        "UnplannedFailoverCommitPendingStatesBegin",
        "Failover completed",
        "Recovery",
        ("Commit", "ChangePit", "DisableProtection"),
    ),
    Phase.CHANGING_RECOVERY_POINT: PhaseView(
        "UnplannedFailoverCommitPendingStatesBegin", "Changing the recovery point", "Recovery", ()
    ),
    Phase.COMMITTING: PhaseView(
        "UnplannedFailoverCommitPendingStatesBegin", "Committing the failover", "Recovery", ()
    ),
    Phase.COMMITTED: PhaseView(
        "UnplannedFailoverCommittedStatesBegin",
        "Failover committed",
        "Recovery",
        ("ReverseReplicate", "DisableProtection"),
    ),
    Phase.REPROTECTING: PhaseView("ReprotectStatesBegin", "Reprotect in progress", "Recovery", ()),
    Phase.REPROTECTED: PhaseView(
        "Protected", "Protected", "Recovery", ("PlannedFailover", "DisableProtection")
    ),
    Phase.DISABLING: PhaseView("UnprotectedStatesBegin", "Disabling protection", "Primary", ()),
}

TEST_FAILOVER_DESCRIPTIONS = {
    TestFailover.NONE: "None",
    TestFailover.IN_PROGRESS: "Test failover in progress",
    TestFailover.CLEANUP_PENDING: "Waiting for user input",
    TestFailover.CLEANING_UP: "Cleaning up test environment",
}


def allowed_operations(phase: Phase, test_failover: TestFailover, resync_required: bool) -> tuple[str, ...]:
    allowed = PHASES[phase].allowed
    if phase is Phase.PROTECTED:
        if test_failover is TestFailover.CLEANUP_PENDING:
            allowed = ("TestFailoverCleanup", "DisableProtection")
        elif test_failover is not TestFailover.NONE:
            allowed = ()
        elif resync_required:
            allowed = ("RepairReplication", "UnplannedFailover", "DisableProtection")
    return allowed


def require(operation: str, allowed: tuple[str, ...], item_name: str) -> None:
    errors: list[FieldError] = require_allowed(operation, allowed, item_name)
    if errors:
        raise InvalidInput(errors)
