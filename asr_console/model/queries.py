"""Domain questions the console and the headless commands both ask, answered once.

``asr-console status`` and the health pane count the same items the same way because both call
``health_summary``; every join by ARM id goes through the store (``model.arm.arm_key``).
"""

from __future__ import annotations

from dataclasses import dataclass

from asr_console.model.arm import arm_key
from asr_console.model.records import (
    ContainerMapping,
    Health,
    Job,
    Kind,
    Policy,
    ProtectedItem,
    RecoveryPoint,
    VirtualMachine,
)
from asr_console.model.store import Store

# The modernized provider has no RPO threshold, nor has an item whose policy is not (yet) listed: the
# classic tutorial's default applies.
DEFAULT_RPO_THRESHOLD_MINUTES = 60


def policy_of(store: Store, item: ProtectedItem) -> Policy | None:
    return store.typed(Policy, item.policy_id) if item.policy_id else None


def rpo_threshold_minutes(store: Store, item: ProtectedItem) -> int:
    """The RPO an item is held to: its policy's alert threshold, else the default."""
    policy = policy_of(store, item)
    if policy is None:
        return DEFAULT_RPO_THRESHOLD_MINUTES
    return policy.settings.effective_rpo_threshold_minutes


def rpo_breached(store: Store, item: ProtectedItem) -> bool:
    """The item's last RPO is over its threshold (an item without an RPO yet is not in breach)."""
    return item.rpo_seconds is not None and item.rpo_seconds > rpo_threshold_minutes(store, item) * 60


@dataclass(frozen=True)
class HealthSummary:
    total: int = 0
    normal: int = 0
    warning: int = 0
    critical: int = 0
    unknown: int = 0
    rpo_breaches: int = 0

    def text(self) -> str:
        return (
            f"{self.total} items · {self.normal} normal · {self.warning} warning · "
            f"{self.critical} critical · {self.rpo_breaches} RPO breaches"
        )


def health_summary(store: Store) -> HealthSummary:
    """Protected items by replication health, and how many are over their RPO threshold."""
    counts = dict.fromkeys(Health, 0)
    breaches = 0
    # an item's threshold is its policy's: looked up once per policy, not once per item (5,000 items
    # share a handful of policies)
    limits: dict[str, int] = {}
    for item in store.all(ProtectedItem):
        counts[item.replication_health] += 1
        rpo = item.rpo_seconds
        if rpo is None:
            continue
        limit = limits.get(item.policy_id)
        if limit is None:
            limit = limits[item.policy_id] = rpo_threshold_minutes(store, item) * 60
        if rpo > limit:
            breaches += 1
    return HealthSummary(
        total=sum(counts.values()),
        normal=counts[Health.NORMAL],
        warning=counts[Health.WARNING],
        critical=counts[Health.CRITICAL],
        unknown=counts[Health.UNKNOWN],
        rpo_breaches=breaches,
    )


def loading(store: Store, stream: str, kind: Kind) -> bool:
    """Whether a count of ``kind`` would say 0 only because ``stream`` has not read it yet: the stream
    never succeeded and the store holds none (a count shown then reads "loading", not 0)."""
    return store.count(kind) == 0 and store.freshness(stream).last_success is None


def vm_of(store: Store, item: ProtectedItem) -> VirtualMachine | None:
    """The vCenter VM a protected item replicates (the join of ``model.join``)."""
    return store.vm_for_item(item.id)


def item_of(store: Store, vm: VirtualMachine) -> ProtectedItem | None:
    """The protected item replicating a vCenter VM, if any."""
    return store.item_for_vm(vm.moref)


def mappings_of_container(store: Store, container_id: str) -> list[ContainerMapping]:
    """The policy associations of one protection container."""
    key = arm_key(container_id)
    return [m for m in store.all(ContainerMapping) if arm_key(m.container_id) == key]


def mappings_of_policy(store: Store, policy_id: str) -> list[ContainerMapping]:
    """The containers one policy is associated with, as their mappings."""
    key = arm_key(policy_id)
    return [m for m in store.all(ContainerMapping) if arm_key(m.policy_id) == key]


def jobs_of_item(store: Store, item: ProtectedItem) -> list[Job]:
    """Jobs whose target is the item. Real jobs name their target by ``targetObjectName`` (the item's
    friendly name); their ``targetObjectId`` is ASR's internal id, never the item's ARM id."""
    name = item.display_name.lower()
    return [j for j in store.all(Job) if j.target_object_name and j.target_object_name.lower() == name]


def recovery_points_of(store: Store, item: ProtectedItem) -> list[RecoveryPoint]:
    key = arm_key(item.id)
    return [p for p in store.all(RecoveryPoint) if arm_key(p.item_id) == key]
