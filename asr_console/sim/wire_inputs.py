"""Reading ARM request bodies (wire JSON) of ASR writes into the console's specs, for validation.

The simulated site validates what it receives with the same rules (``model.specs``) the console applies
before sending, so a request that slips past a client is still refused, before anything changes.
"""

from __future__ import annotations

from typing import Any

from asr_console.model.records import Provider
from asr_console.model.specs import PolicySpec


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def policy_spec(name: str, details: dict[str, Any]) -> PolicySpec:
    provider = Provider.parse(details.get("instanceType"))
    if provider is Provider.INMAGE_RCM:
        return PolicySpec(
            name=name,
            provider=provider,
            recovery_point_history_minutes=_int(details.get("recoveryPointHistoryInMinutes"), 4320),
            app_consistent_frequency_minutes=_int(details.get("appConsistentFrequencyInMinutes"), 240),
            crash_consistent_frequency_minutes=_int(details.get("crashConsistentFrequencyInMinutes"), 5),
            multi_vm_sync=str(details.get("enableMultiVmSync", "false")).lower() == "true",
        )
    return PolicySpec(
        name=name,
        provider=provider,
        recovery_point_history_minutes=_int(details.get("recoveryPointHistory"), 4320),
        app_consistent_frequency_minutes=_int(details.get("appConsistentFrequencyInMinutes"), 60),
        crash_consistent_frequency_minutes=_int(details.get("crashConsistentFrequencyInMinutes"), 5),
        rpo_threshold_minutes=_int(details.get("recoveryPointThresholdInMinutes"), 60),
        multi_vm_sync=str(details.get("multiVmSyncStatus", "Disable")).lower().startswith("enable"),
    )


def props(body: Any) -> dict[str, Any]:
    if isinstance(body, dict):
        value = body.get("properties")
        if isinstance(value, dict):
            return value
    return {}
