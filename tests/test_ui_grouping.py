"""Issue 12 §7: ``g`` groups any table by cause; each group is a header line with counts that
enter or space expands; ``g`` cycles the pane's groupings, then back to plain rows."""

from __future__ import annotations

import pytest

from asr_console.widgets.health import HealthView
from asr_console.widgets.inventory import InventoryView
from asr_console.widgets.jobs import JobsView
from asr_console.widgets.line import Line
from asr_console.widgets.rows import Column, Grouping, RowSet
from asr_console.widgets.table import KeyedTable
from asr_console.widgets.tableview import TableView
from tests.ui_fixtures import make_test_app, open_pane
from tests.waiting import wait_until


def headline(view: TableView) -> str:
    return str(view.query_one(".headline", Line).render())


def test_rowset_groups_filtered_rows_largest_first_and_expands() -> None:
    rows = RowSet([Column("name", "Name", sort=lambda r: r[0])], search_text=lambda r: r[0])
    rows.groupings = [Grouping("code", lambda r: r[1])]
    rows.set_records(
        [("a", ["78174"]), ("b", ["78174", "539"]), ("c", []), ("d", ["539"])], key=lambda r: r[0]
    )
    rows.sort_by("name")
    rows.group_by(rows.groupings[0])
    assert [g.value for g in rows.groups.values()] == ["539", "78174", "—"]
    assert [len(g.keys) for g in rows.groups.values()] == [2, 2, 1]
    assert rows.order == list(rows.groups)  # collapsed: headers only
    header = next(iter(rows.groups))
    assert rows.toggle_group(header)
    assert rows.order[:3] == [header, "b", "d"]
    rows.set_filter("d")
    assert [g.value for g in rows.groups.values()] == ["539"] and rows.passing == ["d"]
    rows.group_by(None)
    assert rows.order == ["d"] and not rows.groups


async def test_g_groups_health_by_error_code_then_host_and_expands() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_pane(pilot, app, "health", HealthView, 12)
        table = view.table
        await pilot.press("g")
        await wait_until(lambda: table.grouping is not None, pilot=pilot)
        assert table.grouping is not None and table.grouping.label == "error"
        assert "by error:" in headline(view)
        groups = table.groups
        # every item is under some group, the biggest first, and the header counts its members
        assert sum(len(g.keys) for g in groups) >= 12
        assert [len(g.keys) for g in groups] == sorted((len(g.keys) for g in groups), reverse=True)
        first = groups[0]
        assert f"error {first.value} ({len(first.keys)})" in table.group_text(first)
        assert table.row_count == 12  # headers are not rows
        # enter on a header expands it, space collapses it again; neither marks nor opens anything
        await pilot.press("enter")
        await wait_until(lambda: table.groups[0].expanded, pilot=pilot)
        assert table.rows.order[1 : 1 + len(first.keys)] == list(first.keys)
        assert app.screen is not None and type(app.screen).__name__ == "HealthScreen"
        await pilot.press("space")
        await wait_until(lambda: not table.groups[0].expanded, pilot=pilot)
        assert not table.marks
        # on an expanded group's member, space marks the item
        await pilot.press("enter", "down", "space")
        await wait_until(lambda: len(table.marks) == 1, pilot=pilot)
        await pilot.press("g")
        await wait_until(lambda: table.grouping is not None and table.grouping.label == "host", pilot=pilot)
        for _ in range(3):
            await pilot.press("g")
        await wait_until(lambda: table.grouping is None, pilot=pilot)
        assert table.rows.order == table.visible_keys and "by " not in headline(view)


@pytest.mark.parametrize(
    ("mode", "view", "rows", "labels"),
    [
        ("vms", InventoryView, 30, ["host", "cluster", "datastore", "network"]),
        ("jobs", JobsView, 3, ["state", "scenario"]),
    ],
)
async def test_g_cycles_each_panes_groupings(
    mode: str, view: type[TableView], rows: int, labels: list[str]
) -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 48)) as pilot:
        found = await open_pane(pilot, app, mode, view, rows)
        table: KeyedTable = found.table
        table.focus()
        seen = []
        for _ in labels:
            await pilot.press("g")
            await wait_until(
                lambda: table.grouping is not None and table.grouping.label not in seen, pilot=pilot
            )
            assert table.grouping is not None
            seen.append(table.grouping.label)
            assert sum(len(g.keys) for g in table.groups) >= rows
        assert seen == labels
        await pilot.press("g")
        await wait_until(lambda: table.grouping is None, pilot=pilot)
