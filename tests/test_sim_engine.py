"""The simulated site's engine: determinism, state machines, validation, behaviour over time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.clock import DEFAULT_EPOCH
from asr_console.sim.errors import Rejected, SimError


def site(**kwargs: Any) -> SimEngine:
    options: dict[str, Any] = {
        "vms": 40,
        "protected": 24,
        "seed": 11,
        "speed": 0.0,
        "provider": "mixed",
        "start": DEFAULT_EPOCH,
    }
    options.update(kwargs)
    return make_demo_site(**options)


def path_of(item: dict[str, Any]) -> tuple[str, str, str]:
    parts = item["id"].split("/")
    return (
        parts[parts.index("replicationFabrics") + 1],
        parts[parts.index("replicationProtectionContainers") + 1],
        item["name"],
    )


def props(engine: SimEngine, path: tuple[str, str, str]) -> dict[str, Any]:
    properties: dict[str, Any] = engine.get_protected_item(*path)["properties"]
    return properties


def pick(engine: SimEngine, operation: str, provider: str | None = None) -> tuple[str, str, str]:
    for item in engine.list_protected_items():
        p = item["properties"]
        if operation in p["allowedOperations"] and (
            provider is None or p["providerSpecificDetails"]["instanceType"] == provider
        ):
            return path_of(item)
    raise AssertionError(f"no item allows {operation}")


def finish(engine: SimEngine, job: str) -> dict[str, Any]:
    assert engine.run_until(lambda: engine.get_job(job)["properties"]["state"] != "InProgress", limit=7200)
    return engine.get_job(job)


def test_same_seed_same_site_and_history() -> None:
    a, b = site(), site()
    for engine in (a, b):
        engine.advance(3 * 3600)
    assert json.dumps(a.list_protected_items()) == json.dumps(b.list_protected_items())
    assert json.dumps(a.list_jobs()) == json.dumps(b.list_jobs())
    assert a.estate.all_records() == b.estate.all_records()
    c = site(seed=12)
    c.advance(3 * 3600)
    assert json.dumps(c.list_protected_items()) != json.dumps(a.list_protected_items())


def test_clock_runs_at_speed_with_injected_monotonic() -> None:
    now = [100.0]
    from asr_console.sim.clock import SimClock

    clock = SimClock(speed=60, monotonic=lambda: now[0])
    engine = SimEngine(vms=5, protected=2, seed=1, clock=clock)
    start = engine.now
    now[0] += 10  # ten real seconds → ten simulated minutes
    engine.step()
    assert (engine.now - start).total_seconds() == pytest.approx(600)


@pytest.mark.parametrize("provider", ["InMageRcm", "InMageAzureV2"])
def test_test_failover_then_cleanup(provider: str) -> None:
    engine = site()
    path = pick(engine, "TestFailover", provider)
    job = engine.test_failover(
        *path,
        {
            "properties": {
                "networkId": engine.scope.network_id("vnet-dr-test"),
                "providerSpecificDetails": {"instanceType": provider}
                | ({"networkId": engine.scope.network_id("vnet-dr-test")} if provider == "InMageRcm" else {}),
            }
        },
    )
    during = props(engine, path)
    assert during["testFailoverState"] == "InProgress"
    assert during["allowedOperations"] == []
    assert during["currentScenario"]["scenarioName"] == "TestFailover"
    assert finish(engine, job)["properties"]["state"] == "Succeeded"
    after = props(engine, path)
    assert after["testFailoverState"] == "WaitingForCompletion"
    assert "TestFailoverCleanup" in after["allowedOperations"]
    assert "TestFailover" not in after["allowedOperations"]
    assert after["lastSuccessfulTestFailoverTime"]
    cleanup = engine.test_failover_cleanup(*path, {"properties": {"comments": "RDP and app checks OK"}})
    assert props(engine, path)["testFailoverState"] == "MarkedForDeletion"
    finish(engine, cleanup)
    done = props(engine, path)
    assert done["testFailoverState"] == "None"
    assert "TestFailover" in done["allowedOperations"]


def test_failover_change_point_commit_reprotect() -> None:
    engine = site(provider="inmagercm")
    path = pick(engine, "UnplannedFailover")
    job = engine.unplanned_failover(
        *path,
        {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "performShutdown": "true"}}},
    )
    assert props(engine, path)["protectionState"] == "UnplannedFailoverTransitionStatesBegin"
    finish(engine, job)
    failed_over = props(engine, path)
    assert failed_over["activeLocation"] == "Recovery"
    assert set(failed_over["allowedOperations"]) >= {"Commit", "ChangePit"}
    vm = engine.items[path[2]].vm_moref
    assert engine.estate.vms[vm].power_state == "poweredOff"  # performShutdown
    points = engine.list_recovery_points(*path)
    older = points[-1]["id"]
    finish(
        engine,
        engine.apply_recovery_point(
            *path,
            {
                "properties": {
                    "recoveryPointId": older,
                    "providerSpecificDetails": {"instanceType": "InMageRcm", "recoveryPointId": older},
                }
            },
        ),
    )
    assert props(engine, path)["failoverRecoveryPointId"] == older
    finish(engine, engine.commit(*path))
    committed = props(engine, path)
    assert committed["allowedOperations"] == ["ReverseReplicate", "DisableProtection"]
    fabric = engine.fabrics[path[0]]
    agent = fabric.to_arm(engine.clock, 0, engine.scope, lambda *a, **k: {})["properties"]["customDetails"][
        "reprotectAgents"
    ][0]
    to_vmware = {
        "instanceType": "InMageRcm",
        "reprotectAgentId": agent["id"],
        "datastoreName": agent["accessibleDatastores"][0],
        "logStorageAccountId": engine.scope.storage_id("cache1"),
    }
    with pytest.raises(Rejected, match="reprotectAgentId: is required"):
        engine.reprotect(
            *path, {"properties": {"providerSpecificDetails": {**to_vmware, "reprotectAgentId": None}}}
        )
    with pytest.raises(Rejected, match="cannot reach datastore"):
        engine.reprotect(
            *path, {"properties": {"providerSpecificDetails": {**to_vmware, "datastoreName": "nas9"}}}
        )
    finish(engine, engine.reprotect(*path, {"properties": {"providerSpecificDetails": to_vmware}}))
    reprotected = props(engine, path)
    assert reprotected["protectionState"] == "Protected"
    assert reprotected["activeLocation"] == "Recovery"
    assert reprotected["providerSpecificDetails"]["instanceType"] == "InMageRcmFailback"
    assert reprotected["allowedOperations"] == ["PlannedFailover", "DisableProtection"]
    failback = {"instanceType": "InMageRcmFailback", "recoveryPointType": "CrashConsistent"}
    with pytest.raises(Rejected, match="recoveryPointType"):
        engine.planned_failover(
            *path, {"properties": {"providerSpecificDetails": {**failback, "recoveryPointType": "Latest"}}}
        )
    finish(engine, engine.planned_failover(*path, {"properties": {"providerSpecificDetails": failback}}))
    failed_back = props(engine, path)
    assert (failed_back["activeLocation"], failed_back["allowedOperations"]) == (
        "Primary",
        ["Commit", "DisableProtection"],
    )
    finish(engine, engine.commit(*path))
    assert props(engine, path)["allowedOperations"] == ["ReverseReplicate", "DisableProtection"]
    policy = engine.items[path[2]].policy
    to_azure = {
        "instanceType": "InMageRcmFailback",
        "processServerId": fabric.process_servers[0].id,
        "policyId": engine.scope.policy_id(policy),
    }
    finish(engine, engine.reprotect(*path, {"properties": {"providerSpecificDetails": to_azure}}))
    back = props(engine, path)
    assert (back["protectionState"], back["activeLocation"]) == ("Protected", "Primary")
    assert back["providerSpecificDetails"]["instanceType"] == "InMageRcm"
    assert "UnplannedFailover" in back["allowedOperations"]


def test_resync_clears_resync_required() -> None:
    engine = site(vms=80, protected=70)
    path = pick(engine, "RepairReplication")
    assert props(engine, path)["providerSpecificDetails"].get("resyncRequired", "true") != "false"
    finish(engine, engine.repair_replication(*path))
    item = engine.items[path[2]]
    assert item.resync_percent is not None
    assert engine.run_until(lambda: not item.resync_required, limit=6 * 3600)
    assert "RepairReplication" not in props(engine, path)["allowedOperations"]


def test_operation_not_allowed_is_rejected_before_any_change() -> None:
    engine = site()
    path = pick(engine, "TestFailover")
    before = json.dumps(engine.get_protected_item(*path))
    jobs = len(engine.jobs)
    with pytest.raises(Rejected) as caught:
        engine.commit(*path)
    assert "Commit is not allowed" in str(caught.value)
    target = engine.items[path[2]].target_network_id
    with pytest.raises(Rejected) as caught:
        engine.test_failover(*path, {"properties": {"networkId": target}})
    assert caught.value.errors[0].field == "properties.networkId"  # the failover network: refused
    assert json.dumps(engine.get_protected_item(*path)) == before
    assert len(engine.jobs) == jobs


def test_invalid_policy_rejected_and_valid_one_created() -> None:
    engine = site()
    jobs = len(engine.jobs)
    bad = {
        "properties": {
            "providerSpecificInput": {
                "instanceType": "InMageRcm",
                "recoveryPointHistoryInMinutes": 30000,
                "appConsistentFrequencyInMinutes": 90,
                "crashConsistentFrequencyInMinutes": 5,
                "enableMultiVmSync": "false",
            }
        }
    }
    with pytest.raises(Rejected) as caught:
        engine.create_policy("too-long", bad)
    fields = {e.field for e in caught.value.errors}
    assert fields == {
        "properties.providerSpecificInput.recoveryPointHistoryInMinutes",
        "properties.providerSpecificInput.appConsistentFrequencyInMinutes",
    }
    assert len(engine.jobs) == jobs and "too-long" not in engine.policies
    good = {
        "properties": {
            "providerSpecificInput": {
                "instanceType": "InMageRcm",
                "recoveryPointHistoryInMinutes": 2880,
                "appConsistentFrequencyInMinutes": 120,
                "crashConsistentFrequencyInMinutes": 5,
                "enableMultiVmSync": "true",
            }
        }
    }
    finish(engine, engine.create_policy("gold-48h", good))
    details = engine.get_policy("gold-48h")["properties"]["providerSpecificDetails"]
    assert details["recoveryPointHistoryInMinutes"] == 2880 and details["enableMultiVmSync"] == "true"


def test_unknown_item_is_not_found() -> None:
    engine = site()
    with pytest.raises(SimError) as caught:
        engine.get_protected_item("appliance-weu-01", "appliance-weu-01-container", "nope")
    assert caught.value.status == 404


def test_enable_replication_goes_through_initial_replication_to_protected() -> None:
    engine = site(provider="inmagercm")
    fabric = engine.fabrics["appliance-weu-01"]
    taken = {i.instance_uuid for i in engine.items.values()}
    unprotected = next(
        m
        for m in (render() for render in engine.site_machines(fabric.site_name))
        if m["properties"]["instanceUuid"] not in taken
    )
    policy = next(iter(engine.mappings.values())).policy
    body = {
        "properties": {
            "policyId": engine.scope.policy_id(policy),
            "providerSpecificDetails": {
                "instanceType": "InMageRcm",
                "fabricDiscoveryMachineId": unprotected["id"],
                "targetResourceGroupId": engine.scope.resource_group_id("rg-dr-recovery"),
                "processServerId": fabric.process_servers[0].id,
                "disksDefault": {
                    "logStorageAccountId": engine.scope.storage_id("stasrcacheweu01"),
                    "diskType": "Standard_LRS",
                },
            },
        }
    }
    path = (fabric.name, fabric.container, unprotected["name"])
    job = engine.enable_protection(*path, body)
    assert props(engine, path)["protectionState"] == "EnablingProtection"
    finish(engine, job)
    assert props(engine, path)["providerSpecificDetails"]["initialReplicationProgressPercentage"] < 100
    seen: list[int] = []

    def protected() -> bool:
        seen.append(props(engine, path)["providerSpecificDetails"]["initialReplicationProgressPercentage"])
        return bool(props(engine, path)["protectionState"] == "Protected")

    engine.run_until(protected, limit=3 * 86400, step=600)
    assert props(engine, path)["protectionState"] == "Protected"
    assert seen == sorted(seen) and seen[-1] == 100
    with pytest.raises(Rejected):
        engine.enable_protection(*path, body)  # already protected


def test_powered_off_vm_loses_heartbeat_with_cause_and_action() -> None:
    engine = site(provider="inmagercm")
    path = pick(engine, "TestFailover")
    item = engine.items[path[2]]
    engine.estate.set_power(item.vm_moref, "poweredOff", engine.now)
    engine.advance(20 * 60)
    errors = {e["errorCode"]: e for e in props(engine, path)["healthErrors"]}
    assert "78174" in errors
    assert errors["78174"]["possibleCauses"] and errors["78174"]["recommendedAction"]
    assert props(engine, path)["replicationHealth"] == "Critical"
    rpo = props(engine, path)["providerSpecificDetails"]["lastRpoInSeconds"]
    assert rpo >= 20 * 60
    engine.estate.set_power(item.vm_moref, "poweredOn", engine.now)
    engine.advance(120)
    assert "78174" not in {e["errorCode"] for e in props(engine, path)["healthErrors"]}


def test_job_tasks_progress_and_cancel_restores_state() -> None:
    engine = site()
    path = pick(engine, "TestFailover", "InMageRcm")
    job = engine.test_failover(*path, {"properties": {"networkId": engine.scope.network_id("vnet-dr-test")}})
    states = [t["state"] for t in engine.get_job(job)["properties"]["tasks"]]
    assert states[0] == "InProgress" and states[-1] == "NotStarted"
    engine.advance(60)
    states = [t["state"] for t in engine.get_job(job)["properties"]["tasks"]]
    assert states[0] == "Succeeded" and "InProgress" in states
    engine.cancel_job(job)
    assert engine.get_job(job)["properties"]["state"] == "Cancelled"
    assert engine.get_job(job)["properties"]["allowedActions"] == ["Restart"]
    assert props(engine, path)["testFailoverState"] == "None"
    again = engine.restart_job(job)
    # ASR restarts a job as a new job; the cancelled one stays as it ended
    assert again != job and engine.get_job(job)["properties"]["state"] == "Cancelled"
    assert props(engine, path)["testFailoverState"] == "InProgress"
    assert props(engine, path)["currentScenario"]["jobId"].endswith(again)
    assert finish(engine, again)["properties"]["state"] == "Succeeded"


def test_injected_job_failure_carries_error_details() -> None:
    engine = site()
    path = pick(engine, "TestFailover")
    engine.fail_next("TestFailover", "78169")
    job = finish(
        engine,
        engine.test_failover(*path, {"properties": {"networkId": engine.scope.network_id("vnet-dr-test")}}),
    )
    assert job["properties"]["state"] == "Failed"
    error = job["properties"]["errors"][0]["serviceErrorDetails"]
    assert error["code"] == "78169" and error["recommendedAction"]
    assert props(engine, path)["testFailoverState"] == "None"


def test_a_listing_fixes_its_items_and_each_page_shows_their_state_when_served() -> None:
    """ARM's paging: which items and in what order is fixed by the first request; a later page shows
    the state at the time it is served, not a copy taken when listing began."""
    engine = site(speed=0.0)
    listed = engine.list_protected_items()
    snapshot = engine.protected_item_snapshot()
    engine.advance(6 * 3600)  # RPOs, heartbeats, health errors and phases all move on
    later = engine.list_protected_items()
    assert later != listed
    assert [render() for render in snapshot] == later
    engine.items.pop(path_of(listed[0])[2])  # gone between pages: the listing still holds its slot
    assert len([render() for render in snapshot]) == len(listed)
    assert len(engine.list_protected_items()) == len(listed) - 1
    name = path_of(later[1])[1]
    assert [render() for render in engine.protected_item_snapshot(container=name)] == [
        i for i in later[1:] if path_of(i)[1] == name
    ]


async def test_reads_more_often_than_a_tick_keep_replication_going() -> None:
    """A console polling every second at ×30 steps the site by less than a tick each time; the
    remainder must accumulate, or no recovery point is ever taken and every RPO grows without end."""
    from asr_console.sim.engine import make_demo_site as _site
    from tests.arm_site import on_site

    site = _site(vms=60, protected=20, seed=3, speed=0, provider="mixed")
    async with on_site(site) as service:
        for _ in range(180):  # 30 simulated minutes in 10-second steps
            site.advance(10)
            await service.protected_items()
        items = await service.protected_items()
    rpos = sorted(i.rpo_seconds or 0 for i in items if i.protection_state == "Protected")
    assert rpos, "the site has protected items"
    assert rpos[len(rpos) // 2] < 600, rpos


def test_a_failed_push_install_stops_enable_replication_at_its_task() -> None:
    """ASR stops a job at the failing task: the ones after it never start, the error names that task,
    and the job ends when it fails, not when all its tasks would have run."""
    from asr_console.sim.clock import SimClock
    from asr_console.sim.jobs import SimJob
    from asr_console.sources.azure_wire import job as wire_job
    from asr_console.widgets.jobs import task_progress

    job = SimJob(name="j1", scenario="EnableDr", start=0.0, target_object_id="x", target_object_name="vm-1")
    job.fail_code = "95001"
    assert not job.advance(169.0) and job.advance(170.0)  # 20 + 30 + 120 s: prerequisites .. enable
    body = job.to_arm(SimClock(speed=0), "/jobs/j1", 9999.0)
    states = [t["state"] for t in body["properties"]["tasks"]]
    assert states == ["Succeeded", "Succeeded", "Failed", "NotStarted", "NotStarted"]
    [error] = body["properties"]["errors"]
    assert error["taskId"] == body["properties"]["tasks"][2]["taskId"]
    assert error["serviceErrorDetails"]["code"] == "95001"
    assert task_progress(wire_job(body)) == "2/5"


def test_history_policy_jobs_name_their_policy() -> None:
    engine = site(speed=0.0)
    jobs = [j["properties"] for j in engine.list_jobs()]
    updates = [j for j in jobs if j["scenarioName"] == "UpdateProtectionProfile"]
    assert updates, "the seeded history has policy updates"
    policies = {p["name"] for p in engine.list_policies()}
    for job in updates:
        assert job["targetInstanceType"] == "ProtectionProfile" and job["targetObjectName"] in policies
