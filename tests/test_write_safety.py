"""Audit before action and one write per intent (issue 11 §4, §5).

A write's intent is in the audit log, fsynced, before anything is sent, and nothing is sent when it
cannot be; the log is the user's alone. While a write is in flight the same operation on any of its
targets is refused, naming the running one: checked through the unmodified SDK on the simulated ARM
site with latency, and from the keyboard (ctrl+r twice in the policy form).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from asr_console.actions import Actions, AlreadyInFlight, NotAudited
from asr_console.app import make_app
from asr_console.audit import AuditError, AuditLog, Target
from asr_console.config import Settings
from asr_console.model.intervals import Intervals
from asr_console.model.records import Event, EventSource, Job, Kind, ProtectedItem, Provider
from asr_console.model.specs import PolicySpec, RecoveryPointChoice
from asr_console.model.store import Batch, Store
from asr_console.screens.policy_form import PolicyFormScreen
from asr_console.session import build_session
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.faults import Faults
from asr_console.sources.azure import AzureRecoveryService
from asr_console.widgets.policies import PoliciesView
from tests.arm_site import on_site
from tests.ui_fixtures import FakeRecoveryService, build_store, item_id, screen_as, screen_name
from tests.waiting import wait_until

# long enough that a second call starts while the first is on the wire, short enough for a test
LATENCY = 0.4
# two key presses are two trips through the app's message queue: more room for a loaded machine
KEY_LATENCY = 1.0


def spec(name: str = "silver-24h") -> PolicySpec:
    return PolicySpec(
        name=name,
        provider=Provider.INMAGE_RCM,
        recovery_point_history_minutes=1440,
        app_consistent_frequency_minutes=120,
    )


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------------------- audit before action


def unwritable(kind: str, tmp_path: Path) -> Path:
    """An audit log path that cannot be written, as ``kind`` says."""
    if kind == "disk full":
        # /dev/full answers every write with ENOSPC, as a full disk does
        (tmp_path / "logs").mkdir()
        (tmp_path / "logs" / "audit.log").symlink_to("/dev/full")
        return tmp_path / "logs" / "audit.log"
    if kind == "read-only directory":
        (tmp_path / "logs").mkdir(mode=0o500)
        return tmp_path / "logs" / "audit.log"
    if kind == "file where the directory should be":
        (tmp_path / "logs").write_text("not a directory")
        return tmp_path / "logs" / "audit.log"
    assert kind == "directory where the file should be"
    (tmp_path / "logs" / "audit.log").mkdir(parents=True)
    return tmp_path / "logs" / "audit.log"


# Root writes into a read-only directory and a machine may lack /dev/full: those cases are only listed
# where they can happen (CI runs as root and counts a skipped test as a failure).
UNWRITABLE = [
    *(["disk full"] if Path("/dev/full").exists() else []),
    *(["read-only directory"] if os.geteuid() != 0 else []),
    "file where the directory should be",
    "directory where the file should be",
]


@pytest.mark.parametrize("kind", UNWRITABLE)
async def test_an_unwritable_audit_log_sends_nothing_and_says_why(kind: str, tmp_path: Path) -> None:
    path = unwritable(kind, tmp_path)
    store = build_store()
    service = FakeRecoveryService(store)
    actions = Actions(service, store, audit=AuditLog(path, profile="prod"))
    with pytest.raises(NotAudited) as refused:
        await actions.resync(item_id(1))
    message = str(refused.value)
    assert str(path) in message and "\n" not in message
    assert message.startswith("resync app-001 not sent: audit log ")
    assert service.calls == []
    with pytest.raises(NotAudited):
        await actions.create_policy(spec())
    assert service.calls == []
    # the console's activity stream says so too
    events = [e for e in store.all(Event) if e.source is EventSource.CONSOLE]
    assert any(str(path) in e.message and e.severity == "error" for e in events)


async def test_on_the_simulated_site_an_unwritable_audit_log_sends_no_request(tmp_path: Path) -> None:
    sim = make_demo_site(vms=20, protected=8, seed=11, speed=0.0)
    async with on_site(sim) as service:
        store = Store()
        store.apply(Batch().replace(Kind.PROTECTED_ITEM, await service.protected_items()))
        item = next(i for i in store.all(ProtectedItem) if "TestFailover" in i.allowed_operations)
        jobs_before = len(await service.jobs())
        path = unwritable("file where the directory should be", tmp_path)
        actions = Actions(service, store, audit=AuditLog(path))
        with pytest.raises(NotAudited, match=str(path)):
            await actions.test_failover(item.id, RecoveryPointChoice(), sim.scope.network_id("vnet-dr-test"))
        assert len(await service.jobs()) == jobs_before


def test_log_directory_is_0700_and_file_0600_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "state" / "logs" / "audit.log"
    with umask(0):
        AuditLog(path).intent("resync", [Target("/x/item-1", "app-001")])
    assert mode(path.parent) == 0o700 and mode(path) == 0o600


def test_modes_of_an_existing_log_are_fixed(tmp_path: Path) -> None:
    directory = tmp_path / "logs"
    directory.mkdir()
    directory.chmod(0o755)
    path = directory / "audit.log"
    path.write_text("")
    path.chmod(0o644)
    AuditLog(path).intent("resync", [Target("/x/item-1", "app-001")])
    assert mode(directory) == 0o700 and mode(path) == 0o600


def test_each_entry_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "audit.log"
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    audit = AuditLog(path)
    intent = audit.intent("resync", [Target("/x/item-1", "app-001")])
    assert synced.count(path.stat().st_ino) == 1
    audit.result(intent, "resync", [Target("/x/item-1", "app-001")], "started", job_id="j1")
    assert synced.count(path.stat().st_ino) == 2


def test_a_failing_fsync_is_an_audit_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(AuditError, match="Input/output error"):
        AuditLog(tmp_path / "audit.log").intent("resync", [Target("/x/item-1", "app-001")])


async def test_a_result_that_cannot_be_recorded_keeps_the_started_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write was sent: failing it now would invite a second one. The job is returned and the
    activity stream says the result is not in the log."""
    store = build_store()
    service = FakeRecoveryService(store)
    path = tmp_path / "audit.log"
    actions = Actions(service, store, audit=AuditLog(path))

    # the intent is recorded; then the log stops taking entries (the disk filled up)
    def full(self: AuditLog, *args: object, **kwargs: object) -> None:
        raise AuditError(path, OSError(28, "No space left on device"))

    monkeypatch.setattr(AuditLog, "result", full)
    job = await actions.resync(item_id(1))
    monkeypatch.undo()
    assert isinstance(job, Job) and len(service.calls) == 1
    [intent] = AuditLog(path).entries()
    assert intent["phase"] == "intent"
    events = [e for e in store.all(Event) if e.source is EventSource.CONSOLE]
    assert any("No space left" in e.message and "started" in e.message for e in events)


