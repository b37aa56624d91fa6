"""The `/` filter line under a table: filters as you type; enter keeps it, esc clears it."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

from asr_console.widgets.table import KeyedTable


class FilterBar(Input):
    """Attributes: ``table`` — the ``KeyedTable`` it filters (set by the pane when it opens)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear", "Clear filter")]
    DEFAULT_CSS = """
    FilterBar { height: 1; border: none; padding: 0 1; display: none; background: $panel; }
    FilterBar:focus { border: none; }
    FilterBar.open { display: block; }
    """

    table: KeyedTable | None = None

    def __init__(self) -> None:
        super().__init__(placeholder="/filter (re: for a regex)", id="filter-bar")

    def open_for(self, table: KeyedTable) -> None:
        self.table = table
        self.value = table.filter_text
        self.add_class("open")
        # focus now, not after the next refresh (as focus() does): keys typed or pasted right after
        # `/` are sent by the app to the focused widget, and would otherwise reach the table
        self.screen.set_focus(self)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.table is not None:
            self.table.set_filter(event.value)
            self.post_message(FilterBar.Applied(self))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.value:
            self.remove_class("open")
        if self.table is not None:
            self.table.focus()

    def action_clear(self) -> None:
        self.value = ""
        if self.table is not None:
            self.table.set_filter("")
            self.table.focus()
        self.remove_class("open")
        self.post_message(FilterBar.Applied(self))

    class Applied(Message):
        """The filter changed: the pane updates its headline."""

        def __init__(self, bar: FilterBar) -> None:
            super().__init__()
            self.bar = bar
