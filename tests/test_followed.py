"""Which followed items a poll reads, and when they stop being followed."""

from __future__ import annotations

import pytest

from asr_console.sync.followed import MAX_FOLLOW, PER_POLL, UNSEEN_GRACE, FollowedItems


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_item_is_read_until_its_job_ends_then_once_more_dropped_only_after_that_read() -> None:
    clock = Clock()
    followed = FollowedItems(clock)
    followed.add(["a"], "job-1")
    jobs = {"job-1": True}
    assert followed.due(jobs.get) == [("a", False)]
    followed.read("a", final=False)
    jobs["job-1"] = False
    assert followed.due(jobs.get) == [("a", True)]
    # the final read failed (throttled): nothing recorded, so it is due again
    assert followed.due(jobs.get) == [("a", True)]
    followed.read("a", final=True)
    assert "a" not in followed and not followed


@pytest.mark.parametrize(
    ("jobs", "limit"),
    [
        ({}, UNSEEN_GRACE),  # a job not (yet) in the jobs list is waited for, then let go
        ({"job-1": True}, MAX_FOLLOW),  # a job that never ends (suspended) is followed for a bounded time
    ],
)
def test_following_is_bounded_in_time(jobs: dict[str, bool], limit: float) -> None:
    clock = Clock()
    followed = FollowedItems(clock)
    followed.add(["a"], "job-1")
    assert followed.due(jobs.get) == [("a", False)]  # polled at once, as the stream does
    clock.now = limit - 1
    assert followed.due(jobs.get) == [("a", False)]
    clock.now = limit + 1
    assert followed.due(jobs.get) == [("a", True)]


def test_a_large_plan_is_read_in_turns_least_recently_read_first() -> None:
    clock = Clock()
    followed = FollowedItems(clock)
    ids = [f"i{n:03d}" for n in range(3 * PER_POLL)]
    followed.add(ids, "plan-job")
    running = {"plan-job": True}
    seen: set[str] = set()
    for turn in range(3):
        clock.now = turn + 1.0
        batch = [item for item, _final in followed.due(running.get)]
        assert len(batch) == PER_POLL and not seen & set(batch)
        seen |= set(batch)
        for item in batch:
            followed.read(item, final=False)
    assert seen == set(ids)
