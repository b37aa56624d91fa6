"""The console's write specs → ASR request bodies (wire JSON the SDK sends), and checks made first.

Shared by the Azure source (which passes these bodies to the SDK's ``begin_*`` operations) and the
simulated one, so both refuse the same inputs with the same messages before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asr_console.model.arm import same_arm_id
from asr_console.model.operations import Operation, OperationInputs, ReprotectTarget
from asr_console.model.records import ProtectedItem, Provider, RecoveryPoint
from asr_console.model.specs import (
    ComputeNetworkSpec,
    EnableReplicationSpec,
    FieldError,
    InvalidInput,
    PolicySpec,
    RecoveryPointChoice,
    RecoveryPointKind,
    require_allowed,
    validate_compute_network,
    validate_enable,
    validate_policy,
    validate_test_network,
)

AZURE_CONTAINER = "Microsoft Azure"


def check(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput(errors)


def provider_settings(spec: PolicySpec) -> dict[str, Any]:
    if spec.provider is Provider.INMAGE_RCM:
        return {
            "instanceType": "InMageRcm",
            "recoveryPointHistoryInMinutes": spec.recovery_point_history_minutes,
            "crashConsistentFrequencyInMinutes": spec.crash_consistent_frequency_minutes,
            "appConsistentFrequencyInMinutes": spec.app_consistent_frequency_minutes,
            "enableMultiVmSync": "true" if spec.multi_vm_sync else "false",
        }
    return {
        "instanceType": "InMageAzureV2",
        "recoveryPointThresholdInMinutes": spec.rpo_threshold_minutes,
        "recoveryPointHistory": spec.recovery_point_history_minutes,
        "crashConsistentFrequencyInMinutes": spec.crash_consistent_frequency_minutes,
        "appConsistentFrequencyInMinutes": spec.app_consistent_frequency_minutes,
        "multiVmSyncStatus": "Enable" if spec.multi_vm_sync else "Disable",
    }


def create_policy_body(spec: PolicySpec) -> dict[str, Any]:
    check(validate_policy(spec))
    return {"properties": {"providerSpecificInput": provider_settings(spec)}}


def update_policy_body(spec: PolicySpec, current: Provider) -> dict[str, Any]:
    errors = validate_policy(spec)
    if current is not Provider.OTHER and spec.provider is not current:
        errors.append(FieldError("provider", f"this policy is {current.value}; its provider cannot change"))
    check(errors)
    return {"properties": {"replicationProviderSettings": provider_settings(spec)}}


def mapping_body(policy_id: str, provider: Provider) -> dict[str, Any]:
    # 2025-08-01 defines mapping-create provider inputs only for A2A and VMwareCbt: VMware→Azure
    # sends none (InMageRcm's agent auto-upgrade is set with the mapping update)
    return {"properties": {"targetProtectionContainerId": AZURE_CONTAINER, "policyId": policy_id}}


def mapping_update_body(auto_upgrade: bool) -> dict[str, Any]:
    """``UpdateProtectionContainerMappingInput`` for an appliance's mapping: Mobility agent auto-upgrade."""
    return {
        "properties": {
            "providerSpecificInput": {
                "instanceType": "InMageRcm",
                "enableAgentAutoUpgrade": "true" if auto_upgrade else "false",
            }
        }
    }


def dissociate_body() -> dict[str, Any]:
    return {"properties": {}}


def enable_body(spec: EnableReplicationSpec) -> dict[str, Any]:
    """``EnableProtectionInput``: InMageRcm names the discovered machine and puts the cache storage
    account in ``disksDefault`` or in every ``disksToInclude`` entry (required in both)."""
    check(validate_enable(spec))
    return enable_request(spec)


def enable_request(spec: EnableReplicationSpec) -> dict[str, Any]:
    """The body for ``spec`` as ASR's input model defines it, without the console's own checks."""
    props: dict[str, Any] = {"policyId": spec.policy_id}
    if spec.provider is Provider.INMAGE_RCM:
        details = _rcm_enable_details(spec)
    else:
        props["protectableItemId"] = spec.protectable_item_id
        details = _classic_enable_details(spec)
    props["providerSpecificDetails"] = details
    return {"properties": props}


