"""The one-line status bar: environment, read-only state, per back end its stalest stream, running jobs.

Attributes: none public; it reads ``app.settings``, ``app.store`` and ``app.now()`` on every refresh.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from asr_console.model.records import Kind, Vault
from asr_console.model.store import Freshness
from asr_console.widgets.fmt import duration
from asr_console.widgets.line import Line
from asr_console.widgets.live import Pending, StoreBound
from asr_console.widgets.summary import LOADING, running_jobs_text

STALE_AFTER_SECONDS = 300
# Cells of the stalest stream's reason beside STALE; the tooltip and ? show it whole.
REASON_CELLS = 32
MIN_REASON_CELLS = 12
# Prefixes that say how a read failed rather than why
_WRAPPERS = {"unreachable", "error", "failed", "read failed"}


class StatusBar(StoreBound, Line):
    KINDS = frozenset({Kind.JOB, Kind.VAULT})

    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def interested(self, pending: Pending) -> bool:
        return pending.freshness or pending.touches(self.KINDS)

    def reset(self) -> None:
        self.set_text(self.build())

    def tick(self) -> None:
        self.reset()

    def on_resize(self) -> None:
        self.reset()  # full or compact bar

    def freshness_lines(self) -> list[str]:
        """Per back end (its stalest stream) and then per stream, for help and tooltips: age, stale,
        why, and records a read could not convert."""
        app = self.console
        now = app.monotonic()
        lines = []
        for backend in self.store.backend_freshness():
            line = _describe(backend.source, backend, now)
            if backend.stale and backend.last_error:
                line += f" — {backend.stream}: {backend.last_error}"
            dropped = self.store.dropped(backend.source)
            if dropped:
                line += f", {dropped} unreadable records (see the log)"
            lines.append(line)
            for fresh in self.store.all_freshness():
                if fresh.source == backend.source:
                    line = "  " + _describe(fresh.stream, fresh, now)
                    if fresh.last_error:
                        line += f" — last error: {fresh.last_error}"
                    if fresh.dropped:
                        line += f", {fresh.dropped} unreadable records"
                    lines.append(line)
        return lines or ["no source has reported yet"]

    def build(self) -> Text:
        """The full bar when it fits; on a narrow terminal the environment, read-only state, data
        ages and running jobs come first and the profile, vault and demo label give way."""
        width = self.size.width
        text = self._compose_bar(compact=False, reason=REASON_CELLS)
        if width and text.cell_len > width:
            text = self._compose_bar(compact=True, reason=REASON_CELLS)
        if width and text.cell_len > width:
            # the reason gives way first, down to a few words, before the bar is cut
            room = REASON_CELLS - (text.cell_len - width)
            text = self._compose_bar(compact=True, reason=max(MIN_REASON_CELLS, room))
        tooltip = "\n".join(self.freshness_lines())
        if tooltip != self.tooltip:
            self.tooltip = tooltip
        return text

    def _compose_bar(self, *, compact: bool, reason: int) -> Text:
        app = self.console
        settings = app.settings
        text = Text()
        label = settings.environment or app.demo_label or ""
        colour = settings.environment_color
        if label:
            style = f"bold reverse {colour}" if colour else "bold reverse"
            text.append(f" {label} ", style=style)
            text.append(" ")
        if not compact:
            profile = settings.profile
            vault = settings.vault or next((v.name for v in self.store.all(Vault)), "")
            if profile:
                text.append(f"{profile} ", style="bold")
            if vault:
                text.append(f"{vault} ", style="dim")
            if app.demo_label and app.demo_label != label:
                text.append(f"({app.demo_label}) ", style="dim")
        if app.read_only:
            text.append("READ-ONLY" if not compact else "RO", style="bold")
        else:
            text.append("read-write" if not compact else "RW", style="dim")
        gap = "  " if not compact else " "
        # per back end, its stalest stream: one failing stream keeps the back end STALE
        for fresh in self.store.backend_freshness():
            text.append(gap)
            age = fresh.age_seconds(app.monotonic())
            if _is_stale(fresh, age):
                text.append(f"{fresh.source} STALE {duration(age)}", style=app.role_style("stale") + " bold")
                why = short_reason(fresh.last_error, reason)
                if why:
                    text.append(f": {why}", style=app.role_style("stale"))
            else:
                text.append(f"{fresh.source} {duration(age)}", style=app.role_style("normal"))
            dropped = self.store.dropped(fresh.source)
            if dropped:
                shown = f" {dropped} unreadable" if not compact else f" {dropped}!"
                text.append(shown, style=app.role_style("warning"))
        running = running_jobs_text(self)
        text.append(gap)
        shown = f"jobs running: {running}" if not compact else f"jobs {running}"
        busy = running not in ("0", LOADING)
        text.append(shown, style=app.role_style("warning") if busy else "dim")
        return text


def short_reason(error: str | None, cells: int) -> str:
    """A stream's last error in at most ``cells`` cells for the bar: its first line, without the
    exception-type prefixes a read adds in front of what the back end said."""
    if not error:
        return ""
    line = " ".join(error.strip().splitlines()[0].split()) if error.strip() else ""
    # "ServiceRequestError: Unreachable: connection refused" → "connection refused"
    parts = [p for p in line.split(": ") if p]
    while len(parts) > 1 and (" " not in parts[0] or parts[0].lower() in _WRAPPERS):
        parts.pop(0)
    line = ": ".join(parts)
    if cell_len(line) > cells:
        line = set_cell_size(line, max(1, cells - 1)) + "…"
    return line


def _is_stale(fresh: Freshness, age: float | None) -> bool:
    return fresh.stale or (age is not None and age > STALE_AFTER_SECONDS)


def _describe(name: str, fresh: Freshness, now: float) -> str:
    age = fresh.age_seconds(now)
    return f"{name}: {'stale' if _is_stale(fresh, age) else 'ok'}, data age {duration(age)}"
