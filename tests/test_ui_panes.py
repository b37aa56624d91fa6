"""Pilot flows for the panes: overview tiling, mode switching, filter, sort, live updates in place."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import Input

from asr_console.model.operations import Operation
from asr_console.model.records import Health, Job, Kind, ProtectedItem, VirtualMachine
from asr_console.model.store import Batch
from asr_console.widgets.health import HealthView
from asr_console.widgets.inventory import InventoryView
from asr_console.widgets.jobs import JobsView
from asr_console.widgets.line import Line
from asr_console.widgets.table import KeyedTable
from tests.ui_fixtures import NOW, item_id, live_actions, make_test_app, open_pane
from tests.waiting import wait_until


def row_text(table: KeyedTable, key: str) -> str:
    """The text of a row's cells as the table would paint them."""
    cells = table.cells(key)
    return " ".join(c[0] if isinstance(c, tuple) else c for c in cells)


async def test_overview_tiles_four_panes_with_data() -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(
            lambda: app.screen.query_one("#tile-health", HealthView).table.row_count == 12, pilot=pilot
        )
        screen = app.screen
        assert not screen.has_class("narrow")
        for tile in ("#tile-vms", "#tile-health", "#tile-policies", "#tile-jobs"):
            view = screen.query_one(tile)
            assert view.display and view.region.width > 0
        assert screen.query_one("#tile-vms", InventoryView).table.row_count == 30
        assert screen.query_one("#tile-jobs", JobsView).table.row_count == 3


async def test_overview_degrades_to_health_with_summary_when_small() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: app.screen.has_class("narrow"), pilot=pilot)
        screen = app.screen
        assert screen.query_one("#tile-health").region.width > 100
        assert screen.query_one("#tile-vms").region.width == 0
        summary = str(screen.query_one("#overview-summary").render())
        assert "VMs 30" in summary and "2 critical" in summary and "2 RPO breaches" in summary


@pytest.mark.parametrize(
    ("keys", "mode"),
    [
        ("1", "vms"),
        ("2", "health"),
        ("3", "policies"),
        ("4", "failover"),
        ("5", "jobs"),
        ("6", "infra"),
        ("7", "events"),
    ],
)
async def test_footer_keys_switch_modes(keys: str, mode: str) -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(keys)
        await wait_until(lambda: app.current_mode == mode, pilot=pilot)
        await pilot.press("escape")
        await wait_until(lambda: app.current_mode == "overview", pilot=pilot)


async def test_command_bar_completes_and_switches() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for command, mode in (
            (":hea", "health"),
            (":jo", "jobs"),
            (":po", "policies"),
            (":fa", "failover"),
            (":vm", "vms"),
        ):
            await pilot.press(*command)
            await pilot.press("tab")  # completes the unique prefix
            field = app.screen.query_one("#command-input", Input)
            assert field.value == mode
            await pilot.press("enter")

            def switched(wanted: str = mode) -> bool:
                return app.current_mode == wanted

            await wait_until(switched, pilot=pilot)


async def test_unknown_command_says_so_and_stays() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(":", *"bogus", "enter")
        await wait_until(lambda: any("unknown command" in m for m in app.notifications), pilot=pilot)
        assert app.current_mode == "overview"


async def test_filter_substring_and_regex() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, "health", HealthView, 12)).table
        await pilot.press("slash", *"critical")
        await wait_until(lambda: table.row_count == 2, pilot=pilot)
        bar = app.screen.query_one("#filter-bar")
        assert bar.has_focus and bar.region.height == 1
        await pilot.press("enter")
        assert table.has_focus and table.filter_text == "critical"
        await pilot.press("slash", *(["backspace"] * 8), *"re:app-01[01]")
        await wait_until(lambda: table.row_count == 2, pilot=pilot)
        assert set(table.visible_keys) == {item_id(10), item_id(11)}
        view = app.screen.query_one(HealthView)
        assert "invalid regular expression" not in view.headline()
        await pilot.press("[", "(")  # re:app-01[01][( does not compile: say so, not just "0 rows"
        await wait_until(lambda: table.row_count == 0, pilot=pilot)
        assert "invalid regular expression" in view.headline()
        await pilot.press("escape")  # clears the filter
        await wait_until(lambda: table.row_count == 12, pilot=pilot)


