"""The policies pane: each replication policy with its settings and where it is associated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asr_console.model.queries import mappings_of_policy
from asr_console.model.records import (
    Fabric,
    Kind,
    Policy,
    ProtectionContainer,
    Provider,
)
from asr_console.sync import streams
from asr_console.widgets.fmt import duration, short_id
from asr_console.widgets.live import Pending
from asr_console.widgets.rows import Grouping
from asr_console.widgets.table import Cell, Column
from asr_console.widgets.tableview import TableView

PROVIDER_LABEL = {
    Provider.INMAGE_RCM: "InMageRcm (modernized)",
    Provider.INMAGE_AZURE_V2: "InMageAzureV2 (classic)",
    Provider.OTHER: "other",
}


def minutes(value: int | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "off"
    return duration(value * 60)


def container_name(store: Any, container_id: str) -> str:
    container = store.typed(ProtectionContainer, container_id)
    if container is None:
        return short_id(container_id)
    fabric = store.typed(Fabric, container.fabric_id)
    owner = fabric.display_name if fabric else short_id(container.fabric_id)
    return f"{container.friendly_name or container.name} ({owner})"


class PoliciesView(TableView):
    AGES = False
    KIND = Kind.POLICY
    STREAM = streams.INFRA
    TITLE = "Policies"

    def extra_kinds(self) -> Sequence[Kind]:
        return (Kind.MAPPING, Kind.CONTAINER)

    def groupings(self) -> list[Grouping]:
        return [Grouping("provider", lambda p: [PROVIDER_LABEL.get(p.provider, p.provider.value)])]

    def columns(self) -> list[Column]:
        return [
            Column("name", "Policy", 18, flex=True, max_width=36, sort=lambda p: p.name.lower()),
            Column("provider", "Provider", 23, priority=2, sort=lambda p: p.provider.value),
            Column(
                "retention",
                "Retention",
                9,
                align="right",
                sort=lambda p: p.settings.recovery_point_history_minutes,
            ),
            Column(
                "app",
                "App-cons.",
                9,
                align="right",
                sort=lambda p: p.settings.app_consistent_frequency_minutes,
            ),
            Column("crash", "Crash", 5, priority=5, align="right"),
            Column(
                "rpo",
                "RPO alert",
                9,
                priority=3,
                align="right",
                sort=lambda p: p.settings.rpo_threshold_minutes,
            ),
            Column("multi", "Multi-VM", 8, priority=4),
            Column("assoc", "Associated with", 24, flex=True, priority=1),
        ]

    def cells(self, policy: Policy) -> Sequence[Cell]:
        s = policy.settings
        maps = mappings_of_policy(self.store, policy.id)
        assoc = ", ".join(container_name(self.store, m.container_id) for m in maps) or ("none", "muted")
        return (
            policy.name,
            PROVIDER_LABEL[policy.provider]
            if policy.provider is not Provider.OTHER
            else policy.provider_name,
            minutes(s.recovery_point_history_minutes),
            minutes(s.app_consistent_frequency_minutes),
            minutes(s.crash_consistent_frequency_minutes),
            minutes(s.rpo_threshold_minutes) if s.rpo_threshold_minutes is not None else ("—", "muted"),
            "on" if s.multi_vm_sync else "off",
            assoc,
        )

    def search_text(self, policy: Policy) -> str:
        return f"{policy.name} {policy.provider.value} {policy.provider_name}"

    def dependents(self, pending: Pending) -> set[str]:
        if pending.touches((Kind.MAPPING, Kind.CONTAINER)):
            return set(self.store.keys(Kind.POLICY))
        return set()
