"""Small modal screens: the `:` command bar, per-pane help, yes/no and typed confirmation."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static

from asr_console.screens.dialog import Dialog
from asr_console.widgets.console import ConsoleAccess
from asr_console.widgets.status import StatusBar


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

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="command-hint")
            yield Input(
                placeholder=":command (tab completes)",
                suggester=SuggestFromList(self.commands, case_sensitive=False),
                id="command-input",
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._hint("")

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
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


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


class ConfirmScreen(Dialog[bool]):
    """y / n for reversible writes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen > Vertical { width: 70; max-width: 95%; border: round $warning; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            yield Static("[b]y[/b] yes   [b]n[/b] no")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class TypedConfirmScreen(Dialog[bool]):
    """Type the exact name to go ahead: for writes that cannot be undone."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    TypedConfirmScreen > Vertical { width: 80; max-width: 95%; border: round $error; }
    TypedConfirmScreen #typed-error { color: $error; height: auto; }
    """

    def __init__(self, summary: str, expected: str) -> None:
        super().__init__()
        self.summary = summary
        self.expected = expected

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.summary)
            yield Label(f"This cannot be undone. Type [b]{self.expected}[/b] to go ahead (esc cancels):")
            yield Input(id="typed-input")
            yield Static("", id="typed-error")
            yield Button("Go ahead", id="typed-go", variant="error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _check(self) -> None:
        if self.query_one(Input).value.strip() == self.expected:
            self.dismiss(True)
        else:
            self.query_one("#typed-error", Static).update(
                f"That does not match {self.expected!r}; nothing was sent."
            )

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._check()

    @on(Button.Pressed, "#typed-go")
    def _pressed(self) -> None:
        self._check()

    def action_cancel(self) -> None:
        self.dismiss(False)
