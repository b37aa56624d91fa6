"""Shared test setup.

Under CI (CI=true) a skipped test is a failure: a test that did not run is no evidence, and the only
legitimate skips (vcsim not built) must not happen there because `make test` builds it.
"""

from __future__ import annotations

import os
import time

import pytest

# Times show in the local zone: fix it, so snapshots read the same on every machine.
os.environ["TZ"] = "UTC"
time.tzset()

pytest_plugins = ["tests.vcsim_fixture", "tests.arm_site", "tests.black_hole"]

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI", "").lower() == "true" and _skipped:
        print(f"\nCI: {len(_skipped)} test(s) skipped; skipped tests fail the CI run:")
        for nodeid in _skipped:
            print(f"  {nodeid}")
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests away from the developer's real config, state and audit log."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    for var in (
        "ASR_CONSOLE_CONFIG",
        "ASR_CONSOLE_PROFILE",
        "ASR_CONSOLE_SUBSCRIPTION",
        "AZURE_SUBSCRIPTION_ID",
        "ASR_CONSOLE_RESOURCE_GROUP",
        "ASR_CONSOLE_VAULT",
        "ASR_CONSOLE_READ_ONLY",
        "ASR_CONSOLE_THEME",
        "ASR_CONSOLE_UTC",
        "GOVC_URL",
        "GOVC_USERNAME",
        "GOVC_PASSWORD",
        "GOVC_INSECURE",
    ):
        monkeypatch.delenv(var, raising=False)