def _rcm_enable_details(spec: EnableReplicationSpec) -> dict[str, Any]:
    details: dict[str, Any] = {
        "instanceType": "InMageRcm",
        "fabricDiscoveryMachineId": spec.machine_id,
        "targetResourceGroupId": spec.target_resource_group_id,
        "processServerId": spec.process_server_id,
    }
    if spec.disks:
        details["disksToInclude"] = [
            {"diskId": d.disk_id, "logStorageAccountId": spec.log_storage_account_id, "diskType": d.disk_type}
            for d in spec.disks
        ]
    else:
        details["disksDefault"] = {
            "logStorageAccountId": spec.log_storage_account_id,
            "diskType": spec.disk_type,
        }
    optional = {
        "targetNetworkId": spec.target_network_id,
        "targetSubnetName": spec.target_subnet,
        "testNetworkId": spec.test_network_id,
        "testSubnetName": spec.test_subnet,
        "targetVmName": spec.target_vm_name,
        "targetVmSize": spec.target_vm_size,
        "licenseType": spec.license_type,
        "targetAvailabilityZone": spec.availability_zone,
        "targetAvailabilitySetId": spec.availability_set_id,
        "runAsAccountId": spec.run_as_account_id,
        "multiVmGroupName": spec.multi_vm_group,
    }
    details.update({key: value for key, value in optional.items() if value})
    return details


def _classic_enable_details(spec: EnableReplicationSpec) -> dict[str, Any]:
    details: dict[str, Any] = {
        "instanceType": "InMageAzureV2",
        "processServerId": spec.process_server_id,
        "masterTargetId": spec.master_target_id,
        "runAsAccountId": spec.run_as_account_id,
        "targetAzureV2ResourceGroupId": spec.target_resource_group_id,
        "logStorageAccountId": spec.log_storage_account_id,
        "diskType": spec.disk_type,
        "targetAzureNetworkId": spec.target_network_id,
        "targetAzureSubnetId": spec.target_subnet,
        "targetAzureVmName": spec.target_vm_name,
        "targetVmSize": spec.target_vm_size,
        "licenseType": spec.license_type,
        "targetAvailabilityZone": spec.availability_zone,
        "targetAvailabilitySetId": spec.availability_set_id,
        "multiVmGroupName": spec.multi_vm_group,
    }
    if spec.disks:
        # objects (InMageAzureV2DiskInputDetails), each with its cache account and disk type
        details["disksToInclude"] = [
            {"diskId": d.disk_id, "logStorageAccountId": spec.log_storage_account_id, "diskType": d.disk_type}
            for d in spec.disks
        ]
    return {key: value for key, value in details.items() if value}


