"""The vCenter side of the simulated site: inventory records, a change log, events and disk churn.

Records are the model's immutable ones; a change replaces a record and appends its key to the log, so
an inventory source reads deltas since the version it last saw (the shape of ``WaitForUpdatesEx``).
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from asr_console.model.records import (
    Cluster,
    Datacenter,
    Datastore,
    Disk,
    Event,
    EventSource,
    Host,
    Kind,
    Network,
    Nic,
    Record,
    VirtualMachine,
)
from asr_console.sim.ids import seeded_uuid

GIB = 1024**3
VMS_PER_HOST = 40
HOSTS_PER_CLUSTER = 12
CHURN_SAMPLES = 15  # 15 real-time samples, like vCenter's 20 s counters over five minutes

GUESTS: tuple[tuple[str, str, str], ...] = (
    ("windows2019srv_64Guest", "Microsoft Windows Server 2019 (64-bit)", "Windows"),
    ("windows2019srvNext_64Guest", "Microsoft Windows Server 2022 (64-bit)", "Windows"),
    ("windows9Server64Guest", "Microsoft Windows Server 2016 (64-bit)", "Windows"),
    ("rhel8_64Guest", "Red Hat Enterprise Linux 8 (64-bit)", "Linux"),
    ("ubuntu64Guest", "Ubuntu Linux (64-bit)", "Linux"),
    ("sles15_64Guest", "SUSE Linux Enterprise 15 (64-bit)", "Linux"),
)
ROLES = ("web", "app", "db", "file", "dc", "sql", "mq", "batch")
NETWORKS = ("VM Network", "dvPG-Web-110", "dvPG-App-120", "dvPG-DB-130", "dvPG-Mgmt-10")


@dataclass(slots=True)
class VmExtra:
    """What the records do not carry but the site needs: churn and OS family."""

    os_type: str
    churn_kbps: float
    base_kbps: float
    samples: deque[tuple[datetime, float]]


INVENTORY_KINDS = (Kind.DATACENTER, Kind.CLUSTER, Kind.HOST, Kind.DATASTORE, Kind.NETWORK, Kind.VM)


class Estate:
    """The site's vCenter: generated from the seed, or adopted from a real vCenter's records.

    An adopted estate (``inventory=``) follows that vCenter (``adopt``): it never powers VMs on or off
    by itself; only churn, which vCenter's records do not carry, is still simulated.
    """

    def __init__(
        self,
        rng: random.Random,
        vms: int,
        now: datetime,
        vcenter: str = "vcsa01",
        inventory: Mapping[Kind, Iterable[Record]] | None = None,
    ) -> None:
        self.rng = rng
        self.vcenter = vcenter
        self.records: dict[Kind, dict[str, Record]] = {k: {} for k in INVENTORY_KINDS}
        self.extra: dict[str, VmExtra] = {}
        self.version = 0
        self._log: list[tuple[int, Kind, str]] = []
        self.events: list[Event] = []
        self._event_seq = 0
        self.adopted = inventory is not None
        if inventory is None:
            self._build(vms, now)
        else:
            self.adopt(inventory, now)

    # ------------------------------------------------------------------ reading

    @property
    def vms(self) -> dict[str, VirtualMachine]:
        return self.records[Kind.VM]  # type: ignore[return-value]  # the VM collection holds VirtualMachine only

    def datastore_names(self) -> tuple[str, ...]:
        """The datastores' names, sorted: what a reprotect agent reports it can reach."""
        return tuple(
            sorted(r.name for r in self.records[Kind.DATASTORE].values() if isinstance(r, Datastore))
        )

    def all_records(self) -> dict[Kind, list[Record]]:
        return {kind: list(coll.values()) for kind, coll in self.records.items()}

    def changes_since(self, version: int) -> tuple[int, list[tuple[Kind, str]]]:
        """Keys changed after ``version`` (each once), and the version to ask from next time."""
        seen: dict[tuple[Kind, str], None] = {}
        # The log is append-only and ordered by version: walk back to the first newer entry.
        i = len(self._log)
        while i > 0 and self._log[i - 1][0] > version:
            i -= 1
        for _, kind, key in self._log[i:]:
            seen[(kind, key)] = None
        return self.version, list(seen)

    def events_since(self, seq: int) -> list[Event]:
        return self.events[seq:]

    # ------------------------------------------------------------------ changing

    def put(self, record: Record) -> None:
        self.records[record.KIND][record.key] = record
        self.version += 1
        self._log.append((self.version, record.KIND, record.key))
        if len(self._log) > 50_000:
            del self._log[:10_000]

    def drop(self, kind: Kind, key: str) -> None:
        if self.records[kind].pop(key, None) is None:
            return
        self.extra.pop(key, None)
        self.version += 1
        self._log.append((self.version, kind, key))

    def adopt(self, inventory: Mapping[Kind, Iterable[Record]], now: datetime) -> tuple[int, int]:
        """Make the estate what a vCenter holds: every record of ``inventory``, nothing else.

        Unchanged records keep their version; new VMs get a churn profile. Returns (VMs that appeared,
        VMs that went).
        """
        self.adopted = True
        appeared = went = 0
        for kind in INVENTORY_KINDS:
            wanted = {record.key: record for record in inventory.get(kind, ()) if record.KIND is kind}
            current = self.records[kind]
            for key in [k for k in current if k not in wanted]:
                self.drop(kind, key)
                went += kind is Kind.VM
            for key, record in wanted.items():
                if current.get(key) != record:
                    self.put(record)
                if kind is Kind.VM and key not in self.extra and isinstance(record, VirtualMachine):
                    self.extra[key] = self._churn_profile(record, now)
                    appeared += 1
        return appeared, went

    def _churn_profile(self, vm: VirtualMachine, now: datetime) -> VmExtra:
        base = self.rng.lognormvariate(math.log(900), 0.9)  # KB/s; a few VMs write tens of MB/s
        powered = vm.power_state == "poweredOn"
        guest = f"{vm.guest_id} {vm.guest_full_name}".lower()
        extra = VmExtra(
            os_type="Windows" if "win" in guest else "Linux",
            churn_kbps=base if powered else 0.0,
            base_kbps=base,
            samples=deque(maxlen=CHURN_SAMPLES),
        )
        extra.samples.append((now, round(extra.churn_kbps, 1)))
        return extra

    def set_power(self, moref: str, state: str, now: datetime) -> None:
        vm = self.vms[moref]
        if vm.power_state == state:
            return
        self.put(
            replace(
                vm, power_state=state, tools_status="toolsOk" if state == "poweredOn" else "toolsNotRunning"
            )
        )
        kind = {"poweredOn": "VmPoweredOnEvent", "poweredOff": "VmPoweredOffEvent"}.get(
            state, "VmSuspendedEvent"
        )
        verb = {"poweredOn": "is powered on", "poweredOff": "is powered off"}.get(state, "is suspended")
        self.event(now, f"{vm.name} on {self._host_name(vm)} {verb}", kind, vm, "info")

    def rename(self, moref: str, name: str, now: datetime) -> None:
        vm = self.vms[moref]
        self.put(replace(vm, name=name))
        self.event(now, f"Renamed {vm.name} to {name}", "VmRenamedEvent", vm, "info")

    def event(
        self, now: datetime, message: str, event_type: str, vm: VirtualMachine | None, severity: str
    ) -> None:
        self._event_seq += 1
        self.events.append(
            Event(
                id=f"vcenter-event-{self._event_seq}",
                time=now,
                source=EventSource.VCENTER,
                message=message,
                severity=severity,
                event_type=event_type,
                entity_id=vm.moref if vm else "",
                entity_name=vm.name if vm else "",
            )
        )

    def tick(self, now: datetime, dt: float) -> None:
        """Churn moves; now and then a VM is powered off or back on (about one change per VM-week)."""
        rng = self.rng
        minutes = dt / 60
        for moref, extra in self.extra.items():
            vm = self.vms[moref]
            if vm.power_state != "poweredOn":
                extra.churn_kbps = 0.0
            else:
                # mean-reverting walk with occasional bursts (batch jobs, backups, index rebuilds)
                drift = (extra.base_kbps - extra.churn_kbps) * min(1.0, 0.2 * minutes)
                noise = rng.gauss(0, extra.base_kbps * 0.15) * math.sqrt(min(minutes, 10))
                burst = extra.base_kbps * rng.uniform(4, 12) if rng.random() < 0.002 * minutes else 0.0
                extra.churn_kbps = max(0.0, extra.churn_kbps + drift + noise + burst)
            extra.samples.append((now, round(extra.churn_kbps, 1)))
        # power changes: rare, keyed to simulated minutes so the rate does not depend on speed; an
        # adopted estate's power states are the real vCenter's
        chance = 0.0 if self.adopted else 0.00002 * minutes * len(self.extra)
        while chance > 0 and rng.random() < chance:
            chance -= 1
            moref = rng.choice(list(self.extra))
            vm = self.vms[moref]
            self.set_power(moref, "poweredOff" if vm.power_state == "poweredOn" else "poweredOn", now)

    # ------------------------------------------------------------------ building

    def _host_name(self, vm: VirtualMachine) -> str:
        host = self.records[Kind.HOST].get(vm.host)
        return host.name if isinstance(host, Host) else vm.host

    def _build(self, vms: int, now: datetime) -> None:
        rng = self.rng
        hosts_needed = max(1, math.ceil(vms / VMS_PER_HOST))
        clusters_needed = max(1, math.ceil(hosts_needed / HOSTS_PER_CLUSTER))
        dcs = 2 if clusters_needed >= 4 else 1
        dc_names = ("DC-Amsterdam", "DC-Rotterdam")
        net_by_dc: dict[str, list[Network]] = {}
        ds_by_cluster: dict[str, list[Datastore]] = {}
        hosts: list[Host] = []
        moref = _Morefs()
        for d in range(dcs):
            dc = Datacenter(moref=moref.next("datacenter"), name=dc_names[d])
            self.put(dc)
            nets = []
            for i, name in enumerate(NETWORKS):
                kind = "Network" if i == 0 else "DistributedVirtualPortgroup"
                net = Network(
                    moref=moref.next("network" if i == 0 else "dvportgroup"),
                    name=name,
                    datacenter=dc.moref,
                    kind=kind,
                )
                self.put(net)
                nets.append(net)
            net_by_dc[dc.moref] = nets
        dc_list = [r for r in self.records[Kind.DATACENTER].values() if isinstance(r, Datacenter)]
        for c in range(clusters_needed):
            dc = dc_list[c % dcs]
            cluster = Cluster(moref=moref.next("domain-c"), name=f"CL-{c + 1:02d}", datacenter=dc.moref)
            self.put(cluster)
            stores = []
            for s in range(3):
                cap = rng.choice((8, 16, 32)) * 1024 * GIB
                ds = Datastore(
                    moref=moref.next("datastore"),
                    name=f"{cluster.name}-VMFS-{s + 1:02d}",
                    datacenter=dc.moref,
                    type=rng.choice(("VMFS", "VMFS", "vsan")),
                    capacity_bytes=cap,
                    free_bytes=int(cap * rng.uniform(0.15, 0.6)),
                )
                self.put(ds)
                stores.append(ds)
            ds_by_cluster[cluster.moref] = stores
        clusters = [r for r in self.records[Kind.CLUSTER].values() if isinstance(r, Cluster)]
        for h in range(hosts_needed):
            cluster = clusters[h % len(clusters)]
            host = Host(
                moref=moref.next("host"),
                name=f"esx{h + 1:03d}.corp.example",
                datacenter=cluster.datacenter,
                cluster=cluster.moref,
                version=rng.choice(("7.0.3", "8.0.2", "8.0.3")),
            )
            self.put(host)
            hosts.append(host)
        dc_name = {dc.moref: dc.name for dc in dc_list}
        for v in range(vms):
            host = hosts[v % len(hosts)]
            cluster_moref = host.cluster or ""
            guest_id, guest_name, os_type = rng.choice(GUESTS)
            efi = rng.random() < 0.35
            n_disks = rng.choice((1, 1, 2, 2, 3, 4))
            stores = ds_by_cluster[cluster_moref]
            disks = tuple(
                Disk(
                    key=2000 + i,
                    label=f"Hard disk {i + 1}",
                    capacity_bytes=(
                        rng.choice((60, 80, 127)) if i == 0 else rng.choice((100, 250, 500, 1024, 2048))
                    )
                    * GIB,
                    thin=rng.random() < 0.6,
                    datastore=rng.choice(stores).name,
                )
                for i in range(n_disks)
            )
            nets = net_by_dc[host.datacenter]
            n_nics = 1 if rng.random() < 0.8 else 2
            nics = tuple(
                Nic(
                    key=4000 + i,
                    label=f"Network adapter {i + 1}",
                    network=nets[1 + (v + i) % (len(nets) - 1)].name,
                    mac=_mac(rng),
                    ips=(f"10.{20 + i}.{(v // 250) % 250}.{v % 250 + 2}",),
                )
                for i in range(n_nics)
            )
            powered = rng.random() < 0.93
            vm = VirtualMachine(
                moref=moref.next("vm"),
                name=f"{ROLES[v % len(ROLES)]}-{'w' if os_type == 'Windows' else 'l'}{v + 1:05d}",
                power_state="poweredOn" if powered else "poweredOff",
                guest_id=guest_id,
                guest_full_name=guest_name,
                firmware="efi" if efi else "bios",
                secure_boot=efi and rng.random() < 0.2,
                num_cpu=rng.choice((2, 2, 4, 4, 8, 16)),
                memory_mb=rng.choice((4096, 8192, 16384, 32768)),
                bios_uuid=seeded_uuid(rng),
                instance_uuid=seeded_uuid(rng),
                tools_status="toolsOk" if powered else "toolsNotRunning",
                host=host.moref,
                cluster=cluster_moref,
                datacenter=host.datacenter,
                folder_path=f"/{dc_name[host.datacenter]}/vm/{ROLES[v % len(ROLES)]}",
                disks=disks,
                nics=nics,
            )
            self.put(vm)
            base = rng.lognormvariate(math.log(900), 0.9)  # KB/s; a few VMs write tens of MB/s
            self.extra[vm.moref] = VmExtra(
                os_type=os_type,
                churn_kbps=base if powered else 0.0,
                base_kbps=base,
                samples=deque(maxlen=CHURN_SAMPLES),
            )
        for extra in self.extra.values():
            extra.samples.append((now, round(extra.churn_kbps, 1)))


class _Morefs:
    def __init__(self) -> None:
        self._n: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        n = self._n.get(prefix, 0) + 1 + (self._n.get(prefix, 0) == 0) * 10
        self._n[prefix] = n
        sep = "" if prefix.endswith("-c") else "-"
        return f"{prefix}{sep}{n}"


def _mac(rng: random.Random) -> str:
    """A VMware-assigned MAC (OUI 00:50:56)."""
    return "00:50:56:" + ":".join(
        f"{b:02x}" for b in (rng.randrange(0x80), rng.randrange(256), rng.randrange(256))
    )
