"""The one shared model: keyed collections of immutable records, change sets and freshness.

Everything the console shows comes from here. Sources never touch the UI: they hand the sync engine a
``Batch``; ``Store.apply`` turns it into a ``ChangeSet`` that names exactly the keys that changed, and
every subscriber gets it. The store is not thread-safe on purpose: it lives on the event loop, and
threads (pyvmomi) hand their batches over with ``loop.call_soon_threadsafe``.

Collections of ARM resources are keyed by the id as the record spells it, and looked up, replaced and
removed by ``model.arm.arm_key``: any spelling of an id finds its record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from asr_console.model.arm import ARM_KINDS, arm_key
from asr_console.model.join import VmItemJoin
from asr_console.model.listed import Listed
from asr_console.model.records import Job, Kind, ProtectedItem, Record, VirtualMachine

R = TypeVar("R", bound=Record)
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Batch:
    """Upserts, removals and whole-collection replacements, applied atomically.

    ``replace(kind, records, scope=...)`` is how a poll that lists everything says so: keys of that kind
    (restricted by ``scope``, a predicate on the old record) that are not in ``records`` are removed —
    except the ids a ``Listed`` read could not convert, whose rows keep their last good record.
    ``unreadable`` collects those ids (and any ``unread`` adds) so the stream can count them.
    """

    upserts: list[Record] = field(default_factory=list)
    removals: list[tuple[Kind, str]] = field(default_factory=list)
    replacements: list[tuple[Kind, list[Record], Callable[[Record], bool] | None]] = field(
        default_factory=list
    )
    unreadable: list[str] = field(default_factory=list)

    def upsert(self, *records: Record) -> Batch:
        self.upserts.extend(records)
        return self

    def remove(self, kind: Kind, key: str) -> Batch:
        self.removals.append((kind, key))
        return self

    def replace(
        self, kind: Kind, records: Iterable[Record], scope: Callable[[Record], bool] | None = None
    ) -> Batch:
        listed = list(records)
        dropped = records.dropped if isinstance(records, Listed) else ()
        if dropped:
            # one read's dropped ids may guard several kinds (infrastructure): count each once
            self.unreadable.extend(i for i in dropped if i not in self.unreadable)
            kept = frozenset(dropped)
            within = scope

            # a record that could not be read is not gone: its row is not part of the replacement
            def scope(old: Record) -> bool:
                return old.key not in kept and (within is None or within(old))

        self.replacements.append((kind, listed, scope))
        return self

    def unread(self, ids: Iterable[str]) -> Batch:
        """Count records a read could not convert (a read that only adds, like events)."""
        self.unreadable.extend(ids)
        return self

    def extend(self, other: Batch) -> Batch:
        self.upserts.extend(other.upserts)
        self.removals.extend(other.removals)
        self.replacements.extend(other.replacements)
        self.unreadable.extend(other.unreadable)
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
    """How current one stream's data is (items, jobs, infrastructure …), or, from
    ``Store.backend_freshness``, the stalest stream of one back end.

    ``stream`` names the stream, ``source`` its back end ("asr", "vcenter"). Times are wall-clock UTC for
    display, ``monotonic`` for age. ``dropped`` counts the records its last read could not convert.
    """

    stream: str
    source: str = ""
    last_success: datetime | None = None
    last_success_monotonic: float | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    stale: bool = True
    # records the stream's last successful read could not convert (their rows keep the last good read)
    dropped: int = 0

    def age_seconds(self, now_monotonic: float | None = None) -> float | None:
        if self.last_success_monotonic is None:
            return None
        return (now_monotonic if now_monotonic is not None else time.monotonic()) - (
            self.last_success_monotonic
        )


def stalest(entries: Iterable[Freshness]) -> Freshness | None:
    """The entry a back end is judged by: a stale one before a fresh one, then the oldest success
    (never succeeded is oldest), then the one with an error."""

    def rank(f: Freshness) -> tuple[bool, float, bool]:
        since = f.last_success_monotonic if f.last_success_monotonic is not None else float("-inf")
        return (not f.stale, since, f.last_error is None)

    return min(entries, key=rank, default=None)


Subscriber = Callable[[ChangeSet], None]


def _identity(key: str) -> str:
    return key


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
        # ARM kinds: arm_key(id) → the key as the record spells it, so any spelling finds the record
        self._spelling: dict[Kind, dict[str, str]] = {kind: {} for kind in ARM_KINDS}
        self.join = VmItemJoin()

    # ------------------------------------------------------------------ reading

    def stored_key(self, kind: Kind, key: str) -> str:
        """The key a record is stored under, given any spelling of it (ARM ids ignore case)."""
        spelling = self._spelling.get(kind)
        if spelling is None:
            return key
        return spelling.get(arm_key(key), key)

    def get(self, kind: Kind, key: str) -> Record | None:
        return self._data[kind].get(self.stored_key(kind, key))

    def typed(self, cls: type[R], key: str) -> R | None:
        record = self.get(cls.KIND, key)
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
        moref = self.join.vm_for_item(self.stored_key(Kind.PROTECTED_ITEM, item_id))
        return self.typed(VirtualMachine, moref) if moref else None

    def running_jobs(self) -> list[Job]:
        return [job for job in self.all(Job) if job.running]

    # ------------------------------------------------------------------ freshness

    def freshness(self, name: str) -> Freshness:
        """One stream's freshness, or for a back end's name ("asr") the stalest of its streams."""
        fresh = self._freshness.get(name)
        if fresh is not None:
            return fresh
        return self._backend(name) or Freshness(stream=name, source=name)

    def _backend(self, source: str) -> Freshness | None:
        return stalest(f for f in self._freshness.values() if f.source == source)

    def dropped(self, source: str) -> int:
        """Records the last reads of a back end's streams could not convert, all streams together."""
        return sum(f.dropped for f in self._freshness.values() if f.source == source)

    def all_freshness(self) -> list[Freshness]:
        """Every stream that has reported, by back end and stream."""
        return sorted(self._freshness.values(), key=lambda f: (f.source, f.stream))

    def backend_freshness(self) -> list[Freshness]:
        """Per back end, its stalest stream (what the status bar shows), by back end."""
        sources = sorted({f.source for f in self._freshness.values()})
        return [fresh for source in sources if (fresh := self._backend(source)) is not None]

    def mark_ok(self, stream: str, source: str | None = None, *, dropped: int | None = None) -> None:
        """A read of ``stream`` succeeded: only that stream is fresh again. ``dropped``: how many
        records it could not convert (None: a read that converts nothing, the count stands)."""
        old = self._freshness.get(stream)
        self.set_freshness(
            Freshness(
                stream=stream,
                source=source or (old.source if old else stream),
                last_success=self._clock(),
                last_success_monotonic=self._monotonic(),
                stale=False,
                dropped=dropped if dropped is not None else (old.dropped if old else 0),
            )
        )

    def mark_error(self, stream: str, reason: str, source: str | None = None) -> None:
        """A read of ``stream`` failed: it is stale with ``reason``, keeping its last success."""
        old = self._freshness.get(stream)
        self.set_freshness(
            Freshness(
                stream=stream,
                source=source or (old.source if old else stream),
                last_success=old.last_success if old else None,
                last_success_monotonic=old.last_success_monotonic if old else None,
                last_error=reason,
                last_error_at=self._clock(),
                stale=True,
                dropped=old.dropped if old else 0,
            )
        )

    def set_freshness(self, fresh: Freshness) -> None:
        """Record one stream's freshness as given (``mark_ok``/``mark_error`` stamp the time)."""
        if not fresh.source:
            fresh = replace(fresh, source=fresh.stream)
        self._freshness[fresh.stream] = fresh
        self._notify(ChangeSet(freshness=frozenset({fresh.stream})))

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
            spelling = self._spelling.get(kind)
            # an ARM id is folded once per record (it was twice: to find it, then to index it)
            folded = arm_key(key) if spelling is not None else key
            stored = spelling.get(folded, key) if spelling is not None else key
            if stored != key:
                # the same resource spelled differently: re-keyed, so a record's key is its own id
                drop(kind, stored)
            old = coll.get(key)
            if old is None:
                coll[key] = record
                if spelling is not None:
                    spelling[folded] = key
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
            key = self.stored_key(kind, key)
            if coll.pop(key, None) is None:
                return
            if kind in self._spelling:
                self._spelling[kind].pop(arm_key(key), None)
            if key in added.get(kind, ()):
                added[kind].discard(key)
            else:
                updated.get(kind, set()).discard(key)
                removed.setdefault(kind, set()).add(key)

        for kind, records, scope in batch.replacements:
            same = arm_key if kind in self._spelling else _identity
            fresh = {same(r.key) for r in records}
            coll = self._data[kind]
            stale = [
                key for key, old in coll.items() if same(key) not in fresh and (scope is None or scope(old))
            ]
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
