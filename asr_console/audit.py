"""Append-only audit log of every write action: one JSON object per line.

Opened with O_APPEND for each entry so concurrent consoles never interleave partial lines, and so a
crash loses at most the entry being written.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


@dataclass(frozen=True, slots=True)
class AuditLog:
    path: Path
    profile: str = ""

    def write(
        self,
        action: str,
        targets: list[str],
        *,
        result: str,
        job_id: str = "",
        detail: str = "",
        extra: dict[str, Any] | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "user": current_user(),
            "profile": self.profile,
            "action": action,
            "targets": targets,
            "job_id": job_id,
            "result": result,
        }
        if detail:
            entry["detail"] = detail
        if extra:
            entry.update(extra)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
