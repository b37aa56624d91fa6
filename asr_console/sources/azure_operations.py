"""``RecoveryService`` written once over ASR's resources; subclasses say how to reach them.

The resource access hands back ARM wire JSON, which ``azure_wire`` converts (one read path), and
validation and request bodies (``azure_inputs``) are written once here. A list read returns the records
it could convert with the ids of those it could not (``Listed.dropped``).
"""

from __future__ import annotations

import abc
import functools
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from asr_console.model.errors import Malformed, NotFound
from asr_console.model.inputs import FieldError, RecoveryPointChoice, RecoveryPointKind
from asr_console.model.listed import Listed
from asr_console.model.operations import Operation, OperationInputs, OperationShorthands, Resource
from asr_console.model.records import (
    Event,
    Job,
    Policy,
    ProtectableItem,
    ProtectedItem,
    Provider,
    RecoveryPlan,
    RecoveryPoint,
    Vault,
)
from asr_console.sources import azure_wire as wire

if TYPE_CHECKING:
    from asr_console.model.protocols import Infrastructure
    from asr_console.model.specs import ComputeNetworkSpec, EnableReplicationSpec, PolicySpec
    from asr_console.model.targets import ComputeSize

# The reads are all a one-shot command loads (``status`` on 5,000 items is measured against a bare
# fetch of its pages): what only the writes use — request bodies and their checks (``azure_inputs``),
# specs, targets — is imported by the methods that use it.

# Path parts of an item: (fabric, container, item name)
ItemPath = tuple[str, str, str]


def item_path(item_id: str) -> ItemPath:
    path = (
        wire.segment(item_id, "replicationFabrics"),
        wire.segment(item_id, "replicationProtectionContainers"),
        wire.segment(item_id, "replicationProtectedItems"),
    )
    if not all(path):
        raise NotFound(f"not a protected item id: {item_id}")
    return path


def job_name_of(job_id: str) -> str:
    return job_id.rstrip("/").rsplit("/", 1)[-1]


T = TypeVar("T")


