"""Health errors admins meet on VMware→Azure replication, with ASR's codes, causes and actions.

Texts paraphrase Microsoft's troubleshooting articles; the codes are the ones ASR reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asr_console.sim.jsonutil import iso


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    code: str
    message: str
    possible_causes: str
    recommended_action: str
    level: str = "Error"  # Error or Warning
    category: str = "Replication"
    source: str = "ReplicationProtectedItem"


CATALOG: dict[str, CatalogEntry] = {
    e.code: e
    for e in (
        CatalogEntry(
            "78169",
            "Initial replication for the virtual machine {vm} is not progressing.",
            "The process server cannot reach the source machine on port 9443, or the source disks are "
            "being read slower than they change.",
            "Check connectivity from the source machine to the process server on port 9443 and the "
            "process server's load; then repair replication if it does not resume.",
        ),
        CatalogEntry(
            "78188",
            "Data change rate on the virtual machine {vm} is beyond the supported limits.",
            "The churn on one or more disks exceeds what the target disk type can absorb (2–20 MB/s per "
            "disk, 54 MB/s per VM).",
            "Move the busy disks to Premium managed disks, or exclude temporary/paging disks from "
            "replication. Use the Deployment Planner to size bandwidth.",
            level="Warning",
        ),
        CatalogEntry(
            "78174",
            "No heartbeat from the Mobility service on {vm}.",
            "The source machine is off, the Mobility service stopped, or it cannot reach the "
            "configuration server / replication appliance on port 443.",
            "Make sure the VM is running and the InMage Scout Application Service (svagents) is started; "
            "check connectivity to the appliance on 443.",
        ),
        CatalogEntry(
            "806",
            "No heartbeat from the process server {ps}.",
            "The process server is down, overloaded, or lost connectivity to Azure.",
            "Check that the process server's services (cxprocessserver, InMage PushInstall, Microsoft "
            "Azure Recovery Services Agent) are running and that it can reach Azure on 443.",
            category="ProcessServer",
            source="ProcessServer",
        ),
        CatalogEntry(
            "78022",
            "The master target server is unreachable.",
            "The master target's services are stopped or its disk is full.",
            "Restart the master target services and free space on its retention drive.",
            category="MasterTarget",
        ),
        CatalogEntry(
            "78144",
            "No app-consistent recovery point was generated for {vm} in the last {minutes} minutes.",
            "VSS (Windows) or the pre-script (Linux) failed, or the VM is under heavy I/O.",
            "Check the VSS writers on the VM (vssadmin list writers) and the Mobility service logs; "
            "raise the app-consistent interval if the workload cannot quiesce that often.",
            level="Warning",
        ),
        CatalogEntry(
            "95001",
            "Push installation of the Mobility service on {vm} failed: insufficient privileges.",
            "The account given for push installation is not an administrator (Windows) or root (Linux), "
            "or a local account lacks LocalAccountTokenFilterPolicy=1.",
            "Give an account with administrator/root rights, allow File and Printer Sharing and WMI, "
            "then retry enable replication.",
            category="AgentInstall",
        ),
        # ASR does not publish codes for the next three conditions; the simulator numbers them itself
        CatalogEntry(
            "78511",
            "Resynchronization is required for {vm}: the source and target disks are out of step.",
            "Replication stopped for a long time (the machine was off, the Mobility service stopped or "
            "lost connectivity), so changes may have been missed.",
            "Make sure the machine is running and the Mobility service has a heartbeat, then resynchronize "
            "replication.",
            level="Warning",
        ),
        CatalogEntry(
            "78512",
            "Resynchronization of {vm} failed: the source machine is not running.",
            "The source virtual machine is powered off or was removed from vCenter, so the Mobility service "
            "cannot read its disks.",
            "Power on the virtual machine, wait for the Mobility service heartbeat, then resynchronize "
            "replication again.",
        ),
        CatalogEntry(
            "78513",
            "The RPO of {vm} is beyond the policy's threshold of {minutes} minutes.",
            "Data changes faster than the network or the process server can carry, or replication paused.",
            "Check the process server's health and bandwidth to Azure, and the churn on the machine's disks.",
            level="Warning",
        ),
        # appliance components: ASR does not publish these codes either; the simulator numbers them
        CatalogEntry(
            "78703",
            "The push installer on the appliance {appliance} has not sent a heartbeat recently.",
            "The Microsoft Azure Site Recovery push installation service is stopped on the appliance, or "
            "the appliance lost its connection to Azure on port 443.",
            "Start the push installation service on the appliance (Services: InMage "
            "PushInstall) and check its outbound 443 to Azure; until then new agent installs fail.",
            level="Warning",
            category="ApplianceComponent",
            source="PushInstaller",
        ),
        CatalogEntry(
            "78704",
            "The Microsoft Azure Recovery Services agent on the appliance {appliance} cannot reach "
            "the vault.",
            "The agent's vault registration expired or its service stopped, so replication data cannot be "
            "uploaded.",
            "Restart the Microsoft Azure Recovery Services agent (obengine) on the appliance; if it "
            "stays critical, re-register the appliance with a fresh vault key from the portal.",
            category="ApplianceComponent",
            source="MarsAgent",
        ),
        CatalogEntry(
            "78253",
            "The replication policy {policy} is invalid for {vm}.",
            "The policy was changed to values the item cannot use.",
            "Associate a valid policy with the configuration server or appliance.",
        ),
    )
}


def health_error(code: str, at: datetime, entity_id: str, **params: Any) -> dict[str, Any]:
    """One ``HealthError`` in wire JSON."""
    entry = CATALOG[code]
    message = entry.message.format_map(_Defaults(params))
    return {
        "errorCode": entry.code,
        "errorMessage": message,
        "summaryMessage": message,
        "possibleCauses": entry.possible_causes,
        "recommendedAction": entry.recommended_action,
        "errorLevel": entry.level,
        "errorCategory": entry.category,
        "errorSource": entry.source,
        "errorType": entry.category,
        "creationTimeUtc": iso(at),
        "entityId": entity_id,
        "customerResolvability": "Allowed",
        "innerHealthErrors": [],
    }


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"
