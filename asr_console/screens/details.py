"""Drill-down screens (enter on a row; esc goes back). They re-render as the store changes."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from asr_console.model.doctor import Check
from asr_console.model.join import discovered_machine_for
from asr_console.model.operations import Operation
from asr_console.model.queries import jobs_of_item, recovery_points_of, rpo_threshold_minutes
from asr_console.model.records import (
    ApplianceComponent,
    ChurnSample,
    HealthError,
    Job,
    Kind,
    ProtectableItem,
    ProtectedItem,
    Provider,
    VirtualMachine,
)
from asr_console.model.specs import ComputeNetworkSpec, validate_compute_network
from asr_console.model.store import Store
from asr_console.widgets.console import ConsoleAccess
from asr_console.widgets.fmt import age, churn, duration, memory, size_gb, stamp
from asr_console.widgets.inventory import compat_of
from asr_console.widgets.jobs import job_text
from asr_console.widgets.live import Pending, StoreBound
from asr_console.widgets.status import StatusBar


def health_errors_text(errors: tuple[HealthError, ...], styles: dict[str, str], *, utc: bool = False) -> Text:
    text = Text()
    if not errors:
        text.append("  no health errors\n", style=styles.get("normal", ""))
        return text
    for error in errors:
        role = "warning" if error.severity.lower() == "warning" else "critical"
        text.append(f"  {error.code}  {error.message}\n", style=styles.get(role, ""))
        if error.entity:
            text.append(f"    on: {error.entity}\n")
        if error.created_at:
            text.append(f"    since: {stamp(error.created_at, utc=utc)}\n")
        text.append(f"    possible causes: {error.possible_causes or '—'}\n")
        text.append(f"    recommended action: {error.recommended_action or '—'}\n")
    return text


def compute_network_text(item: ProtectedItem) -> Text:
    """The Azure VM a failover creates for ``item``, as ASR reports its target settings."""

    def name(arm_id: str) -> str:
        return arm_id.rstrip("/").rsplit("/", 1)[-1] if arm_id else ""

    def joined(network: str, subnet: str) -> str:
        return f"{name(network) or '—'}{f' / {subnet}' if subnet else ''}"

    availability = (
        f"zone {item.availability_zone}"
        if item.availability_zone
        else (f"set {name(item.availability_set_id)}" if item.availability_set_id else "none")
    )
    rows = (
        ("target VM name", item.recovery_vm_name or "—"),
        ("target VM size", item.recovery_vm_size or "—"),
        ("resource group", name(item.recovery_resource_group_id) or "—"),
        ("network / subnet", joined(item.recovery_network_id, item.recovery_subnet)),
        ("test network / subnet", joined(item.test_network_id, item.test_subnet)),
        ("license type", item.license_type or "—"),
        ("availability", availability),
    )
    text = Text("\nCompute & Network (c edits)\n", style="bold")
    for label, value in rows:
        text.append(f"  {label:<22}", style="bold")
        text.append(f"{value}\n")
    return text


class DetailBody(StoreBound, Static):
    """Rebuilds its text from the store whenever the kinds it shows change."""

    def __init__(self, render: Any, kinds: frozenset[Kind]) -> None:
        super().__init__("", id="detail-body")
        self._render_text = render
        self.KINDS = kinds

    def reset(self) -> None:
        self.update(self._render_text())

    def changed(self, pending: Pending) -> None:
        self.reset()

    def tick(self) -> None:
        self.reset()


class DetailScreen(ConsoleAccess, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,backspace", "back", "Back")]
    KINDS: frozenset[Kind] = frozenset()
    PANE_TITLE = "Details"
    PANE_HELP = "Details of one record, kept current. esc goes back."

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(id="detail-scroll"):
            yield DetailBody(self.render_text, self.KINDS)
        yield Footer()

    def render_text(self) -> Text:
        raise NotImplementedError

    def action_back(self) -> None:
        self.app.pop_screen()


class ItemDetailScreen(DetailScreen):
    KINDS = frozenset({Kind.PROTECTED_ITEM, Kind.RECOVERY_POINT, Kind.JOB, Kind.POLICY})
    PANE_TITLE = "Protected item"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "load_points", "Load recovery points"),
        Binding("c", "compute_network", "Compute & Network"),
    ]

    def __init__(self, item_id: str) -> None:
        super().__init__()
        self.item_id = item_id

    def on_mount(self) -> None:
        self.action_load_points()

    def action_load_points(self) -> None:
        actions = self.console.actions
        if actions is None:
            return

        async def load() -> None:
            try:
                await actions.load_recovery_points(self.item_id)
            except Exception as exc:  # reads only: show it, keep the screen
                self.notify(f"recovery points: {exc}", severity="warning")

        self.run_worker(
            load(), name="recovery-points", group="recovery-points", exclusive=True, exit_on_error=False
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # a write: a read-only console does not offer it
        return not (action == "compute_network" and self.console.read_only)

    def action_compute_network(self) -> None:
        item = self.console.store.typed(ProtectedItem, self.item_id)
        if item is None or self.console.refuse_if_read_only(Operation.UPDATE_ITEM.label):
            return
        errors = validate_compute_network(ComputeNetworkSpec(item_id=item.id), item)
        if errors:
            self.notify(errors[0].message, severity="warning", title=Operation.UPDATE_ITEM.label)
            return
        from asr_console.screens.compute import ComputeNetworkScreen

        self.app.push_screen(ComputeNetworkScreen(item.id))

    def render_text(self) -> Text:
        store = self.console.store
        styles = self.console.role_styles()
        now = self.console.now()
        item = store.typed(ProtectedItem, self.item_id)
        text = Text()
        if item is None:
            text.append("This item is no longer protected (it left the vault).\n", style="bold")
            return text
        threshold = rpo_threshold_minutes(store, item)
        text.append(f"{item.display_name}\n", style="bold")
        rows = [
            ("health", item.replication_health.value),
            ("protection state", item.protection_state_description or item.protection_state),
            ("provider", item.provider_name or item.provider.value),
            ("direction", item.direction or "—"),
            ("policy", item.policy_name or item.policy_id or "—"),
            ("RPO", f"{duration(item.rpo_seconds)} (alert above {threshold} min)"),
            (
                "last recovery point",
                f"{self.stamp(item.last_recovery_point)} ({age(item.last_recovery_point, now)} ago)",
            ),
            (
                "initial replication",
                f"{item.initial_replication_percent}%"
                if item.initial_replication_percent is not None
                else "—",
            ),
            (
                "resync",
                f"required, {item.resync_progress_percent or 0}%" if item.resync_required else "not required",
            ),
            (
                "agent",
                f"{item.agent_version or '—'} (latest {item.agent_latest_version or '—'})"
                f"{', upgrade available' if item.agent_upgradeable else ''}",
            ),
            ("agent heartbeat", f"{age(item.agent_heartbeat, now)} ago"),
            ("process server", item.process_server_name or "—"),
            (
                "test failover",
                f"{item.test_failover_state or '—'}; last success "
                f"{self.stamp(item.last_successful_test_failover)}",
            ),
            ("allowed operations", ", ".join(item.allowed_operations) or "none"),
        ]
        vm = store.vm_for_item(item.id)
        rows.append(("vCenter VM", f"{vm.name} ({vm.moref})" if vm else "not matched in the inventory"))
        for label, value in rows:
            text.append(f"  {label:<22}", style="bold")
            text.append(f"{value}\n")
        if item.provider is Provider.INMAGE_RCM:
            text.append_text(compute_network_text(item))
        text.append("\nHealth errors\n", style="bold")
        text.append_text(health_errors_text(item.health_errors, styles, utc=self.console.settings.utc))
        points = sorted(
            recovery_points_of(store, item),
            key=lambda p: p.time or now,
            reverse=True,
        )
        text.append(f"\nRecovery points ({len(points)})\n", style="bold")
        for point in points[:20]:
            text.append(f"  {self.stamp(point.time)}  {point.type}\n")
        if not points:
            text.append("  none loaded (l loads them)\n", style="dim")
        jobs = sorted(
            jobs_of_item(store, item),
            key=lambda j: j.start or now,
            reverse=True,
        )
        text.append(f"\nJobs ({len(jobs)})\n", style="bold")
        for job in jobs[:10]:
            text.append_text(job_text(job, now, styles, utc=self.console.settings.utc))
        return text


def _agent_text(store: Store, vm: VirtualMachine) -> str:
    item = store.item_for_vm(vm.moref)
    if item is not None and item.agent_version:
        return item.agent_version
    machine = discovered_machine_for(vm, store.all(ProtectableItem))
    if machine is None:
        return "— (not discovered by the vault yet)"
    if machine.agent_installed is None:
        return "— (the vault does not say)"
    if machine.agent_installed:
        return f"installed {machine.agent_version}".strip()
    return "none: enable replication push-installs it"


class VmDetailScreen(DetailScreen):
    KINDS = frozenset({Kind.VM, Kind.PROTECTED_ITEM, Kind.CHURN, Kind.PROTECTABLE})
    PANE_TITLE = "Virtual machine"

    def __init__(self, moref: str) -> None:
        super().__init__()
        self.moref = moref

    def render_text(self) -> Text:
        store = self.console.store
        styles = self.console.role_styles()
        vm = store.typed(VirtualMachine, self.moref)
        text = Text()
        if vm is None:
            text.append("This VM is no longer in the inventory.\n", style="bold")
            return text
        text.append(f"{vm.name}  ({vm.moref})\n", style="bold")
        sample = store.typed(ChurnSample, vm.moref)
        rows = [
            ("power", vm.power_state),
            ("guest OS", vm.guest_full_name or vm.guest_id or "—"),
            ("firmware", f"{vm.firmware}{' secure boot' if vm.secure_boot else ''}"),
            ("CPU / memory", f"{vm.num_cpu} vCPU / {memory(vm.memory_mb)}"),
            ("tools", vm.tools_status or "—"),
            ("folder", vm.folder_path or "—"),
            ("BIOS UUID", vm.bios_uuid or "—"),
            ("Mobility agent", _agent_text(store, vm)),
            (
                "churn",
                f"{churn(sample.latest_kbps if sample else None)} now, peak "
                f"{churn(sample.peak_kbps if sample else None)}",
            ),
        ]
        for label, value in rows:
            text.append(f"  {label:<16}", style="bold")
            text.append(f"{value}\n")
        text.append("\nDisks\n", style="bold")
        if not vm.details_loaded:
            text.append("  loading devices…\n", style="dim")
        for disk in vm.disks:
            flags = [disk.mode]
            if disk.thin:
                flags.append("thin")
            if disk.rdm:
                flags.append("RDM")
            text.append(
                f"  {disk.label:<14} {size_gb(disk.capacity_bytes):>6}  {', '.join(flags)}"
                f"  {disk.datastore}\n"
            )
        text.append("\nNICs\n", style="bold")
        for nic in vm.nics:
            text.append(f"  {nic.label:<14} {nic.network:<20} {nic.mac}  {', '.join(nic.ips) or '—'}\n")
        compat = compat_of(vm, sample)
        role = {"ok": "normal", "warning": "warning", "blocked": "critical"}.get(compat.verdict, "stale")
        text.append("\nAzure compatibility: ", style="bold")
        text.append(
            f"{compat.verdict}{'' if compat.complete else ' (some checks wait for data)'}\n",
            style=styles.get(role, ""),
        )
        for reason in compat.reasons:
            text.append(f"  - {reason}\n")
        item = store.item_for_vm(vm.moref)
        text.append("\nProtection\n", style="bold")
        if item is None:
            text.append("  not protected\n", style="dim")
        else:
            text.append(
                f"  {item.display_name}: {item.replication_health.value}, "
                f"{item.protection_state_description or item.protection_state}, "
                f"RPO {duration(item.rpo_seconds)}\n"
            )
            text.append_text(health_errors_text(item.health_errors, styles, utc=self.console.settings.utc))
        return text


class JobDetailScreen(DetailScreen):
    KINDS = frozenset({Kind.JOB})
    PANE_TITLE = "Job"

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id

    def render_text(self) -> Text:
        job = self.console.store.typed(Job, self.job_id)
        if job is None:
            return Text("This job is no longer listed by ASR.")
        return job_text(job, self.console.now(), self.console.role_styles(), utc=self.console.settings.utc)


class RecordDetailScreen(DetailScreen):
    """Any other record (infrastructure, events): its fields, and health errors spelled out."""

    KINDS = frozenset({Kind.FABRIC, Kind.PROCESS_SERVER, Kind.VCENTER, Kind.EVENT})

    def __init__(self, record: Any) -> None:
        super().__init__()
        # an appliance component lives on its fabric's record: follow the fabric, pick the component
        self.part = record.key if isinstance(record, ApplianceComponent) else ""
        self.kind = Kind.FABRIC if self.part else record.KIND
        self.key = record.fabric_id if self.part else record.key

    def render_text(self) -> Text:
        record = self.console.store.get(self.kind, self.key)
        if self.part:
            parts = getattr(record, "components", ())
            record = next((c for c in parts if c.key == self.part), None)
        if record is None:
            return Text("This record is gone.")
        text = Text(f"{getattr(record, 'name', '') or getattr(record, 'message', '')}\n", style="bold")
        for name in getattr(record, "__slots__", ()):
            if name == "health_errors":
                continue
            value = getattr(record, name)
            text.append(f"  {name:<24}", style="bold")
            text.append(f"{self.stamp(value) if hasattr(value, 'strftime') else value}\n")
        errors = getattr(record, "health_errors", None)
        if errors is not None:
            text.append("\nHealth errors\n", style="bold")
            text.append_text(
                health_errors_text(errors, self.console.role_styles(), utc=self.console.settings.utc)
            )
        return text


class CheckDetailScreen(DetailScreen):
    """One deployment check: what was found and how to fix it, unabridged."""

    PANE_TITLE = "Check"

    def __init__(self, check: Check) -> None:
        super().__init__()
        self.check = check

    def render_text(self) -> Text:
        check = self.check
        text = Text(f"{check.id}\n", style="bold")
        for label, value in (("verdict", check.verdict.value), ("area", check.area.value)):
            text.append(f"  {label:<10}", style="bold")
            text.append(f"{value}\n")
        text.append("\nFound\n", style="bold")
        text.append(f"  {check.found}\n")
        if check.fix:
            text.append("\nFix\n", style="bold")
            text.append(f"  {check.fix}\n")
        return text
