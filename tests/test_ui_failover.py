"""Pilot flows of the failover pane: test failover and cleanup from the keyboard, validation, the
confirmation of every write (y, or the typed name), the safe preselection, read-only refusal, progress
followed task by task."""

from __future__ import annotations

import dataclasses

from textual.pilot import Pilot
from textual.widgets import Select

from asr_console.app import AsrConsoleApp
from asr_console.model.operations import Operation
from asr_console.model.records import Event, Job, ProtectedItem
from asr_console.model.specs import RecoveryPointChoice, RecoveryPointKind
from asr_console.model.store import Batch
from asr_console.screens.failover import OTHER_NETWORK, FailoverDialog
from asr_console.widgets.failover import FailoverView
from tests.ui_fixtures import (
    confirm_with_y,
    item_id,
    live_actions,
    make_test_app,
    open_pane,
    screen_as,
    screen_name,
    select_values,
)
from tests.waiting import wait_until

VNETS = "/subscriptions/s/resourceGroups/rg-dr/providers/Microsoft.Network/virtualNetworks"
TEST_NET = f"{VNETS}/vnet-test"
TEST_NET_2 = f"{VNETS}/vnet-test-isolated"
DR_NET = f"{VNETS}/vnet-dr-prod"


def give_networks(app: AsrConsoleApp) -> None:
    """Every item fails over into DR_NET; items 2 and 3 last tested in TEST_NET, item 5 in TEST_NET_2."""
    tested = {2: TEST_NET, 3: TEST_NET, 5: TEST_NET_2}
    items = [app.store.typed(ProtectedItem, item_id(n)) for n in range(1, 13)]
    app.store.apply(
        Batch().upsert(
            *(
                dataclasses.replace(item, recovery_network_id=DR_NET, test_network_id=tested.get(n, ""))
                for n, item in enumerate(items, start=1)
                if item is not None
            )
        )
    )


def offered(dialog: FailoverDialog) -> list[str]:
    return [str(v) for v in select_values(dialog.query_one("#fo-network-pick", Select))]


async def open_dialog_on(pilot: Pilot[None], app: AsrConsoleApp, n: int) -> None:
    table = (await open_pane(pilot, app, "failover", FailoverView, 12)).table
    await pilot.press("slash", *f"app-{n:03d}", "enter")
    await wait_until(lambda: table.cursor_key == item_id(n), pilot=pilot)
    await pilot.press("o")
    await wait_until(lambda: screen_name(app) == "FailoverDialog", pilot=pilot)


async def test_test_failover_then_cleanup_from_the_keyboard() -> None:
    app = make_test_app()
    service = app.service
    async with app.run_test(size=(120, 40)) as pilot:
        give_networks(app)
        await open_dialog_on(pilot, app, 1)
        # Test failover is preselected, the dialog starts on its first field (the operation); the test
        # network picker offers the networks the vault tested in, most used first, never the item's
        # failover network
        dialog = screen_as(app, FailoverDialog)
        operation = dialog.query_one("#fo-op", Select)
        assert app.focused is operation and operation.value == "TestFailover"
        pick = dialog.query_one("#fo-network-pick", Select)
        assert offered(dialog) == [TEST_NET, TEST_NET_2, OTHER_NETWORK]
        await pilot.press("tab", "tab")  # the recovery point, then the network picker
        await wait_until(lambda: app.focused is pick, pilot=pilot)
        await pilot.press("enter")  # open the list
        await wait_until(lambda: pick.expanded, pilot=pilot)
        await pilot.press("enter")  # take the highlighted one: the first offered
        await wait_until(lambda: not pick.expanded, pilot=pilot)
        assert "Test network: vnet-test — rg-dr" in str(dialog.query_one("#fo-preview").render())
        await pilot.press("ctrl+r")
        plan = await confirm_with_y(pilot, app)
        assert "app-001" in plan and "Test network: vnet-test" in plan and "Latest processed" in plan
        await wait_until(lambda: bool(service.calls), pilot=pilot)
        op, args = service.calls[0]
        assert op is Operation.TEST_FAILOVER
        assert args[0] == item_id(1)
        assert args[1].recovery_point.kind is RecoveryPointKind.LATEST_PROCESSED
        assert args[1].network_id == TEST_NET
        # the pane follows the job task by task
        await wait_until(
            lambda: screen_name(app) == "FailoverScreen" and bool(app.followed_jobs), pilot=pilot
        )
        progress = app.screen.query_one("#failover-progress")
        await wait_until(lambda: "Prerequisites check" in str(progress.render()), pilot=pilot)
        assert "InProgress" in str(progress.render())
        job_id = app.followed_jobs[0]
        service.complete(job_id)
        await wait_until(lambda: "✔ Test failover" in str(progress.render()), pilot=pilot)
        job = app.store.typed(Job, job_id)
        assert job is not None and job.state == "Succeeded"

        # ASR now allows the cleanup for that item (the items stream would bring this)
        item = app.store.typed(ProtectedItem, item_id(1))
        assert item is not None
        app.store.apply(
            Batch().upsert(
                dataclasses.replace(
                    item,
                    allowed_operations=("TestFailoverCleanup",),
                    test_failover_state="WaitingForCompletion",
                )
            )
        )
        await pilot.press("o")
        await wait_until(lambda: screen_name(app) == "FailoverDialog", pilot=pilot)
        cleanup = screen_as(app, FailoverDialog)
        assert cleanup.query_one("#fo-op", Select).value == "TestFailoverCleanup"
        await pilot.press("tab")  # from the operation to the notes
        await wait_until(lambda: app.focused is cleanup.query_one("#fo-notes"), pilot=pilot)
        await pilot.press(*"checked RDP and size", "enter", "ctrl+r")
        assert "Notes: checked RDP and size" in await confirm_with_y(pilot, app)
        await wait_until(lambda: len(service.calls) == 2, pilot=pilot)
        op, args = service.calls[1]
        assert op is Operation.TEST_FAILOVER_CLEANUP and args[0] == item_id(1)
        assert args[1].notes == "checked RDP and size"
        events = [e.message for e in app.store.all(Event)]
        assert any("test-failover-cleanup" in m for m in events)


