"""ARM ids compare case-insensitively.

ARM treats resource ids as case-insensitive, and a real vault does not spell them one way: a protected
item's ``policyId`` may read ``/Subscriptions/…/resourcegroups/…`` while the policy's own id reads
``/subscriptions/…/resourceGroups/…``. Every comparison or lookup by ARM id goes through ``arm_key``;
records keep the spelling the service gave them, for display and for the requests sent back.
"""

from __future__ import annotations

from asr_console.model.records import Kind

# Collections keyed by ARM id (or, for process servers, a GUID, which compares the same way).
ARM_KINDS = frozenset(
    {
        Kind.VAULT,
        Kind.FABRIC,
        Kind.PROCESS_SERVER,
        Kind.VCENTER,
        Kind.CONTAINER,
        Kind.POLICY,
        Kind.MAPPING,
        Kind.PROTECTABLE,
        Kind.PROTECTED_ITEM,
        Kind.RECOVERY_POINT,
        Kind.JOB,
        Kind.RECOVERY_PLAN,
    }
)


def arm_key(arm_id: str) -> str:
    """The form two ARM ids are compared in: equal keys name the same resource."""
    return arm_id.strip().rstrip("/").lower()


def same_arm_id(a: str, b: str) -> bool:
    return arm_key(a) == arm_key(b)
