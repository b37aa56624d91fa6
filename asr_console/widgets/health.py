"""Replication health of protected items, with a summary line of normal / warning / critical / RPO.

The counts and the RPO threshold come from ``model.queries``, as ``asr-console status``'s do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asr_console.model.queries import HealthSummary, health_summary, rpo_threshold_minutes
from asr_console.model.records import Health, Kind, ProtectedItem
from asr_console.sync import streams
from asr_console.widgets.fmt import age, duration, health_cell, rpo_role
from asr_console.widgets.grouping import item_groupings, items_summary
from asr_console.widgets.live import Pending
from asr_console.widgets.rows import Grouping
from asr_console.widgets.table import Cell, Column
from asr_console.widgets.tableview import TableView

_HEALTH_ORDER = {Health.CRITICAL: 0, Health.WARNING: 1, Health.UNKNOWN: 2, Health.NORMAL: 3}


class HealthView(TableView):
    """Protected items. Attributes: ``summary`` (the last ``HealthSummary``)."""

    KIND = Kind.PROTECTED_ITEM
    STREAM = streams.ITEMS
    TITLE = "Replication health"
    MARKABLE = True

    summary = HealthSummary()

    def extra_kinds(self) -> Sequence[Kind]:
        return (Kind.POLICY,)

    def groupings(self) -> list[Grouping]:
        return item_groupings(self.store)

    def group_summary(self, records: list[Any]) -> str:
        return items_summary(records)

    def columns(self) -> list[Column]:
        def by_health(i: ProtectedItem) -> Any:
            return _HEALTH_ORDER[i.replication_health]

        return [
            Column("name", "Item", 18, flex=True, max_width=40, sort=lambda i: i.display_name.lower()),
            Column("health", "Health", 8, sort=by_health),
            Column("state", "Protection state", 18, priority=3, sort=lambda i: i.protection_state),
            Column("rpo", "RPO/limit", 10, align="right", sort=lambda i: i.rpo_seconds),
            Column("rp", "Last RP", 7, priority=2, align="right", sort=lambda i: i.last_recovery_point),
            Column("ir", "IR %", 5, priority=4, align="right", sort=lambda i: i.initial_replication_percent),
            Column(
                "resync",
                "Resync",
                7,
                priority=5,
                sort=lambda i: (i.resync_required, i.resync_progress_percent or 0),
            ),
            Column("agent", "Agent", 12, priority=6, sort=lambda i: i.agent_version),
            Column("hb", "Heartbeat", 9, priority=7, align="right", sort=lambda i: i.agent_heartbeat),
            Column("errors", "Errors", 6, priority=1, align="right", sort=lambda i: len(i.health_errors)),
        ]

    def cells(self, item: ProtectedItem) -> Sequence[Cell]:
        now = self.now
        threshold = rpo_threshold_minutes(self.store, item)
        role = rpo_role(item, threshold)
        errors = len(item.health_errors)
        err_cell: Cell = (str(errors), "critical") if errors else ("0", "muted")
        if item.resync_required:
            resync: Cell = (f"{item.resync_progress_percent or 0}%", "warning")
        else:
            resync = ("no", "muted")
        agent = item.agent_version or "—"
        agent_cell: Cell = (agent + " ↑", "warning") if item.agent_upgradeable else agent
        ir = item.initial_replication_percent
        return (
            item.display_name,
            health_cell(item.replication_health),
            item.protection_state_description or item.protection_state,
            (f"{duration(item.rpo_seconds)}/{threshold}m", role),
            age(item.last_recovery_point, now),
            f"{ir}%" if ir is not None else "—",
            resync,
            agent_cell,
            age(item.agent_heartbeat, now),
            err_cell,
        )

    def search_text(self, item: ProtectedItem) -> str:
        return " ".join(
            (
                item.display_name,
                item.replication_health.value,
                item.protection_state,
                item.policy_name,
                item.process_server_name,
                *(e.code for e in item.health_errors),
            )
        )

    def dependents(self, pending: Pending) -> set[str]:
        # A policy's threshold colours every item under it.
        if pending.upserted.get(Kind.POLICY) or pending.removed.get(Kind.POLICY):
            return set(self.store.keys(Kind.PROTECTED_ITEM))
        return set()

    def reset(self) -> None:
        if self.table.sort_column is None:
            self.table.sort_column = "health"
        super().reset()

    def headline(self) -> str:
        self.summary = health_summary(self.store)
        base = super().headline()
        if self.awaiting_first_read:
            return base
        if self.compact:
            s = self.summary
            return f"{base} — {s.critical} crit · {s.warning} warn · {s.rpo_breaches} RPO"
        return f"{base} — {self.summary.text()}"
