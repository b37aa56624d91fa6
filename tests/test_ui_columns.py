"""Issue 12 §8: columns are as wide as their content, within the terminal; the state survives at 80
columns in ``:failover``; disks read ``60G+200G``; ``:infra`` shows names whole, each process server
and vCenter under its appliance."""

from __future__ import annotations

import dataclasses

import pytest

from asr_console.model.records import Fabric, FabricKind, ProcessServer, VCenterRegistration
from asr_console.model.store import Batch
from asr_console.widgets.failover import FailoverView
from asr_console.widgets.infra import InfraView
from asr_console.widgets.inventory import InventoryView
from asr_console.widgets.jobs import JobsView
from asr_console.widgets.table import KeyedTable
from tests.ui_fixtures import build_store, make_test_app, open_pane
from tests.waiting import wait_until


def shown(table: KeyedTable) -> dict[str, int]:
    """Column key → width as the table lays it out now."""
    return table.column_widths()


@pytest.mark.parametrize("width", [80, 120, 200])
async def test_failover_keeps_its_state_column(width: int) -> None:
    app = make_test_app()
    async with app.run_test(size=(width, 30)) as pilot:
        view = await open_pane(pilot, app, "failover", FailoverView, 12)
        await wait_until(lambda: view.table.size.width > 0, pilot=pilot)
        widths = shown(view.table)
        assert {"name", "health", "state"} <= widths.keys()
        assert widths["state"] >= len("Protected") and sum(widths.values()) + len(widths) - 1 <= width


async def test_long_values_are_not_cut_when_the_width_allows() -> None:
    store = build_store()
    ps = next(iter(store.all(ProcessServer)))
    fabric = next(iter(store.all(Fabric)))
    long_ps = "process-server-with-a-long-name-01"
    store.apply(
        Batch().upsert(
            dataclasses.replace(ps, name=long_ps),
            dataclasses.replace(fabric, kind=FabricKind.CONFIGURATION_SERVER),
        )
    )
    app = make_test_app(store=store)
    async with app.run_test(size=(160, 30)) as pilot:
        view = await open_pane(pilot, app, "infra", InfraView, 3)
        await wait_until(lambda: view.table.size.width > 0, pilot=pilot)
        widths = shown(view.table)
        assert widths["name"] >= len(long_ps) and widths["kind"] >= len("configuration-server")
        screen = app.export_screenshot()
        assert "process-server-with-a-long-name-01" in screen.replace("&#160;", " ")
        # each fabric, then its process servers, then its vCenters
        kinds = [type(view.table.record(k)) for k in view.table.visible_keys]
        assert kinds == [Fabric, ProcessServer, VCenterRegistration]


async def test_disks_are_listed_by_size() -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 48)) as pilot:
        view = await open_pane(pilot, app, "vms", InventoryView, 30)
        key = view.table.visible_keys[0]
        vm = view.table.record(key)
        index = [c.key for c in view.table.columns].index("disks")
        assert view.table.cells(key)[index] == f"{61 + int(vm.name[-3:]) - 1}G+200G"


async def test_jobs_columns_fit_their_values() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 30)) as pilot:
        view = await open_pane(pilot, app, "jobs", JobsView, 3)
        await wait_until(lambda: view.table.size.width > 0, pilot=pilot)
        widths = shown(view.table)
        assert widths["state"] >= len("InProgress") and widths["name"] >= len("Enable replication")
        assert widths["start"] >= len("Mar 02 09:18:00 UTC")
