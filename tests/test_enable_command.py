"""``asr-console enable VM...`` against the simulated (modernized) ARM site: every name resolved to its
ARM id before anything is sent, the plan printed, ``--dry-run`` sends nothing, without a terminal it
needs ``--yes``, ``--json`` has the documented shape, an unknown VM is exit 2 naming it."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from asr_console.commands import enable
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.clock import DEFAULT_EPOCH
from tests.test_status_command import clean_environment, connection_flags
from tests.test_write_commands import Terminal, audit_entries, command

__all__ = ["clean_environment"]


@pytest.fixture
async def site() -> AsyncIterator[tuple[SimEngine, SiteEndpoint]]:
    # the clock runs fast enough for an enable job to end within seconds (--wait)
    engine = make_demo_site(
        vms=20, protected=6, seed=5, speed=600.0, provider="inmagercm", start=DEFAULT_EPOCH
    )
    async with serve_site(engine, page_size=4, lro_retry_after=0) as endpoint:
        yield engine, endpoint


@pytest.fixture(autouse=True)
def not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr(enable, "POLL_SECONDS", 0.05)


def unprotected(engine: SimEngine, count: int) -> list[tuple[str, dict[str, Any]]]:
    """(fabric name, site machine) of VMs no item protects, on the appliance whose policy is used."""
    taken = {i.instance_uuid for i in engine.items.values()}
    out = []
    for fabric in engine.fabrics.values():
        for render in engine.site_machines(fabric.site_name):
            machine = render()
            if machine["properties"]["instanceUuid"] not in taken:
                out.append((fabric.name, machine))
    return out[:count]


def policy_of(engine: SimEngine, fabric: str) -> str:
    return next(m.policy for m in engine.mappings.values() if m.fabric == fabric)


def targets(engine: SimEngine) -> list[str]:
    return [
        "--target-resource-group",
        "rg-dr-recovery",
        "--target-network",
        "vnet-dr-weu",
        "--target-subnet",
        "snet-app",
        "--test-network",
        "vnet-dr-test",
        "--test-subnet",
        "snet-test",
        "--cache-storage",
        "stasrcacheweu01",
    ]


async def test_dry_run_plans_every_name_as_its_arm_id_and_sends_nothing(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    fabric, machine = unprotected(engine, 1)[0]
    vm = machine["properties"]["displayName"]
    disks = machine["properties"]["disks"]
    jobs_before = len(engine.list_jobs())
    code, out, err = await command(
        capsys,
        "enable",
        vm.upper(),  # as discovery shows it, case-insensitive
        "--policy",
        policy_of(engine, fabric),
        *targets(engine),
        "--exclude-disk",
        disks[-1]["label"],
        "--disk-type",
        "Premium_LRS",
        "--target-vm-size",
        "Standard_D4s_v3",
        "--availability-zone",
        "2",
        "--dry-run",
        "--json",
        *connection_flags(endpoint),
    )
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["jobs"] == []
    [row] = report["plan"]
    assert (row["item"], row["operation"]) == (vm, "enable-replication")
    inputs = row["inputs"]
    scope = engine.scope
    assert inputs["machine_id"] == machine["id"]  # the site machine's ARM id, never built from the name
    assert inputs["target_resource_group_id"] == scope.resource_group_id("rg-dr-recovery")
    assert inputs["target_network_id"] == scope.network_id("vnet-dr-weu")
    assert inputs["test_network_id"] == scope.network_id("vnet-dr-test")
    assert (inputs["target_subnet"], inputs["test_subnet"]) == ("snet-app", "snet-test")
    assert inputs["cache_storage_account_id"] == scope.storage_id("stasrcacheweu01")
    assert inputs["excluded_disks"] == [disks[-1]["label"]]
    assert inputs["disks"] == [d["label"] for d in disks[:-1]]
    assert inputs["process_server_id"] == engine.fabrics[fabric].process_servers[0].id
    assert (inputs["target_vm_size"], inputs["availability_zone"]) == ("Standard_D4s_v3", "2")
    assert len(engine.list_jobs()) == jobs_before
    assert audit_entries() == []


async def test_without_a_terminal_enable_needs_yes_and_with_it_asr_starts_the_jobs(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    chosen = unprotected(engine, 2)
    assert chosen[0][0] == chosen[1][0]
    fabric = chosen[0][0]
    vms = [m["properties"]["displayName"] for _, m in chosen]
    args = [*vms, "--policy", policy_of(engine, fabric), *targets(engine), *connection_flags(endpoint)]
    items_before = set(engine.items)
    code, out, err = await command(capsys, "enable", *args)
    assert code == 2 and "refusing to enable replication of 2 VMs without --yes" in err
    assert vms[0] in out  # the plan was shown
    assert set(engine.items) == items_before and audit_entries() == []

    code, out, err = await command(capsys, "enable", *args, "--yes", "--json", "--wait")
    assert code == 0, err
    report = json.loads(out)
    assert [row["item"] for row in report["jobs"]] == vms
    assert all(set(row) == {"item", "job_id", "state"} for row in report["jobs"])
    assert [row["state"] for row in report["jobs"]] == ["Succeeded", "Succeeded"]
    new = {engine.items[n].friendly_name: engine.items[n] for n in set(engine.items) - items_before}
    assert set(new) == set(vms)
    for _, machine in chosen:
        item = new[machine["properties"]["displayName"]]
        assert item.name == machine["name"]  # named after the discovered machine
    entries = audit_entries()
    assert [e["action"] for e in entries if e["phase"] == "intent"] == ["enable-replication"] * 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"vm": "no-such-vm"}, "unknown VM no-such-vm"),
        ({"--target-network": "vnet-nowhere"}, "--target-network: no virtual network is named vnet-nowhere"),
        ({"--target-subnet": "snet-x"}, "--target-network"),
        ({"--cache-storage": "stasrcacheneu01"}, "must be in the vault's region (westeurope)"),
        ({"--test-network": "vnet-dr-weu", "--test-subnet": ""}, "the test network must differ"),
        ({"--policy": "nope"}, "--policy: no policy is named nope"),
    ],
)
async def test_unknown_or_invalid_input_is_exit_2_naming_it_and_nothing_is_sent(
    site: tuple[SimEngine, SiteEndpoint],
    capsys: pytest.CaptureFixture[str],
    change: dict[str, str],
    expected: str,
) -> None:
    engine, endpoint = site
    fabric, machine = unprotected(engine, 1)[0]
    options = dict(zip(targets(engine)[::2], targets(engine)[1::2], strict=True))
    options["--policy"] = policy_of(engine, fabric)
    vm = change.pop("vm", machine["properties"]["displayName"])
    options.update(change)
    if "--target-subnet" in change:
        expected = "vnet-dr-weu has no subnet snet-x"
    flags = [part for key, value in options.items() if value for part in (key, value)]
    items_before = set(engine.items)
    code, _, err = await command(capsys, "enable", vm, *flags, "--yes", *connection_flags(endpoint))
    assert code == 2
    assert expected in err and "nothing sent" in err
    assert set(engine.items) == items_before and audit_entries() == []


async def test_a_classic_policy_is_refused_naming_the_retirement(capsys: pytest.CaptureFixture[str]) -> None:
    engine = make_demo_site(
        vms=12, protected=2, seed=5, speed=0.0, provider="inmageazurev2", start=DEFAULT_EPOCH
    )
    fabric = next(iter(engine.fabrics.values()))
    vm = engine.list_protectable_items(fabric.name, fabric.container)[-1]["properties"]["friendlyName"]
    async with serve_site(engine, lro_retry_after=0) as endpoint:
        code, _, err = await command(
            capsys,
            "enable",
            vm,
            "--policy",
            policy_of(engine, fabric.name),
            *targets(engine),
            "--yes",
            *connection_flags(endpoint),
        )
    assert code == 2 and "since 30 March 2026" in err and "nothing sent" in err


# the profile's network plan: web and app land in their own subnets with a test network, the database
# tier has no test network, management is not mapped
NETWORK_MAP = """
[profiles.dr]

