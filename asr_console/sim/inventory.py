"""The simulated site's vCenter face: an ``InventorySource`` on the engine's estate.

It hands out the estate's records, first all of them, then only what changed (like ``WaitForUpdatesEx``).
Nothing runs in the background: each call first applies the simulated time that has passed
(``engine.step()``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import datetime

from asr_console.model.errors import SourceError
from asr_console.model.privileges import PrivilegeReport, evaluate
from asr_console.model.protocols import VCenterInfo
from asr_console.model.records import ChurnSample, Datacenter, Event, Kind, Record
from asr_console.model.store import Batch
from asr_console.sim.engine import SimEngine

SIM_VCENTER_USER = "svc-asr@vsphere.local"
# The account's role: the tutorial's list as admins type it, without the two privileges most often
# forgotten (powering VMs off for failback, and reverting snapshots on the modernized appliance).
SIM_ROLE = frozenset(
    {
        "System.Anonymous",
        "System.View",
        "System.Read",
        "Datastore.AllocateSpace",
        "Datastore.Browse",
        "Datastore.FileManagement",
        "Datastore.DeleteFile",
        "Datastore.UpdateVirtualMachineFiles",
        "Network.Assign",
        "Resource.AssignVMToPool",
        "Resource.ColdMigrate",
        "Resource.HotMigrate",
        "Task.Create",
        "Task.Update",
        "VirtualMachine.Config.AddExistingDisk",
        "VirtualMachine.Config.AddNewDisk",
        "VirtualMachine.Config.AddRemoveDevice",
        "VirtualMachine.Config.AdvancedConfig",
        "VirtualMachine.Config.ChangeTracking",
        "VirtualMachine.Config.DiskExtend",
        "VirtualMachine.Config.DiskLease",
        "VirtualMachine.Config.EditDevice",
        "VirtualMachine.Config.RawDevice",
        "VirtualMachine.Config.RemoveDisk",
        "VirtualMachine.Config.Settings",
        "VirtualMachine.Config.Annotation",
        "VirtualMachine.Config.CPUCount",
        "VirtualMachine.Config.HostUSBDevice",
        "VirtualMachine.Config.ManagedBy",
        "VirtualMachine.Config.Memory",
        "VirtualMachine.Config.MksControl",
        "VirtualMachine.Config.QueryFTCompatibility",
        "VirtualMachine.Config.QueryUnownedFiles",
        "VirtualMachine.Config.ReloadFromPath",
        "VirtualMachine.Config.Rename",
        "VirtualMachine.Config.ResetGuestInfo",
        "VirtualMachine.Config.Resource",
        "VirtualMachine.Config.SwapPlacement",
        "VirtualMachine.Config.ToggleForkParent",
        "VirtualMachine.Config.Unlock",
        "VirtualMachine.Config.UpgradeVirtualHardware",
        "VirtualMachine.Interact.AnswerQuestion",
        "VirtualMachine.Interact.DeviceConnection",
        "VirtualMachine.Interact.SetCDMedia",
        "VirtualMachine.Interact.SetFloppyMedia",
        "VirtualMachine.Interact.PowerOn",
        "VirtualMachine.Interact.ToolsInstall",
        "VirtualMachine.Inventory.Create",
        "VirtualMachine.Inventory.Register",
        "VirtualMachine.Inventory.Unregister",
        "VirtualMachine.Provisioning.GetVmFiles",
        "VirtualMachine.Provisioning.PutVmFiles",
        "VirtualMachine.State.RemoveSnapshot",
        "VirtualMachine.State.CreateSnapshot",
    }
)


def disk_split(
    samples: tuple[tuple[datetime, float], ...], disks: int
) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """A VM's writes spread over its disks as vCenter reports them per instance (scsi0:N).

    Later disks write more (data and log disks take most writes, the OS disk least): shares 1:2:4:…,
    so a busy VM with a few disks has one disk well above the others, as real databases do.
    """
    if disks <= 0:
        return ()
    weights = [2.0**i for i in range(disks)]
    total = sum(weights)
    return tuple(
        (f"scsi0:{i}", tuple(round(value * w / total, 1) for _, value in samples))
        for i, w in enumerate(weights)
    )


class SimulatedInventory:
    """``InventorySource`` on the simulated site's vCenter side."""

    def __init__(self, engine: SimEngine, name: str = "vcenter", poll: float = 0.25) -> None:
        self.engine = engine
        self.name = name
        self._poll = poll
        self._version: int | None = None
        self._event_seq: int | None = None
        self._closed = False

    @property
    def synced(self) -> bool:
        return self._version is not None

    async def connect(self) -> VCenterInfo:
        if self._closed:
            raise SourceError("the simulated inventory is closed")
        return VCenterInfo(
            url=f"sim://{self.engine.estate.vcenter}.corp.example/sdk",
            version="8.0.3",
            api_version="8.0.3.0",
            instance_uuid=f"sim-{self.engine.seed}",
        )

    async def changes(self, max_wait: float) -> Batch:
        estate = self.engine.estate
        if self._version is None:
            self.engine.step()
            self._version = estate.version
            batch = Batch()
            for kind, records in estate.all_records().items():
                batch.replace(kind, records)
            return batch
        deadline = time.monotonic() + max_wait
        while True:
            self.engine.step()
            version, keys = estate.changes_since(self._version)
            if keys:
                self._version = version
                batch = Batch()
                for kind, key in keys:
                    record: Record | None = estate.records[kind].get(key)
                    if record is None:
                        batch.remove(kind, key)
                    else:
                        batch.upsert(record)
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed:
                return Batch()
            await asyncio.sleep(min(self._poll, remaining))

    async def events(self) -> list[Event]:
        self.engine.step()
        events = self.engine.estate.events
        if self._event_seq is None:
            self._event_seq = len(events)
            return list(events[-50:])
        fresh = self.engine.estate.events_since(self._event_seq)
        self._event_seq = len(events)
        return list(fresh)

    async def churn(self) -> list[ChurnSample]:
        self.engine.step()
        estate = self.engine.estate
        out = []
        for moref, extra in estate.extra.items():
            vm = estate.vms[moref]
            if vm.power_state != "poweredOn":
                continue
            samples = tuple(extra.samples)
            out.append(
                ChurnSample(moref=moref, samples=samples, disk_samples=disk_split(samples, len(vm.disks)))
            )
        return out

    async def check_privileges(self, entities: Iterable[str] | None = None) -> list[PrivilegeReport]:
        """The simulated site's vCenter account: a role an admin built by hand from the tutorial, missing
        what such roles most often miss."""
        self.engine.step()
        estate = self.engine.estate
        names = {
            d.moref: d.name for d in estate.records[Kind.DATACENTER].values() if isinstance(d, Datacenter)
        }
        wanted = list(entities) if entities is not None else sorted(names)
        return [evaluate(SIM_VCENTER_USER, names.get(e, e), SIM_ROLE) for e in wanted]

    async def close(self) -> None:
        self._closed = True
