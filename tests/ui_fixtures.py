"""A small, fixed site for UI tests: records straight into a Store, a frozen clock, the real
``Settings``, and a fake ``RecoveryService`` under the real ``Actions`` (so read-only, audit events and
InvalidInput behave as in production, and "nothing was sent" is checked on the service's call log)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from textual.notifications import SeverityLevel
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Select

from asr_console import app as app_module
from asr_console.actions import Actions
from asr_console.app import PANES, AsrConsoleApp
from asr_console.config import Settings
from asr_console.model.doctor import REQUIRED_PROVIDERS
from asr_console.model.errors import NotFound
from asr_console.model.listed import Listed
from asr_console.model.operations import Operation, OperationInputs, OperationShorthands
from asr_console.model.protocols import Infrastructure, RecoveryService
from asr_console.model.records import (
    ChurnSample,
    Cluster,
    ContainerMapping,
    Datacenter,
    DiscoveredDisk,
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
    ComputeNetworkSpec,
    EnableReplicationSpec,
    InvalidInput,
    PolicySpec,
    validate_enable,
    validate_policy,
)
from asr_console.model.store import Batch, Freshness, Store
from asr_console.model.targets import (
    ComputeSize,
    Permission,
    ResourceGroup,
    StorageAccount,
    Subnet,
    VirtualNetwork,
)
from asr_console.session import Session
from asr_console.widgets.tableview import TableView
from tests.waiting import wait_until

NOW = datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC)
MONO = 1000.0
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
VAULT = f"{SUB}/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/vault-dr"
FABRIC = f"{VAULT}/replicationFabrics/appliance-01"
CONTAINER = f"{FABRIC}/replicationProtectionContainers/cloud_01"
PS = f"{FABRIC}/processServers/ps-01"
# the Azure side the enable dialog's pickers list
TARGET_GROUPS = (
    ResourceGroup(id=f"{SUB}/resourceGroups/rg-dr-target", name="rg-dr-target", location="westeurope"),
    ResourceGroup(id=f"{SUB}/resourceGroups/rg-dr", name="rg-dr", location="westeurope"),
)
_NET = f"{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks"
TARGET_NETWORKS = (
    VirtualNetwork(
        id=f"{_NET}/vnet-prod",
        name="vnet-prod",
        resource_group="rg-net",
        location="westeurope",
        subnets=(
            Subnet(id=f"{_NET}/vnet-prod/subnets/snet-app", name="snet-app"),
            Subnet(id=f"{_NET}/vnet-prod/subnets/snet-db", name="snet-db"),
        ),
    ),
    VirtualNetwork(
        id=f"{_NET}/vnet-test",
        name="vnet-test",
        resource_group="rg-net",
        location="westeurope",
        subnets=(Subnet(id=f"{_NET}/vnet-test/subnets/snet-test", name="snet-test"),),
    ),
)
_ST = f"{SUB}/resourceGroups/rg-st/providers/Microsoft.Storage/storageAccounts"
TARGET_STORAGE = (
    StorageAccount(id=f"{_ST}/stcacheweu", name="stcacheweu", location="westeurope", sku="Standard_LRS"),
    StorageAccount(id=f"{_ST}/stcacheneu", name="stcacheneu", location="northeurope", sku="Standard_LRS"),
)
TARGET_SIZES = (
    ComputeSize(name="Standard_D2s_v3", cores=2, memory_gb=8.0),
    ComputeSize(name="Standard_D4s_v3", cores=4, memory_gb=16.0),
)


def item_id(n: int) -> str:
    return f"{CONTAINER}/replicationProtectedItems/item-{n:03d}"


def policy_id(name: str) -> str:
    return f"{VAULT}/replicationPolicies/{name}"


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
                # a Mobility agent installed by hand on some, none on the rest (a push install's work)
                agent_installed=n % 3 == 0,
                agent_version="9.62.7172.1" if n % 3 == 0 else "",
                disks=(
                    DiscoveredDisk(uuid=f"6000c290-0000-0000-0000-{n:06d}0001", label="Hard disk 1"),
                    DiscoveredDisk(uuid=f"6000c290-0000-0000-0000-{n:06d}0002", label="Hard disk 2"),
                ),
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
    # Freshness on a fixed clock so snapshots do not depend on when the test ran.
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


def test_settings(
    *, read_only: bool = False, theme: str = "dark", config_path: str = "", utc: bool = False
) -> Settings:
    """The real settings of a profile named "demo" on the fixed site's vault."""
    return Settings(
        profile="demo",
        vault="vault-dr",
        environment="TEST",
        environment_color="magenta",
        read_only=read_only,
        theme=theme,
        config_path=config_path,
        utc=utc,
    )


