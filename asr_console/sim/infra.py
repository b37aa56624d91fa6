"""Fabrics (appliance or configuration server), process servers, policies and mappings of the site."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from asr_console.sim.clock import SimClock
from asr_console.sim.components import KINDS, SimComponent
from asr_console.sim.ids import ArmScope
from asr_console.sim.items import CLASSIC, RCM
from asr_console.sim.jsonutil import iso

GIB = 1024**3
DAY = 86400.0
PS_CERT_DAYS = 700  # a process server's certificate, issued with it, lasts years; the CS's is the planted one
CS_CERT_DAYS = 12  # the demo's configuration server: its certificate runs out within the doctor's 30 days


@dataclass(slots=True)
class SimProcessServer:
    id: str
    name: str
    ip: str
    heartbeat: float = 0.0
    down_until: float = -1.0
    load_kbps: float = 0.0
    items: int = 0
    errors: dict[str, float] = field(default_factory=dict)

    def up(self, elapsed: float) -> bool:
        return elapsed >= self.down_until

    def percentages(self) -> tuple[float, float, float]:
        """CPU, memory and free-space percentages that follow the replication load it carries."""
        mbps = self.load_kbps / 1024
        cpu = min(99.0, 8 + mbps * 0.25 + self.items * 0.05)
        memory = min(97.0, 30 + mbps * 0.15 + self.items * 0.04)
        free = max(3.0, 70 - mbps * 0.1)
        return round(cpu, 1), round(memory, 1), round(free, 1)

    def health(self, elapsed: float) -> str:
        cpu, memory, free = self.percentages()
        if not self.up(elapsed) or free < 10 or cpu > 95:
            return "Critical"
        if cpu > 80 or memory > 85 or free < 20:
            return "Warning"
        return "Normal"


@dataclass(slots=True)
class SimFabric:
    name: str
    provider: str  # RCM or CLASSIC
    friendly_name: str
    container: str
    process_servers: list[SimProcessServer]
    vcenter: str = "vcsa01"
    heartbeat: float = 0.0
    version: str = ""
    datastores: tuple[str, ...] = ()  # the vCenter's datastores: where a re-protect can write
    components: list[SimComponent] = field(default_factory=list)  # appliance (InMageRcm) only
    cert_expiry: float | None = None  # configuration server: elapsed seconds when its SSL certificate expires

    @property
    def reprotect_agent_id(self) -> str:
        """The appliance's reprotect agent (modernized) or the master target (classic)."""
        if self.provider != RCM:
            return f"{self.name}-mt"
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.name}/reprotect-agent"))

    @property
    def reprotect_agent_name(self) -> str:
        return f"{self.friendly_name}-reprotect" if self.provider == RCM else f"{self.friendly_name}-mt"

    @property
    def retention_volumes(self) -> tuple[str, ...]:
        return ("E:", "F:")

    def _reprotect_agent(self, clock: SimClock) -> dict[str, Any]:
        """``ReprotectAgentDetails``: the appliance agent that writes failed-back disks to VMware."""
        return {
            "id": self.reprotect_agent_id,
            "name": self.reprotect_agent_name,
            "biosId": self.reprotect_agent_id[-12:],
            "fabricObjectId": self.reprotect_agent_id,
            "fqdn": f"{self.reprotect_agent_name}.corp.example",
            "version": self.version,
            "lastHeartbeatUtc": iso(clock.at(self.heartbeat)),
            "health": "Normal",
            "healthErrors": [],
            "protectedItemCount": 0,
            "accessibleDatastores": list(self.datastores),
            "vcenterId": self.vcenter,
        }

    def to_arm(self, clock: SimClock, elapsed: float, scope: ArmScope, catalog: Any) -> dict[str, Any]:
        ps_errors = [
            catalog("806", clock.at(since), ps.id, ps=ps.name)
            for ps in self.process_servers
            for code, since in ps.errors.items()
            if code == "806"
        ]
        worst = "Normal"
        for ps in self.process_servers:
            h = ps.health(elapsed)
            if h == "Critical" or (h == "Warning" and worst == "Normal"):
                worst = h
        details = (
            self._rcm(clock, elapsed, scope, catalog)
            if self.provider == RCM
            else self._classic(clock, elapsed)
        )
        return {
            "id": scope.fabric_id(self.name),
            "name": self.name,
            "type": "Microsoft.RecoveryServices/vaults/replicationFabrics",
            "location": scope.location,
            "properties": {
                "friendlyName": self.friendly_name,
                "internalIdentifier": self.name,
                "bcdrState": "Valid",
                "customDetails": details,
                "healthErrorDetails": ps_errors,
                "health": worst,
            },
        }

    @property
    def site_name(self) -> str:
        return f"{self.name}-site"

    def site_id(self, scope: ArmScope) -> str:
        """The Azure Migrate VMware site the appliance discovers into."""
        return scope.discovery_machine_id(self.site_name, "").rsplit("/machines/", 1)[0]

    def _rcm(self, clock: SimClock, elapsed: float, scope: ArmScope, catalog: Any) -> dict[str, Any]:
        servers: list[dict[str, Any]] = []
        for ps in self.process_servers:
            cpu, memory, free = ps.percentages()
            total_mem = 32 * GIB
            total_space = 620 * GIB
            status = "Healthy" if ps.up(elapsed) else "Critical"
            servers.append(
                {
                    "id": ps.id,
                    "name": ps.name,
                    "biosId": ps.id[-12:],
                    "fabricObjectId": ps.id,
                    "fqdn": f"{ps.name}.corp.example",
                    "ipAddresses": [ps.ip],
                    "version": self.version,
                    "lastHeartbeatUtc": iso(clock.at(ps.heartbeat)),
                    "totalMemoryInBytes": total_mem,
                    "availableMemoryInBytes": int(total_mem * (1 - memory / 100)),
                    "usedMemoryInBytes": int(total_mem * memory / 100),
                    "memoryUsagePercentage": memory,
                    "totalSpaceInBytes": total_space,
                    "availableSpaceInBytes": int(total_space * free / 100),
                    "usedSpaceInBytes": int(total_space * (1 - free / 100)),
                    "freeSpacePercentage": free,
                    "throughputUploadPendingDataInBytes": int(ps.load_kbps * 1024 * 30),
                    "throughputInBytes": int(ps.load_kbps * 1024),
                    "processorUsagePercentage": cpu,
                    "throughputStatus": status,
                    "systemLoad": ps.items,
                    "systemLoadStatus": status,
                    "diskUsageStatus": "Healthy" if free >= 20 else "Warning",
                    "memoryUsageStatus": "Healthy" if memory <= 85 else "Warning",
                    "processorUsageStatus": "Healthy" if cpu <= 80 else "Warning",
                    "health": ps.health(elapsed),
                    "healthErrors": [],
                    "protectedItemCount": ps.items,
                    "historicHealth": ps.health(elapsed),
                }
            )
        listed: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
        for c in self.components:
            listed[c.kind].append(c.to_arm(clock, self.heartbeat, catalog))
        return {
            "instanceType": "InMageRcm",
            "vmwareSiteId": self.site_id(scope),
            "serviceEndpoint": "https://weu1-rcm.hypervrecoverymanager.windowsazure.com",
            "processServers": servers,
            **listed,
            "reprotectAgents": [self._reprotect_agent(clock)],
            "agentDetails": [],
        }

    def _classic(self, clock: SimClock, elapsed: float) -> dict[str, Any]:
        servers: list[dict[str, Any]] = []
        for ps in self.process_servers:
            cpu, memory, free = ps.percentages()
            total_mem = 16 * GIB
            total_space = 600 * GIB
            servers.append(
                {
                    "friendlyName": ps.name,
                    "id": ps.id,
                    "ipAddress": ps.ip,
                    "osType": "Windows",
                    "agentVersion": self.version,
                    "lastHeartbeat": iso(clock.at(ps.heartbeat)),
                    "versionStatus": "Supported",
                    "machineCount": str(ps.items),
                    "replicationPairCount": str(ps.items),
                    "systemLoad": str(ps.items),
                    "systemLoadStatus": "Healthy" if ps.up(elapsed) else "Critical",
                    "cpuLoad": str(cpu),
                    "cpuLoadStatus": "Healthy" if cpu <= 80 else "Warning",
                    "totalMemoryInBytes": total_mem,
                    "availableMemoryInBytes": int(total_mem * (1 - memory / 100)),
                    "memoryUsageStatus": "Healthy" if memory <= 85 else "Warning",
                    "totalSpaceInBytes": total_space,
                    "availableSpaceInBytes": int(total_space * free / 100),
                    "spaceUsageStatus": "Healthy" if free >= 20 else "Warning",
                    "psServiceStatus": "Running" if ps.up(elapsed) else "Stopped",
                    "healthErrors": [],
                    "health": ps.health(elapsed),
                    "throughputInBytes": int(ps.load_kbps * 1024),
                    "throughputInMBps": int(ps.load_kbps / 1024),
                    "throughputStatus": "Healthy" if ps.up(elapsed) else "Critical",
                    **self._certificate(clock, elapsed, PS_CERT_DAYS * DAY),
                }
            )
        cs = self.process_servers[0]
        return {
            "instanceType": "VMware",
            "processServers": servers,
            "masterTargetServers": [
                {
                    "id": self.reprotect_agent_id,
                    "name": f"{self.friendly_name}",
                    "retentionVolumes": [
                        {"volumeName": v, "capacityInBytes": 500 * GIB, "freeSpaceInBytes": 400 * GIB}
                        for v in self.retention_volumes
                    ],
                    "dataStores": [{"symbolicName": d, "type": "VMFS"} for d in self.datastores],
                    "ipAddress": cs.ip,
                    "osType": "Windows",
                    "lastHeartbeat": iso(clock.at(self.heartbeat)),
                    "versionStatus": "Supported",
                }
            ],
            "runAsAccounts": [{"accountId": "1", "accountName": "vcenter-discovery"}],
            "replicationPairCount": str(sum(p.items for p in self.process_servers)),
            "processServerCount": str(len(self.process_servers)),
            "agentCount": str(sum(p.items for p in self.process_servers)),
            "protectedServers": str(sum(p.items for p in self.process_servers)),
            "ipAddress": cs.ip,
            "agentVersion": self.version,
            "hostName": f"{self.friendly_name}.corp.example",
            "lastHeartbeat": iso(clock.at(self.heartbeat)),
            "versionStatus": "Deprecated",
            "csServiceStatus": "Running",
            **(self._certificate(clock, elapsed, self.cert_expiry) if self.cert_expiry is not None else {}),
        }

    @staticmethod
    def _certificate(clock: SimClock, elapsed: float, expiry: float) -> dict[str, Any]:
        """``sslCertExpiryDate`` and the whole days left, as classic servers report their certificate."""
        return {
            "sslCertExpiryDate": iso(clock.at(expiry)),
            "sslCertExpiryRemainingDays": max(0, int((expiry - elapsed) // DAY)),
        }


@dataclass(slots=True)
class SimPolicy:
    name: str
    provider: str
    retention_minutes: int
    app_minutes: int
    crash_minutes: int = 5
    rpo_threshold_minutes: int = 60
    multi_vm: bool = False

    def to_arm(self, scope: ArmScope) -> dict[str, Any]:
        if self.provider == RCM:
            details: dict[str, Any] = {
                "instanceType": RCM,
                "recoveryPointHistoryInMinutes": self.retention_minutes,
                "appConsistentFrequencyInMinutes": self.app_minutes,
                "crashConsistentFrequencyInMinutes": self.crash_minutes,
                "enableMultiVmSync": "true" if self.multi_vm else "false",
            }
        else:
            details = {
                "instanceType": CLASSIC,
                "crashConsistentFrequencyInMinutes": self.crash_minutes,
                "recoveryPointThresholdInMinutes": self.rpo_threshold_minutes,
                "recoveryPointHistory": self.retention_minutes,
                "appConsistentFrequencyInMinutes": self.app_minutes,
                "multiVmSyncStatus": "Enabled" if self.multi_vm else "Disabled",
            }
        return {
            "id": scope.policy_id(self.name),
            "name": self.name,
            "type": "Microsoft.RecoveryServices/vaults/replicationPolicies",
            "location": scope.location,
            "properties": {"friendlyName": self.name, "providerSpecificDetails": details},
        }

    @property
    def threshold_seconds(self) -> int:
        return (self.rpo_threshold_minutes if self.provider == CLASSIC else 60) * 60


@dataclass(slots=True)
class SimMapping:
    name: str
    fabric: str
    container: str
    policy: str
    provider: str
    state: str = "Paired"
    agent_auto_upgrade: bool = True  # InMageRcm: ASR keeps the Mobility agents up to date

    def to_arm(self, scope: ArmScope) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "targetProtectionContainerId": "Microsoft Azure",
            "targetProtectionContainerFriendlyName": "Microsoft Azure",
            "health": "Normal",
            "healthErrorDetails": [],
            "policyId": scope.policy_id(self.policy),
            "state": self.state,
            "sourceProtectionContainerFriendlyName": self.container,
            "sourceFabricFriendlyName": self.fabric,
            "targetFabricFriendlyName": "Microsoft Azure",
            "policyFriendlyName": self.policy,
        }
        # the API defines mapping details for InMageRcm only; classic mappings carry none
        if self.provider == "InMageRcm":
            properties["providerSpecificDetails"] = {
                "instanceType": "InMageRcm",
                "enableAgentAutoUpgrade": "true" if self.agent_auto_upgrade else "false",
            }
        return {
            "id": scope.mapping_id(self.fabric, self.container, self.name),
            "name": self.name,
            "type": "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
            "replicationProtectionContainerMappings",
            "location": scope.location,
            "properties": properties,
        }
