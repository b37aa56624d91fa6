"""The overview's one-line summary of the site (shown when the tiles do not fit).

A store-bound widget, so it takes the same change set in the same flush as the tables and the status
bar: its counts and theirs come from one store state. Counts of a stream that has not read yet say
"loading", not 0.
"""

from __future__ import annotations

from rich.text import Text

from asr_console.model.queries import health_summary, loading
from asr_console.model.records import Kind
from asr_console.sync import streams
from asr_console.widgets.line import Line
from asr_console.widgets.live import Pending, StoreBound

LOADING = "loading"


class SiteSummary(StoreBound, Line):
    KINDS = frozenset({Kind.VM, Kind.PROTECTED_ITEM, Kind.POLICY, Kind.JOB})

    def interested(self, pending: Pending) -> bool:
        return pending.freshness or pending.touches(self.KINDS)

    def reset(self) -> None:
        text = self.summary(compact=False)
        # the line spans the screen less its padding; on mount and resize its own size may lag
        if text.cell_len > self.app.size.width - 2:
            text = self.summary(compact=True)
        self.set_text(text)

    def on_resize(self) -> None:
        self.reset()

    def summary(self, *, compact: bool) -> Text:
        """The other tiles in one line; at 80 columns in its short words, counts first."""
        store = self.store
        role = self.console.role_style
        words = (
            ("protected", "normal", "warning", "critical", "RPO breaches", "policies", "jobs running")
            if not compact
            else ("prot", "ok", "warn", "crit", "RPO", "pol", "jobs")
        )
        vms = LOADING if loading(store, streams.VCENTER_INVENTORY, Kind.VM) else str(store.count(Kind.VM))
        text = Text(f"VMs {vms} · ")
        if loading(store, streams.ITEMS, Kind.PROTECTED_ITEM):
            text.append(f"{words[0]} {LOADING}")
        else:
            health = health_summary(store)
            text.append(f"{words[0]} {health.total}: ")
            text.append(f"{health.normal} {words[1]}", style=role("normal"))
            text.append(", " if not compact else " ")
            text.append(f"{health.warning} {words[2]}", style=role("warning") if health.warning else "")
            text.append(", " if not compact else " ")
            text.append(f"{health.critical} {words[3]}", style=role("critical") if health.critical else "")
            text.append(", " if not compact else " ")
            text.append(
                f"{health.rpo_breaches} {words[4]}", style=role("warning") if health.rpo_breaches else ""
            )
        policies = LOADING if loading(store, streams.INFRA, Kind.POLICY) else str(store.count(Kind.POLICY))
        text.append(f" · {words[5]} {policies} · {words[6]} {running_jobs_text(self)}")
        return text


def running_jobs_text(bound: StoreBound) -> str:
    """Running jobs as the status bar and the summary both show them."""
    store = bound.store
    if loading(store, streams.JOBS, Kind.JOB):
        return LOADING
    return str(len(store.running_jobs()))
