"""The one shared model: keyed collections of immutable records, change sets and freshness.

Everything the console shows comes from here. Sources never touch the UI: they hand the sync engine a
``Batch``; ``Store.apply`` turns it into a ``ChangeSet`` that names exactly the keys that changed, and
every subscriber gets it. The store is not thread-safe on purpose: it lives on the event loop, and
threads (pyvmomi) hand their batches over with ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from asr_console.model.join import VmItemJoin
from asr_console.model.records import Job, Kind, ProtectedItem, Record, VirtualMachine

R = TypeVar("R", bound=Record)
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Batch:
    """Upserts, removals and whole-collection replacements, applied atomically.

    ``replace(kind, records, scope=...)`` is how a poll that lists everything says so: keys of that kind
    (restricted by ``scope``, a predicate on the old record) that are not in ``records`` are removed.
    """

    upserts: list[Record] = field(default_factory=list)
    removals: list[tuple[Kind, str]] = field(default_factory=list)
    replacements: list[tuple[Kind, list[Record], Callable[[Record], bool] | None]] = field(
        default_factory=list
    )

    def upsert(self, *records: Record) -> Batch:
        self.upserts.extend(records)
        return self

    def remove(self, kind: Kind, key: str) -> Batch:
        self.removals.append((kind, key))
        return self

    def replace(
        self, kind: Kind, records: Iterable[Record], scope: Callable[[Record], bool] | None = None
    ) -> Batch:
        self.replacements.append((kind, list(records), scope))
        return self

    def extend(self, other: Batch) -> Batch:
        self.upserts.extend(other.upserts)
        self.removals.extend(other.removals)
        self.replacements.extend(other.replacements)
        return self

    def __bool__(self) -> bool:
        return bool(self.upserts or self.removals or self.replacements)


@dataclass(frozen=True, slots=True)
class KindChanges:
    added: frozenset[str] = frozenset()
    updated: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    @property
    def touched(self) -> frozenset[str]:
        return self.added | self.updated | self.removed


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What one ``apply`` (or freshness update) changed.

    ``join`` holds VM morefs and protected-item ids whose partner in the VM ↔ item join changed, so a
    table showing protection badges can refresh exactly those rows.
    """

    kinds: Mapping[Kind, KindChanges] = field(default_factory=dict)
    join: frozenset[str] = frozenset()
    freshness: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.kinds or self.join or self.freshness)

    def of(self, kind: Kind) -> KindChanges:
        return self.kinds.get(kind, KindChanges())


@dataclass(frozen=True, slots=True)
class Freshness:
    """How current one source's data is. Times are wall-clock UTC for display, ``monotonic`` for age."""

    source: str
    last_success: datetime | None = None
    last_success_monotonic: float | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    stale: bool = True

    def age_seconds(self, now_monotonic: float | None = None) -> float | None:
        if self.last_success_monotonic is None:
            return None
        return (now_monotonic if now_monotonic is not None else time.monotonic()) - (
            self.last_success_monotonic
        )


Subscriber = Callable[[ChangeSet], None]


