"""The one way tests wait: for a condition, never for a fixed time."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

POLL_SECONDS = 0.02


async def wait_until(
    predicate: Callable[[], object | Awaitable[object]],
    timeout: float = 10.0,
    *,
    pilot: Pilot[Any] | None = None,
    what: str = "",
) -> None:
    """Return as soon as ``predicate()`` holds (a coroutine's result is awaited); fail after ``timeout``
    seconds. With a ``pilot`` the app processes its pending messages between checks (keys, workers,
    timers)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not met within {timeout} s")
        if pilot is not None:
            await pilot.pause()
        await asyncio.sleep(POLL_SECONDS)


def finish_task(task: Any, timeout: float = 30.0) -> None:
    """Block until a vCenter task (pyVmomi ``vim.Task``) ends; fail unless it succeeded in time."""
    deadline = time.monotonic() + timeout
    while task.info.state not in ("success", "error"):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"vCenter task {task.info.descriptionId or ''} did not finish in {timeout} s"
            )
        time.sleep(POLL_SECONDS)
    assert task.info.state == "success", task.info.error


async def run_task(start: Callable[[], Any], timeout: float = 30.0) -> None:
    """Start a vCenter task (``start()`` returns it) and wait for it off the event loop."""
    await asyncio.to_thread(lambda: finish_task(start(), timeout))