[profiles.dr.network_map."dvPG-Web-110"]
network = "vnet-dr-weu"
subnet = "snet-web"
test_network = "vnet-dr-test"
test_subnet = "snet-test"

[profiles.dr.network_map."dvPG-App-120"]
network = "vnet-dr-weu"
subnet = "snet-app"
test_network = "vnet-dr-test-isolated"

[profiles.dr.network_map."dvPG-DB-130"]
network = "vnet-dr-weu"
subnet = "snet-db"
"""


def machine_on(engine: SimEngine, *groups: str) -> tuple[str, str]:
    """(fabric, name) of an unprotected discovered machine whose NICs are on exactly ``groups``."""
    for fabric, machine in unprotected(engine, 100):
        nics = [n["networkName"] for n in machine["properties"]["networkAdapters"]]
        if nics == list(groups):
            return fabric, str(machine["properties"]["displayName"])
    raise AssertionError(f"no unprotected machine on {groups}")


def with_network_map(tmp_path: Path) -> list[str]:
    (tmp_path / "none.toml").write_text(NETWORK_MAP, encoding="utf-8")
    return ["--profile", "dr"]


def shared_targets() -> list[str]:
    return ["--target-resource-group", "rg-dr-recovery", "--cache-storage", "stasrcacheweu01"]


async def test_without_network_flags_each_vm_lands_where_the_network_map_sends_its_port_group(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    engine, endpoint = site
    fabric, web = machine_on(engine, "dvPG-Web-110")
    _, app = machine_on(engine, "dvPG-App-120")
    _, db = machine_on(engine, "dvPG-DB-130", "dvPG-Mgmt-10")  # one NIC mapped, one not
    items_before = set(engine.items)
    code, out, err = await command(
        capsys,
        "enable",
        web,
        app,
        db,
        "--policy",
        policy_of(engine, fabric),
        *shared_targets(),
        *with_network_map(tmp_path),
        "--yes",
        "--json",
        "--wait",
        *connection_flags(endpoint),
    )
    assert code == 0, err
    report = json.loads(out)
    origins = {row["item"]: row["inputs"]["network_origin"] for row in report["plan"]}
    assert origins == {
        web: "network map: dvPG-Web-110",
        app: "network map: dvPG-App-120",
        db: "network map: dvPG-DB-130 (dvPG-Mgmt-10 unmapped)",
    }
    # what the simulated ASR received and created, per VM
    created = {engine.items[n].friendly_name: engine.items[n] for n in set(engine.items) - items_before}
    scope = engine.scope
    got = {
        vm: (i.target_network_id, i.target_subnet, i.test_network_id, i.test_subnet)
        for vm, i in created.items()
    }
    assert got == {
        web: (scope.network_id("vnet-dr-weu"), "snet-web", scope.network_id("vnet-dr-test"), "snet-test"),
        app: (scope.network_id("vnet-dr-weu"), "snet-app", scope.network_id("vnet-dr-test-isolated"), ""),
        db: (scope.network_id("vnet-dr-weu"), "snet-db", "", ""),
    }


async def test_flags_win_over_the_network_map(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    engine, endpoint = site
    fabric, web = machine_on(engine, "dvPG-Web-110")
    code, out, err = await command(
        capsys,
        "enable",
        web,
        "--policy",
        policy_of(engine, fabric),
        *shared_targets(),
        "--target-network",
        "vnet-dr-weu",
        "--target-subnet",
        "snet-db",
        "--test-network",
        "vnet-dr-test-isolated",
        *with_network_map(tmp_path),
        "--dry-run",
        "--json",
        *connection_flags(endpoint),
    )
    assert code == 0, err
    [row] = json.loads(out)["plan"]
    inputs = row["inputs"]
    assert (inputs["target_subnet"], inputs["network_origin"]) == ("snet-db", "--target-network")
    assert inputs["test_network_id"] == engine.scope.network_id("vnet-dr-test-isolated")
    assert inputs["test_subnet"] == ""  # the map's test subnet belongs to the map's test network


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (("dvPG-Mgmt-10",), "port group dvPG-Mgmt-10 is not in the network map"),
        (
            ("dvPG-App-120", "dvPG-DB-130"),
            "its NICs map to different networks (dvPG-App-120 → vnet-dr-weu / snet-app, "
            "dvPG-DB-130 → vnet-dr-weu / snet-db)",
        ),
    ],
)
async def test_a_vm_the_network_map_cannot_place_is_named_with_its_port_groups(
    site: tuple[SimEngine, SiteEndpoint],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    groups: tuple[str, ...],
    expected: str,
) -> None:
    engine, endpoint = site
    fabric, vm = machine_on(engine, *groups)
    flags = [vm, "--policy", policy_of(engine, fabric), *shared_targets(), *with_network_map(tmp_path)]
    items_before = set(engine.items)
    code, _, err = await command(capsys, "enable", *flags, "--yes", *connection_flags(endpoint))
    assert code == 2 and "nothing sent" in err
    assert f"{vm}: {expected}: give --target-network" in err
    assert set(engine.items) == items_before and audit_entries() == []
    # an explicit network places it
    code, out, err = await command(
        capsys,
        "enable",
        *flags,
        "--target-network",
        "vnet-dr-weu",
        "--dry-run",
        "--json",
        *connection_flags(endpoint),
    )
    assert code == 0, err
    assert json.loads(out)["plan"][0]["inputs"]["target_network_id"] == engine.scope.network_id("vnet-dr-weu")


async def test_the_profiles_target_group_and_cache_account_stand_in_for_absent_flags(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    engine, endpoint = site
    fabric, machine = unprotected(engine, 1)[0]
    vm = machine["properties"]["displayName"]
    flags = ["--policy", policy_of(engine, fabric), "--target-network", "vnet-dr-weu", "--dry-run", "--json"]
    config = tmp_path / "none.toml"
    config.write_text("[profiles.dr]\n", encoding="utf-8")
    code, _, err = await command(capsys, "enable", vm, *flags, "--profile", "dr", *connection_flags(endpoint))
    assert code == 2
    assert "--target-resource-group: give it, or set target_resource_group in the profile" in err
    assert "--cache-storage: give it, or set cache_storage in the profile" in err
    config.write_text(
        '[profiles.dr]\ntarget_resource_group = "rg-dr-recovery"\ncache_storage = "stasrcacheweu01"\n',
        encoding="utf-8",
    )
    code, out, err = await command(
        capsys, "enable", vm, *flags, "--profile", "dr", *connection_flags(endpoint)
    )
    assert (code, err) == (0, "")
    [row] = json.loads(out)["plan"]
    scope = engine.scope
    assert row["inputs"]["target_resource_group_id"] == scope.resource_group_id("rg-dr-recovery")
    assert row["inputs"]["cache_storage_account_id"] == scope.storage_id("stasrcacheweu01")


async def test_read_only_is_exit_2_each_vm_refused_in_the_audit_log(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    chosen = unprotected(engine, 2)
    vms = [m["properties"]["displayName"] for _, m in chosen]
    flags = ["--policy", policy_of(engine, chosen[0][0]), *targets(engine), *connection_flags(endpoint)]
    items_before = set(engine.items)
    code, out, err = await command(capsys, "enable", *vms, *flags, "--yes", "--read-only")
    assert code == 2 and "enable: refused: this console is read-only" in err
    assert vms[0] in out  # the plan was shown first
    assert set(engine.items) == items_before
    refused = [e for e in audit_entries() if e["phase"] == "refused"]
    assert [e["action"] for e in refused] == ["enable-replication"] * 2


async def test_a_terminal_asks_y_before_enabling(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, endpoint = site
    [(fabric, machine)] = unprotected(engine, 1)
    vm = machine["properties"]["displayName"]
    args = [vm, "--policy", policy_of(engine, fabric), *targets(engine), *connection_flags(endpoint)]
    items_before = set(engine.items)

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    code, _, err = await command(capsys, "enable", *args)
    assert code == 2 and f"Enable replication of {vm}? [y/N]" in err and "enable: not confirmed" in err
    assert set(engine.items) == items_before and audit_entries() == []

    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    code, out, err = await command(capsys, "enable", *args)
    assert code == 0, err
    assert f"{vm}: " in out and "started, job" in out
    assert [engine.items[n].friendly_name for n in set(engine.items) - items_before] == [vm]


async def test_the_audit_log_names_each_enabled_vm_by_its_name_not_its_machine_id(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    engine, endpoint = site
    [(fabric, machine)] = unprotected(engine, 1)
    vm = machine["properties"]["displayName"]
    assert vm != machine["name"]  # the site machine's ARM name is an opaque id, not the VM's name
    args = [vm, "--policy", policy_of(engine, fabric), *targets(engine), *connection_flags(endpoint)]
    code, _, err = await command(capsys, "enable", *args, "--yes")
    assert code == 0, err
    entries = [e for e in audit_entries() if e["action"] == "enable-replication"]
    assert {e["phase"] for e in entries} >= {"intent", "result"}
    assert all([t["name"] for t in e["targets"]] == [vm] for e in entries)
