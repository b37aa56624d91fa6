"""The simulated site's ASR face in-process, without HTTP: only tests use it.

It reads the engine's ARM wire JSON through the SDK's own models (the bulk lists as wire JSON) and the
same converters the Azure source uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, TypeVar

from azure.mgmt.recoveryservicessiterecovery import models as m

from asr_console.model.errors import NotFound, OperationRejected
from asr_console.model.operations import Operation
from asr_console.sim.engine import SimEngine, make_demo_site
from asr_console.sim.errors import SimError
from asr_console.sources.azure_operations import AsrOperations, ItemPath

M = TypeVar("M")
# Bulk lists come in pages this long, as the ARM face serves them.
PAGE = 100

__all__ = ["SimulatedRecoveryService", "make_demo_site"]


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except SimError as exc:
        if exc.status == 404:
            raise NotFound(exc.message) from exc
        raise OperationRejected(exc.message, exc.code) from exc


async def _pages(renders: list[Callable[[], dict[str, Any]]]) -> AsyncIterator[list[dict[str, Any]]]:
    """A listing in pages as the ARM face serves it, each rendered when it is reached."""
    for start in range(0, len(renders), PAGE):
        yield [render() for render in renders[start : start + PAGE]]


def _models(cls: Callable[[dict[str, Any]], M], values: list[dict[str, Any]]) -> list[M]:
    return [cls(v) for v in values]


class SimulatedRecoveryService(AsrOperations):
    """``RecoveryService`` on the simulated site's engine, without HTTP."""

    def __init__(self, engine: SimEngine, name: str = "asr") -> None:
        self.engine = engine
        self.name = name
        self.subscription = engine.scope.subscription
        self.resource_group = engine.scope.resource_group
        self.vault_name = engine.scope.vault

    async def _vault_health(self) -> m.VaultHealthDetails:
        return m.VaultHealthDetails(_call(self.engine.vault_health))

    async def _fabrics(self) -> list[m.Fabric]:
        return _models(m.Fabric, _call(self.engine.list_fabrics))

    async def _fabric(self, fabric: str) -> m.Fabric:
        return m.Fabric(_call(self.engine.get_fabric, fabric))

    async def _vcenters(self) -> list[m.VCenter]:
        return _models(m.VCenter, _call(self.engine.list_vcenters))

    async def _containers(self) -> list[m.ProtectionContainer]:
        return _models(m.ProtectionContainer, _call(self.engine.list_containers))

    async def _mappings(self) -> list[m.ProtectionContainerMapping]:
        return _models(m.ProtectionContainerMapping, _call(self.engine.list_mappings))

    async def _policies(self) -> list[m.Policy]:
        return _models(m.Policy, _call(self.engine.list_policies))

    async def _policy(self, name: str) -> m.Policy:
        return m.Policy(_call(self.engine.get_policy, name))

    def _protectable_pages(self, fabric: str, container: str) -> AsyncIterator[list[dict[str, Any]]]:
        return _pages(_call(self.engine.protectable_snapshot, fabric, container))

    def _item_pages(self) -> AsyncIterator[list[dict[str, Any]]]:
        return _pages(_call(self.engine.protected_item_snapshot))

    async def _item(self, path: ItemPath) -> m.ReplicationProtectedItem:
        return m.ReplicationProtectedItem(_call(self.engine.get_protected_item, *path))

    async def _points(self, path: ItemPath) -> list[m.RecoveryPoint]:
        return _models(m.RecoveryPoint, _call(self.engine.list_recovery_points, *path))

    async def _jobs(self, since: datetime | None) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = _call(self.engine.list_jobs, since)
        return jobs

    async def _job(self, name: str) -> m.Job:
        return m.Job(_call(self.engine.get_job, name))

    async def _plans(self) -> list[m.RecoveryPlan]:
        return _models(m.RecoveryPlan, _call(self.engine.list_recovery_plans))

    async def _events(self, since: datetime | None) -> list[m.Event]:
        return _models(m.Event, _call(self.engine.list_events, since))

    async def _send(self, op: Operation, args: tuple[str, ...], body: dict[str, Any] | None) -> str:
        e = self.engine
        table: dict[Operation, Callable[..., str]] = {
            Operation.CREATE_POLICY: lambda name: e.create_policy(name, body),
            Operation.UPDATE_POLICY: lambda name: e.update_policy(name, body),
            Operation.DELETE_POLICY: e.delete_policy,
            Operation.ASSOCIATE_POLICY: lambda f, c, n: e.create_mapping(f, c, n, body),
            Operation.DISSOCIATE_POLICY: e.remove_mapping,
            Operation.ENABLE_REPLICATION: lambda f, c, n: e.enable_protection(f, c, n, body),
            Operation.TEST_FAILOVER: lambda f, c, n: e.test_failover(f, c, n, body),
            Operation.TEST_FAILOVER_CLEANUP: lambda f, c, n: e.test_failover_cleanup(f, c, n, body),
            Operation.UNPLANNED_FAILOVER: lambda f, c, n: e.unplanned_failover(f, c, n, body),
            Operation.CHANGE_RECOVERY_POINT: lambda f, c, n: e.apply_recovery_point(f, c, n, body),
            Operation.COMMIT: e.commit,
            Operation.REPROTECT: lambda f, c, n: e.reprotect(f, c, n, body),
            Operation.RESYNC: e.repair_replication,
            Operation.DISABLE_REPLICATION: lambda f, c, n: e.disable_protection(f, c, n, body),
            Operation.CANCEL_JOB: e.cancel_job,
            Operation.RESTART_JOB: e.restart_job,
        }
        result: str = _call(table[op], *args)
        return result
