"""The two back-end protocols. The TUI and the headless commands see only these.

Each has one real implementation (``sources/azure.py`` on the SDK, ``sources/vmware.py`` on pyvmomi);
the simulated site serves ASR's ARM face to the former and has its own inventory face
(``sim/inventory.py``). Reads return model records; writes validate their
input first (raising ``model.specs.InvalidInput`` before anything is sent) and return the ASR ``Job``
they started. List reads return ``Listed``: the records read, and the ids of those that could not be.
Failures raise ``sources.errors.SourceError`` subclasses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from asr_console.model.inputs import RecoveryPointChoice
from asr_console.model.listed import Listed
from asr_console.model.operations import Operation, OperationInputs
from asr_console.model.prepare import PrepareStep
from asr_console.model.privileges import PrivilegeReport
from asr_console.model.records import (
    ChurnSample,
    ContainerMapping,
    Event,
    Fabric,
    Job,
    Policy,
    ProcessServer,
    ProtectableItem,
    ProtectedItem,
    ProtectionContainer,
    RecoveryPlan,
    RecoveryPoint,
    Vault,
    VCenterRegistration,
)
from asr_console.model.store import Batch
from asr_console.model.targets import ComputeSize, Permission, ResourceGroup, StorageAccount, VirtualNetwork

if TYPE_CHECKING:
    # annotations only: the simulated site implements InventorySource without the console's validation
    from asr_console.model.specs import ComputeNetworkSpec, EnableReplicationSpec, PolicySpec


@dataclass(frozen=True, slots=True)
class Infrastructure:
    """Everything under the vault's fabrics, read together because it changes together."""

    fabrics: list[Fabric] = field(default_factory=list)
    process_servers: list[ProcessServer] = field(default_factory=list)
    vcenters: list[VCenterRegistration] = field(default_factory=list)
    containers: list[ProtectionContainer] = field(default_factory=list)
    mappings: list[ContainerMapping] = field(default_factory=list)
    # ARM ids of the records above that could not be read (their rows are kept, counted as unreadable)
    dropped: tuple[str, ...] = ()


@runtime_checkable
class RecoveryService(Protocol):
    """ASR for one vault."""

    name: str  # freshness source name, e.g. "asr"

    # reads
    async def vault(self) -> Vault: ...
    async def infrastructure(self) -> Infrastructure: ...
    async def policies(self) -> Listed[Policy]: ...
    async def protectable_items(self) -> Listed[ProtectableItem]: ...
    async def protected_items(self) -> Listed[ProtectedItem]: ...
    async def protected_item(self, item_id: str) -> ProtectedItem: ...
    async def recovery_points(self, item_id: str) -> Listed[RecoveryPoint]: ...
    async def jobs(self, *, since: datetime | None = None, state: str | None = None) -> Listed[Job]: ...
    async def job(self, job_id: str) -> Job: ...
    async def recovery_plans(self) -> Listed[RecoveryPlan]: ...
    async def events(self, *, since: datetime | None = None) -> Listed[Event]: ...

    # the Azure side a replication targets, read on demand for the pickers (never polled)
    async def resource_groups(self) -> Listed[ResourceGroup]: ...
    async def virtual_networks(self) -> Listed[VirtualNetwork]: ...
    async def storage_accounts(self) -> Listed[StorageAccount]:
        """The subscription's storage accounts: the cache storage choices of enable and re-protect."""
        ...

    async def target_compute_sizes(self, item_id: str) -> Listed[ComputeSize]: ...

    # what the caller may do (``Microsoft.Authorization/permissions`` at an ARM scope) and the
    # subscription's resource providers (namespace → registration state), for the doctor
    async def permissions(self, scope_id: str) -> list[Permission]: ...
    async def provider_states(self) -> dict[str, str]: ...

    # writes: each returns the job it started
    async def operate(self, op: Operation, target_id: str, given: OperationInputs) -> Job:
        """Any operation of the catalogue on a protected item or a job (``target_id``)."""
        ...

    async def create_policy(self, spec: PolicySpec) -> Job: ...
    async def update_policy(self, policy_id: str, spec: PolicySpec) -> Job: ...
    async def delete_policy(self, policy_id: str) -> Job: ...
    async def associate_policy(self, policy_id: str, container_id: str) -> Job: ...
    async def dissociate_policy(self, mapping_id: str) -> Job: ...
    async def update_mapping(self, mapping_id: str, auto_upgrade: bool) -> Job:
        """An appliance's mapping: whether ASR keeps its VMs' Mobility agents up to date."""
        ...

    async def enable_replication(self, spec: EnableReplicationSpec) -> Job: ...
    async def update_item(self, spec: ComputeNetworkSpec) -> Job:
        """An enabled item's Compute & Network settings (``begin_update``)."""
        ...

    async def test_failover(
        self, item_id: str, recovery_point: RecoveryPointChoice, network_id: str
    ) -> Job: ...
    async def test_failover_cleanup(self, item_id: str, notes: str) -> Job: ...
    async def unplanned_failover(
        self, item_id: str, recovery_point: RecoveryPointChoice, shutdown_source: bool
    ) -> Job: ...
    async def change_recovery_point(self, item_id: str, recovery_point_id: str) -> Job: ...
    async def commit_failover(self, item_id: str) -> Job: ...
    async def reprotect(self, item_id: str) -> Job: ...
    async def resync(self, item_id: str) -> Job: ...
    async def disable_replication(self, item_id: str) -> Job: ...
    async def cancel_job(self, job_id: str) -> Job: ...
    async def restart_job(self, job_id: str) -> Job: ...

    async def close(self) -> None: ...


@runtime_checkable
class PreparesAzure(Protocol):
    """A ``RecoveryService`` that can also create the targets a replication needs (Prepare Azure)."""

    async def create_target(self, step: PrepareStep) -> str:
        """Create the resource (waiting for its long-running operation); its ARM id."""
        ...

    async def storage_name_problem(self, name: str) -> str:
        """Why Azure would refuse a new storage account of this name; "" when it is free."""
        ...


@dataclass(frozen=True, slots=True)
class VCenterInfo:
    url: str
    version: str = ""
    api_version: str = ""
    instance_uuid: str = ""


@runtime_checkable
class PagedProtectedItems(Protocol):
    """A ``RecoveryService`` that can also hand out its protected items page by page as they arrive,
    so a first load can show the first rows before the last page is in."""

    def protected_item_pages(self) -> AsyncIterator[Listed[ProtectedItem]]: ...


@runtime_checkable
class InventorySource(Protocol):
    """A vCenter (or the simulated site's estate) watched incrementally."""

    name: str  # freshness source name, e.g. "vcenter"

    async def connect(self) -> VCenterInfo: ...

    @property
    def synced(self) -> bool:
        """The whole inventory has been read, details included; from now on ``changes`` are deltas."""
        ...

    async def changes(self, max_wait: float) -> Batch:
        """The first calls return the full inventory (as replacements, then details until ``synced``);
        later calls wait up to ``max_wait`` seconds for changes and return only those (an empty batch
        on timeout)."""
        ...

    async def events(self) -> list[Event]:
        """vCenter events and tasks since the previous call (recent ones on the first call)."""
        ...

    async def churn(self) -> list[ChurnSample]:
        """Recent ``virtualDisk.write.average`` history for powered-on VMs."""
        ...

    async def check_privileges(self, entities: Iterable[str] | None = None) -> list[PrivilegeReport]:
        """ASR's privileges present and missing for the logged-in account, per datacenter by default."""
        ...

    async def close(self) -> None: ...
