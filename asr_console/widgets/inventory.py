"""The vCenter inventory: a datacenter / cluster / host tree beside the VM table.

Each VM row carries the protection badge from the store's VM ↔ protected-item join (health and RPO),
churn from the latest performance sample and the Azure compatibility verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Tree

from asr_console.model.compat import check_vm
from asr_console.model.join import DiscoveredIndex
from asr_console.model.records import (
    ChurnSample,
    Cluster,
    Datacenter,
    Host,
    Kind,
    ProtectableItem,
    VirtualMachine,
)
from asr_console.model.store import Store
from asr_console.sync import streams
from asr_console.widgets.fmt import HEALTH_ROLE, churn, duration, memory, size_gb
from asr_console.widgets.grouping import vm_groupings, vms_summary
from asr_console.widgets.line import Line
from asr_console.widgets.live import Pending
from asr_console.widgets.rows import Grouping
from asr_console.widgets.table import Cell, Column, KeyedTable
from asr_console.widgets.tableview import TableView


@dataclass(frozen=True)
class Compat:
    verdict: str  # ok, warning, blocked, unknown
    reasons: tuple[str, ...] = ()
    complete: bool = True


_COMPAT_ROLE = {"ok": "normal", "warning": "warning", "blocked": "critical", "unknown": "muted"}
# moref → (vm, churn, verdict): records are immutable, so identity tells whether it is still current.
_compat_cache: dict[str, tuple[VirtualMachine, ChurnSample | None, Compat]] = {}


def compat_of(vm: VirtualMachine, churn_sample: ChurnSample | None = None) -> Compat:
    cached = _compat_cache.get(vm.moref)
    if cached is not None and cached[0] is vm and cached[1] is churn_sample:
        return cached[2]
    try:
        result = check_vm(vm, churn_sample)
        verdict = Compat(str(result.status), tuple(result.reasons), bool(result.complete))
    except Exception as exc:  # a rule's bug must not take the inventory down
        verdict = Compat("unknown", (f"check failed: {exc}",))
    _compat_cache[vm.moref] = (vm, churn_sample, verdict)
    return verdict


# Disks listed one by one up to this many; more read as "+N more"
DISKS_LISTED = 3


def disk_sizes(vm: VirtualMachine) -> str:
    """Each disk's size, ``60G+1.0T``: two disks of different sizes are not ``2×1.1T``."""
    sizes = [size_gb(d.capacity_bytes) for d in vm.disks]
    if len(sizes) > DISKS_LISTED + 1:
        sizes = [*sizes[:DISKS_LISTED], f"{len(sizes) - DISKS_LISTED} more"]
    return "+".join(sizes) or "—"


def agent_cell(store: Store, vm: VirtualMachine, machine: ProtectableItem | None) -> Cell:
    """The Mobility agent in the VM: a protected item's version, else whether the vault's discovery
    saw one (— when the vault has not discovered the VM or does not say)."""
    item = store.item_for_vm(vm.moref)
    if item is not None and item.agent_version:
        return item.agent_version
    if machine is None or machine.agent_installed is None:
        return ("—", "muted")
    if machine.agent_installed:
        return machine.agent_version or "installed"
    return ("none", "warning")


def protection_badge(store: Store, vm: VirtualMachine) -> Cell:
    item = store.item_for_vm(vm.moref)
    if item is None:
        return ("—", "muted")
    rpo = f" {duration(item.rpo_seconds)}" if item.rpo_seconds is not None else ""
    return (f"{item.replication_health.value}{rpo}", HEALTH_ROLE[item.replication_health])


