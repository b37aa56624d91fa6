"""What the simulated site is made of, and the helpers every part of the engine shares.

``SiteState`` holds the site's state (estate, fabrics, policies, mappings, items, jobs, events, plans,
clock) and the lookups, renderings, job starts and events that reads, writes, the tick model and the
builder all use. ``SimEngine`` (``engine.py``) puts the parts together.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from asr_console.model.operations import Operation
from asr_console.sim.arm_estate import TargetEstate
from asr_console.sim.clock import SimClock
from asr_console.sim.errors import FieldProblem, not_found
from asr_console.sim.estate import Estate
from asr_console.sim.health_catalog import health_error
from asr_console.sim.ids import ArmScope, seeded_uuid
from asr_console.sim.infra import SimFabric, SimMapping, SimPolicy, SimProcessServer
from asr_console.sim.items import (
    AGENT_LATEST,
    AGENT_VERSIONS,
    CLASSIC,
    SimItem,
    disks_of,
    recovery_points,
)
from asr_console.sim.jobs import SimJob
from asr_console.sim.jsonutil import iso
from asr_console.sim.state_machines import Phase

TICK = 30.0  # simulated seconds per step of the model
MAX_TICKS_PER_STEP = 240  # beyond that, ticks get longer rather than more numerous
HEARTBEAT_LIMIT = 15 * 60
RESYNC_AFTER_OUTAGE = 6 * 3600  # an agent silent this long leaves its item needing a resync
CHURN_LIMIT_KBPS = 20 * 1024
PROVIDERS = ("inmagercm", "inmageazurev2", "mixed")
CONTAINER_TYPE = "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers"
REPLICATING = (Phase.PROTECTED, Phase.REPROTECTED)


@functools.cache
def hand_installed_agent(instance_uuid: str) -> str:
    """Picked from the VM's UUID, so any estate (seeded or discovered) gets the same mix without drawing
    from the seeded generator that lays out the rest of the site."""
    digest = hashlib.sha1(f"agent/{instance_uuid}".encode()).digest()
    return AGENT_VERSIONS[digest[1] % 2] if digest[0] % 3 == 0 else ""


class SiteState:
    """One simulated site's state: what the reads render, the writes change and the tick model moves.

    The engine's parts (``ArmReads``, ``ArmWrites``, ``TickModel``, ``SiteBuilder``) each receive this
    one object; the lookups, renderings, job starts and events below are shared by them.
    """

    def __init__(
        self,
        *,
        rng: random.Random,
        seed: int,
        provider: str,
        clock: SimClock,
        scope: ArmScope,
        estate: Estate,
        modernized_discovery: bool = False,
    ) -> None:
        self.rng = rng
        self.seed = seed
        self.provider = provider
        self.clock = clock
        self.elapsed = clock.elapsed()  # simulated time the model has reached
        self.scope = scope
        self.estate = estate
        self.fabrics: dict[str, SimFabric] = {}
        self.policies: dict[str, SimPolicy] = {}
        self.mappings: dict[str, SimMapping] = {}
        self.items: dict[str, SimItem] = {}
        self.jobs: dict[str, SimJob] = {}
        self.events: list[dict[str, Any]] = []
        self.plans: dict[str, list[str]] = {}
        # the subscription's resource groups, networks and storage accounts (Prepare Azure adds to them)
        from asr_console.sim.arm_resources import initial_estate

        self.targets: TargetEstate = initial_estate()
        # as a real modernized vault: InMageRcm containers list no protectable items, the machines are
        # read from the fabric's Azure Migrate site instead
        self.modernized_discovery = modernized_discovery
        self.fail_next_codes: dict[str, str] = {}  # scenario → catalog error its next job fails with
        # VMs whose Mobility agent a push install put in place (enable); disabling leaves it installed
        self.pushed_agents: dict[str, str] = {}  # VM moref → agent version

    @property
    def now(self) -> datetime:
        return self.clock.at(self.elapsed)

    # ================================================================== helpers

    def fabric(self, name: str) -> SimFabric:
        fabric = self.fabrics.get(name)
        if fabric is None:
            raise not_found("Fabric", name)
        return fabric

    def policy(self, name: str) -> SimPolicy:
        policy = self.policies.get(name)
        if policy is None:
            raise not_found("Replication policy", name)
        return policy

    def item(self, fabric: str, container: str, name: str) -> SimItem:
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
        return self.item(fabric, container, name)

    def job(self, name: str) -> SimJob:
        job = self.jobs.get(name)
        if job is None:
            raise not_found("Job", name)
        return job

    def render(self, item: SimItem) -> dict[str, Any]:
        policy = self.policies.get(item.policy)
        return item.to_arm(
            self.clock, self.elapsed, self.scope, policy.name if policy else item.policy, health_error
        )

    def render_plan(self, name: str) -> dict[str, Any]:
        members = [self.items[n] for n in self.plans[name] if n in self.items]
        fabric = members[0].fabric if members else next(iter(self.fabrics))
        scenario = "None"
        allowed = (
            [Operation.TEST_FAILOVER.asr_name, Operation.UNPLANNED_FAILOVER.asr_name]
            if members and all(Operation.TEST_FAILOVER.asr_name in m.allowed for m in members)
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

    def mobility_agents(self) -> dict[str, str]:
        """VM moref → the Mobility agent version in its guest, for the VMs that have one: a replicating
        VM's item's, one pushed by an earlier enable, or one an admin installed by hand before enabling
        (about a third of the rest)."""
        out = {
            vm.moref: v for vm in self.estate.vms.values() if (v := hand_installed_agent(vm.instance_uuid))
        }
        out.update(self.pushed_agents)
        out.update({i.vm_moref: i.agent_version for i in self.items.values()})
        return out

    def protectable_name(self, fabric: SimFabric, instance_uuid: str) -> str:
        # Azure Migrate names a discovered VMware machine "<vCenter>_<VM instance UUID>"
        return f"{fabric.vcenter}_{instance_uuid}"

    def rp_name(self, item: SimItem, t: float) -> str:
        digest = hashlib.sha1(f"{item.name}/{t:.0f}".encode()).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    def latest_rp_id(self, item: SimItem) -> str:
        if item.last_rp is None:
            return ""
        points = recovery_points(item, self.elapsed, 0, 60)
        if not points:
            return ""
        item_id = self.scope.item_id(item.fabric, item.container, item.name)
        return f"{item_id}/recoveryPoints/{self.rp_name(item, points[0][0])}"

    def check_recovery_point(self, item: SimItem, rp: str, where: str) -> list[FieldProblem]:
        if not rp:
            return []
        policy = self.policies.get(item.policy)
        app = policy.app_minutes if policy else 60
        retention = policy.retention_minutes if policy else 4320
        names = {self.rp_name(item, t) for t, _ in recovery_points(item, self.elapsed, app, retention)}
        if rp.rstrip("/").rsplit("/", 1)[-1] not in names:
            return [
                FieldProblem(where, f"recovery point '{rp}' does not exist (or is past the retention window)")
            ]
        return []

    def set_scenario(self, item: SimItem, scenario: str, job: SimJob) -> None:
        item.scenario = scenario
        item.scenario_job = job.name
        item.scenario_start = job.start

    def clear_scenario(self, item: SimItem) -> None:
        item.scenario = "None"
        item.scenario_job = ""
        item.scenario_start = None

    def item_job(
        self,
        item: SimItem,
        scenario: str,
        start: Callable[[], None] | None,
        done: Callable[[], None],
        undo: Callable[[], None],
        *,
        fail: str = "",
        failed: Callable[[], None] | None = None,
    ) -> str:
        """Start ``scenario``'s job on ``item``: ``done`` when it succeeds, ``undo`` when it is cancelled
        or fails (``failed`` instead, if given, when it fails); it fails with ``fail`` (a catalog code),
        or with a code a test injected."""
        fail = fail or self.fail_next_codes.pop(scenario, "")

        def begin() -> None:
            if start:
                start()
            self.set_scenario(item, scenario, job)

        job = self.start_job(
            scenario,
            self.scope.item_id(item.fabric, item.container, item.name),
            item.friendly_name,
            "ProtectionEntity",
            done,
            fail=fail,
            on_start=begin,
        )
        job.on_failure = failed or undo
        job.on_cancel = undo
        job.result = lambda: self.render(item) if item.name in self.items else None
        begin()
        return job.name

    def start_job(
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

    def restarted_job(self, job: SimJob) -> SimJob:
        """A failed or cancelled job run again under a new name, with the same target and effects."""
        again = dataclasses.replace(
            job,
            name=seeded_uuid(self.rng),
            start=self.elapsed,
            end=None,
            state="InProgress",
            fail_code="",
            ended_at_task=-1,
            result=None,
            rev=0,
        )
        self.jobs[again.name] = again
        if again.on_start:
            again.on_start()
        # the item's current scenario names the job that runs it now
        for item in self.items.values():
            if item.scenario_job == job.name:
                item.scenario_job = again.name
        return again

    def advance_jobs(self, elapsed: float) -> None:
        for job in list(self.jobs.values()):
            if job.running and job.advance(elapsed):
                self.job_event(job)

    def job_event(self, job: SimJob) -> None:
        at = job.end if job.end is not None else self.elapsed
        severity = {"Succeeded": "OK", "Failed": "Critical", "Cancelled": "Warning"}.get(job.state, "OK")
        self.event(
            at,
            f"{job.scenario} - {job.state}",
            "JobStatus",
            job.target_object_name,
            severity,
            job.target_object_id.split("/replicationProtectionContainers/")[0],
            [],
        )

    def event(
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

    def new_item(
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
        protectable = self.protectable_name(fabric, vm.instance_uuid)
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
            nic_id=vm.nics[0].mac if vm.nics else "",
            created=self.elapsed,
            ir_rate=self.rng.uniform(0.4, 2.5),
            bandwidth_kbps=self.rng.uniform(6_000, 40_000),
            agent_version=self.rng.choice(AGENT_VERSIONS) if fabric.provider == CLASSIC else AGENT_LATEST,
        )