class FakeRecoveryService(OperationShorthands):
    """A ``RecoveryService`` on the fixed site: reads come from the store; writes validate like the
    real one, are recorded in ``calls`` (so "nothing was sent" is a check on the list) and return a
    running job. ``refusals[op]`` makes the next ``op`` raise that ``InvalidInput`` instead."""

    name = "asr"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: list[tuple[str | Operation, tuple[Any, ...]]] = []
        self.refusals: dict[str | Operation, InvalidInput] = {}
        self.jobs_started = 0

    # ------------------------------------------------------------------ reads

    async def vault(self) -> Vault:
        vault = next(iter(self.store.all(Vault)), None)
        if vault is None:
            raise NotFound("no vault")
        return vault

    async def infrastructure(self) -> Infrastructure:
        return Infrastructure(
            fabrics=self.store.all(Fabric),
            process_servers=self.store.all(ProcessServer),
            vcenters=self.store.all(VCenterRegistration),
            containers=self.store.all(ProtectionContainer),
            mappings=self.store.all(ContainerMapping),
        )

    async def policies(self) -> Listed[Policy]:
        return Listed(self.store.all(Policy))

    async def protectable_items(self) -> Listed[ProtectableItem]:
        return Listed(self.store.all(ProtectableItem))

    async def protected_items(self) -> Listed[ProtectedItem]:
        return Listed(self.store.all(ProtectedItem))

    async def protected_item(self, item_id: str) -> ProtectedItem:
        item = self.store.typed(ProtectedItem, item_id)
        if item is None:
            raise NotFound(item_id)
        return item

    async def recovery_points(self, item_id: str) -> Listed[RecoveryPoint]:
        return Listed(r for r in self.store.all(RecoveryPoint) if r.item_id == item_id)

    async def jobs(self, *, since: datetime | None = None, state: str | None = None) -> Listed[Job]:
        return Listed(
            j
            for j in self.store.all(Job)
            if (since is None or (j.start is not None and j.start >= since)) and state in (None, j.state)
        )

    async def job(self, job_id: str) -> Job:
        job = self.store.typed(Job, job_id)
        if job is None:
            raise NotFound(job_id)
        return job

    async def recovery_plans(self) -> Listed[RecoveryPlan]:
        return Listed(self.store.all(RecoveryPlan))

    async def events(self, *, since: datetime | None = None) -> Listed[Event]:
        return Listed(e for e in self.store.all(Event) if since is None or e.time >= since)

    async def resource_groups(self) -> Listed[ResourceGroup]:
        return Listed(TARGET_GROUPS)

    async def virtual_networks(self) -> Listed[VirtualNetwork]:
        return Listed(TARGET_NETWORKS)

    async def storage_accounts(self) -> Listed[StorageAccount]:
        return Listed(TARGET_STORAGE)

    async def target_compute_sizes(self, item_id: str) -> Listed[ComputeSize]:
        return Listed(TARGET_SIZES)

    async def permissions(self, scope_id: str) -> list[Permission]:
        return [Permission(actions=("*",))]  # the fixed site's caller is an owner

    async def provider_states(self) -> dict[str, str]:
        return dict.fromkeys(REQUIRED_PROVIDERS, "Registered")

    # ------------------------------------------------------------------ writes

    async def _record(self, op: str | Operation, target: str, *args: Any) -> Job:
        refusal = self.refusals.pop(op, None)
        if refusal is not None:
            raise refusal
        self.calls.append((op, args))
        self.jobs_started += 1
        n = self.jobs_started
        display = op.label if isinstance(op, Operation) else op.replace("_", " ").capitalize()
        scenario = op.action if isinstance(op, Operation) else op
        item = self.store.typed(ProtectedItem, target)
        return Job(
            id=f"{VAULT}/replicationJobs/new-{n}",
            name=f"new-{n}",
            display_name=display,
            scenario=scenario,
            state="InProgress",
            start=NOW,
            target_object_id=target,
            target_object_name=item.display_name if item else target.rsplit("/", 1)[-1],
            tasks=(
                JobTask(name="t1", friendly_name="Prerequisites check", state="InProgress"),
                JobTask(name="t2", friendly_name=display, state=""),
            ),
        )

    async def create_policy(self, spec: PolicySpec) -> Job:
        errors = validate_policy(spec)
        if errors:
            raise InvalidInput(errors)
        return await self._record("create_policy", "create_policy", spec)

    async def update_policy(self, policy_id: str, spec: PolicySpec) -> Job:
        errors = validate_policy(spec)
        if errors:
            raise InvalidInput(errors)
        return await self._record("update_policy", policy_id, policy_id, spec)

    async def delete_policy(self, policy_id: str) -> Job:
        return await self._record("delete_policy", policy_id, policy_id)

    async def associate_policy(self, policy_id: str, container_id: str) -> Job:
        return await self._record("associate_policy", policy_id, policy_id, container_id)

    async def dissociate_policy(self, mapping_id: str) -> Job:
        return await self._record("dissociate_policy", mapping_id, mapping_id)

    async def update_mapping(self, mapping_id: str, auto_upgrade: bool) -> Job:
        return await self._record("update_mapping", mapping_id, mapping_id, auto_upgrade)

    async def enable_replication(self, spec: EnableReplicationSpec) -> Job:
        errors = validate_enable(spec)
        if errors:
            raise InvalidInput(errors)
        return await self._record(
            "enable_replication", spec.protectable_item_id, spec.protectable_item_id, spec
        )

    async def update_item(self, spec: ComputeNetworkSpec) -> Job:
        return await self._record(Operation.UPDATE_ITEM, spec.item_id, spec.item_id, spec)

    async def operate(self, op: Operation, target_id: str, given: OperationInputs) -> Job:
        return await self._record(op, target_id, target_id, given)

    async def close(self) -> None:
        pass

    # ------------------------------------------------------------------ test control

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