class InventoryTree(Tree[tuple[str, str] | None]):
    """The datacenter / cluster / host tree, on the table's keys: j/k move, space marks the VMs
    under the node (enter still scopes the table to it), Tab and shift+Tab leave it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("space", "mark_node", "Mark VMs"),
        Binding("tab", "app.focus_next", "Next", show=False),
        Binding("shift+tab", "app.focus_previous", "Previous", show=False),
    ]

    class MarkNode(Message):
        """Space on a node: mark (or unmark) the VMs under it."""

        def __init__(self, scope: tuple[str, str] | None) -> None:
            super().__init__()
            self.scope = scope

    def action_mark_node(self) -> None:
        node = self.cursor_node
        if node is not None:
            self.post_message(self.MarkNode(node.data))


class InventoryView(TableView):
    """VMs; ``scope`` is the tree selection as (kind, moref) or None for everything."""

    AGES = False
    KIND = Kind.VM
    STREAM = streams.VCENTER_INVENTORY
    TITLE = "VMs"
    MARKABLE = True
    JOIN = True

    DEFAULT_CSS = """
    InventoryView #inventory-body { height: 1fr; }
    InventoryView Tree { width: 30; height: 1fr; border-right: vkey $panel-lighten-1; }
    InventoryView.compact Tree, InventoryView.narrow Tree { display: none; }
    """

    scope: tuple[str, str] | None = None
    # the vault's discovered machines by VM identity, for the Agent column (rebuilt when they change)
    discovered = DiscoveredIndex(())

    def extra_kinds(self) -> Sequence[Kind]:
        return (Kind.DATACENTER, Kind.CLUSTER, Kind.HOST, Kind.CHURN, Kind.PROTECTED_ITEM, Kind.PROTECTABLE)

    def compose(self) -> ComposeResult:
        yield Line(self.TITLE, classes="headline")
        with Horizontal(id="inventory-body"):
            tree = InventoryTree("vCenter", data=None, id="inventory-tree")
            tree.show_root = True
            yield tree
            yield self.table

    NARROW_WIDTH = 100  # below this the tree would leave too little room for the VMs

    def on_mount(self) -> None:
        super().on_mount()
        if self.compact:
            self.add_class("compact")

    def on_resize(self) -> None:
        self.set_class(self.size.width < self.NARROW_WIDTH, "narrow")

    def groupings(self) -> list[Grouping]:
        return vm_groupings(self.store)

    def group_summary(self, records: list[Any]) -> str:
        return vms_summary(self.store, records)

    def columns(self) -> list[Column]:
        return [
            Column("name", "VM", 18, flex=True, max_width=40, sort=lambda v: v.name.lower()),
            Column("power", "Power", 5, sort=lambda v: v.power_state),
            Column(
                "guest",
                "Guest OS",
                16,
                flex=True,
                max_width=40,
                priority=4,
                sort=lambda v: v.guest_full_name or v.guest_id,
            ),
            Column("cpu", "CPU", 3, priority=5, align="right", sort=lambda v: v.num_cpu),
            Column("mem", "Mem", 5, priority=5, align="right", sort=lambda v: v.memory_mb),
            Column("disks", "Disks", 9, priority=3, align="right", sort=lambda v: v.total_disk_bytes),
            Column("churn", "Churn", 8, priority=2, align="right", sort=self._churn_sort),
            Column(
                "azure",
                "Azure",
                8,
                priority=1,
                sort=lambda v: compat_of(v, self.store.typed(ChurnSample, v.moref)).verdict,
            ),
            Column("agent", "Agent", 11, priority=6, sort=self._agent_sort),
            Column("prot", "Protection", 14, sort=self._badge_sort),
        ]

    def _agent_sort(self, vm: VirtualMachine) -> str:
        # no agent first: those are the VMs a push install has to reach
        cell = agent_cell(self.store, vm, self.discovered.for_vm(vm))
        text = cell[0] if isinstance(cell, tuple) else str(cell)
        return {"none": "0", "—": "2"}.get(text, "1" + text)

    def _badge_sort(self, vm: VirtualMachine) -> str:
        item = self.store.item_for_vm(vm.moref)
        return item.replication_health.value if item else "~"

    def _churn_sort(self, vm: VirtualMachine) -> float | None:
        sample = self.store.typed(ChurnSample, vm.moref)
        return sample.latest_kbps if sample else None

    def cells(self, vm: VirtualMachine) -> Sequence[Cell]:
        power: Cell = {
            "poweredOn": ("on", "normal"),
            "poweredOff": ("off", "muted"),
            "suspended": ("susp", "warning"),
        }.get(vm.power_state, (vm.power_state, "muted"))
        badge = protection_badge(self.store, vm)
        sample = self.store.typed(ChurnSample, vm.moref)
        compat = compat_of(vm, sample)
        disks = disk_sizes(vm) if vm.details_loaded else "…"
        return (
            vm.name,
            power,
            vm.guest_full_name or vm.guest_id or "—",
            str(vm.num_cpu),
            memory(vm.memory_mb),
            disks,
            churn(sample.latest_kbps if sample else None),
            (compat.verdict if compat.complete else compat.verdict + "?", _COMPAT_ROLE[compat.verdict]),
            agent_cell(self.store, vm, self.discovered.for_vm(vm)),
            badge,
        )

    def search_text(self, vm: VirtualMachine) -> str:
        return f"{vm.name} {vm.guest_full_name} {vm.guest_id} {vm.power_state} {vm.folder_path}"

    # ------------------------------------------------------------------ store

    def reset(self) -> None:
        self.discovered = DiscoveredIndex(self.store.all(ProtectableItem))
        super().reset()
        if not self.compact:
            self.rebuild_tree()

    def changed(self, pending: Pending) -> None:
        if pending.touches((Kind.PROTECTABLE,)):
            self.discovered = DiscoveredIndex(self.store.all(ProtectableItem))
            self.table.refresh()
        super().changed(pending)
        if not self.compact and pending.touches((Kind.DATACENTER, Kind.CLUSTER, Kind.HOST)):
            self.rebuild_tree()

    def dependents(self, pending: Pending) -> set[str]:
        keys = set(pending.join) | pending.upserted.get(Kind.CHURN, set())
        for item_id in pending.upserted.get(Kind.PROTECTED_ITEM, ()):
            moref = self.store.join.vm_for_item(item_id)
            if moref:
                keys.add(moref)
        return keys

    # ------------------------------------------------------------------ tree

    def rebuild_tree(self) -> None:
        tree: Tree[tuple[str, str] | None] = self.query_one("#inventory-tree", Tree)
        store = self.store
        tree.clear()
        tree.root.expand()
        clusters_by_dc: dict[str, list[Cluster]] = {}
        for cluster in store.all(Cluster):
            clusters_by_dc.setdefault(cluster.datacenter, []).append(cluster)
        hosts_by_parent: dict[str, list[Host]] = {}
        for host in store.all(Host):
            hosts_by_parent.setdefault(host.cluster or f"dc:{host.datacenter}", []).append(host)
        for dc in sorted(store.all(Datacenter), key=lambda d: d.name):
            dc_node = tree.root.add(dc.name, data=("datacenter", dc.moref), expand=True)
            for cluster in sorted(clusters_by_dc.get(dc.moref, []), key=lambda c: c.name):
                c_node = dc_node.add(cluster.name, data=("cluster", cluster.moref))
                for host in sorted(hosts_by_parent.get(cluster.moref, []), key=lambda h: h.name):
                    c_node.add_leaf(host.name, data=("host", host.moref))
            for host in sorted(hosts_by_parent.get(f"dc:{dc.moref}", []), key=lambda h: h.name):
                dc_node.add_leaf(host.name, data=("host", host.moref))

    def on_tree_node_selected(self, event: Tree.NodeSelected[tuple[str, str] | None]) -> None:
        event.stop()
        self.set_scope(event.node.data)

    @on(InventoryTree.MarkNode)
    def _mark_node(self, event: InventoryTree.MarkNode) -> None:
        """Mark the VMs under a node that the table shows; if all are marked already, unmark them."""
        event.stop()
        under = self.scope_predicate(event.scope)
        keys = {k for k in self.table.visible_keys if under(self.table.record(k))}
        if not keys:
            return
        marks = set(self.table.marks)
        self.table.marks = marks - keys if keys <= marks else marks | keys
        self.table.post_message(KeyedTable.MarksChanged(self.table))

    @staticmethod
    def scope_predicate(scope: tuple[str, str] | None) -> Callable[[VirtualMachine], bool]:
        if scope is None:
            return lambda vm: True
        kind, moref = scope
        attr = {"datacenter": "datacenter", "cluster": "cluster", "host": "host"}[kind]
        return lambda vm: bool(getattr(vm, attr) == moref)

    def set_scope(self, scope: tuple[str, str] | None) -> None:
        self.scope = scope
        self.table.set_include(None if scope is None else self.scope_predicate(scope))
        self.update_headline()

    def headline(self) -> str:
        base = super().headline()
        if self.awaiting_first_read:
            return base
        protected = sum(1 for _ in self.store.join.pairs())
        text = f"{base} — {protected} protected"
        if self.scope is not None:
            record = self.store.get(Kind(self.scope[0]), self.scope[1])
            text += f"  in {self.scope[0]} {getattr(record, 'name', self.scope[1])}"
        return text
