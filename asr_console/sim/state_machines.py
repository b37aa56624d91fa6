"""Protection phases of a simulated protected item, how ASR shows each, and what it allows next.

Paths: enable → initial replication → protected; test failover → (cleanup pending) → cleanup;
unplanned failover → failed over → (change recovery point)* → commit → re-protect → replicating from
Azure to VMware → failback (planned failover) → failed back → commit → re-protect → protected (VMware
to Azure again); resync (repair replication) while protected; disable from most phases.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from asr_console.model.operations import Operation
from asr_console.sim.errors import FieldProblem

# ASR's names for what an item allows next (the simulated site decides when by its own rules)
_CHANGE_RECOVERY_POINT = Operation.CHANGE_RECOVERY_POINT.asr_name
_COMMIT = Operation.COMMIT.asr_name
_DISABLE_REPLICATION = Operation.DISABLE_REPLICATION.asr_name
_REPROTECT = Operation.REPROTECT.asr_name
_RESYNC = Operation.RESYNC.asr_name
_TEST_FAILOVER = Operation.TEST_FAILOVER.asr_name
_TEST_FAILOVER_CLEANUP = Operation.TEST_FAILOVER_CLEANUP.asr_name
_UNPLANNED_FAILOVER = Operation.UNPLANNED_FAILOVER.asr_name
_PLANNED_FAILOVER = Operation.FAILBACK.asr_name


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
    REPROTECTED = "reprotected"  # replicating from Azure to VMware
    FAILING_BACK = "failing-back"
    FAILED_BACK = "failed-back"
    COMMITTING_FAILBACK = "committing-failback"
    FAILBACK_COMMITTED = "failback-committed"
    REPROTECTING_TO_AZURE = "reprotecting-to-azure"
    DISABLING = "disabling"


# The phases in which a modernized item replicates (or has failed back) with the failback provider
FAILBACK_PHASES = frozenset(
    {
        Phase.REPROTECTED,
        Phase.FAILING_BACK,
        Phase.FAILED_BACK,
        Phase.COMMITTING_FAILBACK,
        Phase.FAILBACK_COMMITTED,
        Phase.REPROTECTING_TO_AZURE,
    }
)


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
        "ProtectedStatesBegin", "Initial replication in progress", "Primary", (_DISABLE_REPLICATION,)
    ),
    Phase.PROTECTED: PhaseView(
        "Protected", "Protected", "Primary", (_TEST_FAILOVER, _UNPLANNED_FAILOVER, _DISABLE_REPLICATION)
    ),
    Phase.FAILING_OVER: PhaseView(
        "UnplannedFailoverTransitionStatesBegin", "Failover in progress", "Primary", ()
    ),
    Phase.FAILED_OVER: PhaseView(
        "UnplannedFailoverCommitPendingStatesBegin",
        "Failover completed",
        "Recovery",
        (_COMMIT, _CHANGE_RECOVERY_POINT, _DISABLE_REPLICATION),
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
        (_REPROTECT, _DISABLE_REPLICATION),
    ),
    Phase.REPROTECTING: PhaseView("ReprotectStatesBegin", "Reprotect in progress", "Recovery", ()),
    Phase.REPROTECTED: PhaseView(
        "Protected", "Protected", "Recovery", (_PLANNED_FAILOVER, _DISABLE_REPLICATION)
    ),
    Phase.FAILING_BACK: PhaseView(
        "PlannedFailoverTransitionStatesBegin", "Failback in progress", "Recovery", ()
    ),
    Phase.FAILED_BACK: PhaseView(
        "PlannedFailoverCommitPendingStatesBegin",
        "Failback completed",
        "Primary",
        (_COMMIT, _DISABLE_REPLICATION),
    ),
    Phase.COMMITTING_FAILBACK: PhaseView(
        "PlannedFailoverCommitPendingStatesBegin", "Committing the failback", "Primary", ()
    ),
    # the state and description the official FailoverCommit example shows after a planned failover
    Phase.FAILBACK_COMMITTED: PhaseView(
        "PlannedFailoverStatesBegin",
        "Planned failover committed",
        "Primary",
        (_REPROTECT, _DISABLE_REPLICATION),
    ),
    Phase.REPROTECTING_TO_AZURE: PhaseView("ReprotectStatesBegin", "Reprotect in progress", "Primary", ()),
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
            allowed = (_TEST_FAILOVER_CLEANUP, _DISABLE_REPLICATION)
        elif test_failover is not TestFailover.NONE:
            allowed = ()
        elif resync_required:
            allowed = (_RESYNC, _UNPLANNED_FAILOVER, _DISABLE_REPLICATION)
    return allowed


def not_allowed(operation: str, allowed: tuple[str, ...], item_name: str) -> list[FieldProblem]:
    """ASR refuses an operation its allowedOperations does not list for the item."""
    if operation.lower() in {a.lower() for a in allowed}:
        return []
    shown = ", ".join(allowed) or "none"
    return [FieldProblem("operation", f"{operation} is not allowed for {item_name} now (allowed: {shown})")]
