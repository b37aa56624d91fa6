"""The infrastructure pane: fabrics, appliances / configuration servers, process servers, the appliances'
components and vCenters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asr_console.model.doctor import newest_versions
from asr_console.model.records import (
    ApplianceComponent,
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


_RANK = {ProcessServer: 1, ApplianceComponent: 2, VCenterRegistration: 3}


class InfraView(TableView):
    """Configuration servers / appliances, their process servers, components and the vCenters they
    discover. Components are no store collection: they arrive on their fabric's record, so their rows
    follow the fabric's (``_component_keys`` remembers which rows each fabric put up)."""

    KIND = Kind.FABRIC
    STREAM = streams.INFRA
    TITLE = "Infrastructure"
    PARTS = (Kind.FABRIC, Kind.PROCESS_SERVER, Kind.VCENTER)

    def extra_kinds(self) -> Sequence[Kind]:
        return (Kind.PROCESS_SERVER, Kind.VCENTER)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._component_keys: dict[str, set[str]] = {}

    def records(self) -> list[Record | ApplianceComponent]:
        fabrics = self.store.all(Fabric)
        self._component_keys = {f.key: {c.key for c in f.components} for f in fabrics}
        parts: list[Record | ApplianceComponent] = [r for kind in self.PARTS for r in self.store.values(kind)]
        return parts + [c for f in fabrics for c in f.components]

    def tree_position(self, record: Any) -> tuple[str, int, str]:
        """Each configuration server / appliance, then its process servers, then its vCenters."""
        if isinstance(record, Fabric):
            return (record.display_name.lower(), 0, "")
        fabric_id = getattr(record, "fabric_id", "")
        fabric = self.store.typed(Fabric, fabric_id) if fabric_id else None
        owner = fabric.display_name.lower() if fabric else fabric_id.lower()
        rank = _RANK.get(type(record), 4)
        if isinstance(record, ApplianceComponent):  # each kind together, then by appliance machine
            return (owner, rank, f"{record.kind.label} {record.name}".lower())
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
        fabrics = self.store.collection(Kind.FABRIC)
        for key in {*pending.upserted.get(Kind.FABRIC, ()), *pending.removed.get(Kind.FABRIC, ())}:
            fabric = fabrics.get(key)
            parts = fabric.components if isinstance(fabric, Fabric) else ()
            now = {c.key for c in parts}
            removed += list(self._component_keys.pop(key, set()) - now)
            upserts += [(c.key, c) for c in parts]
            if now:
                self._component_keys[key] = now
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
            cert = (
                f"  certificate expires in {(record.cert_expiry - now).days} d"
                if record.cert_expiry is not None
                else ""
            )
            return (
                record.kind.value,
                record.display_name,
                health_cell(record.health),
                age(record.last_heartbeat, now),
                f"version {record.server_version or '—'}{cert}",
                err,
            )
        if isinstance(record, ApplianceComponent):
            return (
                f"  {record.kind.label}",
                record.name,
                health_cell(record.health),
                age(record.last_heartbeat, now),
                self._version_cell(record),
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

    def _version_cell(self, component: ApplianceComponent) -> Cell:
        """Its version, and the newest of its kind when that is newer (the doctor's comparison)."""
        everything = [c for f in self.store.all(Fabric) for c in f.components]
        newest = newest_versions(everything).get(component.kind, "")
        if newest and newest != component.version:
            return (f"version {component.version or '—'}, newest {newest}", "warning")
        return f"version {component.version or '—'}"

    def search_text(self, record: Any) -> str:
        label = record.kind.label if isinstance(record, ApplianceComponent) else ""
        names = f"{getattr(record, 'name', '')} {getattr(record, 'friendly_name', '')}"
        return f"{type(record).__name__} {label} {names}"
