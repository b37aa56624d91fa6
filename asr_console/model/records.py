"""Immutable records of the vCenter and ASR sides.

Records are plain frozen dataclasses: sources build them from SDK or pyvmomi objects, the store keeps
them keyed by ARM id or vCenter moref, and nothing mutates them afterwards (``dataclasses.replace``
makes a changed copy). Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar


class Kind(StrEnum):
    """The collections of the store, one per record type."""

    DATACENTER = "datacenter"
    CLUSTER = "cluster"
    HOST = "host"
    DATASTORE = "datastore"
    NETWORK = "network"
    VM = "vm"
    CHURN = "churn"
    VAULT = "vault"
    FABRIC = "fabric"
    PROCESS_SERVER = "process_server"
    VCENTER = "vcenter"
    CONTAINER = "container"
    POLICY = "policy"
    MAPPING = "mapping"
    PROTECTABLE = "protectable"
    PROTECTED_ITEM = "protected_item"
    RECOVERY_POINT = "recovery_point"
    JOB = "job"
    RECOVERY_PLAN = "recovery_plan"
    EVENT = "event"


class Health(StrEnum):
    """Replication health as ASR reports it, plus UNKNOWN for anything else."""

    NORMAL = "Normal"
    WARNING = "Warning"
    CRITICAL = "Critical"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, value: str | None) -> Health:
        for member in cls:
            if value and value.lower() == member.value.lower():
                return member
        return cls.UNKNOWN


# The providers an item replicates with from Azure back to VMware (after a re-protect): the
# modernized stack's failback and the classic stack's re-protect.
FAILBACK_PROVIDERS = frozenset({"inmagercmfailback", "inmage"})
TO_AZURE = "→ Azure"
TO_VMWARE = "→ VMware"


class Provider(StrEnum):
    """Replication providers; VMware→Azure is InMageRcm (modernized) or InMageAzureV2 (classic)."""

    INMAGE_RCM = "InMageRcm"
    INMAGE_AZURE_V2 = "InMageAzureV2"
    OTHER = "Other"

    @classmethod
    def parse(cls, value: str | None) -> Provider:
        for member in (cls.INMAGE_RCM, cls.INMAGE_AZURE_V2):
            if value and value.lower() == member.value.lower():
                return member
        return cls.OTHER


# --------------------------------------------------------------------------- vCenter side


@dataclass(frozen=True, slots=True, kw_only=True)
class Datacenter:
    KIND: ClassVar[Kind] = Kind.DATACENTER
    moref: str
    name: str

    @property
    def key(self) -> str:
        return self.moref


@dataclass(frozen=True, slots=True, kw_only=True)
class Cluster:
    KIND: ClassVar[Kind] = Kind.CLUSTER
    moref: str
    name: str
    datacenter: str = ""  # datacenter moref

    @property
    def key(self) -> str:
        return self.moref


@dataclass(frozen=True, slots=True, kw_only=True)
class Host:
    KIND: ClassVar[Kind] = Kind.HOST
    moref: str
    name: str
    datacenter: str = ""
    cluster: str | None = None  # cluster moref; None for a standalone host
    connection_state: str = "connected"
    maintenance_mode: bool = False
    version: str = ""

    @property
    def key(self) -> str:
        return self.moref


@dataclass(frozen=True, slots=True, kw_only=True)
class Datastore:
    KIND: ClassVar[Kind] = Kind.DATASTORE
    moref: str
    name: str
    datacenter: str = ""
    type: str = ""
    capacity_bytes: int = 0
    free_bytes: int = 0

    @property
    def key(self) -> str:
        return self.moref


@dataclass(frozen=True, slots=True, kw_only=True)
class Network:
    KIND: ClassVar[Kind] = Kind.NETWORK
    moref: str
    name: str
    datacenter: str = ""
    kind: str = "Network"  # or DistributedVirtualPortgroup, OpaqueNetwork

    @property
    def key(self) -> str:
        return self.moref


@dataclass(frozen=True, slots=True, kw_only=True)
class Disk:
    key: int
    label: str
    capacity_bytes: int
    thin: bool = False
    # vSphere disk mode: persistent, independent_persistent, independent_nonpersistent, ...
    mode: str = "persistent"
    rdm: bool = False
    sharing: str = "sharingNone"
    datastore: str = ""

    @property
    def capacity_gb(self) -> float:
        return self.capacity_bytes / 1024**3

    @property
    def independent(self) -> bool:
        return self.mode.startswith("independent")


@dataclass(frozen=True, slots=True, kw_only=True)
class Nic:
    key: int
    label: str
    network: str = ""  # network name as vCenter shows it
    mac: str = ""
    ips: tuple[str, ...] = ()
    connected: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualMachine:
    KIND: ClassVar[Kind] = Kind.VM
    moref: str
    name: str
    power_state: str = "poweredOff"  # poweredOn, poweredOff, suspended
    guest_id: str = ""
    guest_full_name: str = ""
    firmware: str = "bios"  # bios or efi
    secure_boot: bool = False
    num_cpu: int = 0
    memory_mb: int = 0
    bios_uuid: str = ""
    instance_uuid: str = ""
    tools_status: str = ""
    host: str = ""  # host moref
    cluster: str = ""  # cluster moref
    datacenter: str = ""  # datacenter moref
    folder_path: str = ""
    template: bool = False
    disks: tuple[Disk, ...] = ()
    nics: tuple[Nic, ...] = ()
    # False while only the light first pass is loaded (devices and guest networking pending).
    details_loaded: bool = True

    @property
    def key(self) -> str:
        return self.moref

    @property
    def total_disk_bytes(self) -> int:
        return sum(d.capacity_bytes for d in self.disks)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChurnSample:
    """Recent disk write rates of one VM (KB/s), oldest first, from ``virtualDisk.write.average``."""

    KIND: ClassVar[Kind] = Kind.CHURN
    moref: str
    samples: tuple[tuple[datetime, float], ...] = ()
    # per virtual disk (vCenter's instance, e.g. scsi0:1): its write rates at the same sample times
    disk_samples: tuple[tuple[str, tuple[float, ...]], ...] = ()

    @property
    def key(self) -> str:
        return self.moref

    @property
    def latest_kbps(self) -> float | None:
        return self.samples[-1][1] if self.samples else None

    @property
    def peak_kbps(self) -> float | None:
        return max(s[1] for s in self.samples) if self.samples else None


# --------------------------------------------------------------------------- ASR side


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthError:
    code: str
    message: str
    possible_causes: str = ""
    recommended_action: str = ""
    severity: str = ""
    created_at: datetime | None = None
    entity: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Vault:
    KIND: ClassVar[Kind] = Kind.VAULT
    id: str
    name: str
    subscription: str = ""
    resource_group: str = ""
    location: str = ""
    # counts from the vault health endpoint
    protected_items_critical: int = 0
    protected_items_warning: int = 0
    fabrics_critical: int = 0
    health_errors: tuple[HealthError, ...] = ()

    @property
    def key(self) -> str:
        return self.id


class FabricKind(StrEnum):
    CONFIGURATION_SERVER = "configuration-server"
    APPLIANCE = "appliance"
    AZURE = "azure"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReprotectAgent:
    """An appliance's reprotect agent (InMageRcm failback): the datastores it can write to."""

    id: str
    name: str
    datastores: tuple[str, ...] = ()


