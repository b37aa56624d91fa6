"""The failover pane: protected items with their failover state and the operations ASR allows now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asr_console.model.operations import ITEM_OPERATIONS
from asr_console.model.records import (
    Kind,
    ProtectedItem,
)
from asr_console.sync import streams
from asr_console.widgets.fmt import age, health_cell
from asr_console.widgets.grouping import item_groupings, items_summary
from asr_console.widgets.rows import Grouping
from asr_console.widgets.table import Cell, Column
from asr_console.widgets.tableview import TableView


def allowed_shorts(item: ProtectedItem) -> str:
    """The short names of the catalogue's item operations ASR allows for ``item`` now."""
    return " ".join(op.spec.short for op in ITEM_OPERATIONS if op.asr_name in item.allowed_operations)


class FailoverView(TableView):
    """Protected items as failover candidates: marks pick them, the dialog picks the operation."""

    KIND = Kind.PROTECTED_ITEM
    STREAM = streams.ITEMS
    TITLE = "Failover candidates"
    MARKABLE = True

    def groupings(self) -> list[Grouping]:
        return [
            Grouping("state", lambda i: [i.protection_state_description or i.protection_state or "—"]),
            Grouping("test failover", lambda i: [i.test_failover_state or "None"]),
            *item_groupings(self.store),
        ]

    def group_summary(self, records: list[Any]) -> str:
        return items_summary(records)

    def columns(self) -> list[Column]:
        return [
            Column("name", "Item", 18, flex=True, max_width=40, sort=lambda i: i.display_name.lower()),
            Column("health", "Health", 8, sort=lambda i: i.replication_health.value),
            Column("state", "State", 16, sort=lambda i: i.protection_state),
            Column("tfo", "Test failover", 14, priority=2, sort=lambda i: i.test_failover_state),
            Column(
                "last",
                "Last TFO",
                8,
                priority=3,
                align="right",
                sort=lambda i: i.last_successful_test_failover,
            ),
            Column("ops", "Allowed", 24, flex=True, priority=1),
            # which way the item replicates: towards Azure, or back to VMware after a re-protect
            Column("dir", "Direction", 9, priority=5, sort=lambda i: i.direction),
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
            item.direction or "—",
        )

    def search_text(self, item: ProtectedItem) -> str:
        allowed = allowed_shorts(item)
        return f"{item.display_name} {item.protection_state} {item.test_failover_state} {allowed}"