def update_item_body(spec: ComputeNetworkSpec, item: ProtectedItem) -> dict[str, Any]:
    """``UpdateReplicationProtectedItemInput`` with ``InMageRcmUpdateReplicationProtectedItemInput``:
    the whole Compute & Network configuration, each setting the one chosen or else the item's own, so
    ASR never resets one the user did not touch; the subnets go on the primary NIC (``vmNics``)."""
    check(validate_compute_network(spec, item))
    target_subnet = spec.target_subnet or (
        item.recovery_subnet
        if not spec.target_network_id or same_arm_id(spec.target_network_id, item.recovery_network_id)
        else ""
    )
    test_subnet = spec.test_subnet or (
        item.test_subnet
        if not spec.test_network_id or same_arm_id(spec.test_network_id, item.test_network_id)
        else ""
    )
    zone = spec.availability_zone or ("" if spec.availability_set_id else item.availability_zone)
    availability_set = spec.availability_set_id or (
        "" if spec.availability_zone else item.availability_set_id
    )
    settings = {
        "targetVmName": spec.target_vm_name or item.recovery_vm_name,
        "targetVmSize": spec.target_vm_size or item.recovery_vm_size,
        "targetResourceGroupId": spec.target_resource_group_id or item.recovery_resource_group_id,
        "targetNetworkId": spec.target_network_id or item.recovery_network_id,
        "testNetworkId": spec.test_network_id or item.test_network_id,
        "licenseType": spec.license_type or item.license_type,
        "targetAvailabilityZone": zone,
        "targetAvailabilitySetId": availability_set,
    }
    details: dict[str, Any] = {"instanceType": "InMageRcm"}
    details.update({key: value for key, value in settings.items() if value})
    if item.primary_nic_id and (target_subnet or test_subnet):
        nic: dict[str, Any] = {"nicId": item.primary_nic_id, "isPrimaryNic": "true"}
        if target_subnet:
            nic["targetSubnetName"] = target_subnet
        if test_subnet:
            nic["testSubnetName"] = test_subnet
        details["vmNics"] = [nic]
    return {"properties": {"providerSpecificDetails": details}}


def resolve_recovery_point(choice: RecoveryPointChoice, points: list[RecoveryPoint]) -> str:
    """The recovery point id to send: "" lets ASR use the latest (lowest RPO) data."""
    check(choice.validate())
    if choice.kind is RecoveryPointKind.CUSTOM:
        if not any(p.id.lower() == choice.recovery_point_id.lower() for p in points):
            check([FieldError("recovery_point", "that recovery point is no longer listed; pick another")])
        return choice.recovery_point_id
    if choice.kind is RecoveryPointKind.LATEST:
        return ""
    app = choice.kind in (
        RecoveryPointKind.LATEST_APP_CONSISTENT,
        RecoveryPointKind.LATEST_MULTI_VM_APP_CONSISTENT,
    )
    multi_vm = choice.kind in (
        RecoveryPointKind.LATEST_MULTI_VM_PROCESSED,
        RecoveryPointKind.LATEST_MULTI_VM_APP_CONSISTENT,
    )
    dated = [
        p
        for p in points
        if p.time is not None and (not app or "app" in p.type.lower()) and (not multi_vm or p.multi_vm)
    ]
    if not dated:
        kind = ("app-consistent " if app else "") + ("multi-VM sync " if multi_vm else "")
        hint = "the item is in no multi-VM group or has no such point yet; " if multi_vm else ""
        check([FieldError("recovery_point", f"no {kind}recovery point is available ({hint}choose Latest)")])
    return max(dated, key=lambda p: p.time or 0).id


@dataclass(frozen=True, slots=True)
class ItemRequest:
    """What an operation on a protected item is built from: the item as read just before sending,
    the resolved recovery point ("" = latest) and the user's inputs."""

    item: ProtectedItem
    recovery_point_id: str
    given: OperationInputs


def _allowed(op: Operation, item: ProtectedItem) -> list[FieldError]:
    return require_allowed(op.asr_name, item.allowed_operations, item.display_name)


def test_failover_body(req: ItemRequest) -> dict[str, Any]:
    item, network_id = req.item, req.given.network_id
    errors = _allowed(Operation.TEST_FAILOVER, item)
    errors += validate_test_network(network_id, item.recovery_network_id)
    check(errors)
    details: dict[str, Any] = {"instanceType": item.provider_name or item.provider.value}
    if item.provider is Provider.INMAGE_RCM:
        details["networkId"] = network_id
    if req.recovery_point_id:
        details["recoveryPointId"] = req.recovery_point_id
    return {
        "properties": {
            "failoverDirection": "PrimaryToRecovery",
            "networkType": "VmNetworkAsInput",
            "networkId": network_id,
            "providerSpecificDetails": details,
        }
    }


def cleanup_body(req: ItemRequest) -> dict[str, Any]:
    errors = _allowed(Operation.TEST_FAILOVER_CLEANUP, req.item)
    if len(req.given.notes) > 1024:
        errors.append(FieldError("notes", "keep the notes under 1,024 characters"))
    check(errors)
    return {"properties": {"comments": req.given.notes}}


