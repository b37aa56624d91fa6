"""ASR's documented service rules for what a write asks, applied to the request body's wire JSON.

The body's shape is checked first against the SDK input model (``contract.py``); these are the rules
the models cannot express, from Microsoft's documentation (ASR-NOTES): retention 0–15 days,
app-consistent snapshots 0 (off) or every 60–720 minutes in whole hours and never longer than
retention (0 when retention is 0), crash-consistent points every 5 minutes. Each problem names the
field by its path in the body.
"""

from __future__ import annotations

from typing import Any

from asr_console.sim.errors import FieldProblem
from asr_console.sim.infra import SimPolicy
from asr_console.sim.items import CLASSIC, RCM

MAX_RETENTION_MINUTES = 15 * 24 * 60
APP_CONSISTENT_MINUTES = (60, 720)
CRASH_CONSISTENT_MINUTES = 5
MULTI_VM_SYNC_STATUS = ("Enable", "Disable")


def props(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        value = body.get("properties")
        if isinstance(value, dict):
            return value
    return {}


def policy_from_wire(name: str, details: dict[str, Any], where: str) -> tuple[SimPolicy, list[FieldProblem]]:
    """The policy a create/update body asks for (``details`` = its provider input), and what ASR refuses."""
    kind = details.get("instanceType")
    if kind == RCM:
        retention_key, multi_vm = "recoveryPointHistoryInMinutes", details.get("enableMultiVmSync") == "true"
        default_app = 240
    elif kind == CLASSIC:
        retention_key = "recoveryPointHistory"
        multi_vm = details.get("multiVmSyncStatus") == "Enable"
        default_app = 60
    else:
        problem = FieldProblem(f"{where}.instanceType", f"use {RCM} (modernized) or {CLASSIC} (classic)")
        return SimPolicy(name, str(kind), 0, 0), [problem]
    policy = SimPolicy(
        name,
        kind,
        retention_minutes=int(details.get(retention_key, 4320)),
        app_minutes=int(details.get("appConsistentFrequencyInMinutes", default_app)),
        crash_minutes=int(details.get("crashConsistentFrequencyInMinutes", CRASH_CONSISTENT_MINUTES)),
        rpo_threshold_minutes=int(details.get("recoveryPointThresholdInMinutes", 60)),
        multi_vm=multi_vm,
    )
    problems: list[FieldProblem] = []
    retention, app = policy.retention_minutes, policy.app_minutes
    if not 0 <= retention <= MAX_RETENTION_MINUTES:
        problems.append(
            FieldProblem(
                f"{where}.{retention_key}",
                f"retention must be 0–{MAX_RETENTION_MINUTES} minutes (15 days), got {retention}",
            )
        )
    app_key = f"{where}.appConsistentFrequencyInMinutes"
    low, high = APP_CONSISTENT_MINUTES
    if app != 0:
        if not low <= app <= high or app % 60:
            problems.append(
                FieldProblem(app_key, f"use 0 (off) or whole hours from {low} to {high} minutes, got {app}")
            )
        elif retention == 0:
            problems.append(FieldProblem(app_key, "must be 0 when retention is 0"))
        elif app > retention:
            problems.append(FieldProblem(app_key, f"must not exceed retention ({retention} minutes)"))
    if policy.crash_minutes != CRASH_CONSISTENT_MINUTES:
        problems.append(
            FieldProblem(
                f"{where}.crashConsistentFrequencyInMinutes",
                f"ASR takes crash-consistent points every {CRASH_CONSISTENT_MINUTES} minutes",
            )
        )
    if kind == CLASSIC and details.get("multiVmSyncStatus") not in MULTI_VM_SYNC_STATUS:
        problems.append(FieldProblem(f"{where}.multiVmSyncStatus", "use Enable or Disable"))
    if kind == CLASSIC and policy.rpo_threshold_minutes < 0:
        problems.append(FieldProblem(f"{where}.recoveryPointThresholdInMinutes", "must not be negative"))
    return policy, problems
