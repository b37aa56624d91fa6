"""The simulated site over time: per tick, process servers come and go, agents heartbeat or stall,
initial replication progresses, churn moves RPO, and health errors follow (``_update_health``)."""

from __future__ import annotations

from typing import Any

from asr_console.sim.health_catalog import CATALOG, health_error
from asr_console.sim.infra import SimProcessServer
from asr_console.sim.items import SimItem
from asr_console.sim.site_state import (
    CHURN_LIMIT_KBPS,
    HEARTBEAT_LIMIT,
    MAX_TICKS_PER_STEP,
    REPLICATING,
    RESYNC_AFTER_OUTAGE,
    TICK,
    SiteState,
)
from asr_console.sim.state_machines import Phase


class TickModel:
    """Moves a site's state through simulated time, in fixed ticks."""

    def __init__(self, state: SiteState) -> None:
        self.state = state
        self._ticked = state.elapsed  # where the ticks have reached; ``elapsed`` may be ahead by < a tick

    def step(self) -> None:
        """Apply the simulated time that has passed on the site's clock since the last step."""
        state = self.state
        target = state.clock.elapsed()
        if target <= state.elapsed:
            return
        # Reads come more often than ticks at high speed: the remainder below a tick is kept for the
        # next step, not dropped, or a console polling every second would stop replication.
        behind = target - self._ticked
        ticks = int(behind // TICK)
        dt = TICK if ticks <= MAX_TICKS_PER_STEP else behind / MAX_TICKS_PER_STEP
        while self._ticked + dt <= target + 1e-9:
            self._tick(self._ticked + dt, dt)
            self._ticked += dt
        state.advance_jobs(target)
        state.elapsed = max(state.elapsed, target)

    def _tick(self, elapsed: float, dt: float) -> None:
        rng = self.state.rng
        self.state.elapsed = elapsed
        now = self.state.clock.at(elapsed)
        self.state.estate.tick(now, dt)
        hours = dt / 3600
        for fabric in self.state.fabrics.values():
            fabric.heartbeat = elapsed
            for ps in fabric.process_servers:
                if ps.up(elapsed):
                    ps.heartbeat = elapsed
                    ps.errors.pop("806", None)
                    if rng.random() < 0.01 * hours:
                        ps.down_until = elapsed + rng.uniform(10, 45) * 60
                elif elapsed - ps.heartbeat > HEARTBEAT_LIMIT:
                    ps.errors.setdefault("806", elapsed)
        servers = {ps.id: ps for f in self.state.fabrics.values() for ps in f.process_servers}
        for item in self.state.items.values():
            self._tick_item(item, servers.get(item.process_server_id), elapsed, dt)
        self.count_load(servers)
        self.state.advance_jobs(elapsed)

    def count_load(self, servers: dict[str, SimProcessServer]) -> None:
        for ps in servers.values():
            ps.load_kbps = 0.0
            ps.items = 0
        for item in self.state.items.values():
            server = servers.get(item.process_server_id)
            if server is not None and item.phase in (Phase.INITIAL_REPLICATION, *REPLICATING):
                server.items += 1
                extra = self.state.estate.extra.get(item.vm_moref)
                server.load_kbps += min(item.bandwidth_kbps, extra.churn_kbps if extra else 0.0)

    def _tick_item(self, item: SimItem, ps: SimProcessServer | None, elapsed: float, dt: float) -> None:
        rng = self.state.rng
        vm = self.state.estate.vms.get(item.vm_moref)
        extra = self.state.estate.extra.get(item.vm_moref)
        churn = extra.churn_kbps if extra is not None else 0.0  # a VM gone from vCenter writes nothing
        ps_up = ps is None or ps.up(elapsed)
        item.source_running = vm is not None and vm.power_state == "poweredOn"
        replicating = item.phase in REPLICATING or item.phase is Phase.INITIAL_REPLICATION
        if replicating:
            if rng.random() < 0.004 * dt / 3600 * 24:  # about one agent stall per VM every ten days
                item.agent_stalled_until = elapsed + rng.uniform(20, 180) * 60
            alive = item.source_running and elapsed >= item.agent_stalled_until
            if alive:
                item.agent_heartbeat = elapsed
                if item.resync_error:
                    item.resync_error = ""  # the machine is back: the failed resync's cause is gone
            flowing = alive and ps_up
            if item.phase is Phase.INITIAL_REPLICATION:
                if item.ir_stalled:
                    if rng.random() < 0.1 * dt / 3600:
                        item.ir_stalled = False
                elif rng.random() < 0.02 * dt / 3600:
                    item.ir_stalled = True
                if flowing and not item.ir_stalled:
                    item.ir_percent = min(100.0, item.ir_percent + item.ir_rate * dt / 60)
                if item.ir_percent >= 100.0:
                    item.phase = Phase.PROTECTED
                    item.last_rp = elapsed
                    item.last_app_rp = elapsed
                    item.backlog_kb = 0.0
                    self.state.event(
                        elapsed,
                        "Initial replication completed",
                        "VmHealth",
                        item.friendly_name,
                        "OK",
                        self.state.scope.fabric_id(item.fabric),
                        [],
                    )
            elif flowing:
                item.backlog_kb = max(0.0, item.backlog_kb + (churn - item.bandwidth_kbps) * dt)
                lag = 30.0 + item.backlog_kb / item.bandwidth_kbps
                candidate = elapsed - lag
                if item.last_rp is None or candidate > item.last_rp:
                    item.last_rp = candidate
                policy = self.state.policies.get(item.policy)
                app = policy.app_minutes if policy else 0
                if item.vss_broken:
                    if rng.random() < 0.05 * dt / 3600:
                        item.vss_broken = False
                elif rng.random() < 0.002 * dt / 3600:
                    item.vss_broken = True
                if (
                    app
                    and not item.vss_broken
                    and (item.last_app_rp is None or elapsed - item.last_app_rp >= app * 60)
                ):
                    item.last_app_rp = item.last_rp
                if item.resync_percent is not None:
                    item.resync_percent = min(100.0, item.resync_percent + item.ir_rate * 2 * dt / 60)
                    if item.resync_percent >= 100.0:
                        item.resync_percent = None
                        item.resync_required = False
        self.update_health(item, ps, elapsed, churn)

    def update_health(self, item: SimItem, ps: SimProcessServer | None, elapsed: float, churn: float) -> None:
        """Derive the item's health errors and health from its state; every condition that makes it
        Warning or Critical is a health error that says why."""
        # a long outage leaves the source and target out of step: ASR asks for a resync (offered only
        # while protected in the primary direction, so only asked for there)
        if (
            item.phase is Phase.PROTECTED
            and item.agent_heartbeat is not None
            and elapsed - item.agent_heartbeat > RESYNC_AFTER_OUTAGE
        ):
            item.resync_required = True
        wanted: dict[str, dict[str, Any]] = {}
        policy = self.state.policies.get(item.policy)
        watched = item.phase in (Phase.INITIAL_REPLICATION, *REPLICATING)
        rpo = item.rpo_seconds(elapsed)
        if watched:
            if item.agent_heartbeat is not None and elapsed - item.agent_heartbeat > HEARTBEAT_LIMIT:
                wanted["78174"] = {}
            if ps is not None and "806" in ps.errors:
                wanted["806"] = {}
            if item.phase is Phase.INITIAL_REPLICATION and item.ir_stalled:
                wanted["78169"] = {}
            if churn > CHURN_LIMIT_KBPS:
                wanted["78188"] = {}
            if item.phase in REPLICATING and policy and policy.app_minutes and item.last_app_rp is not None:
                window = 2 * policy.app_minutes
                if elapsed - item.last_app_rp > window * 60:
                    wanted["78144"] = {"minutes": window}
            if item.phase in REPLICATING and rpo is not None and policy and rpo > policy.threshold_seconds:
                wanted["78513"] = {"minutes": policy.threshold_seconds // 60}
        if item.resync_required and item.phase is Phase.PROTECTED:
            wanted["78511"] = {}
        if item.resync_error:
            wanted[item.resync_error] = {}
        for code in list(item.errors):
            if code not in wanted:
                del item.errors[code]
        for code, params in wanted.items():
            if code not in item.errors:
                item.errors[code] = (elapsed, params)
        health = "Normal"
        for code in item.errors:
            if CATALOG[code].level == "Error":
                health = "Critical"
                break
            health = "Warning"
        if health != item.health:
            errors = [
                health_error(
                    c,
                    self.state.clock.at(t),
                    item.name,
                    vm=item.friendly_name,
                    ps=item.process_server_name,
                    **p,
                )
                for c, (t, p) in item.errors.items()
            ]
            self.state.event(
                elapsed,
                "Virtual machine health is OK"
                if health == "Normal"
                else f"Virtual machine health is {health.lower()}",
                "VmHealth",
                item.friendly_name,
                {"Normal": "OK", "Warning": "Warning", "Critical": "Critical"}[health],
                self.state.scope.fabric_id(item.fabric),
                errors,
            )
            item.health = health
