# pyVmomi's generated data-object constructors are unannotated.
# mypy: disable-error-code="no-untyped-call"
"""Write rate per VM (``virtualDisk.write.average``) from batched ``QueryPerf`` calls, kept as a history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pyVmomi import vim, vmodl

from asr_console.model.records import ChurnSample
from asr_console.sources.vmware.session import Login


class ChurnReader:
    """The last ``history`` samples per VM, ``samples`` asked per query (20 s real-time interval)."""

    def __init__(self, history: int, samples: int) -> None:
        self.churn_history = history
        self.churn_samples = samples
        self._churn_generation = -1
        self._write_counter: int | None = None
        self._churn: dict[str, dict[datetime, float]] = {}
        self._disk_churn: dict[str, dict[str, dict[datetime, float]]] = {}

    def _counter_id(self, session: Login) -> int | None:
        if self._churn_generation != session.generation:
            self._write_counter = None
            perf = session.si.content.perfManager
            for counter in perf.perfCounter or ():
                if (
                    counter.groupInfo.key == "virtualDisk"
                    and counter.nameInfo.key == "write"
                    and str(counter.rollupType) == "average"
                ):
                    self._write_counter = int(counter.key)
                    break
            self._churn_generation = session.generation
        return self._write_counter

    def read(self, session: Login, running: list[str]) -> list[ChurnSample]:
        """Recent samples of each of ``running`` (powered-on VMs); forgets VMs no longer running."""
        counter = self._counter_id(session)
        if counter is None:
            return []
        perf = session.si.content.perfManager
        stub = session.si._stub
        metric = vim.PerformanceManager.MetricId(counterId=counter, instance="*")
        out: list[ChurnSample] = []
        chunk = 250
        for start in range(0, len(running), chunk):
            specs = [
                vim.PerformanceManager.QuerySpec(
                    entity=vim.VirtualMachine(moref, stub),
                    metricId=[metric],
                    intervalId=20,
                    maxSample=self.churn_samples,
                )
                for moref in running[start : start + chunk]
            ]
            try:
                results = perf.QueryPerf(querySpec=specs)
            except vmodl.fault.ManagedObjectNotFound:
                continue  # a VM went away between the listing and the query; next round
            for metrics in results or ():
                sample = self._merge_churn(metrics)
                if sample is not None:
                    out.append(sample)
        alive = set(running)
        for moref in [m for m in self._churn if m not in alive]:
            del self._churn[moref]
            self._disk_churn.pop(moref, None)
        return out

    def _merge_churn(self, metrics: Any) -> ChurnSample | None:
        moref = metrics.entity._moId
        times = [info.timestamp for info in metrics.sampleInfo or ()]
        if not times:
            return None
        series = list(metrics.value or ())
        # vCenter reports virtualDisk per disk instance; an empty instance, when present, is the VM total.
        total = [s for s in series if not s.id.instance]
        chosen = total or series
        values = [0.0] * len(times)
        seen = [False] * len(times)
        for s in chosen:
            for i, value in enumerate(list(s.value or ())[: len(times)]):
                if value is not None and value >= 0:
                    values[i] += float(value)
                    seen[i] = True
        stamps = [when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC) for when in times]
        history = self._churn.setdefault(moref, {})
        for when, value, ok in zip(stamps, values, seen, strict=True):
            if ok:
                history[when] = value
        for old in sorted(history)[: max(0, len(history) - self.churn_history)]:
            del history[old]
        kept = sorted(history)
        disks = self._disk_churn.setdefault(moref, {})
        for s in series:
            if s.id.instance:
                per_disk = disks.setdefault(str(s.id.instance), {})
                for when, value in zip(stamps, list(s.value or ()), strict=False):
                    if value is not None and value >= 0:
                        per_disk[when] = float(value)
        for per_disk in disks.values():
            for old in [t for t in per_disk if t not in history]:
                del per_disk[old]
        disk_samples = tuple(
            (name, tuple(per_disk.get(t, 0.0) for t in kept)) for name, per_disk in sorted(disks.items())
        )
        return ChurnSample(
            moref=moref, samples=tuple((t, history[t]) for t in kept), disk_samples=disk_samples
        )
