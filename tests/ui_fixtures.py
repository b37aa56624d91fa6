"""A small, fixed site for UI tests: records straight into a Store, a frozen clock, and a recording
RecoveryService under the real ``Actions`` (so read-only, audit events and InvalidInput behave as in
production, and "nothing was sent" is checked on the service's call log)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from asr_console.actions import Actions
from asr_console.model.operations import Operation, OperationInputs
from asr_console.model.records import (
    ChurnSample,
    Cluster,
    ContainerMapping,
    Datacenter,
    Disk,
    Event,
    EventSource,
    Fabric,
    FabricKind,
    Health,
    HealthError,
    Host,
    Job,
    JobError,
    JobTask,
    Kind,
    Nic,
    Policy,
    PolicySettings,
    ProcessServer,
    ProtectableItem,
    ProtectedItem,
    ProtectionContainer,
    Provider,
    RecoveryPlan,
    RecoveryPoint,
    Vault,
    VCenterRegistration,
    VirtualMachine,
)
from asr_console.model.specs import (
    EnableReplicationSpec,
    InvalidInput,
    PolicySpec,
    RecoveryPointChoice,
    validate_enable,
    validate_policy,
)
from asr_console.model.store import Batch, Freshness, Store

NOW = datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC)
MONO = 1000.0
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
VAULT = f"{SUB}/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/vault-dr"
FABRIC = f"{VAULT}/replicationFabrics/appliance-01"
CONTAINER = f"{FABRIC}/replicationProtectionContainers/cloud_01"
PS = f"{FABRIC}/processServers/ps-01"


def item_id(n: int) -> str:
    return f"{CONTAINER}/replicationProtectedItems/item-{n:03d}"


def policy_id(name: str) -> str:
    return f"{VAULT}/replicationPolicies/{name}"


@dataclass
class Settings:
    """Stands in for ``asr_console.config.Settings`` (the attributes the app reads)."""

    profile: str = "demo"
    vault: str = "vault-dr"
    environment: str = "TEST"
    environment_color: str = "magenta"
    read_only: bool = False
    theme: str = "dark"
    config_path: str = ""
    saved_themes: list[str] = field(default_factory=list)

    def save_theme(self, theme: str) -> None:
        self.saved_themes.append(theme)


def _vm(n: int, host: Host, cluster: str, dc: str) -> VirtualMachine:
    windows = n % 3 == 0
    return VirtualMachine(
        moref=f"vm-{n}",
        name=f"app-{n:03d}",
        power_state="poweredOff" if n % 7 == 6 else "poweredOn",
        guest_id="windows2019srv_64Guest" if windows else "rhel8_64Guest",
        guest_full_name="Microsoft Windows Server 2019" if windows else "Red Hat Enterprise Linux 8",
        firmware="efi" if n % 5 == 0 else "bios",
        num_cpu=2 + n % 4 * 2,
        memory_mb=4096 * (1 + n % 4),
        bios_uuid=f"4210{n:04d}-0000-0000-0000-{n:012d}",
        instance_uuid=f"5010{n:04d}-0000-0000-0000-{n:012d}",
        tools_status="toolsOk",
        host=host.moref,
        cluster=cluster,
        datacenter=dc,
        folder_path=f"/{dc}/vm/apps",
        disks=(
            Disk(key=2000, label="Hard disk 1", capacity_bytes=(60 + n) * 1024**3, datastore="ds-01"),
            Disk(key=2001, label="Hard disk 2", capacity_bytes=200 * 1024**3, thin=True, datastore="ds-02"),
        ),
        nics=(
            Nic(
                key=4000,
                label="Network adapter 1",
                network="VM Network",
                mac=f"00:50:56:00:00:{n:02x}",
                ips=(f"10.0.0.{n}",),
            ),
        ),
    )


def build_records() -> list[Any]:
    records: list[Any] = []
    dcs = [Datacenter(moref="datacenter-1", name="DC-East"), Datacenter(moref="datacenter-2", name="DC-West")]
    records += dcs
    clusters = [
        Cluster(moref="domain-c1", name="Prod", datacenter="datacenter-1"),
        Cluster(moref="domain-c2", name="Dev", datacenter="datacenter-1"),
        Cluster(moref="domain-c3", name="Edge", datacenter="datacenter-2"),
    ]
    records += clusters
    hosts = [
        Host(moref=f"host-{i}", name=f"esx{i:02d}.corp.example", datacenter=c.datacenter, cluster=c.moref)
        for i, c in enumerate(clusters * 2, start=1)
    ]
    records += hosts
    vms = []
    for n in range(1, 31):
        host = hosts[n % len(hosts)]
        vms.append(_vm(n, host, host.cluster or "", host.datacenter))
    records += vms
    records += [
        ChurnSample(moref=vm.moref, samples=((NOW - timedelta(seconds=20), 512.0 * (i % 5)),))
        for i, vm in enumerate(vms)
        if vm.power_state == "poweredOn"
    ]
    records.append(
        Vault(id=VAULT, name="vault-dr", subscription=SUB, resource_group="rg-dr", location="westeurope")
    )
    records.append(
        Fabric(
            id=FABRIC,
            name="appliance-01",
            friendly_name="appliance-01",
            kind=FabricKind.APPLIANCE,
            health=Health.NORMAL,
            last_heartbeat=NOW - timedelta(seconds=40),
            server_version="9.63",
        )
    )
    records.append(
        ProcessServer(
            id=PS,
            name="ps-01",
            fabric_id=FABRIC,
            ip_address="10.0.9.5",
            health=Health.WARNING,
            last_heartbeat=NOW - timedelta(minutes=2),
            version="9.63",
            cpu_percent=71.0,
            memory_percent=55.0,
            free_space_percent=30.0,
            protected_item_count=12,
            health_errors=(
                HealthError(
                    code="806",
                    message="No heartbeat from the process server",
                    possible_causes="Service stopped",
                    recommended_action="Restart the service",
                ),
            ),
        )
    )
    records.append(
        VCenterRegistration(
            id=f"{FABRIC}/replicationvCenters/vc01",
            name="vc01",
            fabric_id=FABRIC,
            address="vc01.corp.example",
            discovery_status="Discovered",
            last_heartbeat=NOW - timedelta(minutes=1),
        )
    )
    records.append(
        ProtectionContainer(id=CONTAINER, name="cloud_01", fabric_id=FABRIC, friendly_name="appliance-01")
    )
    gold = Policy(
        id=policy_id("gold"),
        name="gold",
        provider=Provider.INMAGE_RCM,
        provider_name="InMageRcm",
        settings=PolicySettings(recovery_point_history_minutes=4320, app_consistent_frequency_minutes=240),
    )
    classic = Policy(
        id=policy_id("classic-24h"),
        name="classic-24h",
        provider=Provider.INMAGE_AZURE_V2,
        provider_name="InMageAzureV2",
        settings=PolicySettings(
            recovery_point_history_minutes=1440, app_consistent_frequency_minutes=60, rpo_threshold_minutes=30
        ),
    )
    records += [gold, classic]
    records.append(
        ContainerMapping(
            id=f"{CONTAINER}/replicationProtectionContainerMappings/map-gold",
            name="map-gold",
            container_id=CONTAINER,
            policy_id=gold.id,
            state="Paired",
            health=Health.NORMAL,
        )
    )
    for n in range(1, 13):
        vm = vms[n - 1]
        health = Health.NORMAL
        errors: tuple[HealthError, ...] = ()
        if n in (3, 8):
            health = Health.CRITICAL
            errors = (
                HealthError(
                    code="78188",
                    message="High data change rate on the source",
                    possible_causes="Churn above the disk's limit",
                    recommended_action="Use premium disks or spread the load",
                    severity="Critical",
                    created_at=NOW - timedelta(hours=1),
                ),
            )
        elif n in (5, 11):
            health = Health.WARNING
            errors = (
                HealthError(
                    code="78144",
                    message="No app-consistent recovery point in the last 240 minutes",
                    possible_causes="VSS failures",
                    recommended_action="Check the VSS writers",
                    severity="Warning",
                ),
            )
        failed_over = n == 12
        ops = (
            ("Commit", "ChangePit")
            if failed_over
            else (
                ("TestFailoverCleanup",)
                if n == 10
                else ("TestFailover", "UnplannedFailover", "RepairReplication", "DisableProtection")
            )
        )
        records.append(
            ProtectedItem(
                id=item_id(n),
                name=f"item-{n:03d}",
                friendly_name=vm.name,
                fabric_id=FABRIC,
                container_id=CONTAINER,
                provider=Provider.INMAGE_RCM,
                provider_name="InMageRcm",
                replication_health=health,
                protection_state="FailedOver" if failed_over else "Protected",
                protection_state_description="Failover completed" if failed_over else "Protected",
                policy_id=gold.id,
                policy_name=gold.name,
                rpo_seconds=[120, 300, 5400, 45, 3000, 60, 90, 7200, 30, 240, 2400, 600][n - 1],
                last_recovery_point=NOW - timedelta(minutes=n),
                initial_replication_percent=100 if n != 7 else 42,
                resync_required=n == 9,
                resync_progress_percent=35 if n == 9 else None,
                agent_version="9.62.7096.1",
                agent_latest_version="9.63.7187.1",
                agent_upgradeable=n % 4 == 0,
                agent_heartbeat=NOW - timedelta(seconds=30 * n),
                test_failover_state="WaitingForCompletion" if n == 10 else "",
                last_successful_test_failover=NOW - timedelta(days=n) if n % 2 else None,
                allowed_operations=ops,
                health_errors=errors,
                process_server_id=PS,
                process_server_name="ps-01",
                source_bios_uuid=vm.bios_uuid,
                recovery_vm_name=vm.name,
            )
        )
        for k in range(3):
            records.append(
                RecoveryPoint(
                    id=f"{item_id(n)}/recoveryPoints/rp-{k}",
                    name=f"rp-{k}",
                    item_id=item_id(n),
                    time=NOW - timedelta(minutes=5 * (k + 1)),
                    type="AppConsistent" if k == 2 else "CrashConsistent",
                )
            )
    for n in range(13, 19):
        records.append(
            ProtectableItem(
                id=f"{CONTAINER}/replicationProtectableItems/pi-{n}",
                name=f"pi-{n}",
                container_id=CONTAINER,
                friendly_name=f"app-{n:03d}",
                machine_id=f"disc-{n}",
                os_type="Linux",
                disk_count=2,
            )
        )
    records += [
        Job(
            id=f"{VAULT}/replicationJobs/job-1",
            name="job-1",
            display_name="Test failover",
            scenario="TestFailover",
            state="Succeeded",
            start=NOW - timedelta(hours=2),
            end=NOW - timedelta(hours=1, minutes=50),
            target_object_id=item_id(10),
            target_object_name="app-010",
            tasks=(
                JobTask(name="t1", friendly_name="Prerequisites check for test failover", state="Succeeded"),
                JobTask(name="t2", friendly_name="Create test virtual machine", state="Succeeded"),
            ),
        ),
        Job(
            id=f"{VAULT}/replicationJobs/job-2",
            name="job-2",
            display_name="Enable replication",
            scenario="EnableDr",
            state="InProgress",
            start=NOW - timedelta(minutes=12),
            target_object_id=item_id(7),
            target_object_name="app-007",
            allowed_actions=("Cancel",),
            tasks=(
                JobTask(name="t1", friendly_name="Prerequisites check", state="Succeeded"),
                JobTask(name="t2", friendly_name="Identifying replication target", state="InProgress"),
                JobTask(name="t3", friendly_name="Enable replication", state=""),
            ),
        ),
        Job(
            id=f"{VAULT}/replicationJobs/job-3",
            name="job-3",
            display_name="Resynchronize",
            scenario="Resync",
            state="Failed",
            start=NOW - timedelta(hours=5),
            end=NOW - timedelta(hours=4, minutes=58),
            target_object_id=item_id(9),
            target_object_name="app-009",
            allowed_actions=("Restart",),
            errors=(
                JobError(
                    code="78052",
                    message="Resync could not start",
                    possible_causes="Process server busy",
                    recommended_action="Retry later",
                ),
            ),
        ),
    ]
    records.append(
        RecoveryPlan(
            id=f"{VAULT}/replicationRecoveryPlans/rp-web",
            name="rp-web",
            friendly_name="web tier",
            item_ids=(item_id(1), item_id(2)),
            allowed_operations=("TestFailover", "UnplannedFailover"),
        )
    )
    records += [
        Event(
            id=f"ev-{i}",
            time=NOW - timedelta(minutes=i * 3),
            source=[EventSource.VCENTER, EventSource.ASR][i % 2],
            message=["VM powered on", "Replication health changed to Critical"][i % 2],
            severity=["info", "error"][i % 2],
            entity_name=f"app-{i:03d}",
        )
        for i in range(1, 9)
    ]
    return records


def build_store() -> Store:
    store = Store()
    store.apply(Batch().upsert(*build_records()))
    # Freshness with a fixed clock so snapshots do not depend on when the test ran.
    for stream in ("asr-items", "asr-jobs"):
        store.set_freshness(
            Freshness(
                stream=stream, source="asr", last_success=NOW, last_success_monotonic=MONO - 4, stale=False
            )
        )
    store.set_freshness(
        Freshness(
            stream="vcenter-inventory",
            source="vcenter",
            last_success=NOW,
            last_success_monotonic=MONO - 95,
            last_error="Unreachable: timed out",
            stale=True,
        )
    )
    return store


class RecordingService:
    """The write half of ``RecoveryService``: validates like the real one, records, returns a job."""

    name = "asr"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: list[tuple[str | Operation, tuple[Any, ...]]] = []
        self._n = 0

    def _job(self, op: str, target: str, display: str) -> Job:
        self._n += 1
        item = self.store.typed(ProtectedItem, target)
        job = Job(
            id=f"{VAULT}/replicationJobs/new-{self._n}",
            name=f"new-{self._n}",
            display_name=display,
            scenario=op,
            state="InProgress",
            start=NOW,
            target_object_id=target,
            target_object_name=item.display_name if item else target.rsplit("/", 1)[-1],
            tasks=(
                JobTask(name="t1", friendly_name="Prerequisites check", state="InProgress"),
                JobTask(name="t2", friendly_name=display, state=""),
            ),
        )
        return job

    async def _record(self, op: str | Operation, *args: Any) -> Job:
        self.calls.append((op, args))
        name = op.action if isinstance(op, Operation) else op
        target = args[0] if args and isinstance(args[0], str) else name
        display = op.label if isinstance(op, Operation) else name.replace("_", " ").capitalize()
        return self._job(name, target, display)

    async def operate(self, op: Operation, target_id: str, given: OperationInputs) -> Job:
        return await self._record(op, target_id, given)

    async def create_policy(self, spec: PolicySpec) -> Job:
        errors = validate_policy(spec)
        if errors:
            raise InvalidInput(errors)
        return await self._record("create_policy", spec)

    async def update_policy(self, policy_id: str, spec: PolicySpec) -> Job:
        errors = validate_policy(spec)
        if errors:
            raise InvalidInput(errors)
        return await self._record("update_policy", policy_id, spec)

    async def enable_replication(self, spec: EnableReplicationSpec) -> Job:
        errors = validate_enable(spec)
        if errors:
            raise InvalidInput(errors)
        return await self._record("enable_replication", spec.protectable_item_id, spec)

    async def test_failover(self, item_id: str, rp: RecoveryPointChoice, network_id: str) -> Job:
        return await self._record("test_failover", item_id, rp, network_id)

    async def recovery_points(self, item_id: str) -> list[RecoveryPoint]:
        return [r for r in self.store.all(RecoveryPoint) if r.item_id == item_id]

    def __getattr__(self, op: str) -> Any:
        if op.startswith("_"):
            raise AttributeError(op)

        async def call(*args: Any) -> Job:
            return await self._record(op, *args)

        return call

    def complete(self, job_id: str) -> None:
        """Move a job to Succeeded with all tasks done, as the jobs stream would."""
        job = self.store.typed(Job, job_id)
        assert job is not None
        done = tuple(dataclasses.replace(t, state="Succeeded") for t in job.tasks)
        self.store.apply(
            Batch().upsert(
                dataclasses.replace(job, state="Succeeded", tasks=done, end=NOW + timedelta(minutes=5))
            )
        )


def build_actions(store: Store, *, read_only: bool = False) -> tuple[Actions, RecordingService]:
    service = RecordingService(store)
    return Actions(service, store, read_only=read_only), service  # type: ignore[arg-type]


def make_test_app(*, read_only: bool = False, theme: str = "dark", store: Store | None = None) -> Any:
    from asr_console.app import make_app

    store = store or build_store()
    actions, service = build_actions(store, read_only=read_only)
    settings = Settings(read_only=read_only, theme=theme)
    app = make_app(settings, store, None, actions, clock=lambda: NOW, monotonic=lambda: MONO, no_color=False)
    app.test_service = service  # type: ignore[attr-defined]
    return app


__all__ = ["NOW", "Kind", "build_store", "make_test_app"]
