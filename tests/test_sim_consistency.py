"""The simulated site never contradicts itself, read through the unmodified SDK: a resync progresses to
done or fails with a reason (a machine that is off cannot resync, and says so); recovery points follow
the agent's heartbeats (no heartbeat, no new point, RPO grows); every item's health, protection state,
allowed operations and test-failover state form a combination a real vault could show."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from azure.mgmt.recoveryservicessiterecovery.aio import SiteRecoveryManagementClient

from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.clock import DEFAULT_EPOCH
from asr_console.sources.azure import AzureRecoveryService
from asr_console.sources.azure_auth import StaticTokenCredential
from tests.arm_site import sdk_service

HOUR = 3600.0
# an agent sends data between its heartbeats: a point may be that much newer than the last heartbeat
HEARTBEAT_SLACK = 300.0


@dataclass
class Site:
    engine: SimEngine
    endpoint: SiteEndpoint
    client: SiteRecoveryManagementClient
    service: AzureRecoveryService

    @property
    def rv(self) -> tuple[str, str]:
        return self.endpoint.resource_group, self.endpoint.vault

    async def items(self) -> list[dict[str, Any]]:
        pages = self.client.replication_protected_items.list(*self.rv)
        return [item.as_dict() async for item in pages]

    async def item(self, item_id: str) -> dict[str, Any]:
        fabric, container, name = path_of(item_id)
        got = await self.client.replication_protected_items.get(*self.rv, fabric, container, name)
        return dict(got.as_dict())

    async def job(self, name: str) -> dict[str, Any]:
        return dict((await self.client.replication_jobs.get(*self.rv, name)).as_dict())

    async def finish(self, name: str) -> dict[str, Any]:
        for _ in range(400):
            job = await self.job(name)
            if job["properties"]["state"] not in ("InProgress", "NotStarted"):
                return job
            self.engine.advance(30)
        raise AssertionError(f"job {name} never ended")

    async def newest_point(self, item_id: str) -> datetime | None:
        fabric, container, name = path_of(item_id)
        pages = self.client.recovery_points.list_by_replication_protected_items(
            *self.rv, fabric, container, name
        )
        times = [point.properties.recovery_point_time async for point in pages if point.properties]
        return max((t for t in times if t is not None), default=None)


def path_of(item_id: str) -> tuple[str, str, str]:
    parts = item_id.split("/")
    return (
        parts[parts.index("replicationFabrics") + 1],
        parts[parts.index("replicationProtectionContainers") + 1],
        parts[-1],
    )


def at(value: Any) -> datetime | None:
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def codes(item: dict[str, Any]) -> set[str]:
    return {e["errorCode"] for e in item["properties"].get("healthErrors", [])}


def heartbeat(details: dict[str, Any]) -> datetime | None:
    agent = details.get("mobilityAgentDetails") or {}
    return at(agent.get("lastHeartbeatUtc") or details.get("lastHeartbeat"))


def rpo(details: dict[str, Any]) -> int | None:
    value = details.get("lastRpoInSeconds", details.get("rpoInSeconds"))
    return None if value is None else int(value)


def resync_required(details: dict[str, Any]) -> bool:
    if "resyncRequired" in details:
        return str(details["resyncRequired"]).lower() == "true"
    return any(str(d.get("resyncRequired")).lower() == "true" for d in details.get("protectedDisks", []))


@contextlib.asynccontextmanager
async def serve(engine: SimEngine) -> AsyncIterator[Site]:
    async with serve_site(engine, page_size=50, lro_retry_after=0) as endpoint:
        client = SiteRecoveryManagementClient(
            StaticTokenCredential("t"),
            endpoint.subscription,
            base_url=endpoint.arm_endpoint,
            connection_verify=endpoint.ca_bundle,
            retry_total=0,
        )
        service = sdk_service(endpoint)
        try:
            yield Site(engine, endpoint, client, service)
        finally:
            await service.close()
            await client.close()


@pytest.fixture(params=["InMageRcm", "InMageAzureV2"])
async def site(request: pytest.FixtureRequest) -> AsyncIterator[Site]:
    provider = {"InMageRcm": "inmagercm", "InMageAzureV2": "inmageazurev2"}[request.param]
    engine = make_demo_site(vms=60, protected=30, seed=5, speed=0.0, provider=provider, start=DEFAULT_EPOCH)
    async with serve(engine) as served:
        yield served


async def protected_item(site: Site) -> dict[str, Any]:
    """A replicating item whose machine is on and that nothing else is happening to."""
    for item in await site.items():
        p = item["properties"]
        if (
            "TestFailover" in p["allowedOperations"]
            and p["providerSpecificDetails"].get("discoveredVmDetails", {}).get("powerStatus", "ON") == "ON"
            and site.engine.estate.vms[site.engine.item_by_id(item["id"]).vm_moref].power_state == "poweredOn"
        ):
            return item
    raise AssertionError("no protected item with a running machine")


async def test_a_resync_on_a_powered_off_vm_fails_naming_why_then_succeeds_once_it_runs(site: Site) -> None:
    engine = site.engine
    item_id = (await protected_item(site))["id"]
    moref = engine.item_by_id(item_id).vm_moref
    engine.estate.set_power(moref, "poweredOff", engine.now)
    engine.advance(7 * HOUR)  # a long outage: ASR asks for a resync, and says so
    item = await site.item(item_id)
    p = item["properties"]
    assert resync_required(p["providerSpecificDetails"])
    assert {"78174", "78511"} <= codes(item)
    assert p["replicationHealth"] == "Critical"
    assert "RepairReplication" in p["allowedOperations"]

    job = await site.finish((await site.service.resync(item_id)).name)
    assert job["properties"]["state"] == "Failed"
    error = job["properties"]["errors"][0]["serviceErrorDetails"]
    assert error["code"] == "78512" and "not running" in error["message"]
    assert error["possibleCauses"] and error["recommendedAction"]
    engine.advance(30)  # the next tick: the item shows the failed job's cause
    item = await site.item(item_id)
    assert resync_required(item["properties"]["providerSpecificDetails"])  # nothing changed but the reason
    assert "78512" in codes(item)
    assert "RepairReplication" in item["properties"]["allowedOperations"]  # it can be retried

    engine.estate.set_power(moref, "poweredOn", engine.now)
    engine.advance(2 * 60)
    item = await site.item(item_id)
    assert "78512" not in codes(item) and "78174" not in codes(item)  # the cause is gone
    assert resync_required(item["properties"]["providerSpecificDetails"])  # the resync is still owed
    job = await site.finish((await site.service.resync(item_id)).name)
    assert job["properties"]["state"] == "Succeeded"
    item = await site.item(item_id)
    assert "RepairReplication" not in item["properties"]["allowedOperations"]  # one resync at a time
    for _ in range(6 * 120):
        if not resync_required((await site.item(item_id))["properties"]["providerSpecificDetails"]):
            break
        engine.advance(30)
    item = await site.item(item_id)
    assert not resync_required(item["properties"]["providerSpecificDetails"]), "the resync never completed"
    assert not {"78511", "78512", "78174"} & codes(item)
    assert "RepairReplication" not in item["properties"]["allowedOperations"]


async def test_without_heartbeats_there_are_no_new_recovery_points_and_rpo_grows(site: Site) -> None:
    engine = site.engine
    item_id = (await protected_item(site))["id"]
    engine.estate.set_power(engine.item_by_id(item_id).vm_moref, "poweredOff", engine.now)
    engine.advance(60)
    details = (await site.item(item_id))["properties"]["providerSpecificDetails"]
    beat, point, first_rpo = heartbeat(details), await site.newest_point(item_id), rpo(details)
    assert beat is not None and point is not None and first_rpo is not None
    engine.advance(3 * HOUR)
    item = await site.item(item_id)
    details = item["properties"]["providerSpecificDetails"]
    assert heartbeat(details) == beat  # no heartbeat since the machine went off
    assert await site.newest_point(item_id) == point  # so no new recovery point
    grown = rpo(details)
    assert grown is not None and grown >= first_rpo + 3 * HOUR - 60
    assert {"78174", "78513"} <= codes(item)  # and the item says why


async def check_site(site: Site, *, points: bool = False) -> list[str]:
    """Every contradiction between the fields of the site's items, one line each; with ``points``, also
    an item that can fail over but lists no recovery point to fail over to."""
    problems: list[str] = []
    for item in await site.items():
        p = item["properties"]
        d = p["providerSpecificDetails"]
        name = p["friendlyName"]
        allowed = set(p["allowedOperations"])
        levels = {e["errorLevel"] for e in p.get("healthErrors", [])}
        expected = "Critical" if "Error" in levels else ("Warning" if levels else "Normal")
        if p["replicationHealth"] != expected:
            problems.append(f"{name}: health {p['replicationHealth']} with errors {sorted(codes(item))}")
        beat, computed = heartbeat(d), at(d.get("lastRpoCalculatedTime"))
        point, lag = at(d.get("lastRecoveryPointReceived")), rpo(d)
        if beat is not None and point is not None and (point - beat).total_seconds() > HEARTBEAT_SLACK:
            problems.append(f"{name}: recovery point {point} newer than the last heartbeat {beat}")
        if beat is not None and computed is not None and lag is not None:
            silent = (computed - beat).total_seconds()
            if lag < silent - HEARTBEAT_SLACK:
                problems.append(f"{name}: RPO {lag} s beside a heartbeat {silent:.0f} s old")
        tfo = p["testFailoverState"]
        if tfo == "WaitingForCompletion" and (
            "TestFailoverCleanup" not in allowed or "TestFailover" in allowed
        ):
            problems.append(f"{name}: test failover awaiting cleanup, allowed {sorted(allowed)}")
        if tfo in ("InProgress", "MarkedForDeletion") and allowed & {"TestFailover", "UnplannedFailover"}:
            problems.append(f"{name}: test failover {tfo}, allowed {sorted(allowed)}")
        if allowed & {"TestFailover", "UnplannedFailover"} and (
            p["protectionState"] != "Protected" or p["activeLocation"] != "Primary"
        ):
            problems.append(f"{name}: failover allowed in {p['protectionState']}/{p['activeLocation']}")
        needs = resync_required(d)
        if "RepairReplication" in allowed and not needs:
            problems.append(f"{name}: resync offered though none is required")
        if needs and p["protectionState"] == "Protected" and "78511" not in codes(item):
            problems.append(f"{name}: resync required without a health error saying so")
        if (
            needs
            and tfo == "None"
            and p["protectionState"] == "Protected"
            and p["activeLocation"] == "Primary"
        ):
            resyncing = (
                d.get("resyncState", "None") != "None" or p["currentScenario"]["scenarioName"] != "None"
            )
            if ("RepairReplication" in allowed) == resyncing:
                problems.append(f"{name}: resync required, resyncing={resyncing}, allowed {sorted(allowed)}")
        if points and "UnplannedFailover" in allowed and await site.newest_point(item["id"]) is None:
            problems.append(f"{name}: failover allowed but no recovery point listed")
        power = d.get("discoveredVmDetails", {}).get("powerStatus")
        if d.get("resyncProgressHealth") == "InProgress" and power == "OFF":
            problems.append(f"{name}: resync progressing on a machine that is off")
    return problems


@pytest.mark.parametrize("provider", ["inmagercm", "inmageazurev2", "mixed"])
async def test_every_state_of_every_item_is_one_a_vault_could_show(provider: str) -> None:
    engine = make_demo_site(vms=400, protected=300, seed=9, speed=0.0, provider=provider, start=DEFAULT_EPOCH)
    async with serve(engine) as site:
        assert await check_site(site, points=True) == []  # as built
        for _ in range(4):  # and as time passes: outages, stalls, resyncs asked for
            engine.advance(6 * HOUR)
            assert await check_site(site) == []


# ---------------------------------------------------------------------------------- the job history

# jobs that reach into the machine through its Mobility agent: they end while it still answers
NEEDS_AGENT = {"EnableDr", "RepairReplication", "UpdateMobilityService"}
FAILOVERS = {"UnplannedFailover", "PlannedFailover", "ChangePit", "Commit", "Reprotect"}
TICK_SLACK = 60.0  # item times are kept to the simulated tick a job ended in


def job_times(job: dict[str, Any]) -> tuple[datetime, datetime | None]:
    p = job["properties"]
    start = at(p["startTime"])
    assert start is not None
    return start, at(p.get("endTime"))


def check_history(
    site: Site, items: list[dict[str, Any]], jobs: list[dict[str, Any]], now: datetime
) -> list[str]:
    """Every job of the history that contradicts the state of the item it names, one line each."""
    problems: list[str] = []
    by_name = {i["properties"]["friendlyName"]: i for i in items}
    on_item: dict[str, list[dict[str, Any]]] = {}
    for job in jobs:
        p = job["properties"]
        _, end = job_times(job)
        if p["state"] in ("InProgress", "NotStarted") or end is None or end > now:
            problems.append(f"{p['friendlyName']} {p['targetObjectName']}: still running in the history")
            continue
        if p["targetInstanceType"] != "ProtectionEntity":
            continue
        if p["targetObjectName"] in by_name:
            on_item.setdefault(p["targetObjectName"], []).append(job)
        elif p["scenarioName"] != "EnableDr" or p["state"] != "Failed":
            problems.append(f"{p['friendlyName']} {p['targetObjectName']}: on a VM that is not protected")
    for name, item_jobs in on_item.items():
        item = by_name[name]
        problems += check_item_history(site, item, sorted(item_jobs, key=lambda j: job_times(j)[0]))
    return problems


def check_item_history(site: Site, item: dict[str, Any], jobs: list[dict[str, Any]]) -> list[str]:
    p = item["properties"]
    d = p["providerSpecificDetails"]
    name = p["friendlyName"]
    protected_at = site.engine.clock.at(site.engine.item_by_id(item["id"]).created)
    beat = heartbeat(d)
    last_tfo = at(p.get("lastSuccessfulTestFailoverTime"))
    problems: list[str] = []

    def seconds(a: datetime, b: datetime) -> float:
        return (a - b).total_seconds()

    enables = [j for j in jobs if j["properties"]["scenarioName"] == "EnableDr"]
    if len(enables) > 1:
        problems.append(f"{name}: {len(enables)} enable jobs")
    for job in enables:
        start, end = job_times(job)
        if (
            job["properties"]["state"] != "Succeeded"
            or end is None
            or seconds(end, protected_at) > TICK_SLACK
        ):
            problems.append(
                f"{name}: enable {job['properties']['state']} ending {end}, protected {protected_at}"
            )
    tfo_pending = p["testFailoverState"] == "WaitingForCompletion"
    drills = [j for j in jobs if j["properties"]["scenarioName"] in ("TestFailover", "TestFailoverCleanup")]
    for i, job in enumerate(drills):
        scenario = job["properties"]["scenarioName"]
        start, end = job_times(job)
        assert end is not None
        following = drills[i + 1]["properties"]["scenarioName"] if i + 1 < len(drills) else None
        if scenario == "TestFailover":
            if job["properties"]["state"] == "Succeeded" and (
                last_tfo is None or seconds(end, last_tfo) > TICK_SLACK
            ):
                problems.append(f"{name}: test failover succeeded at {end}, last successful {last_tfo}")
            if following is None and job["properties"]["state"] == "Succeeded":
                if last_tfo is None or abs(seconds(end, last_tfo)) > TICK_SLACK:
                    problems.append(f"{name}: last test failover ended {end}, the item says {last_tfo}")
                if not tfo_pending:
                    problems.append(f"{name}: test failover at {end} never cleaned up")
            elif following == "TestFailover":
                problems.append(f"{name}: a test failover at {end} followed by another without a cleanup")
        elif following == "TestFailoverCleanup":
            problems.append(f"{name}: two cleanups in a row at {end}")
        elif following is None and tfo_pending:
            problems.append(f"{name}: waits for a cleanup that the history shows done at {end}")
    needs = resync_required(d)
    power = d.get("discoveredVmDetails", {}).get("powerStatus")
    off = power == "OFF" or site.engine.estate.vms[
        site.engine.item_by_id(item["id"]).vm_moref
    ].power_state != ("poweredOn")
    resyncs = [j for j in jobs if j["properties"]["scenarioName"] == "RepairReplication"]
    for job in resyncs:
        start, end = job_times(job)
        assert end is not None
        state = job["properties"]["state"]
        if state == "Succeeded" and needs:
            problems.append(f"{name}: resync succeeded at {end} but the item still needs one")
        if state == "Failed":
            [error] = job["properties"]["errors"]
            code = error["serviceErrorDetails"]["code"]
            if code == "78512" and not (off and beat is not None and start > beat):
                problems.append(f"{name}: resync failed at {end} as not running, heartbeat {beat}, off={off}")
            if code == "78512" and job is resyncs[-1] and off and "78512" not in codes(item):
                problems.append(f"{name}: resync failed as not running, the item does not say so")
    for job in jobs:
        scenario, state = job["properties"]["scenarioName"], job["properties"]["state"]
        start, end = job_times(job)
        assert end is not None
        if scenario != "EnableDr" and seconds(start, protected_at) < 0:
            problems.append(f"{name}: {scenario} at {start}, before its protection began {protected_at}")
        if scenario in NEEDS_AGENT and state == "Succeeded" and beat is not None and end > beat:
            problems.append(f"{name}: {scenario} succeeded at {end} after the last heartbeat {beat}")
        if (
            scenario in FAILOVERS
            and p["activeLocation"] == "Primary"
            and not p.get("lastSuccessfulFailoverTime")
        ):
            problems.append(f"{name}: {scenario} at {end} on an item that never failed over")
        if scenario == "TestFailover" and p["protectionState"] != "Protected":
            problems.append(f"{name}: test failover in {p['protectionState']}")
    return problems


@pytest.mark.parametrize(
    ("provider", "seed"), [("inmagercm", 3), ("inmageazurev2", 9), ("mixed", 21), ("mixed", 40)]
)
async def test_the_job_history_is_one_the_items_states_imply(provider: str, seed: int) -> None:
    """One enable per item, ending when its protection began; a successful test failover only at the
    item's last successful one (or before), each cleaned up unless the item still waits; a resync that
    succeeded only on an item that no longer needs one, and one that failed as not running only on a
    machine that is off, which the item then says; nothing that needs the agent after its last heartbeat;
    no failover or commit on an item that never failed over."""
    engine = make_demo_site(
        vms=300, protected=200, seed=seed, speed=0.0, provider=provider, start=DEFAULT_EPOCH
    )
    async with serve(engine) as site:
        items = await site.items()
        jobs = [job.as_dict() async for job in site.client.replication_jobs.list(*site.rv)]
        assert check_history(site, items, jobs, engine.now) == []
        scenarios = {(j["properties"]["scenarioName"], j["properties"]["state"]) for j in jobs}
        # and it has the cases those checks are about
        wanted = {
            ("EnableDr", "Succeeded"),
            ("TestFailover", "Succeeded"),
            ("TestFailoverCleanup", "Succeeded"),
            ("RepairReplication", "Succeeded"),
            ("RepairReplication", "Failed"),
        }
        assert wanted <= scenarios, wanted - scenarios


async def test_a_seeded_resync_that_failed_on_a_machine_that_was_off_resyncs_when_restarted() -> None:
    """The history's failed resync is a real one: once the machine runs, restarting it (ASR's Restart
    job) starts the resync the item needs, which then completes."""
    engine = make_demo_site(
        vms=300, protected=200, seed=3, speed=0.0, provider="inmagercm", start=DEFAULT_EPOCH
    )
    async with serve(engine) as site:
        jobs = [job.as_dict() async for job in site.client.replication_jobs.list(*site.rv)]
        failed = next(
            j
            for j in jobs
            if j["properties"]["scenarioName"] == "RepairReplication" and j["properties"]["state"] == "Failed"
        )
        item = next(
            i
            for i in await site.items()
            if i["properties"]["friendlyName"] == failed["properties"]["targetObjectName"]
        )
        assert "78512" in codes(item) and resync_required(item["properties"]["providerSpecificDetails"])
        engine.estate.set_power(engine.item_by_id(item["id"]).vm_moref, "poweredOn", engine.now)
        engine.advance(2 * 60)
        assert "78512" not in codes(await site.item(item["id"]))  # the cause is gone
        again = await site.finish((await site.service.restart_job(failed["id"])).name)
        assert again["properties"]["state"] == "Succeeded"
        for _ in range(6 * 120):
            if not resync_required((await site.item(item["id"]))["properties"]["providerSpecificDetails"]):
                break
            engine.advance(30)
        after = await site.item(item["id"])
        assert not resync_required(after["properties"]["providerSpecificDetails"]), (
            "the resync never completed"
        )
        assert not {"78511", "78512"} & codes(after)
