"""Confirmations before a write: `y` for what can be undone, the typed name for what cannot."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, Static

from asr_console.screens.dialog_frame import Dialog


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