async def test_test_network_equal_to_the_failover_network_is_refused_and_nothing_sent() -> None:
    app = make_test_app()
    service = app.service
    async with app.run_test(size=(120, 40)) as pilot:
        give_networks(app)
        await open_dialog_on(pilot, app, 1)
        dialog = screen_as(app, FailoverDialog)
        dialog.query_one("#fo-network-pick", Select).value = OTHER_NETWORK
        typed = dialog.query_one("#fo-network")
        await wait_until(lambda: not typed.has_class("hidden"), pilot=pilot)
        typed.focus()
        await wait_until(lambda: app.focused is typed, pilot=pilot)
        await pilot.press(*DR_NET.upper(), "enter")  # ARM ids compare case-insensitively
        assert service.calls == [] and screen_name(app) == "FailoverDialog"  # enter alone sends nothing
        await pilot.press("ctrl+r")
        await wait_until(lambda: bool(dialog.errors), pilot=pilot)
        assert screen_name(app) == "FailoverDialog"
        assert [e.field for e in dialog.errors] == ["test_network"]
        assert "must differ from the failover network" in str(dialog.query_one("#fo-errors").render())
        assert service.calls == []
        # an offered network goes through
        dialog.query_one("#fo-network-pick", Select).value = TEST_NET_2
        await pilot.press("ctrl+r")
        await confirm_with_y(pilot, app)
        await wait_until(lambda: bool(service.calls), pilot=pilot)
        op, args = service.calls[0]
        assert op is Operation.TEST_FAILOVER and args[1].network_id == TEST_NET_2


async def test_a_plan_refuses_a_network_one_of_its_items_fails_over_into() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        give_networks(app)
        item = app.store.typed(ProtectedItem, item_id(2))
        assert item is not None
        app.store.apply(Batch().upsert(dataclasses.replace(item, recovery_network_id=TEST_NET_2)))
        await pilot.press("4")
        await wait_until(lambda: app.current_mode == "failover", pilot=pilot)
        await pilot.press("p")
        await wait_until(lambda: screen_name(app) == "PlanPicker", pilot=pilot)
        await pilot.press("enter")  # web tier: items 1 and 2
        await wait_until(lambda: screen_name(app) == "FailoverDialog", pilot=pilot)
        dialog = screen_as(app, FailoverDialog)
        assert offered(dialog) == [TEST_NET, OTHER_NETWORK]  # neither item's failover network
        dialog.query_one("#fo-network-pick", Select).value = OTHER_NETWORK
        typed = dialog.query_one("#fo-network")
        await wait_until(lambda: not typed.has_class("hidden"), pilot=pilot)
        typed.focus()
        await wait_until(lambda: app.focused is typed, pilot=pilot)
        await pilot.press(*TEST_NET_2, "enter", "ctrl+r")
        await wait_until(
            lambda: "failover network of app-002" in str(dialog.query_one("#fo-errors").render()), pilot=pilot
        )
        assert app.service.calls == []


