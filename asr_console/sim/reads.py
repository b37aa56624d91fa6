"""The simulated site's reads: ARM wire JSON, what the ARM face serves and the SDK models deserialize.

Every read first applies the simulated time that has passed (``step``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from asr_console.sim.errors import not_found
from asr_console.sim.health_catalog import CATALOG, health_error
from asr_console.sim.infra import SimFabric
from asr_console.sim.items import CLASSIC, RCM, disks_of, recovery_points
from asr_console.sim.jsonutil import iso
from asr_console.sim.site_state import CONTAINER_TYPE, SiteState


class ArmReads:
    """The site's state as ARM serves it; ``step`` first applies the simulated time that has passed."""

    def __init__(self, state: SiteState, step: Callable[[], None]) -> None:
        self.state = state
        self.step = step

    def vault_health(self) -> dict[str, Any]:
        self.step()
        counts = {"Normal": 0, "Warning": 0, "Critical": 0}
        issues: dict[str, list[str]] = {}
        for item in self.state.items.values():
            counts[item.health] = counts.get(item.health, 0) + 1
            for code in item.errors:
                issues.setdefault(code, []).append(item.name)
        fabric_counts = {"Normal": 0, "Warning": 0, "Critical": 0}
        for fabric in self.state.fabrics.values():
            worst = "Normal"
            for ps in fabric.process_servers:
                h = ps.health(self.state.elapsed)
                if h == "Critical" or (h == "Warning" and worst == "Normal"):
                    worst = h
            fabric_counts[worst] += 1
        return {
            "id": f"{self.state.scope.vault_id}/replicationVaultHealth/default",
            "name": "default",
            "location": self.state.scope.location,
            "type": "Microsoft.RecoveryServices/vaults/replicationVaultHealth",
            "properties": {
                "vaultErrors": [],
                "protectedItemsHealth": {
                    "resourceCount": len(self.state.items),
                    "issues": [
                        {
                            "severity": CATALOG[code].level,
                            "summaryCode": code,
                            "summaryMessage": CATALOG[code].message.split(" on ")[0].split(" for ")[0],
                            "category": CATALOG[code].category,
                            "affectedResourceType": "replicationProtectedItems",
                            "affectedResourceSubtype": "",
                            "affectedResourceCorrelationIds": names,
                        }
                        for code, names in sorted(issues.items())
                    ],
                    "categorizedResourceCounts": counts,
                },
                "fabricsHealth": {
                    "resourceCount": len(self.state.fabrics),
                    "issues": [],
                    "categorizedResourceCounts": fabric_counts,
                },
                "containersHealth": {"resourceCount": len(self.state.fabrics), "issues": []},
            },
        }

    def list_fabrics(self) -> list[dict[str, Any]]:
        self.step()
        return [self._fabric(f) for f in self.state.fabrics.values()]

    def get_fabric(self, name: str) -> dict[str, Any]:
        self.step()
        return self._fabric(self.state.fabric(name))

    def _fabric(self, f: SimFabric) -> dict[str, Any]:
        out = f.to_arm(self.state.clock, self.state.elapsed, self.state.scope, health_error)
        if f.provider == RCM:
            out["properties"]["customDetails"]["agentDetails"] = self._agent_details(f)
        return out

    def _agent_details(self, f: SimFabric) -> list[dict[str, Any]]:
        """``AgentDetails``: the Mobility agents registered with the appliance, one per VM that has one,
        replicating or not (how a modernized vault tells which discovered machines have an agent). Their
        optional disk lists are left out: thousands of agents would make every fabric read megabytes."""
        agents = self.state.mobility_agents()
        return [
            {
                "agentId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{f.name}/agent/{vm.instance_uuid}")),
                "machineId": vm.instance_uuid,
                "biosId": vm.bios_uuid,
                "fqdn": f"{vm.name}.corp.example",
            }
            for vm in self.state.estate.vms.values()
            if vm.moref in agents
        ]

    def list_vcenters(self, fabric: str | None = None) -> list[dict[str, Any]]:
        self.step()
        out = []
        for f in self.state.fabrics.values():
            if fabric is not None and f.name != fabric:
                continue
            out.append(
                {
                    "id": self.state.scope.vcenter_id(f.name, f.vcenter),
                    "name": f.vcenter,
                    "type": "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationvCenters",
                    "location": self.state.scope.location,
                    "properties": {
                        "friendlyName": f.vcenter,
                        "internalId": f"{f.name}-{f.vcenter}",
                        "lastHeartbeat": iso(self.state.clock.at(f.heartbeat)),
                        "discoveryStatus": "Connected",
                        "processServerId": f.process_servers[0].id,
                        "ipAddress": "10.0.0.10",
                        "infrastructureId": f.vcenter,
                        "port": "443",
                        "runAsAccountId": "1",
                        "fabricArmResourceName": f.name,
                        "healthErrors": [],
                    },
                }
            )
        return out

    def list_containers(self, fabric: str | None = None) -> list[dict[str, Any]]:
        self.step()
        out = []
        for f in self.state.fabrics.values():
            if fabric is not None and f.name != fabric:
                continue
            out.append(
                {
                    "id": self.state.scope.container_id(f.name, f.container),
                    "name": f.container,
                    "type": CONTAINER_TYPE,
                    "location": self.state.scope.location,
                    "properties": {
                        "fabricFriendlyName": f.friendly_name,
                        "friendlyName": f.container,
                        "fabricType": "InMageRcm" if f.provider == RCM else "VMware",
                        "protectedItemCount": sum(1 for i in self.state.items.values() if i.fabric == f.name),
                        "pairingStatus": "Paired",
                        "role": "Primary",
                    },
                }
            )
        return out

    def list_mappings(self, fabric: str | None = None, container: str | None = None) -> list[dict[str, Any]]:
        self.step()
        return [
            m.to_arm(self.state.scope)
            for m in self.state.mappings.values()
            if (fabric is None or m.fabric == fabric) and (container is None or m.container == container)
        ]

    def get_mapping(self, fabric: str, container: str, name: str) -> dict[str, Any]:
        self.step()
        mapping = self.state.mappings.get(name)
        if mapping is None or mapping.fabric != fabric or mapping.container != container:
            raise not_found("Protection container mapping", name)
        return mapping.to_arm(self.state.scope)

    def list_policies(self) -> list[dict[str, Any]]:
        self.step()
        return [p.to_arm(self.state.scope) for p in self.state.policies.values()]

    def get_policy(self, name: str) -> dict[str, Any]:
        self.step()
        return self.state.policy(name).to_arm(self.state.scope)

    def site_machines(self, site: str) -> list[Callable[[], dict[str, Any]]]:
        """The machines an appliance discovered into its Azure Migrate VMware site (Microsoft.OffAzure,
        ``GET {vmwareSiteId}/machines``), each rendered when its page is asked for."""
        self.step()
        fabric = next(
            (
                f
                for f in self.state.fabrics.values()
                if f.provider == RCM and f.site_name.lower() == site.lower()
            ),
            None,
        )
        if fabric is None:
            raise not_found("VMware site", site)
        return [functools.partial(self._render_machine, fabric, vm) for vm in self.state.estate.vms.values()]

    def _render_machine(self, f: SimFabric, vm: Any) -> dict[str, Any]:
        name = self.state.protectable_name(f, vm.instance_uuid)  # opaque: never the VM's name
        extra = self.state.estate.extra[vm.moref]
        return {
            "id": f"{f.site_id(self.state.scope)}/machines/{name}",
            "name": name,
            "type": "Microsoft.OffAzure/VMwareSites/machines",
            "properties": {
                "displayName": vm.name,
                "instanceUuid": vm.instance_uuid,
                "biosGuid": vm.bios_uuid,
                "powerStatus": "ON" if vm.power_state == "poweredOn" else "OFF",
                "vCenterFQDN": f"{f.vcenter}.corp.example",
                "hostName": vm.nics[0].ips[0] if vm.nics and vm.nics[0].ips else "",
                "numberOfProcessorCore": vm.num_cpu,
                "allocatedMemoryInMB": vm.memory_mb,
                "firmware": vm.firmware.upper(),
                "disks": [
                    {"uuid": uuid, "label": label, "maxSizeInBytes": size, "lun": lun}
                    for lun, (uuid, label, size) in enumerate(disks_of(vm))
                ],
                "networkAdapters": [
                    {"macAddress": nic.mac, "ipAddressList": list(nic.ips), "networkName": nic.network}
                    for nic in vm.nics
                ],
                "operatingSystemDetails": {"osType": extra.os_type, "osName": vm.guest_full_name},
            },
        }

    def list_protectable_items(self, fabric: str, container: str) -> list[dict[str, Any]]:
        return [render() for render in self.protectable_snapshot(fabric, container)]

    def protectable_snapshot(self, fabric: str, container: str) -> list[Callable[[], dict[str, Any]]]:
        """The container's protectable items as they are now, each rendered only when its page is asked
        for: a large estate lists tens of thousands, and rendering them all up front held every page's
        JSON in memory at once."""
        return self._protectables(fabric, container, None)

    def get_protectable_item(self, fabric: str, container: str, name: str) -> dict[str, Any]:
        for render in self._protectables(fabric, container, name):
            return render()
        raise not_found("Protectable item", name)

    def _protectables(
        self, fabric: str, container: str, name: str | None
    ) -> list[Callable[[], dict[str, Any]]]:
        self.step()
        f = self.state.fabric(fabric)
        if f.container != container:
            raise not_found("Protection container", container)
        if f.provider == RCM and self.state.modernized_discovery:
            # a modernized vault lists none: its machines come from the Azure Migrate site (site_machines)
            return []
        # a VM replicated through either stack is protected, whichever container lists it
        by_vm = {i.vm_moref: i for i in self.state.items.values()}
        agents = self.state.mobility_agents()
        out: list[Callable[[], dict[str, Any]]] = []
        for vm in self.state.estate.vms.values():
            if name is not None and self.state.protectable_name(f, vm.instance_uuid).lower() != name.lower():
                continue
            item = by_vm.get(vm.moref)
            protected = (
                self.state.scope.item_id(item.fabric, item.container, item.name) if item is not None else None
            )
            out.append(
                functools.partial(
                    self._render_protectable,
                    f,  # its names and provider never change
                    vm,  # a frozen record: the estate replaces it on change
                    self.state.estate.extra[vm.moref].os_type,
                    protected,
                    agents.get(vm.moref, ""),
                )
            )
        return out

    def _render_protectable(
        self, f: SimFabric, vm: Any, os_type: str, protected: str | None, agent: str
    ) -> dict[str, Any]:
        name = self.state.protectable_name(f, vm.instance_uuid)
        fabric = f.name
        return {
            "id": self.state.scope.protectable_id(fabric, f.container, name),
            "name": name,
            "type": CONTAINER_TYPE + "/replicationProtectableItems",
            "location": self.state.scope.location,
            "properties": {
                "friendlyName": vm.name,
                "protectionStatus": "Protected" if protected else "Unprotected",
                "replicationProtectedItemId": protected,
                "recoveryServicesProviderId": f"{self.state.scope.fabric_id(fabric)}/"
                f"replicationRecoveryServicesProviders/{fabric}-dra",
                "protectionReadinessErrors": [],
                "supportedReplicationProviders": [f.provider],
                "customDetails": {
                    "instanceType": "VMwareVirtualMachine",
                    "agentGeneratedId": vm.bios_uuid,
                    "agentInstalled": "true" if agent else "false",
                    "osType": os_type,
                    "agentVersion": agent,
                    "ipAddress": vm.nics[0].ips[0] if vm.nics and vm.nics[0].ips else "",
                    "poweredOn": "true" if vm.power_state == "poweredOn" else "false",
                    "vCenterInfrastructureId": f.vcenter,
                    "discoveryType": "vCenter",
                    "diskDetails": [
                        {
                            "maxSizeMB": d.capacity_bytes // 1024**2,
                            "vhdType": "Fixed" if not d.thin else "Dynamic",
                            "vhdId": f"{vm.bios_uuid[:8]}-{d.key}",
                            "vhdName": d.label,
                        }
                        for d in vm.disks
                    ],
                    "validationErrors": [],
                },
            },
        }

    def list_protected_items(
        self, fabric: str | None = None, container: str | None = None
    ) -> list[dict[str, Any]]:
        return [render() for render in self.protected_item_snapshot(fabric, container)]

    def protected_item_snapshot(
        self, fabric: str | None = None, container: str | None = None
    ) -> list[Callable[[], dict[str, Any]]]:
        """The items listed now, each rendered when its page is asked for.

        As ARM's paging does, a listing fixes which items it returns and in what order, not their
        state: a later page shows its items as they are when it is served. The first page is answered
        without rendering every page after it (rendering 5,000 items takes over 0.1 s).
        """
        self.step()
        out: list[Callable[[], dict[str, Any]]] = []
        for item in self.state.items.values():
            if fabric is not None and item.fabric != fabric:
                continue
            if container is None or item.container == container:
                out.append(functools.partial(self.state.render, item))
        return out

    def get_protected_item(self, fabric: str, container: str, name: str) -> dict[str, Any]:
        self.step()
        return self.state.render(self.state.item(fabric, container, name))

    def list_recovery_points(self, fabric: str, container: str, name: str) -> list[dict[str, Any]]:
        self.step()
        item = self.state.item(fabric, container, name)
        policy = self.state.policies.get(item.policy)
        app = policy.app_minutes if policy else 60
        retention = policy.retention_minutes if policy else 4320
        item_id = self.state.scope.item_id(fabric, container, name)
        out = []
        app_seen = 0
        for t, kind in recovery_points(item, self.state.elapsed, app, retention):
            rp_name = self.state.rp_name(item, t)
            # multi-VM sync points exist only for items of a multi-VM group, and only some points are
            # synchronised across the group: every third crash-consistent, every other app-consistent
            if kind == "AppConsistent":
                multi = bool(item.multi_vm_group) and app_seen % 2 == 0
                app_seen += 1
            else:
                multi = bool(item.multi_vm_group) and int(t) % 900 == 0
            flag = "true" if multi else "false"
            out.append(
                {
                    "id": f"{item_id}/recoveryPoints/{rp_name}",
                    "name": rp_name,
                    "type": CONTAINER_TYPE + "/replicationProtectedItems/recoveryPoints",
                    "location": self.state.scope.location,
                    "properties": {
                        "recoveryPointTime": iso(self.state.clock.at(t)),
                        "recoveryPointType": kind,
                        "providerSpecificDetails": {"instanceType": item.provider, "isMultiVmSyncPoint": flag}
                        if item.provider == RCM
                        else {"instanceType": CLASSIC, "isMultiVmSyncPoint": flag, "type": kind},
                    },
                }
            )
        return out

    def list_jobs(self, since: datetime | None = None, state: str | None = None) -> list[dict[str, Any]]:
        self.step()
        out = []
        # newest first, as ASR lists them
        for job in reversed(list(self.state.jobs.values())):
            if since is not None and self.state.clock.at(job.start) < since:
                continue
            if state is not None and job.state.lower() != state.lower():
                continue
            out.append(job.to_arm(self.state.clock, self.state.scope.job_id(job.name), self.state.elapsed))
        return out

    def get_job(self, name: str) -> dict[str, Any]:
        self.step()
        return self.state.job(name).to_arm(
            self.state.clock, self.state.scope.job_id(name), self.state.elapsed
        )

    def list_recovery_plans(self) -> list[dict[str, Any]]:
        self.step()
        return [self.state.render_plan(name) for name in self.state.plans]

    def get_recovery_plan(self, name: str) -> dict[str, Any]:
        self.step()
        if name not in self.state.plans:
            raise not_found("Recovery plan", name)
        return self.state.render_plan(name)

    def list_events(self, since: datetime | None = None) -> list[dict[str, Any]]:
        self.step()
        if since is None:
            return list(reversed(self.state.events))
        cutoff = iso(since) or ""
        return [e for e in reversed(self.state.events) if e["properties"]["timeOfOccurrence"] > cutoff]

    # ---- LRO bookkeeping for the ARM face

    def operation(self, job_name: str) -> tuple[str, dict[str, Any] | None]:
        """ARM status of the operation a job tracks, and its final body once it has one."""
        self.step()
        job = self.state.job(job_name)
        status = {"Succeeded": "Succeeded", "Failed": "Failed", "Cancelled": "Canceled"}.get(
            job.state, "InProgress"
        )
        body = job.result() if (job.result and status == "Succeeded") else None
        return status, body
