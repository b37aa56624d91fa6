"""Small builders of model records for core unit tests (UI and contract tests use the simulator)."""

from __future__ import annotations

import uuid

from asr_console.model.records import Health, ProtectedItem, Provider, VirtualMachine

SUB = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg"
    "/providers/Microsoft.RecoveryServices"
)


def vm(
    n: int, *, name: str | None = None, bios: str | None = None, power: str = "poweredOn"
) -> VirtualMachine:
    return VirtualMachine(
        moref=f"vm-{n}",
        name=name or f"app-{n:05d}",
        power_state=power,
        bios_uuid=bios if bios is not None else str(uuid.UUID(int=n)),
        instance_uuid=str(uuid.UUID(int=10**9 + n)),
        num_cpu=2,
        memory_mb=4096,
    )


def item(
    n: int,
    *,
    name: str | None = None,
    bios: str | None = None,
    health: Health = Health.NORMAL,
    rpo: int | None = 120,
) -> ProtectedItem:
    return ProtectedItem(
        id=f"{SUB}/vaults/v/replicationFabrics/f/replicationProtectionContainers/c/"
        f"replicationProtectedItems/item-{n}",
        name=f"item-{n}",
        friendly_name=name or f"app-{n:05d}",
        provider=Provider.INMAGE_RCM,
        replication_health=health,
        protection_state="Protected",
        rpo_seconds=rpo,
        source_bios_uuid=bios if bios is not None else str(uuid.UUID(int=n)),
    )
