"""Binding widgets to the store: coalesced change sets delivered only to what is on screen.

The store calls its subscribers synchronously for every applied batch. The app merges those change sets
into one ``Pending`` and flushes it at most every ``FLUSH_SECONDS`` (a newer change set supersedes the
wait, like toolong's replaceable messages), so a burst of polls costs one repaint. Widgets on hidden
screens are only flagged and resynchronise from the store when their screen comes back (dolphie skips
rendering hidden tabs the same way).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from asr_console.model.records import Kind
from asr_console.model.store import ChangeSet, Store
from asr_console.widgets.console import ConsoleAccess

if TYPE_CHECKING:
    from textual.widget import Widget

FLUSH_SECONDS = 0.1


@dataclass
class Pending:
    """Keys touched since the last flush, per kind."""

    upserted: dict[Kind, set[str]] = field(default_factory=dict)
    removed: dict[Kind, set[str]] = field(default_factory=dict)
    join: set[str] = field(default_factory=set)
    freshness: bool = False

    def merge(self, changes: ChangeSet) -> None:
        for kind, kc in changes.kinds.items():
            up = self.upserted.setdefault(kind, set())
            rm = self.removed.setdefault(kind, set())
            up |= kc.added | kc.updated
            up -= kc.removed
            rm |= kc.removed
            rm -= kc.added | kc.updated
        self.join |= changes.join
        self.freshness = self.freshness or bool(changes.freshness)

    def touches(self, kinds: Iterable[Kind]) -> bool:
        return any(self.upserted.get(k) or self.removed.get(k) for k in kinds)

    def __bool__(self) -> bool:
        return bool(self.freshness or self.join or self.touches(Kind))


class StoreBound(ConsoleAccess):
    """Mixin for widgets that show store data.

    ``KINDS``: the collections the widget shows; ``JOIN``: whether VM ↔ item join changes matter.
    Subclasses implement ``reset`` (rebuild from the store) and ``changed`` (apply a ``Pending``).
    """

    KINDS: frozenset[Kind] = frozenset()
    JOIN = False
    needs_reset = True

    @property
    def store(self) -> Store:
        return self.console.store

    # Textual calls these for every class of the widget's MRO that defines them, mixins included
    def on_mount(self) -> None:
        self.console.register_bound(self)

    def on_unmount(self) -> None:
        self.console.unregister_bound(self)

    @property
    def widget(self) -> Widget:
        return cast("Widget", self)  # StoreBound is mixed into widgets only

    def interested(self, pending: Pending) -> bool:
        return pending.touches(self.KINDS) or (self.JOIN and bool(pending.join))

    def reset(self) -> None:
        raise NotImplementedError

    def changed(self, pending: Pending) -> None:
        self.reset()

    def tick(self) -> None:
        """Called every few seconds while on screen: repaint ages."""

    def sync(self, pending: Pending | None) -> None:
        if self.needs_reset or pending is None:
            self.needs_reset = False
            self.reset()
        elif self.interested(pending):
            self.changed(pending)
