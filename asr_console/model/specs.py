"""Inputs of write operations, and their validation before anything is sent.

The ranges are Microsoft's documented ones (the API does not enforce them): retention 0–15 days,
app-consistent snapshots off or every 60–720 minutes in hourly steps and never longer than retention,
crash-consistent every 5 minutes. Errors name the field and say what to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from asr_console.model.arm import same_arm_id
from asr_console.model.inputs import FieldError as FieldError
from asr_console.model.inputs import InvalidInput as InvalidInput
from asr_console.model.inputs import RecoveryPointChoice as RecoveryPointChoice
from asr_console.model.inputs import RecoveryPointKind as RecoveryPointKind
from asr_console.model.records import TO_AZURE, ProtectedItem, Provider

MAX_RETENTION_MINUTES = 15 * 24 * 60
APP_CONSISTENT_MIN = 60
APP_CONSISTENT_MAX = 720
CRASH_CONSISTENT_MINUTES = 5
RPO_THRESHOLD_MAX_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySpec:
    name: str
    provider: Provider
    recovery_point_history_minutes: int = 4320
    app_consistent_frequency_minutes: int = 240
    crash_consistent_frequency_minutes: int = CRASH_CONSISTENT_MINUTES
    rpo_threshold_minutes: int = 60  # classic only: an alert threshold, not a replication setting
    multi_vm_sync: bool = False


POLICY_FIELD_HELP: dict[str, str] = {
    "name": "Policy name: letters, digits and hyphens, up to 64 characters.",
    "recovery_point_history_minutes": "How far back you can recover: 0 to 21,600 minutes (15 days).",
    "app_consistent_frequency_minutes": "App-consistent snapshots: 0 (off) or every 60–720 minutes, hourly.",
    "crash_consistent_frequency_minutes": "Crash-consistent points are taken every 5 minutes.",
    "rpo_threshold_minutes": "Classic only: raise an alert when RPO exceeds this. It does not change "
    "how often data replicates.",
    "multi_vm_sync": "Make VMs of one replication group consistent with each other (port 20004).",
}


def validate_policy(spec: PolicySpec) -> list[FieldError]:
    errors: list[FieldError] = []
    name = spec.name.strip()
    if not name:
        errors.append(FieldError("name", "enter a policy name"))
    elif len(name) > 64 or not all(c.isalnum() or c in "-_" for c in name):
        errors.append(FieldError("name", "use up to 64 letters, digits, hyphens or underscores"))
    if spec.provider is Provider.OTHER:
        errors.append(FieldError("provider", "choose InMageRcm (modernized) or InMageAzureV2 (classic)"))
    retention = spec.recovery_point_history_minutes
    if not 0 <= retention <= MAX_RETENTION_MINUTES:
        errors.append(
            FieldError(
                "recovery_point_history_minutes",
                f"retention must be 0–{MAX_RETENTION_MINUTES} minutes (15 days), got {retention}",
            )
        )
    app = spec.app_consistent_frequency_minutes
    if app != 0:
        if not APP_CONSISTENT_MIN <= app <= APP_CONSISTENT_MAX or app % 60:
            errors.append(
                FieldError(
                    "app_consistent_frequency_minutes",
                    f"use 0 (off) or a whole number of hours from 60 to 720 minutes, got {app}",
                )
            )
        elif retention == 0:
            errors.append(FieldError("app_consistent_frequency_minutes", "must be 0 when retention is 0"))
        elif app > retention:
            errors.append(
                FieldError(
                    "app_consistent_frequency_minutes",
                    f"must not exceed retention ({retention} minutes); lower it or raise retention",
                )
            )
    if spec.crash_consistent_frequency_minutes != CRASH_CONSISTENT_MINUTES:
        errors.append(
            FieldError(
                "crash_consistent_frequency_minutes", "ASR takes crash-consistent points every 5 minutes"
            )
        )
    if spec.provider is Provider.INMAGE_AZURE_V2 and not (
        1 <= spec.rpo_threshold_minutes <= RPO_THRESHOLD_MAX_MINUTES
    ):
        errors.append(FieldError("rpo_threshold_minutes", f"use 1–{RPO_THRESHOLD_MAX_MINUTES} minutes"))
    return errors


@dataclass(frozen=True, slots=True, kw_only=True)
class DiskChoice:
    disk_id: str
    disk_type: str = "Standard_LRS"  # Standard_LRS, Premium_LRS, StandardSSD_LRS


DISK_TYPES = ("Standard_LRS", "StandardSSD_LRS", "Premium_LRS")


@dataclass(frozen=True, slots=True, kw_only=True)
class EnableReplicationSpec:
    protectable_item_id: str
    container_id: str
    policy_id: str
    provider: Provider
    target_resource_group_id: str
    target_network_id: str = ""
    target_subnet: str = ""
    disk_type: str = "Standard_LRS"
    process_server_id: str = ""
    log_storage_account_id: str = ""
    run_as_account_id: str = ""
    target_vm_name: str = ""
    item_name: str = ""
    # the disks to replicate, each with its disk type; empty replicates every disk as ``disk_type``
    disks: tuple[DiskChoice, ...] = field(default=())
    # InMageRcm: the discovered machine's ARM id in the appliance's Azure Migrate site
    machine_id: str = ""
    test_network_id: str = ""
    test_subnet: str = ""
    target_vm_size: str = ""
    license_type: str = ""  # "", NoLicenseType or WindowsServer
    availability_zone: str = ""
    availability_set_id: str = ""
    multi_vm_group: str = ""
    master_target_id: str = ""  # InMageAzureV2 only


LICENSE_TYPES = ("NoLicenseType", "WindowsServer")
# Microsoft retired the classic (configuration server) stack on this date; ASR refuses new classic
# (InMageAzureV2) enables from then on.
CLASSIC_ENABLE_RETIRED = "30 March 2026"
CLASSIC_ENABLE_REFUSED = (
    f"ASR refuses new classic (InMageAzureV2) replication since {CLASSIC_ENABLE_RETIRED}, when the "
    "configuration server stack was retired: protect the VM with a modernized appliance (an InMageRcm "
    "policy); classic items already replicating keep working"
)
_VM_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def validate_enable(spec: EnableReplicationSpec) -> list[FieldError]:
    errors: list[FieldError] = []
    if not spec.protectable_item_id:
        errors.append(FieldError("vm", "pick a VM the vault has discovered"))
    if not spec.policy_id:
        errors.append(FieldError("policy", "choose a replication policy"))
    if spec.provider is Provider.INMAGE_AZURE_V2:
        errors.append(FieldError("policy", CLASSIC_ENABLE_REFUSED))
    if not spec.target_resource_group_id.startswith("/subscriptions/"):
        errors.append(
            FieldError("target_resource_group", "give the full ARM id: /subscriptions/…/resourceGroups/NAME")
        )
    if spec.disk_type not in DISK_TYPES:
        errors.append(FieldError("disk_type", f"use one of {', '.join(DISK_TYPES)}"))
    for disk in spec.disks:
        if disk.disk_type not in DISK_TYPES:
            errors.append(FieldError("disk_type", f"disk {disk.disk_id}: use one of {', '.join(DISK_TYPES)}"))
    if spec.provider is Provider.INMAGE_RCM:
        if not spec.process_server_id:
            errors.append(FieldError("process_server", "choose the appliance's process server"))
        if spec.protectable_item_id and not spec.machine_id:
            errors.append(FieldError("vm", "the appliance has not discovered this VM (no site machine)"))
        if not spec.log_storage_account_id:
            errors.append(FieldError("cache_storage", "choose a cache storage account in the vault's region"))
    if spec.target_subnet and not spec.target_network_id:
        errors.append(FieldError("target_subnet", "choose the target network first"))
    if spec.test_subnet and not spec.test_network_id:
        errors.append(FieldError("test_subnet", "choose the test network first"))
    if spec.test_network_id and same_arm_id(spec.test_network_id, spec.target_network_id):
        errors.append(FieldError("test_network", "the test network must differ from the failover network"))
    errors.extend(
        _azure_vm_errors(
            spec.license_type, spec.availability_zone, spec.availability_set_id, spec.target_vm_name
        )
    )
    if spec.provider is Provider.OTHER:
        errors.append(
            FieldError("provider", "only VMware providers (InMageRcm, InMageAzureV2) are supported")
        )
    return errors


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputeNetworkSpec:
    """An enabled item's Compute & Network settings as the user wants them (``begin_update``); "" keeps
    what ASR has for the item. Subnets are the primary NIC's (``vmNics``)."""

    item_id: str
    target_vm_name: str = ""
    target_vm_size: str = ""
    target_resource_group_id: str = ""
    target_network_id: str = ""
    target_subnet: str = ""
    test_network_id: str = ""
    test_subnet: str = ""
    license_type: str = ""
    availability_zone: str = ""
    availability_set_id: str = ""


