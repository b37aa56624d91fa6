"""``asr-console reprotect`` (with its target flags), ``failback`` and ``disable --purge`` against the
simulated ARM site: names resolve to the vault's ids in the plan, unknown ones are exit 2 naming them
with nothing sent, and a modernized item goes failover → commit → re-protect → failback → commit →
re-protect back from the shell."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.clock import DEFAULT_EPOCH
from tests.test_status_command import clean_environment, connection_flags
from tests.test_write_commands import audit_entries, command, items, name, not_a_terminal, quick_polls

__all__ = ["clean_environment", "not_a_terminal", "quick_polls"]  # the autouse fixtures


@pytest.fixture
async def site() -> AsyncIterator[tuple[SimEngine, SiteEndpoint]]:
    engine = make_demo_site(
        vms=20, protected=10, seed=3, speed=0.0, provider="inmagercm", start=DEFAULT_EPOCH
    )
    async with serve_site(engine, page_size=4, lro_retry_after=0) as endpoint:
        yield engine, endpoint


def settle(engine: SimEngine) -> None:
    assert engine.run_until(
        lambda: all(j["properties"]["state"] != "InProgress" for j in engine.list_jobs()), limit=7200
    )


def item_props(engine: SimEngine, item_id: str) -> dict[str, Any]:
    return next(i["properties"] for i in engine.list_protected_items() if i["id"] == item_id)


async def run(capsys: pytest.CaptureFixture[str], endpoint: SiteEndpoint, *argv: str) -> tuple[int, str, str]:
    return await command(capsys, *argv, *connection_flags(endpoint))


async def test_a_modernized_item_round_trips_from_the_shell(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    settle(engine)
    target = items(engine, "UnplannedFailover")[0]
    vm = name(target)
    assert (await run(capsys, endpoint, "failover", vm, "--yes"))[0] == 0
    settle(engine)
    assert (await run(capsys, endpoint, "commit", vm, "--yes"))[0] == 0
    settle(engine)
    fabric = next(iter(engine.fabrics.values()))
    # the plan names the agent, datastore and cache storage account, resolved from the vault
    code, out, err = await run(capsys, endpoint, "reprotect", vm, "--dry-run", "--json")
    assert (code, err) == (0, "")
    inputs = json.loads(out)["plan"][0]["inputs"]
    assert inputs["direction"] == "→ VMware"
    assert inputs["reprotect_agent"] == fabric.reprotect_agent_name
    assert inputs["datastore"] == fabric.datastores[0]
    assert inputs["cache_storage"] == engine.items[target["name"]].log_storage_account_id.rsplit("/", 1)[-1]
    # ... and the ids it sends beside those names
    assert inputs["reprotect_agent_id"] == fabric.reprotect_agent_id
    assert inputs["cache_storage_account_id"] == engine.items[target["name"]].log_storage_account_id
    assert inputs["policy"] == "ASR's default failback policy" and "policy_id" not in inputs
    # a cache storage account typed by name is shown as the id it resolves to, in the text plan too
    code, out, err = await run(
        capsys, endpoint, "reprotect", vm, "--cache-storage", "stasrcacheweu02", "--dry-run"
    )
    assert (code, err) == (0, "")
    assert f"cache_storage_account_id {engine.scope.storage_id('stasrcacheweu02')}" in out
    assert f"reprotect_agent_id {fabric.reprotect_agent_id}" in out
    # the cache storage account by its bare name: resolved to its ARM id among the subscription's
    code, out, err = await run(
        capsys,
        endpoint,
        "reprotect",
        vm,
        "--datastore",
        fabric.datastores[-1],
        "--cache-storage",
        "stasrcacheweu02",
        "--yes",
    )
    assert (code, err) == (0, ""), err
    settle(engine)
    details = item_props(engine, target["id"])["providerSpecificDetails"]
    assert (details["instanceType"], details["targetDataStoreName"]) == (
        "InMageRcmFailback",
        fabric.datastores[-1],
    )
    assert engine.items[target["name"]].log_storage_account_id == engine.scope.storage_id("stasrcacheweu02")
    code, out, err = await run(
        capsys, endpoint, "failback", vm, "--recovery-point-type", "crash-consistent", "--yes", "--json"
    )
    assert (code, err) == (0, ""), err
    report = json.loads(out)
    assert report["plan"][0]["operation"] == "failback"
    assert report["plan"][0]["inputs"] == {"recovery_point_type": "CrashConsistent"}
    assert report["jobs"][0]["job_id"] in engine.jobs
    settle(engine)
    assert item_props(engine, target["id"])["activeLocation"] == "Primary"
    assert (await run(capsys, endpoint, "commit", vm, "--yes"))[0] == 0
    settle(engine)
    code, out, err = await run(capsys, endpoint, "reprotect", vm, "--dry-run", "--json")
    inputs = json.loads(out)["plan"][0]["inputs"]
    assert inputs["direction"] == "→ Azure"
    # the replication policy it used before (its lastUsedPolicyId) and the process server, as ids
    assert inputs["policy_id"] == engine.scope.policy_id(engine.items[target["name"]].policy)
    [listed] = [f for f in engine.list_fabrics() if f["name"] == fabric.name]
    servers = {p["id"]: p["name"] for p in listed["properties"]["customDetails"]["processServers"]}
    assert servers[inputs["process_server_id"]] == inputs["process_server"]
    code, out, err = await run(capsys, endpoint, "reprotect", vm, "--yes")
    assert (code, err) == (0, ""), err
    settle(engine)
    back = item_props(engine, target["id"])
    assert back["providerSpecificDetails"]["instanceType"] == "InMageRcm"
    assert "UnplannedFailover" in back["allowedOperations"]
    assert [e["action"] for e in audit_entries() if e["phase"] == "intent"] == [
        "unplanned-failover",
        "commit-failover",
        "reprotect",
        "failback",
        "commit-failover",
        "reprotect",
    ]


async def test_unknown_reprotect_targets_are_exit_2_naming_them(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    settle(engine)
    vm = name(items(engine, "UnplannedFailover")[0])
    assert (await run(capsys, endpoint, "failover", vm, "--yes"))[0] == 0
    settle(engine)
    assert (await run(capsys, endpoint, "commit", vm, "--yes"))[0] == 0
    settle(engine)
    jobs = len(engine.jobs)
    code, _, err = await run(
        capsys, endpoint, "reprotect", vm, "--reprotect-agent", "nope", "--cache-storage", "cache1", "--yes"
    )
    assert code == 2 and "unknown reprotect agent nope" in err
    assert "--cache-storage: no storage account is named cache1 (known: stasrcache" in err
    assert "nothing sent" in err
    code, _, err = await run(capsys, endpoint, "failback", vm, "--yes")
    assert code == 2 and "PlannedFailover is not allowed" in err
    assert len(engine.jobs) == jobs


async def test_disable_purge_removes_an_item_that_allows_nothing(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    settle(engine)
    target = items(engine, "TestFailover")[0]
    vm = name(target)
    assert (await run(capsys, endpoint, "test-failover", vm, "--network", "vnet-dr-test", "--yes"))[0] == 0
    assert item_props(engine, target["id"])["allowedOperations"] == []
    code, _, err = await run(capsys, endpoint, "disable", vm, "--yes")
    assert code == 2 and "DisableProtection is not allowed" in err
    code, out, err = await run(capsys, endpoint, "disable", vm, "--purge", "--dry-run")
    assert (code, err) == (0, "") and "purge" in out and "nothing is cleaned up" in out
    code, out, err = await run(capsys, endpoint, "disable", vm, "--purge", "--yes", "--json")
    assert (code, err) == (0, ""), err
    assert json.loads(out)["plan"][0]["operation"] == "purge"
    settle(engine)
    assert target["id"] not in {i["id"] for i in engine.list_protected_items()}
