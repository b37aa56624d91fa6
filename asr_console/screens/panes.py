"""The top-level modes: one screen per pane, each a status bar, one view, a filter line and the footer.

Screens are thin: they compose a view, turn keys into dialogs and call ``app.start_action``. No I/O.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Footer, Input

from asr_console.model.operations import Operation
from asr_console.model.records import Job, Policy, ProtectedItem, VirtualMachine
from asr_console.widgets.capacity import CapacityView
from asr_console.widgets.console import ConsoleAccess
from asr_console.widgets.doctor import DoctorView
from asr_console.widgets.events import EventsView
from asr_console.widgets.failover import FailoverView
from asr_console.widgets.filterbar import FilterBar
from asr_console.widgets.health import HealthView
from asr_console.widgets.infra import InfraView
from asr_console.widgets.inventory import InventoryView
from asr_console.widgets.jobs import JobsView
from asr_console.widgets.network import NetworkView
from asr_console.widgets.policies import PoliciesView
from asr_console.widgets.status import StatusBar
from asr_console.widgets.summary import SiteSummary
from asr_console.widgets.table import KeyedTable
from asr_console.widgets.tableview import TableView


class PaneScreen(ConsoleAccess, Screen[None]):
    PANE_TITLE: ClassVar[str] = ""
    PANE_HELP: ClassVar[str] = ""
    # This pane's actions that write to ASR: a read-only console neither shows nor runs them.
    WRITE_ACTIONS: ClassVar[frozenset[str]] = frozenset()
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: run as the key arrives, before the keys typed after it are sent to the table
        Binding("slash", "filter", "Filter", key_display="/", priority=True),
        Binding("escape", "back", "Back", show=False),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in self.WRITE_ACTIONS and self.console.read_only)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield from self.body()
        yield FilterBar()
        yield Footer()

    def body(self) -> ComposeResult:
        yield from ()

    def main_view(self) -> TableView | None:
        views = self.query(TableView)
        focused = self.focused
        for view in views:
            if focused is not None and focused in view.table.ancestors_with_self:
                return view
            if focused is view.table:
                return view
        return views.first() if views else None

    def main_table(self) -> KeyedTable | None:
        view = self.main_view()
        return view.table if view else None

    def on_mount(self) -> None:
        table = self.main_table()
        if table is not None:
            table.focus()

    def on_screen_resume(self) -> None:
        self.console.resync_screen()

    def action_filter(self) -> None:
        if isinstance(self.focused, Input):
            raise SkipAction()  # a `/` typed into the filter (a regex) or another field
        table = self.main_table()
        if table is not None:
            self.query_one(FilterBar).open_for(table)

    async def open_operation_dialog(self, items: list[ProtectedItem]) -> None:
        """The `o` key (a priority binding): the operation dialog on ``items``. Awaited, so the app
        handles the keys typed after `o` only once the dialog is mounted with its first field focused;
        a burst (a paste, tmux send-keys) then lands in the dialog instead of the table."""
        from asr_console.screens.failover import open_failover

        if isinstance(self.focused, Input):
            raise SkipAction()  # an o typed into the filter or another field
        opening = open_failover(self.console, items)
        if opening is not None:
            await opening

    @on(FilterBar.Applied)
    def _filter_applied(self) -> None:
        for view in self.query(TableView):
            view.update_headline()

    def action_back(self) -> None:
        table = self.main_table()
        if table is not None and table.filter_text:
            bar = self.query_one(FilterBar)
            bar.action_clear()
            return
        if self.app.current_mode != "overview":
            self.app.switch_mode("overview")

    def pane_commands(self) -> list[tuple[str, str, Any]]:
        """This pane's own keys as commands (palette and `:`), e.g. ":policies new"."""
        commands = []
        mode = getattr(self.app, "current_mode", "")
        for binding in type(self).__dict__.get("BINDINGS", []):
            if not isinstance(binding, Binding) or not binding.description:
                continue
            if not self.check_action(binding.action, ()):
                continue
            words = binding.description.rstrip("…").lower()
            commands.append(
                (
                    f"{mode} {words}",
                    f"{self.PANE_TITLE}: {binding.description} (key {binding.key_display or binding.key})",
                    partial(self.call_later, self.run_action, binding.action),
                )
            )
        return commands