async def test_sort_by_column_keeps_cursor_on_the_same_item() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, "health", HealthView, 12)).table
        await pilot.press("down", "down")
        key = table.cursor_key
        assert key is not None
        await pilot.press("s")  # next sortable column after health
        assert table.sort_column == "state"
        assert table.cursor_key == key
        assert table.visible_keys.index(key) == table.cursor_row


async def test_live_update_changes_cells_and_keeps_cursor_marks_and_filter() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, "health", HealthView, 12)).table
        await pilot.press("slash", *"app-0", "enter")
        await pilot.press("down", "space", "down")
        cursor, marks = table.cursor_key, set(table.marks)
        assert cursor is not None and marks
        scroll = table.scroll_y
        store = app.store
        healthy = store.typed(ProtectedItem, item_id(1))
        assert healthy is not None
        # app-001 turns critical with an RPO of two hours; a new item arrives; one is removed.
        worse = dataclasses.replace(healthy, replication_health=Health.CRITICAL, rpo_seconds=7200)
        newcomer = dataclasses.replace(
            healthy,
            id=item_id(99),
            name="item-099",
            friendly_name="app-099",
            source_bios_uuid="",
            replication_health=Health.NORMAL,
        )
        store.apply(Batch().upsert(worse, newcomer).remove(Kind.PROTECTED_ITEM, item_id(12)))
        await wait_until(
            lambda: row_text(table, item_id(1)).startswith("app-001 Critical Protected 2h00m/60m"),
            pilot=pilot,
        )
        assert table.cursor_key == cursor
        assert table.marks == marks
        assert table.filter_text == "app-0"
        assert table.scroll_y == scroll
        assert item_id(99) in table.visible_keys and item_id(12) not in table.visible_keys
        # health sort puts the newly critical item among the critical ones
        assert table.visible_keys.index(item_id(1)) < 3
        headline = str(app.screen.query_one(HealthView).query_one(".headline").render())
        assert "3 critical" in headline


async def test_hidden_pane_catches_up_when_shown() -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 48)) as pilot:
        jobs = (await open_pane(pilot, app, "jobs", JobsView, 3)).table
        await pilot.press("2")
        await wait_until(lambda: app.current_mode == "health", pilot=pilot)
        job = app.store.typed(Job, next(iter(app.store.keys(Kind.JOB))))
        assert job is not None
        app.store.apply(Batch().upsert(dataclasses.replace(job, id=job.id + "-x", name="x", state="Failed")))
        await pilot.press("5")
        await wait_until(lambda: jobs.row_count == 4, pilot=pilot)


async def test_jobs_state_filter_and_details() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_pane(pilot, app, "jobs", JobsView, 3)
        await pilot.press("t")
        assert view.state_filter == "running"
        assert view.table.row_count == 1
        await pilot.press("t")
        assert view.state_filter == "failed" and view.table.row_count == 1
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen).__name__ == "JobDetailScreen", pilot=pilot)
        body = str(app.screen.query_one("#detail-body").render())
        assert "78052" in body and "Retry later" in body
        await pilot.press("escape")
        await wait_until(lambda: type(app.screen).__name__ == "JobsScreen", pilot=pilot)


async def test_cancel_job_asks_then_sends() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, app, "jobs", JobsView, 3)
        await pilot.press("t")  # running: the enable-replication job allows Cancel
        await pilot.press("c")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmScreen", pilot=pilot)
        await pilot.press("n")
        await wait_until(lambda: type(app.screen).__name__ == "JobsScreen", pilot=pilot)
        assert app.service.calls == []
        await pilot.press("c", "y")
        await wait_until(lambda: bool(app.service.calls), pilot=pilot)
        assert app.service.calls[0][0] is Operation.CANCEL_JOB


async def test_read_only_refuses_job_actions() -> None:
    app = make_test_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, app, "jobs", JobsView, 3)
        assert not {"cancel_job", "restart_job"} & live_actions(app)
        # c and r do nothing; t after them notifies, so once that shows, c and r were handled
        await pilot.press("c", "r", "t")
        await wait_until(lambda: any(m.startswith("jobs: ") for m in app.notifications), pilot=pilot)
        assert type(app.screen).__name__ == "JobsScreen"
        assert app.service.calls == []


async def test_health_details_show_errors_causes_and_actions() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, "health", HealthView, 12)).table
        assert table.move_cursor_to(item_id(3))
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen).__name__ == "ItemDetailScreen", pilot=pilot)
        await wait_until(
            lambda: "Recovery points (3)" in str(app.screen.query_one("#detail-body").render()), pilot=pilot
        )
        body = str(app.screen.query_one("#detail-body").render())
        assert "78188" in body
        assert "possible causes: Churn above the disk's limit" in body
        assert "recommended action: Use premium disks" in body


