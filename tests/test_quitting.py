"""Quitting is fast whatever a back end is doing: the real binary against a frozen vCenter (vcsim
under SIGSTOP) and TCP black holes.

Before, ``q`` in the console waited for each vCenter logout in turn (2 s each) and ``inventory
--watch`` took over 2 s to end on Ctrl-C.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.test_tmux_console import BINARY, Tmux
from tests.vcsim_fixture import Topology, Vcsim, VcsimFactory

SMALL = Topology(dc=1, cluster=1, host=1, standalone=0, vm=2)


class Frozen:
    """SIGSTOP a simulator for the length of a ``with``: its sockets stay open and nothing answers."""

    def __init__(self, sim: Vcsim) -> None:
        assert sim.process is not None
        self.process = sim.process

    def __enter__(self) -> Frozen:
        self.process.send_signal(signal.SIGSTOP)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGCONT)


def tmux_format(tmux: Tmux, name: str) -> str:
    result = subprocess.run(
        ["tmux", *tmux.socket, "display-message", "-p", "-t", tmux.session, f"#{{{name}}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def quit_and_time(tmux: Tmux, key: str) -> float:
    """Press ``key``; seconds until the shell after the console has printed its exit code."""
    started = time.monotonic()
    tmux.send(key)
    deadline = started + 30
    while time.monotonic() < deadline:
        if "EXITED=" in tmux.capture():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"the console did not end; last screen:\n{tmux.capture()}")


def assert_terminal_restored(tmux: Tmux) -> None:
    screen = tmux.capture()
    assert "EXITED=0" in screen, screen
    assert "Traceback" not in screen, screen
    # the console's alternate screen, mouse reporting and hidden cursor are all undone
    assert tmux_format(tmux, "alternate_on") == "0"
    assert tmux_format(tmux, "mouse_any_flag") == "0"
    assert tmux_format(tmux, "cursor_flag") == "1"


def test_q_leaves_the_demo_at_once_while_its_vcenter_is_frozen(
    vcsim_factory: VcsimFactory, tmp_path: Path
) -> None:
    sim = vcsim_factory(SMALL)
    tmux = Tmux(tmp_path)
    tmux.env.update(GOVC_USERNAME="u", GOVC_PASSWORD="p")
    tmux.start(f"{BINARY} demo --vms 20 --protected 5 --vcenter {sim.url}; echo EXITED=$?; sleep 30", 120, 40)
    try:
        # a vCenter stream has read: the console is logged in (its logout is what used to be waited for)
        tmux.wait_for(
            lambda s: "Replication health" in s and re.search(r"vcenter \d", s) is not None, timeout=60
        )
        with Frozen(sim):
            took = quit_and_time(tmux, "q")
            assert took < 3.0, f"q took {took:.2f} s"
            assert_terminal_restored(tmux)
    finally:
        tmux.kill()


def test_ctrl_c_leaves_the_console_at_once_against_black_holes(black_hole: int, tmp_path: Path) -> None:
    tmux = Tmux(tmp_path)
    tmux.env.update(
        ASR_CONSOLE_CONFIG=str(tmp_path / "none.toml"),
        ASR_CONSOLE_ACCESS_TOKEN="t",
        GOVC_USERNAME="u",
        GOVC_PASSWORD="p",
    )
    hole = f"127.0.0.1:{black_hole}"
    tmux.start(
        f"{BINARY} --subscription s --resource-group rg --vault v --auth token --arm-endpoint https://{hole}"
        f" --vcenter https://{hole}/sdk --insecure; echo EXITED=$?; sleep 30",
        120,
        40,
    )
    try:
        tmux.wait_for(lambda s: "Replication health" in s, timeout=60)
        # every stream is now waiting on a socket that never answers: nothing read yet says loading
        tmux.wait_for(lambda s: "STALE" in s or "loading" in s, timeout=10)
        took = quit_and_time(tmux, "C-c")
        assert took < 3.0, f"ctrl+c took {took:.2f} s"
        assert_terminal_restored(tmux)
    finally:
        tmux.kill()


def test_watch_ends_at_once_on_ctrl_c_while_vcenter_is_frozen(vcsim_factory: VcsimFactory) -> None:
    sim = vcsim_factory(SMALL)
    env = {**os.environ, "GOVC_PASSWORD": "pw", "GOVC_URL": sim.url, "GOVC_USERNAME": "admin"}
    proc = subprocess.Popen(
        [str(BINARY), "inventory", "--watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        ready, _, _ = select.select([proc.stderr], [], [], 60)
        assert ready and "watching" in proc.stderr.readline()
        with Frozen(sim):
            # the watch waits on vCenter's updates (WaitForUpdatesEx); the frozen server never answers
            started = time.monotonic()
            proc.send_signal(signal.SIGINT)
            code = proc.wait(30)
            took = time.monotonic() - started
        assert code == 130
        assert took < 2.0, f"--watch took {took:.2f} s to end on Ctrl-C"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_the_quit_guard_ends_a_process_held_by_a_stuck_thread(tmp_path: Path) -> None:
    """A thread asyncio.run joins without a timeout (to_thread, as a device-code sign-in uses) that
    never returns: once armed, the guard ends the process with the command's code."""
    script = textwrap.dedent(
        """
        import asyncio, threading
        from asr_console.commands.quit_guard import QuitGuard

        async def main(guard):
            never = threading.Event()
            asyncio.get_running_loop().run_in_executor(None, never.wait)
            guard.arm(7)
            return 0

        with QuitGuard(grace=0.5) as guard:
            asyncio.run(main(guard))
        """
    )
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    took = time.monotonic() - started
    assert result.returncode == 7, result.stderr
    assert took < 10, took
