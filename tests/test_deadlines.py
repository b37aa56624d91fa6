"""Every headless command ends by its deadline, even against a server that never answers.

A "black hole" accepts TCP connections and then says nothing (the TLS handshake never completes,
or HTTP never answers): before, ``status`` waited 20 minutes and ``inventory`` forever.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest


def run_timed(args: list[str], home: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {
        **os.environ,
        "ASR_CONSOLE_CONFIG": str(home / "none.toml"),
        "ASR_CONSOLE_ACCESS_TOKEN": "t",
        "GOVC_PASSWORD": "p",
    }
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "asr_console", *args], capture_output=True, text=True, env=env, timeout=120
    )
    return result, time.monotonic() - start


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_inventory_against_a_silent_vcenter_ends_by_its_deadline(
    black_hole: int, tmp_path: Path, scheme: str
) -> None:
    url = f"{scheme}://127.0.0.1:{black_hole}/sdk"
    result, took = run_timed(
        ["inventory", "--vcenter", url, "--user", "u", "--insecure", "--timeout", "3"], tmp_path
    )
    assert result.returncode == 3, result.stderr
    assert "timed out after 3 s" in result.stderr and "log in" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert took < 15, took  # the process ends too: no thread left holding it


@pytest.mark.parametrize("command", ["status", "jobs"])
def test_azure_commands_against_a_silent_arm_end_by_their_deadline(
    black_hole: int, tmp_path: Path, command: str
) -> None:
    target = ["--subscription", "s", "--resource-group", "r", "--vault", "v", "--auth", "token"]
    endpoint = ["--arm-endpoint", f"https://127.0.0.1:{black_hole}", "--timeout", "3"]
    result, took = run_timed([command, *target, *endpoint], tmp_path)
    assert result.returncode == 3, result.stderr
    assert "timed out after 3 s waiting for" in result.stderr
    assert "Traceback" not in result.stderr
    assert took < 15, took


def test_prepare_azure_against_a_silent_arm_ends_by_its_deadline(black_hole: int, tmp_path: Path) -> None:
    (tmp_path / "none.toml").write_text('[profiles.p]\ntarget_resource_group = "rg"\ncache_storage = "st1"\n')
    target = ["--subscription", "s", "--resource-group", "r", "--vault", "v", "--auth", "token"]
    endpoint = ["--arm-endpoint", f"https://127.0.0.1:{black_hole}", "--timeout", "3"]
    result, took = run_timed(["--profile", "p", "prepare-azure", "--yes", *target, *endpoint], tmp_path)
    assert result.returncode == 3, result.stderr
    assert "timed out after 3 s waiting for" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert took < 15, took


def test_simulate_discovering_a_silent_vcenter_ends_by_its_deadline(black_hole: int, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{black_hole}/sdk"
    result, took = run_timed(
        ["simulate", "--vcenter", url, "--user", "u", "--listen", "127.0.0.1:0", "--timeout", "3"], tmp_path
    )
    assert result.returncode == 3, result.stderr
    assert "did not finish loading in 3 s" in result.stderr or "timed out" in result.stderr
    assert "Traceback" not in result.stderr
    assert took < 15, took


def test_doctor_against_a_silent_vault_is_unknown_within_its_deadline(
    black_hole: int, tmp_path: Path
) -> None:
    target = ["--subscription", "s", "--resource-group", "r", "--vault", "v", "--auth", "token"]
    endpoint = ["--arm-endpoint", f"https://127.0.0.1:{black_hole}", "--timeout", "3"]
    result, took = run_timed(["doctor", "--json", *target, *endpoint], tmp_path)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert (
        checks["azure.vault"]["verdict"] == "unknown"
        and "timed out after 3 s" in checks["azure.vault"]["found"]
    )
    assert took < 15, took


def test_capacity_against_a_silent_vcenter_ends_by_its_deadline(black_hole: int, tmp_path: Path) -> None:
    url = f"https://127.0.0.1:{black_hole}/sdk"
    result, took = run_timed(
        ["capacity", "--vcenter", url, "--user", "u", "--insecure", "--timeout", "3"], tmp_path
    )
    assert result.returncode == 3, result.stderr
    assert "timed out after 3 s" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert took < 15, took
