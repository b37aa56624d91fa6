"""The job history a seeded site starts with, derived from each item's state as a real vault's would be.

Every job is one the item's state implies or allows: one enable per item, ending when its protection
began; a successful test failover ending at the item's last successful test failover (an earlier drill
may precede it), each followed by its cleanup unless the item still waits for one; a resync that
succeeded only on an item that no longer needs one, while its agent answered; a resync that failed on a
machine that is off, with the reason the item then shows (78512). Jobs that need the Mobility agent end
before its last heartbeat. No failover or commit: no item is seeded failed over. The newest
``limit`` jobs are kept, as a vault's list ages out the oldest.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from asr_console.sim.ids import seeded_uuid
from asr_console.sim.items import AGENT_LATEST, SimItem
from asr_console.sim.jobs import SCENARIOS, SimJob
from asr_console.sim.site_state import RESYNC_AFTER_OUTAGE, SiteState
from asr_console.sim.state_machines import Phase, TestFailover

DAY = 86_400.0
HOUR = 3600.0
RECENT = 3 * DAY  # the console lists the last three days of jobs: most seeded activity falls there
RESYNC_COPY = 2 * HOUR  # a resync's copy runs after its job; the agent answered until it was done
BLOCKED = "78512"  # the catalog's code for a resync on a machine that is not running


def duration(scenario: str) -> float:
    return sum(t.seconds for t in SCENARIOS[scenario][1])


@dataclass(frozen=True, slots=True)
class Planned:
    start: float
    scenario: str
    target_id: str
    target_name: str
    target_type: str = "ProtectionEntity"
    fail_code: str = ""
    effect: Callable[[], None] | None = None  # what the job does if it runs again and succeeds


class History:
    """Plans the jobs behind a built site's state; ``rng`` is the history's own, so the site's draws
    (and so its items) do not depend on how much history it has."""

    def __init__(self, state: SiteState, rng: random.Random) -> None:
        self.state = state
        self.rng = rng
        self.now = state.elapsed

    def build(self, limit: int) -> None:
        if limit <= 0:
            return
        planned: list[Planned] = []
        for item in self.state.items.values():
            planned += self._item_jobs(item)
        planned += self._failed_enables()
        planned += self._policy_updates()
        planned.sort(key=lambda p: p.start)
        for plan in planned[-limit:]:
            job = SimJob(
                name=seeded_uuid(self.rng),
                scenario=plan.scenario,
                start=plan.start,
                target_object_id=plan.target_id,
                target_object_name=plan.target_name,
                target_instance_type=plan.target_type,
                fail_code=plan.fail_code,
                on_success=plan.effect,
            )
            job.advance(self.now)
            self.state.jobs[job.name] = job

    # ------------------------------------------------------------------ per item

    def _item_jobs(self, item: SimItem) -> list[Planned]:
        rng = self.rng
        item_id = self.state.scope.item_id(item.fabric, item.container, item.name)

        def job(start: float, scenario: str, fail: str = "") -> Planned:
            return Planned(start, scenario, item_id, item.friendly_name, fail_code=fail)

        def resync() -> None:
            # a failed resync restarted (ASR's Restart job) starts the copy, as a new resync would
            item.resync_percent = 0.0
            item.ir_stalled = False
            item.resync_error = ""

        out = [job(item.created - duration("EnableDr"), "EnableDr")]
        if item.phase is not Phase.PROTECTED:
            return out  # still in initial replication: nothing else could have run yet
        beat = item.agent_heartbeat if item.agent_heartbeat is not None else self.now
        if item.last_test_failover is not None:
            out += [job(start, scenario) for start, scenario in self._drills(item)]
        needs_resync = item.resync_required or self.now - beat > RESYNC_AFTER_OUTAGE
        if needs_resync:
            # the outage that asked for it began at the last heartbeat; a resync tried since, with the
            # machine still off, failed and the item says why
            earliest = beat + RESYNC_AFTER_OUTAGE
            latest = self.now - duration("RepairReplication") - 60
            if not item.source_running and earliest < latest and rng.random() < 0.7:
                when = rng.uniform(earliest, latest)
                name = item.friendly_name
                out.append(
                    Planned(when, "RepairReplication", item_id, name, fail_code=BLOCKED, effect=resync)
                )
                item.resync_error = BLOCKED
            return out
        busy = item.test_failover is not TestFailover.NONE
        if not busy and rng.random() < 0.06:
            start = self._recent(item, beat - duration("RepairReplication") - RESYNC_COPY)
            if start is not None:
                out.append(job(start, "RepairReplication"))
        if item.agent_version == AGENT_LATEST and rng.random() < 0.1:
            start = self._recent(item, beat - duration("UpdateMobilityService"))
            if start is not None:
                out.append(job(start, "UpdateMobilityService"))
        if rng.random() < 0.05:
            start = self._recent(item, self.now - duration("UpdateVmProperties") - 60)
            if start is not None:
                out.append(job(start, "UpdateVmProperties"))
        return out

    def _drills(self, item: SimItem) -> list[tuple[float, str]]:
        """(start, scenario) of test failovers ending at the item's last successful one, or earlier;
        each with its cleanup, but for the last while the item still waits for it."""
        assert item.last_test_failover is not None
        rng = self.rng
        tfo, cleanup = duration("TestFailover"), duration("TestFailoverCleanup")
        ends = [item.last_test_failover]
        earlier = item.last_test_failover - rng.uniform(20, 90) * DAY
        if rng.random() < 0.5 and earlier - tfo > item.created:
            ends.insert(0, earlier)
        out: list[tuple[float, str]] = []
        for i, end in enumerate(ends):
            out.append((end - tfo, "TestFailover"))
            last = i == len(ends) - 1
            if last and item.test_failover is TestFailover.CLEANUP_PENDING:
                continue
            # cleaned up after the test VM was checked, minutes to hours later, and before anything after
            limit = self.now if last else ends[i + 1] - tfo
            start = end + rng.uniform(10 * 60, 4 * HOUR)
            out.append((min(start, limit - cleanup - 60), "TestFailoverCleanup"))
        return out

    def _recent(self, item: SimItem, latest: float) -> float | None:
        """A start in the last few days, after the item was protected and no later than ``latest``."""
        earliest = max(item.created + DAY, self.now - RECENT)
        latest = min(latest, self.now - HOUR)
        return self.rng.uniform(earliest, latest) if earliest < latest else None

    # ------------------------------------------------------------------ not per item

    def _failed_enables(self) -> list[Planned]:
        """Push installs that failed for lack of privileges, on VMs that therefore have no agent and are
        not protected: what a vault's history shows while an admin fixes the account."""
        agents = self.state.mobility_agents()
        protected = {i.vm_moref for i in self.state.items.values()}
        candidates = [
            vm
            for vm in self.state.estate.vms.values()
            if vm.moref not in agents and vm.moref not in protected
        ]
        fabrics = list(self.state.fabrics.values())
        if not candidates or not fabrics:
            return []
        count = min(len(candidates), max(1, len(self.state.items) // 40))
        out = []
        for n, vm in enumerate(self.rng.sample(candidates, count)):
            fabric = fabrics[n % len(fabrics)]
            target = self.state.scope.protectable_id(
                fabric.name, fabric.container, self.state.protectable_name(fabric, vm.instance_uuid)
            )
            start = self.now - self.rng.uniform(HOUR, RECENT)
            out.append(Planned(start, "EnableDr", target, vm.name, fail_code="95001"))
        return out

    def _policy_updates(self) -> list[Planned]:
        out = []
        for name in sorted(self.state.policies):
            start = self.now - self.rng.uniform(HOUR, RECENT)
            out.append(
                Planned(
                    start,
                    "UpdateProtectionProfile",
                    self.state.scope.policy_id(name),
                    name,
                    "ProtectionProfile",
                )
            )
        return out