async def test_vms_tree_scopes_table_and_badges_follow_join() -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 48)) as pilot:
        view = await open_pane(pilot, app, "vms", InventoryView, 30)
        assert row_text(view.table, "vm-3").endswith("Critical 1h30m")
        assert row_text(view.table, "vm-20").endswith("—")
        view.set_scope(("cluster", "domain-c3"))
        assert 0 < view.table.row_count < 30
        assert all(view.table.record(k).cluster == "domain-c3" for k in view.table.visible_keys)
        await pilot.press("escape")
        assert view.table.row_count == 30
        # The VM is renamed in vCenter: its row updates in place, cursor stays.
        view.table.move_cursor_to("vm-5")
        vm = app.store.typed(VirtualMachine, "vm-5")
        assert vm is not None
        app.store.apply(Batch().upsert(dataclasses.replace(vm, power_state="poweredOff")))
        await wait_until(lambda: " off " in row_text(view.table, "vm-5"), pilot=pilot)
        assert view.table.cursor_key == "vm-5"


async def test_status_bar_shows_environment_freshness_and_jobs() -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(lambda: "asr 4s" in str(app.screen.query_one("StatusBar").render()), pilot=pilot)
        text = str(app.screen.query_one("StatusBar").render())
        assert "TEST" in text and "read-write" in text
        assert "asr 4s" in text
        assert "vcenter STALE 1m35s" in text or "vcenter STALE 1m" in text
        assert "jobs running: 1" in text and "unreadable" not in text
        # a stream whose read could not convert two records says so beside the source's age
        app.store.mark_ok("asr-items", "asr", dropped=2)
        bar = app.screen.query_one("StatusBar")
        await wait_until(lambda: "2 unreadable" in str(bar.render()), pilot=pilot)
    assert NOW.year == 2026


async def test_status_bar_shows_a_back_end_stale_while_one_of_its_streams_fails() -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 48)) as pilot:
        bar = app.screen.query_one("StatusBar")
        await wait_until(lambda: "asr 4s" in str(bar.render()), pilot=pilot)
        app.store.mark_error("asr-items", "Throttled: 429 Too Many Requests")
        await wait_until(lambda: "asr STALE" in str(bar.render()), pilot=pilot)
        app.store.mark_ok("asr-jobs")  # another stream of the same back end succeeds
        app.store.set_freshness(dataclasses.replace(app.store.freshness("asr-jobs"), dropped=3))
        # the bar has repainted after both (the count shows), and the back end is still stale
        await wait_until(lambda: "3 unreadable" in str(bar.render()), pilot=pilot)
        assert "asr STALE" in str(bar.render())
        assert "asr-items: Throttled: 429" in str(bar.tooltip)


async def test_infra_lists_servers_and_details_show_health_errors() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        await wait_until(lambda: app.current_mode == "infra", pilot=pilot)
        table = app.screen.query_one("#infra-table", KeyedTable)
        await wait_until(lambda: table.row_count == 3, pilot=pilot)
        await pilot.press("slash", *"ps-01", "enter")
        await wait_until(lambda: table.row_count == 1, pilot=pilot)
        assert "cpu 71%" in row_text(table, table.visible_keys[0])
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen).__name__ == "RecordDetailScreen", pilot=pilot)
        body = str(app.screen.query_one("#detail-body").render())
        assert "806" in body and "recommended action: Restart the service" in body


async def test_events_show_the_consoles_own_actions() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        table = app.screen.query_one("#events-table", KeyedTable)
        await wait_until(lambda: table.row_count == 8, pilot=pilot)
        await app.actions.resync(item_id(3))
        await wait_until(lambda: table.row_count == 9, pilot=pilot)
        newest = table.visible_keys[0]  # newest first
        assert "resync app-003: started" in row_text(table, newest)


async def test_palette_and_command_bar_offer_pane_commands() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_until(lambda: app.current_mode == "policies", pilot=pilot)
        names = [name for name, _help, _call in app.command_table()]
        assert "policies new" in names and "policies delete" in names
        await pilot.press(":", *"policies new", "enter")
        await wait_until(lambda: type(app.screen).__name__ == "PolicyFormScreen", pilot=pilot)


