"""Enable replication for VMs marked in the inventory: one validated spec and one ASR job per VM."""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from asr_console.model.compat import Status, check_vm
from asr_console.model.operations import Operation
from asr_console.model.records import (
    ChurnSample,
    Job,
    Policy,
    ProcessServer,
    ProtectableItem,
    Provider,
    VirtualMachine,
)
from asr_console.model.specs import (
    DISK_TYPES,
    EnableReplicationSpec,
    FieldError,
    InvalidInput,
    validate_enable,
)
from asr_console.model.store import Store
from asr_console.screens.dialog_frame import Dialog
from asr_console.widgets.console import ConsoleAccess

FIELD_LABELS = {
    "policy": "Policy",
    "target_resource_group": "Target resource group",
    "disk_type": "Disk type",
    "process_server": "Process server",
    "provider": "Provider",
    "vm": "VM",
}


def protectable_for(store: Store, vm: VirtualMachine) -> ProtectableItem | None:
    """The vault's discovered machine for a vCenter VM (by name: discovery reports the VM's name)."""
    name = vm.name.strip().lower()
    for item in store.all(ProtectableItem):
        if (item.friendly_name or item.name).strip().lower() == name:
            return item
    return None


def blocking_reasons(store: Any, vm: VirtualMachine) -> tuple[str, ...]:
    """Why the Azure compatibility check blocks this VM (empty when it may replicate)."""
    result = check_vm(vm, store.typed(ChurnSample, vm.moref))
    if result.status is not Status.BLOCKED:
        return ()
    return tuple(f.message for f in result.findings if f.status is Status.BLOCKED)