class ComponentKind(StrEnum):
    """The appliance components an InMageRcm fabric lists, each in its own details list."""

    RCM_PROXY = "rcm-proxy"
    PUSH_INSTALLER = "push-installer"
    REPLICATION_AGENT = "replication-agent"
    REPROTECT_AGENT = "reprotect-agent"
    MARS_AGENT = "mars-agent"
    DRA = "dra"

    @property
    def label(self) -> str:
        return {
            ComponentKind.MARS_AGENT: "MARS agent",
            ComponentKind.DRA: "DRA",
            ComponentKind.RCM_PROXY: "RCM proxy",
        }.get(self, self.value.replace("-", " "))


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplianceComponent:
    """One component of a replication appliance as ASR reports it (health, heartbeat, version)."""

    kind: ComponentKind
    id: str
    name: str  # the appliance machine it runs on
    fabric_id: str
    version: str = ""
    health: Health = Health.UNKNOWN
    last_heartbeat: datetime | None = None
    health_errors: tuple[HealthError, ...] = ()

    @property
    def key(self) -> str:
        """Unique across fabrics and kinds: ASR may reuse an id for one machine's components."""
        return f"{self.fabric_id}/{self.kind.value}/{self.id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterTarget:
    """A classic configuration server's master target: where a re-protected VM's disks are written."""

    id: str
    name: str
    retention_volumes: tuple[str, ...] = ()
    datastores: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Fabric:
    KIND: ClassVar[Kind] = Kind.FABRIC
    id: str
    name: str
    friendly_name: str = ""
    kind: FabricKind = FabricKind.OTHER
    health: Health = Health.UNKNOWN
    last_heartbeat: datetime | None = None
    server_version: str = ""
    location: str = ""
    health_errors: tuple[HealthError, ...] = ()
    reprotect_agents: tuple[ReprotectAgent, ...] = ()  # appliances (InMageRcm)
    master_targets: tuple[MasterTarget, ...] = ()  # configuration servers (classic)
    components: tuple[ApplianceComponent, ...] = ()  # appliances (InMageRcm): RCM proxies, push installers …
    cert_expiry: datetime | None = None  # configuration servers (classic) report their SSL certificate's

    @property
    def key(self) -> str:
        return self.id

    @property
    def display_name(self) -> str:
        return self.friendly_name or self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessServer:
    KIND: ClassVar[Kind] = Kind.PROCESS_SERVER
    id: str
    name: str
    fabric_id: str
    ip_address: str = ""
    health: Health = Health.UNKNOWN
    last_heartbeat: datetime | None = None
    version: str = ""
    cpu_percent: float | None = None
    memory_percent: float | None = None
    free_space_percent: float | None = None
    throughput_mbps: float | None = None
    protected_item_count: int = 0
    health_errors: tuple[HealthError, ...] = ()
    cert_expiry: datetime | None = None  # reported by classic process servers only

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True, kw_only=True)
class VCenterRegistration:
    KIND: ClassVar[Kind] = Kind.VCENTER
    id: str
    name: str
    fabric_id: str
    address: str = ""
    port: str = "443"
    discovery_status: str = ""
    last_heartbeat: datetime | None = None
    health_errors: tuple[HealthError, ...] = ()

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectionContainer:
    KIND: ClassVar[Kind] = Kind.CONTAINER
    id: str
    name: str
    fabric_id: str
    friendly_name: str = ""
    fabric_type: str = ""
    protected_item_count: int = 0

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySettings:
    """Provider settings normalised to minutes and booleans.

    ``rpo_threshold_minutes`` is the classic provider's alert threshold; the modernized provider has
    none, so the console uses its default of 60 minutes for colouring (see ``effective_rpo_threshold``).
    """

    recovery_point_history_minutes: int = 4320
    app_consistent_frequency_minutes: int = 240
    crash_consistent_frequency_minutes: int = 5
    rpo_threshold_minutes: int | None = None
    multi_vm_sync: bool = False

    @property
    def effective_rpo_threshold_minutes(self) -> int:
        return self.rpo_threshold_minutes if self.rpo_threshold_minutes is not None else 60


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    KIND: ClassVar[Kind] = Kind.POLICY
    id: str
    name: str
    provider: Provider = Provider.OTHER
    provider_name: str = ""  # the raw instanceType, kept for other providers
    settings: PolicySettings = field(default_factory=PolicySettings)

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerMapping:
    KIND: ClassVar[Kind] = Kind.MAPPING
    id: str
    name: str
    container_id: str
    policy_id: str = ""
    target_container_id: str = ""
    state: str = ""
    health: Health = Health.UNKNOWN
    # InMageRcm: whether ASR keeps this container's Mobility agents up to date (None: not reported)
    agent_auto_upgrade: bool | None = None

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveredDisk:
    """A disk of a discovered machine: ``uuid`` is the id ASR takes for it."""

    uuid: str
    label: str = ""
    size_bytes: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectableItem:
    KIND: ClassVar[Kind] = Kind.PROTECTABLE
    id: str
    name: str
    container_id: str
    friendly_name: str = ""
    protection_status: str = "Unprotected"
    protected_item_id: str = ""
    # the discovery id ASR uses for enable replication (fabric_discovery_machine_id for InMageRcm)
    machine_id: str = ""
    os_type: str = ""
    disk_count: int = 0
    ip_address: str = ""
    # what the appliance discovered (a modernized vault's Azure Migrate site machine): the VM's ids, to
    # match it to its vCenter VM, and its disks, whose uuids are the disk ids enable replication sends
    instance_uuid: str = ""
    bios_guid: str = ""
    disks: tuple[DiscoveredDisk, ...] = ()
    # the port groups its NICs are on, as the appliance discovered them (what the network map maps)
    networks: tuple[str, ...] = ()
    # whether the Mobility agent is installed (None: the vault does not say); classic vaults report it
    # per protectable item, modernized ones list the agents registered with the appliance
    agent_installed: bool | None = None
    agent_version: str = ""

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectedItem:
    KIND: ClassVar[Kind] = Kind.PROTECTED_ITEM
    id: str
    name: str
    friendly_name: str = ""
    fabric_id: str = ""
    container_id: str = ""
    provider: Provider = Provider.OTHER
    provider_name: str = ""
    replication_health: Health = Health.UNKNOWN
    protection_state: str = ""
    protection_state_description: str = ""
    active_location: str = ""
    current_scenario: str = ""
    policy_id: str = ""
    policy_name: str = ""
    rpo_seconds: int | None = None
    rpo_computed_at: datetime | None = None
    last_recovery_point: datetime | None = None
    initial_replication_percent: int | None = None
    resync_required: bool = False
    resync_progress_percent: int | None = None
    agent_version: str = ""
    agent_latest_version: str = ""
    agent_heartbeat: datetime | None = None
    agent_upgradeable: bool = False
    test_failover_state: str = ""
    last_successful_test_failover: datetime | None = None
    last_successful_failover: datetime | None = None
    allowed_operations: tuple[str, ...] = ()
    health_errors: tuple[HealthError, ...] = ()
    process_server_id: str = ""
    process_server_name: str = ""
    source_bios_uuid: str = ""
    source_instance_uuid: str = ""
    source_ip: str = ""
    os_type: str = ""
    recovery_vm_name: str = ""
    recovery_network_id: str = ""  # the Azure virtual network the item fails over into
    test_network_id: str = ""  # the network of its last (or configured) test failover
    recovery_resource_group_id: str = ""
    log_storage_account_id: str = ""  # the cache storage account its disks replicate through
    reprotect_agent_id: str = ""  # failback (InMageRcmFailback): the agent writing to VMware
    datastore_name: str = ""  # failback: the datastore the VM's disks are written to
    last_used_policy_id: str = ""  # failback: the replication policy it used towards Azure
    # Compute & Network (InMageRcm): what ASR creates the Azure VM as, besides the name, network and
    # resource group above; the subnets are the primary NIC's, which ``primary_nic_id`` names
    recovery_vm_size: str = ""
    recovery_subnet: str = ""
    test_subnet: str = ""
    license_type: str = ""
    availability_zone: str = ""
    availability_set_id: str = ""
    primary_nic_id: str = ""

    @property
    def key(self) -> str:
        return self.id

    @property
    def display_name(self) -> str:
        return self.friendly_name or self.name

    @property
    def direction(self) -> str:
        """Which way the item replicates: the failback providers write from Azure to VMware."""
        if self.provider_name.lower() in FAILBACK_PROVIDERS:
            return TO_VMWARE
        return TO_AZURE if self.provider is not Provider.OTHER else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryPoint:
    KIND: ClassVar[Kind] = Kind.RECOVERY_POINT
    id: str
    name: str
    item_id: str
    time: datetime | None = None
    type: str = ""  # e.g. CrashConsistent, AppConsistent, as the provider reports
    multi_vm: bool = False  # a multi-VM sync point (consistent across the item's multi-VM group)

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True, kw_only=True)
class JobTask:
    name: str
    friendly_name: str = ""
    state: str = ""
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobError:
    code: str = ""
    message: str = ""
    possible_causes: str = ""
    recommended_action: str = ""


