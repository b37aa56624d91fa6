"""Snapshots of every pane at 120×40 and 80×24, in the dark and high-contrast themes; of the dialogs
(failover, policy form, both confirmations, enable, Compute & Network, Prepare Azure) in every built-in
theme, showing the focused field.

The site is the fixed UI fixture with a frozen clock, so a snapshot changes only when the UI does.
Update with ``pytest tests/test_snapshots.py --snapshot-update`` and review the SVG diff.
"""

from __future__ import annotations

from typing import Any

import pytest

from asr_console.model.prepare import Create, PreparePlan, PrepareStep
from asr_console.screens.compute import ComputeNetworkScreen
from asr_console.screens.enable import EnableReplicationScreen
from asr_console.screens.prepare import PrepareAzureScreen
from asr_console.widgets.failover import FailoverView
from asr_console.widgets.inventory import InventoryView
from asr_console.widgets.policies import PoliciesView
from tests.ui_fixtures import item_id, make_test_app, policy_id
from tests.waiting import wait_until

PANES = {
    "overview": "0",
    "vms": "1",
    "health": "2",
    "policies": "3",
    "failover": "4",
    "jobs": "5",
    "infra": "6",
    "events": "7",
}
SIZES = {"120x40": (120, 40), "80x24": (80, 24)}
THEMES = ("dark", "high-contrast")
DIALOG_THEMES = ("dark", "light", "high-contrast", "monochrome")


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("pane", list(PANES))
def test_pane(snap_compare: Any, pane: str, size: str, theme: str) -> None:
    app = make_test_app(theme=theme)
    assert snap_compare(app, press=[PANES[pane]], terminal_size=SIZES[size])


@pytest.mark.parametrize("theme", DIALOG_THEMES)
def test_failover_dialog(snap_compare: Any, theme: str) -> None:
    """Test failover preselected, the operation field focused."""
    app = make_test_app(theme=theme)
    assert snap_compare(app, press=["4", "o"], terminal_size=(120, 40))


@pytest.mark.parametrize("theme", DIALOG_THEMES)
def test_policy_form_with_errors(snap_compare: Any, theme: str) -> None:
    """The name field focused, with its error and another field's."""

    async def fill(pilot: Any) -> None:
        await pilot.press("3", "n")
        await wait_until(lambda: type(pilot.app.screen).__name__ == "PolicyFormScreen", pilot=pilot)
        await pilot.press("tab", *"bad name!")
        pilot.app.screen.query_one("#f-app_consistent_frequency_minutes").value = "90"
        await pilot.pause()

    app = make_test_app(theme=theme)
    assert snap_compare(app, run_before=fill, terminal_size=(120, 40))


@pytest.mark.parametrize("theme", DIALOG_THEMES)
def test_confirm_screen(snap_compare: Any, theme: str) -> None:
    """The plan of a resync (preselected: the item needs one), answered with y."""

    async def review(pilot: Any) -> None:
        await pilot.press("4")
        await wait_until(lambda: pilot.app.current_mode == "failover", pilot=pilot)
        table = pilot.app.screen.query_one(FailoverView).table
        await wait_until(lambda: table.move_cursor_to(item_id(9)), pilot=pilot)
        await pilot.press("o")
        await wait_until(lambda: type(pilot.app.screen).__name__ == "FailoverDialog", pilot=pilot)
        await pilot.press("ctrl+r")
        await wait_until(lambda: type(pilot.app.screen).__name__ == "ConfirmScreen", pilot=pilot)

    app = make_test_app(theme=theme)
    assert snap_compare(app, run_before=review, terminal_size=(120, 40))


@pytest.mark.parametrize("theme", DIALOG_THEMES)
def test_typed_confirm_screen(snap_compare: Any, theme: str) -> None:
    """Deleting a policy: its plan, the name to type, the input focused."""

    async def delete(pilot: Any) -> None:
        await pilot.press("3")
        await wait_until(lambda: pilot.app.current_mode == "policies", pilot=pilot)
        table = pilot.app.screen.query_one(PoliciesView).table
        await wait_until(lambda: table.move_cursor_to(policy_id("gold")), pilot=pilot)
        await pilot.press("d")
        await wait_until(lambda: type(pilot.app.screen).__name__ == "TypedConfirmScreen", pilot=pilot)
        await pilot.press(*"gol")

    app = make_test_app(theme=theme)
    assert snap_compare(app, run_before=delete, terminal_size=(120, 40))


