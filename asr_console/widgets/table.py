"""A keyed table that renders only the rows on screen (Textual's Line API).

Why not ``DataTable``: rebuilding 10,000 rows per filter keystroke takes about a second here
(ASR-NOTES "Textual at scale"). Its ``rows`` (``rows.RowSet``) keep a plain dict of records keyed by
ARM id or moref and a list of the keys that pass the filter, in sort order. Cells are computed from the
record only when a row is painted, so a live update is "replace one record, repaint its line if
visible", a filter keystroke is one pass over precomputed search strings, and ages (relative to the
app's clock) stay current by a cheap repaint of the visible lines.

Attributes a pane reads: ``cursor_key``, ``marks``, ``filter_text``, ``visible_keys``, ``row_count``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from asr_console.widgets.rows import (
    Cell,
    Column,
    Group,
    Grouping,
    RowSet,
    compile_filter,
    filter_problem,
)

__all__ = ["ROLES", "Cell", "Column", "Grouping", "KeyedTable", "compile_filter", "filter_problem"]

ROLES = ("normal", "warning", "critical", "stale", "muted", "accent", "ok")


class KeyedTable(ScrollView, can_focus=True):
    """Rows keyed by a string; only visible lines are rendered."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end,G", "edge(1)", "Last", show=False),
        Binding("space", "toggle_mark", "Mark"),
        Binding("enter", "activate", "Open"),
        Binding("s", "sort_next", "Sort"),
        Binding("S", "sort_reverse", "Reverse", show=False),
        Binding("g", "group_next", "Group"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keyed-table--header",
        "keyed-table--cursor",
        "keyed-table--marked",
        "keyed-table--group",
        *(f"keyed-table--{role}" for role in ROLES),
    }

    DEFAULT_CSS = """
    KeyedTable {
        overflow-x: hidden;
        overflow-y: auto;
        background: $surface;
        height: 1fr;
    }
    KeyedTable > .keyed-table--header { text-style: bold; color: $text-muted; background: $panel; }
    KeyedTable > .keyed-table--cursor { background: $surface-lighten-2; }
    KeyedTable:focus > .keyed-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    KeyedTable > .keyed-table--marked { text-style: bold; color: $accent; }
    KeyedTable > .keyed-table--group { text-style: bold; background: $boost; }
    KeyedTable > .keyed-table--normal { color: $health-normal; }
    KeyedTable > .keyed-table--ok { color: $health-normal; }
    KeyedTable > .keyed-table--warning { color: $health-warning; }
    KeyedTable > .keyed-table--critical { color: $health-critical; text-style: bold; }
    KeyedTable > .keyed-table--stale { color: $health-stale; }
    KeyedTable > .keyed-table--muted { color: $text-muted; }
    KeyedTable > .keyed-table--accent { color: $accent; }
    """

    class Activated(Message):
        """Enter (or a double click) on a row."""

        def __init__(self, table: KeyedTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> KeyedTable:
            return self.table

    class CursorMoved(Message):
        def __init__(self, table: KeyedTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> KeyedTable:
            return self.table

    class Regrouped(Message):
        """``g`` chose another grouping (or none)."""

        def __init__(self, table: KeyedTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> KeyedTable:
            return self.table

    class MarksChanged(Message):
        def __init__(self, table: KeyedTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> KeyedTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        render_row: Callable[[Any], Sequence[Cell]],
        search_text: Callable[[Any], str],
        *,
        include: Callable[[Any], bool] | None = None,
        markable: bool = True,
        groupings: Sequence[Grouping] = (),
        group_summary: Callable[[list[Any]], str] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.rows = RowSet(columns, search_text, include)
        self.rows.groupings = list(groupings)
        self._group_summary = group_summary
        self.columns = self.rows.columns
        self._render_row = render_row
        self.markable = markable
        self.cursor_key: str | None = None
        self._cursor_row = 0
        self._layout: list[tuple[int, int]] = []
        self._widths_for = -1
        self._measured: list[int] | None = None
        self._base_style: Style | None = None
        self._pass_width: int | None = None
        # line on screen → (key, cells) it was last painted with; the clock tick repaints what differs
        self._painted: dict[int, tuple[str, tuple[Any, ...]]] = {}

    # ------------------------------------------------------------------ data (``rows``)

    @property
    def row_count(self) -> int:
        """Records that pass the filter (group header lines are not rows)."""
        return len(self.rows.passing)

    @property
    def total_count(self) -> int:
        return len(self.rows)

    @property
    def visible_keys(self) -> list[str]:
        return list(self.rows.passing)

    @property
    def grouping(self) -> Grouping | None:
        return self.rows.grouping

    @property
    def groups(self) -> list[Group]:
        """The group headers in the order shown (empty when not grouped)."""
        return list(self.rows.groups.values())

    def group_by(self, label: str | None) -> None:
        """Group by the offered grouping named ``label`` (None: plain rows)."""
        grouping = next((g for g in self.rows.groupings if g.label == label), None)
        self.rows.group_by(grouping)
        self._reordered()
        self._set_cursor_row(0)
        self.post_message(self.Regrouped(self))

    def action_group_next(self) -> None:
        """Cycle through the groupings this table offers, then back to plain rows."""
        offered = self.rows.groupings
        if not offered:
            return
        current = self.rows.grouping
        i = offered.index(current) + 1 if current in offered else 0
        self.group_by(offered[i].label if i < len(offered) else None)

    def toggle_group(self, key: str) -> bool:
        if not self.rows.toggle_group(key):
            return False
        self._reordered()
        return True

    @property
    def filter_text(self) -> str:
        return self.rows.filter_text

    @property
    def marks(self) -> set[str]:
        return self.rows.marks

    @marks.setter
    def marks(self, keys: set[str]) -> None:
        self.rows.marks = set(keys)
        self.refresh()

    @property
    def sort_column(self) -> str | None:
        return self.rows.sort_column

    @sort_column.setter
    def sort_column(self, column: str | None) -> None:
        self.rows.sort_column = column
        self.refresh()

    @property
    def sort_reverse(self) -> bool:
        return self.rows.sort_reverse

    @sort_reverse.setter
    def sort_reverse(self, reverse: bool) -> None:
        self.rows.sort_reverse = reverse
        self.refresh()

    def record(self, key: str) -> Any:
        return self.rows.record(key)

    @property
    def cursor_row(self) -> int:
        """The cursor's position among the visible rows."""
        return self._cursor_row

    def cells(self, key: str) -> tuple[Cell, ...]:
        """A row's cells as the table paints them."""
        return tuple(self._render_row(self.rows.record(key)))

    @property
    def cursor_record(self) -> Any:
        return self.rows.record(self.cursor_key)

    def marked_records(self) -> list[Any]:
        return self.rows.marked_records()

    def set_include(self, include: Callable[[Any], bool] | None) -> None:
        """A pane-level predicate (e.g. the inventory tree's selected host, or a job-state filter)."""
        self.rows.set_include(include)
        self._reordered()

    def set_records(self, records: Iterable[Any], key: Callable[[Any], str]) -> None:
        """Replace every record; cursor, marks (of keys still present), sort and filter are kept."""
        self.rows.set_records(records, key)
        self._reordered()

    def apply(self, upserts: Iterable[tuple[str, Any]], removed: Iterable[str] = ()) -> None:
        """Upsert and remove by key; repaints the changed rows on screen, or the whole view if the
        order changed."""
        changed = self.rows.apply(upserts, removed)
        if changed is None:
            self._reordered()
            return
        if changed:
            self._remeasure()
            self.refresh()  # a wider value may move every column
            return
        top = int(self.scroll_y)
        height = max(0, self.size.height - 1)
        index = self.rows.index
        for k in changed:
            row = index.get(k)
            if row is not None and top <= row < top + height:
                self._repaint_line(row - top + 1)

    def _reordered(self) -> None:
        self._remeasure()
        self._restore_cursor()
        self.virtual_size = Size(self.size.width, len(self.rows.order) + 1)
        self.refresh()

    def _restore_cursor(self) -> None:
        order, index = self.rows.order, self.rows.index
        if self.cursor_key is not None and self.cursor_key in index:
            self._cursor_row = index[self.cursor_key]
            return
        if not order:
            self._cursor_row = 0
            self.cursor_key = None
            return
        # The cursor's row vanished (removed or filtered out): take the row now at the same position.
        self._set_cursor_row(min(self._cursor_row, len(order) - 1), scroll=False)

    # ------------------------------------------------------------------ filter and sort

    def set_filter(self, text: str) -> None:
        self.rows.set_filter(text)
        self._reordered()
        if self.rows.order:
            self._set_cursor_row(self.rows.index.get(self.cursor_key or "", 0), scroll=True)

    def sort_by(self, column: str | None, reverse: bool | None = None) -> None:
        self.rows.sort_by(column, reverse)
        self._reordered()
        self._scroll_cursor_into_view()

    def action_sort_next(self) -> None:
        sortable = [c.key for c in self.columns if c.sort is not None]
        if not sortable:
            return
        if self.sort_column not in sortable:
            self.sort_by(sortable[0], False)
        else:
            i = sortable.index(self.sort_column)
            self.sort_by(sortable[(i + 1) % len(sortable)] if i + 1 < len(sortable) else None, False)

    def action_sort_reverse(self) -> None:
        if self.sort_column is not None:
            self.sort_by(self.sort_column, not self.sort_reverse)

    # ------------------------------------------------------------------ cursor and marks

    def _set_cursor_row(self, row: int, *, scroll: bool = True) -> None:
        if not self.rows.order:
            return
        row = max(0, min(row, len(self.rows.order) - 1))
        old_row = self._cursor_row
        self._cursor_row = row
        key = self.rows.order[row]
        changed = key != self.cursor_key
        self.cursor_key = key
        top = int(self.scroll_y)
        self._repaint_line(old_row - top + 1)
        self._repaint_line(row - top + 1)
        if scroll:
            self._scroll_cursor_into_view()
        if changed:
            self.post_message(self.CursorMoved(self, key))

    def move_cursor_to(self, key: str) -> bool:
        row = self.rows.index.get(key)
        if row is None:
            return False
        self._set_cursor_row(row)
        return True

    def _scroll_cursor_into_view(self) -> None:
        height = max(1, self.size.height - 1)
        top = int(self.scroll_y)
        row = self._cursor_row
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self._set_cursor_row(self._cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self._set_cursor_row(self._cursor_row + direction * max(1, self.size.height - 2))

    def action_edge(self, end: int) -> None:
        self._set_cursor_row(len(self.rows.order) - 1 if end else 0)

    def action_toggle_mark(self) -> None:
        if self.cursor_key is not None and self.toggle_group(self.cursor_key):
            return
        if not self.markable or self.cursor_key is None:
            return
        if self.cursor_key in self.marks:
            self.marks.discard(self.cursor_key)
        else:
            self.marks.add(self.cursor_key)
        self.post_message(self.MarksChanged(self))
        self._set_cursor_row(self._cursor_row + 1)
        self.refresh()

    def clear_marks(self) -> None:
        if self.marks:
            self.marks.clear()
            self.post_message(self.MarksChanged(self))
            self.refresh()

    def action_activate(self) -> None:
        if self.cursor_key is not None and self.toggle_group(self.cursor_key):
            return
        if self.cursor_key is not None:
            self.post_message(self.Activated(self, self.cursor_key))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            col = self._column_at(event.x)
            if col is not None and col.sort is not None:
                if self.sort_column == col.key:
                    self.sort_by(col.key, not self.sort_reverse)
                else:
                    self.sort_by(col.key, False)
            return
        self._set_cursor_row(int(self.scroll_y) + event.y - 1)
        if event.chain >= 2:
            self.action_activate()

    def _column_at(self, x: int) -> Column | None:
        pos = 0
        for index, width in self._column_layout():
            if pos <= x < pos + width + 1:
                return self.columns[index]
            pos += width + 1
        return None

    # ------------------------------------------------------------------ rendering

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows.order) + 1)
        self._remeasure()
        self._scroll_cursor_into_view()

    # Rows measured for content widths: the first ones in order and those on screen. A table of
    # 10,000 rows is not measured whole on each change.
    MEASURE_ROWS = 300
    # A column without max_width grows to at most this many cells from its content
    CONTENT_CAP = 60
    # A flexible column keeps at least this many cells (or its content's) before others are hidden
    FLEX_MIN = 16

    def _content_widths(self) -> list[int]:
        """Per column, the cells its label and its widest measured value need."""
        if self._measured is not None:
            return self._measured
        # the sorted column's label carries an arrow
        widths = [cell_len(c.label) + (2 if c.key == self.sort_column else 0) for c in self.columns]
        order = self.rows.passing
        top = int(self.scroll_y)
        sample = dict.fromkeys(order[: self.MEASURE_ROWS])
        sample.update(dict.fromkeys(order[top : top + max(0, self.size.height)]))
        for key in sample:
            for i, cell in enumerate(self._render_row(self.rows.record(key))):
                if i < len(widths):
                    text = cell[0] if isinstance(cell, tuple) else cell
                    widths[i] = max(widths[i], cell_len(text))
        if self.markable and widths:
            widths[0] += 2  # the mark
        for i, col in enumerate(self.columns):
            widths[i] = min(widths[i], col.max_width or self.CONTENT_CAP)
        self._measured = widths
        return widths

    def _remeasure(self) -> None:
        self._measured = None
        self._widths_for = -1

    def _column_layout(self, width: int | None = None) -> list[tuple[int, int]]:
        """(column index, width) of the columns that fit: each as wide as its content, hiding
        low-priority columns first, then narrowing the widest flexible ones."""
        if width is None:
            width = self.scrollable_content_region.width
        if width == self._widths_for:
            return self._layout
        content = self._content_widths() if self.rows.passing else [c.width for c in self.columns]
        shown = list(range(len(self.columns)))
        # a flexible column (a name, a message) may give up cells before another column is hidden
        least = {
            i: min(content[i], max(cell_len(c.label) + 2, self.FLEX_MIN)) if c.flex else content[i]
            for i, c in enumerate(self.columns)
        }

        def needed(widths: dict[int, int]) -> int:
            return sum(widths[i] for i in shown) + len(shown) - 1

        while needed(least) > width:
            droppable = [i for i in shown if self.columns[i].priority > 0]
            if not droppable:
                break
            shown.remove(max(droppable, key=lambda i: (self.columns[i].priority, i)))
        widths = {i: least[i] for i in shown}
        spare = width - needed(widths)
        growing = [i for i in shown if widths[i] < content[i]]
        while spare > 0 and growing:
            share = max(1, spare // len(growing))
            for i in list(growing):
                grow = min(share, spare, content[i] - widths[i])
                widths[i] += grow
                spare -= grow
                if widths[i] >= content[i]:
                    growing.remove(i)
                if not spare:
                    break
        deficit = -spare
        for i in reversed(shown):
            if deficit <= 0:
                break
            cut = min(deficit, widths[i] - 1)
            widths[i] -= cut
            deficit -= cut
        self._layout = [(i, widths[i]) for i in shown]
        self._widths_for = width
        return self._layout

    def column_widths(self) -> dict[str, int]:
        """Column key → width, for the columns the current width shows."""
        return {self.columns[i].key: w for i, w in self._column_layout()}

    def _fit(self, text: str, width: int, align: str) -> str:
        if width <= 0:
            return ""
        length = cell_len(text)
        if length > width:
            return set_cell_size(text, width - 1) + "…" if width > 1 else text[:1]
        if align == "right":
            return " " * (width - length) + text
        return text + " " * (width - length)

    def _role_style(self, role: str) -> Style:
        return self.get_component_rich_style(f"keyed-table--{role}", default=Style())

    def notify_style_update(self) -> None:
        self._base_style = None
        super().notify_style_update()

    def _base(self) -> Style:
        # DOMNode.rich_style walks every ancestor; once per line it was a quarter of an idle repaint
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    def render_lines(self, crop: Region) -> list[Strip]:
        # The geometry is the same for every line of one pass; asking the DOM for it per line was a
        # quarter of an idle repaint in a profile.
        self._pass_width = self.scrollable_content_region.width
        try:
            return super().render_lines(crop)
        finally:
            self._pass_width = None

    def render_line(self, y: int) -> Strip:
        width = self._pass_width if self._pass_width is not None else self.scrollable_content_region.width
        layout = self._column_layout(width)
        base = self._base()
        if y == 0:
            style = base + self.get_component_rich_style("keyed-table--header")
            parts = []
            for index, w in layout:
                col = self.columns[index]
                label = col.label
                if col.key == self.sort_column:
                    label += " ▼" if self.sort_reverse else " ▲"
                parts.append(self._fit(label, w, col.align))
            text = " ".join(parts)
            return Strip([Segment(self._fit(text, width, "left"), style)], width)
        row = int(self.scroll_y) + y - 1
        if not 0 <= row < len(self.rows.order):
            self._painted.pop(y, None)
            return Strip.blank(width, base)
        key = self.rows.order[row]
        group = self.rows.groups.get(key)
        if group is not None:
            return self._group_line(group, row, width, base)
        cells = tuple(self._render_row(self.rows.record(key)))
        self._painted[y] = (key, cells)
        row_style = base
        marked = key in self.marks
        if marked:
            row_style = row_style + self.get_component_rich_style("keyed-table--marked")
        segments: list[Segment] = []
        used = 0
        for n, (index, w) in enumerate(layout):
            col = self.columns[index]
            cell = cells[index] if index < len(cells) else ""
            if isinstance(cell, tuple):
                text, role = cell
                style = row_style + self._role_style(role)
            else:
                text, style = cell, row_style
            if n == 0 and self.markable:
                text = ("● " if marked else "  ") + text
            if n:
                segments.append(Segment(" ", row_style))
                used += 1
            segments.append(Segment(self._fit(text, w, col.align), style))
            used += w
        if used < width:
            segments.append(Segment(" " * (width - used), row_style))
        if row == self._cursor_row:
            cursor = self.get_component_rich_style("keyed-table--cursor")
            segments = [Segment(s.text, (s.style or Style()) + cursor) for s in segments]
        return Strip(segments, width).crop(0, width)

    def group_text(self, group: Group) -> str:
        """A header line: the value, how many records are under it and what they are."""
        records = [self.rows.record(k) for k in group.keys]
        mark = "▾" if group.expanded else "▸"
        label = self.rows.grouping.label if self.rows.grouping else ""
        summary = self._group_summary(records) if self._group_summary else ""
        text = f"{mark} {label} {group.value} ({len(records)})"
        return f"{text}  {summary}" if summary else text

    def _group_line(self, group: Group, row: int, width: int, base: Style) -> Strip:
        self._painted.pop(row - int(self.scroll_y) + 1, None)
        style = base + self.get_component_rich_style("keyed-table--group")
        if row == self._cursor_row:
            style += self.get_component_rich_style("keyed-table--cursor")
        return Strip([Segment(self._fit(self.group_text(group), width, "left"), style)], width)

    def _repaint_line(self, y: int) -> None:
        """Repaint line ``y`` of the widget as it is on screen (0 is the header).

        ``ScrollView.refresh_line`` takes a line of the whole scrolled content; ours are lines of the
        view, as ``render_line`` gets them.
        """
        self.refresh(Region(0, y, max(self.virtual_size.width, self.size.width), 1))

    def refresh_visible(self) -> None:
        """Repaint the rows on screen whose cells changed since they were painted: ages move on even
        when the records do not, but most shown in minutes or hours read the same two seconds later."""
        for y, (key, cells) in list(self._painted.items()):
            record = self.rows.record(key)
            if record is None or tuple(self._render_row(record)) != cells:
                self._repaint_line(y)