class DetailsOnEnter(PaneScreen):
    """A pane whose Enter shows the row's record in full."""

    @on(KeyedTable.Activated)
    def _details(self, event: KeyedTable.Activated) -> None:
        from asr_console.screens.details import RecordDetailScreen

        record = event.table.record(event.key)
        if record is not None:
            self.app.push_screen(RecordDetailScreen(record))


class OverviewScreen(PaneScreen):
    PANE_TITLE = "Overview"
    PANE_HELP = """
The whole site at a glance: inventory, replication health, policies and jobs, live. Enter on a tile
opens its pane; tab moves between tiles. Below 140×40 only health is shown, with a summary line.
"""
    NARROW_WIDTH = 140
    NARROW_HEIGHT = 40
    TILE_MODES: ClassVar[dict[str, str]] = {
        "tile-vms": "vms",
        "tile-health": "health",
        "tile-policies": "policies",
        "tile-jobs": "jobs",
    }

    def body(self) -> ComposeResult:
        yield SiteSummary("", id="overview-summary")
        with Grid(id="overview-grid"):
            yield InventoryView(compact=True, id="tile-vms")
            yield HealthView(compact=True, id="tile-health")
            yield PoliciesView(compact=True, id="tile-policies")
            yield JobsView(compact=True, id="tile-jobs")

    def on_mount(self) -> None:
        self._layout(self.app.size.width, self.app.size.height)
        self.query_one("#tile-health", HealthView).table.focus()

    def on_resize(self) -> None:
        self._layout(self.size.width, self.size.height)

    def _layout(self, width: int, height: int) -> None:
        narrow = width < self.NARROW_WIDTH or height < self.NARROW_HEIGHT
        self.set_class(narrow, "narrow")

    @on(KeyedTable.Activated)
    def _open_tile(self, event: KeyedTable.Activated) -> None:
        for view in event.table.ancestors:
            if isinstance(view, TableView) and view.id in self.TILE_MODES:
                self.app.switch_mode(self.TILE_MODES[view.id])
                return


class HealthScreen(PaneScreen):
    PANE_TITLE = "Replication health"
    PANE_HELP = """
Protected items with health, protection state, RPO against the policy's threshold (green within,
amber above 80 %, red above), last recovery point age, initial replication, resync, agent and errors.
Enter opens details: every health error with possible causes and recommended action, recovery points
and the item's jobs. o opens the operation dialog for the marked items (or the one under the cursor),
with the safe next step preselected (cleanup, resync or test failover; never a failover).
"""
    # priority: run as the key arrives, so the keys typed after it reach the dialog (action_operate)
    BINDINGS: ClassVar[list[BindingType]] = [Binding("o", "operate", "Operation…", priority=True)]
    WRITE_ACTIONS = frozenset({"operate"})

    def body(self) -> ComposeResult:
        yield HealthView(id="health")

    @on(KeyedTable.Activated)
    def _details(self, event: KeyedTable.Activated) -> None:
        from asr_console.screens.details import ItemDetailScreen

        self.app.push_screen(ItemDetailScreen(event.key))

    async def action_operate(self) -> None:
        view = self.query_one(HealthView)
        items = view.table.marked_records() or (
            [view.table.cursor_record] if view.table.cursor_record else []
        )
        await self.open_operation_dialog(items)


class JobsScreen(PaneScreen):
    PANE_TITLE = "Jobs"
    PANE_HELP = """
ASR jobs of the last days. t cycles the state filter (all, running, failed, succeeded, cancelled);
c cancels and r restarts the job under the cursor when ASR allows it. Enter shows tasks and errors.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "state_filter", "State filter"),
        Binding("c", "cancel_job", "Cancel job"),
        Binding("r", "restart_job", "Restart job"),
    ]
    WRITE_ACTIONS = frozenset({"cancel_job", "restart_job"})

    def body(self) -> ComposeResult:
        yield JobsView(id="jobs")

    @on(KeyedTable.Activated)
    def _details(self, event: KeyedTable.Activated) -> None:
        from asr_console.screens.details import JobDetailScreen

        self.app.push_screen(JobDetailScreen(event.key))

    def action_state_filter(self) -> None:
        state = self.query_one(JobsView).cycle_state_filter()
        self.notify(f"jobs: {state}", timeout=2)

    def _job_action(self, op: Operation) -> None:
        job: Job | None = self.query_one(JobsView).table.cursor_record
        verb = op.spec.short
        if job is None or self.console.refuse_if_read_only(op.label.lower()):
            return
        if job.allowed_actions and not op.allowed_by(job.allowed_actions):
            self.notify(
                f"ASR does not allow {verb} for {job.display_name} now "
                f"(allowed: {', '.join(job.allowed_actions)})",
                severity="warning",
            )
            return
        from asr_console.screens.confirm import confirm_write

        def send() -> None:
            actions = self.console.actions
            self.console.start_action(op.action, lambda: actions.operate(op, job.id))

        confirm_write(
            self.app,
            f"{op.label}?",
            [f"Job: {job.display_name}", f"Target: {job.target_object_name or '—'}", f"State: {job.state}"],
            send,
        )

    def action_cancel_job(self) -> None:
        self._job_action(Operation.CANCEL_JOB)

    def action_restart_job(self) -> None:
        self._job_action(Operation.RESTART_JOB)


class VmsScreen(PaneScreen):
    PANE_TITLE = "vCenter inventory"
    PANE_HELP = """