async def test_vm_details_show_disks_nics_compatibility_and_protection() -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 48)) as pilot:
        view = await open_pane(pilot, app, "vms", InventoryView, 30)
        assert view.table.move_cursor_to("vm-3")
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen).__name__ == "VmDetailScreen", pilot=pilot)
        body = str(app.screen.query_one("#detail-body").render())
        assert "Hard disk 1" in body and "Network adapter 1" in body and "10.0.0.3" in body
        assert "Azure compatibility:" in body
        assert "app-003: Critical" in body and "78188" in body


async def test_clicking_a_header_sorts_and_again_reverses() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, "health", HealthView, 12)).table
        await pilot.click(table, offset=(2, 0))  # the "Item" header
        assert table.sort_column == "name" and not table.sort_reverse
        assert table.visible_keys[0] == item_id(1)
        await pilot.click(table, offset=(2, 0))
        assert table.sort_reverse and table.visible_keys[0] == item_id(12)


async def test_restart_a_failed_job() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, app, "jobs", JobsView, 3)
        await pilot.press("t", "t")  # failed
        await pilot.press("c")  # the failed job only allows Restart
        await wait_until(lambda: any("does not allow cancel" in m for m in app.notifications), pilot=pilot)
        assert type(app.screen).__name__ == "JobsScreen"
        await pilot.press("r")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmScreen", pilot=pilot)
        await pilot.press("y")
        await wait_until(lambda: bool(app.service.calls), pilot=pilot)
        assert app.service.calls[0][0] is Operation.RESTART_JOB


async def test_help_lists_the_panes_keys_and_source_freshness() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3", "question_mark")
        await wait_until(lambda: type(app.screen).__name__ == "HelpScreen", pilot=pilot)
        text = str(app.screen.query_one("#help-text").render())
        for expected in ("Replication policies", "New", "Delete", "Associate", "Filter", "Sort", "Mark"):
            assert expected in text
        assert "vcenter: stale" in text and "Unreachable: timed out" in text
        await pilot.press("escape")
        await wait_until(lambda: type(app.screen).__name__ == "PoliciesScreen", pilot=pilot)


@pytest.mark.parametrize("scrolled", [False, True])
async def test_the_clock_tick_repaints_ages_on_screen(scrolled: bool) -> None:
    """Records unchanged, time moves: the heartbeat ages on screen follow, scrolled or not."""
    import re
    from datetime import timedelta

    from tests.ui_fixtures import build_store

    store = build_store()
    copies = [
        dataclasses.replace(i, id=f"{i.id}-copy{c}", name=f"{i.name}-copy{c}")
        for i in store.all(ProtectedItem)
        for c in range(3)
    ]
    store.apply(Batch().upsert(*copies))  # 48 rows: scrolled well past the first screen
    now = [NOW]
    app = make_test_app(store=store, clock=lambda: now[0])
    later = re.compile(r"5h(1[7-9]|2\d)m")  # every heartbeat is 30 s × n old, then 5 h 17 min more
    async with app.run_test(size=(160, 14 if scrolled else 40)) as pilot:
        await pilot.press("2")
        await wait_until(lambda: app.current_mode == "health", pilot=pilot)
        table = app.screen.query_one(HealthView).table
        if scrolled:
            assert table.max_scroll_y >= 30
            table.scroll_to(y=table.max_scroll_y, animate=False)
            await wait_until(lambda: table.scroll_y == table.max_scroll_y, pilot=pilot)
        await wait_until(lambda: "app-0" in app.export_screenshot(), pilot=pilot)  # rows painted
        assert not later.search(app.export_screenshot())
        now[0] = NOW + timedelta(hours=5, minutes=17)
        await wait_until(lambda: len(later.findall(app.export_screenshot())) >= 3, pilot=pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_narrow_overview_summary_fits_its_line(size: tuple[int, int]) -> None:
    app = make_test_app()
    async with app.run_test(size=size) as pilot:
        line = app.screen.query_one("#overview-summary", Line)
        await wait_until(lambda: "VMs 30" in str(line.render()), pilot=pilot)
        text = str(line.render())
        assert "VMs 30" in text and "2 crit" in text
        # short words only where the long ones would not fit
        assert ("prot 12:" in text) == (size[0] < 100) and ("protected 12:" in text) == (size[0] >= 100)
        assert len(text) <= line.content_region.width
