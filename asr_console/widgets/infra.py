"""The infrastructure pane: fabrics, appliances / configuration servers, process servers and vCenters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asr_console.model.records import (
    Fabric,
    Kind,
    ProcessServer,
    Record,
    VCenterRegistration,
)
from asr_console.sync import streams
from asr_console.widgets.fmt import age, health_cell
from asr_console.widgets.live import Pending
from asr_console.widgets.rows import Grouping
from asr_console.widgets.table import Cell, Column
from asr_console.widgets.tableview import TableView


def _pct(value: float | None) -> str:
    return f"{value:.0f}%" if value is not None else "—"


class InfraView(TableView):
    """Configuration servers / appliances, their process servers and the vCenters they discover."""

    KIND = Kind.FABRIC
    STREAM = streams.INFRA
    TITLE = "Infrastructure"
    PARTS = (Kind.FABRIC, Kind.PROCESS_SERVER, Kind.VCENTER)

    def extra_kinds(self) -> Sequence[Kind]:
        return (Kind.PROCESS_SERVER, Kind.VCENTER)

    def records(self) -> list[Record]:
        return [r for kind in self.PARTS for r in self.store.values(kind)]

    def tree_position(self, record: Any) -> tuple[str, int, str]:
        """Each configuration server / appliance, then its process servers, then its vCenters."""
        if isinstance(record, Fabric):
            return (record.display_name.lower(), 0, "")
        fabric_id = getattr(record, "fabric_id", "")
        fabric = self.store.typed(Fabric, fabric_id) if fabric_id else None
        owner = fabric.display_name.lower() if fabric else fabric_id.lower()
        rank = 1 if isinstance(record, ProcessServer) else 2
        return (owner, rank, str(getattr(record, "name", "")).lower())

    def reset(self) -> None:
        if self.table.sort_column is None:
            self.table.sort_column = "kind"
        super().reset()

    def changed(self, pending: Pending) -> None:
        upserts: list[tuple[str, Any]] = []
        removed: list[str] = []
        for kind in self.PARTS:
            coll = self.store.collection(kind)
            upserts += [(k, coll[k]) for k in pending.upserted.get(kind, ()) if k in coll]
            removed += list(pending.removed.get(kind, ()))
        self.table.apply(upserts, removed)
        self.update_headline()

    def groupings(self) -> list[Grouping]:
        return [Grouping("kind", lambda r: [type(r).__name__])]

    def columns(self) -> list[Column]:
        return [
            Column("kind", "Kind", 18, sort=self.tree_position),
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
