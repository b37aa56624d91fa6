"""Protected items of the simulated site: their replication state and its ARM wire form.

One class serves both VMware providers; ``to_arm`` renders the provider-specific details the way the
modernized appliance (``InMageRcm``) or the classic configuration server (``InMageAzureV2``) reports
them. The VM's BIOS UUID travels where each stack keeps the source identity: the Azure Migrate
discovery id (``<vcenter>_<instance uuid>``) for InMageRcm, ``vmId`` for InMageAzureV2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from asr_console.model.operations import Operation
from asr_console.model.records import VirtualMachine
from asr_console.sim.clock import SimClock
from asr_console.sim.state_machines import (
    FAILBACK_PHASES,
    PHASES,
    TEST_FAILOVER_DESCRIPTIONS,
    Phase,
    TestFailover,
    allowed_operations,
)

_RESYNC = Operation.RESYNC.asr_name
_RESYNC_SCENARIO = "RepairReplication"

RCM = "InMageRcm"
CLASSIC = "InMageAzureV2"
AGENT_LATEST = "9.63.7187.1"
DEFAULT_VM_SIZE = "Standard_D4s_v5"  # what an item reports until a size is chosen
AGENT_VERSIONS = ("9.63.7187.1", "9.62.7172.1", "9.61.7016.1", "9.60.6994.1", "9.59.6930.1")


@dataclass(slots=True)
class SimItem:
    name: str
    provider: str
    fabric: str
    container: str
    vm_moref: str
    friendly_name: str
    bios_uuid: str
    instance_uuid: str
    os_type: str
    ip: str
    firmware: str
    cores: int
    memory_mb: int
    disks: tuple[tuple[str, str, int], ...]  # (disk id, name, capacity bytes)
    discovery_machine_id: str
    protectable_name: str
    policy: str
    process_server_id: str
    process_server_name: str
    target_resource_group_id: str
    target_network_id: str
    log_storage_account_id: str
    created: float
    phase: Phase = Phase.ENABLING
    test_failover: TestFailover = TestFailover.NONE
    ir_percent: float = 0.0
    ir_rate: float = 1.0  # percent per simulated minute
    ir_stalled: bool = False
    resync_required: bool = False
    resync_percent: float | None = None
    bandwidth_kbps: float = 10_000.0
    backlog_kb: float = 0.0
    last_rp: float | None = None  # elapsed seconds of the latest crash-consistent point
    last_app_rp: float | None = None
    vss_broken: bool = False
    agent_version: str = AGENT_LATEST
    agent_heartbeat: float | None = None
    agent_stalled_until: float = 0.0
    source_running: bool = True  # the VM is powered on in vCenter (the tick model keeps it current)
    resync_error: str = ""  # catalog code of why the last resync failed, until the cause is gone
    test_network_id: str = ""
    failover_recovery_point: str = ""
    last_test_failover: float | None = None
    last_failover: float | None = None
    scenario: str = "None"
    scenario_job: str = ""
    scenario_start: float | None = None
    errors: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    health: str = "Normal"
    multi_vm_group: str = ""  # items of one group share multi-VM sync points
    # where a re-protect towards VMware writes: the appliance's reprotect agent (or the classic master
    # target), its datastore, the classic retention drive, and the failback policy ("" = the default)
    reprotect_agent_id: str = ""
    reprotect_agent_name: str = ""
    datastore_name: str = ""
    retention_drive: str = ""
    failback_policy: str = ""
    # Compute & Network, as enable or the item update set them ("" = ASR's default for the VM); the
    # subnets are the primary NIC's, which ``nic_id`` names (the source NIC's MAC address)
    target_vm_name: str = ""
    target_vm_size: str = ""
    target_subnet: str = ""
    test_subnet: str = ""
    license_type: str = ""
    availability_zone: str = ""
    availability_set_id: str = ""
    nic_id: str = ""

    @property
    def allowed(self) -> tuple[str, ...]:
        allowed = allowed_operations(self.phase, self.test_failover, self.resync_required)
        if self.scenario == _RESYNC_SCENARIO or self.resync_percent is not None:
            # one resync at a time: ASR does not offer another while a resync job or its copy runs
            allowed = tuple(op for op in allowed if op != _RESYNC)
        if self.provider == CLASSIC and self.phase is Phase.REPROTECTED:
            # planned failover (failback) exists only for the modernized stack
            allowed = tuple(a for a in allowed if a != "PlannedFailover")
        return allowed

    @property
    def towards_vmware(self) -> bool:
        """Whether the item replicates (or failed back) with a failback provider, not towards Azure."""
        return self.phase in FAILBACK_PHASES if self.provider == RCM else self.phase is Phase.REPROTECTED

    def rpo_seconds(self, elapsed: float) -> int | None:
        if self.last_rp is None:
            return None
        return max(0, int(elapsed - self.last_rp))

    def to_arm(
        self, clock: SimClock, elapsed: float, ids: Any, policy_name: str, catalog: Any
    ) -> dict[str, Any]:
        view = PHASES[self.phase]
        item_id = ids.item_id(self.fabric, self.container, self.name)
        health_errors = [
            catalog(
                code, clock.at(created), item_id, vm=self.friendly_name, ps=self.process_server_name, **params
            )
            for code, (created, params) in sorted(self.errors.items())
        ]
        description = view.description
        if self.phase is Phase.PROTECTED and self.test_failover is TestFailover.CLEANUP_PENDING:
            description = "Cleanup test failover pending"
        props: dict[str, Any] = {
            "friendlyName": self.friendly_name,
            "protectedItemType": "ProtectionEntity",
            "protectableItemId": ids.protectable_id(self.fabric, self.container, self.protectable_name),
            "recoveryServicesProviderId": ids.fabric_id(self.fabric)
            + "/replicationRecoveryServicesProviders/"
            + self.fabric
            + "-dra",
            "primaryFabricFriendlyName": self.fabric,
            "primaryFabricProvider": "InMageRcmFabric" if self.provider == RCM else "VMware",
            "recoveryFabricFriendlyName": "Microsoft Azure",
            "recoveryFabricId": "Microsoft Azure",
            "primaryProtectionContainerFriendlyName": self.container,
            "recoveryProtectionContainerFriendlyName": "Microsoft Azure",
            "protectionState": view.protection_state,
            "protectionStateDescription": description,
            "activeLocation": view.active_location,
            "testFailoverState": self.test_failover.value,
            "testFailoverStateDescription": TEST_FAILOVER_DESCRIPTIONS[self.test_failover],
            "allowedOperations": list(self.allowed),
            "replicationHealth": self.health,
            "failoverHealth": "Normal",
            "healthErrors": health_errors,
            "policyId": ids.policy_id(self.policy),
            "policyFriendlyName": policy_name,
            "lastSuccessfulFailoverTime": clock.iso_at(self.last_failover) if self.last_failover else None,
            "lastSuccessfulTestFailoverTime": clock.iso_at(self.last_test_failover)
            if self.last_test_failover
            else None,
            "currentScenario": {
                "scenarioName": self.scenario,
                "jobId": ids.job_id(self.scenario_job) if self.scenario_job else None,
                "startTime": clock.iso_at(self.scenario_start) if self.scenario_start is not None else None,
            },
            "failoverRecoveryPointId": self.failover_recovery_point or None,
            "recoveryContainerId": "Microsoft Azure",
            "eventCorrelationId": self.name,
            "providerSpecificDetails": self._details(clock, elapsed, ids),
        }
        return {
            "id": item_id,
            "name": self.name,
            "type": "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
            "replicationProtectedItems",
            "location": ids.location,
            "properties": {k: v for k, v in props.items() if v is not None},
        }

    # ------------------------------------------------------------------ provider details

    def _resync_health(self) -> str:
        if self.resync_percent is None:
            return "None"
        return "InProgress" if self.source_running else "NoProgress"

    def _details(self, clock: SimClock, elapsed: float, ids: Any) -> dict[str, Any]:
        if self.towards_vmware:
            return self._rcm_failback(clock, ids) if self.provider == RCM else self._classic_reprotected(ids)
        return self._rcm(clock, elapsed, ids) if self.provider == RCM else self._classic(clock, elapsed, ids)

    def _rcm_failback(self, clock: SimClock, ids: Any) -> dict[str, Any]:
        """``InMageRcmFailbackReplicationDetails``: the Azure VM replicating back to VMware."""
        hb = clock.iso_at(self.agent_heartbeat) if self.agent_heartbeat is not None else None
        return {
            "instanceType": "InMageRcmFailback",
            "internalIdentifier": self.instance_uuid,
            "azureVirtualMachineId": f"{self.target_resource_group_id}/providers/Microsoft.Compute/"
            f"virtualMachines/{self.friendly_name}",
            "multiVmGroupName": self.multi_vm_group or self.friendly_name,
            "reprotectAgentId": self.reprotect_agent_id,
            "reprotectAgentName": self.reprotect_agent_name,
            "osType": self.os_type,
            "logStorageAccountId": self.log_storage_account_id,
            "targetvCenterId": ids.vcenter_id(self.fabric, "vcsa01"),
            "targetDataStoreName": self.datastore_name,
            "targetVmName": self.friendly_name,
            "initialReplicationProgressPercentage": 100,
            "resyncRequired": "false",
            "resyncState": "None",
            "lastUsedPolicyId": ids.policy_id(self.policy),
            "lastUsedPolicyFriendlyName": self.policy,
            "mobilityAgentDetails": {"version": self.agent_version, "lastHeartbeatUtc": hb},
            "protectedDisks": [
                {"diskId": disk_id, "diskName": name, "isOSDisk": "true" if i == 0 else "false"}
                for i, (disk_id, name, _) in enumerate(self.disks)
            ],
        }

    def _classic_reprotected(self, ids: Any) -> dict[str, Any]:
        """``InMageReplicationDetails``: a classic item re-protected from Azure to VMware."""
        details = {
            "instanceType": "InMage",
            "activeSiteType": "Recovery",
            "processServerId": self.process_server_id,
            "masterTargetId": self.reprotect_agent_id,
            "datastores": [self.datastore_name] if self.datastore_name else None,
            "multiVmGroupName": self.multi_vm_group or None,
            "osDetails": {"osType": self.os_type},
            "protectionStage": "Protected",
            "vmId": self.bios_uuid,
        }
        return {k: v for k, v in details.items() if v is not None}

    def _ir_done(self) -> bool:
        return self.phase not in (Phase.ENABLING, Phase.INITIAL_REPLICATION)

    def _rcm(self, clock: SimClock, elapsed: float, ids: Any) -> dict[str, Any]:
        rpo = self.rpo_seconds(elapsed)
        ir = 100 if self._ir_done() else int(self.ir_percent)
        total = sum(d[2] for d in self.disks)
        hb = clock.iso_at(self.agent_heartbeat) if self.agent_heartbeat is not None else None
        details: dict[str, Any] = {
            "instanceType": RCM,
            "internalIdentifier": self.instance_uuid,
            "fabricDiscoveryMachineId": self.discovery_machine_id,
            "discoveryType": "vCenter",
            "processServerId": self.process_server_id,
            "processServerName": self.process_server_name,
            "processorCoreCount": self.cores,
            "allocatedMemoryInMB": float(self.memory_mb),
            "runAsAccountId": "",
            "osType": self.os_type,
            "firmwareType": "UEFI" if self.firmware == "efi" else "BIOS",
            "primaryNicIpAddress": self.ip,
            "targetGeneration": "2" if self.firmware == "efi" else "1",
            "targetVmName": self.target_vm_name or self.friendly_name,
            "targetVmSize": self.target_vm_size or DEFAULT_VM_SIZE,
            "targetResourceGroupId": self.target_resource_group_id,
            "targetLocation": ids.location,
            "targetNetworkId": self.target_network_id,
            "testNetworkId": self.test_network_id or None,
            "licenseType": self.license_type or None,
            "targetAvailabilityZone": self.availability_zone or None,
            "targetAvailabilitySetId": self.availability_set_id or None,
            "vmNics": self._rcm_nics() or None,
            "failoverRecoveryPointId": self.failover_recovery_point or None,
            "lastRecoveryPointReceived": clock.iso_at(self.last_rp) if self.last_rp is not None else None,
            "lastRpoInSeconds": rpo,
            "lastRpoCalculatedTime": clock.iso_at(elapsed) if rpo is not None else None,
            "initialReplicationProgressPercentage": ir,
            "initialReplicationProcessedBytes": int(total * ir / 100),
            "initialReplicationTransferredBytes": int(total * ir / 100 * 0.6),
            "initialReplicationProgressHealth": "NoProgress"
            if self.ir_stalled
            else ("None" if ir == 100 else "InProgress"),
            "resyncProgressPercentage": int(self.resync_percent) if self.resync_percent is not None else None,
            "resyncProgressHealth": self._resync_health(),
            "resyncRequired": "true" if self.resync_required else "false",
            "resyncState": "StartedResynchronization" if self.resync_percent is not None else "None",
            "agentUpgradeState": "None",
            "multiVmGroupName": self.multi_vm_group or None,
            "protectedDisks": [
                {
                    "diskId": disk_id,
                    "diskName": name,
                    "isOSDisk": "true" if i == 0 else "false",
                    "capacityInBytes": cap,
                    "diskState": "Valid",
                    "logStorageAccountId": self.log_storage_account_id,
                    "diskType": "Standard_LRS",
                    "dataPendingInLogDataStoreInMB": round(self.backlog_kb / 1024 / len(self.disks), 2),
                    "dataPendingAtSourceAgentInMB": 0.0,
                    "isInitialReplicationComplete": "true" if ir == 100 else "false",
                }
                for i, (disk_id, name, cap) in enumerate(self.disks)
            ],
            "mobilityAgentDetails": {
                "version": self.agent_version,
                "latestVersion": AGENT_LATEST,
                "latestAgentReleaseDate": "2026-03-10T00:00:00Z",
                "driverVersion": self.agent_version,
                "lastHeartbeatUtc": hb,
                "isUpgradeable": "true" if self.agent_version != AGENT_LATEST else "false",
                "osFamilyName": self.os_type,
            },
            "discoveredVmDetails": {
                "vCenterId": ids.vcenter_id(self.fabric, "vcsa01"),
                "vCenterFqdn": "vcsa01.corp.example",
                "ipAddresses": [self.ip],
                "vmwareToolsStatus": "Running" if self.source_running else "NotRunning",
                "powerStatus": "ON" if self.source_running else "OFF",
                "osName": self.os_type,
                "isDeleted": False,
            },
        }
        return {k: v for k, v in details.items() if v is not None}

    def _rcm_nics(self) -> list[dict[str, Any]]:
        if not self.nic_id:
            return []
        nic: dict[str, Any] = {
            "nicId": self.nic_id,
            "isPrimaryNic": "true",
            "isSelectedForFailover": "true",
            "sourceIPAddress": self.ip,
            "sourceIPAddressType": "Dynamic",
            "targetIPAddressType": "Dynamic",
            "testIPAddressType": "Dynamic",
        }
        if self.target_subnet:
            nic["targetSubnetName"] = self.target_subnet
        if self.test_subnet:
            nic["testSubnetName"] = self.test_subnet
        return [nic]

    def _classic(self, clock: SimClock, elapsed: float, ids: Any) -> dict[str, Any]:
        rpo = self.rpo_seconds(elapsed)
        ir = 100 if self._ir_done() else int(self.ir_percent)
        hb = clock.iso_at(self.agent_heartbeat) if self.agent_heartbeat is not None else None
        stage = "Protected" if ir == 100 else "InitialReplication"
        details: dict[str, Any] = {
            "instanceType": CLASSIC,
            "infrastructureVmId": self.vm_moref,
            "vCenterInfrastructureId": "vcsa01",
            "protectionStage": stage,
            "vmId": self.bios_uuid,
            "vmProtectionState": PHASES[self.phase].protection_state,
            "vmProtectionStateDescription": PHASES[self.phase].description,
            "resyncProgressPercentage": int(self.resync_percent)
            if self.resync_percent is not None
            else (ir if ir < 100 else None),
            "rpoInSeconds": rpo,
            "compressedDataRateInMB": round(self.bandwidth_kbps / 1024 * 0.55, 2),
            "uncompressedDataRateInMB": round(self.bandwidth_kbps / 1024, 2),
            "ipAddress": self.ip,
            "agentVersion": self.agent_version,
            "isAgentUpdateRequired": "true" if self.agent_version != AGENT_LATEST else "false",
            "lastHeartbeat": hb,
            "processServerId": self.process_server_id,
            "processServerName": self.process_server_name,
            "multiVmSyncStatus": "Enabled" if self.multi_vm_group else "Disabled",
            "multiVmGroupName": self.multi_vm_group or None,
            "protectedDisks": [
                {
                    "diskId": disk_id,
                    "diskName": name,
                    "protectionStage": stage,
                    "rpoInSeconds": rpo,
                    "resyncRequired": "true" if self.resync_required else "false",
                    "resyncProgressPercentage": int(self.resync_percent)
                    if self.resync_percent is not None
                    else 0,
                    "diskCapacityInBytes": cap,
                    "psDataInMegaBytes": round(self.backlog_kb / 1024 / len(self.disks), 2),
                    "sourceDataInMegaBytes": 0.0,
                    "targetDataInMegaBytes": 0.0,
                    "diskResized": "false",
                }
                for disk_id, name, cap in self.disks
            ],
            "masterTargetId": f"{self.fabric}-mt",
            "sourceVmCpuCount": self.cores,
            "sourceVmRamSizeInMB": self.memory_mb,
            "osType": self.os_type,
            "recoveryAzureVMName": self.friendly_name,
            "recoveryAzureVMSize": "Standard_D4s_v3",
            "recoveryAzureLogStorageAccountId": self.log_storage_account_id,
            "selectedRecoveryAzureNetworkId": self.target_network_id,
            "selectedTfoAzureNetworkId": self.test_network_id or None,
            "recoveryAzureResourceGroupId": self.target_resource_group_id,
            "useManagedDisks": "true",
            "lastRpoCalculatedTime": clock.iso_at(elapsed) if rpo is not None else None,
            "lastUpdateReceivedTime": hb,
            "lastRecoveryPointReceived": clock.iso_at(self.last_rp) if self.last_rp is not None else None,
            "firmwareType": "UEFI" if self.firmware == "efi" else "BIOS",
            "azureVmGeneration": "V2" if self.firmware == "efi" else "V1",
            "validationErrors": [],
        }
        return {k: v for k, v in details.items() if v is not None}


def disks_of(vm: VirtualMachine) -> tuple[tuple[str, str, int], ...]:
    return tuple((f"6000C29{vm.bios_uuid[:8]}{d.key}", d.label, d.capacity_bytes) for d in vm.disks)


def recovery_points(
    item: SimItem, elapsed: float, app_minutes: int, retention_minutes: int
) -> list[tuple[float, str]]:
    """(elapsed seconds, type) of the points ASR would list: the last hour's crash-consistent points every
    5 minutes and app-consistent points across retention, newest first, at most 72."""
    if item.last_rp is None:
        return []
    points: dict[float, str] = {}
    latest = item.last_rp - item.last_rp % 300
    start = max(item.created, elapsed - retention_minutes * 60)
    for i in range(12):
        t = latest - i * 300
        if t >= start:
            points[t] = "CrashConsistent"
    if app_minutes and item.last_app_rp is not None:
        step = app_minutes * 60
        t = item.last_app_rp
        while t >= start and len(points) < 72:
            points[t] = "AppConsistent"
            t -= step
    return sorted(((t, kind) for t, kind in points.items()), reverse=True)