def validate_compute_network(spec: ComputeNetworkSpec, current: ProtectedItem) -> list[FieldError]:
    """The console's checks of a Compute & Network change of ``current`` (the item as last read)."""
    errors: list[FieldError] = []
    if current.provider is not Provider.INMAGE_RCM or current.direction != TO_AZURE:
        errors.append(
            FieldError(
                "item",
                f"{current.display_name} replicates with {current.provider_name or 'another provider'}: "
                "only modernized (InMageRcm) items replicating to Azure have these settings here",
            )
        )
    network = spec.target_network_id or current.recovery_network_id
    test_network = spec.test_network_id or current.test_network_id
    if spec.target_resource_group_id and not spec.target_resource_group_id.startswith("/subscriptions/"):
        errors.append(
            FieldError("target_resource_group", "give the full ARM id: /subscriptions/…/resourceGroups/NAME")
        )
    # another network: the item's subnet is the old network's, so a new one must be named
    if _moved(spec.target_network_id, current.recovery_network_id) and not spec.target_subnet:
        errors.append(FieldError("target_subnet", "choose a subnet of the target network"))
    if _moved(spec.test_network_id, current.test_network_id) and not spec.test_subnet:
        errors.append(FieldError("test_subnet", "choose a subnet of the test network"))
    if spec.target_subnet and not network:
        errors.append(FieldError("target_subnet", "choose the target network first"))
    if spec.test_subnet and not test_network:
        errors.append(FieldError("test_subnet", "choose the test network first"))
    if test_network and network and same_arm_id(test_network, network):
        errors.append(FieldError("test_network", "the test network must differ from the failover network"))
    if (spec.target_subnet or spec.test_subnet) and not current.primary_nic_id:
        errors.append(
            FieldError("target_subnet", "ASR reports no NIC for this item: its subnet cannot be set")
        )
    errors.extend(
        _azure_vm_errors(
            spec.license_type, spec.availability_zone, spec.availability_set_id, spec.target_vm_name
        )
    )
    return errors


