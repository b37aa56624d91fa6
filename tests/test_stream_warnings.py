"""Stream failures reach the events pane as the console's own warnings, once per change of reason; the
help dialog names the log file; the log file stays private across rotations."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from textual.widgets import Static

from asr_console.cli import PrivateRotatingFileHandler
from asr_console.model.errors import Throttled, Unreachable
from asr_console.model.records import Event, EventSource
from asr_console.model.store import Batch, Store
from asr_console.sync.engine import StreamSpec, SyncEngine
from asr_console.widgets.table import KeyedTable
from tests.ui_fixtures import make_test_app
from tests.waiting import wait_until


class Outcomes:
    """A fetch that fails with each given error in turn (None: succeeds)."""

    def __init__(self, *outcomes: Exception | None) -> None:
        self.outcomes = list(outcomes)

    async def __call__(self) -> Batch:
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return Batch()


def console_events(store: Store) -> list[Event]:
    return sorted(
        (e for e in store.all(Event) if e.source is EventSource.CONSOLE), key=lambda e: (e.time, e.id)
    )


async def test_a_failing_stream_is_one_warning_per_reason_and_one_note_when_it_reads_again() -> None:
    store = Store()
    engine = SyncEngine(store)
    fetch = Outcomes(
        Unreachable("vc01 refused"),
        Unreachable("vc01 refused"),
        Unreachable("vc01 refused"),
        TimeoutError(),  # the poll's own deadline, another reason
        None,
        Unreachable("vc01 refused"),
    )
    engine.add(StreamSpec("vcenter-inventory", "vcenter", fetch, interval=1.0, deadline=5.0))
    for _ in range(4):
        await engine.poll_once("vcenter-inventory")
    said = [(e.severity, e.message) for e in console_events(store)]
    assert said == [
        ("warning", "stream vcenter-inventory failed: Unreachable: vc01 refused"),
        ("warning", "stream vcenter-inventory failed: no answer in 5 s"),
    ]
    await engine.poll_once("vcenter-inventory")
    await engine.poll_once("vcenter-inventory")
    said = [(e.severity, e.message) for e in console_events(store)[2:]]
    assert said == [
        ("info", "stream vcenter-inventory reads again"),
        ("warning", "stream vcenter-inventory failed: Unreachable: vc01 refused"),
    ]
    assert {e.entity_name for e in console_events(store)} == {"vcenter"}


async def test_throttling_again_is_not_a_new_reason() -> None:
    store = Store()
    engine = SyncEngine(store, max_retry_after=0.0)
    engine.add(
        StreamSpec("asr-items", "asr", Outcomes(*[Throttled("429", retry_after=30)] * 3), interval=1.0)
    )
    for _ in range(3):
        await engine.poll_once("asr-items")
    events = console_events(store)
    assert len(events) == 1
    assert events[0].message.startswith("stream asr-items failed: Throttled: 429; throttled until ")


async def test_the_events_pane_shows_a_streams_warning() -> None:
    app = make_test_app()
    engine = SyncEngine(app.store)
    engine.add(StreamSpec("asr-jobs", "asr", Outcomes(*[Unreachable("arm refused")] * 3), interval=1.0))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("7")
        table = app.screen.query_one("#events-table", KeyedTable)
        await wait_until(lambda: table.row_count == 8, pilot=pilot)
        for _ in range(3):
            await engine.poll_once("asr-jobs")
        await wait_until(lambda: table.row_count == 9, pilot=pilot)
        cells = table.cells(table.visible_keys[0])  # newest first
        text = " ".join(c[0] if isinstance(c, tuple) else c for c in cells)
        assert "console" in text and "warning" in text
        assert "stream asr-jobs failed: Unreachable: arm refused" in text


async def test_help_names_the_log_file(tmp_path: Path) -> None:
    app = make_test_app()
    app.session.log_file = tmp_path / "log" / "console.log"
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("question_mark")
        await wait_until(lambda: type(app.screen).__name__ == "HelpScreen", pilot=pilot)
        help_text = str(app.screen.query_one("#help-text", Static).render())
        assert f"Log file {tmp_path / 'log' / 'console.log'}" in help_text


async def test_help_without_a_log_file_names_none() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("question_mark")
        await wait_until(lambda: type(app.screen).__name__ == "HelpScreen", pilot=pilot)
        assert "Log file" not in str(app.screen.query_one("#help-text", Static).render())


def test_the_log_file_is_private_across_rotations(tmp_path: Path) -> None:
    path = tmp_path / "console.log"
    path.write_text("left by an older version\n")
    path.chmod(0o644)
    handler = PrivateRotatingFileHandler(path, maxBytes=200, backupCount=2, encoding="utf-8")
    logger = logging.getLogger("tests.rotation")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for n in range(20):
            logger.warning("line %d of a console that keeps logging", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["console.log", "console.log.1", "console.log.2"]
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
