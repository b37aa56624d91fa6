"""Themes as data: TOML files turned into ``textual.theme.Theme``.

Built-in themes sit beside this module; user themes are ``<config dir>/themes/*.toml`` with the same
keys. A user theme that does not parse or lacks a colour is skipped with a message, never fatal.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

BUILTIN_DIR = Path(__file__).parent
DEFAULT_THEME = "dark"
NO_COLOR_THEME = "monochrome"

# Every theme gets these, so .tcss may use $health-* whatever theme (even a Textual built-in) is active.
HEALTH_DEFAULTS = {
    "health-normal": "#3fb950",
    "health-warning": "#d29922",
    "health-critical": "#f85149",
    "health-stale": "#8b949e",
}

_COLOUR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)


class ThemeError(ValueError):
    pass


@dataclass
class LoadedThemes:
    themes: dict[str, Theme] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def theme_from_data(data: dict[str, Any], origin: str) -> Theme:
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ThemeError(f"{origin}: 'name' must be a non-empty string")
    if not isinstance(data.get("primary"), str):
        raise ThemeError(f"{origin}: 'primary' colour is required")
    kwargs: dict[str, Any] = {}
    for key in _COLOUR_KEYS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ThemeError(f"{origin}: {key} must be a colour string")
        try:
            Color.parse(value)
        except ColorParseError as exc:
            raise ThemeError(f"{origin}: {key}: {exc}") from exc
        kwargs[key] = value
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise ThemeError(f"{origin}: [variables] must map names to strings")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeError(f"{origin}: dark must be true or false")
    spread = data.get("luminosity_spread", 0.15)
    if not isinstance(spread, int | float):
        raise ThemeError(f"{origin}: luminosity_spread must be a number")
    return Theme(
        name=name,
        dark=dark,
        luminosity_spread=float(spread),
        variables={**HEALTH_DEFAULTS, **variables},
        **kwargs,
    )


def load_file(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ThemeError(f"{path}: {exc}") from exc
    return theme_from_data(data, str(path))


def builtin_themes() -> dict[str, Theme]:
    themes = {}
    for path in sorted(BUILTIN_DIR.glob("*.toml")):
        theme = load_file(path)
        themes[theme.name] = theme
    return themes


def load_themes(user_dir: Path | None) -> LoadedThemes:
    """Built-ins, then user themes (which may override a built-in by name)."""
    loaded = LoadedThemes(themes=builtin_themes())
    if user_dir is None or not user_dir.is_dir():
        return loaded
    for path in sorted(user_dir.glob("*.toml")):
        try:
            theme = load_file(path)
        except ThemeError as exc:
            loaded.problems.append(f"theme skipped: {exc}")
            continue
        loaded.themes[theme.name] = theme
    return loaded