class Store:
    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        # When freshness is stamped: the wall clock and time.monotonic unless a test fixes them.
        self._clock = clock or (lambda: datetime.now(UTC))
        self._monotonic = monotonic or time.monotonic
        self._data: dict[Kind, dict[str, Record]] = {kind: {} for kind in Kind}
        self._subscribers: list[Subscriber] = []
        self._freshness: dict[str, Freshness] = {}
        self.join = VmItemJoin()

    # ------------------------------------------------------------------ reading

    def get(self, kind: Kind, key: str) -> Record | None:
        return self._data[kind].get(key)

    def typed(self, cls: type[R], key: str) -> R | None:
        record = self._data[cls.KIND].get(key)
        return cast(R, record) if record is not None else None

    def all(self, cls: type[R]) -> list[R]:
        return cast(list[R], list(self._data[cls.KIND].values()))

    def values(self, kind: Kind) -> Iterator[Record]:
        return iter(self._data[kind].values())

    def keys(self, kind: Kind) -> Iterable[str]:
        return self._data[kind].keys()

    def count(self, kind: Kind) -> int:
        return len(self._data[kind])

    def collection(self, kind: Kind) -> Mapping[str, Record]:
        """A read-only view of one collection (do not hold on to it across awaits)."""
        return self._data[kind]

    def item_for_vm(self, moref: str) -> ProtectedItem | None:
        item_id = self.join.item_for_vm(moref)
        return self.typed(ProtectedItem, item_id) if item_id else None

    def vm_for_item(self, item_id: str) -> VirtualMachine | None:
        moref = self.join.vm_for_item(item_id)
        return self.typed(VirtualMachine, moref) if moref else None

    def running_jobs(self) -> list[Job]:
        return [job for job in self.all(Job) if job.running]

    # ------------------------------------------------------------------ freshness

    def freshness(self, source: str) -> Freshness:
        return self._freshness.get(source, Freshness(source=source))

    def all_freshness(self) -> list[Freshness]:
        return list(self._freshness.values())

    def mark_ok(self, source: str) -> None:
        self._freshness[source] = Freshness(
            source=source,
            last_success=self._clock(),
            last_success_monotonic=self._monotonic(),
            stale=False,
        )
        self._notify(ChangeSet(freshness=frozenset({source})))

    def mark_error(self, source: str, reason: str) -> None:
        old = self.freshness(source)
        self._freshness[source] = Freshness(
            source=source,
            last_success=old.last_success,
            last_success_monotonic=old.last_success_monotonic,
            last_error=reason,
            last_error_at=self._clock(),
            stale=True,
        )
        self._notify(ChangeSet(freshness=frozenset({source})))

    # ------------------------------------------------------------------ writing

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def apply(self, batch: Batch) -> ChangeSet:
        added: dict[Kind, set[str]] = {}
        updated: dict[Kind, set[str]] = {}
        removed: dict[Kind, set[str]] = {}

        def put(record: Record) -> None:
            kind = record.KIND
            coll = self._data[kind]
            key = record.key
            old = coll.get(key)
            if old is None:
                coll[key] = record
                if key in removed.get(kind, ()):
                    removed[kind].discard(key)
                    updated.setdefault(kind, set()).add(key)
                else:
                    added.setdefault(kind, set()).add(key)
            elif old != record:
                coll[key] = record
                if key not in added.get(kind, ()):
                    updated.setdefault(kind, set()).add(key)

        def drop(kind: Kind, key: str) -> None:
            coll = self._data[kind]
            if coll.pop(key, None) is None:
                return
            if key in added.get(kind, ()):
                added[kind].discard(key)
            else:
                updated.get(kind, set()).discard(key)
                removed.setdefault(kind, set()).add(key)

        for kind, records, scope in batch.replacements:
            fresh = {r.key for r in records}
            coll = self._data[kind]
            stale = [key for key, old in coll.items() if key not in fresh and (scope is None or scope(old))]
            for key in stale:
                drop(kind, key)
            for record in records:
                put(record)
        for record in batch.upserts:
            put(record)
        for kind, key in batch.removals:
            drop(kind, key)

        kinds: dict[Kind, KindChanges] = {}
        for kind in {*added, *updated, *removed}:
            changes = KindChanges(
                added=frozenset(added.get(kind, ())),
                updated=frozenset(updated.get(kind, ())),
                removed=frozenset(removed.get(kind, ())),
            )
            if changes:
                kinds[kind] = changes

        join_changed: frozenset[str] = frozenset()
        vm_changes = kinds.get(Kind.VM)
        item_changes = kinds.get(Kind.PROTECTED_ITEM)
        if vm_changes or item_changes:
            join_changed = self.join.update(
                cast(Mapping[str, VirtualMachine], self._data[Kind.VM]),
                cast(Mapping[str, ProtectedItem], self._data[Kind.PROTECTED_ITEM]),
                vm_changes.touched if vm_changes else frozenset(),
                item_changes.touched if item_changes else frozenset(),
            )
        change_set = ChangeSet(kinds=kinds, join=join_changed)
        if change_set:
            self._notify(change_set)
        return change_set

    def _notify(self, change_set: ChangeSet) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(change_set)
            except Exception:
                # One broken view must not stop the others, nor the stream that fed the store.
                log.exception("store subscriber %r failed", subscriber)

    def snapshot_counts(self) -> dict[str, Any]:
        return {kind.value: len(coll) for kind, coll in self._data.items() if coll}
