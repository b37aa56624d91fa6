"""Purge from the failover dialog: offered for an item stuck where ASR allows nothing, never preselected,
sent only after the item's name is typed, and the item leaves the vault on the simulated site."""

from __future__ import annotations

from textual.widgets import Select

from asr_console.model.operations import Operation
from asr_console.model.records import ProtectedItem
from asr_console.sim.state_machines import Phase
from asr_console.widgets.failover import FailoverView
from tests.test_ui_simulated import job_state, simulated_app
from tests.ui_fixtures import select_values
from tests.waiting import wait_until


async def test_purge_of_a_stuck_item_asks_for_its_name_then_removes_it_from_the_vault() -> None:
    async with simulated_app() as (app, session, site):
        store = session.store
        async with app.run_test(size=(140, 48)) as pilot:
            await pilot.press("4")
            table = app.screen.query_one(FailoverView).table
            await wait_until(lambda: table.row_count == 30, timeout=15, pilot=pilot)
            item = next(
                i
                for i in sorted(store.all(ProtectedItem), key=lambda i: i.display_name)
                if i.protection_state == "Protected"
            )
            # a re-protect whose job died and left the item where ASR allows nothing: stuck
            site.items[item.name].phase = Phase.REPROTECTING
            await wait_until(
                lambda: (
                    (current := store.typed(ProtectedItem, item.id)) is not None
                    and not current.allowed_operations
                ),
                timeout=15,
                pilot=pilot,
            )
            assert table.move_cursor_to(item.id)
            await pilot.press("o")
            await wait_until(lambda: type(app.screen).__name__ == "FailoverDialog", pilot=pilot)
            operation = app.screen.query_one("#fo-op", Select)
            # purge is the one way out, offered but never chosen for the user
            assert select_values(operation) == [Operation.PURGE.action]
            assert operation.value is Select.NULL
            operation.value = Operation.PURGE.action
            await pilot.pause()
            assert "removed from the vault" in str(app.screen.query_one("#fo-preview").render())
            await pilot.press("ctrl+r")
            await wait_until(lambda: type(app.screen).__name__ == "TypedConfirmScreen", pilot=pilot)
            # a wrong name sends nothing
            await pilot.press(*item.display_name[:-1], "enter")
            await wait_until(
                lambda: "nothing was sent" in str(app.screen.query_one("#typed-error").render()), pilot=pilot
            )
            assert item.name in site.items and not app.followed_jobs
            await pilot.press(item.display_name[-1], "enter")  # the name completed
            await wait_until(lambda: bool(app.followed_jobs), timeout=10, pilot=pilot)
            job_id = app.followed_jobs[-1]
            assert site.run_until(lambda: job_state(site, job_id) != "InProgress", limit=600)
            assert job_state(site, job_id) == "Succeeded"
            assert item.name not in site.items
            await wait_until(lambda: store.typed(ProtectedItem, item.id) is None, timeout=15, pilot=pilot)
