"""The steps every scriptable write shares once its plan is resolved: print the plan → refuse when
read-only → confirm → send each write within the deadline → follow the jobs (``--wait``) → report
(``--json``) → exit code. ``commands/writes.py`` and ``commands/enable.py`` each describe their writes
with a ``Sending`` and let ``carry_out`` run them, so both say the same things the same way."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from asr_console.config import Settings
from asr_console.model.errors import OperationRejected, SourceError
from asr_console.model.inputs import InvalidInput
from asr_console.model.records import Job

if TYPE_CHECKING:
    # the modules behind a write are imported when one runs, not whenever the parser is built
    from asr_console.actions import Actions
    from asr_console.commands.deadline import Deadline
    from asr_console.model.protocols import RecoveryService
    from asr_console.model.store import Store

OK, FAILED, USAGE, UNREACHABLE = 0, 1, 2, 3

COMMON_HELP = (
    " (plan, confirmation, --dry-run, --yes, --json, --wait; exit 0 ok, 1 failed, 2 refused, 3 unreachable)"
)


class PlanError(Exception):
    """The plan cannot be carried out as given; nothing was sent. ``str()`` names every problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class PlannedWrite(Protocol):
    """One write of a plan, as the shared steps print and report it."""

    @property
    def who(self) -> str:
        """The item (or VM) the write is for, as every line about it names it."""
        ...

    @property
    def label(self) -> str:
        """What its job is called when ASR's job has no display name."""
        ...

    def row(self) -> str: ...

    def as_json(self) -> dict[str, Any]: ...


StepT = TypeVar("StepT", bound=PlannedWrite)


@dataclass(slots=True)
class Sent(Generic[StepT]):
    step: StepT
    job: Job | None = None
    error: str = ""

    @property
    def state(self) -> str:
        if self.job is None:
            return "NotSent"
        return self.job.state or "NotStarted"

    def as_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "item": self.step.who,
            "job_id": self.job.name if self.job is not None else "",
            "state": self.state,
        }
        failure = job_failure(self.job) if self.job is not None else ""
        if self.error or failure:
            row["error"] = self.error or failure
        if self.job is not None and failure:
            row["errors"] = [{"code": e.code, "message": e.message} for e in self.job.errors]
        return row


def job_failure(job: Job) -> str:
    """Why an ended job failed, as ASR's job errors say it ("78169: …"); "" while it runs or if it
    carries no error. A runbook needs the code to act on, not just "Failed"."""
    if job.running:
        return ""
    return "; ".join(
        f"{e.code}: {e.message}" if e.code and e.message else e.code or e.message
        for e in job.errors
        if e.code or e.message
    )


@dataclass(frozen=True, slots=True)
class Sending(Generic[StepT]):
    """How one command's writes go out."""

    name: str  # the command, at the head of every message
    heading: str  # the plan's first line
    refusing: str  # what is refused without --yes off a terminal ("enable replication of vm-1")
    send: Callable[[StepT], Awaitable[Job | None]]  # through the Actions: guarded and audited
    confirm: Callable[[], bool]  # asks on the terminal; True to go ahead
    poll_seconds: float  # between rounds of job reads with --wait
    wait_timeout: float | None = None  # None: follow until every job ends
    store: Store | None = None  # the Actions' store: a followed job's end is audited under its intent


def say(message: str) -> None:
    print(f"asr-console: {message}", file=sys.stderr)


