"""ASR jobs with a state filter; the details show tasks and errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.text import Text

from asr_console.model.records import Job, Kind
from asr_console.sync import streams
from asr_console.widgets.fmt import JOB_STATE_ROLE, duration, stamp
from asr_console.widgets.grouping import job_groupings, jobs_summary
from asr_console.widgets.rows import Grouping
from asr_console.widgets.table import Cell, Column
from asr_console.widgets.tableview import TableView

STATE_FILTERS = ("all", "running", "failed", "succeeded", "cancelled")


def job_in_state(job: Job, state_filter: str) -> bool:
    if state_filter == "all":
        return True
    if state_filter == "running":
        return job.running
    if state_filter == "failed":
        return job.state in ("Failed", "CompletedWithInformation")
    if state_filter == "succeeded":
        return job.state == "Succeeded"
    if state_filter == "cancelled":
        return job.state in ("Cancelled", "Cancelling")
    return True


def job_elapsed(job: Job, now: datetime) -> float | None:
    if job.start is None:
        return None
    return ((job.end or now) - job.start).total_seconds()


def task_progress(job: Job) -> str:
    if not job.tasks:
        return "—"
    # a failed or cancelled task is not done: a job that failed at its third of five tasks reads 2/5
    done = sum(1 for t in job.tasks if t.state in ("Succeeded", "Skipped"))
    return f"{done}/{len(job.tasks)}"


def job_text(job: Job, now: datetime, role_style: dict[str, str], *, utc: bool = False) -> Text:
    """Job with every task and error: the jobs details and the failover progress panel."""
    text = Text()
    role = JOB_STATE_ROLE.get(job.state, "")
    text.append(f"{job.display_name or job.scenario or job.name}", style="bold")
    text.append(f"  {job.target_object_name}  ")
    text.append(job.state or "?", style=role_style.get(role, ""))
    text.append(f"  started {stamp(job.start, utc=utc)}  elapsed {duration(job_elapsed(job, now))}\n")
    for task in job.tasks:
        mark = {"Succeeded": "✔", "Failed": "✘", "InProgress": "▶", "Cancelled": "✘", "Skipped": "·"}.get(
            task.state, "○"
        )
        task_role = JOB_STATE_ROLE.get(task.state, "muted")
        text.append(f"  {mark} ", style=role_style.get(task_role, ""))
        text.append(f"{task.friendly_name or task.name}", style="" if task.state else "dim")
        text.append(f"  {task.state or 'NotStarted'}\n", style=role_style.get(task_role, ""))
    for error in job.errors:
        text.append(f"  error {error.code}: {error.message}\n", style=role_style.get("critical", ""))
        if error.possible_causes:
            text.append(f"    possible causes: {error.possible_causes}\n")
        if error.recommended_action:
            text.append(f"    recommended action: {error.recommended_action}\n")
    return text


class JobsView(TableView):
    KIND = Kind.JOB
    STREAM = streams.JOBS
    TITLE = "Jobs"

    state_filter = "all"

    def groupings(self) -> list[Grouping]:
        return job_groupings()

    def group_summary(self, records: list[Any]) -> str:
        return jobs_summary(records)

    def columns(self) -> list[Column]:
        return [
            Column("name", "Job", 22, flex=True, max_width=40, sort=lambda j: j.display_name),
            Column(
                "target", "Target", 18, flex=True, max_width=32, sort=lambda j: j.target_object_name.lower()
            ),
            Column("state", "State", 12, sort=lambda j: j.state),
            Column("start", "Started", 19, priority=3, sort=lambda j: j.start),
            Column("elapsed", "Elapsed", 8, priority=2, align="right"),
            Column("tasks", "Tasks", 6, priority=1, align="right"),
            Column("actions", "Allowed", 14, priority=4),
        ]

    def cells(self, job: Job) -> Sequence[Cell]:
        state: Cell = (job.state, JOB_STATE_ROLE.get(job.state, "muted"))
        name = job.display_name or job.scenario or job.name
        return (
            name,
            job.target_object_name,
            state,
            self.stamp(job.start, short=True),
            duration(job_elapsed(job, self.now)),
            task_progress(job),
            ",".join(job.allowed_actions),
        )

    def search_text(self, job: Job) -> str:
        return f"{job.display_name} {job.scenario} {job.target_object_name} {job.state}"

    def reset(self) -> None:
        if self.table.sort_column is None:
            self.table.sort_column = "start"
            self.table.sort_reverse = True
        super().reset()

    def set_state_filter(self, state_filter: str) -> None:
        self.state_filter = state_filter
        self.table.set_include(None if state_filter == "all" else lambda j: job_in_state(j, state_filter))
        self.update_headline()

    def cycle_state_filter(self) -> str:
        i = STATE_FILTERS.index(self.state_filter)
        self.set_state_filter(STATE_FILTERS[(i + 1) % len(STATE_FILTERS)])
        return self.state_filter

    def headline(self) -> str:
        base = super().headline()
        if self.awaiting_first_read:
            return base
        running = sum(1 for j in self.store.all(Job) if j.running)
        text = f"{base} — {running} running"
        if self.state_filter != "all":
            text += f"  state: {self.state_filter}"
        return text
