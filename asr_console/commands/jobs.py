"""``asr-console jobs [--json]``: recent ASR jobs of a vault with their tasks and errors.

Exit codes: 0 none failed, 1 a job is failed or cancelled, 3 unknown (unreachable, auth, not found).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from asr_console.commands.argtypes import bounded_float
from asr_console.config import Settings
from asr_console.model.records import Job


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("jobs", help="recent ASR jobs of a vault")
    parser.add_argument("--json", action="store_true", help="print the machine-readable list")
    # ASR keeps jobs for 30 days
    parser.add_argument(
        "--hours",
        type=bounded_float(0, 720, low_open=True),
        default=72.0,
        help="how far back to look, up to 720 (default 72)",
    )
    parser.add_argument("--state", help="only jobs in this state (InProgress, Failed, Succeeded, ...)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from asr_console.model.errors import SourceError

    if not settings.has_azure_target():
        print("jobs: UNKNOWN - set --subscription, --resource-group and --vault", file=sys.stderr)
        return 3
    since = datetime.now(UTC) - timedelta(hours=args.hours)
    try:
        jobs = asyncio.run(_read(settings, since, args.state))
    except SourceError as exc:
        print(f"jobs: UNKNOWN - {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    jobs.sort(key=lambda j: j.start or datetime.min.replace(tzinfo=UTC), reverse=True)
    if args.json:
        print(
            json.dumps(
                {"generated_at": _iso(datetime.now(UTC)), "jobs": [job_dict(j) for j in jobs]}, indent=2
            )
        )
    else:
        for job in jobs:
            start = job.start.strftime("%Y-%m-%d %H:%M") if job.start else "-"
            print(f"{start}  {job.state:<11} {job.display_name:<30} {job.target_object_name}")
            for error in job.errors:
                print(f"      {error.code} {error.message}")
    return 1 if any(j.state in ("Failed", "Cancelled") for j in jobs) else 0


async def _read(settings: Settings, since: datetime, state: str | None) -> list[Job]:
    from asr_console.commands.deadline import Deadline
    from asr_console.sources.azure import AzureRecoveryService

    deadline = Deadline(settings.timeout)
    service = AzureRecoveryService.from_settings(settings)
    try:
        return await deadline.within(service.jobs(since=since, state=state), "the jobs list")
    finally:
        await service.close()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "name": job.display_name,
        "scenario": job.scenario,
        "state": job.state,
        "start": _iso(job.start),
        "end": _iso(job.end),
        "target": job.target_object_name,
        "target_id": job.target_object_id,
        "tasks": [
            {"name": t.friendly_name or t.name, "state": t.state, "start": _iso(t.start), "end": _iso(t.end)}
            for t in job.tasks
        ],
        "errors": [
            {
                "code": e.code,
                "message": e.message,
                "possible_causes": e.possible_causes,
                "recommended_action": e.recommended_action,
            }
            for e in job.errors
        ],
    }