class EnableReplicationScreen(ConsoleAccess, Dialog[None]):
    """Attributes: ``morefs`` — the VMs chosen; ``errors`` — the last validation errors."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+r", "run", "Enable…", priority=True),
    ]
    DEFAULT_CSS = """
    EnableReplicationScreen > VerticalScroll { width: 96; max-width: 98%; max-height: 96%; }
    EnableReplicationScreen Label { margin-top: 1; text-style: bold; }
    EnableReplicationScreen Input, EnableReplicationScreen Input:focus {
        height: 1; border: none; padding: 0 1; background: $boost;
    }
    EnableReplicationScreen Input:focus { background: $accent 30%; text-style: bold; }
    EnableReplicationScreen #en-errors { color: $error; height: auto; }
    EnableReplicationScreen #en-vms { height: auto; color: $text-muted; }
    EnableReplicationScreen Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, morefs: list[str]) -> None:
        super().__init__()
        self.morefs = morefs
        self.errors: list[FieldError] = []

    def pairs(self) -> list[tuple[VirtualMachine, ProtectableItem | None]]:
        store = self.console.store
        vms = [store.typed(VirtualMachine, m) for m in self.morefs]
        return [(vm, protectable_for(store, vm)) for vm in vms if vm is not None]

    def compose(self) -> ComposeResult:
        store = self.console.store
        pairs = self.pairs()
        lines = []
        for vm, item in pairs:
            blocked = blocking_reasons(store, vm)
            if store.item_for_vm(vm.moref) is not None:
                lines.append(f"{vm.name}: already protected — skipped")
            elif item is None:
                lines.append(f"{vm.name}: not discovered by the vault yet — skipped")
            elif blocked:
                lines.append(f"{vm.name}: cannot replicate to Azure — skipped: {'; '.join(blocked)}")
            else:
                disks = len(vm.disks)
                lines.append(f"{vm.name}: will replicate ({disks} disk{'s' if disks != 1 else ''})")
        policies: list[Policy] = sorted(store.all(Policy), key=lambda p: p.name)
        servers: list[ProcessServer] = store.all(ProcessServer)
        with VerticalScroll():
            yield Static(f"[b]Enable replication[/b] for {len(pairs)} VM(s)  (ctrl+r enables, esc closes)")
            yield Static("\n".join(lines), id="en-vms")
            yield Label("Replication policy")
            yield Select([(f"{p.name} ({p.provider.value})", p.id) for p in policies], id="en-policy")
            yield Label("Target resource group (ARM id)")
            yield Input(placeholder="/subscriptions/…/resourceGroups/rg-dr-target", id="en-rg")
            yield Label("Target network (ARM id of the Azure virtual network, optional)")
            yield Input(placeholder="/subscriptions/…/virtualNetworks/vnet-dr", id="en-network")
            yield Label("Target disk type")
            yield Select([(d, d) for d in DISK_TYPES], value=DISK_TYPES[0], allow_blank=False, id="en-disk")
            yield Label("Process server")
            yield Select([(f"{s.name} ({s.health.value})", s.id) for s in servers], id="en-ps")
            yield Static("", id="en-errors")
            with Horizontal():
                yield Button("Enable… (ctrl+r)", id="en-go")
                yield Button("Close (esc)", id="en-close")
            from asr_console.widgets.progress import JobProgress

            yield JobProgress(id="enable-jobs", job_ids=[])

    def _value(self, selector: str) -> str:
        value = self.query_one(selector, Select).value
        return "" if value is Select.NULL else str(value)

    def specs(self) -> list[EnableReplicationSpec]:
        store = self.console.store
        policy = store.typed(Policy, self._value("#en-policy"))
        specs = []
        for vm, item in self.pairs():
            if item is None or store.item_for_vm(vm.moref) is not None or blocking_reasons(store, vm):
                continue
            specs.append(
                EnableReplicationSpec(
                    protectable_item_id=item.id,
                    container_id=item.container_id,
                    policy_id=policy.id if policy else "",
                    provider=policy.provider if policy else Provider.OTHER,
                    target_resource_group_id=self.query_one("#en-rg", Input).value.strip(),
                    target_network_id=self.query_one("#en-network", Input).value.strip(),
                    disk_type=self._value("#en-disk"),
                    process_server_id=self._value("#en-ps"),
                    target_vm_name=vm.name,
                    item_name=vm.name,
                )
            )
        return specs

    def validate(self, specs: list[EnableReplicationSpec]) -> list[FieldError]:
        if not specs:
            return [FieldError("vm", "none of the chosen VMs can be enabled (see above)")]
        errors: list[FieldError] = []
        for error in validate_enable(specs[0]):  # the shared fields are the same for every VM
            if error.field == "provider" and not specs[0].policy_id:
                continue  # the provider comes from the policy: "choose a policy" says it all
            if error not in errors:
                errors.append(error)
        return errors

    @on(Button.Pressed, "#en-go")
    def _go(self) -> None:
        self.action_run()

    @on(Button.Pressed, "#en-close")
    def _close(self) -> None:
        self.action_close()

    def action_run(self) -> None:
        specs = self.specs()
        self.errors = self.validate(specs)
        self.query_one("#en-errors", Static).update(
            "\n".join(f"{FIELD_LABELS.get(e.field, e.field)}: {e.message}" for e in self.errors)
        )
        if self.errors:
            return
        from asr_console.screens.confirm import confirm_write

        confirm_write(
            self.app,
            f"Enable replication for {len(specs)} VM(s)",
            self.plan(specs),
            lambda: self._send(specs),
        )

    def plan(self, specs: list[EnableReplicationSpec]) -> list[str]:
        """The VMs by name, then the inputs they share."""
        store = self.console.store
        policy = store.typed(Policy, specs[0].policy_id)
        server = store.typed(ProcessServer, specs[0].process_server_id)
        return [
            *(f"VM: {spec.item_name}" for spec in specs),
            f"Policy: {policy.name if policy else specs[0].policy_id}",
            f"Target resource group: {specs[0].target_resource_group_id}",
            f"Target network: {specs[0].target_network_id or 'none'}",
            f"Disk type: {specs[0].disk_type}",
            f"Process server: {server.name if server else specs[0].process_server_id}",
        ]

    def _send(self, specs: list[EnableReplicationSpec]) -> None:
        from asr_console.widgets.progress import JobProgress

        progress = self.query_one(JobProgress)
        progress.follow([])
        for spec in specs:

            def done(job: Any) -> None:
                if isinstance(job, Job):
                    progress.follow([*progress.job_ids, job.id])

            self.console.start_action(
                f"{Operation.ENABLE_REPLICATION.action} {spec.item_name}",
                partial(self.console.actions.enable_replication, spec),
                on_done=done,
                on_invalid=self._show_invalid,
            )

    def _show_invalid(self, exc: InvalidInput) -> None:
        """The service refused before sending (its own checks): show why, under the form."""
        self.errors = list(exc.errors)
        self.query_one("#en-errors", Static).update(
            "\n".join(f"{FIELD_LABELS.get(e.field, e.field)}: {e.message}" for e in self.errors)
        )

    def action_close(self) -> None:
        self.dismiss(None)