# mypy checks here that the fake is a whole RecoveryService: a missing or mistyped method fails typing.
_FAKE_IS_A_SERVICE: type[RecoveryService] = FakeRecoveryService


class ConsoleTestApp(AsrConsoleApp):
    """The console as the tests drive it, with what they observe: the fake service behind the real
    ``Actions``, and every notification the console showed."""

    # Textual reads a relative CSS_PATH beside the subclass's module: name the console's own file.
    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def __init__(self, session: Session, service: FakeRecoveryService, *, no_color: bool) -> None:
        self.notifications: list[str] = []
        super().__init__(session, monotonic=lambda: MONO, no_color=no_color)
        self.service = service

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        self.notifications.append(message)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)


def make_test_app(
    *,
    read_only: bool = False,
    theme: str = "dark",
    store: Store | None = None,
    clock: Callable[[], datetime] | None = None,
    config_path: str = "",
    no_color: bool = False,
    utc: bool = False,
) -> ConsoleTestApp:
    """The console on the fixed site through ``make_app``'s path: real ``Settings``, ``Store`` and
    ``Actions``; no sync engine (nothing polls: the store holds the site)."""
    store = store or build_store()
    settings = test_settings(read_only=read_only, theme=theme, config_path=config_path, utc=utc)
    service = FakeRecoveryService(store)
    actions = Actions(service, store, read_only=read_only)
    session = Session(settings, store, None, actions, service, None, clock=clock or (lambda: NOW))
    return ConsoleTestApp(session, service, no_color=no_color)


V = TypeVar("V", bound=TableView)


async def open_pane(pilot: Pilot[None], app: AsrConsoleApp, mode: str, view: type[V], rows: int) -> V:
    """Switch to a pane by its number key and wait until its view shows ``rows`` rows."""
    await pilot.press(PANES[mode][0])
    await wait_until(lambda: app.current_mode == mode, pilot=pilot)
    found = app.screen.query_one(view)
    await wait_until(lambda: found.table.row_count == rows, pilot=pilot, what=f"{rows} rows in {mode}")
    return found


S = TypeVar("S", bound=Screen[Any])


def screen_as(app: AsrConsoleApp, cls: type[S]) -> S:
    """The current screen, which the test expects to be a ``cls``."""
    screen = app.screen
    assert isinstance(screen, cls), f"on {type(screen).__name__}, not {cls.__name__}"
    return screen


def select_values(select: Select[Any]) -> list[object]:
    """The values a ``Select`` offers, blank excluded. Textual keeps them only in ``_options`` (no
    public read; its overlay holds the labels, not the values): this is the one place tests read it."""
    return [value for _label, value in select._options if value is not Select.NULL]


def screen_name(app: AsrConsoleApp) -> str:
    return type(app.screen).__name__


async def confirm_with_y(pilot: Pilot[None], app: ConsoleTestApp) -> str:
    """On the `y` confirmation of a write: check that Enter and Tab send nothing and leave it open,
    then press y. Returns the plan it showed."""
    await wait_until(lambda: screen_name(app) == "ConfirmScreen", pilot=pilot, what="the confirmation")
    plan = str(app.screen.query_one("#confirm-plan").render())
    calls = len(app.service.calls)
    await pilot.press("enter", "tab", "enter")
    await pilot.pause()
    assert screen_name(app) == "ConfirmScreen" and len(app.service.calls) == calls
    await pilot.press("y")
    return plan


def live_actions(app: AsrConsoleApp) -> set[str]:
    """The actions the current screen's keys run now (what the footer and ``?`` show)."""
    return {active.binding.action for active in app.screen.active_bindings.values()}


__all__ = ["NOW", "Kind", "build_store", "make_test_app", "open_pane", "screen_name"]
