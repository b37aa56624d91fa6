"""The simulated site: one engine for the estate, its ASR vault, the clock, churn and state machines.

Everything is deterministic for a seed and the sequence of clock advances: time is applied in fixed
30-second ticks (``step``), and every random draw comes from the engine's own ``random.Random``.
Reads return ARM wire JSON (what the ARM face serves and the SDK models deserialize); writes take ARM
request bodies, refuse them before changing anything (``Rejected``, a 400) and return the job they start.

The state is one object (``SiteState``: the dicts, clock, scope, estate and shared helpers); the parts
that act on it receive it: ``ArmReads``, ``ArmWrites`` (the contract and state machines), ``TickModel``
(behaviour over time) and ``SiteBuilder`` (the initial site). ``SimEngine`` composes them and keeps one
public face for the ARM server, the inventory face, discovery and the tests.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from asr_console.model.records import Kind, Record
from asr_console.sim.clock import SimClock
from asr_console.sim.errors import SimError
from asr_console.sim.estate import Estate
from asr_console.sim.health_catalog import CATALOG
from asr_console.sim.ids import ArmScope, seeded_uuid
from asr_console.sim.infra import SimFabric, SimMapping, SimPolicy
from asr_console.sim.items import SimItem
from asr_console.sim.jobs import SimJob
from asr_console.sim.reads import ArmReads
from asr_console.sim.site_builder import SiteBuilder
from asr_console.sim.site_state import PROVIDERS, TICK, SiteState
from asr_console.sim.tick_model import TickModel
from asr_console.sim.writes import ArmWrites


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
        modernized_discovery: bool = False,
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
        rng = random.Random(seed)
        clock = clock or SimClock(speed=speed)
        scope = ArmScope(subscription=seeded_uuid(rng), resource_group="rg-asr-weu", vault="vault-dr-weu")
        estate = Estate(
            random.Random(rng.getrandbits(64)), vms, clock.at(clock.elapsed()), inventory=inventory
        )
        self.state = SiteState(
            rng=rng,
            seed=seed,
            provider=provider,
            clock=clock,
            scope=scope,
            estate=estate,
            modernized_discovery=modernized_discovery,
        )
        self.model = TickModel(self.state)
        self.reads = ArmReads(self.state, self.model.step)
        self.writes = ArmWrites(self.state, self.model.step)
        SiteBuilder(self.state, self.model).build(
            protected, history_jobs if history_jobs is not None else min(200, 2 * protected + 20)
        )

    # ================================================================== the state, read-only views

    @property
    def seed(self) -> int:
        return self.state.seed

    @property
    def provider(self) -> str:
        return self.state.provider

    @property
    def clock(self) -> SimClock:
        return self.state.clock

    @property
    def elapsed(self) -> float:
        return self.state.elapsed

    @property
    def now(self) -> datetime:
        return self.state.now

    @property
    def scope(self) -> ArmScope:
        return self.state.scope

    @property
    def estate(self) -> Estate:
        return self.state.estate

    @property
    def fabrics(self) -> dict[str, SimFabric]:
        return self.state.fabrics

    @property
    def policies(self) -> dict[str, SimPolicy]:
        return self.state.policies

    @property
    def mappings(self) -> dict[str, SimMapping]:
        return self.state.mappings

    @property
    def items(self) -> dict[str, SimItem]:
        return self.state.items

    @property
    def jobs(self) -> dict[str, SimJob]:
        return self.state.jobs

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.state.events

    @property
    def plans(self) -> dict[str, list[str]]:
        return self.state.plans

    def item_by_id(self, item_id: str) -> SimItem:
        return self.state.item_by_id(item_id)

    # ================================================================== time

    def step(self) -> None:
        """Apply the simulated time that has passed since the last step."""
        self.model.step()

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
        return self.state.estate.adopt(inventory, self.state.now)

    def fail_next(self, scenario: str, code: str) -> None:
        """Make the next job of ``scenario`` fail with a catalog error (fault injection for tests)."""
        if code not in CATALOG:
            raise ValueError(f"unknown health error code {code}")
        self.state.fail_next_codes[scenario] = code

    # ================================================================== reads (ARM wire JSON)

    def vault_health(self) -> dict[str, Any]:
        return self.reads.vault_health()

    def list_fabrics(self) -> list[dict[str, Any]]:
        return self.reads.list_fabrics()

    def get_fabric(self, name: str) -> dict[str, Any]:
        return self.reads.get_fabric(name)

    def list_vcenters(self, fabric: str | None = None) -> list[dict[str, Any]]:
        return self.reads.list_vcenters(fabric)

    def list_containers(self, fabric: str | None = None) -> list[dict[str, Any]]:
        return self.reads.list_containers(fabric)

    def list_mappings(self, fabric: str | None = None, container: str | None = None) -> list[dict[str, Any]]:
        return self.reads.list_mappings(fabric, container)

    def get_mapping(self, fabric: str, container: str, name: str) -> dict[str, Any]:
        return self.reads.get_mapping(fabric, container, name)

    def list_policies(self) -> list[dict[str, Any]]:
        return self.reads.list_policies()

    def get_policy(self, name: str) -> dict[str, Any]:
        return self.reads.get_policy(name)

    def site_machines(self, site: str) -> list[Callable[[], dict[str, Any]]]:
        return self.reads.site_machines(site)

    def list_protectable_items(self, fabric: str, container: str) -> list[dict[str, Any]]:
        return self.reads.list_protectable_items(fabric, container)

    def protectable_snapshot(self, fabric: str, container: str) -> list[Callable[[], dict[str, Any]]]:
        return self.reads.protectable_snapshot(fabric, container)

    def get_protectable_item(self, fabric: str, container: str, name: str) -> dict[str, Any]:
        return self.reads.get_protectable_item(fabric, container, name)

    def list_protected_items(
        self, fabric: str | None = None, container: str | None = None
    ) -> list[dict[str, Any]]:
        return self.reads.list_protected_items(fabric, container)

    def protected_item_snapshot(
        self, fabric: str | None = None, container: str | None = None
    ) -> list[Callable[[], dict[str, Any]]]:
        return self.reads.protected_item_snapshot(fabric, container)

    def get_protected_item(self, fabric: str, container: str, name: str) -> dict[str, Any]:
        return self.reads.get_protected_item(fabric, container, name)

    def list_recovery_points(self, fabric: str, container: str, name: str) -> list[dict[str, Any]]:
        return self.reads.list_recovery_points(fabric, container, name)

    def list_jobs(self, since: datetime | None = None, state: str | None = None) -> list[dict[str, Any]]:
        return self.reads.list_jobs(since, state)

    def get_job(self, name: str) -> dict[str, Any]:
        return self.reads.get_job(name)

    def list_recovery_plans(self) -> list[dict[str, Any]]:
        return self.reads.list_recovery_plans()

    def get_recovery_plan(self, name: str) -> dict[str, Any]:
        return self.reads.get_recovery_plan(name)

    def list_events(self, since: datetime | None = None) -> list[dict[str, Any]]:
        return self.reads.list_events(since)

    def operation(self, job_name: str) -> tuple[str, dict[str, Any] | None]:
        return self.reads.operation(job_name)

    # ================================================================== writes (ARM request bodies)

    def create_policy(self, name: str, body: Any) -> str:
        return self.writes.create_policy(name, body)

    def update_policy(self, name: str, body: Any) -> str:
        return self.writes.update_policy(name, body)

    def delete_policy(self, name: str) -> str:
        return self.writes.delete_policy(name)

    def create_mapping(self, fabric: str, container: str, name: str, body: Any) -> str:
        return self.writes.create_mapping(fabric, container, name, body)

    def update_mapping(self, fabric: str, container: str, name: str, body: Any) -> str:
        return self.writes.update_mapping(fabric, container, name, body)

    def update_item(self, fabric: str, container: str, name: str, body: Any) -> str:
        return self.writes.update_item(fabric, container, name, body)

    def remove_mapping(self, fabric: str, container: str, name: str, body: Any = None) -> str:
        return self.writes.remove_mapping(fabric, container, name, body)

    def enable_protection(self, fabric: str, container: str, name: str, body: Any) -> str:
        return self.writes.enable_protection(fabric, container, name, body)

    def test_failover(self, fabric: str, container: str, name: str, body: Any) -> str:
        return self.writes.test_failover(fabric, container, name, body)

    def test_failover_cleanup(self, fabric: str, container: str, name: str, body: Any) -> str:
        return self.writes.test_failover_cleanup(fabric, container, name, body)

    def unplanned_failover(self, fabric: str, container: str, name: str, body: Any) -> str:
        return self.writes.unplanned_failover(fabric, container, name, body)

    def apply_recovery_point(self, fabric: str, container: str, name: str, body: Any) -> str:
        return self.writes.apply_recovery_point(fabric, container, name, body)

    def commit(self, fabric: str, container: str, name: str) -> str:
        return self.writes.commit(fabric, container, name)

    def reprotect(self, fabric: str, container: str, name: str, body: Any) -> str:
        return self.writes.reprotect(fabric, container, name, body)

    def repair_replication(self, fabric: str, container: str, name: str) -> str:
        return self.writes.repair_replication(fabric, container, name)

    def disable_protection(self, fabric: str, container: str, name: str, body: Any = None) -> str:
        return self.writes.disable_protection(fabric, container, name, body)

    def planned_failover(self, fabric: str, container: str, name: str, body: Any) -> str:
        return self.writes.planned_failover(fabric, container, name, body)

    def purge(self, fabric: str, container: str, name: str) -> str:
        return self.writes.purge(fabric, container, name)

    def update_mobility_service(self, fabric: str, container: str, name: str, body: Any) -> str:
        return self.writes.update_mobility_service(fabric, container, name, body)

    def cancel_job(self, name: str) -> str:
        return self.writes.cancel_job(name)

    def restart_job(self, name: str) -> str:
        return self.writes.restart_job(name)


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
    modernized_discovery: bool = True,
) -> SimEngine:
    """A simulated site ready to serve: a vCenter with ``vms`` VMs, ``protected`` of them replicating.

    ``estate_from`` replaces the generated vCenter with a real one's records (``vms`` is then what it
    holds); keep it current with ``SimEngine.adopt_inventory`` (``sim.discovery`` does). Its clock
    starts at ``start`` (default: now, to the minute, so "the last 72 hours" means the same to the site
    and to a client); everything else depends only on ``seed`` and the clock's advances.
    ``modernized_discovery`` (the default) makes the InMageRcm containers list no protectable items,
    as a real modernized vault's do; the machines are then read from the fabric's Azure Migrate site.
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
        modernized_discovery=modernized_discovery,
    )


__all__ = ["SimEngine", "SimError", "make_demo_site"]
