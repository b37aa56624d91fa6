"""Issue 12 §1–4: Enter opens details and operations come from `o` with a safe preselection; no write
from Enter or Tab alone; every dialog opens on its first field, visibly focused in every theme, Tab
through fields then buttons; keys typed right after `:` or `/` all land in the bar."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual import events
from textual.widget import Widget
from textual.widgets import Button, Input, Select

from asr_console.app import AsrConsoleApp
from asr_console.model.operations import ITEM_OPERATIONS, Operation, safe_next_step
from asr_console.model.records import ProtectedItem
from asr_console.model.store import Batch
from asr_console.screens.failover import FailoverDialog
from asr_console.screens.policy_form import PolicyFormScreen
from asr_console.widgets.failover import FailoverView
from asr_console.widgets.health import HealthView
from asr_console.widgets.jobs import JobsView
from asr_console.widgets.policies import PoliciesView
from tests.ui_fixtures import item_id, make_test_app, open_pane, policy_id, screen_as, screen_name
from tests.waiting import wait_until

THEMES = ("dark", "light", "high-contrast", "monochrome")


def test_the_safe_next_step_is_never_irreversible_whatever_asr_allows() -> None:
    everything = [op.asr_name for op in ITEM_OPERATIONS]
    for resync in (False, True):
        for n in range(1 << len(everything)):
            allowed = [name for bit, name in enumerate(everything) if n >> bit & 1]
            step = safe_next_step(allowed, resync_required=resync)
            assert step is None or (not step.spec.irreversible and step.allowed_by(allowed))
    assert safe_next_step(everything, resync_required=False) is Operation.TEST_FAILOVER_CLEANUP
    after_test = ["TestFailover", "RepairReplication", "UnplannedFailover"]
    assert safe_next_step(after_test, resync_required=True) is Operation.RESYNC
    assert safe_next_step(after_test, resync_required=False) is Operation.TEST_FAILOVER
    assert safe_next_step(["UnplannedFailover", "Commit"], resync_required=False) is None


@pytest.mark.parametrize("mode,view", [("failover", FailoverView), ("health", HealthView)])
async def test_enter_opens_the_items_details(mode: str, view: type[FailoverView | HealthView]) -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, mode, view, 12)).table
        await pilot.press("space", "enter")  # even with an item marked
        await wait_until(lambda: screen_name(app) == "ItemDetailScreen", pilot=pilot)
        assert table.marks and app.service.calls == []


@pytest.mark.parametrize(
    "n,preselected",
    [
        (3, "TestFailover"),  # Critical, and ASR allows an unplanned failover: still the test
        (9, "RepairReplication"),  # resync required
        (10, "TestFailoverCleanup"),  # a test failover waits for its cleanup
        (12, None),  # failed over: only Commit and ChangePit, neither undoable, so nothing
    ],
)
async def test_o_in_health_preselects_the_safe_next_step(n: int, preselected: str | None) -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, "health", HealthView, 12)).table
        assert table.move_cursor_to(item_id(n))
        await pilot.press("o")
        await wait_until(lambda: screen_name(app) == "FailoverDialog", pilot=pilot)
        dialog = screen_as(app, FailoverDialog)
        value = dialog.query_one("#fo-op", Select).value
        assert (None if value is Select.NULL else value) == preselected
        assert app.focused is dialog.query_one("#fo-op")


async def test_f_in_health_opens_nothing() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, app, "health", HealthView, 12)
        # f does nothing; / after it opens the filter, so once the filter has focus, f was handled
        await pilot.press("f", "slash")
        await wait_until(lambda: isinstance(app.focused, Input), pilot=pilot)
        assert screen_name(app) == "HealthScreen"


async def test_tab_and_enter_alone_never_send_from_the_failover_dialog() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        # a test network the vault used before: everything a test failover needs is preselected
        vnets = "/subscriptions/s/resourceGroups/rg-dr/providers/Microsoft.Network/virtualNetworks"
        items = [i for i in app.store.all(ProtectedItem) if i.id in (item_id(2), item_id(3))]
        app.store.apply(
            Batch().upsert(
                *(
                    replace(i, recovery_network_id=f"{vnets}/dr", test_network_id=f"{vnets}/test")
                    for i in items
                )
            )
        )
        table = (await open_pane(pilot, app, "failover", FailoverView, 12)).table
        assert table.move_cursor_to(item_id(3))  # Critical: ASR allows an unplanned failover
        await pilot.press("space", "o")
        await wait_until(lambda: screen_name(app) == "FailoverDialog", pilot=pilot)
        for _ in range(12):
            await pilot.press("tab", "enter")
        await pilot.press("enter", "enter", "tab", "enter")
        # Enter on "Review…" opens the plan at most, on "Cancel" closes the dialog, on a row opens its
        # details: only y (or the typed name) sends
        assert app.service.calls == []


async def test_each_dialog_opens_on_its_first_field_and_tabs_through_fields_then_buttons() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_pane(pilot, app, "policies", PoliciesView, 2)
        await pilot.press("n")
        await wait_until(lambda: screen_name(app) == "PolicyFormScreen", pilot=pilot)
        form = screen_as(app, PolicyFormScreen)
        assert app.focused is form.query_one("#f-provider")
        order: list[Widget] = []
        while not order or app.focused is not order[0]:
            assert app.focused is not None
            order.append(app.focused)
            await pilot.press("tab")
            await pilot.pause()
        assert not any(w.parent is form for w in order)  # the scrolling panel is no Tab stop
        kinds = [isinstance(w, Button) for w in order]
        assert kinds == sorted(kinds) and kinds[-1], [w.id for w in order]  # fields, then buttons
        assert [w.id for w in order][:3] == ["f-provider", "f-name", "f-recovery_point_history_minutes"]
        await pilot.press("escape")
        await wait_until(lambda: screen_name(app) == "PoliciesScreen", pilot=pilot)
        # editing: provider and name are fixed, so the first field that takes input has the focus
        assert view.table.move_cursor_to(policy_id("gold"))
        await pilot.press("e")
        await wait_until(lambda: screen_name(app) == "PolicyFormScreen", pilot=pilot)
        assert app.focused is app.screen.query_one("#f-recovery_point_history_minutes")


@pytest.mark.parametrize("theme", THEMES)
async def test_the_focused_field_stands_out_in_every_theme(theme: str) -> None:
    app = make_test_app(theme=theme)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, app, "policies", PoliciesView, 2)
        await pilot.press("n", "tab")
        await wait_until(lambda: screen_name(app) == "PolicyFormScreen", pilot=pilot)
        form = screen_as(app, PolicyFormScreen)
        name = form.query_one("#f-name", Input)
        other = form.query_one("#f-recovery_point_history_minutes", Input)
        await wait_until(lambda: app.focused is name, pilot=pilot)
        focused, unfocused = name.rich_style, other.rich_style
        assert focused.bgcolor != unfocused.bgcolor and focused.bold and not unfocused.bold


async def test_a_command_typed_in_one_burst_after_colon_lands_whole() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", *"jobs", "enter")
        await wait_until(lambda: app.current_mode == "jobs", pilot=pilot)
        assert not any("unknown command" in m for m in app.notifications)
        await wait_until(lambda: app.screen.query_one(JobsView).table.row_count > 0, pilot=pilot)
        # a `:` typed into a field is text, not a command
        await pilot.press("slash", *"re:x")
        table = app.screen.query_one(JobsView).table
        await wait_until(lambda: table.filter_text == "re:x", pilot=pilot)


async def test_an_enter_that_arrives_twice_runs_the_command_once() -> None:
    """A burst can deliver the bar's Enter twice (replayed by the bar and submitted by its input)."""
    from asr_console.screens.command_bar import CommandBar

    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", *"jobs")
        bar = screen_as(app, CommandBar)
        field = bar.query_one(Input)
        await wait_until(lambda: field.value == "jobs", pilot=pilot)
        field.post_message(Input.Submitted(field, field.value))
        field.post_message(Input.Submitted(field, field.value))
        await wait_until(lambda: app.current_mode == "jobs", pilot=pilot)
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_a_filter_typed_in_one_burst_after_slash_lands_whole() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, "failover", FailoverView, 12)).table
        await pilot.press("slash", *"app-01", "enter")
        await wait_until(lambda: table.filter_text == "app-01", pilot=pilot)
        assert table.row_count == 3  # app-010, app-011, app-012


