"""From PropertyCollector property sets to model records.

The inventory source keeps one flat cache, moref → (vSphere type, {property path: value}), fed by
``RetrievePropertiesEx`` and ``WaitForUpdatesEx``; these functions turn cache entries into records.
References are stored as moref strings, so parents can be followed through the cache without calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import VmomiSupport, vim

from asr_console.model.records import (
    Cluster,
    Datacenter,
    Datastore,
    Disk,
    Host,
    Kind,
    Network,
    Nic,
    Record,
    VirtualMachine,
)

# What the ContainerView holds; subtypes (ClusterComputeResource, DistributedVirtualPortgroup,
# OpaqueNetwork, StoragePod) come with their base type.
VIEW_TYPES = [
    vim.Folder,
    vim.Datacenter,
    vim.ComputeResource,
    vim.HostSystem,
    vim.Datastore,
    vim.Network,
    vim.VirtualMachine,
]

# One PropertySpec per type the filter names; name and parent come from ManagedEntity for every entity.
# Few specs and few paths matter: govmomi's simulator re-collects every filtered path of every object,
# and tests every PropertySpec's type against every object by reflection, on each update it sees.
STRUCTURE_PROPS: dict[Any, list[str]] = {
    vim.ManagedEntity: ["name", "parent"],
    vim.HostSystem: [
        "runtime.connectionState",
        "runtime.inMaintenanceMode",
        "summary.config.product.version",
    ],
    vim.Datastore: ["summary.type", "summary.capacity", "summary.freeSpace"],
}

# The light first pass: rows on screen quickly (device lists dominate the cost of a full read).
# (name and parent come with STRUCTURE_PROPS.)
VM_LIGHT = [
    "runtime.powerState",
    "runtime.host",
    "config.guestId",
    "config.guestFullName",
    "config.firmware",
    "config.bootOptions.efiSecureBootEnabled",
    "config.hardware.numCPU",
    "config.hardware.memoryMB",
    "config.uuid",
    "config.instanceUuid",
    "config.template",
    "guest.toolsStatus",
]
# The second pass, in the background.
VM_DETAILS = ["config.hardware.device", "guest.net"]
DEVICES = "config.hardware.device"

# What the persistent filter watches on VMs besides name and parent: four coarse paths. summary.runtime
# carries power state and host and is folded into those; the other three are change markers only —
# vCenter bumps config.changeVersion on every reconfigure; govmomi 0.24's simulator does not, but
# reports disk and NIC adds and removes in summary.config and guest IPs in summary.guest.
RUNTIME = "summary.runtime"
VM_WATCHED = [RUNTIME, "summary.config", "summary.guest", "config.changeVersion"]
DETAIL_TRIGGERS = frozenset(VM_WATCHED) - {RUNTIME}
# What a moved marker (or a VM's arrival) re-reads for that VM: all it has that the filter does not carry.
VM_REFRESH_LIGHT = [p for p in VM_LIGHT if not p.startswith("runtime.")]
VM_REFRESH = VM_REFRESH_LIGHT + VM_DETAILS


def fold_runtime(props: dict[str, Any], runtime: Any) -> None:
    """summary.runtime as the runtime.* properties records are built from."""
    props["runtime.powerState"] = str(runtime.powerState) if runtime.powerState else "poweredOff"
    host = getattr(runtime, "host", None)
    if host is None:
        props.pop("runtime.host", None)
    else:
        props["runtime.host"] = plain(host)


KIND_OF_TYPE: dict[str, Kind] = {
    "Datacenter": Kind.DATACENTER,
    "ClusterComputeResource": Kind.CLUSTER,
    "HostSystem": Kind.HOST,
    "Datastore": Kind.DATASTORE,
    "Network": Kind.NETWORK,
    "DistributedVirtualPortgroup": Kind.NETWORK,
    "OpaqueNetwork": Kind.NETWORK,
    "VirtualMachine": Kind.VM,
}
INVENTORY_KINDS = (Kind.DATACENTER, Kind.CLUSTER, Kind.HOST, Kind.DATASTORE, Kind.NETWORK, Kind.VM)
# A change to these properties of these types can change other objects' records (datacenter, cluster,
# folder path, NIC network names), so it triggers a rebuild of the dependants.
STRUCTURAL = {"name", "parent"}


def plain(value: Any) -> Any:
    """Managed object references become moref strings; everything else is kept as pyvmomi gave it."""
    if isinstance(value, VmomiSupport.ManagedObject):
        return value._moId
    return value


@dataclass(slots=True)
class CachedObject:
    type: str
    props: dict[str, Any] = field(default_factory=dict)


class Index:
    """Parent-chain lookups over the cache."""

    def __init__(self, objects: Mapping[str, CachedObject]) -> None:
        self.objects = objects

    def type_of(self, moref: str) -> str:
        obj = self.objects.get(moref)
        return obj.type if obj else ""

    def datacenter_of(self, moref: str) -> str:
        seen = 0
        current: str | None = moref
        while current and seen < 64:
            obj = self.objects.get(current)
            if obj is None:
                return ""
            if obj.type == "Datacenter":
                return current
            current = obj.props.get("parent")
            seen += 1
        return ""

    def cluster_of_host(self, host: str) -> str | None:
        obj = self.objects.get(host)
        if obj is None:
            return None
        parent = obj.props.get("parent")
        return parent if parent and self.type_of(parent) == "ClusterComputeResource" else None

    def folder_path(self, moref: str) -> str:
        """Folders between the datacenter's VM folder and the VM, e.g. ``prod/web``."""
        names: list[str] = []
        obj = self.objects.get(moref)
        current = obj.props.get("parent") if obj else None
        while current:
            folder = self.objects.get(current)
            if folder is None or folder.type != "Folder":
                break
            parent = folder.props.get("parent")
            if parent and self.type_of(parent) == "Datacenter":
                break  # the datacenter's hidden "vm" folder
            names.append(str(folder.props.get("name") or ""))
            current = parent
        return "/".join(reversed(names))

    def network_name(self, moref: str) -> str:
        obj = self.objects.get(moref)
        return str(obj.props.get("name") or "") if obj else ""


