"""A store-bound view of one collection: a headline above a ``KeyedTable``.

Subclasses say which kind they list (``KIND``), their columns and how a record becomes cells; the base
class keeps the table in step with the store by key. ``compact`` views (the overview tiles) show fewer
columns and no marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical

from asr_console.model.queries import loading
from asr_console.model.records import Kind
from asr_console.widgets.line import Line
from asr_console.widgets.live import Pending, StoreBound
from asr_console.widgets.table import Cell, Column, Grouping, KeyedTable, filter_problem


class TableView(StoreBound, Vertical):
    KIND: ClassVar[Kind]
    TITLE: ClassVar[str] = ""
    MARKABLE: ClassVar[bool] = False
    # The stream whose first read fills this view: until it reports, counts say "loading", not 0.
    STREAM: ClassVar[str] = ""
    # Whether cells show ages relative to now, which the clock tick must repaint.
    AGES: ClassVar[bool] = True

    DEFAULT_CSS = """
    TableView { height: 1fr; }
    TableView > .headline { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, *, compact: bool = False, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.compact = compact
        self.KINDS = frozenset({self.KIND, *self.extra_kinds()})
        self.table = KeyedTable(
            self.columns(),
            self.cells,
            self.search_text,
            markable=self.MARKABLE and not compact,
            groupings=self.groupings(),
            group_summary=self.group_summary,
            id=f"{id}-table" if id else None,
        )

    # ------------------------------------------------------------------ for subclasses

    def extra_kinds(self) -> Sequence[Kind]:
        return ()

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def cells(self, record: Any) -> Sequence[Cell]:
        raise NotImplementedError

    def groupings(self) -> list[Grouping]:
        """The ways ``g`` groups this view's rows, in the order it cycles through them."""
        return []

    def group_summary(self, records: list[Any]) -> str:
        """What a group header says about its records beyond their number."""
        return ""

    def search_text(self, record: Any) -> str:
        return str(getattr(record, "name", ""))

    @property
    def awaiting_first_read(self) -> bool:
        """Nothing to count yet: the stream has not reported a read and the store holds none."""
        return bool(self.STREAM) and loading(self.store, self.STREAM, self.KIND)

    def marked_count(self) -> tuple[int, int]:
        """(marked rows shown, marked rows the filter hides): what an operation on the marks takes is
        the first."""
        shown = len(self.table.marked_records())
        return shown, len(self.table.marks) - shown

    def headline(self) -> str:
        if self.awaiting_first_read:
            return f"{self.TITLE} loading…"
        shown, total = self.table.row_count, self.table.total_count
        text = f"{self.TITLE} {total}"
        if shown != total:
            text += f" (showing {shown})"
        if self.table.grouping is not None:
            text += f"  by {self.table.grouping.label}: {len(self.table.groups)} groups"
        if self.table.filter_text:
            text += f"  filter: {self.table.filter_text}"
            problem = filter_problem(self.table.filter_text)
            if problem:
                text += f" — {problem}"
        marked, hidden = self.marked_count()
        if marked or hidden:
            text += f"  marked: {marked}"
            if hidden:
                text += f" (+{hidden} hidden by the filter)"
        return text

    def dependents(self, pending: Pending) -> set[str]:
        """Keys of this view's rows whose cells depend on other kinds that changed."""
        return set()

    # ------------------------------------------------------------------ plumbing

    @property
    def now(self) -> datetime:
        app = self.console
        return app.now()

    def compose(self) -> ComposeResult:
        yield Line(self.TITLE, classes="headline")
        yield self.table

    def records(self) -> Sequence[Any]:
        """The rows: store records, or what a record carries (the infrastructure's components)."""
        return list(self.store.values(self.KIND))

    def reset(self) -> None:
        self.table.set_records(self.records(), key=lambda r: r.key)
        self.update_headline()

    def changed(self, pending: Pending) -> None:
        up = pending.upserted.get(self.KIND, set())
        rm = pending.removed.get(self.KIND, set())
        coll = self.store.collection(self.KIND)
        upserts = [(k, coll[k]) for k in up if k in coll]
        self.table.apply(upserts, rm)
        if self.dependents(pending) - up:
            # Same records, different cells (a join or a related record moved). Only the lines on
            # screen are painted, so repainting them is as cheap as finding which of them moved.
            self.table.refresh()
        self.update_headline()

    @on(KeyedTable.MarksChanged)
    @on(KeyedTable.Regrouped)
    def _marks_changed(self) -> None:
        self.update_headline()

    def tick(self) -> None:
        if self.AGES:
            self.table.refresh_visible()

    def update_headline(self) -> None:
        self.query_one(".headline", Line).set_text(self.headline())
