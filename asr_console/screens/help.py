"""`?`: the keys live in the pane you are in, and how fresh each source is."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from asr_console.screens.dialog_frame import Dialog
from asr_console.widgets.console import ConsoleAccess
from asr_console.widgets.status import StatusBar

_NOISE = frozenset(
    {
        "Scroll Left",
        "Scroll Right",
        "Page Left",
        "Page Right",
        "Copy selected text",
        "Focus Next",
        "Focus Previous",
        "Scroll Up",
        "Scroll Down",
        "Scroll Home",
        "Scroll End",
    }
)


class HelpScreen(ConsoleAccess, Dialog[None]):
    """Every key of the pane under it, from its bindings and the app's."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "close", "Close")]
    DEFAULT_CSS = """
    HelpScreen > VerticalScroll { width: 80; max-width: 95%; max-height: 90%; }
    """

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        text = Text()
        title = getattr(self.under, "PANE_TITLE", type(self.under).__name__)
        text.append(f"{title}\n", style="bold")
        about = getattr(self.under, "PANE_HELP", "")
        if about:
            text.append(" ".join(about.split()) + "\n\n")
        keys_of: dict[str, list[str]] = {}
        # What is live in the pane under this dialog: its focus chain, the pane and the app, as
        # check_action decides (a read-only console lists no write keys).
        live = self.under.active_bindings.values()
        # the focused widget's keys first, then the pane's, then the app's
        layer = {self.under: 1, self.app: 2}
        for active in sorted(live, key=lambda a: layer.get(a.node, 0)):
            binding = active.binding
            description = binding.description
            if not description or description in _NOISE or binding.key.startswith("super+"):
                continue
            shown = binding.key_display or binding.key
            keys = keys_of.setdefault(description, [])
            if shown not in keys and not any(shown in k for k in keys_of.values() if k is not keys):
                keys.append(shown)
        for description, keys in keys_of.items():
            if keys:
                text.append(f"  {', '.join(keys):<22}", style="bold")
                text.append(f"{description}\n")
        text.append("\n  /, then text          filter (prefix re: for a regex)\n")
        text.append("  :  then a command     e.g. :health, :jobs, :theme high-contrast\n")
        status = self.under.query(StatusBar)
        if status:
            text.append("\nData sources\n", style="bold")
            for line in status.first().freshness_lines():
                text.append(f"  {line}\n")
        log_file = self.console.session.log_file
        if log_file is not None:
            text.append("\nLog file ", style="bold")
            text.append(f"{log_file}\n")
        with VerticalScroll():
            yield Static(text, id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