def run_guarded(name: str, settings: Settings, main: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """A write command's exit code: 2 without a vault to write to, 3 when the back end is unreachable."""
    if not settings.has_azure_target():
        say(f"{name}: set --subscription, --resource-group and --vault")
        return USAGE
    try:
        return asyncio.run(main())
    except SourceError as exc:
        say(f"{name}: UNKNOWN - {type(exc).__name__}: {exc}")
        return UNREACHABLE


@contextlib.asynccontextmanager
async def write_session(
    settings: Settings, store: Store | None = None
) -> AsyncIterator[tuple[Deadline, RecoveryService, Actions]]:
    """The command's deadline (counting from now), the vault and the Actions every write goes through
    (read-only guard, audit log); both closed at the end whatever happened."""
    from asr_console.actions import Actions
    from asr_console.commands.deadline import Deadline
    from asr_console.model.store import Store
    from asr_console.session import audit_log
    from asr_console.sources.azure import AzureRecoveryService

    deadline = Deadline(settings.timeout)
    service = AzureRecoveryService.from_settings(settings, polling_interval=2.0)
    actions = Actions(
        service,
        store if store is not None else Store(),
        audit=audit_log(settings),
        read_only=settings.read_only,
    )
    try:
        yield deadline, service, actions
    finally:
        actions.close()
        await service.close()


def refuse_plan(name: str, exc: PlanError) -> int:
    """Every problem of a plan that cannot be carried out, then exit 2: nothing was sent."""
    for problem in exc.problems:
        say(f"{name}: {problem}")
    say(f"{name}: nothing sent")
    return USAGE


def add_confirm_flags(
    parser: argparse.ArgumentParser,
    *,
    nothing: str = "send nothing",
    shape: str = '{"plan": [...], "jobs": [...]}',
    wait: bool = True,
) -> None:
    """--dry-run, --yes, --json and (for writes that start jobs) --wait."""
    parser.add_argument("--dry-run", action="store_true", help=f"print the plan and {nothing}")
    parser.add_argument(
        "--yes", "-y", action="store_true", help="do not ask for confirmation (needed without a terminal)"
    )
    parser.add_argument("--json", action="store_true", help=f"print {shape}")
    if wait:
        parser.add_argument(
            "--wait",
            action="store_true",
            help="follow the jobs until they end; exit 1 if any did not succeed",
        )


async def carry_out(
    args: argparse.Namespace,
    steps: list[StepT],
    sending: Sending[StepT],
    *,
    read_only: bool,
    service: RecoveryService,
    deadline: Deadline,
) -> int:
    from asr_console.actions import ReadOnlyError, WriteRefused

    name = sending.name
    plan_out = sys.stderr if args.json else sys.stdout
    interactive = sys.stdin.isatty() and not args.yes and not args.dry_run
    if not args.json or interactive:
        print(sending.heading, file=plan_out)
        for step in steps:
            print(step.row(), file=plan_out)
    if args.dry_run:
        if args.json:
            print(json.dumps({"plan": [s.as_json() for s in steps], "jobs": []}, indent=2))
        return OK
    if read_only:
        # refused through Actions so each refusal is in the audit log as the console's are
        for step in steps:
            with contextlib.suppress(ReadOnlyError):
                await sending.send(step)
        say(f"{name}: refused: this console is read-only (profile read_only or --read-only)")
        return USAGE
    if not args.yes:
        if not sys.stdin.isatty():
            say(f"refusing to {sending.refusing} without --yes (stdin is not a terminal)")
            return USAGE
        if not sending.confirm():
            say(f"{name}: not confirmed; nothing sent")
            return USAGE
    sent: list[Sent[StepT]] = []
    for step in steps:
        record = Sent(step)
        sent.append(record)
        try:
            record.job = await deadline.within(sending.send(step), f"ASR to accept {step.who}")
        except WriteRefused as exc:
            # not audited or already in flight: nothing was sent for this one, nor will be for the rest
            record.error = str(exc)
            say(f"{name}: {exc}")
            report(args, steps, sent)
            return USAGE
        except (InvalidInput, OperationRejected) as exc:
            record.error = str(exc)
            say(f"{name}: {step.who}: refused by ASR: {exc}")
        except SourceError:
            # unreachable, signed out or throttled: what was sent so far is reported before exit 3
            report(args, steps, sent)
            raise
        if record.job is not None and not args.json:
            print(f"{step.who}: {record.job.display_name or step.label} started, job {record.job.name}")
    if args.wait:
        await follow(args, sent, sending, service, deadline)
    report(args, steps, sent)
    if any(r.job is None for r in sent):
        return FAILED
    if args.wait and any(r.state != "Succeeded" for r in sent):
        return FAILED
    return OK


def report(args: argparse.Namespace, steps: list[StepT], sent: list[Sent[StepT]]) -> None:
    if args.json:
        print(
            json.dumps({"plan": [s.as_json() for s in steps], "jobs": [r.as_json() for r in sent]}, indent=2)
        )


async def follow(
    args: argparse.Namespace,
    sent: list[Sent[StepT]],
    sending: Sending[StepT],
    service: RecoveryService,
    deadline: Deadline,
) -> None:
    """Read each started job again until it ends or ``wait_timeout`` seconds have passed; one progress
    line per item whenever its job moves on.

    Each round of reads has the command's timeout to itself, but a back end that stops answering still
    ends the command (exit 3). Jobs still running at ``wait_timeout`` are named and left running."""
    from asr_console.commands.deadline import Deadline
    from asr_console.model.store import Batch

    loop = asyncio.get_running_loop()
    wait_timeout = sending.wait_timeout
    gives_up = None if wait_timeout is None else loop.time() + wait_timeout
    progress = sys.stderr if args.json else sys.stdout
    shown: dict[str, str] = {}
    while True:
        running = [(r, r.job) for r in sent if r.job is not None and r.job.running]
        for record in sent:
            job = record.job
            if job is None:
                continue
            current = next((t.friendly_name or t.name for t in job.tasks if t.state == "InProgress"), "")
            line = f"{record.step.who}: {job.display_name or record.step.label} {job.state}"
            line += f" - {current}" if current and job.running else ""
            failure = job_failure(job)
            line += f" - {failure}" if failure else ""
            if shown.get(job.name) != line:
                shown[job.name] = line
                print(line, file=progress, flush=True)
        if not running:
            return
        pause = sending.poll_seconds
        if gives_up is not None:
            left = gives_up - loop.time()
            if left <= 0:
                still = ", ".join(f"{r.step.who} (job {job.name})" for r, job in running)
                say(
                    f"{sending.name}: stopped waiting after {wait_timeout:g} s "
                    f"(--wait-timeout); still running, not cancelled: {still}"
                )
                return
            pause = min(pause, left)
        await asyncio.sleep(pause)
        round_deadline = Deadline(deadline.seconds)
        for record, before in running:
            fresh = await round_deadline.within(service.job(before.id), f"job {before.name}")
            record.job = fresh
            if sending.store is not None:
                sending.store.apply(Batch().upsert(fresh))
