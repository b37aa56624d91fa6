"""Pilot flows of the failover pane: test failover and cleanup from the keyboard, validation, typed
confirmation, read-only refusal, progress followed task by task."""

from __future__ import annotations

import dataclasses

from textual.widgets import Select

from asr_console.model.operations import Operation
from asr_console.model.records import Event, Job, ProtectedItem
from asr_console.model.specs import RecoveryPointChoice, RecoveryPointKind
from asr_console.model.store import Batch
from asr_console.screens.failover import OTHER_NETWORK
from asr_console.widgets.others import FailoverView
from tests.test_ui_panes import wait_for
from tests.ui_fixtures import item_id, make_test_app

VNETS = "/subscriptions/s/resourceGroups/rg-dr/providers/Microsoft.Network/virtualNetworks"
TEST_NET = f"{VNETS}/vnet-test"
TEST_NET_2 = f"{VNETS}/vnet-test-isolated"
DR_NET = f"{VNETS}/vnet-dr-prod"


def give_networks(app) -> None:  # type: ignore[no-untyped-def]
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


def offered(dialog) -> list[str]:  # type: ignore[no-untyped-def]
    pick = dialog.query_one("#fo-network-pick")
    return [str(v) for _label, v in pick._options if v is not Select.NULL]


def screen_name(app: object) -> str:
    return type(app.screen).__name__  # type: ignore[attr-defined]


async def open_dialog_on(pilot, app, n: int) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("4")
    await wait_for(pilot, lambda: app.current_mode == "failover")
    table = app.screen.query_one(FailoverView).table
    await wait_for(pilot, lambda: table.row_count == 12)
    await pilot.press("slash", *f"app-{n:03d}", "enter")
    await wait_for(pilot, lambda: table.cursor_key == item_id(n))
    await pilot.press("o")
    await wait_for(pilot, lambda: screen_name(app) == "FailoverDialog")


async def test_test_failover_then_cleanup_from_the_keyboard() -> None:
    app = make_test_app()
    service = app.test_service
    async with app.run_test(size=(120, 40)) as pilot:
        give_networks(app)
        await open_dialog_on(pilot, app, 1)
        # Test failover is offered first, and the dialog starts on the test network picker: the
        # networks the vault tested in, most used first, never the item's failover network
        dialog = app.screen
        pick = dialog.query_one("#fo-network-pick")
        assert app.focused is pick
        assert offered(dialog) == [TEST_NET, TEST_NET_2, OTHER_NETWORK]
        await pilot.press("enter")  # open the list
        await wait_for(pilot, lambda: pick.expanded)  # type: ignore[attr-defined]
        await pilot.press("enter")  # take the highlighted one: the first offered
        await wait_for(pilot, lambda: not pick.expanded)  # type: ignore[attr-defined]
        assert "Test network: vnet-test — rg-dr" in str(dialog.query_one("#fo-preview").render())
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: bool(service.calls))
        op, args = service.calls[0]
        assert op is Operation.TEST_FAILOVER
        assert args[0] == item_id(1)
        assert args[1].recovery_point.kind is RecoveryPointKind.LATEST_PROCESSED
        assert args[1].network_id == TEST_NET
        # the pane follows the job task by task
        await wait_for(pilot, lambda: screen_name(app) == "FailoverScreen" and bool(app.followed_jobs))
        progress = app.screen.query_one("#failover-progress")
        await wait_for(pilot, lambda: "Prerequisites check" in str(progress.render()))
        assert "InProgress" in str(progress.render())
        job_id = app.followed_jobs[0]
        service.complete(job_id)
        await wait_for(pilot, lambda: "✔ Test failover" in str(progress.render()))
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
        await wait_for(pilot, lambda: screen_name(app) == "FailoverDialog")
        await pilot.press(*"checked RDP and size", "enter")
        await wait_for(pilot, lambda: len(service.calls) == 2)
        op, args = service.calls[1]
        assert op is Operation.TEST_FAILOVER_CLEANUP and args[0] == item_id(1)
        assert args[1].notes == "checked RDP and size"
        events = [e.message for e in app.store.all(Event)]
        assert any("test-failover-cleanup" in m for m in events)


async def test_test_network_equal_to_the_failover_network_is_refused_and_nothing_sent() -> None:
    app = make_test_app()
    service = app.test_service
    async with app.run_test(size=(120, 40)) as pilot:
        give_networks(app)
        await open_dialog_on(pilot, app, 1)
        dialog = app.screen
        dialog.query_one("#fo-network-pick").value = OTHER_NETWORK  # type: ignore[attr-defined]
        typed = dialog.query_one("#fo-network")
        await wait_for(pilot, lambda: app.focused is typed and not typed.has_class("hidden"))
        await pilot.press(*DR_NET.upper(), "enter")  # ARM ids compare case-insensitively
        await pilot.pause(0.1)
        assert screen_name(app) == "FailoverDialog"
        assert [e.field for e in dialog.errors] == ["test_network"]  # type: ignore[attr-defined]
        assert "must differ from the failover network" in str(dialog.query_one("#fo-errors").render())
        assert service.calls == []
        # an offered network goes through
        dialog.query_one("#fo-network-pick").value = TEST_NET_2  # type: ignore[attr-defined]
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: bool(service.calls))
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
        await wait_for(pilot, lambda: app.current_mode == "failover")
        await pilot.press("p")
        await wait_for(pilot, lambda: screen_name(app) == "PlanPicker")
        await pilot.press("enter")  # web tier: items 1 and 2
        await wait_for(pilot, lambda: screen_name(app) == "FailoverDialog")
        dialog = app.screen
        assert offered(dialog) == [TEST_NET, OTHER_NETWORK]  # neither item's failover network
        dialog.query_one("#fo-network-pick").value = OTHER_NETWORK  # type: ignore[attr-defined]
        await pilot.pause(0.05)
        await pilot.press(*TEST_NET_2, "enter")
        await pilot.pause(0.1)
        assert "failover network of app-002" in str(dialog.query_one("#fo-errors").render())
        assert app.test_service.calls == []


