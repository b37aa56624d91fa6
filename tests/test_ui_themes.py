"""Themes as data: built-ins, user themes with fallback, switching and persisting, NO_COLOR."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList

from asr_console import config
from asr_console.themes import builtin_themes, load_themes
from asr_console.widgets.table import KeyedTable
from tests.ui_fixtures import make_test_app
from tests.waiting import wait_until

HEALTH_VARS = {"health-normal", "health-warning", "health-critical", "health-stale"}


def test_builtin_themes_define_health_colours() -> None:
    themes = builtin_themes()
    assert {"dark", "light", "high-contrast", "monochrome"} <= set(themes)
    for theme in themes.values():
        assert set(theme.variables) >= HEALTH_VARS


def test_tcss_holds_no_hex_colours() -> None:
    root = Path(__file__).parent.parent / "asr_console"
    for path in root.rglob("*.tcss"):
        assert "#" not in path.read_text().replace("#overview", "").replace("#tile", "").replace(
            "#detail", ""
        ), path


def test_user_theme_loads_and_broken_one_is_reported(tmp_path: Path) -> None:
    (tmp_path / "ocean.toml").write_text(
        'name = "ocean"\nprimary = "#0077be"\n[variables]\nhealth-normal = "#00aa88"\n'
    )
    (tmp_path / "broken.toml").write_text('name = "broken"\nprimary = "not-a-colour"\n')
    (tmp_path / "syntax.toml").write_text("name = \n")
    loaded = load_themes(tmp_path)
    assert loaded.themes["ocean"].variables["health-normal"] == "#00aa88"
    assert loaded.themes["ocean"].variables["health-critical"]  # defaults fill the rest
    assert "broken" not in loaded.themes
    assert len(loaded.problems) == 2 and any("broken.toml" in p for p in loaded.problems)


async def test_unknown_configured_theme_falls_back_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "bad.toml").write_text("primary = 3\n")
    app = make_test_app(theme="nope", config_path=str(tmp_path / "config.toml"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: len(app.notifications) >= 2, pilot=pilot)
        assert app.theme == "dark"
        assert any("'nope' not found" in m for m in app.notifications)
        assert any("bad.toml" in m for m in app.notifications)


async def test_switch_theme_by_command_and_persist() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: app.screen.query(KeyedTable).first().row_count > 2, pilot=pilot)
        table = app.screen.query(KeyedTable).first()

        def row_background() -> object:
            # row 1, not the cursor row: its trailing fill carries the table's own background
            first = next(iter(table.render_line(2)))
            assert first.style is not None
            return first.style.bgcolor

        dark = row_background()
        await pilot.press(":", *"theme high-contrast", "enter")
        await wait_until(lambda: app.theme == "high-contrast", pilot=pilot)
        assert config.load_saved_theme() == "high-contrast"
        assert app.get_css_variables()["health-critical"].lower() == "#ff3030"
        # the table's cached base style follows the theme
        await wait_until(lambda: row_background() == table.rich_style.bgcolor, pilot=pilot)
        assert row_background() != dark


async def test_palette_lists_pane_and_theme_commands() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(lambda: type(app.screen).__name__ == "CommandPalette", pilot=pilot)
        await pilot.press(*"theme mono")
        hits = app.screen.query_one(CommandList)
        await wait_until(
            lambda: any(
                "monochrome" in str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)
            ),
            pilot=pilot,
        )
        await pilot.press("enter")
        await wait_until(lambda: app.theme == "monochrome", pilot=pilot)


async def test_no_color_selects_monochrome() -> None:
    app = make_test_app(theme="dark", no_color=True)
    async with app.run_test(size=(80, 24)):
        assert app.theme == "monochrome"
