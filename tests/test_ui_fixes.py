"""Issue 12 §10: the recovery-point list and summary say what was loaded and picked; one palette entry
per theme and ``:theme`` for every registered one; ``inventory --user`` without a password names
GOVC_PASSWORD or asks for it."""

from __future__ import annotations

import getpass
import sys

import pytest
from textual.command import CommandList
from textual.widgets import Select

from asr_console.cli import main
from asr_console.model.records import RecoveryPoint
from asr_console.screens.failover import FailoverDialog
from asr_console.widgets.failover import FailoverView
from asr_console.widgets.fmt import stamp
from tests.ui_fixtures import item_id, make_test_app, open_pane, screen_as, screen_name, select_values
from tests.waiting import wait_until


async def test_recovery_point_list_and_summary_follow_the_load_and_the_pick() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await open_pane(pilot, app, "failover", FailoverView, 12)).table
        await pilot.press("slash", *"app-012", "enter")
        await wait_until(lambda: table.cursor_key == item_id(12), pilot=pilot)
        await pilot.press("o")
        await wait_until(lambda: screen_name(app) == "FailoverDialog", pilot=pilot)
        dialog = screen_as(app, FailoverDialog)
        dialog.query_one("#fo-op", Select).value = "ChangePit"
        custom = dialog.query_one("#fo-custom-point", Select)
        await wait_until(lambda: len(select_values(custom)) == 3, pilot=pilot)
        assert "load" not in custom.prompt and "3 recovery points" in custom.prompt
        preview = dialog.query_one("#fo-preview")
        await wait_until(lambda: "pick a listed recovery point" in str(preview.render()), pilot=pilot)
        custom.value = f"{item_id(12)}/recoveryPoints/rp-2"
        await wait_until(lambda: "pick a listed recovery point" not in str(preview.render()), pilot=pilot)
        point = app.store.typed(RecoveryPoint, f"{item_id(12)}/recoveryPoints/rp-2")
        assert point is not None
        assert f"Recovery point: {stamp(point.time)} {point.type}" in str(preview.render())


async def test_palette_lists_each_theme_once_and_theme_takes_textuals_own() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(lambda: type(app.screen).__name__ == "CommandPalette", pilot=pilot)
        await pilot.press(*"theme monochrome")
        hits = app.screen.query_one(CommandList)

        def monochrome_hits() -> int:
            prompts = [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]
            return sum(1 for p in prompts if "monochrome theme" in p)

        await wait_until(lambda: monochrome_hits() >= 1, pilot=pilot)
        await pilot.pause(0.3)  # every provider has answered
        assert monochrome_hits() == 1
        await pilot.press("escape")
        await wait_until(lambda: type(app.screen).__name__ != "CommandPalette", pilot=pilot)
        assert "nord" in app.available_themes
        await pilot.press(":", *"theme nord", "enter")
        await wait_until(lambda: app.theme == "nord", pilot=pilot)
        await pilot.press(":", *"theme no-such-theme", "enter")
        await wait_until(
            lambda: any("unknown theme 'no-such-theme'" in n for n in app.notifications), pilot=pilot
        )
        assert app.theme == "nord"


def test_inventory_user_without_password_names_govc_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    code = main(["inventory", "--vcenter", "http://127.0.0.1:9/sdk", "--user", "admin"])
    err = capsys.readouterr().err
    assert code == 3 and "no password for admin" in err and "GOVC_PASSWORD" in err


def test_inventory_user_without_password_asks_at_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[str] = []

    def answer(prompt: str = "") -> str:
        asked.append(prompt)
        return "pw"

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", answer)
    code = main(["inventory", "--vcenter", "http://127.0.0.1:9/sdk", "--user", "admin", "--timeout", "5"])
    err = capsys.readouterr().err
    assert asked and "admin" in asked[0] and "GOVC_PASSWORD" in asked[0]
    assert code == 3 and "no password" not in err  # it tried the vCenter with the typed password
