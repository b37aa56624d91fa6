"""The capacity pane (``8`` / ``:capacity``): the plan per VM, the set's totals, live as churn moves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from asr_console.model.records import ChurnSample
from asr_console.model.store import Batch
from asr_console.widgets.capacity import CapacityView
from asr_console.widgets.table import KeyedTable
from tests.ui_fixtures import NOW, make_test_app, open_pane
from tests.waiting import wait_until


def row_text(table: KeyedTable, key: str) -> str:
    return " ".join(c[0] if isinstance(c, tuple) else c for c in table.cells(key))


async def test_capacity_pane_plans_every_vm_and_follows_churn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CapacityView, "REPLAN_SECONDS", 0.0)
    app = make_test_app()
    async with app.run_test(size=(160, 40)) as pilot:
        view = await open_pane(pilot, app, "capacity", CapacityView, 30)
        assert view.plan is not None
        before = len(view.plan.at_risk)
        headline = view.headline()
        assert "need" in headline and "process server" in headline
        # app-001 (vm-1) writes 512 KB/s over two disks: within Standard's 2 MB/s per disk
        assert "scsi0" not in row_text(view.table, "vm-1")
        samples = tuple((NOW - timedelta(seconds=20 * (3 - i)), 9216.0) for i in range(3))
        busy = ChurnSample(
            moref="vm-1",
            samples=samples,
            disk_samples=(("scsi0:0", (1024.0,) * 3), ("scsi0:1", (8192.0,) * 3)),
        )
        app.store.apply(Batch().upsert(busy))
        await wait_until(
            lambda: "scsi0:1 writes 8.0 MB/s" in row_text(view.table, "vm-1"),
            pilot=pilot,
            what="vm-1 marked at risk",
        )
        assert view.plan.disks_over_limit >= 1
        assert view.headline().endswith(f"{before + 1} at risk")


async def test_capacity_pane_from_the_command_bar() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("colon", *"capacity", "enter")
        await wait_until(lambda: app.current_mode == "capacity", pilot=pilot)
        view = app.screen.query_one(CapacityView)
        await wait_until(lambda: view.table.row_count == 30, pilot=pilot)