def _disk(device: Any) -> Disk:
    backing = device.backing
    capacity = getattr(device, "capacityInBytes", None) or (device.capacityInKB or 0) * 1024
    info = device.deviceInfo
    datastore = getattr(backing, "datastore", None)
    return Disk(
        key=int(device.key),
        label=str(info.label) if info else f"disk {device.key}",
        capacity_bytes=int(capacity),
        thin=bool(getattr(backing, "thinProvisioned", False)),
        mode=str(getattr(backing, "diskMode", None) or "persistent"),
        rdm=isinstance(backing, vim.vm.device.VirtualDisk.RawDiskMappingVer1BackingInfo),
        sharing=str(getattr(backing, "sharing", None) or "sharingNone"),
        datastore=datastore._moId if isinstance(datastore, VmomiSupport.ManagedObject) else "",
    )


def _nic(device: Any, guest_ips: Mapping[int, tuple[str, ...]], index: Index) -> Nic:
    backing = device.backing
    network = ""
    if isinstance(backing, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo):
        network = str(backing.deviceName or "")
    elif isinstance(backing, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
        port = backing.port
        network = index.network_name(str(port.portgroupKey)) if port and port.portgroupKey else ""
    elif isinstance(backing, vim.vm.device.VirtualEthernetCard.OpaqueNetworkBackingInfo):
        network = str(backing.opaqueNetworkId or "")
    connectable = device.connectable
    info = device.deviceInfo
    return Nic(
        key=int(device.key),
        label=str(info.label) if info else f"nic {device.key}",
        network=network,
        mac=str(device.macAddress or ""),
        ips=guest_ips.get(int(device.key), ()),
        connected=bool(connectable.connected) if connectable else False,
    )


def _devices(props: Mapping[str, Any], index: Index) -> tuple[tuple[Disk, ...], tuple[Nic, ...]]:
    devices = props.get(DEVICES) or ()
    guest_ips: dict[int, tuple[str, ...]] = {}
    for info in props.get("guest.net") or ():
        key = getattr(info, "deviceConfigId", None)
        if key is not None and key >= 0:
            guest_ips[int(key)] = tuple(str(ip) for ip in (info.ipAddress or ()))
    disks: list[Disk] = []
    nics: list[Nic] = []
    for device in devices:
        if isinstance(device, vim.vm.device.VirtualDisk):
            disks.append(_disk(device))
        elif isinstance(device, vim.vm.device.VirtualEthernetCard):
            nics.append(_nic(device, guest_ips, index))
    return tuple(disks), tuple(nics)


def _str(props: Mapping[str, Any], name: str, default: str = "") -> str:
    value = props.get(name)
    return str(value) if value is not None else default


def _int(props: Mapping[str, Any], name: str) -> int:
    value = props.get(name)
    return int(value) if value is not None else 0


def vm_record(moref: str, props: Mapping[str, Any], index: Index) -> VirtualMachine:
    host = _str(props, "runtime.host")
    details = DEVICES in props
    disks, nics = _devices(props, index) if details else ((), ())
    return VirtualMachine(
        moref=moref,
        name=_str(props, "name"),
        power_state=_str(props, "runtime.powerState", "poweredOff"),
        guest_id=_str(props, "config.guestId"),
        guest_full_name=_str(props, "config.guestFullName"),
        firmware=_str(props, "config.firmware", "bios") or "bios",
        secure_boot=bool(props.get("config.bootOptions.efiSecureBootEnabled")),
        num_cpu=_int(props, "config.hardware.numCPU"),
        memory_mb=_int(props, "config.hardware.memoryMB"),
        bios_uuid=_str(props, "config.uuid"),
        instance_uuid=_str(props, "config.instanceUuid"),
        tools_status=_str(props, "guest.toolsStatus"),
        host=host,
        cluster=(index.cluster_of_host(host) or "") if host else "",
        datacenter=index.datacenter_of(moref),
        folder_path=index.folder_path(moref),
        template=bool(props.get("config.template")),
        disks=disks,
        nics=nics,
        details_loaded=details,
    )


def record(moref: str, obj: CachedObject, index: Index) -> Record | None:
    """The model record for one cached object, or None for objects the model does not keep (folders)."""
    props = obj.props
    kind = KIND_OF_TYPE.get(obj.type)
    if kind is None:
        return None
    if kind is Kind.VM:
        return vm_record(moref, props, index)
    name = _str(props, "name")
    datacenter = index.datacenter_of(moref)
    if kind is Kind.DATACENTER:
        return Datacenter(moref=moref, name=name)
    if kind is Kind.CLUSTER:
        return Cluster(moref=moref, name=name, datacenter=datacenter)
    if kind is Kind.HOST:
        return Host(
            moref=moref,
            name=name,
            datacenter=datacenter,
            cluster=index.cluster_of_host(moref),
            connection_state=_str(props, "runtime.connectionState", "connected"),
            maintenance_mode=bool(props.get("runtime.inMaintenanceMode")),
            version=_str(props, "summary.config.product.version"),
        )
    if kind is Kind.DATASTORE:
        return Datastore(
            moref=moref,
            name=name,
            datacenter=datacenter,
            type=_str(props, "summary.type"),
            capacity_bytes=_int(props, "summary.capacity"),
            # an over-committed datastore (and vcsim's) can report less than nothing free
            free_bytes=max(0, _int(props, "summary.freeSpace")),
        )
    return Network(moref=moref, name=name, datacenter=datacenter, kind=obj.type)


def records(objects: Mapping[str, CachedObject], morefs: Iterable[str] | None = None) -> list[Record]:
    index = Index(objects)
    out: list[Record] = []
    for moref in objects if morefs is None else morefs:
        obj = objects.get(moref)
        if obj is None:
            continue
        built = record(moref, obj, index)
        if built is not None:
            out.append(built)
    return out
