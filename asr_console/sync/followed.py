"""Protected items this console's own operations are changing, read one by one until their jobs end.

A large vault's full item list is on a read budget (a minute or more between reads); the items someone
just failed over should not wait for it. Each poll reads the followed items individually (one ARM GET
each); an item whose jobs have all ended is read once more, for its final state, and dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


class FollowedItems:
    def __init__(self) -> None:
        self._jobs: dict[str, set[str]] = {}  # item id → ids of our jobs still changing it

    def add(self, item_ids: Iterable[str], job_id: str) -> None:
        for item_id in item_ids:
            self._jobs.setdefault(item_id, set()).add(job_id)

    def __bool__(self) -> bool:
        return bool(self._jobs)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._jobs

    def take(self, running: Callable[[str], bool]) -> list[str]:
        """The items to read now. Those whose jobs have all ended are in it one last time."""
        ids = list(self._jobs)
        for item_id in ids:
            still = {job for job in self._jobs[item_id] if running(job)}
            if still:
                self._jobs[item_id] = still
            else:
                del self._jobs[item_id]
        return ids
