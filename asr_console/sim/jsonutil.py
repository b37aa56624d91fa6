"""Wire-format helpers shared by the simulated site."""

from __future__ import annotations

from datetime import datetime

from asr_console.sim.clock import iso_utc


def iso(value: datetime | None) -> str | None:
    """ARM's UTC timestamp form, e.g. ``2026-05-04T08:00:00.000000Z``."""
    if value is None:
        return None
    return iso_utc(value)