def burst(app: AsrConsoleApp, *keys: str) -> None:
    """Keys sent all at once, as a paste or tmux ``send-keys`` does: none is handled before the last
    is queued (``pilot.press`` waits for the app to go idle after each key)."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


@pytest.mark.parametrize("mode,view", [("failover", FailoverView), ("health", HealthView)])
async def test_keys_typed_in_one_burst_after_o_land_in_the_dialog(
    mode: str, view: type[FailoverView | HealthView]
) -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, mode, view, 12)).table
        assert table.move_cursor_to(item_id(10))  # a test failover waits for its cleanup
        # o, then Tab from the operation (cleanup preselected) to the notes, and the notes themselves
        burst(app, "o", "tab", *"rdp ok")
        await wait_until(lambda: screen_name(app) == "FailoverDialog", pilot=pilot)
        dialog = screen_as(app, FailoverDialog)
        notes = dialog.query_one("#fo-notes", Input)
        await wait_until(lambda: notes.value == "rdp ok", pilot=pilot, what="the notes typed after o")
        assert app.focused is notes
        assert screen_name(app) == "FailoverDialog" and app.service.calls == []


async def test_the_operation_dialog_has_its_first_field_focused_before_the_next_key() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, "failover", FailoverView, 12)).table
        assert table.move_cursor_to(item_id(10))
        focused: list[str] = []

        def record() -> None:
            focused.append(str(app.focused.id) if app.focused is not None else "")

        burst(app, "o")
        app.call_later(record)  # runs when the app has handled the o, before any key typed after it
        await wait_until(lambda: bool(focused), pilot=pilot)
        assert focused == ["fo-op"]