# ---------------------------------------------------------------------------- one write per intent


@pytest.fixture
def sim() -> SimEngine:
    return make_demo_site(vms=30, protected=10, seed=11, speed=0.0, provider="inmagercm")


@pytest.fixture
async def slow_service(sim: SimEngine) -> AsyncIterator[AzureRecoveryService]:
    async with on_site(sim, faults=Faults(latency=LATENCY)) as served:
        yield served


def jobs_of(jobs: list[Job], scenario: str, *target: str) -> list[Job]:
    """The jobs of ``scenario`` on a target named (or whose id is) one of ``target``."""
    named = {t.lower() for t in target}
    return [
        j
        for j in jobs
        if j.scenario == scenario and named & {j.target_object_name.lower(), j.target_object_id.lower()}
    ]


async def test_two_concurrent_creates_of_one_policy_send_it_once(
    slow_service: AzureRecoveryService, tmp_path: Path
) -> None:
    audit = AuditLog(tmp_path / "audit.log")
    actions = Actions(slow_service, Store(), audit=audit)
    first, second = await asyncio.gather(
        actions.create_policy(spec()), actions.create_policy(spec()), return_exceptions=True
    )
    assert isinstance(first, Job)
    assert isinstance(second, AlreadyInFlight)
    assert "create-policy silver-24h refused: create-policy silver-24h (sent " in str(second)
    assert str(second).endswith("is still in flight")
    created = jobs_of(list(await slow_service.jobs()), "AddProtectionProfile", "silver-24h")
    assert len(created) == 1
    # the refusal is in the audit log; the one write sent has its intent before its result
    entries = audit.entries()
    assert sorted(e["phase"] for e in entries) == ["intent", "refused", "result"]
    [refusal] = [e for e in entries if e["phase"] == "refused"]
    assert "still in flight" in refusal["result"]
    assert [e["phase"] for e in entries if e["phase"] != "refused"] == ["intent", "result"]
    # once ASR has answered, the operation is no longer in flight
    assert actions.in_flight() == []


