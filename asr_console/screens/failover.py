"""The failover dialog: operation, recovery point, test network, preview, then a confirmation.

Only operations ASR lists in every chosen item's ``allowed_operations`` are offered — with one
exception: purge, for which ASR lists no permission, is offered for items stuck where nothing else is
allowed or in a failed state. The one preselected is the safe next step for the items' state (never a
failover, never a purge). Everything is checked before anything is sent, and nothing is sent before a
confirmation that shows the plan: `y` for what can be undone, the item's name (or the vault's, for
several items) for what cannot. Started jobs are followed on the failover pane, task by task.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from asr_console.model.arm import arm_key
from asr_console.model.operations import (
    ITEM_OPERATIONS,
    ExtraInput,
    FailbackPointType,
    Operation,
    OperationInputs,
    by_key,
    operation_key,
    purgeable,
    safe_next_step,
)
from asr_console.model.records import (
    TO_VMWARE,
    Fabric,
    Job,
    Policy,
    ProcessServer,
    ProtectedItem,
    RecoveryPlan,
    RecoveryPoint,
    Vault,
)
from asr_console.model.reprotect import (
    FAILBACK_PROVIDER,
    ReprotectKind,
    ReprotectPlan,
    ReprotectWanted,
    reprotect_kind,
    resolve_reprotect,
)
from asr_console.model.specs import (
    FieldError,
    RecoveryPointChoice,
    RecoveryPointKind,
    require_allowed,
    validate_test_network,
)
from asr_console.model.targets import StorageAccount
from asr_console.screens.dialog_frame import Dialog
from asr_console.widgets.console import ConsoleAccess
from asr_console.widgets.fmt import stamp

if TYPE_CHECKING:  # the app sits above the screens; only its type comes down
    from textual.widget import AwaitMount

    from asr_console.app import AsrConsoleApp

POINT_LABELS = {
    RecoveryPointKind.LATEST_PROCESSED: "Latest processed (lowest RTO)",
    RecoveryPointKind.LATEST: "Latest (lowest RPO: processes pending data first)",
    RecoveryPointKind.LATEST_APP_CONSISTENT: "Latest app-consistent",
    RecoveryPointKind.LATEST_MULTI_VM_PROCESSED: "Latest multi-VM processed",
    RecoveryPointKind.LATEST_MULTI_VM_APP_CONSISTENT: "Latest multi-VM app-consistent",
    RecoveryPointKind.CUSTOM: "Custom: pick a listed recovery point",
}


FIELD_LABELS = {
    "test_network": "Test network",
    "recovery_point": "Recovery point",
    "operation": "Operation",
    "items": "Items",
    "reprotect": "Re-protect",
}
DEFAULT_CHOICE = "__default__"  # a re-protect picker's "default" entry: the item's own or ASR's
AGENT_LABELS = {
    ReprotectKind.TO_VMWARE: "Reprotect agent (the appliance's, writes to VMware)",
    ReprotectKind.BACK_TO_AZURE: "Process server (replicates to Azure)",
    ReprotectKind.CLASSIC: "Master target server",
}
POLICY_LABELS = {
    ReprotectKind.TO_VMWARE: "Failback policy (InMageRcmFailback)",
    ReprotectKind.BACK_TO_AZURE: "Replication policy towards Azure",
    ReprotectKind.CLASSIC: "Failback policy",
}


OTHER_NETWORK = "__other__"  # the picker's "Other…": type an id


def storage_label(arm_id: str) -> str:
    """A storage account's name from its ARM id."""
    return arm_id.rstrip("/").rsplit("/", 1)[-1]


def network_label(arm_id: str) -> str:
    """``vnet-dr-test — rg-dr-network`` from a virtual network's ARM id."""
    parts = arm_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    group = parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered[:-1] else ""
    return f"{parts[-1]} — {group}" if group else parts[-1]


