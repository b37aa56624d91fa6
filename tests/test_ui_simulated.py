"""The console on the simulated site (in-process faces, fixed seed, clock stopped and advanced by the
test): live data arriving through the real sync engine, and a test failover plus cleanup run from the
keyboard through the real Actions and the site's state machines."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from textual.widgets import Select

from asr_console.app import make_app
from asr_console.config import Settings
from asr_console.model.intervals import Intervals
from asr_console.model.records import Job, ProtectedItem
from asr_console.session import build_session
from asr_console.sim import make_demo_site
from asr_console.sim.inventory import SimulatedInventory
from asr_console.widgets.failover import FailoverView
from asr_console.widgets.health import HealthView
from tests.arm_site import on_site
from tests.ui_fixtures import select_values
from tests.waiting import wait_until

FAST = Intervals(
    items=0.3,
    items_fast=0.2,
    jobs=0.3,
    jobs_fast=0.2,
    infra=0.5,
    infra_fast=0.5,
    discovery=0.5,
    events=0.5,
    churn=0.5,
)


@contextlib.asynccontextmanager
async def simulated_app() -> AsyncIterator[tuple[Any, Any, Any]]:
    """The console on a simulated site: its ARM face through the SDK, its vCenter in process."""
    site = make_demo_site(vms=60, protected=30, seed=5, speed=0.0, provider="inmagercm")
    async with on_site(site) as service:
        session = build_session(
            Settings(profile="sim"), service, SimulatedInventory(site, poll=0.05), intervals=FAST
        )
        session.clock = site.clock.now
        app = make_app(session)
        yield app, session, site


def job_state(site: Any, job_id: str) -> str:
    return str(site.get_job(job_id.rsplit("/", 1)[-1])["properties"]["state"])


async def test_live_data_from_the_simulated_site_fills_the_panes() -> None:
    async with simulated_app() as (app, session, _site), app.run_test(size=(160, 48)) as pilot:
        health = app.screen.query_one("#tile-health", HealthView)
        await wait_until(lambda: health.table.row_count == 30, timeout=15, pilot=pilot)
        await wait_until(
            lambda: app.screen.query_one("#tile-vms").table.row_count == 60, timeout=15, pilot=pilot
        )
        # every protected item's VM is matched in the inventory (the protection badge)
        await wait_until(lambda: len(session.store.join.pairs()) == 30, timeout=15, pilot=pilot)
        status = str(app.screen.query_one("StatusBar").render())
        assert "asr" in status and "vcenter" in status and "STALE" not in status


async def test_test_failover_and_cleanup_on_the_simulated_site() -> None:
    async with simulated_app() as (app, session, site):
        store = session.store
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("4")
            table = app.screen.query_one(FailoverView).table
            await wait_until(lambda: table.row_count == 30, timeout=15, pilot=pilot)
            item = next(
                i
                for i in sorted(store.all(ProtectedItem), key=lambda i: i.display_name)
                if "TestFailover" in i.allowed_operations and not i.resync_required
            )
            assert table.move_cursor_to(item.id)
            await pilot.press("o")
            await wait_until(lambda: type(app.screen).__name__ == "FailoverDialog", pilot=pilot)
            # test failover is preselected; the picker offers the site's isolated test networks: take
            # the first from the keyboard, review, confirm
            assert app.screen.query_one("#fo-op", Select).value == "TestFailover"
            pick = app.screen.query_one("#fo-network-pick", Select)
            first = str(select_values(pick)[0])
            assert "vnet-dr-test" in first
            await pilot.press("tab", "tab")  # the operation, the recovery point, the network
            await wait_until(lambda: app.focused is pick, pilot=pilot)
            await pilot.press("enter")
            await wait_until(lambda: pick.expanded, pilot=pilot)
            await pilot.press("enter")
            await wait_until(lambda: not pick.expanded, pilot=pilot)
            await pilot.press("ctrl+r")
            await wait_until(lambda: type(app.screen).__name__ == "ConfirmScreen", pilot=pilot)
            await pilot.press("y")
            await wait_until(lambda: bool(app.followed_jobs), timeout=10, pilot=pilot)
            job_id = app.followed_jobs[0]
            assert site.run_until(lambda: job_state(site, job_id) != "InProgress")
            assert job_state(site, job_id) == "Succeeded"
            progress = app.screen.query_one("#failover-progress")
            await wait_until(lambda: "Succeeded  started" in str(progress.render()), timeout=10, pilot=pilot)
            job = store.typed(Job, job_id)
            assert job is not None and all(t.state == "Succeeded" for t in job.tasks)

            def cleanup_allowed() -> bool:
                current = store.typed(ProtectedItem, item.id)
                return current is not None and "TestFailoverCleanup" in current.allowed_operations

            await wait_until(cleanup_allowed, timeout=10, pilot=pilot)
            await pilot.press("o")
            await wait_until(lambda: type(app.screen).__name__ == "FailoverDialog", pilot=pilot)
            assert app.screen.query_one("#fo-op", Select).value == "TestFailoverCleanup"
            await pilot.press("tab", *"checked RDP", "enter", "ctrl+r")
            await wait_until(lambda: type(app.screen).__name__ == "ConfirmScreen", pilot=pilot)
            await pilot.press("y")
            await wait_until(
                lambda: len(app.followed_jobs) == 1 and app.followed_jobs[0] != job_id,
                timeout=10,
                pilot=pilot,
            )
            cleanup_id = app.followed_jobs[0]
            assert site.run_until(lambda: job_state(site, cleanup_id) != "InProgress")
            await wait_until(
                lambda: (j := store.typed(Job, cleanup_id)) is not None and j.state == "Succeeded",
                timeout=10,
                pilot=pilot,
            )
            await wait_until(
                lambda: not cleanup_allowed(), timeout=10, pilot=pilot
            )  # nothing left to clean up
            tested = store.typed(ProtectedItem, item.id)
            assert tested is not None and tested.test_network_id == first  # the site recorded the choice
