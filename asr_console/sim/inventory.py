"""The simulated site's vCenter face: an ``InventorySource`` on the engine's estate.

It hands out the estate's records, first all of them, then only what changed (like ``WaitForUpdatesEx``).
Nothing runs in the background: each call first applies the simulated time that has passed
(``engine.step()``).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from asr_console.model.errors import SourceError
from asr_console.model.protocols import VCenterInfo
from asr_console.model.records import ChurnSample, Event, Record
from asr_console.model.store import Batch
from asr_console.sim.engine import SimEngine


def disk_split(
    samples: tuple[tuple[datetime, float], ...], disks: int
) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """A VM's writes spread over its disks as vCenter reports them per instance (scsi0:N).

    Later disks write more (data and log disks take most writes, the OS disk least): shares 1:2:4:…,
    so a busy VM with a few disks has one disk well above the others, as real databases do.
    """
    if disks <= 0:
        return ()
    weights = [2.0**i for i in range(disks)]
    total = sum(weights)
    return tuple(
        (f"scsi0:{i}", tuple(round(value * w / total, 1) for _, value in samples))
        for i, w in enumerate(weights)
    )


class SimulatedInventory:
    """``InventorySource`` on the simulated site's vCenter side."""

    def __init__(self, engine: SimEngine, name: str = "vcenter", poll: float = 0.25) -> None:
        self.engine = engine
        self.name = name
        self._poll = poll
        self._version: int | None = None
        self._event_seq: int | None = None
        self._closed = False

    @property
    def synced(self) -> bool:
        return self._version is not None

    async def connect(self) -> VCenterInfo:
        if self._closed:
            raise SourceError("the simulated inventory is closed")
        return VCenterInfo(
            url=f"sim://{self.engine.estate.vcenter}.corp.example/sdk",
            version="8.0.3",
            api_version="8.0.3.0",
            instance_uuid=f"sim-{self.engine.seed}",
        )

    async def changes(self, max_wait: float) -> Batch:
        estate = self.engine.estate
        if self._version is None:
            self.engine.step()
            self._version = estate.version
            batch = Batch()
            for kind, records in estate.all_records().items():
                batch.replace(kind, records)
            return batch
        deadline = time.monotonic() + max_wait
        while True:
            self.engine.step()
            version, keys = estate.changes_since(self._version)
            if keys:
                self._version = version
                batch = Batch()
                for kind, key in keys:
                    record: Record | None = estate.records[kind].get(key)
                    if record is None:
                        batch.remove(kind, key)
                    else:
                        batch.upsert(record)
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed:
                return Batch()
            await asyncio.sleep(min(self._poll, remaining))

    async def events(self) -> list[Event]:
        self.engine.step()
        events = self.engine.estate.events
        if self._event_seq is None:
            self._event_seq = len(events)
            return list(events[-50:])
        fresh = self.engine.estate.events_since(self._event_seq)
        self._event_seq = len(events)
        return list(fresh)

    async def churn(self) -> list[ChurnSample]:
        self.engine.step()
        estate = self.engine.estate
        out = []
        for moref, extra in estate.extra.items():
            vm = estate.vms[moref]
            if vm.power_state != "poweredOn":
                continue
            samples = tuple(extra.samples)
            out.append(
                ChurnSample(moref=moref, samples=samples, disk_samples=disk_split(samples, len(vm.disks)))
            )
        return out

    async def close(self) -> None:
        self._closed = True
