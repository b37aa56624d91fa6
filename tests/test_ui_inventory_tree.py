"""Issue 12 §9: the ``:vms`` tree follows the table's keys: j/k move, Tab leaves it, space marks the
VMs under the node."""

from __future__ import annotations

from textual.widgets import Tree

from asr_console.widgets.inventory import InventoryView
from asr_console.widgets.table import KeyedTable
from tests.ui_fixtures import make_test_app, open_pane
from tests.waiting import wait_until


async def test_tree_keys_follow_the_table() -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 48)) as pilot:
        view = await open_pane(pilot, app, "vms", InventoryView, 30)
        tree: Tree[tuple[str, str] | None] = view.query_one("#inventory-tree", Tree)
        tree.focus()
        await wait_until(lambda: tree.has_focus, pilot=pilot)
        start = tree.cursor_line
        await pilot.press("j", "j")
        await wait_until(lambda: tree.cursor_line == start + 2, pilot=pilot)
        await pilot.press("k")
        await wait_until(lambda: tree.cursor_line == start + 1, pilot=pilot)
        # the node under the cursor is a datacenter: space marks its VMs and keeps the tree open
        node = tree.cursor_node
        assert node is not None and node.data is not None and node.data[0] == "datacenter"
        expanded = node.is_expanded
        await pilot.press("space")
        await wait_until(lambda: len(view.table.marks) > 0, pilot=pilot)
        marked = set(view.table.marks)
        assert marked == {
            k for k in view.table.visible_keys if view.table.record(k).datacenter == node.data[1]
        }
        assert node.is_expanded == expanded
        # space again unmarks them
        await pilot.press("space")
        await wait_until(lambda: not view.table.marks, pilot=pilot)
        # tab leaves the tree for the table
        await pilot.press("tab")
        await wait_until(lambda: isinstance(app.focused, KeyedTable), pilot=pilot)
