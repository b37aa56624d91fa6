"""Follows ASR jobs task by task as the jobs stream updates them in the store."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from asr_console.model.records import Job, Kind
from asr_console.widgets.jobs import job_text
from asr_console.widgets.live import Pending, StoreBound


class JobProgress(StoreBound, Static):
    """Shows ``app.followed_jobs`` (the jobs of the latest operation), in the order they started."""

    KINDS = frozenset({Kind.JOB})
    FOLLOWS_JOBS = True
    DEFAULT_CSS = """
    JobProgress { height: auto; max-height: 50%; padding: 0 1; border-top: hkey $panel-lighten-1; }
    JobProgress.idle { display: none; }
    """

    def __init__(self, *, id: str | None = None, job_ids: list[str] | None = None) -> None:
        super().__init__("", id=id, classes="idle")
        # None: follow the app's latest operation; a list: follow exactly these (a form's own job).
        self.own_jobs = job_ids

    @property
    def job_ids(self) -> list[str]:
        if self.own_jobs is not None:
            return list(self.own_jobs)
        app = self.console
        return list(app.followed_jobs)

    def follow(self, job_ids: list[str]) -> None:
        self.own_jobs = list(job_ids)
        self.reset()

    def interested(self, pending: Pending) -> bool:
        up = pending.upserted.get(Kind.JOB, set())
        return any(j in up for j in self.job_ids)

    def reset(self) -> None:
        app = self.console
        self.set_class(not self.job_ids, "idle")
        text = Text()
        for job_id in self.job_ids:
            job = self.store.typed(Job, job_id)
            if job is None:
                text.append(f"waiting for job {job_id.rsplit('/', 1)[-1]}…\n", style="dim")
                continue
            text.append_text(job_text(job, app.now(), app.role_styles(), utc=app.settings.utc))
        self.update(text)

    def tick(self) -> None:
        if self.job_ids:
            self.reset()
