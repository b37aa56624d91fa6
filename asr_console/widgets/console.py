"""The one typed way from a widget or a screen to the console app that runs it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode

from asr_console.widgets.fmt import stamp

if TYPE_CHECKING:  # the app sits above the widgets and screens; only its type comes down
    from asr_console.app import AsrConsoleApp


class ConsoleAccess:
    """Mixin for widgets and screens: ``console`` is the running ``AsrConsoleApp``, typed.

    Every widget and screen of this package runs inside an ``AsrConsoleApp`` (``make_app`` builds it),
    so the cast is the one place that says so.
    """

    @property
    def console(self) -> AsrConsoleApp:
        return cast("AsrConsoleApp", cast(DOMNode, self).app)

    def stamp(self, when: datetime | None, *, short: bool = False) -> str:
        """A moment with date and zone, local or UTC as the profile's ``utc`` says."""
        return stamp(when, utc=self.console.settings.utc, short=short)