The datacenter / cluster / host tree beside the VMs (select a node to scope the table, esc widens
again). Columns: power, guest OS, CPU, memory, disks, churn, Azure compatibility and the protection
badge (health and RPO of the matching protected item). Space marks VMs; e enables replication for the
marked VMs (or the one under the cursor). Enter opens VM details.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "enable", "Enable replication…"),
        Binding("tab", "focus_next", "Tree/table", show=False),
    ]
    WRITE_ACTIONS = frozenset({"enable"})

    def body(self) -> ComposeResult:
        yield InventoryView(id="vms")

    @on(KeyedTable.Activated)
    def _details(self, event: KeyedTable.Activated) -> None:
        from asr_console.screens.details import VmDetailScreen

        self.app.push_screen(VmDetailScreen(event.key))

    def action_back(self) -> None:
        view = self.query_one(InventoryView)
        if view.scope is not None and not view.table.filter_text:
            view.set_scope(None)
            return
        super().action_back()

    def action_enable(self) -> None:
        if self.console.refuse_if_read_only("enable replication"):
            return
        from asr_console.screens.enable import EnableReplicationScreen

        table = self.query_one(InventoryView).table
        vms: list[VirtualMachine] = table.marked_records() or (
            [table.cursor_record] if table.cursor_record else []
        )
        if not vms:
            self.notify("mark VMs with space first", severity="warning")
            return
        self.app.push_screen(EnableReplicationScreen([vm.moref for vm in vms]))


