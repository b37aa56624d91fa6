"""Wire-format helpers shared by the simulated site."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(value: datetime | None) -> str | None:
    """ARM's UTC timestamp form, e.g. ``2026-05-04T08:00:00.000000Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