async def test_two_concurrent_test_failovers_of_one_item_start_one_job(
    sim: SimEngine, slow_service: AzureRecoveryService
) -> None:
    network = sim.scope.network_id("vnet-dr-test")
    store = Store()
    store.apply(Batch().replace(Kind.PROTECTED_ITEM, await slow_service.protected_items()))
    item, other = [i for i in store.all(ProtectedItem) if "TestFailover" in i.allowed_operations][:2]
    actions = Actions(slow_service, store)
    point = RecoveryPointChoice()
    results = await asyncio.gather(
        actions.test_failover(item.id, point, network),
        # the same item as another pane spells its id: ARM ids ignore case
        actions.test_failover(item.id.upper(), point, network),
        # another item is another intent
        actions.test_failover(other.id, point, network),
        return_exceptions=True,
    )
    started, refused, elsewhere = results
    assert isinstance(started, Job) and isinstance(elsewhere, Job)
    assert isinstance(refused, AlreadyInFlight)
    assert f"test-failover {item.display_name} (sent " in str(refused)
    jobs = list(await slow_service.jobs())
    assert len(jobs_of(jobs, "TestFailover", item.id, item.display_name)) == 1


async def test_pressing_ctrl_r_twice_in_the_policy_form_creates_one_policy(
    sim: SimEngine, tmp_path: Path
) -> None:
    fast = Intervals(items=0.5, items_fast=0.5, jobs=0.5, jobs_fast=0.5, infra=1, infra_fast=1)
    async with on_site(sim, faults=Faults(latency=KEY_LATENCY)) as service:
        audit = AuditLog(tmp_path / "audit.log", profile="sim")
        session = build_session(Settings(profile="sim"), service, None, intervals=fast, audit=audit)
        session.clock = sim.clock.now
        app = make_app(session)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("3")
            await wait_until(lambda: app.current_mode == "policies", pilot=pilot)
            view = app.screen.query_one(PoliciesView)
            await wait_until(lambda: view.table.row_count > 0, timeout=15, pilot=pilot)
            view.table.focus()
            await pilot.press("n")
            await wait_until(lambda: screen_name(app) == "PolicyFormScreen", pilot=pilot)
            form = screen_as(app, PolicyFormScreen)
            form.query_one("#f-name", Input).value = "silver-24h"
            form.query_one("#f-recovery_point_history_minutes", Input).value = "1440"
            form.query_one("#f-app_consistent_frequency_minutes", Input).value = "120"
            await wait_until(lambda: form.errors == [], pilot=pilot)
            # saved and confirmed twice in a row: the second is refused while the first is in flight
            await pilot.press("ctrl+r")
            await wait_until(lambda: screen_name(app) == "ConfirmScreen", pilot=pilot)
            await pilot.press("y", "ctrl+r")
            await wait_until(lambda: screen_name(app) == "ConfirmScreen", pilot=pilot)
            await pilot.press("y")
            await wait_until(lambda: form.sent, timeout=10, pilot=pilot, what="the first create answered")
            refusals = [
                e.message
                for e in session.store.all(Event)
                if e.source is EventSource.CONSOLE and "still in flight" in e.message
            ]
            assert len(refusals) == 1 and "create-policy silver-24h" in refusals[0]
        created = jobs_of(list(await service.jobs()), "AddProtectionProfile", "silver-24h")
        assert len(created) == 1
        phases = [e["phase"] for e in audit.entries()]
        assert sorted(phases) == ["intent", "refused", "result"]
        assert phases.index("intent") < phases.index("result")
        await session.close()
