"""What ``g`` groups rows by: "is it one cause?" — one error code, one host, one datastore, one
appliance. Each function gives the values a record is grouped under (several for an item with two
error codes or a VM on two datastores); the store resolves morefs to the names people read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from asr_console.model.records import (
    Cluster,
    Datastore,
    Health,
    Host,
    Job,
    ProtectedItem,
    VirtualMachine,
)
from asr_console.model.store import Store
from asr_console.widgets.rows import Grouping

NOT_MATCHED = "no vCenter VM"


def _name(store: Store, cls: type[Host] | type[Cluster] | type[Datastore], moref: str) -> str:
    record = store.typed(cls, moref) if moref else None
    return record.name if record is not None else moref


def vm_hosts(store: Store, vm: VirtualMachine) -> list[str]:
    return [_name(store, Host, vm.host)] if vm.host else []


def vm_clusters(store: Store, vm: VirtualMachine) -> list[str]:
    return [_name(store, Cluster, vm.cluster)] if vm.cluster else ["standalone hosts"]


def vm_datastores(store: Store, vm: VirtualMachine) -> list[str]:
    return [_name(store, Datastore, d.datastore) for d in vm.disks if d.datastore]


def vm_networks(store: Store, vm: VirtualMachine) -> list[str]:
    return [n.network for n in vm.nics if n.network]


def _via_vm(store: Store, of_vm: Callable[[Store, VirtualMachine], list[str]]) -> Callable[[Any], list[str]]:
    def values(item: ProtectedItem) -> list[str]:
        vm = store.vm_for_item(item.id)
        return of_vm(store, vm) if vm is not None else [NOT_MATCHED]

    return values


def item_groupings(store: Store) -> list[Grouping]:
    """Protected items: by health error code, by host, by datastore, by appliance / process server."""
    return [
        Grouping("error", lambda i: [e.code for e in i.health_errors] or ["no errors"]),
        Grouping("host", _via_vm(store, vm_hosts)),
        Grouping("datastore", _via_vm(store, vm_datastores)),
        Grouping("process server", lambda i: [i.process_server_name or "—"]),
    ]


def vm_groupings(store: Store) -> list[Grouping]:
    """VMs: by host, cluster, datastore, network."""
    return [
        Grouping("host", lambda v: vm_hosts(store, v)),
        Grouping("cluster", lambda v: vm_clusters(store, v)),
        Grouping("datastore", lambda v: vm_datastores(store, v)),
        Grouping("network", lambda v: vm_networks(store, v)),
    ]


def job_groupings() -> list[Grouping]:
    """Jobs: by state, by scenario."""
    return [
        Grouping("state", lambda j: [j.state or "—"]),
        Grouping("scenario", lambda j: [j.scenario or j.display_name or "—"]),
    ]


def counted(values: Iterable[str]) -> str:
    """``3 Critical · 1 Warning``: most frequent first."""
    return " · ".join(f"{n} {value}" for value, n in Counter(values).most_common())


def items_summary(items: list[ProtectedItem]) -> str:
    order = {Health.CRITICAL: 0, Health.WARNING: 1, Health.UNKNOWN: 2, Health.NORMAL: 3}
    health = sorted((i.replication_health for i in items if i is not None), key=order.__getitem__)
    return counted(h.value for h in health)


def vms_summary(store: Store, vms: list[VirtualMachine]) -> str:
    on = sum(1 for v in vms if v is not None and v.power_state == "poweredOn")
    protected = sum(1 for v in vms if v is not None and store.item_for_vm(v.moref) is not None)
    return f"{on} on · {protected} protected"


def jobs_summary(jobs: list[Job]) -> str:
    return counted(j.state or "—" for j in jobs if j is not None)
