"""What the Compute & Network and enable dialogs share: the resource group, network and subnet, test
network and subnet pickers filled from the subscription's target resources (read once, in a named
worker), the Save/Close row with the jobs it started, and the errors shown under the form.

Each dialog names its widgets with its own prefix (``cn``, ``en``), so tests and snapshots keep them."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Label, Select, Static

from asr_console.model.arm import same_arm_id
from asr_console.model.specs import FieldError, InvalidInput
from asr_console.model.targets import TargetChoices, VirtualNetwork
from asr_console.screens.dialog_frame import Dialog
from asr_console.widgets.console import ConsoleAccess


def short(arm_id: str) -> str:
    """The last segment of an ARM id: the name a plan line shows."""
    return arm_id.rstrip("/").rsplit("/", 1)[-1] if arm_id else ""


class TargetPickerDialog(ConsoleAccess, Dialog[None]):
    """Attributes: ``targets`` — what the pickers offer, once read; ``errors`` — the last validation
    errors. Subclasses set the class variables and fill the pickers in ``fill_targets``."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    TargetPickerDialog Label { margin-top: 1; text-style: bold; }
    TargetPickerDialog Input, TargetPickerDialog Input:focus {
        height: 1; border: none; padding: 0 1; background: $boost;
    }
    TargetPickerDialog Input:focus { background: $accent 30%; text-style: bold; }
    TargetPickerDialog Horizontal { height: auto; margin-top: 1; }
    """
    PREFIX: ClassVar[str] = ""  # of every widget id and the pairs' class
    JOBS_ID: ClassVar[str] = ""  # the JobProgress under the buttons
    TARGETS_WORKER: ClassVar[str] = ""  # name and group of the worker that reads the targets
    FIELD_LABELS: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[FieldError] = []
        self.targets = TargetChoices()

    def _pid(self, name: str) -> str:
        return f"{self.PREFIX}-{name}"

    def compose_target_pickers(self, test_label: str, subnet_prompt: str) -> ComposeResult:
        yield Label("Target resource group")
        yield Select([], prompt="loading resource groups…", id=self._pid("rg"))
        yield Label("Target network and subnet")
        with Horizontal(classes=self._pid("pair")):
            yield Select([], prompt="loading networks…", id=self._pid("network"))
            yield Select([], prompt=subnet_prompt, id=self._pid("subnet"))
        yield Label(test_label)
        with Horizontal(classes=self._pid("pair")):
            yield Select([], prompt="none", id=self._pid("test-network"))
            yield Select([], prompt=subnet_prompt, id=self._pid("test-subnet"))

    def compose_footer(self, go_label: str) -> ComposeResult:
        """The errors, the buttons and the progress of the jobs sent."""
        yield Static("", id=self._pid("errors"))
        with Horizontal():
            yield Button(go_label, id=self._pid("go"))
            yield Button("Close (esc)", id=self._pid("close"))
        from asr_console.widgets.progress import JobProgress

        yield JobProgress(id=self.JOBS_ID, job_ids=[])

    def on_mount(self) -> None:
        actions = self.console.actions

        async def load() -> None:
            try:
                self.targets = await actions.load_targets()
            except Exception as exc:  # a read: say why, the pickers stay empty
                self.notify(f"target resources: {exc}", severity="warning")
            await self.load_more()
            self.fill_targets()

        name = self.TARGETS_WORKER
        self.run_worker(load(), name=name, group=name, exclusive=True, exit_on_error=False)

    async def load_more(self) -> None:
        """What else the pickers offer, read after the targets (nothing unless a dialog says)."""

    def fill_targets(self) -> None:
        raise NotImplementedError

    def group_options(self) -> list[tuple[str, str]]:
        return [(f"{g.name} ({g.location})", g.id) for g in self.targets.groups]

    def network_options(self) -> list[tuple[str, str]]:
        return [(f"{n.name} ({n.resource_group})", n.id) for n in self.targets.networks]

    @on(Select.Changed)
    def _network_changed(self, event: Select.Changed) -> None:
        for network, subnet in (("network", "subnet"), ("test-network", "test-subnet")):
            if event.select.id == self._pid(network):
                self._fill_subnets(f"#{self._pid(network)}", f"#{self._pid(subnet)}")

    def _fill_subnets(self, network: str, subnet: str, prefer: str = "") -> None:
        """The chosen network's subnets, then the one ``keep_subnet`` names (read before the options
        reset the picker)."""
        chosen = self._value(network)
        net = next((n for n in self.targets.networks if same_arm_id(n.id, chosen)), None)
        keep = self.keep_subnet(subnet, net, prefer)
        select: Select[str] = self.query_one(subnet, Select)
        select.set_options([(f"{s.name} ({s.address_prefix})", s.name) for s in (net.subnets if net else ())])
        if keep is not None:
            select.value = keep

    def keep_subnet(self, subnet: str, net: VirtualNetwork | None, prefer: str) -> str | None:
        """The subnet to show once the network's are offered (None: the picker's prompt)."""
        return None

    def _value(self, selector: str) -> str:
        value = self.query_one(selector, Select).value
        return "" if value is Select.NULL else str(value)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        if event.button.id == self._pid("go"):
            self.action_run()
        elif event.button.id == self._pid("close"):
            self.action_close()

    def action_run(self) -> None:
        raise NotImplementedError

    def _show(self, errors: list[FieldError]) -> None:
        self.errors = errors
        self.query_one(f"#{self._pid('errors')}", Static).update(
            "\n".join(f"{self.FIELD_LABELS.get(e.field, e.field)}: {e.message}" for e in errors)
        )

    def _show_invalid(self, exc: InvalidInput) -> None:
        """The service refused before sending (its own checks): show why, under the form."""
        self._show(list(exc.errors))

    def action_close(self) -> None:
        self.dismiss(None)
