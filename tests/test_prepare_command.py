"""``asr-console prepare-azure`` against the simulated site, end to end through ``cli.main``: the plan
names what the doctor found missing with the values it will be created with, a dry run sends nothing,
``--yes`` creates it through the official management clients, the doctor then passes those checks, the
audit log holds each create's intent and result, and a second run has nothing to do."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from asr_console import cli
from asr_console.config import log_dir
from asr_console.model.doctor import TargetFact
from asr_console.model.prepare import Create, PrepareWanted, free_prefix, plan_prepare
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from tests.test_status_command import clean_environment, connection_flags

__all__ = ["clean_environment"]

PROFILE = """[profiles.dr]
target_resource_group = "rg-dr-new"
target_network = "vnet-dr-new"
target_subnet = "snet-app"
cache_storage = "stasrcachenew01"
"""


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
async def site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[SimEngine, SiteEndpoint]]:
    config = tmp_path / "config.toml"
    config.write_text(PROFILE)
    monkeypatch.setenv("ASR_CONSOLE_CONFIG", str(config))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    engine = make_demo_site(vms=10, protected=2, seed=4, speed=0.0, provider="inmagercm")
    async with serve_site(engine, lro_retry_after=0) as endpoint:
        yield engine, endpoint


async def command(
    capsys: pytest.CaptureFixture[str], endpoint: SiteEndpoint, *argv: str
) -> tuple[int, str, str]:
    code = await asyncio.to_thread(cli.main, ["--profile", "dr", *argv, *connection_flags(endpoint)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def audit_entries() -> list[dict[str, Any]]:
    path = log_dir() / "audit.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_dry_run_prints_the_plan_and_creates_nothing(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    code, out, err = await command(capsys, endpoint, "prepare-azure", "--dry-run", "--json")
    assert code == 0, err
    plan = json.loads(out)["plan"]
    assert [(row["create"], row["name"]) for row in plan] == [
        ("resource group", "rg-dr-new"),
        ("virtual network", "vnet-dr-new"),
        ("storage account", "stasrcachenew01"),
    ]
    assert {row["location"] for row in plan} == {"westeurope"}  # the vault's region
    network = plan[1]
    # the site's networks use 10.10, 10.20 and 10.30: the first free /16 is 10.0
    assert (network["address_prefix"], network["subnet"], network["subnet_prefix"]) == (
        "10.0.0.0/16",
        "snet-app",
        "10.0.0.0/24",
    )
    assert (plan[2]["sku"], plan[2]["kind"], plan[2]["resource_group"]) == (
        "Standard_LRS",
        "StorageV2",
        "rg-dr-new",
    )
    assert "rg-dr-new" not in engine.state.targets.groups
    assert audit_entries() == []


async def test_without_a_terminal_and_without_yes_it_refuses_in_one_line(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    code, _, err = await command(capsys, endpoint, "prepare-azure")
    assert code == 2
    assert err.strip().splitlines() == [
        "asr-console: prepare-azure: refusing to create without --yes (stdin is not a terminal)"
    ]
    assert "rg-dr-new" not in engine.state.targets.groups


async def test_a_wrong_typed_name_creates_nothing(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, endpoint = site
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))  # "y" is not the resource group's name
    code, _, err = await command(capsys, endpoint, "prepare-azure")
    assert code == 2
    assert "Type the resource group's name (rg-dr-new)" in err
    assert "not confirmed; nothing created" in err
    assert "rg-dr-new" not in engine.state.targets.groups and audit_entries() == []


async def test_yes_creates_everything_then_doctor_passes_and_a_second_run_has_nothing_to_do(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    code, out, err = await command(capsys, endpoint, "doctor", "--json")
    before = {c["id"]: c for c in json.loads(out)["checks"]}
    for check in ("resource-group", "network", "storage-account"):
        found = next(c for i, c in before.items() if i.startswith("azure.target") and i.endswith(check))
        assert found["verdict"] == "fail" and "prepare-azure" in found["fix"]

    code, out, err = await command(capsys, endpoint, "prepare-azure", "--yes", "--json")
    assert code == 0, err
    created = json.loads(out)["created"]
    assert [row["name"] for row in created] == ["rg-dr-new", "vnet-dr-new", "stasrcachenew01"]
    assert created[2]["id"].endswith(
        "/resourceGroups/rg-dr-new/providers/Microsoft.Storage/storageAccounts/stasrcachenew01"
    )
    assert any(
        n.name == "vnet-dr-new" and n.subnets == (("snet-app", "10.0.0.0/24"),)
        for n in engine.state.targets.networks
    )

    code, out, err = await command(capsys, endpoint, "doctor", "--json")
    after = {c["id"]: c["verdict"] for c in json.loads(out)["checks"] if c["id"].startswith("azure.target")}
    assert set(after.values()) == {"pass"}, after
    assert len(after) == 4  # resource group, network, subnet, cache storage account

    entries = audit_entries()
    assert [(e["phase"], e["action"]) for e in entries] == [
        ("intent", "create resource group"),
        ("result", "create resource group"),
        ("intent", "create virtual network"),
        ("result", "create virtual network"),
        ("intent", "create storage account"),
        ("result", "create storage account"),
    ]
    assert {e["result"] for e in entries if e["phase"] == "result"} == {"created"}
    assert entries[0]["intent"] == entries[1]["intent"]
    assert entries[5]["targets"][0]["id"].lower() == created[2]["id"].lower()

    code, out, err = await command(capsys, endpoint, "prepare-azure", "--yes")
    assert code == 0, err
    assert out.startswith("Nothing to create")
    assert len(audit_entries()) == 6


async def test_a_create_azure_refuses_exits_1_and_sends_nothing_after_it(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    engine, endpoint = site
    # the recovery group exists, and its planted role may not write networks: Azure answers 403
    (tmp_path / "config.toml").write_text(PROFILE.replace('"rg-dr-new"', '"rg-dr-recovery"'))
    code, _, err = await command(capsys, endpoint, "prepare-azure", "--yes")
    assert code == 1
    assert "virtual network vnet-dr-new: refused by Azure" in err and "AuthorizationFailed" in err
    assert not any(a.name == "stasrcachenew01" for a in engine.state.targets.storage)
    results = [e["result"] for e in audit_entries() if e["phase"] == "result"]
    assert len(results) == 1 and results[0].startswith("failed:")


async def test_a_storage_name_someone_else_holds_is_a_problem_of_the_plan(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, endpoint = site
    (tmp_path / "config.toml").write_text(PROFILE.replace("stasrcachenew01", "asrcache"))
    code, out, err = await command(capsys, endpoint, "prepare-azure", "--dry-run")
    assert code == 2
    assert "cannot: storage account asrcache: The storage account named asrcache is already taken." in out
    assert "nothing created" in err


def test_plan_places_what_is_missing_in_the_vault_region_and_reports_what_it_cannot_create() -> None:
    wanted = PrepareWanted(
        "rg-a",
        "/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v1",
        "s1",
        "Bad_Name",
    )
    facts = (
        TargetFact("target resource group", "rg-a", True, "westeurope"),
        TargetFact("target network", wanted.network, False),
        TargetFact("cache storage account", "Bad_Name", False),
    )
    plan = plan_prepare(wanted, facts, "westeurope", ["10.0.0.0/8"])
    # every 10.x/16 overlaps 10.0.0.0/8
    assert plan.steps == ()
    assert any("no free 10.x.0.0/16" in p for p in plan.problems)
    assert any("'Bad_Name' is not valid" in p for p in plan.problems)
    plan = plan_prepare(wanted, facts[:2], "westeurope", ["10.0.0.0/16", "10.1.0.0/20"])
    (step,) = plan.steps
    assert (step.create, step.resource_group, step.address_prefix, step.subnet_prefix) == (
        Create.VIRTUAL_NETWORK,
        "rg-net",  # the network's id names its group
        "10.2.0.0/16",
        "10.2.0.0/24",
    )
    assert plan_prepare(wanted, facts[:1], "westeurope").empty
    assert free_prefix(["bogus"]) == "10.0.0.0/16"


async def test_the_demo_plants_one_missing_cache_account_that_prepare_azure_creates() -> None:
    from asr_console.commands.site import DEMO_MISSING_CACHE, open_demo_site
    from asr_console.session import prepare_wanted, target_facts

    args = cli.build_parser().parse_args(["demo", "--vms", "10", "--protected", "2", "--speed", "1"])
    async with open_demo_site(args, cli.settings_from_args(args)) as session:
        facts = await target_facts(session.service, session.settings)
        assert [f.what for f in facts if not f.found] == ["cache storage account"]
        plan = await session.actions.load_prepare_plan(prepare_wanted(session.settings), facts)
        assert plan.problems == ()
        (step,) = plan.steps
        assert (step.create, step.name, step.resource_group) == (
            Create.STORAGE_ACCOUNT,
            DEMO_MISSING_CACHE,
            "rg-dr-storage",  # where the demo's caller may create accounts
        )
        await session.actions.prepare_azure(plan, session.settings.subscription, lambda n, s: None)
        facts = await target_facts(session.service, session.settings)
        assert all(f.found for f in facts)


async def test_a_profile_without_targets_is_told_what_to_set(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, endpoint = site
    (tmp_path / "config.toml").write_text("[profiles.dr]\n")
    code, out, err = await command(capsys, endpoint, "prepare-azure", "--dry-run")
    assert (code, out) == (2, "")
    assert err.strip() == (
        "asr-console: prepare-azure: the profile names no targets: set target_resource_group, "
        "target_network and cache_storage"
    )


async def test_when_the_audit_log_cannot_be_written_nothing_is_created(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    (log_dir() / "audit.log").mkdir(parents=True)  # a directory where the log file should be
    code, _, err = await command(capsys, endpoint, "prepare-azure", "--yes")
    assert code == 2
    assert "create resource group rg-dr-new not sent: audit log" in err
    assert "rg-dr-new" not in engine.state.targets.groups


async def test_a_create_azure_does_not_finish_ends_the_wait_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The console's Prepare Azure runs without a command deadline: a create that never answers must
    still end, and say it may yet complete."""
    from asr_console.model.errors import Unreachable
    from asr_console.model.prepare import PrepareStep
    from asr_console.sources import azure
    from tests.arm_site import sdk_service

    monkeypatch.setattr(azure, "CREATE_WAIT", 0.5)
    engine = make_demo_site(vms=10, protected=4, seed=3, speed=0.0)
    async with serve_site(engine, lro_retry_after=0) as endpoint:
        service = sdk_service(endpoint)
        endpoint.site.faults.latency = 5.0  # every answer comes after the wait has ended
        try:
            step = PrepareStep(Create.RESOURCE_GROUP, "rg-dr-slow", "westeurope")
            with pytest.raises(Unreachable, match=r"rg-dr-slow.*may still complete"):
                await asyncio.wait_for(service.create_target(step), 4)
        finally:
            endpoint.site.faults.latency = 0.0
            await service.close()
