"""Compute & Network of one replicated item: what ASR creates its Azure VM as on failover (size, name,
resource group, network and subnet, test network and subnet, license, availability zone), edited with
pickers of what exists and sent as the item update after an explicit confirmation."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from asr_console.model.arm import same_arm_id
from asr_console.model.operations import Operation
from asr_console.model.records import Job, ProtectedItem
from asr_console.model.specs import (
    LICENSE_TYPES,
    ComputeNetworkSpec,
    FieldError,
    validate_compute_network,
)
from asr_console.model.targets import ComputeSize, VirtualNetwork
from asr_console.screens.target_pickers import TargetPickerDialog, short

FIELD_LABELS = {
    "item": "Item",
    "target_name": "Target VM name",
    "target_resource_group": "Target resource group",
    "target_subnet": "Target subnet",
    "test_network": "Test network",
    "test_subnet": "Test subnet",
    "license_type": "License type",
    "availability": "Availability",
}


class ComputeNetworkScreen(TargetPickerDialog):
    """Attributes: ``item_id`` — the item edited; ``targets`` and ``sizes`` — what the pickers offer,
    once read; ``errors`` — the last validation errors."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "run", "Save…", priority=True),
    ]
    PREFIX = "cn"
    JOBS_ID = "cn-jobs"
    TARGETS_WORKER = "compute-targets"
    FIELD_LABELS = FIELD_LABELS
    DEFAULT_CSS = """
    ComputeNetworkScreen > VerticalScroll { width: 90; max-width: 98%; max-height: 96%; }
    ComputeNetworkScreen #cn-errors { color: $error; height: auto; }
    ComputeNetworkScreen Horizontal.cn-pair { margin-top: 0; }
    ComputeNetworkScreen Horizontal.cn-pair Select { width: 1fr; }
    """

    def __init__(self, item_id: str) -> None:
        super().__init__()
        self.item_id = item_id
        self.sizes: tuple[ComputeSize, ...] = ()

    def item(self) -> ProtectedItem | None:
        return self.console.store.typed(ProtectedItem, self.item_id)

    def compose(self) -> ComposeResult:
        item = self.item()
        name = item.display_name if item else self.item_id
        with VerticalScroll():
            yield Static(f"[b]Compute & Network[/b] of {name}  (ctrl+r saves, esc closes)")
            yield Label("Target VM name")
            yield Input(item.recovery_vm_name if item else "", id="cn-name")
            yield Label("Target VM size (the sizes ASR offers for this item)")
            yield Select([], prompt="loading sizes…", id="cn-size")
            yield from self.compose_target_pickers("Test failover network and subnet", "subnet")
            yield Label("License type and availability zone")
            with Horizontal(classes="cn-pair"):
                license_type = item.license_type if item and item.license_type in LICENSE_TYPES else None
                yield Select(
                    [(t, t) for t in LICENSE_TYPES],
                    prompt="license: not set",
                    value=license_type or Select.NULL,
                    id="cn-license",
                )
                zone = item.availability_zone if item and item.availability_zone in ("1", "2", "3") else None
                yield Select(
                    [(f"zone {z}", z) for z in ("1", "2", "3")],
                    prompt="no zone",
                    value=zone or Select.NULL,
                    id="cn-zone",
                )
            yield from self.compose_footer("Save… (ctrl+r)")

    async def load_more(self) -> None:
        try:
            self.sizes = tuple(await self.console.actions.load_compute_sizes(self.item_id))
        except Exception as exc:  # a read: say why, the picker stays empty
            self.notify(f"VM sizes: {exc}", severity="warning")

    def fill_targets(self) -> None:
        """The pickers' options, each showing the item's current setting."""
        item = self.item()
        sizes = [(f"{s.name} ({s.cores} vCPU, {s.memory_gb:g} GiB)", s.name) for s in self.sizes]
        current_size = item.recovery_vm_size if item else ""
        if current_size and all(name != current_size for _, name in sizes):
            sizes.insert(0, (f"{current_size} (current)", current_size))
        self._offer("#cn-size", sizes, current_size, "choose a size")
        groups = self.group_options()
        self._offer("#cn-rg", groups, item.recovery_resource_group_id if item else "", "choose a group")
        networks = self.network_options()
        self._offer("#cn-network", networks, item.recovery_network_id if item else "", "choose a network")
        self._offer("#cn-test-network", networks, item.test_network_id if item else "", "none")
        self._fill_subnets("#cn-network", "#cn-subnet", item.recovery_subnet if item else "")
        self._fill_subnets("#cn-test-network", "#cn-test-subnet", item.test_subnet if item else "")

    def _offer(self, selector: str, options: list[tuple[str, str]], current: str, prompt: str) -> None:
        select: Select[str] = self.query_one(selector, Select)
        select.set_options(options)
        select.prompt = prompt
        chosen = next((value for _, value in options if current and same_arm_id(value, current)), None)
        if chosen is not None:
            select.value = chosen

    def keep_subnet(self, subnet: str, net: VirtualNetwork | None, prefer: str) -> str | None:
        """The one chosen (or ``prefer``) stays if the network chosen has it."""
        keep = prefer or self._value(subnet)
        return keep if keep in [s.name for s in (net.subnets if net else ())] else None

    def spec(self) -> ComputeNetworkSpec:
        return ComputeNetworkSpec(
            item_id=self.item_id,
            target_vm_name=self.query_one("#cn-name", Input).value.strip(),
            target_vm_size=self._value("#cn-size"),
            target_resource_group_id=self._value("#cn-rg"),
            target_network_id=self._value("#cn-network"),
            target_subnet=self._value("#cn-subnet"),
            test_network_id=self._value("#cn-test-network"),
            test_subnet=self._value("#cn-test-subnet"),
            license_type=self._value("#cn-license"),
            availability_zone=self._value("#cn-zone"),
        )

    def action_run(self) -> None:
        item = self.item()
        spec = self.spec()
        if item is None:
            self._show([FieldError("item", "this item is no longer protected")])
            return
        self._show(validate_compute_network(spec, item))
        if self.errors:
            return
        plan = self.plan(spec, item)
        if not plan:
            self._show([FieldError("item", "nothing changed")])
            return
        from asr_console.screens.confirm import confirm_write

        confirm_write(
            self.app, f"{Operation.UPDATE_ITEM.label} of {item.display_name}", plan, lambda: self._send(spec)
        )

    @staticmethod
    def plan(spec: ComputeNetworkSpec, item: ProtectedItem) -> list[str]:
        """One line per setting that changes: from what ASR has to what was chosen."""
        rows = (
            ("Target VM name", item.recovery_vm_name, spec.target_vm_name, False),
            ("Target VM size", item.recovery_vm_size, spec.target_vm_size, False),
            ("Target resource group", item.recovery_resource_group_id, spec.target_resource_group_id, True),
            ("Target network", item.recovery_network_id, spec.target_network_id, True),
            ("Target subnet", item.recovery_subnet, spec.target_subnet, False),
            ("Test network", item.test_network_id, spec.test_network_id, True),
            ("Test subnet", item.test_subnet, spec.test_subnet, False),
            ("License type", item.license_type, spec.license_type, False),
            ("Availability zone", item.availability_zone, spec.availability_zone, False),
        )
        lines = []
        for label, before, after, arm in rows:
            if after and not same_arm_id(before, after):
                shown = (short(before), short(after)) if arm else (before, after)
                lines.append(f"{label}: {shown[0] or 'not set'} → {shown[1]}")
        return lines

    def _send(self, spec: ComputeNetworkSpec) -> None:
        from asr_console.widgets.progress import JobProgress

        progress = self.query_one(JobProgress)
        item = self.item()
        label = f"{Operation.UPDATE_ITEM.action} {item.display_name if item else spec.item_id}"

        def done(job: Any) -> None:
            if isinstance(job, Job):
                progress.follow([job.id])
                self.console.follow_jobs([job.id])

        self.console.start_action(
            label, lambda: self.console.actions.update_item(spec), on_done=done, on_invalid=self._show_invalid
        )