def unplanned_failover_body(req: ItemRequest) -> dict[str, Any]:
    item, shutdown_source = req.item, req.given.shutdown_source
    errors = _allowed(Operation.UNPLANNED_FAILOVER, item)
    if shutdown_source and item.provider is not Provider.INMAGE_RCM:
        errors.append(
            FieldError("shutdown_source", "only modernized (InMageRcm) items can shut the source down")
        )
    check(errors)
    details: dict[str, Any] = {"instanceType": item.provider_name or item.provider.value}
    if item.provider is Provider.INMAGE_RCM:
        details["performShutdown"] = "true" if shutdown_source else "false"
    if req.recovery_point_id:
        details["recoveryPointId"] = req.recovery_point_id
    return {
        "properties": {
            "failoverDirection": "PrimaryToRecovery",
            "sourceSiteOperations": "Required" if shutdown_source else "NotRequired",
            "providerSpecificDetails": details,
        }
    }


def apply_recovery_point_body(req: ItemRequest) -> dict[str, Any]:
    item, recovery_point_id = req.item, req.recovery_point_id
    errors = _allowed(Operation.CHANGE_RECOVERY_POINT, item)
    if not recovery_point_id:
        errors.append(FieldError("recovery_point", "pick a recovery point from the list"))
    check(errors)
    details: dict[str, Any] = {"instanceType": item.provider_name or item.provider.value}
    if item.provider is Provider.INMAGE_RCM:
        details["recoveryPointId"] = recovery_point_id
    return {"properties": {"recoveryPointId": recovery_point_id, "providerSpecificDetails": details}}


FAILBACK_PROVIDER = "InMageRcmFailback"
CLASSIC_REPROTECT_PROVIDER = "InMage"
STORAGE_PATH = "/providers/microsoft.storage/storageaccounts/"


def reprotect_body(req: ItemRequest) -> dict[str, Any]:
    """Re-protect: the provider input follows which way the item goes next. A failed-over modernized
    item re-protects towards VMware (``InMageRcm``: reprotect agent, datastore, cache storage account,
    optional failback policy); one failed back re-protects towards Azure again (``InMageRcmFailback``:
    process server and replication policy); a classic one re-protects with ``InMage`` (master target,
    process server, retention drive, policy)."""
    item = req.item
    target = req.given.reprotect or ReprotectTarget()
    errors = _allowed(Operation.REPROTECT, item)
    details: dict[str, Any]
    if item.provider_name.lower() == FAILBACK_PROVIDER.lower():
        errors += _required(
            (
                "process_server",
                target.process_server_id,
                "choose the process server that replicates to Azure",
            ),
            ("policy", target.policy_id, "choose the replication policy for Azure"),
        )
        details = {
            "instanceType": FAILBACK_PROVIDER,
            "processServerId": target.process_server_id,
            "policyId": target.policy_id,
        }
        if target.run_as_account_id:
            details["runAsAccountId"] = target.run_as_account_id
        direction = "PrimaryToRecovery"
    elif item.provider is Provider.INMAGE_RCM:
        log_sa = target.log_storage_account_id or item.log_storage_account_id
        errors += _required(
            ("reprotect_agent", target.agent_id, "choose a reprotect agent of the appliance"),
            ("datastore", target.datastore, "choose a datastore the reprotect agent can reach"),
            ("cache_storage", log_sa, "choose the cache storage account"),
        )
        if log_sa and STORAGE_PATH not in log_sa.lower():
            errors.append(FieldError("cache_storage", f"{log_sa} is not a storage account's ARM id"))
        details = {
            "instanceType": "InMageRcm",
            "reprotectAgentId": target.agent_id,
            "datastoreName": target.datastore,
            "logStorageAccountId": log_sa,
        }
        if target.policy_id:
            details["policyId"] = target.policy_id
        direction = "RecoveryToPrimary"
    elif item.provider is Provider.INMAGE_AZURE_V2:
        process_server = target.process_server_id or item.process_server_id
        errors += _required(
            ("master_target", target.agent_id, "choose the master target server"),
            ("process_server", process_server, "choose the process server"),
            ("retention_drive", target.retention_drive, "choose the master target's retention drive"),
            ("policy", target.policy_id, "choose the failback policy"),
        )
        details = {
            "instanceType": CLASSIC_REPROTECT_PROVIDER,
            "masterTargetId": target.agent_id,
            "processServerId": process_server,
            "retentionDrive": target.retention_drive,
            "profileId": target.policy_id,
        }
        if target.datastore:
            details["datastoreName"] = target.datastore
        if target.run_as_account_id:
            details["runAsAccountId"] = target.run_as_account_id
        direction = "RecoveryToPrimary"
    else:
        errors.append(FieldError("reprotect", f"{item.display_name} replicates with {item.provider_name}"))
        details, direction = {}, ""
    check(errors)
    return {"properties": {"failoverDirection": direction, "providerSpecificDetails": details}}


