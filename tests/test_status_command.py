"""``asr-console status`` against the simulated site: the report matches the site item for item, and the
exit code follows the monitoring-plugin convention (0 normal, 1 warning, 2 critical, 3 unknown with a
one-line reason on stderr).

In-process: the site is served on this test's loop and the command runs through ``cli.main`` in a
worker thread (it runs its own loop), so the site's state can be read beside the report. End to end:
``asr-console simulate`` and ``asr-console status`` as two processes, as a monitoring system runs them.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from asr_console import cli
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.clock import DEFAULT_EPOCH

EXIT = {"Normal": 0, "Warning": 1, "Critical": 2}


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASR_CONSOLE_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("ASR_CONSOLE_ACCESS_TOKEN", "token-for-the-simulator")
    for name in os.environ:
        if name.startswith(("ASR_CONSOLE_", "AZURE_")) and name not in (
            "ASR_CONSOLE_CONFIG",
            "ASR_CONSOLE_ACCESS_TOKEN",
        ):
            monkeypatch.delenv(name)


def connection_flags(site: SiteEndpoint, **overrides: str) -> list[str]:
    values = {
        "subscription": site.subscription,
        "resource-group": site.resource_group,
        "vault": site.vault,
        "arm-endpoint": site.arm_endpoint,
        "ca-bundle": site.ca_bundle,
        "auth": "token",
        **overrides,
    }
    return [part for key, value in values.items() for part in (f"--{key}", value)]


async def status(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(cli.main, ["status", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def wire_rpo(details: dict[str, Any]) -> int | None:
    value = details.get("lastRpoInSeconds", details.get("rpoInSeconds"))
    return None if value is None else int(value)


async def test_json_report_matches_the_site_item_for_item(capsys: pytest.CaptureFixture[str]) -> None:
    engine = make_demo_site(vms=60, protected=45, seed=8, speed=0.0, provider="mixed", start=DEFAULT_EPOCH)
    engine.advance(3 * 3600)  # churn, RPO, heartbeats: warnings and criticals with health errors
    async with serve_site(engine, page_size=10) as site:
        code, out, err = await status(capsys, "--json", *connection_flags(site))
    report = json.loads(out)
    wire = {i["id"]: i for i in engine.list_protected_items()}

    assert report["vault"]["name"] == site.vault and report["vault"]["subscription"] == site.subscription
    assert report["generated_at"]
    assert [row["id"] for row in report["items"]] and {row["id"] for row in report["items"]} == set(wire)
    assert len(report["items"]) == len(wire) == 45
    for row in report["items"]:
        raw = wire[row["id"]]
        props = raw["properties"]
        details = props["providerSpecificDetails"]
        assert row["name"] == props["friendlyName"]
        assert row["provider"] == details["instanceType"]
        assert row["health"] == props["replicationHealth"]
        assert row["protection_state"] == props["protectionState"]
        assert row["test_failover_state"] == props["testFailoverState"]
        assert row["rpo_seconds"] == wire_rpo(details)
        assert when(row["last_recovery_point"]) == when(details.get("lastRecoveryPointReceived"))
        assert [
            (e["code"], e["message"], e["possible_causes"], e["recommended_action"]) for e in row["errors"]
        ] == [
            (e["errorCode"], e["errorMessage"], e["possibleCauses"], e["recommendedAction"])
            for e in props["healthErrors"]
        ]

    healths = Counter(i["properties"]["replicationHealth"] for i in wire.values())
    assert healths["Warning"] and healths["Critical"] and any(r["errors"] for r in report["items"])
    breaches = sum(
        1
        for item in engine.items.values()
        if (
            rpo := wire_rpo(
                wire[engine.scope.item_id(item.fabric, item.container, item.name)]["properties"][
                    "providerSpecificDetails"
                ]
            )
        )
        is not None
        and rpo > engine.policies[item.policy].threshold_seconds
    )
    assert report["summary"] == {
        "total": 45,
        "normal": healths["Normal"],
        "warning": healths["Warning"],
        "critical": healths["Critical"],
        "other": 45 - healths["Normal"] - healths["Warning"] - healths["Critical"],
        "rpo_breaches": breaches,
    }
    assert code == 2 and err == ""


def first_site(condition: Any) -> SimEngine:
    """The first small frozen site (by seed) whose items' healths satisfy ``condition``."""
    for seed in range(100):
        engine = make_demo_site(
            vms=6, protected=5, seed=seed, speed=0.0, provider="mixed", start=DEFAULT_EPOCH
        )
        if condition({i["properties"]["replicationHealth"] for i in engine.list_protected_items()}):
            return engine
    raise AssertionError("no seed gives that site")


