"""The simulated site: one engine for the estate, its ASR vault, the clock, churn and state machines.

Everything is deterministic for a seed and the sequence of clock advances: time is applied in fixed
30-second ticks (``step``), and every random draw comes from the engine's own ``random.Random``.
Reads return ARM wire JSON (what the ARM face serves and the SDK models deserialize); writes take ARM
request bodies, validate them before changing anything (``InvalidInput``) and return the job they start.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from asr_console.model.records import Kind, Provider, Record
from asr_console.model.specs import (
    EnableReplicationSpec,
    FieldError,
    InvalidInput,
    validate_enable,
    validate_policy,
    validate_test_network,
)
from asr_console.sim.clock import SimClock
from asr_console.sim.errors import SimError, not_found
from asr_console.sim.estate import Estate
from asr_console.sim.health_catalog import CATALOG, health_error
from asr_console.sim.ids import ArmScope, seeded_uuid
from asr_console.sim.infra import SimFabric, SimMapping, SimPolicy, SimProcessServer
from asr_console.sim.items import (
    AGENT_LATEST,
    AGENT_VERSIONS,
    CLASSIC,
    RCM,
    SimItem,
    disks_of,
    recovery_points,
)
from asr_console.sim.jobs import SimJob
from asr_console.sim.jsonutil import iso
from asr_console.sim.state_machines import Phase, TestFailover, require
from asr_console.sim.wire_inputs import policy_spec, props

TICK = 30.0  # simulated seconds per step of the model
MAX_TICKS_PER_STEP = 240  # beyond that, ticks get longer rather than more numerous
HEARTBEAT_LIMIT = 15 * 60
CHURN_LIMIT_KBPS = 20 * 1024
PROVIDERS = ("inmagercm", "inmageazurev2", "mixed")
CONTAINER_TYPE = "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers"
REPLICATING = (Phase.PROTECTED, Phase.REPROTECTED)


class SimEngine:
    def __init__(
        self,
        *,
        vms: int = 50,
        protected: int = 20,
        seed: int = 1,
        speed: float = 1.0,
        provider: str = "inmagercm",
        history_jobs: int | None = None,
        clock: SimClock | None = None,
        inventory: Mapping[Kind, Iterable[Record]] | None = None,
    ) -> None:
        if provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}")
        if inventory is not None:
            # the estate is a real vCenter's: protect what it has, at most
            listed = {kind: list(records) for kind, records in inventory.items()}
            inventory = listed
            vms = len(listed.get(Kind.VM, []))
            protected = min(protected, vms)
        if protected > vms:
            raise ValueError("cannot protect more VMs than the estate has")
        self.rng = random.Random(seed)
        self.seed = seed
        self.provider = provider
        self.clock = clock or SimClock(speed=speed)
        self.elapsed = self.clock.elapsed()  # simulated time the model has reached
        self.scope = ArmScope(
            subscription=seeded_uuid(self.rng), resource_group="rg-asr-weu", vault="vault-dr-weu"
        )
        self.estate = Estate(
            random.Random(self.rng.getrandbits(64)), vms, self.clock.at(self.elapsed), inventory=inventory
        )
        self.fabrics: dict[str, SimFabric] = {}
        self.policies: dict[str, SimPolicy] = {}
        self.mappings: dict[str, SimMapping] = {}
        self.items: dict[str, SimItem] = {}
        self.jobs: dict[str, SimJob] = {}
        self.events: list[dict[str, Any]] = []
        self.plans: dict[str, list[str]] = {}
        self._fail_next: dict[str, str] = {}
        self._build(protected, history_jobs if history_jobs is not None else min(200, 2 * protected + 20))

    # ================================================================== time

    @property
    def now(self) -> datetime:
        return self.clock.at(self.elapsed)

    def step(self) -> None:
        """Apply the simulated time that has passed since the last step."""
        target = self.clock.elapsed()
        behind = target - self.elapsed
        if behind <= 0:
            return
        ticks = int(behind // TICK)
        dt = TICK if ticks <= MAX_TICKS_PER_STEP else behind / MAX_TICKS_PER_STEP
        while self.elapsed + dt <= target + 1e-9:
            self._tick(self.elapsed + dt, dt)
        self._advance_jobs(target)
        self.elapsed = max(self.elapsed, target)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.step()

    def run_until(self, predicate: Callable[[], bool], limit: float = 86_400.0, step: float = TICK) -> bool:
        """Advance the clock in ``step``s until ``predicate()`` holds (for tests and scripted demos)."""
        spent = 0.0
        while not predicate():
            if spent >= limit:
                return False
            self.advance(step)
            spent += step
        return True

    def adopt_inventory(self, inventory: Mapping[Kind, Iterable[Record]]) -> tuple[int, int]:
        """Discovery: the estate becomes what the vCenter holds (every record given, nothing else).

        New VMs become protectable; a protected VM that went keeps its item, which stops hearing from
        the VM (no heartbeat, 78174) as in ASR. Returns (VMs that appeared, VMs that went).
        """
        self.step()
        return self.estate.adopt(inventory, self.now)

    def fail_next(self, scenario: str, code: str) -> None:
        """Make the next job of ``scenario`` fail with a catalog error (fault injection for tests)."""
        if code not in CATALOG:
            raise ValueError(f"unknown health error code {code}")
        self._fail_next[scenario] = code

    # ================================================================== reads (ARM wire JSON)

    def vault_health(self) -> dict[str, Any]:
        self.step()
        counts = {"Normal": 0, "Warning": 0, "Critical": 0}
        issues: dict[str, list[str]] = {}
        for item in self.items.values():
            counts[item.health] = counts.get(item.health, 0) + 1
            for code in item.errors:
                issues.setdefault(code, []).append(item.name)
        fabric_counts = {"Normal": 0, "Warning": 0, "Critical": 0}
        for fabric in self.fabrics.values():
            worst = "Normal"
            for ps in fabric.process_servers:
                h = ps.health(self.elapsed)
                if h == "Critical" or (h == "Warning" and worst == "Normal"):
                    worst = h
            fabric_counts[worst] += 1
        return {
            "id": f"{self.scope.vault_id}/replicationVaultHealth/default",
            "name": "default",
            "location": self.scope.location,
            "type": "Microsoft.RecoveryServices/vaults/replicationVaultHealth",
            "properties": {
                "vaultErrors": [],
                "protectedItemsHealth": {
                    "resourceCount": len(self.items),
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
                    "resourceCount": len(self.fabrics),
                    "issues": [],
                    "categorizedResourceCounts": fabric_counts,
                },
                "containersHealth": {"resourceCount": len(self.fabrics), "issues": []},
            },
        }

    def list_fabrics(self) -> list[dict[str, Any]]:
        self.step()
        return [f.to_arm(self.clock, self.elapsed, self.scope, health_error) for f in self.fabrics.values()]

    def get_fabric(self, name: str) -> dict[str, Any]:
        self.step()
        return self._fabric(name).to_arm(self.clock, self.elapsed, self.scope, health_error)

    def list_vcenters(self, fabric: str | None = None) -> list[dict[str, Any]]:
        self.step()
        out = []
        for f in self.fabrics.values():
            if fabric is not None and f.name != fabric:
                continue
            out.append(
                {
                    "id": self.scope.vcenter_id(f.name, f.vcenter),
                    "name": f.vcenter,
                    "type": "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationvCenters",
                    "location": self.scope.location,
                    "properties": {
                        "friendlyName": f.vcenter,
                        "internalId": f"{f.name}-{f.vcenter}",
                        "lastHeartbeat": iso(self.clock.at(f.heartbeat)),
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
        for f in self.fabrics.values():
            if fabric is not None and f.name != fabric:
                continue
            out.append(
                {
                    "id": self.scope.container_id(f.name, f.container),
                    "name": f.container,
                    "type": CONTAINER_TYPE,
                    "location": self.scope.location,
                    "properties": {
                        "fabricFriendlyName": f.friendly_name,
                        "friendlyName": f.container,
                        "fabricType": "InMageRcm" if f.provider == RCM else "VMware",
                        "protectedItemCount": sum(1 for i in self.items.values() if i.fabric == f.name),
                        "pairingStatus": "Paired",
                        "role": "Primary",
                    },
                }
            )
        return out

    def list_mappings(self, fabric: str | None = None, container: str | None = None) -> list[dict[str, Any]]:
        self.step()
        return [
            m.to_arm(self.scope)
            for m in self.mappings.values()
            if (fabric is None or m.fabric == fabric) and (container is None or m.container == container)
        ]

    def get_mapping(self, fabric: str, container: str, name: str) -> dict[str, Any]:
        self.step()
        mapping = self.mappings.get(name)
        if mapping is None or mapping.fabric != fabric or mapping.container != container:
            raise not_found("Protection container mapping", name)
        return mapping.to_arm(self.scope)

    def list_policies(self) -> list[dict[str, Any]]:
        self.step()
        return [p.to_arm(self.scope) for p in self.policies.values()]

    def get_policy(self, name: str) -> dict[str, Any]:
        self.step()
        return self._policy(name).to_arm(self.scope)

    def list_protectable_items(self, fabric: str, container: str) -> list[dict[str, Any]]:
        self.step()
        f = self._fabric(fabric)
        if f.container != container:
            raise not_found("Protection container", container)
        # a VM replicated through either stack is protected, whichever container lists it
        by_vm = {i.vm_moref: i for i in self.items.values()}
        out = []
        for vm in self.estate.vms.values():
            name = self._protectable_name(f, vm.instance_uuid)
            item = by_vm.get(vm.moref)
            extra = self.estate.extra[vm.moref]
            out.append(
                {
                    "id": self.scope.protectable_id(fabric, container, name),
                    "name": name,
                    "type": CONTAINER_TYPE + "/replicationProtectableItems",
                    "location": self.scope.location,
                    "properties": {
                        "friendlyName": vm.name,
                        "protectionStatus": "Protected" if item else "Unprotected",
                        "replicationProtectedItemId": self.scope.item_id(
                            item.fabric, item.container, item.name
                        )
                        if item
                        else None,
                        "recoveryServicesProviderId": f"{self.scope.fabric_id(fabric)}/"
                        f"replicationRecoveryServicesProviders/{fabric}-dra",
                        "protectionReadinessErrors": [],
                        "supportedReplicationProviders": [f.provider],
                        "customDetails": {
                            "instanceType": "VMwareVirtualMachine",
                            "agentGeneratedId": vm.bios_uuid,
                            "agentInstalled": "true" if item else "false",
                            "osType": extra.os_type,
                            "agentVersion": item.agent_version if item else "",
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
            )
        return out

    def list_protected_items(
        self, fabric: str | None = None, container: str | None = None
    ) -> list[dict[str, Any]]:
        self.step()
        return [
            self._render(item)
            for item in self.items.values()
            if (fabric is None or item.fabric == fabric)
            and (container is None or item.container == container)
        ]

    def get_protected_item(self, fabric: str, container: str, name: str) -> dict[str, Any]:
        self.step()
        return self._render(self._item(fabric, container, name))

    def list_recovery_points(self, fabric: str, container: str, name: str) -> list[dict[str, Any]]:
        self.step()
        item = self._item(fabric, container, name)
        policy = self.policies.get(item.policy)
        app = policy.app_minutes if policy else 60
        retention = policy.retention_minutes if policy else 4320
        item_id = self.scope.item_id(fabric, container, name)
        out = []
        for t, kind in recovery_points(item, self.elapsed, app, retention):
            rp_name = self._rp_name(item, t)
            out.append(
                {
                    "id": f"{item_id}/recoveryPoints/{rp_name}",
                    "name": rp_name,
                    "type": CONTAINER_TYPE + "/replicationProtectedItems/recoveryPoints",
                    "location": self.scope.location,
                    "properties": {
                        "recoveryPointTime": iso(self.clock.at(t)),
                        "recoveryPointType": kind,
                        "providerSpecificDetails": {"instanceType": item.provider}
                        if item.provider == RCM
                        else {"instanceType": CLASSIC, "isMultiVmSyncPoint": "false", "type": kind},
                    },
                }
            )
        return out

    def list_jobs(self, since: datetime | None = None, state: str | None = None) -> list[dict[str, Any]]:
        self.step()
        out = []
        # newest first, as ASR lists them
        for job in reversed(list(self.jobs.values())):
            if since is not None and self.clock.at(job.start) < since:
                continue
            if state is not None and job.state.lower() != state.lower():
                continue
            out.append(job.to_arm(self.clock, self.scope.job_id(job.name), self.elapsed))
        return out

    def get_job(self, name: str) -> dict[str, Any]:
        self.step()
        return self._job(name).to_arm(self.clock, self.scope.job_id(name), self.elapsed)

    def list_recovery_plans(self) -> list[dict[str, Any]]:
        self.step()
        return [self._plan(name) for name in self.plans]

    def get_recovery_plan(self, name: str) -> dict[str, Any]:
        self.step()
        if name not in self.plans:
            raise not_found("Recovery plan", name)
        return self._plan(name)

    def list_events(self, since: datetime | None = None) -> list[dict[str, Any]]:
        self.step()
        if since is None:
            return list(reversed(self.events))
        cutoff = iso(since) or ""
        return [e for e in reversed(self.events) if e["properties"]["timeOfOccurrence"] > cutoff]

    # ---- LRO bookkeeping for the ARM face

    def operation(self, job_name: str) -> tuple[str, dict[str, Any] | None]:
        """ARM status of the operation a job tracks, and its final body once it has one."""
        self.step()
        job = self._job(job_name)
        status = {"Succeeded": "Succeeded", "Failed": "Failed", "Cancelled": "Canceled"}.get(
            job.state, "InProgress"
        )
        body = job.result() if (job.result and status == "Succeeded") else None
        return status, body

    # ================================================================== writes

    def create_policy(self, name: str, body: Any) -> str:
        self.step()
        details = props(body).get("providerSpecificInput") or {}
        spec = policy_spec(name, details)
        _raise(validate_policy(spec))
        policy = SimPolicy.from_spec(spec)

        def done() -> None:
            self.policies[name] = policy

        job = self._start("AddProtectionProfile", self.scope.policy_id(name), name, "ProtectionProfile", done)
        job.result = lambda: self.policies[name].to_arm(self.scope) if name in self.policies else None
        return job.name

    def update_policy(self, name: str, body: Any) -> str:
        self.step()
        old = self._policy(name)
        details = props(body).get("replicationProviderSettings") or {}
        spec = policy_spec(name, details)
        errors = validate_policy(spec)
        if (
            spec.provider is not Provider.OTHER
            and (RCM if spec.provider is Provider.INMAGE_RCM else CLASSIC) != old.provider
        ):
            errors.append(
                FieldError("provider", f"policy {name} is {old.provider}; its provider cannot change")
            )
        _raise(errors)
        policy = SimPolicy.from_spec(spec)

        def done() -> None:
            self.policies[name] = policy

        job = self._start(
            "UpdateProtectionProfile", self.scope.policy_id(name), name, "ProtectionProfile", done
        )
        job.result = lambda: self.policies[name].to_arm(self.scope) if name in self.policies else None
        return job.name

    def delete_policy(self, name: str) -> str:
        self.step()
        self._policy(name)
        in_use = [m.name for m in self.mappings.values() if m.policy == name]
        if in_use:
            _raise([FieldError("policy", f"{name} is associated ({', '.join(in_use)}); dissociate it first")])

        def done() -> None:
            self.policies.pop(name, None)

        return self._start(
            "DeleteProtectionProfile", self.scope.policy_id(name), name, "ProtectionProfile", done
        ).name

    def create_mapping(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        f = self._fabric(fabric)
        if f.container != container:
            raise not_found("Protection container", container)
        p = props(body)
        policy_name = _last(p.get("policyId"))
        errors: list[FieldError] = []
        policy = self.policies.get(policy_name)
        if policy is None:
            errors.append(FieldError("policy", f"policy '{policy_name}' does not exist"))
        elif policy.provider != f.provider:
            errors.append(
                FieldError(
                    "policy", f"{policy_name} is a {policy.provider} policy; {fabric} needs {f.provider}"
                )
            )
        if any(m.fabric == fabric and m.policy == policy_name for m in self.mappings.values()):
            errors.append(FieldError("policy", f"{policy_name} is already associated with {container}"))
        _raise(errors)
        mapping = SimMapping(
            name=name, fabric=fabric, container=container, policy=policy_name, provider=f.provider
        )

        def done() -> None:
            self.mappings[name] = mapping

        job = self._start(
            "ConfigureProtection",
            self.scope.container_id(fabric, container),
            container,
            "ProtectionContainer",
            done,
        )
        job.result = lambda: self.mappings[name].to_arm(self.scope) if name in self.mappings else None
        return job.name

    def remove_mapping(self, fabric: str, container: str, name: str) -> str:
        self.step()
        mapping = self.mappings.get(name)
        if mapping is None or mapping.fabric != fabric or mapping.container != container:
            raise not_found("Protection container mapping", name)
        users = [
            i.friendly_name for i in self.items.values() if i.fabric == fabric and i.policy == mapping.policy
        ]
        if users:
            _raise(
                [
                    FieldError(
                        "mapping", f"{len(users)} protected items use {mapping.policy}; disable them first"
                    )
                ]
            )

        def done() -> None:
            self.mappings.pop(name, None)

        return self._start(
            "UnConfigureProtection",
            self.scope.container_id(fabric, container),
            container,
            "ProtectionContainer",
            done,
        ).name

    def enable_protection(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        f = self._fabric(fabric)
        if f.container != container:
            raise not_found("Protection container", container)
        p = props(body)
        details = p.get("providerSpecificDetails") or {}
        provider = Provider.parse(details.get("instanceType"))
        protectable = _last(p.get("protectableItemId"))
        policy_name = _last(p.get("policyId"))
        if provider is Provider.INMAGE_RCM:
            target_rg = details.get("targetResourceGroupId") or ""
            target_net = details.get("targetNetworkId") or ""
            ps_id = details.get("processServerId") or ""
            disks = details.get("disksDefault") or {}
            log_sa = disks.get("logStorageAccountId") or ""
            if not disks and details.get("disksToInclude"):
                log_sa = details["disksToInclude"][0].get("logStorageAccountId") or ""
            disk_type = disks.get("diskType") or "Standard_LRS"
        else:
            target_rg = details.get("targetAzureV2ResourceGroupId") or ""
            target_net = details.get("targetAzureNetworkId") or ""
            ps_id = details.get("processServerId") or ""
            log_sa = details.get("logStorageAccountId") or ""
            disk_type = details.get("diskType") or "Standard_LRS"
        spec = EnableReplicationSpec(
            protectable_item_id=p.get("protectableItemId") or "",
            container_id=self.scope.container_id(fabric, container),
            policy_id=p.get("policyId") or "",
            provider=provider,
            target_resource_group_id=target_rg,
            target_network_id=target_net,
            disk_type=disk_type,
            process_server_id=ps_id,
            log_storage_account_id=log_sa,
        )
        errors = validate_enable(spec)
        vm = next(
            (
                v
                for v in self.estate.vms.values()
                if self._protectable_name(f, v.instance_uuid) == protectable
            ),
            None,
        )
        if protectable and vm is None:
            errors.append(FieldError("vm", f"the vault has not discovered '{protectable}'"))
        if vm is not None and any(i.vm_moref == vm.moref for i in self.items.values()):
            errors.append(FieldError("vm", f"{vm.name} is already protected"))
        if name in self.items:
            errors.append(FieldError("item_name", f"an item named {name} already exists"))
        if (
            provider is not Provider.OTHER
            and (RCM if provider is Provider.INMAGE_RCM else CLASSIC) != f.provider
        ):
            errors.append(FieldError("provider", f"{fabric} replicates with {f.provider}"))
        if policy_name and not any(
            m.policy == policy_name and m.fabric == fabric for m in self.mappings.values()
        ):
            errors.append(
                FieldError("policy", f"{policy_name} is not associated with {container}; associate it first")
            )
        servers = {ps.id: ps for ps in f.process_servers}
        if ps_id and ps_id not in servers:
            errors.append(FieldError("process_server", f"{fabric} has no process server {ps_id}"))
        if (
            provider is Provider.INMAGE_RCM
            and vm is not None
            and (details.get("fabricDiscoveryMachineId") or "").rsplit("/", 1)[-1] != protectable
        ):
            errors.append(FieldError("fabric_discovery_machine_id", "does not match the protectable item"))
        _raise(errors)
        assert vm is not None
        ps = servers.get(ps_id) or f.process_servers[0]
        item = self._new_item(name, f, vm, policy_name, ps, target_rg, target_net, log_sa)
        item.phase = Phase.ENABLING
        self.items[name] = item
        fail = self._fail_next.pop("EnableDr", "")

        def done() -> None:
            item.phase = Phase.INITIAL_REPLICATION
            item.ir_percent = 0.0
            item.agent_heartbeat = self.elapsed
            self._clear_scenario(item)

        def failed() -> None:
            self.items.pop(item.name, None)

        job = self._start(
            "EnableDr",
            self.scope.item_id(fabric, container, name),
            vm.name,
            "ProtectionEntity",
            done,
            fail=fail,
        )
        job.on_failure = failed
        job.on_cancel = failed
        self._set_scenario(item, "EnableDr", job)
        job.result = lambda: self._render(item) if item.name in self.items else None
        return job.name

    def test_failover(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self._item(fabric, container, name)
        p = props(body)
        details = p.get("providerSpecificDetails") or {}
        network = details.get("networkId") or p.get("networkId") or ""
        rp = details.get("recoveryPointId") or ""
        errors = validate_test_network(network, item.target_network_id)
        errors += self._check_recovery_point(item, rp)
        try:
            require("TestFailover", item.allowed, item.friendly_name)
        except InvalidInput as exc:
            errors = exc.errors + errors
        _raise(errors)
        before = (item.test_failover, item.scenario, item.scenario_job, item.scenario_start)

        def start() -> None:
            item.test_failover = TestFailover.IN_PROGRESS
            item.test_network_id = network

        def done() -> None:
            item.test_failover = TestFailover.CLEANUP_PENDING
            item.last_test_failover = self.elapsed
            self._clear_scenario(item)

        def undo() -> None:
            item.test_failover, item.scenario, item.scenario_job, item.scenario_start = before

        return self._item_job(item, "TestFailover", start, done, undo)

    def test_failover_cleanup(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self._item(fabric, container, name)
        require("TestFailoverCleanup", item.allowed, item.friendly_name)
        comments = str(props(body).get("comments") or "")
        if len(comments) > 1024:
            _raise([FieldError("notes", "keep the notes under 1,024 characters")])

        def start() -> None:
            item.test_failover = TestFailover.CLEANING_UP

        def done() -> None:
            item.test_failover = TestFailover.NONE
            item.test_network_id = ""
            self._clear_scenario(item)

        def undo() -> None:
            item.test_failover = TestFailover.CLEANUP_PENDING
            self._clear_scenario(item)

        return self._item_job(item, "TestFailoverCleanup", start, done, undo)

    def unplanned_failover(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self._item(fabric, container, name)
        details = props(body).get("providerSpecificDetails") or {}
        rp = details.get("recoveryPointId") or ""
        shutdown = str(details.get("performShutdown", "false")).lower() == "true"
        errors = self._check_recovery_point(item, rp)
        try:
            require("UnplannedFailover", item.allowed, item.friendly_name)
        except InvalidInput as exc:
            errors = exc.errors + errors
        _raise(errors)

        def start() -> None:
            item.phase = Phase.FAILING_OVER

        def done() -> None:
            item.phase = Phase.FAILED_OVER
            item.last_failover = self.elapsed
            item.failover_recovery_point = rp or self._latest_rp_id(item)
            item.errors.clear()
            item.health = "Normal"
            if shutdown:
                self.estate.set_power(item.vm_moref, "poweredOff", self.now)
            self._clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.PROTECTED
            self._clear_scenario(item)

        return self._item_job(item, "UnplannedFailover", start, done, undo)

    def apply_recovery_point(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self._item(fabric, container, name)
        p = props(body)
        rp = p.get("recoveryPointId") or (p.get("providerSpecificDetails") or {}).get("recoveryPointId") or ""
        errors = [] if rp else [FieldError("recovery_point", "pick a recovery point from the list")]
        errors += self._check_recovery_point(item, rp)
        try:
            require("ChangePit", item.allowed, item.friendly_name)
        except InvalidInput as exc:
            errors = exc.errors + errors
        _raise(errors)

        def start() -> None:
            item.phase = Phase.CHANGING_RECOVERY_POINT

        def done() -> None:
            item.phase = Phase.FAILED_OVER
            item.failover_recovery_point = rp
            self._clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.FAILED_OVER
            self._clear_scenario(item)

        return self._item_job(item, "ChangePit", start, done, undo)

    def commit(self, fabric: str, container: str, name: str) -> str:
        self.step()
        item = self._item(fabric, container, name)
        require("Commit", item.allowed, item.friendly_name)

        def start() -> None:
            item.phase = Phase.COMMITTING

        def done() -> None:
            item.phase = Phase.COMMITTED
            self._clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.FAILED_OVER
            self._clear_scenario(item)

        return self._item_job(item, "Commit", start, done, undo)

    def reprotect(self, fabric: str, container: str, name: str, body: Any) -> str:
        self.step()
        item = self._item(fabric, container, name)
        require("ReverseReplicate", item.allowed, item.friendly_name)

        def start() -> None:
            item.phase = Phase.REPROTECTING

        def done() -> None:
            item.phase = Phase.REPROTECTED
            item.last_rp = self.elapsed
            item.last_app_rp = self.elapsed
            item.backlog_kb = 0.0
            item.agent_heartbeat = self.elapsed
            self._clear_scenario(item)

        def undo() -> None:
            item.phase = Phase.COMMITTED
            self._clear_scenario(item)

        return self._item_job(item, "Reprotect", start, done, undo)

    def repair_replication(self, fabric: str, container: str, name: str) -> str:
        self.step()
        item = self._item(fabric, container, name)
        require("RepairReplication", item.allowed, item.friendly_name)

        def done() -> None:
            item.resync_percent = 0.0
            item.ir_stalled = False
            self._clear_scenario(item)

        def undo() -> None:
            self._clear_scenario(item)

        return self._item_job(item, "RepairReplication", None, done, undo)

    def disable_protection(self, fabric: str, container: str, name: str, body: Any = None) -> str:
        self.step()
        item = self._item(fabric, container, name)
        require("DisableProtection", item.allowed, item.friendly_name)
        previous = item.phase

        def start() -> None:
            item.phase = Phase.DISABLING

        def done() -> None:
            self.items.pop(item.name, None)
            for members in self.plans.values():
                if item.name in members:
                    members.remove(item.name)

        def undo() -> None:
            item.phase = previous
            self._clear_scenario(item)

        return self._item_job(item, "DisableDr", start, done, undo)

    def purge(self, fabric: str, container: str, name: str) -> str:
        """DELETE on the item: remove it whatever its state (ASR's purge)."""
        self.step()
        item = self._item(fabric, container, name)

        def done() -> None:
            self.items.pop(item.name, None)

        return self._start(
            "DisableDr",
            self.scope.item_id(fabric, container, name),
            item.friendly_name,
            "ProtectionEntity",
            done,
        ).name

    def cancel_job(self, name: str) -> str:
        self.step()
        job = self._job(name)
        if not job.running:
            _raise(
                [
                    FieldError(
                        "job",
                        f"{job.friendly_name} has {job.state.lower()}; only running jobs can be cancelled",
                    )
                ]
            )
        job.cancel(self.elapsed)
        self._job_event(job)
        job.result = lambda: job.to_arm(self.clock, self.scope.job_id(job.name), self.elapsed)
        return job.name

    def restart_job(self, name: str) -> str:
        self.step()
        job = self._job(name)
        if job.state not in ("Failed", "Cancelled"):
            _raise(
                [
                    FieldError(
                        "job",
                        f"{job.friendly_name} is {job.state.lower()}; only failed or cancelled jobs restart",
                    )
                ]
            )
        job.restart(self.elapsed)
        job.result = lambda: job.to_arm(self.clock, self.scope.job_id(job.name), self.elapsed)
        return job.name

    # ================================================================== helpers

    def _fabric(self, name: str) -> SimFabric:
        fabric = self.fabrics.get(name)
        if fabric is None:
            raise not_found("Fabric", name)
        return fabric

    def _policy(self, name: str) -> SimPolicy:
        policy = self.policies.get(name)
        if policy is None:
            raise not_found("Replication policy", name)
        return policy

    def _item(self, fabric: str, container: str, name: str) -> SimItem:
        item = self.items.get(name)
        if item is None or item.fabric != fabric or item.container != container:
            raise not_found("Replication protected item", name)
        return item

    def item_by_id(self, item_id: str) -> SimItem:
        parts = item_id.split("/")
        try:
            fabric = parts[parts.index("replicationFabrics") + 1]
            container = parts[parts.index("replicationProtectionContainers") + 1]
            name = parts[parts.index("replicationProtectedItems") + 1]
        except (ValueError, IndexError):
            raise not_found("Replication protected item", item_id) from None
        return self._item(fabric, container, name)

    def _job(self, name: str) -> SimJob:
        job = self.jobs.get(name)
        if job is None:
            raise not_found("Job", name)
        return job

    def _render(self, item: SimItem) -> dict[str, Any]:
        policy = self.policies.get(item.policy)
        return item.to_arm(
            self.clock, self.elapsed, self.scope, policy.name if policy else item.policy, health_error
        )

    def _plan(self, name: str) -> dict[str, Any]:
        members = [self.items[n] for n in self.plans[name] if n in self.items]
        fabric = members[0].fabric if members else next(iter(self.fabrics))
        scenario = "None"
        allowed = (
            ["TestFailover", "UnplannedFailover"]
            if members and all("TestFailover" in m.allowed for m in members)
            else []
        )
        last_tfo = max((m.last_test_failover for m in members if m.last_test_failover), default=None)
        return {
            "id": self.scope.plan_id(name),
            "name": name,
            "type": "Microsoft.RecoveryServices/vaults/replicationRecoveryPlans",
            "location": self.scope.location,
            "properties": {
                "friendlyName": name,
                "primaryFabricId": self.scope.fabric_id(fabric),
                "primaryFabricFriendlyName": fabric,
                "recoveryFabricId": "Microsoft Azure",
                "recoveryFabricFriendlyName": "Microsoft Azure",
                "failoverDeploymentModel": "ResourceManager",
                "replicationProviders": sorted({m.provider for m in members}),
                "allowedOperations": allowed,
                "lastTestFailoverTime": iso(self.clock.at(last_tfo)) if last_tfo else None,
                "currentScenarioStatus": "None",
                "currentScenario": {"scenarioName": scenario},
                "groups": [
                    {
                        "groupType": "Shutdown",
                        "replicationProtectedItems": [],
                        "startGroupActions": [],
                        "endGroupActions": [],
                    },
                    {
                        "groupType": "Failover",
                        "replicationProtectedItems": [],
                        "startGroupActions": [],
                        "endGroupActions": [],
                    },
                    {
                        "groupType": "Boot",
                        "replicationProtectedItems": [
                            {
                                "id": self.scope.item_id(m.fabric, m.container, m.name),
                                "virtualMachineId": m.vm_moref,
                            }
                            for m in members
                        ],
                        "startGroupActions": [],
                        "endGroupActions": [],
                    },
                ],
            },
        }

    def _protectable_name(self, fabric: SimFabric, instance_uuid: str) -> str:
        # Azure Migrate names a discovered VMware machine "<vCenter>_<VM instance UUID>"
        return f"{fabric.vcenter}_{instance_uuid}"

    def _rp_name(self, item: SimItem, t: float) -> str:
        digest = hashlib.sha1(f"{item.name}/{t:.0f}".encode()).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    def _latest_rp_id(self, item: SimItem) -> str:
        if item.last_rp is None:
            return ""
        points = recovery_points(item, self.elapsed, 0, 60)
        if not points:
            return ""
        item_id = self.scope.item_id(item.fabric, item.container, item.name)
        return f"{item_id}/recoveryPoints/{self._rp_name(item, points[0][0])}"

    def _check_recovery_point(self, item: SimItem, rp: str) -> list[FieldError]:
        if not rp:
            return []
        policy = self.policies.get(item.policy)
        app = policy.app_minutes if policy else 60
        retention = policy.retention_minutes if policy else 4320
        names = {self._rp_name(item, t) for t, _ in recovery_points(item, self.elapsed, app, retention)}
        if rp.rstrip("/").rsplit("/", 1)[-1] not in names:
            return [
                FieldError(
                    "recovery_point", "that recovery point is no longer available; pick one from the list"
                )
            ]
        return []

    def _set_scenario(self, item: SimItem, scenario: str, job: SimJob) -> None:
        item.scenario = scenario
        item.scenario_job = job.name
        item.scenario_start = job.start

    def _clear_scenario(self, item: SimItem) -> None:
        item.scenario = "None"
        item.scenario_job = ""
        item.scenario_start = None

    def _item_job(
        self,
        item: SimItem,
        scenario: str,
        start: Callable[[], None] | None,
        done: Callable[[], None],
        undo: Callable[[], None],
    ) -> str:
        fail = self._fail_next.pop(scenario, "")

        def begin() -> None:
            if start:
                start()
            self._set_scenario(item, scenario, job)

        job = self._start(
            scenario,
            self.scope.item_id(item.fabric, item.container, item.name),
            item.friendly_name,
            "ProtectionEntity",
            done,
            fail=fail,
            on_start=begin,
        )
        job.on_failure = undo
        job.on_cancel = undo
        job.result = lambda: self._render(item) if item.name in self.items else None
        begin()
        return job.name

    def _start(
        self,
        scenario: str,
        target_id: str,
        target_name: str,
        target_type: str,
        done: Callable[[], None],
        *,
        fail: str = "",
        on_start: Callable[[], None] | None = None,
    ) -> SimJob:
        job = SimJob(
            name=seeded_uuid(self.rng),
            scenario=scenario,
            start=self.elapsed,
            target_object_id=target_id,
            target_object_name=target_name,
            target_instance_type=target_type,
            on_start=on_start,
            on_success=done,
            fail_code=fail,
        )
        self.jobs[job.name] = job
        return job

    def _advance_jobs(self, elapsed: float) -> None:
        for job in list(self.jobs.values()):
            if job.running and job.advance(elapsed):
                self._job_event(job)

    def _job_event(self, job: SimJob) -> None:
        at = job.end if job.end is not None else self.elapsed
        severity = {"Succeeded": "OK", "Failed": "Critical", "Cancelled": "Warning"}.get(job.state, "OK")
        self._event(
            at,
            f"{job.scenario} - {job.state}",
            "JobStatus",
            job.target_object_name,
            severity,
            job.target_object_id.split("/replicationProtectionContainers/")[0],
            [],
        )

    def _event(
        self,
        at: float,
        description: str,
        event_type: str,
        target: str,
        severity: str,
        fabric_id: str,
        errors: list[dict[str, Any]],
    ) -> None:
        name = f"{event_type}MonitoringEvent;{seeded_uuid(self.rng)}"
        self.events.append(
            {
                "id": self.scope.event_id(name),
                "name": name,
                "type": "Microsoft.RecoveryServices/vaults/replicationEvents",
                "properties": {
                    "eventCode": event_type,
                    "description": description,
                    "eventType": event_type,
                    "affectedObjectFriendlyName": target,
                    "severity": severity,
                    "timeOfOccurrence": iso(self.clock.at(at)),
                    "fabricId": fabric_id,
                    "eventSpecificDetails": {"instanceType": "JobStatus"},
                    "healthErrors": errors,
                },
            }
        )
        if len(self.events) > 5000:
            del self.events[:1000]

    def _new_item(
        self,
        name: str,
        fabric: SimFabric,
        vm: Any,
        policy: str,
        ps: SimProcessServer,
        target_rg: str,
        target_net: str,
        log_sa: str,
    ) -> SimItem:
        extra = self.estate.extra[vm.moref]
        protectable = self._protectable_name(fabric, vm.instance_uuid)
        return SimItem(
            name=name,
            provider=fabric.provider,
            fabric=fabric.name,
            container=fabric.container,
            vm_moref=vm.moref,
            friendly_name=vm.name,
            bios_uuid=vm.bios_uuid,
            instance_uuid=vm.instance_uuid,
            os_type=extra.os_type,
            ip=vm.nics[0].ips[0] if vm.nics and vm.nics[0].ips else "",
            firmware=vm.firmware,
            cores=vm.num_cpu,
            memory_mb=vm.memory_mb,
            disks=disks_of(vm),
            discovery_machine_id=self.scope.discovery_machine_id(f"{fabric.name}-site", protectable),
            protectable_name=protectable,
            policy=policy,
            process_server_id=ps.id,
            process_server_name=ps.name,
            target_resource_group_id=target_rg,
            target_network_id=target_net,
            log_storage_account_id=log_sa,
            created=self.elapsed,
            ir_rate=self.rng.uniform(0.4, 2.5),
            bandwidth_kbps=self.rng.uniform(6_000, 40_000),
            agent_version=self.rng.choice(AGENT_VERSIONS) if fabric.provider == CLASSIC else AGENT_LATEST,
        )

    # ================================================================== the model over time

    def _tick(self, elapsed: float, dt: float) -> None:
        rng = self.rng
        self.elapsed = elapsed
        now = self.clock.at(elapsed)
        self.estate.tick(now, dt)
        hours = dt / 3600
        for fabric in self.fabrics.values():
            fabric.heartbeat = elapsed
            for ps in fabric.process_servers:
                if ps.up(elapsed):
                    ps.heartbeat = elapsed
                    ps.errors.pop("806", None)
                    if rng.random() < 0.01 * hours:
                        ps.down_until = elapsed + rng.uniform(10, 45) * 60
                elif elapsed - ps.heartbeat > HEARTBEAT_LIMIT:
                    ps.errors.setdefault("806", elapsed)
        servers = {ps.id: ps for f in self.fabrics.values() for ps in f.process_servers}
        for item in self.items.values():
            self._tick_item(item, servers.get(item.process_server_id), elapsed, dt)
        self._count_load(servers)
        self._advance_jobs(elapsed)

    def _count_load(self, servers: dict[str, SimProcessServer]) -> None:
        for ps in servers.values():
            ps.load_kbps = 0.0
            ps.items = 0
        for item in self.items.values():
            server = servers.get(item.process_server_id)
            if server is not None and item.phase in (Phase.INITIAL_REPLICATION, *REPLICATING):
                server.items += 1
                extra = self.estate.extra.get(item.vm_moref)
                server.load_kbps += min(item.bandwidth_kbps, extra.churn_kbps if extra else 0.0)

    def _tick_item(self, item: SimItem, ps: SimProcessServer | None, elapsed: float, dt: float) -> None:
        rng = self.rng
        vm = self.estate.vms.get(item.vm_moref)
        extra = self.estate.extra.get(item.vm_moref)
        churn = extra.churn_kbps if extra is not None else 0.0  # a VM gone from vCenter writes nothing
        ps_up = ps is None or ps.up(elapsed)
        replicating = item.phase in REPLICATING or item.phase is Phase.INITIAL_REPLICATION
        if replicating:
            if rng.random() < 0.004 * dt / 3600 * 24:  # about one agent stall per VM every ten days
                item.agent_stalled_until = elapsed + rng.uniform(20, 180) * 60
            alive = vm is not None and vm.power_state == "poweredOn" and elapsed >= item.agent_stalled_until
            if alive:
                item.agent_heartbeat = elapsed
            flowing = alive and ps_up
            if item.phase is Phase.INITIAL_REPLICATION:
                if item.ir_stalled:
                    if rng.random() < 0.1 * dt / 3600:
                        item.ir_stalled = False
                elif rng.random() < 0.02 * dt / 3600:
                    item.ir_stalled = True
                if flowing and not item.ir_stalled:
                    item.ir_percent = min(100.0, item.ir_percent + item.ir_rate * dt / 60)
                if item.ir_percent >= 100.0:
                    item.phase = Phase.PROTECTED
                    item.last_rp = elapsed
                    item.last_app_rp = elapsed
                    item.backlog_kb = 0.0
                    self._event(
                        elapsed,
                        "Initial replication completed",
                        "VmHealth",
                        item.friendly_name,
                        "OK",
                        self.scope.fabric_id(item.fabric),
                        [],
                    )
            elif flowing:
                item.backlog_kb = max(0.0, item.backlog_kb + (churn - item.bandwidth_kbps) * dt)
                lag = 30.0 + item.backlog_kb / item.bandwidth_kbps
                candidate = elapsed - lag
                if item.last_rp is None or candidate > item.last_rp:
                    item.last_rp = candidate
                policy = self.policies.get(item.policy)
                app = policy.app_minutes if policy else 0
                if item.vss_broken:
                    if rng.random() < 0.05 * dt / 3600:
                        item.vss_broken = False
                elif rng.random() < 0.002 * dt / 3600:
                    item.vss_broken = True
                if (
                    app
                    and not item.vss_broken
                    and (item.last_app_rp is None or elapsed - item.last_app_rp >= app * 60)
                ):
                    item.last_app_rp = item.last_rp
                if item.resync_percent is not None:
                    item.resync_percent = min(100.0, item.resync_percent + item.ir_rate * 2 * dt / 60)
                    if item.resync_percent >= 100.0:
                        item.resync_percent = None
                        item.resync_required = False
            # a long outage leaves the source and target out of step: ASR asks for a resync
            if (
                item.phase in REPLICATING
                and item.agent_heartbeat is not None
                and elapsed - item.agent_heartbeat > 6 * 3600
            ):
                item.resync_required = True
        self._update_health(item, ps, elapsed, churn)

    def _update_health(
        self, item: SimItem, ps: SimProcessServer | None, elapsed: float, churn: float
    ) -> None:
        wanted: dict[str, dict[str, Any]] = {}
        policy = self.policies.get(item.policy)
        watched = item.phase in (Phase.INITIAL_REPLICATION, *REPLICATING)
        if watched:
            if item.agent_heartbeat is not None and elapsed - item.agent_heartbeat > HEARTBEAT_LIMIT:
                wanted["78174"] = {}
            if ps is not None and "806" in ps.errors:
                wanted["806"] = {}
            if item.phase is Phase.INITIAL_REPLICATION and item.ir_stalled:
                wanted["78169"] = {}
            if churn > CHURN_LIMIT_KBPS:
                wanted["78188"] = {}
            if item.phase in REPLICATING and policy and policy.app_minutes and item.last_app_rp is not None:
                window = 2 * policy.app_minutes
                if elapsed - item.last_app_rp > window * 60:
                    wanted["78144"] = {"minutes": window}
        for code in list(item.errors):
            if code not in wanted:
                del item.errors[code]
        for code, params in wanted.items():
            if code not in item.errors:
                item.errors[code] = (elapsed, params)
        health = "Normal"
        for code in item.errors:
            if CATALOG[code].level == "Error":
                health = "Critical"
                break
            health = "Warning"
        rpo = item.rpo_seconds(elapsed)
        if health == "Normal" and watched and rpo is not None and policy and rpo > policy.threshold_seconds:
            health = "Warning"
        if item.resync_required and health == "Normal":
            health = "Warning"
        if health != item.health:
            errors = [
                health_error(
                    c, self.clock.at(t), item.name, vm=item.friendly_name, ps=item.process_server_name, **p
                )
                for c, (t, p) in item.errors.items()
            ]
            self._event(
                elapsed,
                "Virtual machine health is OK"
                if health == "Normal"
                else f"Virtual machine health is {health.lower()}",
                "VmHealth",
                item.friendly_name,
                {"Normal": "OK", "Warning": "Warning", "Critical": "Critical"}[health],
                self.scope.fabric_id(item.fabric),
                errors,
            )
            item.health = health

    # ================================================================== building the site

    def _build(self, protected: int, history_jobs: int) -> None:
        rng = self.rng
        kinds = {"inmagercm": [RCM], "inmageazurev2": [CLASSIC], "mixed": [RCM, CLASSIC]}[self.provider]
        for kind in kinds:
            n_ps = 1 + max(0, (protected // len(kinds) - 1) // 150)
            if kind == RCM:
                name, friendly, version = "appliance-weu-01", "asr-appliance-01", "9.63.7187.1"
            else:
                name, friendly, version = "config-server-01", "asr-cs-01", "9.55.6765.1"
            servers = [
                SimProcessServer(
                    id=seeded_uuid(rng),
                    name=f"{friendly}" if i == 0 else f"{friendly}-ps{i + 1:02d}",
                    ip=f"10.0.{1 + len(self.fabrics)}.{10 + i}",
                )
                for i in range(n_ps)
            ]
            fabric = SimFabric(
                name=name,
                provider=kind,
                friendly_name=friendly,
                container=f"{name}-container",
                process_servers=servers,
                version=version,
            )
            self.fabrics[name] = fabric
            policy = (
                SimPolicy("policy-modernized-24h", RCM, retention_minutes=1440, app_minutes=240)
                if kind == RCM
                else SimPolicy(
                    "policy-classic-72h",
                    CLASSIC,
                    retention_minutes=4320,
                    app_minutes=60,
                    rpo_threshold_minutes=60,
                )
            )
            self.policies[policy.name] = policy
            mapping = SimMapping(
                name=f"{fabric.container}-{policy.name}",
                fabric=name,
                container=fabric.container,
                policy=policy.name,
                provider=kind,
            )
            self.mappings[mapping.name] = mapping
        self.policies["policy-unused-rcm"] = SimPolicy(
            "policy-unused-rcm", RCM, retention_minutes=4320, app_minutes=0
        )

        fabrics = list(self.fabrics.values())
        vms = list(self.estate.vms.values())
        chosen = sorted(rng.sample(range(len(vms)), protected))
        target_rg = self.scope.resource_group_id("rg-dr-recovery")
        target_net = self.scope.network_id("vnet-dr-weu")
        for n, index in enumerate(chosen):
            vm = vms[index]
            fabric = fabrics[n % len(fabrics)]
            policy_name = next(m.policy for m in self.mappings.values() if m.fabric == fabric.name)
            ps = fabric.process_servers[n // len(fabrics) // 150 % len(fabric.process_servers)]
            name = self._protectable_name(fabric, vm.instance_uuid)
            if fabric.provider == CLASSIC:
                name = seeded_uuid(rng)  # classic items carry generated names
            item = self._new_item(
                name,
                fabric,
                vm,
                policy_name,
                ps,
                target_rg,
                target_net,
                self.scope.storage_id("stasrcacheweu01"),
            )
            age = rng.uniform(3, 120) * 86_400
            item.created = self.elapsed - age
            item.agent_heartbeat = self.elapsed - rng.uniform(0, 60)
            roll = rng.random()
            if roll < 0.05:
                item.phase = Phase.INITIAL_REPLICATION
                item.ir_percent = rng.uniform(2, 95)
                item.created = self.elapsed - rng.uniform(1, 20) * 3600
            else:
                item.phase = Phase.PROTECTED
                item.last_rp = self.elapsed - rng.uniform(30, 300)
                item.last_app_rp = self.elapsed - rng.uniform(0, 3600)
                if rng.random() < 0.25:
                    item.last_test_failover = self.elapsed - rng.uniform(5, 90) * 86_400
                if roll > 0.985:
                    item.resync_required = True
                elif roll > 0.97:
                    item.test_failover = TestFailover.CLEANUP_PENDING
                    item.test_network_id = self.scope.network_id("vnet-dr-test")
                    item.last_test_failover = self.elapsed - rng.uniform(1, 48) * 3600
                elif roll > 0.95:
                    item.vss_broken = True
                    item.last_app_rp = self.elapsed - rng.uniform(3, 10) * 3600
            self.items[item.name] = item
            if vm.power_state != "poweredOn":
                item.agent_heartbeat = self.elapsed - rng.uniform(1, 48) * 3600
        # the most recent history: jobs that ran before the console started
        scenarios = (
            "EnableDr",
            "TestFailover",
            "TestFailoverCleanup",
            "RepairReplication",
            "UpdateProtectionProfile",
        )
        names = list(self.items.values())
        for _ in range(history_jobs):
            scenario = rng.choice(scenarios)
            target = rng.choice(names) if names else None
            start = self.elapsed - rng.uniform(600, 3 * 86_400)
            job = SimJob(
                name=seeded_uuid(rng),
                scenario=scenario,
                start=start,
                target_object_id=self.scope.item_id(target.fabric, target.container, target.name)
                if target
                else "",
                target_object_name=target.friendly_name if target else "",
                fail_code="95001" if scenario == "EnableDr" and rng.random() < 0.15 else "",
            )
            job.advance(self.elapsed)
            self.jobs[job.name] = job
        self.jobs = dict(sorted(self.jobs.items(), key=lambda kv: kv[1].start))
        # two recovery plans grouping some items, as admins build for application tiers
        if names:
            self.plans["rp-tier1-web"] = [i.name for i in names[: max(1, len(names) // 10)]]
            self.plans["rp-tier2-app"] = [i.name for i in names[len(names) // 10 : len(names) // 10 * 2 or 1]]
        by_id = {ps.id: ps for f in self.fabrics.values() for ps in f.process_servers}
        for item in self.items.values():
            self._update_health(
                item,
                by_id.get(item.process_server_id),
                self.elapsed,
                self.estate.extra[item.vm_moref].churn_kbps,
            )
        self._count_load(by_id)
        self.events.clear()


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput(errors)


def _last(value: Any) -> str:
    return str(value or "").rstrip("/").rsplit("/", 1)[-1]


def make_demo_site(
    *,
    vms: int = 200,
    protected: int = 120,
    seed: int = 7,
    speed: float = 60.0,
    provider: str = "inmagercm",
    history_jobs: int | None = None,
    start: datetime | None = None,
    estate_from: Mapping[Kind, Iterable[Record]] | None = None,
) -> SimEngine:
    """A simulated site ready to serve: a vCenter with ``vms`` VMs, ``protected`` of them replicating.

    ``estate_from`` replaces the generated vCenter with a real one's records (``vms`` is then what it
    holds); keep it current with ``SimEngine.adopt_inventory`` (``sim.discovery`` does). Its clock
    starts at ``start`` (default: now, to the minute, so "the last 72 hours" means the same to the site
    and to a client); everything else depends only on ``seed`` and the clock's advances.
    """
    if start is None:
        start = datetime.now(UTC).replace(second=0, microsecond=0)
    return SimEngine(
        vms=vms,
        protected=protected,
        seed=seed,
        provider=provider,
        history_jobs=history_jobs,
        clock=SimClock(speed=speed, start=start),
        inventory=estate_from,
    )


__all__ = ["SimEngine", "SimError", "make_demo_site"]
