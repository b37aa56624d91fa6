"""The Textual app: modes for each pane, one store subscription, actions run in named workers.

``make_app`` builds it on a typed ``Session`` (``asr-console``, ``asr-console demo``, the bench; the UI
tests build the same app on a session of their own). The app starts nothing but the session's sync
engine; everything it shows comes from the ``Store``.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.actions import SkipAction
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from asr_console import config
from asr_console.actions import Actions, ReadOnlyError, WriteRefused
from asr_console.config import Settings
from asr_console.model.errors import SourceError
from asr_console.model.records import Job
from asr_console.model.specs import InvalidInput
from asr_console.model.store import ChangeSet, Store
from asr_console.session import Session
from asr_console.sync.engine import SyncEngine
from asr_console.themes import DEFAULT_THEME, HEALTH_DEFAULTS, NO_COLOR_THEME, load_themes
from asr_console.widgets.live import FLUSH_SECONDS, Pending, StoreBound

TICK_SECONDS = 2.0

# mode name → (footer key or "", title, one line for the palette and the command bar)
PANES: dict[str, tuple[str, str, str]] = {
    "overview": ("0", "Overview", "all four live panes tiled"),
    "vms": ("1", "VMs", "vCenter inventory: tree, VMs, compatibility, protection"),
    "health": ("2", "Health", "replication health of protected items"),
    "policies": ("3", "Policies", "replication policies: create, edit, delete, associate"),
    "failover": ("4", "Failover", "test failover, cleanup, failover, commit, re-protect"),
    "jobs": ("5", "Jobs", "ASR jobs with tasks and errors"),
    "infra": ("6", "Infra", "configuration servers, appliances, process servers, vCenters"),
    "events": ("7", "Events", "vCenter events, ASR events and this console's actions"),
    "capacity": ("8", "Capacity", "churn, bandwidth for the RPO, initial replication, VMs at risk"),
    "doctor": ("9", "Doctor", "deployment checks: vault, appliance, vCenter privileges, capacity"),
    "network": ("", "Network", "network plan: port groups → Azure networks, addresses outside"),
}
# Panes reached by their key and the command bar but not listed in the footer (it has no room at 80
# columns).
UNLISTED_PANES = frozenset({"capacity", "doctor", "network"})


def _mode_factory(mode: str) -> Callable[[], Any]:
    def build() -> Any:
        from asr_console.screens import panes

        return panes.SCREENS[mode]()

    return build


class ConsoleCommands(Provider):
    """Every command of the command bar, plus theme switching, in Textual's palette."""

    def _commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        app = self.app
        assert isinstance(app, AsrConsoleApp)  # the provider is registered on this app only
        for name, help_text, callback in app.command_table():
            yield f":{name}", help_text, callback

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


class AsrConsoleApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "asr-console"
    MODES: ClassVar[dict[str, Any]] = {name: _mode_factory(name) for name in PANES}
    DEFAULT_MODE = "overview"
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    # No ctrl+a / ctrl+b: they are screen's and tmux's prefixes.
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"switch_mode('{name}')", title, show=name not in UNLISTED_PANES, priority=False)
            for name, (key, title, _) in PANES.items()
            if key  # a pane without a key is reached from the command bar
        ),
        # priority: run as the key arrives, before the keys typed after it are sent anywhere
        Binding("colon", "command_bar", ":cmd", key_display=":", priority=True),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        # Textual 8 maps ctrl+c to copy; on-call users expect it to leave, as every terminal tool does.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        session: Session,
        *,
        demo_label: str | None = None,
        monotonic: Callable[[], float] | None = None,
        no_color: bool | None = None,
    ) -> None:
        self._no_color_env = ("NO_COLOR" in os.environ) if no_color is None else no_color
        super().__init__()
        self.session = session
        self.settings: Settings = session.settings
        self.store: Store = session.store
        self.engine: SyncEngine | None = session.engine
        self.actions: Actions = session.actions
        self.demo_label = demo_label
        self._clock = session.clock or (lambda: datetime.now(UTC))
        self._monotonic = monotonic or time.monotonic
        self._bound: list[StoreBound] = []
        self.followed_jobs: list[str] = []
        self._pending = Pending()
        self._flush_timer: Timer | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._role_styles: dict[str, str] = {}
        loaded = load_themes(self._user_theme_dir())
        self._console_themes = loaded.themes
        self._theme_problems = loaded.problems
        for theme in self._console_themes.values():
            self.register_theme(theme)
        wanted = self.settings.theme or DEFAULT_THEME
        if self._no_color_env:
            wanted = NO_COLOR_THEME
        if wanted not in self.available_themes:
            self._theme_problems.append(f"theme {wanted!r} not found; using {DEFAULT_THEME}")
            wanted = DEFAULT_THEME
        self._persist_theme = False
        self.theme = wanted
        self._persist_theme = True

    # ------------------------------------------------------------------ environment

    def now(self) -> datetime:
        return self._clock()

    def monotonic(self) -> float:
        return self._monotonic()

    @property
    def read_only(self) -> bool:
        return self.actions.read_only or self.settings.read_only

    def _user_theme_dir(self) -> Path | None:
        """``<config dir>/themes``: beside the config file the settings came from."""
        if not self.settings.config_path:
            return None
        return Path(self.settings.config_path).parent / "themes"

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(HEALTH_DEFAULTS)

    def console_theme_names(self) -> list[str]:
        return list(self._console_themes)

    def role_style(self, role: str) -> str:
        """A Rich style string for a colour role (normal, warning, critical, stale) in the current theme."""
        if not self._role_styles:
            variables = self.get_css_variables()
            self._role_styles = {
                name: variables.get(f"health-{name}", HEALTH_DEFAULTS[f"health-{name}"])
                for name in ("normal", "warning", "critical", "stale")
            }
            self._role_styles["muted"] = "dim"
            self._role_styles["accent"] = variables.get("accent", "")
        return self._role_styles.get(role, "")

    def role_styles(self) -> dict[str, str]:
        self.role_style("normal")
        return dict(self._role_styles)

    def watch_theme(self, theme: str) -> None:
        self._role_styles = {}
        if self._persist_theme:
            self._save_theme(theme)
        for bound in list(self._bound):
            bound.tick()

    def set_theme(self, name: str) -> None:
        if name in self.available_themes:
            self.theme = name
            self.notify(f"theme: {name}")
        else:
            known = ", ".join(sorted(self.available_themes))
            self.notify(f"unknown theme {name!r} (themes: {known})", severity="warning")

    def _save_theme(self, theme: str) -> None:
        try:
            config.save_theme(theme)
        except OSError as exc:
            self.notify(f"could not save the theme: {exc}", severity="warning")

    # ------------------------------------------------------------------ lifecycle

    async def on_mount(self) -> None:
        self._unsubscribe = self.store.subscribe(self._on_store_change)
        self.set_interval(TICK_SECONDS, self._tick, name="tick")
        for problem in self._theme_problems:
            self.notify(problem, severity="warning", timeout=8)
        if self.engine is not None:
            await self.engine.start()

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.engine is not None:
            await self.engine.stop()

    # ------------------------------------------------------------------ store → widgets

    def register_bound(self, bound: StoreBound) -> None:
        self._bound.append(bound)
        bound.needs_reset = True
        self.call_later(self._sync_one, bound)

    def unregister_bound(self, bound: StoreBound) -> None:
        with contextlib.suppress(ValueError):
            self._bound.remove(bound)

    def _sync_one(self, bound: StoreBound) -> None:
        if bound in self._bound and bound.needs_reset and self._on_screen(bound):
            bound.sync(None)

    def _on_screen(self, bound: StoreBound) -> bool:
        widget: Any = bound
        try:
            return bool(widget.is_attached and widget.screen is self.screen)
        except Exception:  # a widget between screens has no screen
            return False

    def _on_store_change(self, changes: ChangeSet) -> None:
        self._pending.merge(changes)
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(FLUSH_SECONDS, self.flush_store_changes, name="store-flush")

    def flush_store_changes(self) -> None:
        """Deliver the merged changes to widgets on screen; flag the rest for a resync."""
        self._flush_timer = None
        pending, self._pending = self._pending, Pending()
        if not pending:
            return
        for bound in list(self._bound):
            if self._on_screen(bound):
                bound.sync(pending)
            elif bound.interested(pending):
                bound.needs_reset = True

    def resync_screen(self) -> None:
        """A screen came back: bring its flagged widgets up to date."""
        for bound in list(self._bound):
            if bound.needs_reset and self._on_screen(bound):
                bound.sync(None)

    def _tick(self) -> None:
        for bound in list(self._bound):
            if self._on_screen(bound):
                bound.tick()

    # ------------------------------------------------------------------ commands

    def command_table(self) -> list[tuple[str, str, Callable[[], Any]]]:
        table: list[tuple[str, str, Callable[[], Any]]] = [
            (name, help_text, partial(self.switch_to, name)) for name, (_k, _t, help_text) in PANES.items()
        ]
        table.append(("help", "keys of the current pane", self.action_help))
        table.append(("quit", "leave the console", self.exit))
        table.append(("theme", "choose a theme (palette)", self.search_themes))
        # every registered theme, the console's own and Textual's, once each
        for theme in sorted(self.available_themes):
            table.append(
                (f"theme {theme}", f"switch to the {theme} theme (saved)", partial(self.set_theme, theme))
            )
        screen_commands = getattr(self.screen, "pane_commands", None)
        if callable(screen_commands):
            table.extend(screen_commands())
        return table

    def run_command(self, text: str) -> bool:
        text = text.strip().lstrip(":").strip()
        if not text:
            return False
        for name, _help, callback in self.command_table():
            if name == text:
                callback()
                return True
        matches = [c for c in self.command_table() if c[0].startswith(text)]
        if len(matches) == 1:
            matches[0][2]()
            return True
        if text.startswith("theme ") and not matches:
            self.set_theme(text.removeprefix("theme ").strip())  # says which themes there are
            return False
        self.notify(f"unknown command :{text}", severity="warning")
        return False

    def switch_to(self, mode: str) -> None:
        self.call_later(self.switch_mode, mode)

    async def action_command_bar(self) -> None:
        from textual.screen import ModalScreen
        from textual.widgets import Input

        from asr_console.screens.command_bar import CommandBar

        focused = self.focused
        # a field keeps the focus after it is hidden (a closed filter line): only a field on screen
        # takes the `:` as text
        typing = isinstance(focused, Input) and focused.region.area > 0
        if typing or isinstance(self.screen, ModalScreen):
            raise SkipAction()  # a `:` typed into a field, or over a dialog: not a command

        names = [name for name, _h, _c in self.command_table()]

        def done(result: str | None) -> None:
            if result:
                self.run_command(result)

        # awaited: the app handles the keys after `:` only once the bar is mounted and focused
        await self.push_screen(CommandBar(names), done)

    def action_help(self) -> None:
        from asr_console.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))

    # ------------------------------------------------------------------ actions

    def follow_jobs(self, job_ids: list[str], *, append: bool = False) -> None:
        """Jobs the failover pane follows task by task (the latest operation's)."""
        self.followed_jobs = [*self.followed_jobs, *job_ids] if append else list(job_ids)
        for bound in list(self._bound):
            if getattr(bound, "FOLLOWS_JOBS", False):
                bound.needs_reset = True
                if self._on_screen(bound):
                    bound.sync(None)

    def refuse_if_read_only(self, what: str) -> bool:
        if self.read_only:
            self.notify(f"{what} refused: this console is read-only", severity="error", title="Read-only")
            return True
        return False

    def start_action(
        self,
        label: str,
        call: Callable[[], Awaitable[Any]],
        on_done: Callable[[Any], None] | None = None,
        on_invalid: Callable[[InvalidInput], None] | None = None,
    ) -> Worker[Any] | None:
        """Run one write in a named exclusive worker; failures become notifications, never tracebacks."""
        if self.refuse_if_read_only(label):
            return None

        async def work() -> Any:
            try:
                result = await call()
            except ReadOnlyError as exc:
                self.notify(str(exc), severity="error", title="Read-only")
                return None
            except WriteRefused as exc:
                self.notify(str(exc), severity="error", title="Not sent", timeout=10)
                return None
            except InvalidInput as exc:
                if on_invalid is not None:
                    on_invalid(exc)
                self.notify(f"{label} not sent: {exc}", severity="error", title="Invalid input")
                return None
            except SourceError as exc:
                self.notify(f"{label} failed: {exc}", severity="error", title="ASR", timeout=10)
                return None
            if isinstance(result, Job):
                self.notify(f"{label}: job {result.display_name or result.name} {result.state}", timeout=4)
            if on_done is not None:
                on_done(result)
            return result

        return self.run_worker(
            work(),
            name=f"action:{label}",
            group="actions",
            description=label,
            exclusive=False,
            exit_on_error=False,
        )

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(f"{event.worker.name}: {type(error).__name__}: {error}", severity="error", timeout=10)


def make_app(
    session: Session,
    *,
    demo_label: str | None = None,
    monotonic: Callable[[], float] | None = None,
    no_color: bool | None = None,
) -> AsrConsoleApp:
    """Build the console on a session; the caller owns the session (and closes it), the app owns
    nothing else. The app starts and stops the session's sync engine, if it has one."""
    return AsrConsoleApp(session, demo_label=demo_label, monotonic=monotonic, no_color=no_color)
