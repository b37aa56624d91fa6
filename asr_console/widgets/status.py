"""The one-line status bar: environment, read-only state, per back end its stalest stream, running jobs.

Attributes: none public; it reads ``app.settings``, ``app.store`` and ``app.now()`` on every refresh.
"""

from __future__ import annotations

from rich.text import Text

from asr_console.model.records import Kind, Vault
from asr_console.model.store import Freshness
from asr_console.widgets.fmt import duration
from asr_console.widgets.line import Line
from asr_console.widgets.live import Pending, StoreBound

STALE_AFTER_SECONDS = 300


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
        text = self._compose_bar(compact=False)
        if width and text.cell_len > width:
            text = self._compose_bar(compact=True)
        tooltip = "\n".join(self.freshness_lines())
        if tooltip != self.tooltip:
            self.tooltip = tooltip
        return text

    def _compose_bar(self, *, compact: bool) -> Text:
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
            else:
                text.append(f"{fresh.source} {duration(age)}", style=app.role_style("normal"))
            dropped = self.store.dropped(fresh.source)
            if dropped:
                shown = f" {dropped} unreadable" if not compact else f" {dropped}!"
                text.append(shown, style=app.role_style("warning"))
        running = sum(1 for _ in self.store.running_jobs())
        text.append(gap)
        shown = f"jobs running: {running}" if not compact else f"jobs {running}"
        text.append(shown, style=app.role_style("warning") if running else "dim")
        return text


def _is_stale(fresh: Freshness, age: float | None) -> bool:
    return fresh.stale or (age is not None and age > STALE_AFTER_SECONDS)


def _describe(name: str, fresh: Freshness, now: float) -> str:
    age = fresh.age_seconds(now)
    return f"{name}: {'stale' if _is_stale(fresh, age) else 'ok'}, data age {duration(age)}"