@pytest.mark.parametrize(
    ("worst", "condition"),
    [
        ("Normal", lambda h: h == {"Normal"}),
        ("Warning", lambda h: "Warning" in h and "Critical" not in h),
        ("Critical", lambda h: "Critical" in h),
    ],
)
async def test_exit_code_is_the_worst_health(
    worst: str, condition: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = first_site(condition)
    async with serve_site(engine) as site:
        code, out, err = await status(capsys, *connection_flags(site))
    assert code == EXIT[worst] and err == ""
    # the monitoring-plugin first line: state, the deciding count of all items, the vault, perfdata
    first, *rest = out.splitlines()
    state = {"Normal": "OK", "Warning": "WARNING", "Critical": "CRITICAL"}[worst]
    deciding = {"Normal": "normal", "Warning": "warning", "Critical": "critical"}[worst]
    assert re.match(rf"{state} - \d of 5 items {deciding}\b.*\({site.vault}\) \| total=5 ", first), first
    items = engine.list_protected_items()
    if worst != "Normal":  # then what is not normal, with its errors' codes and messages
        bad = [i for i in items if i["properties"]["replicationHealth"] != "Normal"]
        assert any(line.startswith(worst) for line in rest)
        errors = [e for i in bad for e in i["properties"].get("healthErrors") or []]
        assert errors  # the site's unhealthy items say why
        for error in errors:
            assert f"  {error['errorCode']}: " in out
            assert " ".join(error["errorMessage"].split()) in out
    else:
        assert rest == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_unknown_is_exit_3_with_one_line_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    engine = first_site(lambda h: True)
    async with serve_site(engine) as site:
        code, out, err = await status(capsys, "--json", *connection_flags(site, vault="no-such-vault"))
        assert (code, out) == (3, "") and err.count("\n") == 1
        assert err.startswith("status: UNKNOWN - NotFound") and "no-such-vault" in err

        site.site.faults.reject_tokens = True
        code, out, err = await status(capsys, "--json", *connection_flags(site))
        assert (
            (code, out) == (3, "") and err.count("\n") == 1 and err.startswith("status: UNKNOWN - AuthError")
        )
        site.site.faults.reject_tokens = False

        # (inside the site's context: its CA bundle file must still exist)
        closed = f"https://127.0.0.1:{free_port()}"
        code, out, err = await status(capsys, "--json", *connection_flags(site, **{"arm-endpoint": closed}))
        assert (code, out) == (3, "") and err.count("\n") == 1
        assert err.startswith("status: UNKNOWN - Unreachable")


SITE_FLAGS = ("--vms", "30", "--protected", "20", "--seed", "3", "--speed", "1")


@pytest.fixture
def simulate_process() -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "asr_console", "simulate", "--listen", "127.0.0.1:0", *SITE_FLAGS],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        yield process, json.loads(first)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def test_status_process_against_simulate_process(
    simulate_process: tuple[subprocess.Popen[str], dict[str, str]],
) -> None:
    process, connection = simulate_process
    assert set(connection) == {"arm_endpoint", "ca_bundle", "subscription", "resource_group", "vault"}
    assert (
        connection["arm_endpoint"].startswith("https://127.0.0.1:")
        and Path(connection["ca_bundle"]).is_file()
    )
    flags = [
        f"--{key.replace('_', '-')}={value}" for key, value in connection.items() if key != "resource_group"
    ] + [f"--resource-group={connection['resource_group']}", "--auth=token"]
    result = subprocess.run(
        [sys.executable, "-m", "asr_console", "status", "--json", *flags],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    report = json.loads(result.stdout)
    assert report["summary"]["total"] == len(report["items"]) == 20
    worst = max((EXIT.get(row["health"], 0) for row in report["items"]), default=0)
    assert result.returncode == worst and result.stderr == ""
    assert set(report["items"][0]) == {
        "id",
        "name",
        "provider",
        "health",
        "protection_state",
        "rpo_seconds",
        "last_recovery_point",
        "test_failover_state",
        "errors",
    }
    process.terminate()
    assert process.wait(timeout=20) == 0  # SIGTERM ends it cleanly


async def test_status_and_the_health_pane_count_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    """One site, read by ``status --json`` and by the console's health pane: the same counts."""
    from asr_console.app import make_app
    from asr_console.config import Settings
    from asr_console.session import build_session
    from asr_console.widgets.health import HealthView
    from tests.arm_site import sdk_service
    from tests.waiting import wait_until

    engine = make_demo_site(vms=60, protected=45, seed=8, speed=0.0, provider="mixed", start=DEFAULT_EPOCH)
    engine.advance(3 * 3600)
    async with serve_site(engine, page_size=10) as site:
        _, out, _ = await status(capsys, "--json", *connection_flags(site))
        summary = json.loads(out)["summary"]
        assert summary["warning"] and summary["critical"] and summary["rpo_breaches"]
        service = sdk_service(site)
        session = build_session(Settings(profile="sim"), service, None)
        session.clock = engine.clock.now
        app = make_app(session)
        try:
            async with app.run_test(size=(160, 48)) as pilot:
                health = app.screen.query_one("#tile-health", HealthView)
                expected = (
                    summary["total"],
                    summary["warning"],
                    summary["critical"],
                    summary["rpo_breaches"],
                )

                def shown() -> tuple[int, int, int, int]:
                    s = health.summary
                    return (s.total, s.warning, s.critical, s.rpo_breaches)

                # policies (the RPO thresholds) arrive after the items: wait for both to be read
                await wait_until(lambda: shown() == expected, timeout=20, pilot=pilot)
                # and the pane's own line shows them
                assert (
                    f"{summary['critical']} crit · {summary['warning']} warn · {summary['rpo_breaches']} RPO"
                    in (health.headline())
                )
        finally:
            await service.close()


@pytest.mark.parametrize(("asked", "gives_up"), [(900, True), (1, False)])
async def test_throttling_beyond_the_cap_is_unknown_at_once_and_a_short_wait_is_taken(
    capsys: pytest.CaptureFixture[str], asked: int, gives_up: bool
) -> None:
    """ARM has asked for 372, 900 and 1,200 s: a monitoring check says so rather than wait 15 minutes
    (azure-core would have waited each of them out, three times); a wait under the cap is taken."""
    engine = first_site(lambda h: True)
    async with serve_site(engine) as site:
        site.site.faults.retry_after = asked
        site.site.faults.queue("429", 1)
        started = time.monotonic()
        code, out, err = await status(capsys, "--json", *connection_flags(site))
        took = time.monotonic() - started
    if gives_up:
        assert (code, out) == (3, "") and err.startswith("status: UNKNOWN - Throttled")
        assert "900" in err or "throttl" in err.lower()
        assert took < 10
    else:
        assert code in (0, 1, 2) and json.loads(out)["summary"]["total"] == 5


async def test_a_body_that_is_not_json_is_unknown_never_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A proxy's error page or a cut connection answered 200: a monitoring check reads UNKNOWN (3) with
    one line, not WARNING (1) with a traceback."""
    from asr_console.model.errors import Malformed
    from tests.arm_site import sdk_service

    engine = first_site(lambda h: True)
    async with serve_site(engine) as site:
        site.site.faults.queue("garbage", 1)
        code, out, err = await status(capsys, "--json", *connection_flags(site))
        assert (code, out) == (3, "") and err.count("\n") == 1
        assert err.startswith("status: UNKNOWN - Malformed") and "Traceback" not in err
    # a list page that is not JSON fails the read the same way (on a site of its own: the reads the
    # command above left in flight when it stopped could take this queued fault)
    async with serve_site(first_site(lambda h: True)) as site:
        service = sdk_service(site)
        try:
            site.site.faults.queue("garbage", 1)
            with pytest.raises(Malformed, match="not JSON"):
                await service.protected_items()
            assert len(await service.protected_items()) == 5  # the next read is whole again
        finally:
            await service.close()
