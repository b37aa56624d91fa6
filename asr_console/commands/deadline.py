"""A headless command's overall deadline (``--timeout``), and what it was waiting for when it passed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from asr_console.model.errors import TimedOut

T = TypeVar("T")


class Deadline:
    """One deadline for a whole command; ``step`` names what comes next, for the timeout's message.

    Each ``within`` call takes what is left of the deadline, so a command that reads three things in
    turn still ends at the one deadline.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.waiting_for = "the back end"
        self._ends: float | None = None

    def step(self, what: str) -> None:
        self.waiting_for = what

    async def within(self, work: Awaitable[T], what: str | None = None) -> T:
        loop = asyncio.get_running_loop()
        if self._ends is None:
            self._ends = loop.time() + self.seconds
        if what is not None:
            self.waiting_for = what
        try:
            async with asyncio.timeout_at(self._ends):
                return await work
        except TimeoutError:
            # its own ``what``: reads awaited together each name themselves
            waiting_for = what if what is not None else self.waiting_for
            raise TimedOut(f"timed out after {self.seconds:g} s waiting for {waiting_for}") from None
