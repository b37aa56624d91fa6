"""Prepare Azure from the doctor pane (``p``) on the simulated site: the dialog shows what would be created
and goes ahead only on the typed resource group name (Enter, Tab or a wrong name create nothing); the
creates run through the actions layer and the official management clients, are audited, and the
doctor's target checks pass after."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from textual.widgets import Input, Static

from asr_console.app import make_app
from asr_console.audit import AuditLog
from asr_console.config import Settings
from asr_console.model.doctor import Verdict
from asr_console.screens.prepare import PrepareAzureScreen
from asr_console.session import build_session
from asr_console.sim import make_demo_site
from asr_console.sim.inventory import SimulatedInventory
from asr_console.widgets.doctor import DoctorView
from tests.arm_site import on_site
from tests.test_ui_simulated import FAST
from tests.ui_fixtures import live_actions
from tests.waiting import wait_until


@contextlib.asynccontextmanager
async def prepared_app(audit: AuditLog, read_only: bool = False) -> AsyncIterator[tuple[Any, Any]]:
    site = make_demo_site(vms=20, protected=5, seed=5, speed=0.0, provider="inmagercm")
    async with on_site(site) as service:
        settings = Settings(
            profile="sim",
            subscription=service.subscription,
            target_resource_group="rg-dr-new",
            target_network="vnet-dr-weu",
            target_subnet="snet-app",
            cache_storage="stnewcache01",
            read_only=read_only,
        )
        session = build_session(
            settings, service, SimulatedInventory(site, poll=0.05), intervals=FAST, audit=audit
        )
        session.clock = site.clock.now
        yield make_app(session), site


async def open_dialog(app: Any, pilot: Any) -> DoctorView:
    await pilot.press("9")
    await wait_until(lambda: app.current_mode == "doctor", pilot=pilot)
    view: DoctorView = app.screen.query_one(DoctorView)
    await wait_until(
        lambda: "azure.target.cache-storage-account" in view.checks, timeout=20, pilot=pilot, what="targets"
    )
    assert view.checks["azure.target.target-resource-group"].verdict is Verdict.FAIL
    assert "prepare" in live_actions(app)  # in the footer and ?
    await pilot.press("p")
    await wait_until(lambda: isinstance(app.screen, PrepareAzureScreen), timeout=10, pilot=pilot)
    return view


async def test_the_dialog_needs_the_typed_name_and_then_creates_and_rechecks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr(DoctorView, "RECHECK_SECONDS", 0.0)
    audit = AuditLog(tmp_path / "audit.log")
    async with prepared_app(audit) as (app, site), app.run_test(size=(160, 48)) as pilot:
        view = await open_dialog(app, pilot)
        dialog = app.screen
        plan = str(dialog.query_one("#prepare-plan", Static).render())
        assert "resource group rg-dr-new, westeurope" in plan
        assert "storage account stnewcache01 in rg-dr-new, westeurope, Standard_LRS StorageV2" in plan
        # Enter and Tab alone, then a wrong name: still the dialog, nothing created
        await pilot.press("enter", "tab", "shift+tab", "enter")
        await pilot.press(*"rg-dr", "enter")
        assert app.screen is dialog
        assert "does not match" in str(dialog.query_one("#prepare-error", Static).render())
        assert "rg-dr-new" not in site.state.targets.groups and audit.entries() == []

        dialog.query_one(Input).value = ""
        await pilot.press(*"rg-dr-new", "enter")
        await wait_until(lambda: app.screen is not dialog, pilot=pilot)
        await wait_until(
            lambda: any(a.name == "stnewcache01" for a in site.state.targets.storage),
            timeout=20,
            pilot=pilot,
            what="the storage account created",
        )
        # the doctor reads the targets again: both checks pass now
        await wait_until(
            lambda: (
                view.checks["azure.target.target-resource-group"].verdict is Verdict.PASS
                and view.checks["azure.target.cache-storage-account"].verdict is Verdict.PASS
            ),
            timeout=20,
            pilot=pilot,
            what="the target checks passing",
        )
        assert [(e["phase"], e["action"]) for e in audit.entries()] == [
            ("intent", "create resource group"),
            ("result", "create resource group"),
            ("intent", "create storage account"),
            ("result", "create storage account"),
        ]


async def test_escape_cancels_and_creates_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setattr(DoctorView, "RECHECK_SECONDS", 0.0)
    audit = AuditLog(tmp_path / "audit.log")
    async with prepared_app(audit) as (app, site), app.run_test(size=(160, 48)) as pilot:
        await open_dialog(app, pilot)
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, PrepareAzureScreen), pilot=pilot)
        assert "rg-dr-new" not in site.state.targets.groups and audit.entries() == []


async def test_a_read_only_console_neither_shows_nor_runs_prepare_azure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr(DoctorView, "RECHECK_SECONDS", 0.0)
    audit = AuditLog(tmp_path / "audit.log")
    async with prepared_app(audit, read_only=True) as (app, site), app.run_test(size=(160, 48)) as pilot:
        await pilot.press("9")
        await wait_until(lambda: app.current_mode == "doctor", pilot=pilot)
        view = app.screen.query_one(DoctorView)
        await wait_until(lambda: "azure.target.cache-storage-account" in view.checks, timeout=20, pilot=pilot)
        assert "prepare" not in live_actions(app)
        await pilot.press("p")
        await pilot.pause()
        assert not isinstance(app.screen, PrepareAzureScreen)
        assert "rg-dr-new" not in site.state.targets.groups
