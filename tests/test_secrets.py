"""Planted secrets never appear in any command's output or in the files it writes (logs, audit).

Every command runs as a user would run it, in a subprocess with its own home, against endpoints that
refuse connections, with verbose logging, so error paths and log lines are swept too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from asr_console.model.redact import mask_url

PLANTED = {
    "url": "PLANTED-URL-PASSWORD",
    "govc": "PLANTED-GOVC-PASSWORD",
    "token": "PLANTED-ACCESS-TOKEN",
    "client": "PLANTED-CLIENT-SECRET",
}
AZURE = [
    "--subscription",
    "s",
    "--resource-group",
    "r",
    "--vault",
    "v",
    "--arm-endpoint",
    "https://127.0.0.1:9",
]

COMMANDS = [
    ["config"],
    ["config", "--json"],
    ["-vv", "inventory"],
    ["-vv", "inventory", "--json"],
    ["-vv", "simulate", "--listen", "127.0.0.1:0"],
    ["-vv", "status", "--auth", "token", *AZURE],
    ["-vv", "status", "--json", "--auth", "token", *AZURE],
    ["-vv", "jobs", "--auth", "service-principal", "--tenant", "t", *AZURE],
    ["-vv", "doctor", "--auth", "token", *AZURE],
    ["-vv", "doctor", "--json", "--timeout", "10", "--auth", "service-principal", "--tenant", "t", *AZURE],
    ["-vv", "capacity", "--json", "--auth", "token", *AZURE],
    ["-vv", "prepare-azure", "--yes", "--auth", "token", *AZURE],
    ["-vv", "update-agent", "web-l00001", "--yes", "--auth", "token", *AZURE],
]
# prepare-azure reads the vault only when the profile names targets to create
PROFILE = """[defaults]
profile = "p"

[profiles.p]
target_resource_group = "rg-new"
target_network = "vnet-new"
cache_storage = "stnew01"
"""


def test_mask_url_keeps_user_and_host() -> None:
    assert (
        mask_url("https://admin:pw@vc01/sdk and ftp://u:p@h")
        == "https://admin:****@vc01/sdk and ftp://u:****@h"
    )
    assert mask_url("https://vc01/sdk") == "https://vc01/sdk"


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: " ".join(a for a in argv if a not in AZURE))
def test_no_planted_secret_in_output_or_files(tmp_path: Path, argv: list[str]) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "profile.toml").write_text(PROFILE)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "ASR_CONSOLE_CONFIG": str(home / "profile.toml"),
        "GOVC_URL": f"https://admin:{PLANTED['url']}@127.0.0.1:9/sdk",
        "GOVC_USERNAME": "admin",
        "GOVC_PASSWORD": PLANTED["govc"],
        "ASR_CONSOLE_ACCESS_TOKEN": PLANTED["token"],
        "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
        "AZURE_CLIENT_SECRET": PLANTED["client"],
    }
    result = subprocess.run(
        [sys.executable, "-m", "asr_console", *argv], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode in (0, 2, 3), result.stderr
    if "-vv" not in argv:  # debug logging may carry the libraries' tracebacks; a plain run never does
        assert "Traceback" not in result.stderr
    written = "".join(p.read_text(errors="replace") for p in home.rglob("*") if p.is_file())
    for secret in PLANTED.values():
        assert secret not in result.stdout
        assert secret not in result.stderr
        assert secret not in written
