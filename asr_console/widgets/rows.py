"""What a keyed table shows, without painting it: records by key, the filter, the sort and the marks.

Kept apart from ``table.KeyedTable`` (which paints the visible lines) so the rules of membership and
order read, and test, on their own. Cells are not computed here: the table renders a row from its
record only when the row is painted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# A cell is plain text, or (text, role) where role names a colour role: normal, warning, critical,
# stale, muted, accent, ok.
Cell = str | tuple[str, str]
REGEX_PREFIX = "re:"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int = 10
    flex: bool = False  # takes a share of the spare width
    align: str = "left"
    sort: Callable[[Any], Any] | None = None  # sort value from the record; None: not sortable
    priority: int = 0  # on narrow terminals, columns with the highest priority are hidden first; 0 never
    max_width: int = 0  # a flex column grows up to this (0: no limit); spare width stays blank


def compile_filter(text: str) -> Callable[[str], bool] | None:
    """Substring (case-insensitive) match, or a regex with the ``re:`` prefix. None: show all.

    A regex that does not compile matches nothing rather than raising while the user is still typing.
    """
    text = text.strip()
    if not text:
        return None
    if text.startswith(REGEX_PREFIX):
        pattern = text[len(REGEX_PREFIX) :]
        if not pattern:
            return None
        try:
            rx = re.compile(pattern, re.IGNORECASE)
        except re.error:
            return lambda _s: False
        return lambda s: rx.search(s) is not None
    needle = text.lower()
    return lambda s: needle in s


def filter_problem(text: str) -> str | None:
    """Why a ``re:`` filter matches nothing because it is not a valid regular expression."""
    text = text.strip()
    if not text.startswith(REGEX_PREFIX) or not text[len(REGEX_PREFIX) :]:
        return None
    try:
        re.compile(text[len(REGEX_PREFIX) :])
    except re.error as exc:
        return f"invalid regular expression: {exc}"
    return None


# Keys of group header lines: no record key starts with a NUL.
GROUP_PREFIX = "\x00group:"
# What a record is grouped by: the values it belongs under (an item with two error codes is under both).
GroupKey = Callable[[Any], Iterable[str]]


@dataclass(frozen=True, slots=True)
class Grouping:
    """One way a pane offers to group its rows: ``label`` ("error code") and the values of a record."""

    label: str
    values: GroupKey


@dataclass(frozen=True, slots=True)
class Group:
    """A header line: the records under one value that pass the filter, in sort order."""

    key: str
    value: str
    keys: tuple[str, ...]
    expanded: bool


class _Missing:
    """Sorts after every real value, whatever its type."""

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return not isinstance(other, _Missing)


_MISSING = _Missing()


class RowSet:
    """Records keyed by a string, and ``order``: the keys that pass the pane's predicate and the filter,
    in sort order. Filtering is one pass over search strings computed when a record arrives."""

    def __init__(
        self,
        columns: Sequence[Column],
        search_text: Callable[[Any], str],
        include: Callable[[Any], bool] | None = None,
    ) -> None:
        self.columns = list(columns)
        self._search_text = search_text
        self._include = include
        self._records: dict[str, Any] = {}
        self._search: dict[str, str] = {}
        self._matches: Callable[[str], bool] | None = None
        self.order: list[str] = []
        self.index: dict[str, int] = {}  # key → position in ``order``
        self.filter_text = ""
        self.sort_column: str | None = None
        self.sort_reverse = False
        self.marks: set[str] = set()
        # the keys that pass, in sort order; ``order`` is these, or group headers and their members
        self.passing: list[str] = []
        self.groupings: list[Grouping] = []
        self.grouping: Grouping | None = None
        self.groups: dict[str, Group] = {}  # header key → group, in ``order``
        self.expanded: set[str] = set()  # header keys whose members are shown

    def __len__(self) -> int:
        return len(self._records)

    def record(self, key: str | None) -> Any:
        return self._records.get(key) if key is not None else None

    def marked_records(self) -> list[Any]:
        return [self._records[k] for k in self.passing if k in self.marks]

    def group_by(self, grouping: Grouping | None) -> None:
        """Show ``grouping``'s headers (collapsed) with their members under them, or plain rows."""
        self.grouping = grouping
        self.expanded.clear()
        self.reorder()

    def toggle_group(self, key: str) -> bool:
        """Expand or collapse the group whose header is ``key``; False if ``key`` is no header."""
        if key not in self.groups:
            return False
        self.expanded ^= {key}
        self.reorder()
        return True

    def set_include(self, include: Callable[[Any], bool] | None) -> None:
        self._include = include
        self.reorder()

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self._matches = compile_filter(text)
        self.reorder()

    def sort_by(self, column: str | None, reverse: bool | None = None) -> None:
        self.sort_column = column
        if reverse is not None:
            self.sort_reverse = reverse
        self.reorder()

    def set_records(self, records: Iterable[Any], key: Callable[[Any], str]) -> None:
        """Replace every record; marks of keys still present are kept."""
        fresh = {key(r): r for r in records}
        self._records = fresh
        self._search = {k: self._search_text(r).lower() for k, r in fresh.items()}
        self.marks &= fresh.keys()
        self.reorder()

    def apply(self, upserts: Iterable[tuple[str, Any]], removed: Iterable[str] = ()) -> list[str] | None:
        """Upsert and remove by key. Re-orders only when membership or sort order may change: returns
        None when it did, else the keys whose records changed in place."""
        reorder = False
        changed: list[str] = []
        sort = self.sort_fn()
        for k in removed:
            if self._records.pop(k, None) is not None:
                self._search.pop(k, None)
                self.marks.discard(k)
                reorder = True
        for k, record in upserts:
            old = self._records.get(k)
            if old is None:
                reorder = True
            elif old == record:
                continue
            self._records[k] = record
            text = self._search_text(record).lower()
            if old is not None and not reorder:
                was_in = k in self.index
                now_in = self._passes(record, text)
                if was_in != now_in or (now_in and sort is not None and sort(old) != sort(record)):
                    reorder = True
            self._search[k] = text
            changed.append(k)
        if reorder or (self.grouping is not None and changed):
            # a changed record may have moved between groups, and the headers count their members
            self.reorder()
            return None
        return changed

    def _passes(self, record: Any, text: str) -> bool:
        if self._include is not None and not self._include(record):
            return False
        return self._matches is None or self._matches(text)

    def sort_fn(self) -> Callable[[Any], Any] | None:
        if self.sort_column is None:
            return None
        for col in self.columns:
            if col.key == self.sort_column:
                return col.sort
        return None

    def reorder(self) -> None:
        records = self._records
        search = self._search
        keys: Iterable[str] = records.keys()
        if self._include is not None:
            include = self._include
            keys = [k for k in keys if include(records[k])]
        if self._matches is not None:
            matches = self._matches
            keys = [k for k in keys if matches(search[k])]
        order = list(keys)
        sort = self.sort_fn()
        if sort is not None:

            def sort_value(k: str) -> Any:
                value = sort(records[k])
                return _MISSING if value is None else value

            try:
                order.sort(key=sort_value, reverse=self.sort_reverse)
            except TypeError:  # mixed types in one column: fall back to text
                order.sort(key=lambda k: str(sort(records[k])), reverse=self.sort_reverse)
        self.passing = order
        if self.grouping is not None:
            order = self._grouped(order, self.grouping)
        else:
            self.groups = {}
        self.order = order
        index: dict[str, int] = {}
        for i, k in enumerate(order):
            index.setdefault(k, i)  # a record under two groups: the cursor finds its first line
        self.index = index

    def _grouped(self, keys: list[str], grouping: Grouping) -> list[str]:
        members: dict[str, list[str]] = {}
        for k in keys:
            for value in dict.fromkeys(grouping.values(self._records[k])) or ("—",):
                members.setdefault(value, []).append(k)
        # the largest group first: "is it one cause?" is answered by the first line
        ranked = sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0].lower()))
        self.groups = {}
        lines: list[str] = []
        for value, ks in ranked:
            header = GROUP_PREFIX + value
            expanded = header in self.expanded
            self.groups[header] = Group(header, value, tuple(ks), expanded)
            lines.append(header)
            if expanded:
                lines.extend(ks)
        return lines
