"""The activity pane: ASR events, vCenter events and this console's own actions, newest first."""

from __future__ import annotations

from collections.abc import Sequence

from asr_console.model.records import (
    Event,
    Kind,
)
from asr_console.widgets.rows import Grouping
from asr_console.widgets.table import Cell, Column
from asr_console.widgets.tableview import TableView

_SEVERITY_ROLE = {"error": "critical", "warning": "warning", "info": ""}


class EventsView(TableView):
    AGES = False
    KIND = Kind.EVENT
    TITLE = "Events"

    def groupings(self) -> list[Grouping]:
        return [
            Grouping("level", lambda e: [e.severity or "—"]),
            Grouping("source", lambda e: [e.source.value]),
            Grouping("entity", lambda e: [e.entity_name or "—"]),
        ]

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
            self.stamp(event.time, short=True),
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
