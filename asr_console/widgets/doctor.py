"""The doctor pane: every deployment check with its verdict, what it found and how to fix it.

The checks are the headless ``doctor``'s (``model.doctor.run_checks``) over the live store, rerun as the
store changes (at most every few seconds); a back end whose streams fail turns its checks ``unknown``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from asr_console.model.doctor import Check, Evidence, Reach, Verdict, run_checks, summary
from asr_console.model.privileges import PrivilegeReport
from asr_console.model.records import Kind, Record
from asr_console.session import AccessFacts
from asr_console.sync import streams
from asr_console.widgets.live import Pending
from asr_console.widgets.rows import Grouping
from asr_console.widgets.table import Cell, Column
from asr_console.widgets.tableview import TableView

_ROLE = {Verdict.PASS: "normal", Verdict.WARN: "warning", Verdict.FAIL: "critical", Verdict.UNKNOWN: "stale"}
_ORDER = {Verdict.FAIL: 0, Verdict.UNKNOWN: 1, Verdict.WARN: 2, Verdict.PASS: 3}
_WATCHED = (
    Kind.VAULT,
    Kind.FABRIC,
    Kind.PROCESS_SERVER,
    Kind.VCENTER,
    Kind.PROTECTED_ITEM,
    Kind.POLICY,
    Kind.VM,
    Kind.CHURN,
)


class DoctorView(TableView):
    AGES = False
    KIND = Kind.VAULT  # rows are checks, recomputed from these kinds (see ``records``)
    TITLE = "Doctor"
    RECHECK_SECONDS: ClassVar[float] = 5.0

    def __init__(self, *, compact: bool = False, id: str | None = None, classes: str | None = None) -> None:
        self.checks: dict[str, Check] = {}
        self.privileges: list[PrivilegeReport] | None = None
        self.privileges_error = ""
        self.access: AccessFacts | None = None
        self._checked_at = 0.0
        self._stale = True
        super().__init__(compact=compact, id=id, classes=classes)

    def extra_kinds(self) -> Sequence[Kind]:
        return _WATCHED

    def groupings(self) -> list[Grouping]:
        return [
            Grouping("area", lambda c: [c.area.value]),
            Grouping("verdict", lambda c: [c.verdict.value]),
        ]

    def columns(self) -> list[Column]:
        return [
            Column("verdict", "Verdict", 7, sort=lambda c: _ORDER[c.verdict]),
            Column("area", "Area", 14, priority=1, sort=lambda c: c.area.value),
            Column("id", "Check", 24, sort=lambda c: c.id),
            Column("found", "Found", 30, flex=True),
            Column("fix", "Fix", 24, priority=2, flex=True),
        ]

    def cells(self, check: Check) -> Sequence[Cell]:
        return (
            (check.verdict.value, _ROLE[check.verdict]),
            check.area.value,
            check.id,
            check.found,
            check.fix,
        )

    def search_text(self, check: Any) -> str:
        return f"{check.id} {check.verdict.value} {check.found} {check.fix}"

    # ------------------------------------------------------------------ the checks

    def _reach(self, source: str, configured: bool) -> Reach:
        if not configured:
            return Reach(configured=False)
        fresh = self.store.freshness(source)
        if fresh.stale and fresh.last_error:
            return Reach(error=fresh.last_error)
        return Reach()

    def evidence(self, now: datetime) -> Evidence:
        privileges = self.privileges
        return Evidence(
            now=now,
            azure=self._reach(streams.ASR, True),
            vcenter=self._reach(streams.VCENTER, self.console.session.inventory is not None),
            privileges=privileges,
            privileges_error=self.privileges_error,
            **self._access_evidence(),
        )

    def _access_evidence(self) -> dict[str, Any]:
        access = self.access
        if access is None:
            return {}  # not read yet: those checks say they are being read
        return {
            "permissions": access.permissions,
            "permissions_error": access.permissions_error,
            "providers": access.providers,
            "providers_error": access.providers_error,
            "targets": access.targets,
        }

    def set_access(self, access: AccessFacts) -> None:
        self.access = access
        self._stale = True
        self._checked_at = 0.0
        self.tick()

    def recheck(self) -> None:
        checks = run_checks(self.store, self.evidence(self.now))
        self.checks = {c.id: c for c in checks}
        self._checked_at = time.monotonic()
        self._stale = False

    def records(self) -> list[Record]:
        self.recheck()
        return list(self.checks.values())  # type: ignore[arg-type]  # checks are keyed like records

    def reset(self) -> None:
        if self.table.sort_column is None:
            self.table.sort_column = "verdict"
        super().reset()

    def set_privileges(self, reports: list[PrivilegeReport] | None, error: str = "") -> None:
        self.privileges = reports
        self.privileges_error = error
        self._stale = True
        self._checked_at = 0.0
        self.tick()

    def changed(self, pending: Pending) -> None:
        if any(pending.upserted.get(k) or pending.removed.get(k) for k in (self.KIND, *_WATCHED)):
            self._stale = True
        if pending.freshness:
            self._stale = True
        self.tick()

    def tick(self) -> None:
        if not self._stale or time.monotonic() - self._checked_at < self.RECHECK_SECONDS:
            return
        before = set(self.checks)
        old = dict(self.checks)
        self.recheck()
        upserts = [(k, c) for k, c in self.checks.items() if old.get(k) != c]
        self.table.apply(upserts, before - set(self.checks))
        self.update_headline()

    def headline(self) -> str:
        counts = summary(self.checks.values())
        text = super().headline()
        return f"{text} · " + " · ".join(f"{n} {v}" for v, n in counts.items())