def test_network_choices(
    every_item: Iterable[ProtectedItem], chosen: list[ProtectedItem], extra: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(label, id) of the networks to offer for a test failover of ``chosen``: the test networks the
    vault's items used, most used first, then other known networks; never a chosen item's failover
    network (ASR requires the test network to differ from it)."""
    every_item = list(every_item)
    failover = {i.recovery_network_id.lower() for i in chosen if i.recovery_network_id}
    used = Counter(i.test_network_id for i in every_item if i.test_network_id)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []

    def offer(arm_id: str, label: str) -> None:
        key = arm_id.lower()
        if arm_id and key not in failover and key not in seen:
            seen.add(key)
            out.append((label, arm_id))

    for arm_id, count in sorted(used.items(), key=lambda kv: (-kv[1], kv[0].lower())):
        offer(arm_id, f"{network_label(arm_id)} · test network of {count} item(s)")
    for arm_id in [*extra, *sorted({i.recovery_network_id for i in every_item if i.recovery_network_id})]:
        offer(arm_id, network_label(arm_id))
    return out


def allowed_for_all(items: list[ProtectedItem]) -> list[Operation]:
    """The catalogue's item operations that ASR allows for every one of ``items``, in its order."""
    if not items:
        return []
    return [op for op in ITEM_OPERATIONS if all(op.allowed_by(i.allowed_operations) for i in items)]


def agent_update_offered(item: ProtectedItem) -> bool:
    """ASR reports an agent upgrade and the item replicates from VMware (the agent runs there)."""
    return item.agent_upgradeable and item.protection_state == "Protected" and item.direction != TO_VMWARE


def offered_operations(items: list[ProtectedItem]) -> list[Operation]:
    """What the dialog offers for ``items``: the operations ASR allows for all of them, then the
    Mobility service update when ASR reports one for each, then purge when every one is stuck (see
    ``purgeable``)."""
    ops = allowed_for_all(items)
    if items and all(agent_update_offered(i) for i in items):
        ops.append(Operation.UPDATE_MOBILITY_SERVICE)  # ASR lists no permission: its upgrade flag says
    if items and all(purgeable(i.allowed_operations, i.protection_state, i.current_scenario) for i in items):
        ops.append(Operation.PURGE)
    return ops


def preselected(items: list[ProtectedItem]) -> Operation | None:
    """The safe next step allowed for every one of ``items`` (see ``safe_next_step``)."""
    allowed = [op.asr_name for op in allowed_for_all(items)]
    return safe_next_step(allowed, resync_required=any(i.resync_required for i in items))


def open_failover(app: AsrConsoleApp, items: list[ProtectedItem]) -> AwaitMount | None:
    """Open the operation dialog on ``items``; await the result for the dialog to be mounted (with
    its first field focused), or None when nothing opened."""
    if not items:
        app.notify("no protected item selected", severity="warning")
        return None
    if app.refuse_if_read_only("failover operations"):
        return None
    return app.push_screen(FailoverDialog([i.id for i in items]))


def open_plan_picker(app: AsrConsoleApp) -> None:
    plans = app.store.all(RecoveryPlan)
    if not plans:
        app.notify("this vault has no recovery plans", severity="warning")
        return
    if app.refuse_if_read_only("failover operations"):
        return
    app.push_screen(PlanPicker(plans))


class PlanPicker(Dialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PlanPicker > VerticalScroll { width: 70; max-width: 95%; max-height: 80%; }
    """

    def __init__(self, plans: list[RecoveryPlan]) -> None:
        super().__init__()
        self.plans = plans

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label("Recovery plan (its items are operated one by one):")
            for n, plan in enumerate(self.plans):
                yield Button(
                    f"{plan.friendly_name or plan.name} — {len(plan.item_ids)} items", id=f"plan-{n}"
                )

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _picked(self, event: Button.Pressed) -> None:
        plan = self.plans[int((event.button.id or "plan-0").split("-")[1])]
        self.dismiss(None)
        self.app.push_screen(FailoverDialog(list(plan.item_ids), plan_name=plan.friendly_name or plan.name))

    def action_cancel(self) -> None:
        self.dismiss(None)


class FailoverDialog(ConsoleAccess, Dialog[None]):
    """Attributes: ``item_ids`` — the items operated on; ``errors`` — the last validation errors."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+r", "run", "Run", priority=True),
    ]
    DEFAULT_CSS = """
    FailoverDialog > VerticalScroll { width: 100; max-width: 98%; max-height: 95%; }
    FailoverDialog Label { margin-top: 1; }
    FailoverDialog .hidden { display: none; }
    FailoverDialog #fo-errors { color: $error; height: auto; }
    FailoverDialog #fo-preview { height: auto; color: $text-muted; }
    FailoverDialog Horizontal { height: auto; }
    """

    def __init__(self, item_ids: list[str], *, plan_name: str = "") -> None:
        super().__init__()
        self.item_ids = item_ids
        self.plan_name = plan_name
        self.errors: list[FieldError] = []

    def items(self) -> list[ProtectedItem]:
        store = self.console.store
        found = (store.typed(ProtectedItem, i) for i in self.item_ids)
        return [i for i in found if i is not None]

    def compose(self) -> ComposeResult:
        items = self.items()
        ops = offered_operations(items)
        names = ", ".join(i.display_name for i in items[:6]) + (" …" if len(items) > 6 else "")
        title = f"plan {self.plan_name}: " if self.plan_name else ""
        with VerticalScroll():
            yield Static(f"[b]Failover[/b] — {title}{len(items)} item(s): {names}", id="fo-title")
            if not ops:
                allowed = "; ".join(
                    f"{i.display_name}: {', '.join(i.allowed_operations) or 'none'}" for i in items
                )
                yield Static(f"No operation is allowed for all of them now. {allowed}", id="fo-none")
                yield Button("Close", id="fo-close")
                return
            yield Label("Operation")
            first = preselected(items)
            yield Select(
                [(op.label, operation_key(op)) for op in ops],
                prompt="choose an operation",
                value=operation_key(first) if first else Select.NULL,
                id="fo-op",
            )
            yield Label("Recovery point", id="fo-point-label", classes="op-field")
            yield Select(
                [(label, kind.value) for kind, label in POINT_LABELS.items()],
                value=RecoveryPointKind.LATEST_PROCESSED.value,
                allow_blank=False,
                id="fo-point",
                classes="op-field",
            )
            yield Select([], prompt="recovery points load…", id="fo-custom-point", classes="op-field")
            yield Label(
                "Test network (an isolated network, never the failover network)",
                id="fo-net-label",
                classes="op-field",
            )
            choices = test_network_choices(self.console.store.all(ProtectedItem), items)
            yield Select(
                [*choices, ("Other… (type a virtual network id)", OTHER_NETWORK)],
                prompt="pick a test network",
                value=choices[0][1] if choices else OTHER_NETWORK,
                id="fo-network-pick",
                classes="op-field",
            )
            yield Input(
                placeholder="/subscriptions/…/virtualNetworks/vnet-test",
                suggester=SuggestFromList([arm_id for _label, arm_id in choices], case_sensitive=False),
                id="fo-network",
                classes="op-field",
            )
            yield Label("Notes for the test record", id="fo-notes-label", classes="op-field")
            yield Input(
                placeholder="what you checked (size, network, RDP/SSH reachability)",
                id="fo-notes",
                classes="op-field",
            )
            yield Checkbox(
                "Shut down the source VMs first (modernized only)",
                value=True,
                id="fo-shutdown",
                classes="op-field",
            )
            yield from self._reprotect_fields(items)
            yield Label("Failback from the latest", id="fo-rp-type-label", classes="op-field")
            yield Select(
                [
                    ("application-consistent point", FailbackPointType.APP.value),
                    ("crash-consistent point", FailbackPointType.CRASH.value),
                ],
                value=FailbackPointType.APP.value,
                allow_blank=False,
                id="fo-rp-type",
                classes="op-field",
            )
            yield Static("", id="fo-preview")
            yield Static("", id="fo-errors")
            with Horizontal():
                yield Button("Review… (ctrl+r)", id="fo-run")
                yield Button("Cancel (esc)", id="fo-cancel")

    # ------------------------------------------------------------------ re-protect inputs

    def _reprotect_context(
        self, item: ProtectedItem
    ) -> tuple[Fabric | None, list[ProcessServer], list[Policy]]:
        store = self.console.store
        key = arm_key(item.fabric_id)
        fabric = next((f for f in store.all(Fabric) if arm_key(f.id) == key), None)
        return fabric, list(store.all(ProcessServer)), list(store.all(Policy))

    def _reprotect_fields(self, items: list[ProtectedItem]) -> ComposeResult:
        """Pickers for where a re-protect writes to, filled from the first item's fabric (names shown,
        ids sent); every item is resolved against its own fabric when sent."""
        kind = reprotect_kind(items[0]) if items else ReprotectKind.NONE
        fabric, servers, policies = self._reprotect_context(items[0]) if items else (None, [], [])
        agents: list[tuple[str, str]] = []
        if fabric is not None and kind == ReprotectKind.TO_VMWARE:
            agents = [(a.name, a.name) for a in fabric.reprotect_agents]
        elif fabric is not None and kind == ReprotectKind.CLASSIC:
            agents = [(t.name, t.name) for t in fabric.master_targets]
        elif fabric is not None and kind == ReprotectKind.BACK_TO_AZURE:
            agents = [(ps.name, ps.name) for ps in servers if arm_key(ps.fabric_id) == arm_key(fabric.id)]
        yield Label(AGENT_LABELS.get(kind, "Reprotect agent"), id="fo-agent-label", classes="op-field")
        yield Select(
            agents,
            prompt="none reported",
            value=agents[0][1] if agents else Select.NULL,
            id="fo-agent",
            classes="op-field",
        )
        yield Label("Datastore the agent reaches", id="fo-datastore-label", classes="op-field")
        yield Select([], prompt="none reported", id="fo-datastore", classes="op-field")
        yield Label("Cache storage account", id="fo-cache-label", classes="op-field")
        own = items[0].log_storage_account_id if items else ""
        yield Select(
            [(storage_label(own), own)] if own else [],
            prompt="loading storage accounts…",
            value=own or Select.NULL,
            id="fo-cache",
            classes="op-field",
        )
        provider = {
            ReprotectKind.TO_VMWARE: FAILBACK_PROVIDER.lower(),
            ReprotectKind.BACK_TO_AZURE: "inmagercm",
        }.get(kind, "")
        fitting = [p for p in policies if not provider or p.provider_name.lower() == provider]
        default = "ASR's default" if kind == ReprotectKind.TO_VMWARE else "the one the item used"
        yield Label(POLICY_LABELS.get(kind, "Policy"), id="fo-policy-label", classes="op-field")
        yield Select(
            [(f"default ({default})", DEFAULT_CHOICE), *((p.name, p.name) for p in fitting)],
            value=DEFAULT_CHOICE,
            allow_blank=False,
            id="fo-policy",
            classes="op-field",
        )

    def _fill_datastores(self) -> None:
        items = self.items()
        if not items or not self.query("#fo-datastore"):
            return
        fabric, _, _ = self._reprotect_context(items[0])
        agent = self.query_one("#fo-agent", Select).value
        stores: tuple[str, ...] = ()
        if fabric is not None:
            for a in fabric.reprotect_agents:
                if a.name == agent:
                    stores = a.datastores
            for t in fabric.master_targets:
                if t.name == agent:
                    stores = t.datastores
        select = self.query_one("#fo-datastore", Select)
        current = select.value
        select.set_options([(d, d) for d in stores])
        if current in stores:
            select.value = current
        elif stores:
            select.value = stores[0]

    def _load_storage(self) -> None:
        """List the subscription's storage accounts in the cache storage picker (by name; the id is sent)."""
        actions = self.console.actions
        if actions is None:
            return

        async def load() -> None:
            try:
                accounts = await actions.load_storage_accounts()
            except Exception as exc:  # a read: say why, the item's own account stays offered
                self.notify(f"storage accounts: {exc}", severity="warning")
                return
            self._fill_storage(accounts)

        self.run_worker(
            load(), name="storage-accounts", group="storage-accounts", exclusive=True, exit_on_error=False
        )

    def _fill_storage(self, accounts: list[StorageAccount]) -> None:
        select = self.query_one("#fo-cache", Select)
        current = "" if select.value is Select.NULL else str(select.value)
        options = [(f"{a.name} ({a.location})" if a.location else a.name, a.id) for a in accounts]
        if current and not any(arm_key(a.id) == arm_key(current) for a in accounts):
            options.insert(0, (storage_label(current), current))  # the item's own, though not listed
        select.set_options(options)
        select.prompt = "choose a storage account" if options else "no storage accounts listed"
        listed = next((arm_id for _label, arm_id in options if arm_key(arm_id) == arm_key(current)), "")
        if listed:
            select.value = listed

    def _picked(self, selector: str) -> str:
        value = self.query_one(selector, Select).value
        return "" if value is Select.NULL or value == DEFAULT_CHOICE else str(value)

    def reprotect_plans(self) -> dict[str, ReprotectPlan]:
        """Each item's re-protect target resolved from the pickers (item id → plan)."""
        kind = reprotect_kind(self.items()[0]) if self.items() else ReprotectKind.NONE
        agent = self._picked("#fo-agent")
        wanted = ReprotectWanted(
            agent="" if kind == ReprotectKind.BACK_TO_AZURE else agent,
            process_server=agent if kind == ReprotectKind.BACK_TO_AZURE else "",
            datastore=self._picked("#fo-datastore"),
            cache_storage=self._picked("#fo-cache"),
            policy=self._picked("#fo-policy"),
        )
        plans = {}
        for item in self.items():
            fabric, servers, policies = self._reprotect_context(item)
            plans[item.id] = resolve_reprotect(item, fabric, servers, policies, wanted)
        return plans

    def on_mount(self) -> None:
        if self.query("#fo-agent"):
            self._fill_datastores()
            if self.items() and reprotect_kind(self.items()[0]) == ReprotectKind.TO_VMWARE:
                self._load_storage()
        if self.query("#fo-op"):
            self._arrange()
            if len(self.item_ids) == 1:
                self._load_points(self.item_ids[0])
            else:
                self._fill_points()

    def _load_points(self, item_id: str) -> None:
        actions = self.console.actions
        if actions is None:
            self._fill_points()
            return

        async def load() -> None:
            try:
                await actions.load_recovery_points(item_id)
            except Exception as exc:  # a read: show why, the custom list stays empty
                self.notify(f"recovery points: {exc}", severity="warning")
            self._fill_points()

        self.run_worker(
            load(), name="recovery-points", group="recovery-points", exclusive=True, exit_on_error=False
        )

    def _fill_points(self) -> None:
        store = self.console.store
        points = sorted(
            (p for p in store.all(RecoveryPoint) if p.item_id in self.item_ids),
            key=lambda p: p.time.timestamp() if p.time else 0.0,
            reverse=True,
        )
        select = self.query_one("#fo-custom-point", Select)
        select.prompt = (
            f"pick one of {len(points)} recovery points" if points else "no recovery points listed"
        )
        select.set_options(
            [(f"{stamp(p.time, utc=self.console.settings.utc)}  {p.type}", p.id) for p in points]
        )

    def operation(self) -> Operation | None:
        selects = self.query("#fo-op")
        if not selects:
            return None
        value = self.query_one("#fo-op", Select).value
        return None if value is Select.NULL else by_key(str(value))

    def point_choice(self) -> RecoveryPointChoice:
        kind = RecoveryPointKind(str(self.query_one("#fo-point", Select).value))
        op = self.operation()
        if op is not None and op.spec.listed_point_only:
            kind = RecoveryPointKind.CUSTOM
        custom = self.query_one("#fo-custom-point", Select).value
        rp_id = str(custom) if kind is RecoveryPointKind.CUSTOM and custom is not Select.NULL else ""
        return RecoveryPointChoice(kind, rp_id)

    def test_network(self) -> str:
        picked = self.query_one("#fo-network-pick", Select).value
        if picked == OTHER_NETWORK:
            return self.query_one("#fo-network", Input).value.strip()
        return "" if picked is Select.NULL else str(picked)

    @on(Select.Changed, "#fo-network-pick")
    def _network_picked(self, event: Select.Changed) -> None:
        op = self.operation()
        # only when the user picked "Other…": the dialog still opens on its first field
        if (
            event.value == OTHER_NETWORK
            and op is not None
            and op.spec.needs_network
            and event.select.has_focus_within
        ):
            self.query_one("#fo-network", Input).focus()

    @on(Select.Changed, "#fo-agent")
    def _agent_picked(self) -> None:
        self._fill_datastores()

    @on(Select.Changed)
    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        self._arrange()

    def _arrange(self) -> None:
        op = self.operation()
        if op is None:
            for field in self.query(".op-field"):
                field.add_class("hidden")
            self.query_one("#fo-preview", Static).update("Choose an operation: nothing is preselected.")
            return
        spec = op.spec
        kind = str(self.query_one("#fo-point", Select).value)
        custom = spec.listed_point_only or kind == RecoveryPointKind.CUSTOM.value
        self.query_one("#fo-point-label").set_class(not spec.needs_point, "hidden")
        self.query_one("#fo-point").set_class(not spec.needs_point or spec.listed_point_only, "hidden")
        self.query_one("#fo-custom-point").set_class(not (spec.needs_point and custom), "hidden")
        self.query_one("#fo-net-label").set_class(not spec.needs_network, "hidden")
        self.query_one("#fo-network-pick").set_class(not spec.needs_network, "hidden")
        other = self.query_one("#fo-network-pick", Select).value == OTHER_NETWORK
        self.query_one("#fo-network").set_class(not (spec.needs_network and other), "hidden")
        wants_notes = ExtraInput.NOTES in spec.inputs
        self.query_one("#fo-notes-label").set_class(not wants_notes, "hidden")
        self.query_one("#fo-notes").set_class(not wants_notes, "hidden")
        self.query_one("#fo-shutdown").set_class(ExtraInput.SHUTDOWN_SOURCE not in spec.inputs, "hidden")
        wants_target = ExtraInput.REPROTECT_TARGET in spec.inputs
        kind = reprotect_kind(self.items()[0]) if self.items() else ReprotectKind.NONE
        shown = {
            "#fo-agent-label": wants_target,
            "#fo-agent": wants_target,
            "#fo-datastore-label": wants_target and kind != ReprotectKind.BACK_TO_AZURE,
            "#fo-datastore": wants_target and kind != ReprotectKind.BACK_TO_AZURE,
            "#fo-cache-label": wants_target and kind == ReprotectKind.TO_VMWARE,
            "#fo-cache": wants_target and kind == ReprotectKind.TO_VMWARE,
            "#fo-policy-label": wants_target,
            "#fo-policy": wants_target,
            "#fo-rp-type-label": ExtraInput.RECOVERY_POINT_TYPE in spec.inputs,
            "#fo-rp-type": ExtraInput.RECOVERY_POINT_TYPE in spec.inputs,
        }
        for selector, visible in shown.items():
            self.query_one(selector).set_class(not visible, "hidden")
        self.query_one("#fo-preview", Static).update(self.preview(op))

    def preview(self, op: Operation) -> str:
        return "\n".join(self.plan(op, limit=12))

    def plan(self, op: Operation, *, limit: int = 0) -> list[str]:
        """What happens to each item (the first ``limit`` when given), then the inputs chosen."""
        spec = op.spec
        shown = self.items()[:limit] if limit else self.items()
        lines = [spec.preview.format(name=i.display_name) for i in shown]
        if limit and len(self.item_ids) > limit:
            lines.append(f"… and {len(self.item_ids) - limit} more")
        if spec.needs_point:
            choice = self.point_choice()
            point = (
                self.console.store.typed(RecoveryPoint, choice.recovery_point_id)
                if choice.recovery_point_id
                else None
            )
            if point is not None:
                picked = f"{stamp(point.time, utc=self.console.settings.utc)} {point.type}"
                lines.append(f"Recovery point: {picked}")
            else:
                lines.append(f"Recovery point: {POINT_LABELS[choice.kind]}")
        if spec.needs_network and self.test_network():
            lines.append(f"Test network: {network_label(self.test_network())}")
        if ExtraInput.NOTES in spec.inputs:
            notes = self.query_one("#fo-notes", Input).value.strip()
            lines.append(f"Notes: {notes}" if notes else "Notes: none")
        if ExtraInput.SHUTDOWN_SOURCE in spec.inputs:
            shutdown = self.query_one("#fo-shutdown", Checkbox).value
            lines.append("Source VMs are shut down first." if shutdown else "Source VMs keep running.")
        if ExtraInput.REPROTECT_TARGET in spec.inputs and self.items():
            plan = self.reprotect_plans().get(self.items()[0].id)
            if plan is not None and plan.shown:
                lines.append(
                    "Re-protect to: "
                    + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in plan.shown.items() if v)
                )
        if ExtraInput.RECOVERY_POINT_TYPE in spec.inputs:
            lines.append(f"Failback point: latest {self.query_one('#fo-rp-type', Select).value}")
        if spec.irreversible:
            lines.append(
                f"This cannot be undone: you will type {self.expected_confirmation()!r} to go ahead."
            )
        else:
            lines.append("You will press y to go ahead.")
        return lines

    def expected_confirmation(self) -> str:
        items = self.items()
        if len(items) == 1:
            return items[0].display_name
        vault = next(iter(self.console.store.all(Vault)), None)
        return self.console.settings.vault or (vault.name if vault else "vault")

    def validate(self, op: Operation) -> list[FieldError]:
        errors: list[FieldError] = []
        for item in self.items():
            if op is Operation.UPDATE_MOBILITY_SERVICE:
                if not agent_update_offered(item):
                    errors.append(
                        FieldError(
                            "operation", f"{item.display_name}: ASR reports no Mobility service upgrade"
                        )
                    )
                continue
            if op is Operation.PURGE:
                if not purgeable(item.allowed_operations, item.protection_state, item.current_scenario):
                    errors.append(
                        FieldError(
                            "operation",
                            f"{item.display_name} is not stuck ({item.protection_state}); purge is for "
                            "items in a failed state or where nothing else is allowed",
                        )
                    )
                continue
            errors += require_allowed(op.asr_name, item.allowed_operations, item.display_name)
        if len(self.items()) != len(self.item_ids):
            errors.append(FieldError("items", "some items left the vault; reopen the dialog"))
        if op.spec.needs_point:
            errors += self.point_choice().validate()
            if self.point_choice().kind is RecoveryPointKind.CUSTOM and len(self.item_ids) > 1:
                errors.append(FieldError("recovery_point", "a custom point applies to one item only"))
        if op.spec.needs_network:
            errors += self._network_errors(self.test_network())
        if ExtraInput.REPROTECT_TARGET in op.spec.inputs:
            kinds = {reprotect_kind(i) for i in self.items()}
            if len(kinds) > 1:
                errors.append(FieldError("reprotect", "re-protect items going the same way together"))
            for item_id, plan in self.reprotect_plans().items():
                name = next((i.display_name for i in self.items() if i.id == item_id), item_id)
                errors += [FieldError("reprotect", f"{name}: {p}") for p in plan.problems]
        if op is Operation.FAILBACK:
            errors += [
                FieldError("operation", f"{i.display_name} is not replicating to VMware; re-protect it first")
                for i in self.items()
                if i.provider_name.lower() != FAILBACK_PROVIDER.lower()
            ]
        return errors

    def _network_errors(self, network: str) -> list[FieldError]:
        """ASR's rule, checked here against each item's failover network before anything is sent."""
        if not network:
            return validate_test_network("", "")
        clashes = [i for i in self.items() if validate_test_network(network, i.recovery_network_id)]
        if not clashes:
            return []
        error = validate_test_network(network, clashes[0].recovery_network_id)[0]
        if len(self.item_ids) == 1:
            return [error]
        names = ", ".join(i.display_name for i in clashes[:4]) + (" …" if len(clashes) > 4 else "")
        return [FieldError(error.field, f"{error.message} (it is the failover network of {names})")]

    @on(Button.Pressed, "#fo-run")
    def _run_pressed(self) -> None:
        self.action_run()

    @on(Button.Pressed, "#fo-cancel,#fo-close")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        # Enter in a field moves on; only the confirmation screen can send
        self.focus_next()

    def action_run(self) -> None:
        """Check the fields, then show the plan on a confirmation screen; never send from here."""
        op = self.operation()
        if op is None:
            self.errors = [FieldError("operation", "choose an operation")]
            self.query_one("#fo-errors", Static).update("Operation: choose an operation")
            return
        self.errors = self.validate(op)
        self.query_one("#fo-errors", Static).update(
            "\n".join(f"{FIELD_LABELS.get(e.field, e.field)}: {e.message}" for e in self.errors)
        )
        if self.errors:
            return
        from asr_console.screens.confirm import confirm_write

        steps = [step for step in self.plan(op) if not step.startswith(("This cannot", "You will press"))]
        confirm_write(
            self.app,
            f"{op.label} of {len(self.item_ids)} item(s)",
            steps,
            lambda: self._send(op),
            typed=self.expected_confirmation() if op.spec.irreversible else "",
            declined=lambda: self.query_one("#fo-errors", Static).update("Not confirmed; nothing was sent."),
        )

    def _call_for(self, op: Operation, item_id: str) -> Callable[[], Awaitable[Job]]:
        actions = self.console.actions
        plan = self.reprotect_plans().get(item_id) if ExtraInput.REPROTECT_TARGET in op.spec.inputs else None
        given = OperationInputs(
            recovery_point=self.point_choice(),
            network_id=self.test_network(),
            notes=self.query_one("#fo-notes", Input).value.strip(),
            shutdown_source=self.query_one("#fo-shutdown", Checkbox).value,
            reprotect=plan.target if plan is not None else None,
            recovery_point_type=FailbackPointType(str(self.query_one("#fo-rp-type", Select).value)),
        )
        return lambda: actions.operate(op, item_id, given)

    def _send(self, op: Operation) -> None:
        console = self.console
        console.follow_jobs([])
        names = {i.id: i.display_name for i in self.items()}
        for item_id in self.item_ids:
            console.start_action(
                f"{op.label.lower()} {names.get(item_id, item_id.rsplit('/', 1)[-1])}",
                self._call_for(op, item_id),
                on_done=lambda job: (
                    console.follow_jobs([job.id], append=True) if isinstance(job, Job) else None
                ),
            )
        self.dismiss(None)
        if console.current_mode != "failover":
            console.switch_to("failover")

    def action_cancel(self) -> None:
        self.dismiss(None)