def _azure_vm_errors(
    license_type: str, zone: str, availability_set_id: str, vm_name: str
) -> list[FieldError]:
    """The Azure VM's own settings, as enable and Compute & Network both take them."""
    errors: list[FieldError] = []
    if license_type and license_type not in LICENSE_TYPES:
        errors.append(FieldError("license_type", f"use one of {', '.join(LICENSE_TYPES)}"))
    if zone and availability_set_id:
        errors.append(
            FieldError("availability", "choose an availability zone or an availability set, not both")
        )
    if zone and zone not in ("1", "2", "3"):
        errors.append(FieldError("availability", "an availability zone is 1, 2 or 3"))
    if vm_name and not _VM_NAME.match(vm_name):
        errors.append(
            FieldError(
                "target_name", "1–63 letters, digits and hyphens, starting and ending with a letter or digit"
            )
        )
    return errors


def _moved(chosen: str, current: str) -> bool:
    return bool(chosen) and not same_arm_id(chosen, current)


def validate_test_network(test_network_id: str, failover_network_id: str) -> list[FieldError]:
    if not test_network_id:
        return [FieldError("test_network", "choose an Azure network for the test VM")]
    if failover_network_id and same_arm_id(test_network_id, failover_network_id):
        return [
            FieldError(
                "test_network",
                "the test network must differ from the failover network; pick an isolated network",
            )
        ]
    return []


def require_allowed(operation: str, allowed: tuple[str, ...], item_name: str) -> list[FieldError]:
    """ASR lists what an item may do next; refuse anything else before sending."""
    if operation.lower() in {a.lower() for a in allowed}:
        return []
    shown = ", ".join(allowed) if allowed else "none"
    return [
        FieldError(
            "operation",
            f"{operation} is not allowed for {item_name} now (allowed: {shown})",
        )
    ]