async def test_missing_test_network_shows_error_and_sends_nothing() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog_on(pilot, app, 2)
        dialog = screen_as(app, FailoverDialog)
        await pilot.press("ctrl+r")
        await wait_until(lambda: bool(dialog.errors), pilot=pilot)
        assert screen_name(app) == "FailoverDialog"
        assert any(e.field == "test_network" for e in dialog.errors)
        assert "Test network: choose an Azure network" in str(dialog.query_one("#fo-errors").render())
        assert app.service.calls == []


async def test_failover_needs_typed_item_name_and_wrong_name_sends_nothing() -> None:
    app = make_test_app()
    service = app.service
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog_on(pilot, app, 4)
        dialog = screen_as(app, FailoverDialog)
        dialog.query_one("#fo-op", Select).value = "UnplannedFailover"
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_until(lambda: screen_name(app) == "TypedConfirmScreen", pilot=pilot)
        await pilot.press(*"app-04", "enter")
        await wait_until(
            lambda: "nothing was sent" in str(app.screen.query_one("#typed-error").render()), pilot=pilot
        )
        assert screen_name(app) == "TypedConfirmScreen"
        assert service.calls == []
        await pilot.press("escape")
        await wait_until(lambda: screen_name(app) == "FailoverDialog", pilot=pilot)
        assert "nothing was sent" in str(app.screen.query_one("#fo-errors").render())
        assert service.calls == []
        await pilot.press("ctrl+r")
        await wait_until(lambda: screen_name(app) == "TypedConfirmScreen", pilot=pilot)
        await pilot.press(*"app-004", "enter")
        await wait_until(lambda: bool(service.calls), pilot=pilot)
        op, args = service.calls[0]
        assert op is Operation.UNPLANNED_FAILOVER and args[0] == item_id(4)
        assert args[1].shutdown_source is True


async def test_only_operations_allowed_for_every_marked_item_are_offered() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, "failover", FailoverView, 12)).table
        table.marks |= {item_id(1), item_id(12)}  # protected vs failed over: nothing in common
        await pilot.press("o")
        await wait_until(lambda: screen_name(app) == "FailoverDialog", pilot=pilot)
        assert app.screen.query("#fo-none")
        text = str(app.screen.query_one("#fo-none").render())
        assert "No operation is allowed" in text and "Commit" in text


async def test_read_only_refuses_failover() -> None:
    app = make_test_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, app, "failover", FailoverView, 12)
        assert not {"operate", "plan"} & live_actions(app)
        # o and p do nothing; the palette's operation is refused with a message; enter opens details
        await pilot.press("o", "p")
        assert screen_name(app) == "FailoverScreen"
        from asr_console.screens.failover import open_failover

        open_failover(app, [app.store.all(ProtectedItem)[0]])
        await wait_until(lambda: any("read-only" in m for m in app.notifications), pilot=pilot)
        assert screen_name(app) == "FailoverScreen"
        await pilot.press("enter")
        await wait_until(lambda: screen_name(app) == "ItemDetailScreen", pilot=pilot)
        assert app.service.calls == []


async def test_change_recovery_point_uses_a_listed_point_and_needs_the_name() -> None:
    app = make_test_app()
    service = app.service
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog_on(pilot, app, 12)  # failed over: Commit and ChangePit allowed
        dialog = screen_as(app, FailoverDialog)
        ops = [str(v) for v in select_values(dialog.query_one("#fo-op", Select))]
        assert ops == ["ChangePit", "Commit"]
        # both cannot be undone: nothing is preselected, and nothing asked for is shown yet
        assert dialog.query_one("#fo-op", Select).value is Select.NULL
        assert dialog.operation() is None
        custom = dialog.query_one("#fo-custom-point", Select)
        assert custom.has_class("hidden")
        dialog.query_one("#fo-op", Select).value = "ChangePit"
        await wait_until(lambda: len(select_values(custom)) == 3, pilot=pilot)
        await wait_until(lambda: not custom.has_class("hidden"), pilot=pilot)
        await pilot.press("ctrl+r")
        await wait_until(lambda: bool(dialog.errors), pilot=pilot)
        assert [e.field for e in dialog.errors] == ["recovery_point"]
        point = f"{item_id(12)}/recoveryPoints/rp-2"
        custom.value = point
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_until(lambda: screen_name(app) == "TypedConfirmScreen", pilot=pilot)
        await pilot.press(*"app-012", "enter")
        await wait_until(lambda: bool(service.calls), pilot=pilot)
        op, args = service.calls[0]
        assert op is Operation.CHANGE_RECOVERY_POINT and args[0] == item_id(12)
        assert args[1].recovery_point == RecoveryPointChoice(RecoveryPointKind.CUSTOM, point)