class AsrOperations(OperationShorthands):
    """The protocol's behaviour; subclasses implement the ``_``-prefixed resource access."""

    name = "asr"
    subscription: str
    resource_group: str
    vault_name: str

    # ------------------------------------------------------------------ resource access

    @abc.abstractmethod
    async def _vault_health(self) -> dict[str, Any]: ...
    @abc.abstractmethod
    async def _fabrics(self) -> list[dict[str, Any]]: ...
    @abc.abstractmethod
    async def _fabric(self, fabric: str) -> dict[str, Any]: ...
    @abc.abstractmethod
    async def _vcenters(self) -> list[dict[str, Any]]: ...
    @abc.abstractmethod
    async def _containers(self) -> list[dict[str, Any]]: ...
    @abc.abstractmethod
    async def _mappings(self) -> list[dict[str, Any]]: ...
    @abc.abstractmethod
    async def _policies(self) -> list[dict[str, Any]]: ...
    @abc.abstractmethod
    async def _policy(self, name: str) -> dict[str, Any]: ...
    # The bulk lists come page by page, and each page is converted before the next is read: a vault's
    # whole list as wire JSON is several times the size of its records.
    @abc.abstractmethod
    def _protectable_pages(self, fabric: str, container: str) -> AsyncIterator[list[dict[str, Any]]]:
        """A container's protectable items page by page, as wire JSON."""

    @abc.abstractmethod
    def _site_machine_pages(self, site_id: str) -> AsyncIterator[list[dict[str, Any]]]:
        """The machines of an Azure Migrate VMware site page by page, as wire JSON."""

    @abc.abstractmethod
    def _item_pages(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Every protected item of the vault page by page, as wire JSON."""

    @abc.abstractmethod
    async def _item(self, path: ItemPath) -> dict[str, Any]: ...
    @abc.abstractmethod
    async def _points(self, path: ItemPath) -> list[dict[str, Any]]: ...
    @abc.abstractmethod
    async def _jobs(self, since: datetime | None) -> list[dict[str, Any]]:
        """The vault's jobs (since a time, if given), as wire JSON."""

    @abc.abstractmethod
    async def _job(self, name: str) -> dict[str, Any]: ...
    @abc.abstractmethod
    async def _compute_sizes(self, path: ItemPath) -> list[dict[str, Any]]: ...
    @abc.abstractmethod
    async def _plans(self) -> list[dict[str, Any]]: ...
    @abc.abstractmethod
    async def _events(self, since: datetime | None) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def _send(self, op: Operation, args: tuple[str, ...], body: dict[str, Any] | None) -> str:
        """Start a write (``args`` are the resource's path parts after the vault, ``body`` is sent
        when the operation has an input model); returns the name of the ASR job it started."""

    # ------------------------------------------------------------------ reads

    async def vault(self) -> Vault:
        health = await self._vault_health()
        return _one(lambda v: wire.vault(v, self.subscription, self.resource_group, self.vault_name), health)

    async def infrastructure(self) -> Infrastructure:
        from asr_console.model.protocols import Infrastructure

        fabrics, servers = [], []
        read = wire.convert_all(wire.fabric, await self._fabrics(), "fabric")
        for record, found in read:
            fabrics.append(record)
            servers.extend(found)
        vcenters = wire.convert_all(wire.vcenter, await self._vcenters(), "vCenter")
        containers = wire.convert_all(wire.container, await self._containers(), "protection container")
        mappings = wire.convert_all(wire.mapping, await self._mappings(), "container mapping")
        return Infrastructure(
            fabrics=fabrics,
            process_servers=servers,
            vcenters=vcenters,
            containers=containers,
            mappings=mappings,
            dropped=read.dropped + vcenters.dropped + containers.dropped + mappings.dropped,
        )

    async def policies(self) -> Listed[Policy]:
        return wire.convert_all(wire.policy, await self._policies(), "policy")

    async def protectable_items(self) -> Listed[ProtectableItem]:
        """The machines to protect: for an appliance's (InMageRcm) container the machines of the
        Azure Migrate VMware site its fabric names (a modernized vault's containers list none), for a
        configuration server's the container's protectable items."""
        out: list[ProtectableItem] = []
        dropped: list[str] = []
        fabrics = await self._fabrics()
        sites = {
            text_name: site
            for fabric in fabrics
            if (text_name := str(fabric.get("name") or "")) and (site := wire.vmware_site_id(fabric))
        }
        agents = {str(fabric.get("name") or ""): wire.appliance_agents(fabric) for fabric in fabrics}
        for container in await self._containers():
            container_id = container.get("id")
            container_id = container_id if isinstance(container_id, str) else ""
            fabric = wire.segment(container_id, "replicationFabrics")
            name = wire.segment(container_id, "replicationProtectionContainers")
            if not fabric or not name:
                continue
            site = sites.get(fabric, "")
            if site:
                async for page in self._site_machine_pages(site):
                    machine = functools.partial(
                        wire.site_machine, container_id=container_id, agents=agents.get(fabric)
                    )
                    read = wire.convert_all(machine, page, "discovered machine")
                    out.extend(read)
                    dropped.extend(read.dropped)
                continue
            async for page in self._protectable_pages(fabric, name):
                wire.trim_shared()
                read = wire.convert_all(wire.protectable_item, page, "protectable item")
                out.extend(read)
                dropped.extend(read.dropped)
        return Listed(out, dropped)

    async def protected_items(self) -> Listed[ProtectedItem]:
        out: list[ProtectedItem] = []
        dropped: list[str] = []
        async for page in self.protected_item_pages():
            out.extend(page)
            dropped.extend(page.dropped)
        return Listed(out, dropped)

    async def protected_item(self, item_id: str) -> ProtectedItem:
        return _one(wire.protected_item, await self._item(item_path(item_id)))

    async def protected_item_pages(self) -> AsyncIterator[Listed[ProtectedItem]]:
        """The protected items page by page as the service hands them out (a first load shows early)."""
        async for page in self._item_pages():
            wire.trim_shared()
            yield wire.convert_all(wire.protected_item, page, "protected item")

    async def recovery_points(self, item_id: str) -> Listed[RecoveryPoint]:
        points = await self._points(item_path(item_id))
        return wire.convert_all(lambda p: wire.recovery_point(p, item_id), points, "recovery point")

    async def jobs(self, *, since: datetime | None = None, state: str | None = None) -> Listed[Job]:
        read = wire.convert_all(wire.job, await self._jobs(since), "job")
        listed: list[Job] = read
        # the service filter is coarse (and absent on some endpoints): apply it here too
        if since is not None:
            listed = [j for j in listed if j.start is None or j.start >= since or j.running]
        if state is not None:
            listed = [j for j in listed if j.state.lower() == state.lower()]
        return Listed(listed, read.dropped)

    async def target_compute_sizes(self, item_id: str) -> Listed[ComputeSize]:
        """The VM sizes ASR offers for a protected item (for its Compute & Network settings)."""
        from asr_console.sources.azure_resources import compute_size

        sizes = await self._compute_sizes(item_path(item_id))
        return Listed([compute_size(s) for s in sizes if isinstance(s, dict)])

    async def job(self, job_id: str) -> Job:
        return _one(wire.job, await self._job(job_name_of(job_id)))

    async def recovery_plans(self) -> Listed[RecoveryPlan]:
        return wire.convert_all(wire.recovery_plan, await self._plans(), "recovery plan")

    async def events(self, *, since: datetime | None = None) -> Listed[Event]:
        read = wire.convert_all(wire.event, await self._events(since), "event")
        if since is not None:
            return Listed([e for e in read if e.time > since], read.dropped)
        return read

    # ------------------------------------------------------------------ writes

    async def _started(self, op: Operation, args: tuple[str, ...], body: dict[str, Any] | None) -> Job:
        return wire.job(await self._job(await self._send(op, args, body)))

    async def create_policy(self, spec: PolicySpec) -> Job:
        from asr_console.sources import azure_inputs as inputs

        body = inputs.create_policy_body(spec)
        return await self._started(Operation.CREATE_POLICY, (spec.name.strip(),), body)

    async def update_policy(self, policy_id: str, spec: PolicySpec) -> Job:
        from asr_console.sources import azure_inputs as inputs

        name = job_name_of(policy_id)
        current = wire.policy(await self._policy(name))
        body = inputs.update_policy_body(spec, current.provider)
        return await self._started(Operation.UPDATE_POLICY, (name,), body)

    async def delete_policy(self, policy_id: str) -> Job:
        return await self._started(Operation.DELETE_POLICY, (job_name_of(policy_id),), None)

    async def associate_policy(self, policy_id: str, container_id: str) -> Job:
        from asr_console.sources import azure_inputs as inputs

        fabric = wire.segment(container_id, "replicationFabrics")
        container = wire.segment(container_id, "replicationProtectionContainers")
        if not fabric or not container:
            inputs.check(
                [FieldError("container", "choose the configuration server's or appliance's container")]
            )
        policy = wire.policy(await self._policy(job_name_of(policy_id)))
        if policy.provider is Provider.OTHER:
            inputs.check([FieldError("policy", "choose an InMageRcm or InMageAzureV2 policy")])
        mapping = f"{container}-{job_name_of(policy_id)}"[:200]
        body = inputs.mapping_body(policy.id, policy.provider)
        return await self._started(Operation.ASSOCIATE_POLICY, (fabric, container, mapping), body)

    async def dissociate_policy(self, mapping_id: str) -> Job:
        from asr_console.sources import azure_inputs as inputs

        args = _mapping_path(mapping_id)
        return await self._started(Operation.DISSOCIATE_POLICY, args, inputs.dissociate_body())

    async def update_mapping(self, mapping_id: str, auto_upgrade: bool) -> Job:
        from asr_console.sources import azure_inputs as inputs

        args = _mapping_path(mapping_id)
        return await self._started(Operation.UPDATE_MAPPING, args, inputs.mapping_update_body(auto_upgrade))

    async def enable_replication(self, spec: EnableReplicationSpec) -> Job:
        from asr_console.sources import azure_inputs as inputs

        fabric = wire.segment(spec.container_id, "replicationFabrics")
        container = wire.segment(spec.container_id, "replicationProtectionContainers")
        body = inputs.enable_body(spec)
        if not fabric or not container:
            inputs.check([FieldError("vm", "pick a VM the vault has discovered")])
        # the item is named after what ASR discovered (the site machine's or protectable item's name)
        name = spec.item_name or job_name_of(spec.machine_id or spec.protectable_item_id)
        return await self._started(Operation.ENABLE_REPLICATION, (fabric, container, name), body)

    async def update_item(self, spec: ComputeNetworkSpec) -> Job:
        """An enabled item's Compute & Network settings; the body is built from the item as read now."""
        from asr_console.sources import azure_inputs as inputs

        item, path = await self._item_record(spec.item_id)
        return await self._started(Operation.UPDATE_ITEM, path, inputs.update_item_body(spec, item))

    async def _item_record(self, item_id: str) -> tuple[ProtectedItem, ItemPath]:
        path = item_path(item_id)
        return wire.protected_item(await self._item(path)), path

    async def operate(self, op: Operation, target_id: str, given: OperationInputs) -> Job:
        """Any operation on a protected item or a job, as the catalogue describes it."""
        from asr_console.sources import azure_inputs as inputs

        if op.spec.resource is Resource.JOB:
            job = await self.job(target_id)
            if not op.allowed_by(job.allowed_actions):
                allowed = ", ".join(job.allowed_actions) or "none"
                message = (
                    f"{op.label.lower()} is not allowed for {job.display_name} now "
                    f"({job.state}; allowed: {allowed})"
                )
                inputs.check([FieldError("job", message)])
            return await self._started(op, (job.name,), None)
        build = inputs.ITEM_BODIES.get(op)
        if build is None:
            raise TypeError(f"{op.action} takes a spec: call its own method")
        item, path = await self._item_record(target_id)
        point = ""
        if op.spec.needs_point:
            # checked before the recovery points are read: nothing is read for a refused operation
            inputs.check_allowed(op, item)
            point = await self._point_id(target_id, given.recovery_point)
        body = build(inputs.ItemRequest(item, point, given))
        if body is None and op.asr_name:  # purge: ASR lists no permission for it
            inputs.check_allowed(op, item)
        return await self._started(op, path, body)

    async def _point_id(self, item_id: str, choice: RecoveryPointChoice) -> str:
        from asr_console.sources import azure_inputs as inputs

        if choice.kind is RecoveryPointKind.LATEST:
            return ""
        return inputs.resolve_recovery_point(choice, await self.recovery_points(item_id))

    async def close(self) -> None:
        return None


def _mapping_path(mapping_id: str) -> tuple[str, str, str]:
    args = (
        wire.segment(mapping_id, "replicationFabrics"),
        wire.segment(mapping_id, "replicationProtectionContainers"),
        wire.segment(mapping_id, "replicationProtectionContainerMappings"),
    )
    if not all(args):
        raise NotFound(f"not a container mapping id: {mapping_id}")
    return args


def _one(convert: Callable[[dict[str, Any]], T], value: dict[str, Any]) -> T:
    """A resource read by itself: one the console cannot read is the read's failure (``Malformed``)."""
    try:
        return convert(value)
    except wire.WireError as exc:
        arm_id = value.get("id") if isinstance(value, dict) else None
        raise Malformed(f"unreadable resource {arm_id or '(no id)'}: {exc}") from exc
