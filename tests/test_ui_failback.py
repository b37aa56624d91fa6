"""The console drives a modernized item round the whole failback cycle on the simulated site, from the
failover dialog: failover → commit → re-protect (the agent, datastore and cache storage asked for) →
failback → commit → re-protect back to Azure, each write confirmed, each job followed to its end."""

from __future__ import annotations

from typing import Any

from textual.widgets import Select

from asr_console.model.arm import same_arm_id
from asr_console.model.records import TO_AZURE, TO_VMWARE, ProtectedItem
from asr_console.sim.arm_resources import STORAGE
from asr_console.widgets.failover import FailoverView
from tests.test_ui_simulated import job_state, simulated_app
from tests.ui_fixtures import select_values
from tests.waiting import wait_until


async def run_operation(
    app: Any, pilot: Any, site: Any, item: ProtectedItem, asr_name: str, fill: Any = None
) -> None:
    """Open the dialog on ``item``, choose the operation, fill its inputs, confirm, and let the job end."""
    table = app.screen.query_one(FailoverView).table
    assert table.move_cursor_to(item.id)
    await pilot.press("o")
    await wait_until(lambda: type(app.screen).__name__ == "FailoverDialog", pilot=pilot)
    app.screen.query_one("#fo-op", Select).value = asr_name
    await pilot.pause()
    if fill is not None:
        await fill(app.screen)
    before = list(app.followed_jobs)
    await pilot.press("ctrl+r")
    await wait_until(
        lambda: type(app.screen).__name__ in ("ConfirmScreen", "TypedConfirmScreen"), pilot=pilot
    )
    if type(app.screen).__name__ == "TypedConfirmScreen":
        await pilot.press(*item.display_name, "enter")
    else:
        await pilot.press("y")
    await wait_until(lambda: bool(app.followed_jobs) and app.followed_jobs != before, timeout=10, pilot=pilot)
    job_id = app.followed_jobs[-1]
    assert site.run_until(lambda: job_state(site, job_id) != "InProgress", limit=7200)
    assert job_state(site, job_id) == "Succeeded"


async def test_failover_commit_reprotect_failback_commit_reprotect_from_the_dialog() -> None:
    async with simulated_app() as (app, session, site):
        store = session.store
        async with app.run_test(size=(140, 48)) as pilot:
            await pilot.press("4")
            table = app.screen.query_one(FailoverView).table
            await wait_until(lambda: table.row_count == 30, timeout=15, pilot=pilot)
            item = next(
                i
                for i in sorted(store.all(ProtectedItem), key=lambda i: i.display_name)
                if i.protection_state == "Protected" and "UnplannedFailover" in i.allowed_operations
            )

            def now() -> ProtectedItem:
                current = store.typed(ProtectedItem, item.id)
                assert isinstance(current, ProtectedItem)
                return current

            async def allows(name: str) -> None:
                await wait_until(lambda: name in now().allowed_operations, timeout=15, pilot=pilot)

            await run_operation(app, pilot, site, item, "UnplannedFailover")
            await allows("Commit")
            await run_operation(app, pilot, site, item, "Commit")
            await allows("ReverseReplicate")
            fabric = site.fabrics[item.fabric_id.rsplit("/", 1)[-1]]
            chosen: dict[str, str] = {}

            async def towards_vmware(dialog: Any) -> None:
                # the dialog asks where to write: the appliance's agent, one of its datastores, the
                # cache storage account (the item's own by default)
                agent = dialog.query_one("#fo-agent", Select)
                assert select_values(agent) == [fabric.reprotect_agent_name]
                datastore = dialog.query_one("#fo-datastore", Select)
                await wait_until(lambda: len(select_values(datastore)) == len(fabric.datastores), pilot=pilot)
                datastore.value = chosen["datastore"] = str(select_values(datastore)[-1])
                # the cache storage picker lists the subscription's accounts; the item's own is chosen
                cache = dialog.query_one("#fo-cache", Select)
                await wait_until(lambda: len(select_values(cache)) == len(STORAGE), pilot=pilot)
                assert sorted(str(v).rsplit("/", 1)[-1] for v in select_values(cache)) == sorted(
                    s.name for s in STORAGE
                )
                assert same_arm_id(str(cache.value), now().log_storage_account_id)
                assert not cache.has_class("hidden")
                await pilot.pause()
                assert f"datastore {chosen['datastore']}" in str(dialog.query_one("#fo-preview").render())

            await run_operation(app, pilot, site, item, "ReverseReplicate", towards_vmware)
            await wait_until(lambda: now().direction == TO_VMWARE, timeout=15, pilot=pilot)
            assert now().datastore_name == chosen["datastore"]
            await allows("PlannedFailover")

            async def crash_consistent(dialog: Any) -> None:
                dialog.query_one("#fo-rp-type", Select).value = "CrashConsistent"
                await pilot.pause()

            await run_operation(app, pilot, site, item, "PlannedFailover", crash_consistent)
            await allows("Commit")
            assert now().active_location == "Primary"
            await run_operation(app, pilot, site, item, "Commit")
            await allows("ReverseReplicate")

            async def back_to_azure(dialog: Any) -> None:
                # towards Azure: a process server of the appliance; no datastore nor cache storage
                agent = dialog.query_one("#fo-agent", Select)
                assert select_values(agent) == [ps.name for ps in fabric.process_servers]
                assert dialog.query_one("#fo-datastore").has_class("hidden")
                assert dialog.query_one("#fo-cache").has_class("hidden")

            await run_operation(app, pilot, site, item, "ReverseReplicate", back_to_azure)
            await wait_until(lambda: now().direction == TO_AZURE, timeout=15, pilot=pilot)
            await allows("UnplannedFailover")
            assert (now().active_location, now().protection_state) == ("Primary", "Protected")
