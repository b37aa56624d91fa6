"""The CLI as a user meets it: the installed console script in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from asr_console import __version__


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "asr_console", *args], capture_output=True, text=True, env=full_env, timeout=60
    )


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("demo", "status", "jobs", "inventory", "simulate", "config"):
        assert command in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and __version__ in result.stdout


@pytest.mark.parametrize("argv", [["bogus"], ["--bogus-flag"], ["config", "--nope"], ["demo", "--vms", "-3"]])
def test_bad_usage_is_one_line_exit_2(argv: list[str]) -> None:
    result = run(*argv)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("asr-console: error:")


def test_config_path_honours_env(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    result = run("config", "path", env={"ASR_CONSOLE_CONFIG": str(path)})
    assert result.returncode == 0 and result.stdout.strip() == str(path)


def test_config_shows_resolved_settings_with_origins_and_masks_secrets(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[profiles.p]\nvault = "v1"\n')
    env = {"ASR_CONSOLE_CONFIG": str(path), "GOVC_PASSWORD": "hunter2"}
    result = run("--profile", "p", "config", "--json", "--resource-group", "rg9", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["vault"] == "v1" and data["origins"]["vault"] == "profile p"
    assert data["resource_group"] == "rg9" and data["origins"]["resource_group"] == "flag"
    assert "hunter2" not in result.stdout
    assert "GOVC_PASSWORD" in data["secrets"]["vcenter_password"]
    plain = run("--profile", "p", "config", env=env)
    assert plain.returncode == 0 and "v1" in plain.stdout and "hunter2" not in plain.stdout


def test_config_error_names_file_key_reason(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[profiles.p]\nvualt = "v1"\n')
    result = run("config", env={"ASR_CONSOLE_CONFIG": str(path)})
    assert result.returncode == 2
    assert f"{path}:2: profiles.p.vualt: unknown key" in result.stderr
    assert "vault" in result.stderr  # the known keys are listed


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["status", "--json"], "status"),
        # a shared flag's value that spells a command is the flag's value, not the command
        (["--vault", "status", "jobs", "--json"], "jobs"),
        (["-p", "prod", "--vault=jobs", "status"], "status"),
        (["cleanup", "item-1"], "cleanup"),
        # help, version, the console and what cannot be read are the whole parser's to answer
        (["status", "--help"], None),
        (["--version"], None),
        ([], None),
        (["--vault"], None),
        (["statu"], None),
    ],
)
def test_the_command_is_read_before_its_module_is_loaded(argv: list[str], command: str | None) -> None:
    from asr_console.cli import build_parser, command_named

    assert command_named(argv) == command
    if command is not None:
        # the parser built for that command alone reads the line as the whole parser does
        assert vars(build_parser(command).parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_an_error_after_the_command_reads_as_before() -> None:
    result = run("status", "--no-such-flag")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "asr-console: error: unrecognized arguments: --no-such-flag (see 'asr-console --help')"
    )
