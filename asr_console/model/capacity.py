"""Capacity planning from the churn the console measures: what ASR's Deployment Planner answers.

For each VM and for the whole set: write rates, daily churn, the upload bandwidth that keeps the
recovery point objective, how long initial replication takes over a given (or the process servers'
measured) bandwidth, how many process servers the set needs, and the disks whose churn is above what
their Azure disk type absorbs. The method and limits follow the Deployment Planner and the VMware
support matrix (README "Capacity planning" lists them with their sources):

- required bandwidth: the busiest RPO-long window of the measured write rate, plus the Planner's 30 %
  growth allowance. Data written within one window is uploaded within one window, so the recovery
  point never falls further behind than the target;
- initial replication: the disks' provisioned size (used space is not reported for thick disks, so this is
  an upper bound) over the bandwidth left after the ongoing churn;
- per-disk limits (average churn per disk, best case I/O size): Standard 2 MB/s, Premium P10/P15
  8 MB/s, Premium P20–P50 20 MB/s; per VM peak 54 MB/s; per process server 2 TB/day and 225 VMs
  (the largest process-server size).

Units: vCenter's ``virtualDisk.write.average`` is in KB/s (1 KB = 1,024 bytes); ASR's churn limits are
MB/s (1 MB = 1,024 KB); every ``*_mbps`` figure is megabits per second (10^6 bit/s), the unit links are
sold in.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asr_console.model.queries import item_of, rpo_threshold_minutes
from asr_console.model.records import ChurnSample, ProcessServer, ProtectedItem, VirtualMachine
from asr_console.model.store import Store

GROWTH = 1.3  # the Deployment Planner's growth allowance on measured churn
VM_PEAK_LIMIT_MB_S = 54.0
PROCESS_SERVER_DAILY_GB = 2 * 1024.0  # 2 TB a day
PROCESS_SERVER_VMS = 225
DEFAULT_RPO_MINUTES = 15  # the Planner's default desired RPO
DEFAULT_WINDOW_HOURS = 72.0  # the Planner plans initial replication within 72 hours
DEFAULT_SAMPLE_SECONDS = 20.0  # vCenter's real-time interval
RISK_FRACTION = 0.8  # an RPO at 80 % of its threshold is at risk

KB = 1024
MB = 1024 * KB
GB = 1024 * MB


@dataclass(frozen=True, slots=True)
class DiskTier:
    """An Azure disk type and the average churn per disk it absorbs (support matrix, best I/O size)."""

    name: str
    disk_types: tuple[str, ...]
    limit_mb_s: float


TIERS: tuple[DiskTier, ...] = (
    DiskTier("Standard", ("Standard_LRS", "StandardSSD_LRS"), 2.0),
    DiskTier("Premium P10/P15", ("Premium_LRS",), 8.0),
    DiskTier("Premium P20-P50", ("Premium_LRS",), 20.0),
)


def tier_of(disk_type: str) -> DiskTier:
    """The tier a target disk type lands in; Premium is planned as its smaller sizes (the cautious case)."""
    for tier in TIERS:
        if disk_type in tier.disk_types:
            return tier
    raise ValueError(f"unknown disk type {disk_type!r}: use Standard_LRS, StandardSSD_LRS or Premium_LRS")


def tier_for(churn_mb_s: float) -> DiskTier | None:
    """The cheapest tier whose limit holds ``churn_mb_s``; None when no disk type holds it."""
    return next((t for t in TIERS if churn_mb_s <= t.limit_mb_s), None)


@dataclass(frozen=True, slots=True)
class PlanInputs:
    rpo_minutes: int = DEFAULT_RPO_MINUTES
    bandwidth_mbps: float | None = None  # None: the process servers' measured throughput, if any
    window_hours: float = DEFAULT_WINDOW_HOURS
    disk_type: str = "Standard_LRS"  # the target disk type planned for VMs not yet protected

    def problems(self) -> list[str]:
        out = []
        if not (isinstance(self.rpo_minutes, int) and 1 <= self.rpo_minutes <= 24 * 60):
            out.append("rpo-minutes: a whole number of minutes from 1 to 1440")
        if self.bandwidth_mbps is not None and not (
            math.isfinite(self.bandwidth_mbps) and self.bandwidth_mbps > 0
        ):
            out.append("bandwidth-mbps: a positive number of megabits per second")
        if not (math.isfinite(self.window_hours) and self.window_hours > 0):
            out.append("window: a positive number of hours")
        try:
            tier_of(self.disk_type)
        except ValueError as exc:
            out.append(f"disk-type: {exc}")
        return out


@dataclass(frozen=True, slots=True)
class DiskOverLimit:
    disk: str  # vCenter's disk instance (scsi0:1) or "all disks" when only the VM total is measured
    write_mb_s: float  # the 95th percentile of its write rate
    disk_type: str
    limit_mb_s: float
    suggested: str  # the tier that would hold it, or "none: split the disk's I/O"


@dataclass(frozen=True, slots=True)
class VmForecast:
    moref: str
    name: str
    samples: int
    peak_write_mbps: float
    avg_write_mbps: float
    daily_churn_gb: float
    required_mbps: float
    disk_gb: float
    initial_replication_hours: float | None  # None: the bandwidth does not exceed the churn
    disks_over_limit: tuple[DiskOverLimit, ...] = ()
    at_risk: tuple[str, ...] = ()  # reasons the VM may breach its RPO target
    item_id: str = ""


@dataclass(frozen=True, slots=True)
class CapacityPlan:
    inputs: PlanInputs
    vms: tuple[VmForecast, ...]
    bandwidth_mbps: float | None
    bandwidth_source: str  # "given", "measured" (process servers' throughput) or "unknown"
    peak_write_mbps: float
    avg_write_mbps: float
    daily_churn_gb: float
    required_mbps: float
    disk_gb: float
    initial_replication_hours: float | None
    appliances_needed: int
    disks_over_limit: int
    notes: tuple[str, ...] = field(default=())

    @property
    def at_risk(self) -> tuple[VmForecast, ...]:
        return tuple(v for v in self.vms if v.at_risk)

    @property
    def meets_window(self) -> bool | None:
        if self.initial_replication_hours is None:
            return None if self.bandwidth_mbps is None else False
        return self.initial_replication_hours <= self.inputs.window_hours


def kbps_to_mbps(kbps: float) -> float:
    return kbps * KB * 8 / 1e6


def kbps_to_mb_s(kbps: float) -> float:
    return kbps / KB


def _percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (what a planner report quotes as p95)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _interval_seconds(times: Sequence[datetime]) -> float:
    gaps = sorted((b - a).total_seconds() for a, b in itertools.pairwise(times))
    gaps = [g for g in gaps if g > 0]
    return gaps[len(gaps) // 2] if gaps else DEFAULT_SAMPLE_SECONDS


def worst_window_kbps(values: Sequence[float], window: int) -> float:
    """The highest average write rate over ``window`` consecutive samples (all of them when fewer)."""
    if not values:
        return 0.0
    width = max(1, min(window, len(values)))
    total = sum(values[:width])
    best = total
    for i in range(width, len(values)):
        total += values[i] - values[i - width]
        best = max(best, total)
    return best / width


def _upload_hours(size_bytes: float, bandwidth_mbps: float | None, churn_mbps: float) -> float | None:
    if bandwidth_mbps is None or bandwidth_mbps <= churn_mbps:
        return None
    return size_bytes * 8 / ((bandwidth_mbps - churn_mbps) * 1e6) / 3600


def _over(rate: float, limit: float) -> str:
    """``rate`` with as many decimals as it takes to read as above ``limit`` (2.04, not 2.0, over 2)."""
    for digits in (1, 2, 3):
        shown = f"{rate:.{digits}f}"
        if float(shown) > limit:
            return shown
    return f"{rate:.3f}"


def _disks_over(churn: ChurnSample, vm: VirtualMachine, disk_type: str) -> tuple[DiskOverLimit, ...]:
    limit = tier_of(disk_type)
    per_disk = [(name, list(values)) for name, values in churn.disk_samples if values]
    if not per_disk:
        # only the VM total is measured: it is one disk's load when the VM has one disk
        values = [v for _, v in churn.samples]
        if not values or len(vm.disks) > 1:
            return ()
        per_disk = [("all disks", values)]
    out = []
    for name, values in per_disk:
        rate = kbps_to_mb_s(_percentile(values, 0.95))
        if rate > limit.limit_mb_s:
            better = tier_for(rate)
            out.append(
                DiskOverLimit(
                    disk=name,
                    write_mb_s=rate,
                    disk_type=disk_type,
                    limit_mb_s=limit.limit_mb_s,
                    suggested=better.name if better else "none: spread the disk's writes over more disks",
                )
            )
    return tuple(out)


def forecast_vm(
    vm: VirtualMachine,
    churn: ChurnSample,
    inputs: PlanInputs,
    *,
    bandwidth_mbps: float | None,
    item: ProtectedItem | None = None,
    rpo_threshold_minutes: int | None = None,
) -> VmForecast:
    values = [v for _, v in churn.samples]
    interval = _interval_seconds([t for t, _ in churn.samples])
    window = max(1, round(inputs.rpo_minutes * 60 / interval))
    avg_kbps = sum(values) / len(values) if values else 0.0
    peak_kbps = max(values) if values else 0.0
    required = kbps_to_mbps(worst_window_kbps(values, window)) * GROWTH
    avg_mbps = kbps_to_mbps(avg_kbps)
    disk_bytes = float(vm.total_disk_bytes)
    over = _disks_over(churn, vm, inputs.disk_type)
    risks = []
    if kbps_to_mb_s(peak_kbps) > VM_PEAK_LIMIT_MB_S:
        risks.append(
            f"peak churn {kbps_to_mb_s(peak_kbps):.1f} MB/s above ASR's {VM_PEAK_LIMIT_MB_S:g} MB/s per VM"
        )
    for disk in over:
        risks.append(
            f"{disk.disk} writes {_over(disk.write_mb_s, disk.limit_mb_s)} MB/s, "
            f"above {disk.disk_type}'s {disk.limit_mb_s:g} MB/s"
        )
    rpo = item.rpo_seconds if item is not None else None
    if rpo is not None and rpo_threshold_minutes and rpo >= RISK_FRACTION * rpo_threshold_minutes * 60:
        risks.append(f"RPO {rpo // 60} min of its {rpo_threshold_minutes} min threshold")
    if bandwidth_mbps is not None and required > bandwidth_mbps:
        risks.append(f"needs {required:.1f} Mbit/s, more than the {bandwidth_mbps:.1f} Mbit/s link")
    return VmForecast(
        moref=vm.moref,
        name=vm.name,
        samples=len(values),
        peak_write_mbps=kbps_to_mbps(peak_kbps),
        avg_write_mbps=avg_mbps,
        daily_churn_gb=avg_kbps * KB * 86400 / GB,
        required_mbps=required,
        disk_gb=disk_bytes / GB,
        initial_replication_hours=_upload_hours(disk_bytes, bandwidth_mbps, avg_mbps),
        disks_over_limit=over,
        at_risk=tuple(risks),
        item_id=item.id if item else "",
    )


def _total_series(churns: Iterable[ChurnSample]) -> tuple[list[float], float]:
    """The summed write rate of the set at each sample time, and the sampling interval."""
    by_time: dict[datetime, float] = {}
    for churn in churns:
        for when, value in churn.samples:
            by_time[when] = by_time.get(when, 0.0) + value
    times = sorted(by_time)
    return [by_time[t] for t in times], _interval_seconds(times)


def plan(
    vms: Sequence[VirtualMachine],
    churn: Mapping[str, ChurnSample],
    inputs: PlanInputs,
    *,
    measured_mbps: float | None = None,
    items: Mapping[str, ProtectedItem] | None = None,
    rpo_thresholds: Mapping[str, int] | None = None,
) -> CapacityPlan:
    """The forecast for ``vms`` (those without churn samples are sized but count no churn).

    ``items`` maps a VM's moref to its protected item and ``rpo_thresholds`` an item id to its policy's
    RPO threshold in minutes, so protected VMs near their threshold are marked at risk.
    """
    items = items or {}
    rpo_thresholds = rpo_thresholds or {}
    if inputs.bandwidth_mbps is not None:
        bandwidth, source = inputs.bandwidth_mbps, "given"
    elif measured_mbps:
        bandwidth, source = measured_mbps, "measured"
    else:
        bandwidth, source = None, "unknown"
    forecasts = []
    for vm in vms:
        sample = churn.get(vm.moref) or ChurnSample(moref=vm.moref)
        item = items.get(vm.moref)
        forecasts.append(
            forecast_vm(
                vm,
                sample,
                inputs,
                bandwidth_mbps=bandwidth,
                item=item,
                rpo_threshold_minutes=rpo_thresholds.get(item.id) if item else None,
            )
        )
    series, interval = _total_series(churn[vm.moref] for vm in vms if vm.moref in churn)
    window = max(1, round(inputs.rpo_minutes * 60 / interval))
    avg_kbps = sum(series) / len(series) if series else 0.0
    avg_mbps = kbps_to_mbps(avg_kbps)
    daily_gb = avg_kbps * KB * 86400 / GB
    disk_bytes = float(sum(vm.total_disk_bytes for vm in vms))
    by_churn = math.ceil(daily_gb / PROCESS_SERVER_DAILY_GB) if daily_gb else 0
    by_count = math.ceil(len(vms) / PROCESS_SERVER_VMS)
    notes = []
    if bandwidth is None:
        notes.append("no bandwidth given and no process-server throughput reported: pass --bandwidth-mbps")
    if series and len(series) < window:
        seen = len(series) * interval / 60
        notes.append(
            f"{len(series)} samples ({seen:.0f} min) measured, less than the {inputs.rpo_minutes} min RPO "
            "window: the figures hold for what was seen; plan again after a busy period"
        )
    if any(f.samples == 0 for f in forecasts):
        notes.append("VMs without churn samples (powered off or not yet measured) count no churn")
    return CapacityPlan(
        inputs=inputs,
        vms=tuple(sorted(forecasts, key=lambda f: (-f.required_mbps, f.name))),
        bandwidth_mbps=bandwidth,
        bandwidth_source=source,
        peak_write_mbps=kbps_to_mbps(max(series)) if series else 0.0,
        avg_write_mbps=avg_mbps,
        daily_churn_gb=daily_gb,
        required_mbps=kbps_to_mbps(worst_window_kbps(series, window)) * GROWTH,
        disk_gb=disk_bytes / GB,
        initial_replication_hours=_upload_hours(disk_bytes, bandwidth, avg_mbps),
        appliances_needed=max(by_churn, by_count),
        disks_over_limit=sum(len(f.disks_over_limit) for f in forecasts),
        notes=tuple(notes),
    )


def store_plan(store: Store, inputs: PlanInputs, names: Sequence[str] = ()) -> CapacityPlan:
    """The plan for the VMs in ``store`` (only those named in ``names``, when given; templates never),
    with protected VMs held to their policies' thresholds and the process servers' throughput as the
    measured bandwidth. The headless command and the pane both plan through this."""
    wanted = {n.lower() for n in names}
    vms = [
        vm
        for vm in store.all(VirtualMachine)
        if not vm.template and (not wanted or vm.name.lower() in wanted)
    ]
    churn = {c.moref: c for c in store.all(ChurnSample)}
    items: dict[str, ProtectedItem] = {}
    thresholds: dict[str, int] = {}
    for vm in vms:
        item = item_of(store, vm)
        if item is not None:
            items[vm.moref] = item
            thresholds[item.id] = rpo_threshold_minutes(store, item)
    throughput = [p.throughput_mbps for p in store.all(ProcessServer) if p.throughput_mbps]
    measured = sum(throughput) if throughput else None
    return plan(vms, churn, inputs, measured_mbps=measured, items=items, rpo_thresholds=thresholds)
