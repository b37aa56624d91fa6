"""The simulated site: one engine for the estate, its ASR vault, the clock, churn and state machines.

Everything is deterministic for a seed and the sequence of clock advances: time is applied in fixed
30-second ticks (``step``), and every random draw comes from the engine's own ``random.Random``.
Reads return ARM wire JSON (what the ARM face serves and the SDK models deserialize); writes take ARM
request bodies, validate them before changing anything (``InvalidInput``) and return the job they start.

The engine is assembled from parts named for what they are: ``site_state`` (the state and shared
helpers), ``reads``, ``writes`` (validation and state machines), ``tick_model`` (behaviour over time) and
``site_builder`` (the initial site).
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
from asr_console.sim.site_state import MAX_TICKS_PER_STEP, PROVIDERS, TICK
from asr_console.sim.writes import ArmWrites


class SimEngine(ArmReads, ArmWrites, SiteBuilder):
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
        # where the tick model has reached; ``elapsed`` may run ahead of it by less than a tick
        self._ticked = self.elapsed
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

    def step(self) -> None:
        """Apply the simulated time that has passed since the last step."""
        target = self.clock.elapsed()
        if target <= self.elapsed:
            return
        # Reads come more often than ticks at high speed: the remainder below a tick is kept for the
        # next step, not dropped, or a console polling every second would stop replication.
        behind = target - self._ticked
        ticks = int(behind // TICK)
        dt = TICK if ticks <= MAX_TICKS_PER_STEP else behind / MAX_TICKS_PER_STEP
        while self._ticked + dt <= target + 1e-9:
            self._tick(self._ticked + dt, dt)
            self._ticked += dt
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
