"""Blocking pyvmomi calls on daemon threads, so that one stuck on a silent vCenter never holds up exit.

``ThreadPoolExecutor`` joins its (non-daemon) workers when the interpreter exits: a call blocked in a
socket read would keep ``q`` or a timed-out command from ending. Here each call gets its own daemon
thread; at most ``limit`` run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DaemonCalls:
    def __init__(self, limit: int, name: str) -> None:
        self._limit = limit
        self._name = name
        # per event loop: a source may outlive the loop it was first used on (tests, benches)
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    async def run(self, func: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self._limit))
        async with self._slots[1]:
            future: asyncio.Future[T] = loop.create_future()

            def settle(outcome: Callable[[], None]) -> None:
                if not future.done():
                    outcome()

            def work() -> None:
                try:
                    value = func()
                except BaseException as exc:  # handed to the awaiting task, whatever it is
                    error = exc
                    with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                        loop.call_soon_threadsafe(settle, lambda: future.set_exception(error))
                else:
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(settle, lambda: future.set_result(value))

            threading.Thread(target=work, name=self._name, daemon=True).start()
            return await future
