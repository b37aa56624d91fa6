"""While the console owns the terminal, log lines go to a private file, never over the screen.

The real binary under tmux against an ARM endpoint that refuses connections: every stream fails and
says so in the log at WARNING. Before, those lines were written to stderr, over the status bar.
"""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from tests.test_tmux_console import BINARY, Tmux

pytestmark = pytest.mark.skipif(not BINARY.exists(), reason="the asr-console script is not installed")


def refused_port() -> int:
    """A loopback port nothing listens on (bound then closed: connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_stream_warnings_go_to_the_log_file_and_events_not_the_screen(tmp_path: Path) -> None:
    tmux = Tmux(tmp_path)
    tmux.env.update(
        ASR_CONSOLE_CONFIG=str(tmp_path / "none.toml"),
        ASR_CONSOLE_ACCESS_TOKEN="t",
    )
    log_file = tmp_path / "state" / "asr-console" / "log" / "console.log"
    endpoint = f"https://127.0.0.1:{refused_port()}"
    tmux.start(
        f"{BINARY} --subscription s --resource-group rg --vault v --auth token --arm-endpoint {endpoint}"
        "; echo EXITED=$?; sleep 30",
        120,
        40,
    )
    try:
        tmux.wait_for(lambda s: "asr STALE" in s, timeout=60)
        tmux.wait_for(lambda s: log_file.exists() and "stream asr-" in log_file.read_text(), timeout=60)
        screen = tmux.capture()
        assert "WARNING" not in screen and "asr_console.sync" not in screen, screen
        text = log_file.read_text()
        assert " WARNING asr_console.sync.engine: stream asr-" in text
        assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
        # the same failure, once, in the events pane as the console's own
        tmux.command("events")
        screen = tmux.wait_for(lambda s: "Message" in s and "failed" in s, timeout=15)
        assert "console" in screen and "warning" in screen
        assert "WARNING" not in screen
        tmux.send("q")
        screen = tmux.wait_for(lambda s: "EXITED=" in s, timeout=20)
        assert "EXITED=0" in screen
        assert "WARNING" not in screen
    finally:
        tmux.kill()