class PoliciesScreen(DetailsOnEnter):
    PANE_TITLE = "Replication policies"
    PANE_HELP = """
Policies with their settings and the configuration servers or appliances they are associated with.
Enter opens details. n creates, e edits, d deletes (type the name to confirm), a associates with a
container, x dissociates, U turns the Mobility agents' auto-upgrade on or off for its modernized
associations. The form validates as you type; y on the plan sends it; it then shows the ASR job it
started.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("d", "delete", "Delete"),
        Binding("a", "associate", "Associate"),
        Binding("x", "dissociate", "Dissociate"),
        Binding("U", "auto_upgrade", "Auto-upgrade"),
    ]
    WRITE_ACTIONS = frozenset({"new", "edit", "delete", "associate", "dissociate", "auto_upgrade"})

    def body(self) -> ComposeResult:
        yield PoliciesView(id="policies")

    def _policy(self) -> Policy | None:
        policy: Policy | None = self.query_one(PoliciesView).table.cursor_record
        return policy

    def action_new(self) -> None:
        if self.console.refuse_if_read_only("create policy"):
            return
        from asr_console.screens.policy_form import PolicyFormScreen

        self.app.push_screen(PolicyFormScreen(None))

    def action_edit(self) -> None:
        policy = self._policy()
        if policy is None or self.console.refuse_if_read_only("update policy"):
            return
        from asr_console.screens.policy_form import PolicyFormScreen

        self.app.push_screen(PolicyFormScreen(policy))

    def action_delete(self) -> None:
        policy = self._policy()
        if policy is None or self.console.refuse_if_read_only("delete policy"):
            return
        from asr_console.screens.confirm import confirm_write

        def send() -> None:
            self.console.start_action(
                Operation.DELETE_POLICY.action, lambda: self.console.actions.delete_policy(policy.id)
            )

        confirm_write(
            self.app,
            f"Delete policy {policy.name}",
            [f"Policy: {policy.name} ({policy.provider.value})", "The policy is deleted in the vault."],
            send,
            typed=policy.name,
        )

    def action_associate(self) -> None:
        policy = self._policy()
        if policy is None or self.console.refuse_if_read_only("associate policy"):
            return
        from asr_console.screens.policy_form import AssociateScreen

        self.app.push_screen(AssociateScreen(policy))

    def action_auto_upgrade(self) -> None:
        """Turn the Mobility agents' auto-upgrade on (or, when every mapping has it, off) for the
        policy's modernized associations: the container mapping update ASR defines for it."""
        policy = self._policy()
        if policy is None or self.console.refuse_if_read_only("agent auto-upgrade"):
            return
        from asr_console.model.queries import mappings_of_policy
        from asr_console.screens.confirm import confirm_write

        mappings = [
            m for m in mappings_of_policy(self.console.store, policy.id) if m.agent_auto_upgrade is not None
        ]
        if not mappings:
            self.notify(f"{policy.name}: no modernized (InMageRcm) association to update", severity="warning")
            return
        turn_on = not all(m.agent_auto_upgrade for m in mappings)
        state = "on" if turn_on else "off"

        def send() -> None:
            async def update_all() -> None:
                for mapping in mappings:
                    await self.console.actions.update_mapping(mapping.id, turn_on)

            self.console.start_action(Operation.UPDATE_MAPPING.action, update_all)

        confirm_write(
            self.app,
            f"Mobility agent auto-upgrade {state}",
            [f"Policy: {policy.name}"]
            + [f"Association: {m.name} (now {'on' if m.agent_auto_upgrade else 'off'})" for m in mappings]
            + [
                f"ASR {'keeps' if turn_on else 'stops keeping'} these containers' Mobility agents up to date."
            ],
            send,
        )

    def action_dissociate(self) -> None:
        policy = self._policy()
        if policy is None or self.console.refuse_if_read_only("dissociate policy"):
            return
        from asr_console.screens.policy_form import DissociateScreen

        self.app.push_screen(DissociateScreen(policy))


class FailoverScreen(PaneScreen):
    PANE_TITLE = "Failover"
    PANE_HELP = """
Mark protected items with space (or use the one under the cursor), then o to choose an operation ASR
allows for them: test failover, cleanup, failover, change recovery point, commit, re-protect, resync or
disable replication; the safe next step is preselected, never a failover. Enter opens the item's
details. p picks a recovery plan instead. The dialog previews what happens to each item; nothing is
sent before you confirm the plan: y, or the item (or vault) name typed for what cannot be undone.
Progress of the started jobs follows below, task by task.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "operate", "Operation…", priority=True),  # as in HealthScreen
        Binding("p", "plan", "Recovery plan…"),
        Binding("u", "clear_marks", "Unmark all"),
    ]
    WRITE_ACTIONS = frozenset({"operate", "plan"})

    def body(self) -> ComposeResult:
        from asr_console.widgets.progress import JobProgress

        yield FailoverView(id="failover")
        yield JobProgress(id="failover-progress")

    @on(KeyedTable.Activated)
    def _details(self, event: KeyedTable.Activated) -> None:
        from asr_console.screens.details import ItemDetailScreen

        self.app.push_screen(ItemDetailScreen(event.key))

    async def action_operate(self) -> None:
        table = self.query_one(FailoverView).table
        items: list[ProtectedItem] = table.marked_records() or (
            [table.cursor_record] if table.cursor_record else []
        )
        await self.open_operation_dialog(items)

    def action_plan(self) -> None:
        from asr_console.screens.failover import open_plan_picker

        open_plan_picker(self.console)

    def action_clear_marks(self) -> None:
        self.query_one(FailoverView).table.clear_marks()


class InfraScreen(DetailsOnEnter):
    PANE_TITLE = "Infrastructure"
    PANE_HELP = """
Configuration servers (classic) and replication appliances (modernized) with their process servers and
registered vCenters: health, heartbeat age, load and error counts. Enter shows health errors.
"""

    def body(self) -> ComposeResult:
        yield InfraView(id="infra")


class EventsScreen(DetailsOnEnter):
    PANE_TITLE = "Events"
    PANE_HELP = """
