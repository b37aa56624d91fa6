"""The doctor pane (``9`` / ``:doctor``) on the simulated site: the same checks as ``asr-console doctor``,
live from the real sync engine, the vCenter account's privileges read in a worker."""

from __future__ import annotations

import pytest

from asr_console.model.doctor import Verdict
from asr_console.screens.details import CheckDetailScreen
from asr_console.widgets.doctor import DoctorView
from tests.test_ui_simulated import simulated_app
from tests.waiting import wait_until


async def test_doctor_pane_shows_the_checks_with_planted_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DoctorView, "RECHECK_SECONDS", 0.0)
    async with simulated_app() as (app, _session, _site), app.run_test(size=(160, 48)) as pilot:
        await pilot.press("9")
        await wait_until(lambda: app.current_mode == "doctor", pilot=pilot)
        view = app.screen.query_one(DoctorView)
        # the vault's infrastructure and the vCenter privileges arrive, and the checks follow
        await wait_until(
            lambda: (
                "vmware.privileges.replication" in view.checks
                and any(k.startswith("infra.ps.") for k in view.checks)
            ),
            timeout=20,
            pilot=pilot,
            what="infrastructure and privilege checks",
        )
        replication = view.checks["vmware.privileges.replication"]
        assert replication.verdict is Verdict.WARN
        assert "VirtualMachine.Interact.PowerOff" in replication.found
        assert view.checks["azure.vault"].verdict is Verdict.PASS
        # the Azure side's permissions and targets arrive from the same worker
        await wait_until(
            lambda: view.checks["azure.providers"].verdict is Verdict.PASS, pilot=pilot, what="access checks"
        )
        assert view.checks["azure.permissions.vault"].verdict is Verdict.PASS
        assert view.table.row_count == len(view.checks)
        # worst first: no passing check above a warning one
        order = [view.table.record(k).verdict for k in view.table.visible_keys]
        assert order.index(Verdict.WARN) < order.index(Verdict.PASS)
        assert "warn" in view.headline()
        # Enter shows the check in full, fix included
        view.table.focus()
        key = view.table.visible_keys[0]
        view.table.move_cursor_to(key)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, CheckDetailScreen), pilot=pilot)
        assert app.screen.check.id == key
