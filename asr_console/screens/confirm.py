"""Confirmations before a write: `y` for what can be undone, the typed name for what cannot.

Every write the console sends ends here, on a screen that shows the plan (the targets by name, the
operation and its inputs). Enter alone never answers yes: the `y` screen has no button to default to,
and the typed screen goes ahead only when the name matches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.markup import escape
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, Static

from asr_console.screens.dialog_frame import Dialog


def plan_text(title: str, plan: Sequence[str]) -> str:
    """The title in bold, then one line per step of the plan (escaped: names are data, not markup)."""
    lines = [f"[b]{escape(title)}[/b]"]
    lines += [f"  • {escape(step)}" for step in plan]
    return "\n".join(lines)


class ConfirmScreen(Dialog[bool]):
    """`y` / `n` for reversible writes, under the plan. Attributes: ``question``, ``plan``."""

    AUTO_FOCUS = ""  # nothing to focus: only y answers yes, so Enter and Tab do nothing here
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen > Vertical { width: 80; max-width: 95%; border: round $warning; }
    ConfirmScreen #confirm-keys { margin-top: 1; }
    """

    def __init__(self, question: str, plan: Sequence[str] = ()) -> None:
        super().__init__()
        self.question = question
        self.plan = list(plan)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plan_text(self.question, self.plan), id="confirm-plan")
            yield Static("[b]y[/b] go ahead   [b]n[/b] / [b]esc[/b] nothing is sent", id="confirm-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class TypedConfirmScreen(Dialog[bool]):
    """Type the exact name to go ahead: for writes that cannot be undone.

    Attributes: ``summary`` (the title), ``expected`` (the name to type), ``plan``."""

    AUTO_FOCUS = "#typed-input"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    TypedConfirmScreen > Vertical { width: 80; max-width: 95%; border: round $error; }
    TypedConfirmScreen #typed-error { color: $error; height: auto; }
    """

    def __init__(self, summary: str, expected: str, plan: Sequence[str] = ()) -> None:
        super().__init__()
        self.summary = summary
        self.expected = expected
        self.plan = list(plan)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plan_text(self.summary, self.plan), id="typed-plan")
            yield Label(
                f"This cannot be undone. Type [b]{escape(self.expected)}[/b] to go ahead (esc cancels):"
            )
            yield Input(id="typed-input")
            yield Static("", id="typed-error")
            yield Button("Go ahead", id="typed-go")

    def _check(self) -> None:
        if self.query_one(Input).value.strip() == self.expected:
            self.dismiss(True)
        else:
            self.query_one("#typed-error", Static).update(
                escape(f"That does not match {self.expected!r}; nothing was sent.")
            )

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._check()

    @on(Button.Pressed, "#typed-go")
    def _pressed(self) -> None:
        self._check()

    def action_cancel(self) -> None:
        self.dismiss(False)


def confirm_write(
    app: App[Any],
    title: str,
    plan: Sequence[str],
    send: Callable[[], object],
    *,
    typed: str = "",
    declined: Callable[[], None] | None = None,
) -> None:
    """Show the plan and call ``send`` only on an explicit yes: typing ``typed`` when it is given
    (what cannot be undone), else pressing `y`."""

    def answered(yes: bool | None) -> None:
        if yes:
            send()
        elif declined is not None:
            declined()

    screen: Dialog[bool] = TypedConfirmScreen(title, typed, plan) if typed else ConfirmScreen(title, plan)
    app.push_screen(screen, answered)