async def test_missing_test_network_shows_error_and_sends_nothing() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog_on(pilot, app, 2)
        await pilot.press("ctrl+r")
        await pilot.pause(0.1)
        dialog = app.screen
        assert screen_name(app) == "FailoverDialog"
        assert any(e.field == "test_network" for e in dialog.errors)  # type: ignore[attr-defined]
        assert "Test network: choose an Azure network" in str(dialog.query_one("#fo-errors").render())
        assert app.test_service.calls == []


async def test_failover_needs_typed_item_name_and_wrong_name_sends_nothing() -> None:
    app = make_test_app()
    service = app.test_service
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog_on(pilot, app, 4)
        dialog = app.screen
        dialog.query_one("#fo-op").value = "UnplannedFailover"  # type: ignore[attr-defined]
        await pilot.pause(0.05)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen_name(app) == "TypedConfirmScreen")
        await pilot.press(*"app-04", "enter")
        await pilot.pause(0.1)
        assert screen_name(app) == "TypedConfirmScreen"
        assert "nothing was sent" in str(app.screen.query_one("#typed-error").render())
        assert service.calls == []
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "FailoverDialog")
        assert "nothing was sent" in str(app.screen.query_one("#fo-errors").render())
        assert service.calls == []
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen_name(app) == "TypedConfirmScreen")
        await pilot.press(*"app-004", "enter")
        await wait_for(pilot, lambda: bool(service.calls))
        op, args = service.calls[0]
        assert op is Operation.UNPLANNED_FAILOVER and args[0] == item_id(4)
        assert args[1].shutdown_source is True


async def test_only_operations_allowed_for_every_marked_item_are_offered() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        table = app.screen.query_one(FailoverView).table
        await wait_for(pilot, lambda: table.row_count == 12)
        table.marks |= {item_id(1), item_id(12)}  # protected vs failed over: nothing in common
        await pilot.press("o")
        await wait_for(pilot, lambda: screen_name(app) == "FailoverDialog")
        assert app.screen.query("#fo-none")
        text = str(app.screen.query_one("#fo-none").render())
        assert "No operation is allowed" in text and "Commit" in text


async def test_read_only_refuses_failover() -> None:
    app = make_test_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        table = app.screen.query_one(FailoverView).table
        await wait_for(pilot, lambda: table.row_count == 12)
        await pilot.press("o")
        await pilot.pause(0.1)
        assert screen_name(app) == "FailoverScreen"
        assert any("read-only" in str(n.message) for n in app._notifications)
        assert app.test_service.calls == []


async def test_change_recovery_point_uses_a_listed_point_and_needs_the_name() -> None:
    app = make_test_app()
    service = app.test_service
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog_on(pilot, app, 12)  # failed over: Commit and ChangePit allowed
        dialog = app.screen
        ops = [str(v) for _label, v in dialog.query_one("#fo-op")._options]  # type: ignore[attr-defined]
        assert ops == ["ChangePit", "Commit"]
        dialog.query_one("#fo-op").value = "ChangePit"  # type: ignore[attr-defined]
        custom = dialog.query_one("#fo-custom-point")
        listed = lambda: [v for _l, v in custom._options if v is not Select.NULL]  # type: ignore[attr-defined]  # noqa: E731
        await wait_for(pilot, lambda: len(listed()) == 3)
        assert not custom.has_class("hidden")
        await pilot.press("ctrl+r")
        await pilot.pause(0.05)
        assert [e.field for e in dialog.errors] == ["recovery_point"]  # type: ignore[attr-defined]
        point = f"{item_id(12)}/recoveryPoints/rp-2"
        custom.value = point  # type: ignore[attr-defined]
        await pilot.pause(0.05)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen_name(app) == "TypedConfirmScreen")
        await pilot.press(*"app-012", "enter")
        await wait_for(pilot, lambda: bool(service.calls))
        op, args = service.calls[0]
        assert op is Operation.CHANGE_RECOVERY_POINT and args[0] == item_id(12)
        assert args[1].recovery_point == RecoveryPointChoice(RecoveryPointKind.CUSTOM, point)


async def test_recovery_plan_operates_its_items() -> None:
    app = make_test_app()
    service = app.test_service
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: app.current_mode == "failover")
        await pilot.press("p")
        await wait_for(pilot, lambda: screen_name(app) == "PlanPicker")
        await pilot.press("enter")  # the only plan: web tier, items 1 and 2
        await wait_for(pilot, lambda: screen_name(app) == "FailoverDialog")
        assert "plan web tier: 2 item(s)" in str(app.screen.query_one("#fo-title").render())
        await pilot.press(*TEST_NET, "enter")
        await wait_for(pilot, lambda: len(service.calls) == 2)
        assert sorted(args[0] for _op, args in service.calls) == [item_id(1), item_id(2)]
        await wait_for(pilot, lambda: len(app.followed_jobs) == 2)


async def test_resync_is_reversible_so_needs_no_typed_name() -> None:
    app = make_test_app()
    service = app.test_service
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dialog_on(pilot, app, 3)
        app.screen.query_one("#fo-op").value = "RepairReplication"  # type: ignore[attr-defined]
        await pilot.pause(0.05)
        assert "rises meanwhile" in str(app.screen.query_one("#fo-preview").render())
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: bool(service.calls))
        op, args = service.calls[0]
        assert op is Operation.RESYNC and args == (item_id(3), args[1])
