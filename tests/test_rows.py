"""The table's data model on its own: membership, order, marks and what an update repaints."""

from __future__ import annotations

from dataclasses import dataclass

from asr_console.widgets.rows import Column, RowSet


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    size: int | None = None


def rowset() -> RowSet:
    columns = [Column("name", "Name", sort=lambda r: r.name), Column("size", "Size", sort=lambda r: r.size)]
    rows = RowSet(columns, search_text=lambda r: r.name)
    rows.set_records(
        [Row("a", "web-1", 3), Row("b", "db-1", None), Row("c", "web-2", 1)], key=lambda r: r.key
    )
    return rows


def test_filter_and_sort_with_missing_values_last() -> None:
    rows = rowset()
    rows.sort_by("size")
    assert rows.order == ["c", "a", "b"]
    rows.sort_by("size", reverse=True)
    assert rows.order[-1] == "c"
    rows.set_filter("WEB")
    assert sorted(rows.order) == ["a", "c"]
    rows.set_filter("re:^db")
    assert rows.order == ["b"]
    rows.set_filter("re:(")  # not a regex yet: nothing matches, nothing raises
    assert rows.order == []


def test_in_place_update_returns_changed_keys_and_reorders_only_when_needed() -> None:
    rows = rowset()
    rows.sort_by("name")
    assert rows.apply([("a", Row("a", "web-1", 9))]) == ["a"]  # sort key unchanged: no reorder
    assert rows.apply([("a", Row("a", "web-1", 9))]) == []  # equal record: nothing to repaint
    assert rows.apply([("a", Row("a", "zz", 9))]) is None  # its sort position moved
    assert rows.order == ["b", "c", "a"]
    rows.set_filter("web")
    assert rows.apply([("b", Row("b", "web-0"))]) is None  # now passes the filter
    assert rows.order == ["b", "c"]


def test_marks_of_removed_rows_are_dropped() -> None:
    rows = rowset()
    rows.marks |= {"a", "b"}
    rows.apply([], removed=["a"])
    assert rows.marks == {"b"}
    assert [r.key for r in rows.marked_records()] == ["b"]
    rows.set_records([Row("c", "web-2")], key=lambda r: r.key)
    assert rows.marks == set()
