"""``asr-console capacity``: the JSON document and exit codes on the demo site and against vcsim."""

from __future__ import annotations

import json

import pytest

from asr_console.cli import main
from tests.vcsim_fixture import SESSION_TOPOLOGY, Vcsim

TOTAL_KEYS = {
    "vms",
    "peak_write_mbps",
    "avg_write_mbps",
    "daily_churn_gb",
    "required_mbps",
    "disk_gb",
    "initial_replication_hours",
    "meets_window",
    "appliances_needed",
    "disks_over_limit",
    "vms_at_risk",
}
VM_KEYS = {
    "name",
    "moref",
    "samples",
    "peak_write_mbps",
    "avg_write_mbps",
    "daily_churn_gb",
    "required_mbps",
    "disk_gb",
    "initial_replication_hours",
    "disks_over_limit",
    "at_risk",
    "protected_item",
}


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_plan_finds_the_planted_disks_over_their_limit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["capacity", "--demo", "--json", "--vms", "40", "--protected", "10", "--bandwidth-mbps", "500"],
        capsys,
    )
    doc = json.loads(out)
    total = doc["total"]
    assert set(total) == TOTAL_KEYS and all(set(vm) == VM_KEYS for vm in doc["vms"])
    assert doc["inputs"]["bandwidth_mbps"] == 500 and doc["inputs"]["bandwidth_source"] == "given"
    assert total["vms"] == len(doc["vms"]) > 0
    # the set's figures are the plan of its VMs: churn adds up, disks over their limit are counted
    assert total["daily_churn_gb"] == pytest.approx(sum(vm["daily_churn_gb"] for vm in doc["vms"]), rel=0.01)
    over = [d for vm in doc["vms"] for d in vm["disks_over_limit"]]
    assert total["disks_over_limit"] == len(over) > 0
    assert all(d["write_mb_s"] > d["limit_mb_s"] and d["suggested"] for d in over)
    assert total["appliances_needed"] >= 1
    assert code == 1, err  # something is at risk: exit 1, as a monitoring check would read it
    # protected VMs carry their item
    assert any(vm["protected_item"] for vm in doc["vms"])


def test_text_plan_names_the_vms_at_risk(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["capacity", "--demo", "--vms", "40", "--protected", "10"], capsys)
    assert code == 1
    assert "bandwidth needed for the RPO" in out and "at risk:" in out and "process servers needed" in out


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--rpo-minutes", "0"], "--rpo-minutes"),
        (["--rpo-minutes", "soon"], "--rpo-minutes"),
        (["--bandwidth-mbps", "nan"], "--bandwidth-mbps"),
        (["--bandwidth-mbps", "-5"], "--bandwidth-mbps"),
        (["--window", "0"], "--window"),
        (["--disk-type", "SSD"], "--disk-type"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["capacity", "--demo", *argv])
    assert exit_info.value.code == 2
    assert named in capsys.readouterr().err


def test_unknown_vm_and_missing_vcenter_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["capacity", "--demo", "--vms", "10", "no-such-vm"], capsys)
    assert code == 2 and out == "" and "no-such-vm" in err
    monkeypatch.delenv("GOVC_URL", raising=False)
    code, out, err = run_cli(["capacity"], capsys)
    assert code == 2 and "--vcenter" in err and "--demo" in err


@pytest.mark.vcsim
def test_plan_from_vcsim(
    vcsim: Vcsim, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVC_PASSWORD", "secret-pw")
    code, out, err = run_cli(
        ["capacity", "--json", "--vcenter", vcsim.url, "--user", "admin", "--bandwidth-mbps", "100"], capsys
    )
    assert code in (0, 1), err
    assert "secret-pw" not in out + err
    doc = json.loads(out)
    assert doc["total"]["vms"] == SESSION_TOPOLOGY.vms
    assert doc["inputs"]["bandwidth_source"] == "given"


def test_unreachable_vcenter_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["capacity", "--vcenter", "ftp://vc01", "--user", "admin"], capsys)
    assert code == 3 and out == "" and len(err.strip().splitlines()) == 1
