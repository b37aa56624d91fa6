"""The simulated site's clock: simulated UTC time running ``speed`` times real (monotonic) time.

``advance`` moves it forward by simulated seconds on top of that, which is how tests drive the site
deterministically (``speed=0`` freezes the real-time part).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

DEFAULT_EPOCH = datetime(2026, 5, 4, 8, 0, 0, tzinfo=UTC)


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SimClock:
    def __init__(
        self,
        speed: float = 1.0,
        start: datetime = DEFAULT_EPOCH,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.speed = speed
        self.start = start
        self._monotonic = monotonic
        self._origin = monotonic()
        self._offset = 0.0  # simulated seconds added by advance()
        self._iso: dict[float, str] = {}

    def elapsed(self) -> float:
        """Simulated seconds since ``start``."""
        return (self._monotonic() - self._origin) * self.speed + self._offset

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed())

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds

    def at(self, elapsed: float) -> datetime:
        return self.start + timedelta(seconds=elapsed)

    def iso_at(self, elapsed: float) -> str:
        """``iso(self.at(elapsed))``, remembered: a listing renders the same few instants (this RPO
        computation, the last heartbeat sweep) thousands of times."""
        text = self._iso.get(elapsed)
        if text is None:
            if len(self._iso) > 4096:
                self._iso.clear()
            text = self._iso[elapsed] = iso_utc(self.at(elapsed))
        return text
