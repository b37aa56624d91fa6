"""govmomi's vCenter simulator (our tests/vcsim main, built by ``make vcsim``) as pytest fixtures.

Register as a plugin (``pytest_plugins = ["tests.vcsim_fixture"]`` in tests/conftest.py) or import the
fixtures into a test module. ``vcsim`` is one read-only simulator per test session; ``vcsim_factory``
starts private ones (for tests that mutate, kill or restart them) and stops them afterwards.

A missing binary fails the run under CI=true and otherwise skips, with one loud line saying how to build it.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
HINT = "run `make vcsim` (or scripts/build-vcsim.sh) to build govmomi's simulator"


def vcsim_binary() -> Path | None:
    path = Path(os.environ.get("ASR_VCSIM", ROOT / ".build" / "vcsim"))
    return path if path.is_file() and os.access(path, os.X_OK) else None


@dataclass(frozen=True, slots=True)
class Topology:
    dc: int = 1
    cluster: int = 1
    host: int = 2
    standalone: int = 1
    vm: int = 2
    pg: int = 1
    ds: int = 1

    @property
    def hosts(self) -> int:
        return self.dc * (self.cluster * self.host + self.standalone)

    @property
    def vms(self) -> int:
        return self.hosts * self.vm

    def args(self) -> list[str]:
        return [
            f"-dc={self.dc}",
            f"-cluster={self.cluster}",
            f"-host={self.host}",
            f"-standalone={self.standalone}",
            f"-vm={self.vm}",
            f"-pg={self.pg}",
            f"-ds={self.ds}",
        ]


@dataclass
class Vcsim:
    """One simulator process. ``url`` is its SDK URL (any non-empty user and password log in)."""

    binary: Path
    topology: Topology = field(default_factory=Topology)
    extra: tuple[str, ...] = ()
    start_timeout: float = 120.0
    url: str = ""
    port: int = 0
    process: subprocess.Popen[str] | None = None
    _tmp: str = ""

    def start(self) -> str:
        listen = f"127.0.0.1:{self.port}"
        self._tmp = tempfile.mkdtemp(prefix="asr-vcsim-")
        env = {**os.environ, "TMPDIR": self._tmp}
        self.process = subprocess.Popen(
            [str(self.binary), *self.topology.args(), f"-listen={listen}", *self.extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + self.start_timeout
        line = ""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline().strip()
                break
            if self.process.poll() is not None:
                break
        if not line.startswith("http"):
            self.stop()
            raise RuntimeError(f"vcsim did not start ({self.binary} {' '.join(self.extra)})")
        self.url = line
        self.port = int(line.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        return self.url

    def kill(self) -> None:
        """SIGKILL: the connection drops as if vCenter died."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self._cleanup()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._cleanup()

    def restart(self) -> str:
        """A fresh simulator on the same port with the same topology (same morefs)."""
        self.stop()
        deadline = time.monotonic() + 10
        while True:
            try:
                return self.start()
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # the port may linger for a moment

    def _cleanup(self) -> None:
        if self.process is not None and self.process.stdout is not None:
            with contextlib.suppress(Exception):
                self.process.stdout.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = ""


_announced: list[bool] = []


def require_vcsim(config: pytest.Config) -> Path:
    binary = vcsim_binary()
    if binary is not None:
        return binary
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"vcsim binary missing under CI: {HINT}", pytrace=False)
    if not _announced:
        _announced.append(True)
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        capture = config.pluginmanager.get_plugin("capturemanager")
        if reporter is not None:
            # Output capture is active during fixture setup; step around it so the line is seen.
            suspended = capture.global_and_fixture_disabled() if capture else contextlib.nullcontext()
            with suspended:
                reporter.write_line(f"\n*** vcsim tests SKIPPED: {HINT} ***", yellow=True, bold=True)
    pytest.skip(f"vcsim not built: {HINT}")


# The shared session topology: several datacenters and clusters, standalone hosts.
SESSION_TOPOLOGY = Topology(dc=2, cluster=2, host=2, standalone=1, vm=3, pg=1, ds=1)


_session_sim: list[Vcsim] = []


@pytest.fixture(scope="session")
def vcsim(request: pytest.FixtureRequest) -> Vcsim:
    """A simulator shared by the session; tests must not change it.

    One process even when several test modules import this fixture (each import is its own definition).
    """
    binary = require_vcsim(request.config)
    if not _session_sim:
        sim = Vcsim(binary=binary, topology=SESSION_TOPOLOGY)
        sim.start()
        _session_sim.append(sim)

        def stop() -> None:
            sim.stop()
            _session_sim.clear()

        request.config.add_cleanup(stop)
    return _session_sim[0]


class VcsimFactory:
    def __init__(self, binary: Path) -> None:
        self.binary = binary
        self.started: list[Vcsim] = []

    def __call__(self, topology: Topology | None = None, *extra: str) -> Vcsim:
        sim = Vcsim(binary=self.binary, topology=topology or Topology(), extra=tuple(extra))
        self.started.append(sim)
        sim.start()
        return sim

    def close(self) -> None:
        for sim in self.started:
            sim.stop()


@pytest.fixture
def vcsim_factory(request: pytest.FixtureRequest) -> Iterator[VcsimFactory]:
    """Start private simulators: ``vcsim_factory(Topology(...), "-tls")``."""
    factory = VcsimFactory(require_vcsim(request.config))
    try:
        yield factory
    finally:
        factory.close()


def moref_of(managed_object: Any) -> str:
    """The managed object reference id (``vm-42``) of a pyVmomi object: the one place the tests read
    pyVmomi's ``_moId``, which is how pyVmomi exposes the id (it has no public property for it)."""
    return str(managed_object._moId)