async def test_recovery_plan_operates_its_items() -> None:
    app = make_test_app()
    service = app.service
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await wait_until(lambda: app.current_mode == "failover", pilot=pilot)
        await pilot.press("p")
        await wait_until(lambda: screen_name(app) == "PlanPicker", pilot=pilot)
        await pilot.press("enter")  # the only plan: web tier, items 1 and 2
        await wait_until(lambda: screen_name(app) == "FailoverDialog", pilot=pilot)
        assert "plan web tier: 2 item(s)" in str(app.screen.query_one("#fo-title").render())
        typed = app.screen.query_one("#fo-network")
        typed.focus()
        await wait_until(lambda: app.focused is typed, pilot=pilot)
        await pilot.press(*TEST_NET, "enter", "ctrl+r")
        plan = await confirm_with_y(pilot, app)
        assert "app-001" in plan and "app-002" in plan
        await wait_until(lambda: len(service.calls) == 2, pilot=pilot)
        assert sorted(args[0] for _op, args in service.calls) == [item_id(1), item_id(2)]
        await wait_until(lambda: len(app.followed_jobs) == 2, pilot=pilot)


async def test_resync_is_reversible_so_needs_no_typed_name() -> None:
    app = make_test_app()
    service = app.service
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog_on(pilot, app, 3)
        app.screen.query_one("#fo-op", Select).value = "RepairReplication"
        await wait_until(
            lambda: "rises meanwhile" in str(app.screen.query_one("#fo-preview").render()), pilot=pilot
        )
        await pilot.press("ctrl+r")
        assert "Resynchronize" in await confirm_with_y(pilot, app)
        await wait_until(lambda: bool(service.calls), pilot=pilot)
        op, args = service.calls[0]
        assert op is Operation.RESYNC and args == (item_id(3), args[1])


async def test_picking_other_moves_to_the_typed_network() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        give_networks(app)
        await open_dialog_on(pilot, app, 1)
        dialog = screen_as(app, FailoverDialog)
        pick = dialog.query_one("#fo-network-pick", Select)
        typed = dialog.query_one("#fo-network")
        assert app.focused is dialog.query_one("#fo-op") and typed.has_class("hidden")
        await pilot.press("tab", "tab")
        await wait_until(lambda: app.focused is pick, pilot=pilot)
        await pilot.press("enter")
        await wait_until(lambda: pick.expanded, pilot=pilot)
        await pilot.press("down", "down", "enter")  # past the two offered networks: Other…
        await wait_until(lambda: app.focused is typed and not typed.has_class("hidden"), pilot=pilot)
        assert pick.value == OTHER_NETWORK


UPDATE = Operation.UPDATE_MOBILITY_SERVICE.action


def operations(dialog: FailoverDialog) -> list[str]:
    return [str(v) for v in select_values(dialog.query_one("#fo-op", Select))]


async def test_the_mobility_service_update_is_not_offered_where_the_agent_is_current() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog_on(pilot, app, 1)
        assert UPDATE not in operations(screen_as(app, FailoverDialog))


async def test_the_mobility_service_update_is_offered_where_asr_reports_one_and_sent_after_y() -> None:
    app = make_test_app()
    service = app.service
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog_on(pilot, app, 4)  # ASR reports an upgrade for it
        dialog = screen_as(app, FailoverDialog)
        assert UPDATE in operations(dialog)
        assert dialog.query_one("#fo-op", Select).value != UPDATE  # never preselected
        dialog.query_one("#fo-op", Select).value = UPDATE
        await pilot.pause()
        await pilot.press("ctrl+r")
        await confirm_with_y(pilot, app)
        await wait_until(lambda: bool(service.calls), pilot=pilot)
        op, args = service.calls[0]
        assert op is Operation.UPDATE_MOBILITY_SERVICE and args[0] == item_id(4)
