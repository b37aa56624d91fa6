"""The scriptable writes (``asr-console test-failover | cleanup | failover | … ITEM...``) against the
simulated ARM site: everything is resolved and checked before anything is sent, a dry run sends
nothing, a write without a terminal needs ``--yes``, ``--json`` has the documented shape, ``--wait``
exits by how the jobs ended, and every write is in the audit log.

In-process, as ``test_status_command``: the site is served on this test's loop and the command runs
through ``cli.main`` in a worker thread, so the site's jobs can be counted beside the command's output.
One end-to-end test runs the installed command against ``asr-console simulate`` as a runbook would.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from asr_console import cli
from asr_console.commands import writes
from asr_console.config import log_dir
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.clock import DEFAULT_EPOCH
from tests.test_status_command import clean_environment, connection_flags

__all__ = ["clean_environment"]  # the autouse fixture, shared with the status tests

# the simulated subscription's isolated test network (ASR refuses a network the subscription lacks)
TEST_NETWORK = "vnet-dr-test-isolated"


class Terminal(io.StringIO):
    """Standard input as a terminal the user types ``answer`` into."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
async def site() -> AsyncIterator[tuple[SimEngine, SiteEndpoint]]:
    engine = make_demo_site(vms=20, protected=10, seed=3, speed=0.0, provider="mixed", start=DEFAULT_EPOCH)
    async with serve_site(engine, page_size=4, lro_retry_after=0) as endpoint:
        yield engine, endpoint


@pytest.fixture(autouse=True)
def not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # pytest's own stdin is not a terminal either, but say so rather than depend on how pytest is run
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writes, "POLL_SECONDS", 0.05)


