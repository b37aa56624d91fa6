"""A list read from a back end, with the ids of the records it could not read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


class Listed(list[T]):
    """The records a list read could convert; ``dropped`` holds the ARM ids of those it could not.

    A list with dropped records is not the whole collection: a replacement built from it must keep the
    rows of those ids (``Batch.replace`` does), and the count is shown as unreadable.
    """

    dropped: tuple[str, ...]

    def __init__(self, records: Iterable[T] = (), dropped: Iterable[str] = ()) -> None:
        super().__init__(records)
        self.dropped = tuple(dropped)
