"""The core never imports Textual: headless commands and the TUI share it, and it must stay testable
without a terminal. Checked in a fresh interpreter so no other test's imports can hide a violation."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import asr_console

CORE_PACKAGES = ("model", "sources", "sim", "sync", "commands")
CORE_MODULES = ("cli", "config", "actions", "audit")


def core_modules() -> list[str]:
    names = [f"asr_console.{m}" for m in CORE_MODULES]
    for package in CORE_PACKAGES:
        names.append(f"asr_console.{package}")
        module = __import__(f"asr_console.{package}", fromlist=["_"])
        names += [info.name for info in pkgutil.walk_packages(module.__path__, f"asr_console.{package}.")]
    return names


def test_core_modules_exist() -> None:
    names = core_modules()
    assert "asr_console.model.store" in names and "asr_console.sync.engine" in names
    assert asr_console.__file__


def test_core_never_imports_textual() -> None:
    # commands/console.py and commands/demo.py open the TUI, but only inside run(): importing the
    # module must stay Textual-free so `asr-console status` never pays for it.
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "    bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "    if bad:\n"
        "        print(name, bad[:3]); sys.exit(1)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"core module imports Textual: {result.stdout}{result.stderr}"


# The simulated site is an independent contract (issue 10): it must not be built from the console's own
# form validation, its real back ends or its UI, or a wrong write could pass both sides the same way.
SIM_FORBIDDEN = (
    "asr_console.model.specs",
    "asr_console.sources",
    "asr_console.app",
    "asr_console.screens",
    "asr_console.widgets",
    "asr_console.themes",
    "asr_console.commands",
    "asr_console.cli",
    "textual",
)


def sim_modules() -> list[str]:
    import asr_console.sim

    return ["asr_console.sim"] + [
        info.name for info in pkgutil.walk_packages(asr_console.sim.__path__, "asr_console.sim.")
    ]


def test_simulator_loads_none_of_the_console_validation_sources_or_ui() -> None:
    code = (
        "import importlib, sys\n"
        f"roots = {SIM_FORBIDDEN!r}\n"
        f"for name in {sim_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "    bad = sorted(m for m in sys.modules if any(m == f or m.startswith(f + '.') for f in roots))\n"
        "    if bad:\n"
        "        print(name, bad[:3]); sys.exit(1)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"a sim module loads a forbidden module: {result.stdout}{result.stderr}"
    assert "asr_console.sim.contract" in sim_modules()


def test_status_loads_neither_textual_nor_pyvmomi(tmp_path: Path) -> None:
    # the whole command, up to its answer (here: unreachable, exit 3), in a fresh interpreter: a
    # monitoring system runs it every minute, so it must not pay for the TUI or for vCenter
    code = (
        "import sys\n"
        "from asr_console import cli\n"
        "exit_code = cli.main(['status', '--subscription', 's', '--resource-group', 'r', '--vault', 'v',\n"
        "    '--arm-endpoint', 'https://127.0.0.1:9', '--auth', 'token', '--timeout', '10'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'pyVmomi', 'pyVim'))\n"
        "print(exit_code, bad[:3])\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ASR_CONSOLE_", "AZURE_", "GOVC_"))},
        "ASR_CONSOLE_CONFIG": str(tmp_path / "none.toml"),
        "ASR_CONSOLE_ACCESS_TOKEN": "t",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.stdout.strip() == "3 []", result.stdout + result.stderr