RUNNING_JOB_STATES = frozenset({"NotStarted", "InProgress", "Cancelling", "Suspended"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    KIND: ClassVar[Kind] = Kind.JOB
    id: str
    name: str
    display_name: str = ""
    scenario: str = ""
    state: str = ""
    state_description: str = ""
    start: datetime | None = None
    end: datetime | None = None
    target_object_id: str = ""
    target_object_name: str = ""
    target_instance_type: str = ""
    allowed_actions: tuple[str, ...] = ()
    tasks: tuple[JobTask, ...] = ()
    errors: tuple[JobError, ...] = ()

    @property
    def key(self) -> str:
        return self.id

    @property
    def running(self) -> bool:
        return self.state in RUNNING_JOB_STATES


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryPlan:
    KIND: ClassVar[Kind] = Kind.RECOVERY_PLAN
    id: str
    name: str
    friendly_name: str = ""
    primary_fabric_id: str = ""
    recovery_fabric_id: str = ""
    item_ids: tuple[str, ...] = ()
    allowed_operations: tuple[str, ...] = ()
    current_scenario: str = ""
    last_test_failover: datetime | None = None

    @property
    def key(self) -> str:
        return self.id


class EventSource(StrEnum):
    VCENTER = "vcenter"
    ASR = "asr"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    KIND: ClassVar[Kind] = Kind.EVENT
    id: str
    time: datetime
    source: EventSource
    message: str
    severity: str = "info"  # info, warning, error
    event_type: str = ""
    entity_id: str = ""
    entity_name: str = ""

    @property
    def key(self) -> str:
        return self.id


Record = (
    Datacenter
    | Cluster
    | Host
    | Datastore
    | Network
    | VirtualMachine
    | ChurnSample
    | Vault
    | Fabric
    | ProcessServer
    | VCenterRegistration
    | ProtectionContainer
    | Policy
    | ContainerMapping
    | ProtectableItem
    | ProtectedItem
    | RecoveryPoint
    | Job
    | RecoveryPlan
    | Event
)
