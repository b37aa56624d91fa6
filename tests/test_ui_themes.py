"""Themes as data: built-ins, user themes with fallback, switching and persisting, NO_COLOR."""

from __future__ import annotations

from pathlib import Path

from asr_console.app import make_app
from asr_console.themes import builtin_themes, load_themes
from asr_console.widgets.table import KeyedTable
from tests.test_ui_panes import wait_for
from tests.ui_fixtures import MONO, NOW, Settings, build_actions, build_store

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
    store = build_store()
    actions, _ = build_actions(store)
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "bad.toml").write_text("primary = 3\n")
    settings = Settings(theme="nope", config_path=str(tmp_path / "config.toml"))
    app = make_app(settings, store, None, actions, clock=lambda: NOW, monotonic=lambda: MONO, no_color=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        assert app.theme == "dark"
        messages = [str(n.message) for n in app._notifications]
        assert any("'nope' not found" in m for m in messages)
        assert any("bad.toml" in m for m in messages)


async def test_switch_theme_by_command_and_persist() -> None:
    store = build_store()
    actions, _ = build_actions(store)
    settings = Settings()
    app = make_app(settings, store, None, actions, clock=lambda: NOW, monotonic=lambda: MONO, no_color=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        table = app.screen.query(KeyedTable).first()

        def row_background() -> object:
            # row 1, not the cursor row: its trailing fill carries the table's own background
            return table.render_line(2).__iter__().__next__().style.bgcolor  # type: ignore[union-attr]

        dark = row_background()
        await pilot.press(":", *"theme high-contrast", "enter")
        await wait_for(pilot, lambda: app.theme == "high-contrast")
        assert settings.saved_themes == ["high-contrast"]
        assert app.get_css_variables()["health-critical"].lower() == "#ff3030"
        await pilot.pause(0.1)
        # the table's cached base style follows the theme
        assert row_background() == table.rich_style.bgcolor != dark


async def test_palette_lists_pane_and_theme_commands() -> None:
    store = build_store()
    actions, _ = build_actions(store)
    app = make_app(
        Settings(), store, None, actions, clock=lambda: NOW, monotonic=lambda: MONO, no_color=False
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
        await pilot.press(*"theme mono")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.theme == "monochrome")


async def test_no_color_selects_monochrome() -> None:
    store = build_store()
    app = make_app(
        Settings(theme="dark"), store, None, None, clock=lambda: NOW, monotonic=lambda: MONO, no_color=True
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.05)
        assert app.theme == "monochrome"
