"""``asr-console inventory`` against vcsim: the JSON document, the error lines and ``--watch``."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from asr_console.cli import main
from tests.vcsim_fixture import SESSION_TOPOLOGY, Topology, Vcsim, VcsimFactory, moref_of
from tests.waiting import finish_task

pytestmark = pytest.mark.vcsim

VM_KEYS = {
    "moref",
    "name",
    "power_state",
    "guest_id",
    "num_cpu",
    "memory_mb",
    "bios_uuid",
    "instance_uuid",
    "host",
    "cluster",
    "datacenter",
    "disks",
    "nics",
    "azure",
}


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_document(
    vcsim: Vcsim, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVC_PASSWORD", "secret-pw")
    code, out, err = run_cli(["inventory", "--json", "--vcenter", vcsim.url, "--user", "admin"], capsys)
    assert code == 0, err
    assert "secret-pw" not in out + err
    doc = json.loads(out)
    assert doc["vcenter"]["url"] == vcsim.url and doc["vcenter"]["version"]
    topo = SESSION_TOPOLOGY
    assert len(doc["datacenters"]) == topo.dc
    assert len(doc["clusters"]) == topo.dc * topo.cluster
    assert len(doc["hosts"]) == topo.hosts
    assert doc["datastores"] and doc["networks"]
    assert len(doc["vms"]) == topo.vms
    for vm in doc["vms"]:
        assert set(vm) >= VM_KEYS
        assert vm["disks"] and all({"label", "capacity_gb", "thin", "mode"} <= set(d) for d in vm["disks"])
        assert all({"network", "mac", "ips"} <= set(n) for n in vm["nics"])
        assert vm["azure"]["status"] in ("ok", "warning", "blocked")
        assert bool(vm["azure"]["reasons"]) == (vm["azure"]["status"] != "ok")
    # the README's schema: a VM's host, cluster and datacenter by name, their morefs beside them
    datacenters = {d["moref"]: d["name"] for d in doc["datacenters"]}
    hosts = {h["moref"]: h["name"] for h in doc["hosts"]}
    assert {vm["datacenter_moref"] for vm in doc["vms"]} == set(datacenters)
    assert all(vm["datacenter"] == datacenters[vm["datacenter_moref"]] for vm in doc["vms"])
    assert all(vm["host"] == hosts[vm["host_moref"]] for vm in doc["vms"])
    assert all(d["free_gb"] >= 0 for d in doc["datastores"])
    # and so does every other record: a cluster or datacenter by name, its moref beside it
    clusters = {c["moref"]: c["name"] for c in doc["clusters"]}
    for record in doc["clusters"] + doc["hosts"] + doc["datastores"] + doc["networks"]:
        assert record["datacenter"] == datacenters[record["datacenter_moref"]]
    assert all(h["cluster"] == clusters.get(h["cluster_moref"]) for h in doc["hosts"])


def test_env_credentials_and_text_output(
    vcsim: Vcsim, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVC_URL", vcsim.url)
    monkeypatch.setenv("GOVC_USERNAME", "admin")
    monkeypatch.setenv("GOVC_PASSWORD", "pw")
    code, out, err = run_cli(["inventory", "--no-churn"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert f"{SESSION_TOPOLOGY.vms} VMs" in lines[0]
    assert len(lines) == 2 + SESSION_TOPOLOGY.vms


def test_errors_are_one_line_exit_3(
    vcsim_factory: VcsimFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = vcsim_factory(
        Topology(dc=1, cluster=0, host=0, standalone=1, vm=1), "-username=admin", "-password=right"
    )
    monkeypatch.setenv("GOVC_PASSWORD", "wrong")
    code, out, err = run_cli(["inventory", "--vcenter", sim.url, "--user", "admin"], capsys)
    assert code == 3 and out == ""
    assert len(err.strip().splitlines()) == 1 and "wrong user name or password" in err

    code, _, err = run_cli(["inventory", "--vcenter", "ftp://vc01", "--user", "admin"], capsys)
    assert code == 3 and len(err.strip().splitlines()) == 1 and "bad vCenter URL" in err

    port = sim.port
    sim.stop()
    code, _, err = run_cli(
        ["inventory", "--vcenter", f"http://127.0.0.1:{port}/sdk", "--user", "admin"], capsys
    )
    assert code == 3 and len(err.strip().splitlines()) == 1 and "refused" in err


def test_untrusted_certificate_names_insecure(
    vcsim_factory: VcsimFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = vcsim_factory(Topology(dc=1, cluster=0, host=0, standalone=1, vm=1), "-tls")
    monkeypatch.setenv("GOVC_PASSWORD", "pw")
    code, _, err = run_cli(["inventory", "--vcenter", sim.url, "--user", "admin"], capsys)
    assert code == 3 and "certificate" in err and "--insecure" in err
    code, out, err = run_cli(
        ["inventory", "--json", "--vcenter", sim.url, "--user", "admin", "--insecure"], capsys
    )
    assert code == 0, err
    assert len(json.loads(out)["vms"]) == 1


def _readline(proc: subprocess.Popen[str], deadline: float) -> str:
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            return proc.stdout.readline()
    raise AssertionError("no watch line before the deadline")


def test_watch_prints_one_line_per_change(vcsim_factory: VcsimFactory) -> None:
    sim = vcsim_factory(Topology(dc=1, cluster=1, host=1, standalone=0, vm=2))
    env = {**os.environ, "GOVC_PASSWORD": "pw", "GOVC_URL": sim.url, "GOVC_USERNAME": "admin"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "asr_console", "inventory", "--watch", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    parts = urlsplit(sim.url)
    si = SmartConnect(protocol="http", host=parts.hostname, port=parts.port, user="u", pwd="p")
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 30
        ready, _, _ = select.select([proc.stderr], [], [], 30)
        assert ready and "watching" in proc.stderr.readline()
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
        vm = next(v for v in view.view if v.runtime.powerState == "poweredOn")
        finish_task(vm.PowerOffVM_Task())
        line = json.loads(_readline(proc, deadline))
        assert (line["moref"], line["change"], line["detail"]) == (moref_of(vm), "power", "powered off")
        finish_task(vm.Rename_Task("watched-vm"))
        line = json.loads(_readline(proc, deadline))
        assert (line["change"], line["name"]) == ("renamed", "watched-vm")
        finish_task(vm.Destroy_Task())
        line = json.loads(_readline(proc, deadline))
        assert (line["moref"], line["change"]) == (moref_of(vm), "destroyed")
    finally:
        Disconnect(si)
        proc.terminate()
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
