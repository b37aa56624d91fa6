"""The `:` command bar: pane names and commands with tab completion.

Keys typed or pasted right after `:` arrive while the bar is still being mounted; the app sends keys
to the focused widget, and until the input has the focus that is the bar itself. The bar takes the
focus synchronously when mounted and replays, in order, every key it received itself.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static


class CommandBar(ModalScreen[str | None]):
    """`:` then a command; tab or → completes, enter runs, esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("tab", "complete", "Complete", show=False, priority=True),
    ]
    DEFAULT_CSS = """
    CommandBar { align: left bottom; background: transparent; }
    CommandBar > Vertical { height: auto; width: 100%; background: $panel; }
    CommandBar Input, CommandBar Input:focus { border: none; height: 1; padding: 0 1; }
    CommandBar #command-hint { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, commands: list[str]) -> None:
        super().__init__()
        self.commands = commands
        self._closed = False

    def _close(self, result: str | None) -> None:
        """Dismiss once: an Enter replayed by ``on_key`` and the input's own Submitted (or a second
        Enter in a burst) may both arrive before the bar is gone."""
        if not self._closed:
            self._closed = True
            self.dismiss(result)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="command-hint")
            yield Input(
                placeholder=":command (tab completes)",
                suggester=SuggestFromList(self.commands, case_sensitive=False),
                id="command-input",
            )

    AUTO_FOCUS = "#command-input"

    def on_mount(self) -> None:
        # now, not after the next refresh (as Input.focus does): the next key goes to the input
        self.set_focus(self.query_one(Input))
        self._hint("")

    def on_key(self, event: events.Key) -> None:
        """A key sent before the input had the focus: it belongs to the input."""
        field = self.query_one(Input)
        if event.key in ("tab", "escape"):
            return  # the bar's own bindings (complete, cancel) handle them
        if event.key == "enter":
            event.stop()
            self._close(field.value.strip() or None)
        elif event.is_printable and event.character:
            event.stop()
            field.insert_text_at_cursor(event.character)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        self.query_one(Input).insert_text_at_cursor(event.text.splitlines()[0] if event.text else "")

    def _hint(self, text: str) -> None:
        matches = [c for c in self.commands if c.startswith(text.strip())][:8]
        self.query_one("#command-hint", Static).update("  ".join(f":{m}" for m in matches))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._hint(event.value.lstrip(":"))

    def action_complete(self) -> None:
        field = self.query_one(Input)
        text = field.value.lstrip(":").strip()
        matches = [c for c in self.commands if c.startswith(text)]
        if not matches:
            return
        prefix = matches[0]
        for m in matches[1:]:
            while not m.startswith(prefix):
                prefix = prefix[:-1]
        field.value = prefix if len(matches) > 1 else matches[0]
        field.cursor_position = len(field.value)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self._close(event.value.strip() or None)

    def action_cancel(self) -> None:
        self._close(None)
