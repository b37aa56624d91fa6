"""Which followed items a poll reads, and when they stop being followed."""

from __future__ import annotations

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


def test_a_job_not_yet_in_the_list_is_waited_for_then_let_go() -> None:
    clock = Clock()
    followed = FollowedItems(clock)
    followed.add(["a"], "job-new")
    unseen: dict[str, bool] = {}
    assert followed.due(unseen.get) == [("a", False)]
    clock.now = UNSEEN_GRACE - 1
    assert followed.due(unseen.get) == [("a", False)]
    clock.now = UNSEEN_GRACE + 1
    assert followed.due(unseen.get) == [("a", True)]


def test_a_job_that_never_ends_is_followed_for_a_bounded_time() -> None:
    clock = Clock()
    followed = FollowedItems(clock)
    followed.add(["a"], "job-suspended")
    running = {"job-suspended": True}
    clock.now = MAX_FOLLOW - 1
    assert followed.due(running.get) == [("a", False)]
    clock.now = MAX_FOLLOW + 1
    assert followed.due(running.get) == [("a", True)]


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
