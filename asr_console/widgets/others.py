"""The smaller panes: policies, failover candidates, infrastructure, events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asr_console.model.operations import ITEM_OPERATIONS
from asr_console.model.queries import mappings_of_policy
from asr_console.model.records import (
    Event,
    Fabric,
    Kind,
    Policy,
    ProcessServer,
    ProtectedItem,
    ProtectionContainer,
    Provider,
    Record,
    VCenterRegistration,
)
from asr_console.widgets.fmt import HEALTH_ROLE, age, duration, health_cell, short_id
from asr_console.widgets.live import Pending
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
    TITLE = "Policies"

    def extra_kinds(self) -> Sequence[Kind]:
        return (Kind.MAPPING, Kind.CONTAINER)

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


def allowed_shorts(item: ProtectedItem) -> str:
    """The short names of the catalogue's item operations ASR allows for ``item`` now."""
    return " ".join(op.spec.short for op in ITEM_OPERATIONS if op.asr_name in item.allowed_operations)


class FailoverView(TableView):
    """Protected items as failover candidates: marks pick them, the dialog picks the operation."""

    KIND = Kind.PROTECTED_ITEM
    TITLE = "Failover candidates"
    MARKABLE = True

    def columns(self) -> list[Column]:
        return [
            Column("name", "Item", 18, flex=True, max_width=40, sort=lambda i: i.display_name.lower()),
            Column("health", "Health", 8, sort=lambda i: i.replication_health.value),
            Column("state", "State", 16, priority=2, sort=lambda i: i.protection_state),
            Column("tfo", "Test failover", 14, sort=lambda i: i.test_failover_state),
            Column(
                "last",
                "Last TFO",
                8,
                priority=3,
                align="right",
                sort=lambda i: i.last_successful_test_failover,
            ),
            Column("ops", "Allowed", 24, flex=True, priority=1),
        ]

    def cells(self, item: ProtectedItem) -> Sequence[Cell]:
        allowed = allowed_shorts(item)
        return (
            item.display_name,
            health_cell(item.replication_health),
            item.protection_state_description or item.protection_state,
            item.test_failover_state if item.test_failover_state not in ("", "None") else "—",
            age(item.last_successful_test_failover, self.now),
            allowed or ("none", "muted"),
        )

    def search_text(self, item: ProtectedItem) -> str:
        allowed = allowed_shorts(item)
        return f"{item.display_name} {item.protection_state} {item.test_failover_state} {allowed}"


class InfraView(TableView):
    """Configuration servers / appliances, their process servers and the vCenters they discover."""

    KIND = Kind.FABRIC
    TITLE = "Infrastructure"
    PARTS = (Kind.FABRIC, Kind.PROCESS_SERVER, Kind.VCENTER)

    def extra_kinds(self) -> Sequence[Kind]:
        return (Kind.PROCESS_SERVER, Kind.VCENTER)

    def records(self) -> list[Record]:
        return [r for kind in self.PARTS for r in self.store.values(kind)]

    def changed(self, pending: Pending) -> None:
        upserts: list[tuple[str, Any]] = []
        removed: list[str] = []
        for kind in self.PARTS:
            coll = self.store.collection(kind)
            upserts += [(k, coll[k]) for k in pending.upserted.get(kind, ()) if k in coll]
            removed += list(pending.removed.get(kind, ()))
        self.table.apply(upserts, removed)
        self.update_headline()

    def columns(self) -> list[Column]:
        return [
            Column("kind", "Kind", 18, sort=lambda r: type(r).__name__),
            Column("name", "Name", 20, flex=True, max_width=40, sort=lambda r: r.name.lower()),
            Column("health", "Health", 8),
            Column("hb", "Heartbeat", 9, align="right", priority=1),
            Column("detail", "Detail", 30, flex=True, priority=2),
            Column("errors", "Errors", 6, align="right"),
        ]

    def cells(self, record: Any) -> Sequence[Cell]:
        now = self.now
        errors = len(getattr(record, "health_errors", ()))
        err: Cell = (str(errors), "critical") if errors else ("0", "muted")
        if isinstance(record, Fabric):
            return (
                record.kind.value,
                record.display_name,
                health_cell(record.health),
                age(record.last_heartbeat, now),
                f"version {record.server_version or '—'}",
                err,
            )
        if isinstance(record, ProcessServer):
            detail = (
                f"{record.ip_address} cpu {_pct(record.cpu_percent)} mem {_pct(record.memory_percent)} "
                f"free {_pct(record.free_space_percent)} items {record.protected_item_count}"
            )
            return (
                "  process server",
                record.name,
                health_cell(record.health),
                age(record.last_heartbeat, now),
                detail,
                err,
            )
        if isinstance(record, VCenterRegistration):
            hb = age(record.last_heartbeat, now)
            return (
                "  vCenter",
                record.name,
                (record.discovery_status or "—", "muted"),
                hb,
                f"{record.address}:{record.port}",
                err,
            )
        return (type(record).__name__, getattr(record, "name", "?"), "", "", "", err)

    def search_text(self, record: Any) -> str:
        return f"{type(record).__name__} {getattr(record, 'name', '')} {getattr(record, 'friendly_name', '')}"


def _pct(value: float | None) -> str:
    return f"{value:.0f}%" if value is not None else "—"


_SEVERITY_ROLE = {"error": "critical", "warning": "warning", "info": ""}


class EventsView(TableView):
    AGES = False
    KIND = Kind.EVENT
    TITLE = "Events"

    def columns(self) -> list[Column]:
        return [
            Column("time", "Time", 8, sort=lambda e: e.time),
            Column("source", "Source", 7, sort=lambda e: e.source.value),
            Column("severity", "Level", 7, sort=lambda e: e.severity),
            Column("entity", "Entity", 16, priority=1, sort=lambda e: e.entity_name.lower()),
            Column("message", "Message", 30, flex=True),
        ]

    def cells(self, event: Event) -> Sequence[Cell]:
        role = _SEVERITY_ROLE.get(event.severity, "")
        return (
            event.time.strftime("%H:%M:%S"),
            event.source.value,
            (event.severity, role) if role else event.severity,
            event.entity_name,
            event.message,
        )

    def search_text(self, event: Event) -> str:
        return f"{event.source.value} {event.severity} {event.entity_name} {event.message} {event.event_type}"

    def reset(self) -> None:
        if self.table.sort_column is None:
            self.table.sort_column = "time"
            self.table.sort_reverse = True
        super().reset()


__all__ = ["HEALTH_ROLE", "EventsView", "FailoverView", "InfraView", "PoliciesView"]