def _required(*fields: tuple[str, str, str]) -> list[FieldError]:
    return [FieldError(name, message) for name, value, message in fields if not value]


def failback_body(req: ItemRequest) -> dict[str, Any]:
    """Planned failover of a re-protected modernized item back to VMware."""
    item = req.item
    errors = _allowed(Operation.FAILBACK, item)
    if item.provider_name.lower() != FAILBACK_PROVIDER.lower():
        errors.append(
            FieldError("operation", f"{item.display_name} is not replicating to VMware; re-protect it first")
        )
    check(errors)
    return {
        "properties": {
            "failoverDirection": "RecoveryToPrimary",
            "providerSpecificDetails": {
                "instanceType": FAILBACK_PROVIDER,
                "recoveryPointType": req.given.recovery_point_type.value,
            },
        }
    }


def purge_body(req: ItemRequest) -> None:
    """Purge sends no body and needs no permission from allowedOperations (ASR lists none for it)."""


def update_agent_body(req: ItemRequest) -> dict[str, Any]:
    """``UpdateMobilityServiceRequest``; refused for an item whose agent is already the latest."""
    item = req.item
    if not item.agent_upgradeable and (
        not item.agent_latest_version or item.agent_version == item.agent_latest_version
    ):
        check([FieldError("operation", f"{item.display_name} already runs the latest Mobility service")])
    props: dict[str, Any] = {}
    if req.given.run_as_account_id:
        props["runAsAccountId"] = req.given.run_as_account_id
    return {"properties": props}


def disable_body(req: ItemRequest) -> dict[str, Any]:
    check(_allowed(Operation.DISABLE_REPLICATION, req.item))
    return {"properties": {"disableProtectionReason": "NotSpecified"}}


def no_body(req: ItemRequest) -> None:
    """For operations that send no body (their spec names no input model)."""


# The body builder of each operation on a protected item (the catalogue says which ones send a body).
ITEM_BODIES: dict[Operation, Callable[[ItemRequest], dict[str, Any] | None]] = {
    Operation.TEST_FAILOVER: test_failover_body,
    Operation.TEST_FAILOVER_CLEANUP: cleanup_body,
    Operation.UNPLANNED_FAILOVER: unplanned_failover_body,
    Operation.CHANGE_RECOVERY_POINT: apply_recovery_point_body,
    Operation.COMMIT: no_body,
    Operation.REPROTECT: reprotect_body,
    Operation.FAILBACK: failback_body,
    Operation.PURGE: purge_body,
    Operation.UPDATE_MOBILITY_SERVICE: update_agent_body,
    Operation.RESYNC: no_body,
    Operation.DISABLE_REPLICATION: disable_body,
}


def check_allowed(op: Operation, item: ProtectedItem) -> None:
    check(_allowed(op, item))
