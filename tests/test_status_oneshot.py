"""``status`` as a monitoring system runs it, once a minute: a whole process that loads what its read
needs and nothing else (not the console, not vCenter, not the writes), starts no thread, and still
goes through the proxy the environment names. Checked against the simulated site, in a fresh
interpreter where it is about loading, so no other test's imports can hide a module.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from asr_console import cli
from asr_console.sim import make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site

# What a one-shot read of a vault's health has no use for.
NOT_FOR_STATUS = (
    "textual",
    "pyVmomi",
    "pyVim",
    "azure.identity",  # --auth token: no credential chain to discover
    "msal",
    "azure.mgmt.resource",
    "azure.mgmt.network",
    "azure.mgmt.storage",
    "asr_console.app",
    "asr_console.screens",
    "asr_console.widgets",
    "asr_console.session",
    "asr_console.sync",
    "asr_console.actions",
    "asr_console.audit",
    "asr_console.sim",
    "asr_console.sources.vmware",
    "asr_console.model.doctor",
    "asr_console.model.capacity",
    "asr_console.model.compat",
    # the writes' request bodies, specs and target pickers (sources.azure loads them on first use)
    "asr_console.sources.azure_inputs",
    "asr_console.sources.azure_resources",
    "asr_console.model.specs",
    "asr_console.model.targets",
    "asr_console.model.prepare",
    "asr_console.model.protocols",
    "asr_console.model.network_plan",  # parsed only when a profile has a network map
    *(
        f"asr_console.commands.{name}"
        for name in ("writes", "enable", "doctor", "capacity", "inventory", "simulate", "demo", "site")
    ),
)

# Runs ``status`` through ``cli.main`` as ``python -m asr_console`` does and says what it loaded and
# which threads it started; then runs it again, everything imported, and counts the cyclic garbage
# collector's passes, and the objects left out of its passes at exit.
PROBE = """
import gc, json, sys, threading
started = []
original = threading.Thread.start
def start(self):
    started.append(self.name)
    original(self)
threading.Thread.start = start
from asr_console import cli
code = cli.main(sys.argv[2:])
modules = sorted(sys.modules)
passes = []
gc.callbacks.append(lambda phase, info: passes.append(info["generation"]) if phase == "stop" else None)
cli.main(sys.argv[2:])
gc.callbacks.clear()
import atexit
atexit._run_exitfuncs()  # what the interpreter runs as the process ends, before its last collections
with open(sys.argv[1], "w") as out:
    found = {"code": code, "modules": modules, "threads": started, "gc": passes}
    found.update(frozen=gc.get_freeze_count(), left=len(gc.get_objects()))
    json.dump(found, out)
"""


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
        if name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "netrc"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc


def flags(site: SiteEndpoint) -> list[str]:
    return [
        *("status", "--json", "--auth", "token", "--subscription", site.subscription),
        *("--resource-group", site.resource_group, "--vault", site.vault),
        *("--arm-endpoint", site.arm_endpoint, "--ca-bundle", site.ca_bundle),
    ]


def loaded(modules: list[str], roots: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == root or m.startswith(root + ".") for root in roots)]


async def test_status_loads_only_what_its_read_needs_and_starts_no_thread(tmp_path: Path) -> None:
    engine = make_demo_site(vms=2000, protected=2000, seed=4, speed=0.0, provider="mixed")
    found = tmp_path / "probe.json"
    async with serve_site(engine, page_size=100) as site:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-c", PROBE, str(found), *flags(site)),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode in (0, 1, 2), err.decode()
    first = out.decode().splitlines()[0]
    assert json.loads(first)["summary"]["total"] == 2000  # the whole read was done
    probe = json.loads(found.read_text())
    assert loaded(probe["modules"], NOT_FOR_STATUS) == []
    # what it does need is there: the check looks at the right names
    assert loaded(probe["modules"], ("azure.mgmt.recoveryservicessiterecovery.aio", "aiohttp"))
    # no executor: no proxy or netrc lookups in worker threads, nothing left to join at exit
    assert probe["threads"] == []
    # 2,000 items' JSON and records hold no cycles: the collector does not walk them (it did some 40
    # times); what is left is the command line's parsing
    assert len(probe["gc"]) < 10
    # and at exit they are left out of the interpreter's last collections (a process's end frees them)
    assert probe["frozen"] > 50_000 and probe["left"] < 1_000, (probe["frozen"], probe["left"])


async def connect_proxy(tunnels: list[str]) -> asyncio.Server:
    """An HTTP proxy that only tunnels (CONNECT), as the corporate proxies in front of ARM do."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target = head.decode().split(" ")[:2]
        tunnels.append(f"{method} {target}")
        host, port = target.rsplit(":", 1)
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(
            pipe(reader, upstream_writer), pipe(upstream_reader, writer), return_exceptions=True
        )

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def test_status_goes_through_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_demo_site(vms=30, protected=25, seed=4, speed=0.0, provider="mixed")
    tunnels: list[str] = []
    proxy = await connect_proxy(tunnels)
    port = proxy.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    async with proxy, serve_site(engine, page_size=10) as site:
        code = await asyncio.to_thread(cli.main, flags(site))
    report = json.loads(capsys.readouterr().out)
    assert code in (0, 1, 2) and report["summary"]["total"] == 25
    arm = site.arm_endpoint.removeprefix("https://")
    assert tunnels and set(tunnels) == {f"CONNECT {arm}"}
