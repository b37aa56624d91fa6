"""Protected items this console's own operations are changing, read one by one until their jobs end.

A large vault's full item list is on a read budget (a minute or more between reads); the items someone
just failed over should not wait for it. Each poll reads the followed items individually (one ARM GET
each, at most ``PER_POLL`` of them, least recently read first); an item whose jobs have all ended is
read once more, for its final state, and dropped only when that read succeeded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# GETs per poll: a recovery plan's hundred items are read in turns, not 100 requests every few seconds.
PER_POLL = 20
# A job not (yet, or no longer) in the jobs list is waited for this long before its item is let go.
UNSEEN_GRACE = 300.0
# Past this, an item goes back to the list's cadence even if its job still runs (a suspended job).
MAX_FOLLOW = 2 * 3600.0


@dataclass(slots=True)
class _Followed:
    jobs: set[str]
    since: float
    last_read: float = 0.0
    unseen_since: dict[str, float] = field(default_factory=dict)


class FollowedItems:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._items: dict[str, _Followed] = {}
        self._now = monotonic

    def add(self, item_ids: Iterable[str], job_id: str) -> None:
        now = self._now()
        for item_id in item_ids:
            entry = self._items.get(item_id)
            if entry is None:
                self._items[item_id] = _Followed({job_id}, now)
            else:
                entry.jobs.add(job_id)
                entry.since = now

    def __bool__(self) -> bool:
        return bool(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def due(self, running: Callable[[str], bool | None]) -> list[tuple[str, bool]]:
        """(item id, final) to read now; ``running`` says whether a job runs (None: not in the list)."""
        now = self._now()
        final: dict[str, bool] = {}
        for item_id, entry in self._items.items():
            still = set()
            for job in entry.jobs:
                state = running(job)
                if state is None:
                    first = entry.unseen_since.setdefault(job, now)
                    if now - first < UNSEEN_GRACE:
                        still.add(job)
                elif state:
                    entry.unseen_since.pop(job, None)
                    still.add(job)
            entry.jobs = still
            final[item_id] = not still or now - entry.since > MAX_FOLLOW
        order = sorted(self._items, key=lambda i: self._items[i].last_read)
        return [(i, final[i]) for i in order[:PER_POLL]]

    def read(self, item_id: str, *, final: bool) -> None:
        """A read of the item succeeded; after its final read it is no longer followed."""
        if final:
            self._items.pop(item_id, None)
        elif item_id in self._items:
            self._items[item_id].last_read = self._now()
