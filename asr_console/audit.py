"""Append-only audit log of every write action: one JSON object per line.

A write is recorded twice or more: its *intent* (time, user, profile, action, targets) before anything
is sent, then each *result* (started with its job id, failed, refused, the job's end) under the same
intent id. Each entry is one ``write`` on a descriptor opened with O_APPEND, so concurrent consoles
never interleave partial lines, and is fsynced before ``write`` returns: an intent the caller was told
is recorded survives a crash of the console or the machine. The log's directory is the user's alone
(0700) and the file 0600, also when they existed with wider modes.

Any failure to record (disk full, read-only or missing permissions, a directory in the way) is an
``AuditError`` whose ``str()`` is one line naming the path; the caller decides what it means (for an
intent: nothing is sent).
"""

from __future__ import annotations

import getpass
import json
import os
import stat
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DIR_MODE = 0o700
FILE_MODE = 0o600


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


class AuditError(Exception):
    """The audit log could not be written; ``str()`` is one line naming the path and the reason."""

    def __init__(self, path: Path, error: OSError) -> None:
        reason = error.strerror or str(error) or type(error).__name__
        super().__init__(f"audit log {path} cannot be written: {reason}")
        self.path = path
        self.error = error


@dataclass(frozen=True, slots=True)
class Target:
    """What a write acts on: its id (an ARM id, or a new policy's name) and the name a person knows."""

    id: str
    name: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class AuditLog:
    path: Path
    profile: str = ""

    def intent(self, action: str, targets: Sequence[Target]) -> str:
        """Record that ``action`` on ``targets`` is about to be sent; the returned id ties its results
        to it. Raises ``AuditError`` when it cannot be recorded."""
        intent_id = uuid.uuid4().hex
        self._append(self._entry("intent", intent_id, action, targets))
        return intent_id

    def result(
        self, intent_id: str, action: str, targets: Sequence[Target], result: str, *, job_id: str = ""
    ) -> None:
        """Record how an intent turned out (``started``, ``failed: …``, ``job Succeeded`` …)."""
        entry = self._entry("result", intent_id, action, targets)
        entry["result"] = result
        entry["job_id"] = job_id
        self._append(entry)

    def refused(self, action: str, targets: Sequence[Target], result: str) -> None:
        """Record a write refused before it had an intent (read-only, already in flight)."""
        entry = self._entry("refused", "", action, targets)
        entry["result"] = result
        self._append(entry)

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]

    # ------------------------------------------------------------------ plumbing

    def _entry(self, phase: str, intent_id: str, action: str, targets: Sequence[Target]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "user": current_user(),
            "profile": self.profile,
            "phase": phase,
            "action": action,
            "targets": [t.as_json() for t in targets],
        }
        if intent_id:
            entry["intent"] = intent_id
        return entry

    def _append(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
        try:
            self._ensure_directory()
            created = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
            try:
                info = os.fstat(fd)
                # only a regular file's mode is ours to fix (never a device the path may lead to)
                if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != FILE_MODE:
                    os.fchmod(fd, FILE_MODE)
                written = 0
                while written < len(line):
                    written += os.write(fd, line[written:])
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                # the new file's name is in the directory: make that durable too
                dir_fd = os.open(self.path.parent, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:
            raise AuditError(self.path, exc) from exc

    def _ensure_directory(self) -> None:
        directory = self.path.parent
        if not directory.is_dir():
            directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # the log directory is the console's own (the user log dir): nobody else may list or add to it
        info = directory.stat()
        if stat.S_IMODE(info.st_mode) != DIR_MODE and info.st_uid == os.getuid():
            directory.chmod(DIR_MODE)
