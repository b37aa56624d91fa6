"""Quitting ends the process within a grace period, whatever a back-end thread is doing.

The close path is bounded step by step (``Session.close``, ``SyncEngine.stop``, the vCenter logout),
but a thread outside it can still hold the interpreter: a credential's ``asyncio.to_thread`` call
blocked on a subprocess or a socket is joined, without a timeout, by ``asyncio.run``'s executor
shutdown. Armed once the console has given the terminal back (or once Ctrl-C has ended a watch), the
guard ends the process with the command's exit code if it is still closing when the grace is over.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from types import TracebackType

log = logging.getLogger(__name__)

# Seconds from quitting to the end of the process, at most: the close path's own bounds are shorter.
QUIT_GRACE = 1.5


class QuitGuard:
    """``with QuitGuard() as guard:`` around ``asyncio.run``; ``guard.arm(code)`` when quitting starts."""

    def __init__(self, grace: float = QUIT_GRACE) -> None:
        self.grace = grace
        self._timer: threading.Timer | None = None

    def __enter__(self) -> QuitGuard:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.disarm()

    def arm(self, code: int) -> None:
        """End the process with ``code`` in ``grace`` seconds unless ``disarm`` comes first."""
        if self._timer is not None:
            return
        # a daemon thread: a process that ends on its own is not kept for the timer
        self._timer = threading.Timer(self.grace, self._force, args=(code,))
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _force(self, code: int) -> None:
        names = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
        log.warning(
            "still closing %g s after quitting (threads: %s); exiting anyway", self.grace, ", ".join(names)
        )
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
