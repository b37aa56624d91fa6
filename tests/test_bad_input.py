"""Bad values in flags and config files: one line naming the flag or key, exit 2, never a traceback.

The cases a reliability review found are run through the installed command in a subprocess; the
property-based tests drive the same parsers with generated values in process.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asr_console.cli import build_parser
from asr_console.config import ConfigError, load_file, resolve
from asr_console.model.intervals import FLOORS


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "asr_console", *args], capture_output=True, text=True, env=full_env, timeout=60
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["demo", "--speed", "nan"], "--speed"),
        (["demo", "--speed", "inf"], "--speed"),
        (["jobs", "--hours", "nan"], "--hours"),
        (["jobs", "--hours", "1e12"], "--hours"),
        (["simulate", "--listen", ":99999"], "--listen"),
        (["simulate", "--throttle-rate", "2"], "--throttle-rate"),
        (["resync", "app-001", "--wait-timeout", "nan"], "--wait-timeout"),
        (["resync", "app-001", "--wait-timeout", "0"], "--wait-timeout"),
        (["resync", "app-001", "--wait-timeout", "1e9"], "--wait-timeout"),
    ],
)
def test_bad_flag_values_name_the_flag(argv: list[str], named: str) -> None:
    assert named in one_line(run(*argv))


def test_missing_ca_bundle_and_non_https_endpoint_name_the_flag(tmp_path: Path) -> None:
    target = ["--subscription", "s", "--resource-group", "r", "--vault", "v"]
    env = {"ASR_CONSOLE_CONFIG": str(tmp_path / "none.toml")}
    line = one_line(run("status", *target, "--ca-bundle", str(tmp_path / "nope.pem"), env=env))
    assert "--ca-bundle" in line and "nope.pem" in line
    line = one_line(run("status", *target, "--arm-endpoint", "ftp://arm.example", env=env))
    assert "--arm-endpoint" in line and "https://" in line


@pytest.mark.parametrize("value", ["nan", "inf", "1e-9", "-inf"])
def test_interval_that_would_spin_is_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[profiles.p.intervals]\nitems_fast = {value}\n")
    line = one_line(run("--profile", "p", "config", env={"ASR_CONSOLE_CONFIG": str(path)}))
    assert "profiles.p.intervals.items_fast" in line and ":2:" in line


def test_non_utf8_config_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b'[profiles.p]\nvault = "caf\xe9"\n')
    line = one_line(run("config", env={"ASR_CONSOLE_CONFIG": str(path)}))
    assert str(path) in line and "UTF-8" in line


def test_environment_colour_that_does_not_parse_stops_the_console_before_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[profiles.p]\nenvironment_color = "not-a-colour"\n')
    line = one_line(run("--profile", "p", "demo", env={"ASR_CONSOLE_CONFIG": str(path)}))
    assert "environment_color" in line and "not-a-colour" in line


def test_config_names_an_environment_colour_that_does_not_parse(tmp_path: Path) -> None:
    # `config` is where a user checks a profile: it must not call one the console refuses fine
    path = tmp_path / "c.toml"
    path.write_text('[profiles.p]\nenvironment_color = "not-a-colour"\n')
    for argv in (["config"], ["config", "--json"]):
        line = one_line(run("--profile", "p", *argv, env={"ASR_CONSOLE_CONFIG": str(path)}))
        assert "environment_color" in line and "not-a-colour" in line


# --------------------------------------------------------------------------- properties

toml_scalars = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=20),
)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    # TOML basic strings take JSON's escapes; TOML also refuses a raw DEL, which JSON leaves as is
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(sorted(FLOORS)), value=toml_scalars)
def test_any_interval_value_loads_or_is_a_config_error(tmp_path: Path, key: str, value: object) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[profiles.p.intervals]\n{key} = {toml_value(value)}\n", encoding="utf-8")
    try:
        loaded = resolve(path=path, profile="p", env={})
    except ConfigError as exc:
        assert f"profiles.p.intervals.{key}" in str(exc)
        return
    chosen = getattr(loaded.intervals, key)
    assert math.isfinite(chosen) and chosen >= FLOORS[key]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(
        [
            "vault",
            "arm_endpoint",
            "auth",
            "read_only",
            "ca_bundle",
            "theme",
            "timeout",
            "wait_timeout",
            "bogus",
        ]
    ),
    value=toml_scalars,
)
def test_any_profile_value_loads_or_is_a_config_error(tmp_path: Path, key: str, value: object) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[profiles.p]\n{key} = {toml_value(value)}\n", encoding="utf-8")
    try:
        load_file(path)
    except ConfigError as exc:
        assert f"profiles.p.{key}" in str(exc)


@settings(max_examples=200, deadline=None)
@given(
    flag=st.sampled_from(
        [
            ("demo", "--speed"),
            ("demo", "--vms"),
            ("demo", "--protected"),
            ("jobs", "--hours"),
            ("simulate", "--listen"),
            ("simulate", "--latency"),
            ("simulate", "--drop-rate"),
        ]
    ),
    text=st.one_of(
        st.text(max_size=12),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers().map(str),
    ),
)
def test_any_flag_value_parses_or_is_a_usage_error(flag: tuple[str, str], text: str) -> None:
    command, name = flag
    parser = build_parser()
    try:
        args = parser.parse_args([command, f"{name}={text}"])
    except SystemExit as exc:
        assert exc.code == 2
        return
    value = getattr(args, name.lstrip("-").replace("-", "_"))
    if isinstance(value, float):
        assert math.isfinite(value)
    assert not isinstance(value, argparse.Namespace)


@pytest.mark.parametrize("value", ["0", "nan", "-inf", "1e9", '"an hour"'])
def test_a_wait_timeout_out_of_range_is_refused_naming_the_key(tmp_path: Path, value: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[profiles.p]\nwait_timeout = {value}\n")
    line = one_line(run("--profile", "p", "config", env={"ASR_CONSOLE_CONFIG": str(path)}))
    assert "profiles.p.wait_timeout" in line and ":2:" in line
