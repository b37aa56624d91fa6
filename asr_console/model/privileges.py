"""The vCenter privileges ASR needs, and a present/missing report for one account.

Source: Microsoft, "Prepare an account for automatic discovery" and "Replicate VMware VMs to Azure"
(role propagated from the datacenter): discovery alone needs the Read-only role; replication, failover
and failback need the role below. Pushing the Mobility service uses a guest OS account (Windows
administrator with WMI, or Linux root over SSH), not a vCenter privilege, so nothing here covers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

SOURCE = "https://learn.microsoft.com/azure/site-recovery/vmware-azure-tutorial-prepare-on-premises"


class Purpose(StrEnum):
    DISCOVERY = "discovery"
    REPLICATION = "replication"  # replication, failover and failback (classic and modernized)
    MODERNIZED = "modernized"  # extra snapshot privileges the modernized (appliance) stack uses


@dataclass(frozen=True, slots=True)
class Privilege:
    id: str
    label: str
    purpose: Purpose


def _p(purpose: Purpose, *pairs: tuple[str, str]) -> tuple[Privilege, ...]:
    return tuple(Privilege(id=i, label=label, purpose=purpose) for i, label in pairs)


# "Virtual machine → Configuration (all)" as vSphere 6.5–8.0 name them.
_CONFIGURATION = (
    "AddExistingDisk",
    "AddNewDisk",
    "AddRemoveDevice",
    "AdvancedConfig",
    "Annotation",
    "CPUCount",
    "ChangeTracking",
    "DiskExtend",
    "DiskLease",
    "EditDevice",
    "HostUSBDevice",
    "ManagedBy",
    "Memory",
    "MksControl",
    "QueryFTCompatibility",
    "QueryUnownedFiles",
    "RawDevice",
    "ReloadFromPath",
    "RemoveDisk",
    "Rename",
    "ResetGuestInfo",
    "Resource",
    "Settings",
    "SwapPlacement",
    "ToggleForkParent",
    "Unlock",
    "UpgradeVirtualHardware",
)

PRIVILEGES: tuple[Privilege, ...] = (
    *_p(
        Purpose.DISCOVERY,
        ("System.Anonymous", "Read-only: anonymous"),
        ("System.View", "Read-only: view"),
        ("System.Read", "Read-only: read"),
    ),
    *_p(
        Purpose.REPLICATION,
        ("Datastore.AllocateSpace", "Datastore → Allocate space"),
        ("Datastore.Browse", "Datastore → Browse datastore"),
        ("Datastore.FileManagement", "Datastore → Low-level file operations"),
        ("Datastore.DeleteFile", "Datastore → Remove file"),
        ("Datastore.UpdateVirtualMachineFiles", "Datastore → Update virtual machine files"),
        ("Network.Assign", "Network → Assign network"),
        ("Resource.AssignVMToPool", "Resource → Assign virtual machine to resource pool"),
        ("Resource.ColdMigrate", "Resource → Migrate powered off virtual machine"),
        ("Resource.HotMigrate", "Resource → Migrate powered on virtual machine"),
        ("Task.Create", "Tasks → Create task"),
        ("Task.Update", "Tasks → Update task"),
    ),
    *_p(
        Purpose.REPLICATION,
        *(
            (f"VirtualMachine.Config.{name}", f"Virtual machine → Configuration → {name}")
            for name in _CONFIGURATION
        ),
    ),
    *_p(
        Purpose.REPLICATION,
        ("VirtualMachine.Interact.AnswerQuestion", "Virtual machine → Interaction → Answer question"),
        ("VirtualMachine.Interact.DeviceConnection", "Virtual machine → Interaction → Device connection"),
        ("VirtualMachine.Interact.SetCDMedia", "Virtual machine → Interaction → Configure CD media"),
        ("VirtualMachine.Interact.SetFloppyMedia", "Virtual machine → Interaction → Configure floppy media"),
        ("VirtualMachine.Interact.PowerOff", "Virtual machine → Interaction → Power off"),
        ("VirtualMachine.Interact.PowerOn", "Virtual machine → Interaction → Power on"),
        ("VirtualMachine.Interact.ToolsInstall", "Virtual machine → Interaction → VMware Tools install"),
        ("VirtualMachine.Inventory.Create", "Virtual machine → Inventory → Create new"),
        ("VirtualMachine.Inventory.Register", "Virtual machine → Inventory → Register"),
        ("VirtualMachine.Inventory.Unregister", "Virtual machine → Inventory → Unregister"),
        ("VirtualMachine.Provisioning.GetVmFiles", "Virtual machine → Provisioning → Allow VM download"),
        ("VirtualMachine.Provisioning.PutVmFiles", "Virtual machine → Provisioning → Allow VM files upload"),
        ("VirtualMachine.State.RemoveSnapshot", "Virtual machine → Snapshot management → Remove snapshot"),
    ),
    *_p(
        Purpose.MODERNIZED,
        ("VirtualMachine.State.CreateSnapshot", "Virtual machine → Snapshot management → Create snapshot"),
        (
            "VirtualMachine.State.RevertToSnapshot",
            "Virtual machine → Snapshot management → Revert to snapshot",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class PrivilegeReport:
    """Which of ASR's privileges an account holds on an entity (usually the root folder)."""

    user: str
    entity: str
    present: tuple[Privilege, ...]
    missing: tuple[Privilege, ...]

    def ok_for(self, purpose: Purpose) -> bool:
        return not any(p.purpose == purpose for p in self.missing)

    @property
    def ok(self) -> bool:
        return not self.missing


def evaluate(user: str, entity: str, granted: Iterable[str]) -> PrivilegeReport:
    """Split ASR's privileges into present and missing given the ids an account holds."""
    held = frozenset(granted)
    present = tuple(p for p in PRIVILEGES if p.id in held)
    missing = tuple(p for p in PRIVILEGES if p.id not in held)
    return PrivilegeReport(user=user, entity=entity, present=present, missing=missing)


def privilege_ids() -> list[str]:
    return [p.id for p in PRIVILEGES]
