"""Issue 12 §5-6: every count on screen comes from one store state, says "loading" before the first
read, and the status bar says why a back end is stale; times carry their date and zone."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator

import pytest

from asr_console.model.records import Health, Job, Kind, ProtectedItem
from asr_console.model.store import Batch, Store
from asr_console.widgets.health import HealthView
from asr_console.widgets.jobs import JobsView
from asr_console.widgets.line import Line
from asr_console.widgets.status import StatusBar, short_reason
from asr_console.widgets.summary import SiteSummary
from tests.ui_fixtures import VAULT, build_records, build_store, make_test_app, open_pane
from tests.waiting import wait_until


def text_of(line: Line) -> str:
    return str(line.render())


def headline(view: HealthView | JobsView) -> str:
    return text_of(view.query_one(".headline", Line))


async def test_counts_say_loading_until_their_stream_first_reads() -> None:
    store = Store()
    app = make_test_app(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        summary = app.screen.query_one(SiteSummary)
        bar = app.screen.query_one(StatusBar)
        await wait_until(
            lambda: "protected loading" in text_of(summary) or "prot loading" in text_of(summary), pilot=pilot
        )
        assert "VMs loading" in text_of(summary) and "0 crit" not in text_of(summary)
        assert "jobs loading" in text_of(bar) or "jobs running: loading" in text_of(bar)
        health = app.screen.query_one("#tile-health", HealthView)
        assert "loading" in headline(health) and " 0" not in headline(health)
        items = [r for r in build_records() if isinstance(r, ProtectedItem)]
        store.apply(Batch().replace(Kind.PROTECTED_ITEM, items))
        store.mark_ok("asr-items", "asr")
        await wait_until(lambda: "2 crit" in text_of(summary), pilot=pilot)
        assert "loading" not in headline(health) and "12" in headline(health)
        # a read that found nothing is a count of 0, not "loading"
        store.apply(Batch().replace(Kind.JOB, []))
        store.mark_ok("asr-jobs", "asr")
        await wait_until(lambda: "jobs 0" in text_of(bar) or "jobs running: 0" in text_of(bar), pilot=pilot)


async def test_marked_count_follows_the_marks() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_pane(pilot, app, "health", HealthView, 12)
        for _ in range(3):
            await pilot.press("space")
        await wait_until(lambda: "marked: 3" in headline(view), pilot=pilot)
        await pilot.press("up", "space")
        await wait_until(lambda: "marked: 2" in headline(view), pilot=pilot)
        assert len(view.table.marks) == 2


async def test_summary_headline_and_status_bar_agree_in_the_same_frame() -> None:
    store = build_store()
    app = make_test_app(store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        summary = app.screen.query_one(SiteSummary)
        health = app.screen.query_one("#tile-health", HealthView)
        bar = app.screen.query_one(StatusBar)
        await wait_until(lambda: "2 critical" in text_of(summary), pilot=pilot)
        items = [r for r in store.all(ProtectedItem) if r.replication_health is Health.NORMAL][:3]
        jobs = [j for j in store.all(Job) if not j.running]
        store.apply(
            Batch()
            .upsert(*(dataclasses.replace(i, replication_health=Health.CRITICAL) for i in items))
            .upsert(*(dataclasses.replace(j, state="InProgress", end=None) for j in jobs))
        )
        await wait_until(lambda: health.summary.critical == 5, pilot=pilot)
        # the headline moved: the summary and the bar took the same change set in the same flush
        assert "5 critical" in text_of(summary) and "5 crit ·" in headline(health)
        running = len(store.running_jobs())
        assert running == 3
        assert f"jobs running {running}" in text_of(summary) and f"jobs running: {running}" in text_of(bar)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
async def test_status_bar_says_why_a_back_end_is_stale(size: tuple[int, int]) -> None:
    app = make_test_app()
    async with app.run_test(size=size) as pilot:
        bar = app.screen.query_one(StatusBar)
        await wait_until(lambda: "STALE" in text_of(bar), pilot=pilot)
        text = text_of(bar)
        assert "vcenter STALE 1m: timed out" in text
        assert len(text) <= bar.content_region.width


def test_short_reason_keeps_what_the_back_end_said() -> None:
    assert short_reason("ServiceRequestError: Unreachable: connection refused", 32) == "connection refused"
    assert short_reason("HTTP 503: Service Unavailable", 32) == "HTTP 503: Service Unavailable"
    long = short_reason("ConnectionError: " + "x" * 80, 20)
    assert len(long) == 20 and long.endswith("…")
    assert short_reason(None, 20) == ""


@pytest.fixture
def berlin() -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    os.environ["TZ"] = old or "UTC"
    time.tzset()


@pytest.mark.usefixtures("berlin")
@pytest.mark.parametrize(("utc", "shown"), [(False, "Mar 02 08:30:00 CET"), (True, "Mar 02 07:30:00 UTC")])
async def test_job_and_event_times_show_date_and_zone(utc: bool, shown: str) -> None:
    app = make_test_app(utc=utc)
    async with app.run_test(size=(160, 40)) as pilot:
        view = await open_pane(pilot, app, "jobs", JobsView, 3)
        started = view.table.cells(f"{VAULT}/replicationJobs/job-1")[3]
        assert started == shown
        assert view.table.cells(f"{VAULT}/replicationJobs/job-2")[3] != started  # another job, another time
