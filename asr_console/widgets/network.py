"""The network plan view: each vCenter port group, its VMs and where the profile's ``network_map`` sends
them in Azure (failover and test), unmapped first, with the VMs whose addresses the mapped subnet does
not hold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asr_console.model.network_plan import (
    AddressOutside,
    NetworkLike,
    NetworkMapping,
    addresses_outside,
    mapping_for,
    subnet_prefixes,
)
from asr_console.model.records import Datacenter, Kind, Network, VirtualMachine
from asr_console.sync import streams
from asr_console.widgets.live import Pending
from asr_console.widgets.rows import Grouping
from asr_console.widgets.table import Cell, Column
from asr_console.widgets.tableview import TableView


def _target(network: str, subnet: str) -> str:
    name = network.rsplit("/", 1)[-1]
    return f"{name} / {subnet}" if subnet else name


class NetworkView(TableView):
    AGES = False
    KIND = Kind.NETWORK
    STREAM = streams.VCENTER_INVENTORY
    TITLE = "Port groups"

    def __init__(self, *, compact: bool = False, id: str | None = None, classes: str | None = None) -> None:
        self._vms_by_group: dict[str, list[VirtualMachine]] = {}
        self.azure_networks: list[NetworkLike] | None = None  # None: not read (yet)
        self.azure_error = ""
        super().__init__(compact=compact, id=id, classes=classes)

    def extra_kinds(self) -> Sequence[Kind]:
        return (Kind.VM, Kind.DATACENTER)

    def groupings(self) -> list[Grouping]:
        return [Grouping("mapping", lambda n: ["mapped" if self.mapping(n) else "unmapped"])]

    def columns(self) -> list[Column]:
        return [
            Column("name", "Port group", 18, sort=lambda n: (self.mapping(n) is not None, n.name.lower())),
            Column("dc", "Datacenter", 10, priority=2, sort=lambda n: self._dc(n)),
            Column("vms", "VMs", 4, sort=lambda n: len(self.vms_on(n))),
            Column("target", "Failover to", 18, sort=lambda n: self._target_text(n)),
            Column("test", "Test in", 16, priority=1),
            Column("outside", "Outside the subnet", 20, flex=True, sort=lambda n: len(self.outside(n))),
        ]

    # ------------------------------------------------------------------ what a row says

    def mapping(self, network: Network) -> NetworkMapping | None:
        return mapping_for(self.console.settings.network_map, network.name)

    def vms_on(self, network: Network) -> list[VirtualMachine]:
        return self._vms_by_group.get(network.name.lower(), [])

    def outside(self, network: Network) -> list[AddressOutside]:
        mapping = self.mapping(network)
        if mapping is None or self.azure_networks is None:
            return []
        prefixes = subnet_prefixes(self.azure_networks, mapping.network, mapping.subnet)
        if not prefixes:
            return []
        return addresses_outside(self.vms_on(network), network.name, prefixes, mapping.subnet)

    def _dc(self, network: Network) -> str:
        dc = self.store.get(Kind.DATACENTER, network.datacenter)
        return dc.name if isinstance(dc, Datacenter) else network.datacenter

    def _target_text(self, network: Network) -> str:
        mapping = self.mapping(network)
        return _target(mapping.network, mapping.subnet) if mapping else ""

    def _outside_cell(self, network: Network) -> Cell:
        mapping = self.mapping(network)
        if mapping is None:
            return ""
        if self.azure_networks is None:
            return ("checking…" if not self.azure_error else f"? {self.azure_error}", "stale")
        if subnet_prefixes(self.azure_networks, mapping.network, mapping.subnet) is None:
            return (f"{_target(mapping.network, mapping.subnet)} not found in Azure", "critical")
        outside = self.outside(network)
        if not outside:
            return "none"
        shown = ", ".join(f"{o.vm} {o.address}" for o in outside[:3])
        return (f"{len(outside)}: {shown}{' …' if len(outside) > 3 else ''}", "warning")

    def cells(self, network: Network) -> Sequence[Cell]:
        mapping = self.mapping(network)
        vms = len(self.vms_on(network))
        if mapping is None:
            target: Cell = ("unmapped", "warning" if vms else "")
            test: Cell = ""
        else:
            target = _target(mapping.network, mapping.subnet)
            test = _target(mapping.test_network, mapping.test_subnet) if mapping.test_network else "—"
        return (network.name, self._dc(network), str(vms), target, test, self._outside_cell(network))

    def search_text(self, network: Any) -> str:
        return f"{network.name} {self._target_text(network)}"

    # ------------------------------------------------------------------ keeping up

    def _index(self) -> None:
        by_group: dict[str, list[VirtualMachine]] = {}
        for vm in self.store.all(VirtualMachine):
            for group in {nic.network.strip().lower() for nic in vm.nics if nic.network}:
                by_group.setdefault(group, []).append(vm)
        self._vms_by_group = by_group

    def reset(self) -> None:
        self._index()
        if self.table.sort_column is None:
            self.table.sort_column = "name"
        super().reset()

    def changed(self, pending: Pending) -> None:
        if pending.upserted.get(Kind.VM) or pending.removed.get(Kind.VM):
            self._index()
            self.table.refresh()
        super().changed(pending)

    def set_azure_networks(self, networks: list[NetworkLike] | None, error: str = "") -> None:
        self.azure_networks = networks
        self.azure_error = error
        self.table.refresh()
        self.update_headline()

    def headline(self) -> str:
        text = super().headline()
        groups = [n for n in self.store.all(Network)]
        unmapped = sum(1 for n in groups if self.mapping(n) is None and self.vms_on(n))
        return f"{text} · {unmapped} with VMs unmapped" if groups else text
