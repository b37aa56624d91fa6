"""``RecoveryService`` written once over ASR's resources; subclasses say how to reach them.

The Azure source reaches them with the SDK over HTTPS; the simulated source reads the simulated site's
wire JSON in-process. Both hand back SDK models — or, for the bulk lists (protected items, jobs), the
wire JSON those models wrap, which ``azure_wire`` converts without building thousands of models — so
conversion, validation and request bodies (``azure_inputs``) are the same code whichever vault is
behind.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from azure.mgmt.recoveryservicessiterecovery import models as m

from asr_console.model.errors import NotFound
from asr_console.model.operations import Operation, OperationInputs, Resource
from asr_console.model.protocols import Infrastructure
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
from asr_console.model.specs import (
    EnableReplicationSpec,
    FieldError,
    PolicySpec,
    RecoveryPointChoice,
    RecoveryPointKind,
)
from asr_console.sources import azure_convert as convert
from asr_console.sources import azure_inputs as inputs
from asr_console.sources import azure_wire as wire

# Path parts of an item: (fabric, container, item name)
ItemPath = tuple[str, str, str]


def item_path(item_id: str) -> ItemPath:
    path = (
        convert.segment(item_id, "replicationFabrics"),
        convert.segment(item_id, "replicationProtectionContainers"),
        convert.segment(item_id, "replicationProtectedItems"),
    )
    if not all(path):
        raise NotFound(f"not a protected item id: {item_id}")
    return path


def job_name_of(job_id: str) -> str:
    return job_id.rstrip("/").rsplit("/", 1)[-1]


class AsrOperations(abc.ABC):
    """The protocol's behaviour; subclasses implement the ``_``-prefixed resource access."""

    name = "asr"
    subscription: str
    resource_group: str
    vault_name: str

    # ------------------------------------------------------------------ resource access

    @abc.abstractmethod
    async def _vault_health(self) -> m.VaultHealthDetails: ...
    @abc.abstractmethod
    async def _fabrics(self) -> list[m.Fabric]: ...
    @abc.abstractmethod
    async def _fabric(self, fabric: str) -> m.Fabric: ...
    @abc.abstractmethod
    async def _vcenters(self) -> list[m.VCenter]: ...
    @abc.abstractmethod
    async def _containers(self) -> list[m.ProtectionContainer]: ...
    @abc.abstractmethod
    async def _mappings(self) -> list[m.ProtectionContainerMapping]: ...
    @abc.abstractmethod
    async def _policies(self) -> list[m.Policy]: ...
    @abc.abstractmethod
    async def _policy(self, name: str) -> m.Policy: ...
    # The bulk lists come page by page, and each page is converted before the next is read: a vault's
    # whole list as wire JSON is several times the size of its records.
    @abc.abstractmethod
    def _protectable_pages(self, fabric: str, container: str) -> AsyncIterator[list[dict[str, Any]]]:
        """A container's protectable items page by page, as wire JSON."""

    @abc.abstractmethod
    def _item_pages(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Every protected item of the vault page by page, as wire JSON."""

    @abc.abstractmethod
    async def _item(self, path: ItemPath) -> m.ReplicationProtectedItem: ...
    @abc.abstractmethod
    async def _points(self, path: ItemPath) -> list[m.RecoveryPoint]: ...
    @abc.abstractmethod
    async def _jobs(self, since: datetime | None) -> list[dict[str, Any]]:
        """The vault's jobs (since a time, if given), as wire JSON."""

    @abc.abstractmethod
    async def _job(self, name: str) -> m.Job: ...
    @abc.abstractmethod
    async def _plans(self) -> list[m.RecoveryPlan]: ...
    @abc.abstractmethod
    async def _events(self, since: datetime | None) -> list[m.Event]: ...

    @abc.abstractmethod
    async def _send(self, op: Operation, args: tuple[str, ...], body: dict[str, Any] | None) -> str:
        """Start a write (``args`` are the resource's path parts after the vault, ``body`` is sent
        when the operation has an input model); returns the name of the ASR job it started."""

    # ------------------------------------------------------------------ reads

    async def vault(self) -> Vault:
        return convert.vault(
            await self._vault_health(), self.subscription, self.resource_group, self.vault_name
        )

    async def infrastructure(self) -> Infrastructure:
        fabrics, servers = [], []
        for value in await self._fabrics():
            try:
                record, found = convert.fabric(value)
            except Exception:
                continue
            fabrics.append(record)
            servers.extend(found)
        return Infrastructure(
            fabrics=fabrics,
            process_servers=servers,
            vcenters=convert.safe_map(convert.vcenter, await self._vcenters()),
            containers=convert.safe_map(convert.container, await self._containers()),
            mappings=convert.safe_map(convert.mapping, await self._mappings()),
        )

    async def policies(self) -> list[Policy]:
        return convert.safe_map(convert.policy, await self._policies())

    async def protectable_items(self) -> list[ProtectableItem]:
        out: list[ProtectableItem] = []
        for container in await self._containers():
            container_id = str(container.id or "")
            fabric = convert.segment(container_id, "replicationFabrics")
            name = convert.segment(container_id, "replicationProtectionContainers")
            if fabric and name:
                async for page in self._protectable_pages(fabric, name):
                    wire.trim_shared()
                    out.extend(convert.safe_map(convert.protectable_item, page))
        return out

    async def protected_items(self) -> list[ProtectedItem]:
        out: list[ProtectedItem] = []
        async for page in self.protected_item_pages():
            out.extend(page)
        return out

    async def protected_item(self, item_id: str) -> ProtectedItem:
        return convert.protected_item(await self._item(item_path(item_id)))

    async def protected_item_pages(self) -> AsyncIterator[list[ProtectedItem]]:
        """The protected items page by page as the service hands them out (a first load shows early)."""
        async for page in self._item_pages():
            wire.trim_shared()
            yield convert.safe_map(wire.protected_item, page)

    async def recovery_points(self, item_id: str) -> list[RecoveryPoint]:
        points = await self._points(item_path(item_id))
        return convert.safe_map(lambda p: convert.recovery_point(p, item_id), points)

    async def jobs(self, *, since: datetime | None = None, state: str | None = None) -> list[Job]:
        listed = convert.safe_map(wire.job, await self._jobs(since))
        # the service filter is coarse (and absent on some endpoints): apply it here too
        if since is not None:
            listed = [j for j in listed if j.start is None or j.start >= since or j.running]
        if state is not None:
            listed = [j for j in listed if j.state.lower() == state.lower()]
        return listed

    async def job(self, job_id: str) -> Job:
        return convert.job(await self._job(job_name_of(job_id)))

    async def recovery_plans(self) -> list[RecoveryPlan]:
        return convert.safe_map(convert.recovery_plan, await self._plans())

    async def events(self, *, since: datetime | None = None) -> list[Event]:
        listed = convert.safe_map(convert.event, await self._events(since))
        if since is not None:
            listed = [e for e in listed if e.time > since]
        return listed

    # ------------------------------------------------------------------ writes

    async def _started(self, op: Operation, args: tuple[str, ...], body: dict[str, Any] | None) -> Job:
        return convert.job(await self._job(await self._send(op, args, body)))

    async def create_policy(self, spec: PolicySpec) -> Job:
        body = inputs.create_policy_body(spec)
        return await self._started(Operation.CREATE_POLICY, (spec.name.strip(),), body)

    async def update_policy(self, policy_id: str, spec: PolicySpec) -> Job:
        name = job_name_of(policy_id)
        current = convert.policy(await self._policy(name))
        body = inputs.update_policy_body(spec, current.provider)
        return await self._started(Operation.UPDATE_POLICY, (name,), body)

    async def delete_policy(self, policy_id: str) -> Job:
        return await self._started(Operation.DELETE_POLICY, (job_name_of(policy_id),), None)

    async def associate_policy(self, policy_id: str, container_id: str) -> Job:
        fabric = convert.segment(container_id, "replicationFabrics")
        container = convert.segment(container_id, "replicationProtectionContainers")
        if not fabric or not container:
            inputs.check(
                [FieldError("container", "choose the configuration server's or appliance's container")]
            )
        policy = convert.policy(await self._policy(job_name_of(policy_id)))
        if policy.provider is Provider.OTHER:
            inputs.check([FieldError("policy", "choose an InMageRcm or InMageAzureV2 policy")])
        mapping = f"{container}-{job_name_of(policy_id)}"[:200]
        body = inputs.mapping_body(policy.id, policy.provider)
        return await self._started(Operation.ASSOCIATE_POLICY, (fabric, container, mapping), body)

    async def dissociate_policy(self, mapping_id: str) -> Job:
        args = (
            convert.segment(mapping_id, "replicationFabrics"),
            convert.segment(mapping_id, "replicationProtectionContainers"),
            convert.segment(mapping_id, "replicationProtectionContainerMappings"),
        )
        if not all(args):
            raise NotFound(f"not a container mapping id: {mapping_id}")
        return await self._started(Operation.DISSOCIATE_POLICY, args, inputs.dissociate_body())

    async def enable_replication(self, spec: EnableReplicationSpec) -> Job:
        fabric = convert.segment(spec.protectable_item_id, "replicationFabrics")
        container = convert.segment(spec.protectable_item_id, "replicationProtectionContainers")
        machine = convert.segment(spec.protectable_item_id, "replicationProtectableItems")
        discovery_id = ""
        if spec.provider is Provider.INMAGE_RCM and fabric and machine:
            # the appliance discovers into an Azure Migrate VMware site; ASR wants that machine's id
            details = (await self._fabric(fabric)).properties
            site = getattr(getattr(details, "custom_details", None), "vmware_site_id", None) or ""
            discovery_id = f"{site}/machines/{machine}" if site else ""
        body = inputs.enable_body(spec, discovery_id)
        if not fabric or not container or not machine:
            inputs.check([FieldError("vm", "pick a VM the vault has discovered")])
        name = spec.item_name or machine
        return await self._started(Operation.ENABLE_REPLICATION, (fabric, container, name), body)

    async def _item_record(self, item_id: str) -> tuple[ProtectedItem, dict[str, Any], ItemPath]:
        path = item_path(item_id)
        raw = await self._item(path)
        props = raw.properties.as_dict() if raw.properties is not None else {}
        return convert.protected_item(raw), props, path

    async def operate(self, op: Operation, target_id: str, given: OperationInputs) -> Job:
        """Any operation on a protected item or a job, as the catalogue describes it."""
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
        item, props, path = await self._item_record(target_id)
        point = ""
        if op.spec.needs_point:
            # checked before the recovery points are read: nothing is read for a refused operation
            inputs.check_allowed(op, item)
            point = await self._point_id(target_id, given.recovery_point)
        body = build(inputs.ItemRequest(item, props, point, given))
        if body is None:
            inputs.check_allowed(op, item)
        return await self._started(op, path, body)

    async def test_failover(self, item_id: str, recovery_point: RecoveryPointChoice, network_id: str) -> Job:
        given = OperationInputs(recovery_point=recovery_point, network_id=network_id)
        return await self.operate(Operation.TEST_FAILOVER, item_id, given)

    async def test_failover_cleanup(self, item_id: str, notes: str) -> Job:
        return await self.operate(Operation.TEST_FAILOVER_CLEANUP, item_id, OperationInputs(notes=notes))

    async def unplanned_failover(
        self, item_id: str, recovery_point: RecoveryPointChoice, shutdown_source: bool
    ) -> Job:
        given = OperationInputs(recovery_point=recovery_point, shutdown_source=shutdown_source)
        return await self.operate(Operation.UNPLANNED_FAILOVER, item_id, given)

    async def change_recovery_point(self, item_id: str, recovery_point_id: str) -> Job:
        point = RecoveryPointChoice(RecoveryPointKind.CUSTOM, recovery_point_id)
        given = OperationInputs(recovery_point=point)
        return await self.operate(Operation.CHANGE_RECOVERY_POINT, item_id, given)

    async def commit_failover(self, item_id: str) -> Job:
        return await self.operate(Operation.COMMIT, item_id, OperationInputs())

    async def reprotect(self, item_id: str) -> Job:
        return await self.operate(Operation.REPROTECT, item_id, OperationInputs())

    async def resync(self, item_id: str) -> Job:
        return await self.operate(Operation.RESYNC, item_id, OperationInputs())

    async def disable_replication(self, item_id: str) -> Job:
        return await self.operate(Operation.DISABLE_REPLICATION, item_id, OperationInputs())

    async def cancel_job(self, job_id: str) -> Job:
        return await self.operate(Operation.CANCEL_JOB, job_id, OperationInputs())

    async def restart_job(self, job_id: str) -> Job:
        return await self.operate(Operation.RESTART_JOB, job_id, OperationInputs())

    async def _point_id(self, item_id: str, choice: RecoveryPointChoice) -> str:
        if choice.kind is RecoveryPointKind.LATEST:
            return ""
        return inputs.resolve_recovery_point(choice, await self.recovery_points(item_id))

    async def close(self) -> None:
        return None
