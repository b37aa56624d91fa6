"""The "Prepare Azure" dialog of the doctor pane: the targets to create, each with the values it will be
created with, and the target resource group's name to type before anything is sent.

Enter or Tab alone never go ahead: the typed name must match. The dialog returns True (go ahead) or
False; the doctor pane runs the creates in a worker through the actions layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, Static

from asr_console.actions import ReadOnlyError, WriteRefused
from asr_console.model.errors import SourceError
from asr_console.model.prepare import PreparePlan, PrepareStep
from asr_console.screens.confirm import plan_text
from asr_console.screens.dialog_frame import Dialog
from asr_console.session import AccessFacts, prepare_wanted

if TYPE_CHECKING:
    from asr_console.screens.panes import DoctorScreen


class PrepareAzureScreen(Dialog[bool]):
    """Attributes: ``plan`` (what will be created), ``subscription`` (where)."""

    AUTO_FOCUS = "#prepare-input"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PrepareAzureScreen > Vertical { width: 96; max-width: 95%; border: round $warning; }
    PrepareAzureScreen #prepare-error { color: $error; height: auto; }
    """

    def __init__(self, plan: PreparePlan, subscription: str) -> None:
        super().__init__()
        self.plan = plan
        self.subscription = subscription

    def compose(self) -> ComposeResult:
        title = (
            f"Prepare Azure: create {len(self.plan.steps)} resource(s) in subscription {self.subscription}"
        )
        with Vertical():
            yield Static(plan_text(title, [s.describe() for s in self.plan.steps]), id="prepare-plan")
            yield Label(
                f"Type the resource group's name [b]{escape(self.plan.confirm)}[/b] to create them "
                "(esc cancels):"
            )
            yield Input(id="prepare-input")
            yield Static("", id="prepare-error")
            yield Button("Create", id="prepare-go")

    def _check(self) -> None:
        if self.query_one(Input).value.strip() == self.plan.confirm:
            self.dismiss(True)
        else:
            self.query_one("#prepare-error", Static).update(
                escape(f"That does not match {self.plan.confirm!r}; nothing was created.")
            )

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._check()

    @on(Button.Pressed, "#prepare-go")
    def _pressed(self) -> None:
        self._check()

    def action_cancel(self) -> None:
        self.dismiss(False)


def open_prepare_azure(pane: DoctorScreen, access: AccessFacts | None) -> None:
    """From the doctor pane: compute the plan in a worker, show it, and on the typed name run the creates
    in a named exclusive worker (progress as notifications and activity events), then read the checks
    again (``action_recheck``)."""
    app = pane.console
    if app.refuse_if_read_only("Prepare Azure"):
        return
    if access is None:
        app.notify("The doctor is still reading the Azure targets; try again in a moment.", timeout=5)
        return
    actions = app.session.actions
    settings = app.session.settings
    subscription = settings.subscription or getattr(app.session.service, "subscription", "")

    def progress(number: int, step: PrepareStep) -> None:
        app.notify(f"Creating {step.describe()} ({number}/{len(plan_box[0].steps)})…", timeout=4)

    plan_box: list[PreparePlan] = []

    async def create() -> None:
        plan = plan_box[0]
        try:
            created = await actions.prepare_azure(plan, subscription, progress)
        except (ReadOnlyError, WriteRefused) as exc:
            app.notify(str(exc), severity="error", title="Not sent", timeout=10)
        except SourceError as exc:
            app.notify(f"Prepare Azure stopped: {exc}", severity="error", title="Azure", timeout=10)
        else:
            app.notify(f"Prepare Azure: created {len(created)} resource(s)", title="Azure", timeout=6)
        pane.action_recheck()

    def answered(yes: bool | None) -> None:
        if yes:
            pane.run_worker(
                create(), name="prepare-azure", group="prepare-azure", exclusive=True, exit_on_error=False
            )

    async def load() -> None:
        try:
            plan = await actions.load_prepare_plan(prepare_wanted(settings), access.targets)
        except SourceError as exc:
            app.notify(f"Prepare Azure: {exc}", severity="error", title="Azure", timeout=10)
            return
        if plan.empty:
            app.notify("Nothing to create: the profile's targets exist (or none are set).", timeout=5)
        elif plan.problems:
            app.notify(
                "Prepare Azure cannot create what the profile names: " + "; ".join(plan.problems),
                severity="error",
                timeout=12,
            )
        else:
            plan_box[:] = [plan]
            app.push_screen(PrepareAzureScreen(plan, subscription), answered)

    pane.run_worker(
        load(), name="prepare-azure-plan", group="prepare-azure", exclusive=True, exit_on_error=False
    )
