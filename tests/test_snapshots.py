"""Snapshots of every pane at 120×40 and 80×24, in the dark and high-contrast themes.

The site is the fixed UI fixture with a frozen clock, so a snapshot changes only when the UI does.
Update with ``pytest tests/test_snapshots.py --snapshot-update`` and review the SVG diff.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui_fixtures import make_test_app

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


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("pane", list(PANES))
def test_pane(snap_compare: Any, pane: str, size: str, theme: str) -> None:
    app = make_test_app(theme=theme)
    assert snap_compare(app, press=[PANES[pane]], terminal_size=SIZES[size])


@pytest.mark.parametrize("theme", THEMES)
def test_failover_dialog(snap_compare: Any, theme: str) -> None:
    app = make_test_app(theme=theme)
    assert snap_compare(app, press=["4", "o"], terminal_size=(120, 40))


def test_policy_form_with_errors(snap_compare: Any) -> None:
    async def fill(pilot: Any) -> None:
        await pilot.press("3", "n", *"bad name!")
        pilot.app.screen.query_one("#f-app_consistent_frequency_minutes").value = "90"
        await pilot.pause()

    app = make_test_app()
    assert snap_compare(app, run_before=fill, terminal_size=(120, 40))


def test_help(snap_compare: Any) -> None:
    assert snap_compare(make_test_app(), press=["2", "question_mark"], terminal_size=(120, 40))