async def command(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(cli.main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def items(engine: SimEngine, allowing: str) -> list[dict[str, Any]]:
    return [i for i in engine.list_protected_items() if allowing in i["properties"]["allowedOperations"]]


def name(item: dict[str, Any]) -> str:
    return str(item["properties"]["friendlyName"])


def audit_entries() -> list[dict[str, Any]]:
    path = log_dir() / "audit.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


async def test_dry_run_prints_the_plan_resolved_to_ids_and_sends_nothing(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    first, second = items(engine, "TestFailover")[:2]
    jobs_before = len(engine.list_jobs())
    code, out, err = await command(
        capsys,
        "test-failover",
        name(first).upper(),  # names are case-insensitive
        second["id"],
        "--network",
        TEST_NETWORK,
        "--dry-run",
        "--json",
        *connection_flags(endpoint),
    )
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["jobs"] == []
    assert [(row["item"], row["item_id"], row["operation"]) for row in report["plan"]] == [
        (name(first), first["id"], "test-failover"),
        (name(second), second["id"], "test-failover"),
    ]
    for row, item in zip(report["plan"], (first, second), strict=True):
        inputs = row["inputs"]
        # a bare network name is resolved to the id of the subscription's network of that name
        assert inputs["network_id"] == engine.scope.network_id(TEST_NETWORK)
        assert inputs["recovery_point"] == "latest-processed"
        points = engine.list_recovery_points(*item_path(item))
        latest = max(points, key=lambda p: p["properties"]["recoveryPointTime"])
        assert inputs["recovery_point_id"].lower() == latest["id"].lower()
    assert len(engine.list_jobs()) == jobs_before
    assert audit_entries() == []


def item_path(item: dict[str, Any]) -> tuple[str, str, str]:
    parts = item["id"].split("/")
    return (
        parts[parts.index("replicationFabrics") + 1],
        parts[parts.index("replicationProtectionContainers") + 1],
        parts[parts.index("replicationProtectedItems") + 1],
    )


async def test_without_a_terminal_a_write_needs_yes(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    target = items(engine, "RepairReplication")[0]
    jobs_before = len(engine.list_jobs())
    code, out, err = await command(capsys, "resync", name(target), *connection_flags(endpoint))
    assert code == 2
    assert f"refusing to resync {name(target)} without --yes" in err
    assert name(target) in out  # the plan was shown
    assert len(engine.list_jobs()) == jobs_before
    assert audit_entries() == []


async def test_yes_sends_every_write_through_the_audit_log_and_prints_the_jobs(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    targets = items(engine, "TestFailover")[:3]
    jobs_before = {j["name"] for j in engine.list_jobs()}
    code, out, err = await command(
        capsys,
        "test-failover",
        *(name(t) for t in targets),
        "--network",
        engine.scope.network_id(TEST_NETWORK),
        "--recovery-point",
        "latest",
        "--yes",
        "--json",
        *connection_flags(endpoint),
    )
    assert (code, err) == (0, "")
    report = json.loads(out)
    new_jobs = {j["name"]: j for j in engine.list_jobs() if j["name"] not in jobs_before}
    assert len(new_jobs) == 3
    assert [row["item"] for row in report["jobs"]] == [name(t) for t in targets]
    assert {row["job_id"] for row in report["jobs"]} == set(new_jobs)
    for row in report["jobs"]:
        assert set(row) == {"item", "job_id", "state"}
        assert new_jobs[row["job_id"]]["properties"]["targetObjectName"] == row["item"]
    assert [row["inputs"]["network_id"] for row in report["plan"]] == [
        engine.scope.network_id(TEST_NETWORK)
    ] * 3
    entries = audit_entries()
    intents = [e for e in entries if e["phase"] == "intent"]
    started = [e for e in entries if e.get("result") == "started"]
    assert [e["action"] for e in intents] == ["test-failover"] * 3
    assert {e["targets"][0]["id"] for e in intents} == {t["id"] for t in targets}
    assert {e["job_id"].rsplit("/", 1)[-1] for e in started} == set(new_jobs)


async def test_unknown_item_or_point_or_a_refused_operation_is_exit_2_naming_it(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    good = items(engine, "TestFailover")[0]
    not_allowed = next(
        i for i in engine.list_protected_items() if "Commit" not in i["properties"]["allowedOperations"]
    )
    jobs_before = len(engine.list_jobs())
    flags = connection_flags(endpoint)

    code, _, err = await command(capsys, "failover", name(good), "no-such-vm", "--yes", *flags)
    assert code == 2 and "unknown item no-such-vm" in err and "nothing sent" in err

    code, _, err = await command(
        capsys, "failover", name(good), "--recovery-point", "rp-nope", "--yes", *flags
    )
    assert code == 2 and f"unknown recovery point rp-nope for {name(good)}" in err

    code, _, err = await command(capsys, "commit", name(not_allowed), "--yes", *flags)
    assert code == 2 and f"Commit is not allowed for {name(not_allowed)}" in err

    code, _, err = await command(
        capsys, "change-recovery-point", name(good), "--recovery-point", "latest", "--yes", *flags
    )
    assert code == 2 and "needs a recovery point id" in err

    assert len(engine.list_jobs()) == jobs_before
    assert audit_entries() == []


async def test_an_unknown_network_is_exit_2_naming_the_flag_and_the_known_networks(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    targets = items(engine, "TestFailover")[:2]
    jobs_before = len(engine.list_jobs())
    for network in ("nosuchnet", engine.scope.network_id("nosuchnet")):
        code, out, err = await command(
            capsys,
            "test-failover",
            *(name(t) for t in targets),
            "--network",
            network,
            "--dry-run",
            *connection_flags(endpoint),
        )
        assert code == 2 and out == ""
        [problem] = [line for line in err.splitlines() if "--network" in line]  # once, for both items
        assert network in problem
        assert "(known: vnet-dr-test, vnet-dr-test-isolated, vnet-dr-weu)" in problem
        assert "nothing sent" in err
    assert len(engine.list_jobs()) == jobs_before and audit_entries() == []


async def test_read_only_is_exit_2_refused_in_the_audit_log(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    target = items(engine, "RepairReplication")[0]
    jobs_before = len(engine.list_jobs())
    code, _, err = await command(
        capsys, "resync", name(target), "--yes", "--read-only", *connection_flags(endpoint)
    )
    assert code == 2 and "read-only" in err
    assert len(engine.list_jobs()) == jobs_before
    refused = [e for e in audit_entries() if e["phase"] == "refused"]
    assert [(e["action"], e["targets"][0]["id"]) for e in refused] == [("resync", target["id"])]


async def test_unreachable_back_end_is_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    engine = make_demo_site(vms=6, protected=3, seed=3, speed=0.0, provider="mixed", start=DEFAULT_EPOCH)
    async with serve_site(engine) as endpoint:
        ca_bundle = tmp_path / "ca.pem"
        ca_bundle.write_bytes(Path(endpoint.ca_bundle).read_bytes())
        flags = connection_flags(endpoint, **{"ca-bundle": str(ca_bundle)})
    # the site is gone: nothing answers on its port
    code, _, err = await command(capsys, "commit", "any-item", "--yes", "--timeout", "5", *flags)
    assert code == 3 and "UNKNOWN" in err and err.count("\n") == 1, err


async def test_a_terminal_asks_for_the_item_name_before_an_irreversible_write(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, endpoint = site
    target = items(engine, "UnplannedFailover")[0]
    jobs_before = len(engine.list_jobs())
    flags = connection_flags(endpoint)

    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    code, _, err = await command(capsys, "failover", name(target), *flags)
    assert code == 2 and f"({name(target)}) to go ahead" in err and "not confirmed" in err
    assert len(engine.list_jobs()) == jobs_before

    monkeypatch.setattr(sys, "stdin", Terminal(f"{name(target)}\n"))
    code, out, _ = await command(capsys, "failover", name(target), *flags)
    assert code == 0 and "started, job" in out
    assert len(engine.list_jobs()) == jobs_before + 1


async def test_several_items_irreversibly_need_the_vault_name(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, endpoint = site
    targets = items(engine, "DisableProtection")[:2]
    monkeypatch.setattr(sys, "stdin", Terminal(f"{name(targets[0])}\n"))
    code, _, err = await command(capsys, "disable", *(name(t) for t in targets), *connection_flags(endpoint))
    assert code == 2 and f"({endpoint.vault}) to go ahead" in err


async def wait_for_jobs(capsys: pytest.CaptureFixture[str], fail: bool) -> tuple[int, str, str, SimEngine]:
    # the clock runs fast enough for a test failover to end within a few seconds of real time
    engine = make_demo_site(vms=20, protected=10, seed=3, speed=600.0, provider="mixed", start=DEFAULT_EPOCH)
    targets = items(engine, "TestFailover")[:2]
    if fail:
        engine.fail_next("TestFailover", "78169")
    async with serve_site(engine, lro_retry_after=0) as endpoint:
        code, out, err = await command(
            capsys,
            "test-failover",
            *(name(t) for t in targets),
            "--network",
            TEST_NETWORK,
            "--yes",
            "--wait",
            "--json",
            *connection_flags(endpoint),
        )
    return code, out, err, engine


async def test_wait_follows_the_jobs_to_success_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, _ = await wait_for_jobs(capsys, fail=False)
    report = json.loads(out)
    assert [row["state"] for row in report["jobs"]] == ["Succeeded", "Succeeded"]
    assert code == 0
    # progress on stderr (stdout is the JSON), the last line of each item its job's end
    for row in report["jobs"]:
        lines = [line for line in err.splitlines() if line.startswith(f"{row['item']}: ")]
        assert lines and lines[-1].endswith("Succeeded")
    results = [e["result"] for e in audit_entries() if e["phase"] == "result"]
    assert results.count("job Succeeded") == 2


async def test_wait_exits_1_when_a_job_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, _ = await wait_for_jobs(capsys, fail=True)
    report = json.loads(out)
    assert sorted(row["state"] for row in report["jobs"]) == ["Failed", "Succeeded"]
    assert code == 1
    # the failed job's ASR error, code and message, in the JSON and on its last progress line
    [failed] = [row for row in report["jobs"] if row["state"] == "Failed"]
    [error] = failed["errors"]
    assert error["code"] == "78169" and error["message"]
    assert failed["error"] == f"78169: {error['message']}"
    lines = [line for line in err.splitlines() if line.startswith(f"{failed['item']}: ")]
    assert lines[-1].endswith(f"Failed - 78169: {error['message']}")
    [succeeded] = [row for row in report["jobs"] if row["state"] == "Succeeded"]
    assert "error" not in succeeded and "errors" not in succeeded
    assert "job Failed" in [e["result"] for e in audit_entries() if e["phase"] == "result"]


def test_end_to_end_against_asr_console_simulate() -> None:
    """The installed command against ``asr-console simulate`` in another process, as a runbook runs
    it: the plan, then the refusal without a terminal and ``--yes``, then the write itself."""
    simulate = [sys.executable, "-m", "asr_console", "simulate", "--listen", "127.0.0.1:0"]
    site_flags = ["--vms", "20", "--protected", "10", "--seed", "3", "--provider", "mixed", "--speed", "1"]
    server = subprocess.Popen(
        [*simulate, *site_flags], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert server.stdout is not None
        connection = json.loads(server.stdout.readline())
        flags = [f"--{key.replace('_', '-')}={value}" for key, value in connection.items()] + ["--auth=token"]

        def run(*argv: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "asr_console", *argv, *flags],
                capture_output=True,
                text=True,
                timeout=120,
                stdin=subprocess.DEVNULL,
                env=os.environ.copy(),
            )

        listed = json.loads(run("status", "--json").stdout)["items"]
        plan = run("disable", *(row["name"] for row in listed[:2]), "--dry-run", "--json")
        assert plan.returncode == 0, plan.stderr
        assert json.loads(plan.stdout) == {
            "plan": [
                {"item": row["name"], "item_id": row["id"], "operation": "disable-replication", "inputs": {}}
                for row in listed[:2]
            ],
            "jobs": [],
        }
        refused = run("disable", listed[0]["name"])
        assert (
            refused.returncode == 2
            and f"refusing to disable {listed[0]['name']} without --yes" in refused.stderr
        )
        done = run("disable", listed[0]["name"], "--yes", "--json")
        assert done.returncode == 0, done.stderr
        (job,) = json.loads(done.stdout)["jobs"]
        assert job["item"] == listed[0]["name"] and job["job_id"] and job["state"]
    finally:
        server.terminate()
        server.wait(timeout=20)


async def test_wait_timeout_ends_the_wait_naming_the_jobs_still_running_and_cancels_nothing(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site  # its clock is stopped: the job never ends
    target = items(engine, "RepairReplication")[0]
    loop = asyncio.get_running_loop()
    started = loop.time()
    code, _, err = await command(
        capsys, "resync", name(target), "--yes", "--wait", "--wait-timeout", "1", *connection_flags(endpoint)
    )
    took = loop.time() - started
    assert code == 1
    job = next(
        j
        for j in engine.list_jobs()
        if j["properties"]["targetObjectName"] == name(target) and j["properties"]["state"] == "InProgress"
    )
    assert job["properties"]["state"] == "InProgress"  # left running, not cancelled
    assert f"still running, not cancelled: {name(target)} (job {job['name']})" in err
    assert "--wait-timeout" in err
    assert took < 30, f"the wait took {took:.1f} s"


async def test_wait_timeout_comes_from_the_profile(
    site: tuple[SimEngine, SiteEndpoint],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, endpoint = site
    config = tmp_path / "config.toml"
    config.write_text("[profiles.runbook]\nwait_timeout = 1\n", encoding="utf-8")
    monkeypatch.setenv("ASR_CONSOLE_CONFIG", str(config))
    target = items(engine, "RepairReplication")[0]
    code, _, err = await command(
        capsys, "resync", name(target), "--yes", "--wait", "--profile", "runbook", *connection_flags(endpoint)
    )
    assert code == 1 and "stopped waiting after 1 s" in err
