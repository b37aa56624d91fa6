"""Short, stable text for table cells: ages, sizes, RPO, health roles.

Everything relative to time takes ``now`` explicitly so snapshot tests can freeze the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from asr_console.model.records import Health, ProtectedItem

HEALTH_ROLE = {
    Health.NORMAL: "normal",
    Health.WARNING: "warning",
    Health.CRITICAL: "critical",
    Health.UNKNOWN: "stale",
}

JOB_STATE_ROLE = {
    "Succeeded": "normal",
    "Failed": "critical",
    "Cancelled": "muted",
    "CompletedWithInformation": "warning",
    "InProgress": "accent",
    "NotStarted": "muted",
    "Cancelling": "warning",
    "Suspended": "warning",
}


def duration(seconds: float | None) -> str:
    """3s, 4m, 2h05m, 3d04h — never longer than 6 cells."""
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def age(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "—"
    return duration((now - when).total_seconds())


def stamp(when: datetime | None, *, utc: bool = False, short: bool = False) -> str:
    """A moment with its date and zone, in the local zone unless ``utc``: ``2026-05-04 12:59:30 CEST``,
    or ``short`` for table cells, ``May 04 12:59:30 CEST`` (a month name cannot be misread as a day)."""
    if when is None:
        return "—"
    if when.tzinfo is None:  # records carry UTC; a naive one came from a source that dropped the zone
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC if utc else None)
    return when.strftime("%b %d %H:%M:%S %Z" if short else "%Y-%m-%d %H:%M:%S %Z")


def size_gb(n_bytes: int) -> str:
    gb = n_bytes / 1024**3
    if gb >= 1024:
        return f"{gb / 1024:.1f}T"
    return f"{gb:.0f}G"


def memory(mb: int) -> str:
    return f"{mb / 1024:.0f}G" if mb >= 1024 else f"{mb}M"


def churn(kbps: float | None) -> str:
    if kbps is None:
        return "—"
    mbps = kbps / 1024
    return f"{mbps:.1f}MB/s" if mbps >= 0.1 else f"{kbps:.0f}KB/s"


def rpo_role(item: ProtectedItem, threshold_minutes: int) -> str:
    if item.rpo_seconds is None:
        return "stale"
    if item.rpo_seconds > threshold_minutes * 60:
        return "critical"
    if item.rpo_seconds > threshold_minutes * 60 * 0.8:
        return "warning"
    return "normal"


def health_cell(health: Health) -> tuple[str, str]:
    return (health.value, HEALTH_ROLE[health])


def short_id(arm_id: str) -> str:
    return arm_id.rstrip("/").rsplit("/", 1)[-1]