@pytest.mark.parametrize("theme", DIALOG_THEMES)
def test_enable_dialog(snap_compare: Any, theme: str) -> None:
    """One VM marked in :vms, e: its line, the policy focused, the target pickers filled once read."""

    async def open_enable(pilot: Any) -> None:
        await pilot.press("1")
        await wait_until(lambda: pilot.app.current_mode == "vms", pilot=pilot)
        table = pilot.app.screen.query_one(InventoryView).table
        await wait_until(lambda: table.move_cursor_to("vm-13"), pilot=pilot)
        await pilot.press("space", "e")
        await wait_until(lambda: isinstance(pilot.app.screen, EnableReplicationScreen), pilot=pilot)
        await wait_until(lambda: bool(pilot.app.screen.targets.storage), pilot=pilot)
        await pilot.pause()

    app = make_test_app(theme=theme)
    assert snap_compare(app, run_before=open_enable, terminal_size=(120, 40))


@pytest.mark.parametrize("theme", DIALOG_THEMES)
def test_compute_network_dialog(snap_compare: Any, theme: str) -> None:
    """An item's details, c: its name focused, the pickers showing its current settings once read."""

    async def open_compute(pilot: Any) -> None:
        await pilot.press("4")
        await wait_until(lambda: pilot.app.current_mode == "failover", pilot=pilot)
        table = pilot.app.screen.query_one(FailoverView).table
        await wait_until(lambda: table.move_cursor_to(item_id(1)), pilot=pilot)
        await pilot.press("enter")
        await wait_until(lambda: type(pilot.app.screen).__name__ == "ItemDetailScreen", pilot=pilot)
        await pilot.press("c")
        await wait_until(lambda: isinstance(pilot.app.screen, ComputeNetworkScreen), pilot=pilot)
        dialog = pilot.app.screen
        await wait_until(lambda: bool(dialog.sizes) and bool(dialog.targets.networks), pilot=pilot)
        await pilot.pause()

    app = make_test_app(theme=theme)
    assert snap_compare(app, run_before=open_compute, terminal_size=(120, 40))


# what the doctor's plan holds when the profile's group, network and cache account are all missing
PREPARE_PLAN = PreparePlan(
    steps=(
        PrepareStep(Create.RESOURCE_GROUP, "rg-dr-new", "westeurope"),
        PrepareStep(
            Create.VIRTUAL_NETWORK,
            "vnet-dr-weu",
            "westeurope",
            resource_group="rg-dr-new",
            address_prefix="10.20.0.0/16",
            subnet="snet-app",
            subnet_prefix="10.20.0.0/24",
        ),
        PrepareStep(
            Create.STORAGE_ACCOUNT,
            "stnewcache01",
            "westeurope",
            resource_group="rg-dr-new",
            sku="Standard_LRS",
            kind="StorageV2",
        ),
    ),
    confirm="rg-dr-new",
)


@pytest.mark.parametrize("theme", DIALOG_THEMES)
def test_prepare_azure_dialog(snap_compare: Any, theme: str) -> None:
    """The plan of three creates, the name field focused with the first letters typed. The fixed site
    has no doctor targets to plan from, so the dialog opens on the plan the doctor pane would hand it."""

    async def open_prepare(pilot: Any) -> None:
        pilot.app.push_screen(PrepareAzureScreen(PREPARE_PLAN, "00000000-0000-0000-0000-000000000001"))
        # its first field focused once it has composed: the resource group's name to type
        await wait_until(lambda: getattr(pilot.app.focused, "id", "") == "prepare-input", pilot=pilot)
        await pilot.press(*"rg-dr")
        await pilot.pause()

    app = make_test_app(theme=theme)
    assert snap_compare(app, run_before=open_prepare, terminal_size=(120, 40))


def test_help(snap_compare: Any) -> None:
    assert snap_compare(make_test_app(), press=["2", "question_mark"], terminal_size=(120, 40))