Activity: vCenter events and tasks, ASR events, and this console's own actions (every write, its
targets and result), newest first. Filter with / (e.g. "console" or "re:fail|error").
"""

    def body(self) -> ComposeResult:
        yield EventsView(id="events")


class CapacityScreen(DetailsOnEnter):
    PANE_TITLE = "Capacity"
    PANE_HELP = """
Capacity planning from the churn vCenter reports: per VM its peak and average writes, GiB a day, the
upload bandwidth its RPO target needs (busiest RPO-long window plus 30 % growth, as ASR's Deployment
Planner plans), and its initial replication time over the process servers' measured throughput. The
headline sums the set. "At risk": a disk above its target type's churn limit, a VM above 54 MB/s, an
RPO near its policy's threshold. g groups by risk; `asr-console capacity` prints the same plan.
"""

    def body(self) -> ComposeResult:
        yield CapacityView(id="capacity")


class DoctorScreen(PaneScreen):
    PANE_TITLE = "Doctor"
    PANE_HELP = """
Deployment checks, worst first: the vault, the appliance and its process servers, the vCenters it
discovers, Mobility agents, the vCenter account's privileges, VM compatibility and capacity — each with
what was found and how to fix it. Checks rerun as the data changes; r reads the vCenter privileges
again. Enter shows a check in full; g groups by area or verdict. `asr-console doctor` runs the same checks.
p prepares Azure: when the profile's target resource group, network or cache storage account is missing,
it shows what it would create (in the vault's region) and creates it once you type the resource group's
name; the checks are read again after. `asr-console prepare-azure` does the same.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "recheck", "Recheck"),
        Binding("p", "prepare", "Prepare Azure…"),
    ]
    WRITE_ACTIONS = frozenset({"prepare"})

    def body(self) -> ComposeResult:
        yield DoctorView(id="doctor")

    def on_mount(self) -> None:
        super().on_mount()
        self.action_recheck()

    def action_recheck(self) -> None:
        session = self.console.session
        view = self.query_one(DoctorView)

        async def load() -> None:
            try:
                reports = await session.check_privileges()
            except Exception as exc:  # a read: the privilege checks say why they are unknown
                view.set_privileges(None, str(exc))
            else:
                view.set_privileges(reports)
            view.set_access(await session.check_access())

        self.run_worker(load(), name="doctor-reads", group="doctor", exclusive=True, exit_on_error=False)

    def action_prepare(self) -> None:
        from asr_console.screens.prepare import open_prepare_azure

        open_prepare_azure(self, self.query_one(DoctorView).access)

    @on(KeyedTable.Activated)
    def _details(self, event: KeyedTable.Activated) -> None:
        from asr_console.screens.details import CheckDetailScreen

        check = self.query_one(DoctorView).checks.get(event.key)
        if check is not None:
            self.app.push_screen(CheckDetailScreen(check))


class NetworkScreen(PaneScreen):
    PANE_TITLE = "Network plan"
    PANE_HELP = """
The network plan: each vCenter port group, how many VMs use it, and the Azure network / subnet the
profile's [network_map."PORT GROUP"] sends it to on failover and on test failover; unmapped port groups
with VMs come first. "Outside the subnet" lists VMs whose addresses the mapped subnet does not hold (they
change address on failover). r reads the Azure networks again.
"""
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "reload", "Reload")]

    def body(self) -> ComposeResult:
        yield NetworkView(id="network")

    def on_mount(self) -> None:
        super().on_mount()
        self.action_reload()

    def action_reload(self) -> None:
        service = self.console.session.service
        view = self.query_one(NetworkView)

        async def load() -> None:
            try:
                networks = await service.virtual_networks()
            except Exception as exc:  # a read: the view says why the subnet check is unknown
                view.set_azure_networks(None, str(exc))
                return
            view.set_azure_networks(list(networks))

        self.run_worker(load(), name="azure-networks", group="network", exclusive=True, exit_on_error=False)


SCREENS: dict[str, type[PaneScreen]] = {
    "overview": OverviewScreen,
    "vms": VmsScreen,
    "health": HealthScreen,
    "policies": PoliciesScreen,
    "failover": FailoverScreen,
    "jobs": JobsScreen,
    "infra": InfraScreen,
    "events": EventsScreen,
    "capacity": CapacityScreen,
    "doctor": DoctorScreen,
    "network": NetworkScreen,
}
