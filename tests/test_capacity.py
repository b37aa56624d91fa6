"""The capacity planner's arithmetic on fixed churn series (model/capacity.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asr_console.model.capacity import (
    GROWTH,
    PlanInputs,
    kbps_to_mbps,
    plan,
    tier_for,
    worst_window_kbps,
)
from asr_console.model.records import ChurnSample, Disk, ProtectedItem, VirtualMachine

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
GIB = 1024**3


def series(values: list[float], step: int = 20) -> tuple[tuple[datetime, float], ...]:
    return tuple((T0 + timedelta(seconds=step * i), v) for i, v in enumerate(values))


def vm(moref: str, *disk_gb: int) -> VirtualMachine:
    disks = tuple(
        Disk(key=2000 + i, label=f"Hard disk {i + 1}", capacity_bytes=gb * GIB)
        for i, gb in enumerate(disk_gb)
    )
    return VirtualMachine(moref=moref, name=f"name-{moref}", power_state="poweredOn", disks=disks)


def test_unit_conversions() -> None:
    # 1 MB/s (1,024 KB/s) is 8.388608 Mbit/s
    assert kbps_to_mbps(1024) == pytest.approx(8.388608)


def test_worst_window_is_the_busiest_run_of_samples() -> None:
    assert worst_window_kbps([1, 1, 10, 10, 1], 2) == 10
    assert worst_window_kbps([1, 1, 10, 10, 1], 3) == pytest.approx(7)
    assert worst_window_kbps([4, 2], 45) == 3  # fewer samples than the window: their mean
    assert worst_window_kbps([], 3) == 0


def test_one_vm_figures() -> None:
    # 2 MB/s steady for 9 samples, then a 1-minute (3-sample) burst at 8 MB/s
    values = [2048.0] * 9 + [8192.0] * 3
    machine = vm("vm-1", 100, 400)
    churn = ChurnSample(moref="vm-1", samples=series(values))
    result = plan([machine], {"vm-1": churn}, PlanInputs(rpo_minutes=1, bandwidth_mbps=100.0))
    (forecast,) = result.vms
    avg_kbps = sum(values) / len(values)  # 3,584 KB/s
    assert forecast.avg_write_mbps == pytest.approx(kbps_to_mbps(avg_kbps))
    assert forecast.peak_write_mbps == pytest.approx(kbps_to_mbps(8192))
    # daily churn: 3,584 KB/s × 86,400 s = 295.3 GiB
    assert forecast.daily_churn_gb == pytest.approx(3584 * 86400 / 1024**2)
    # RPO 1 min = 3 samples: the worst window is the burst, plus 30 % growth
    assert forecast.required_mbps == pytest.approx(kbps_to_mbps(8192) * GROWTH)
    # 500 GiB over (100 − 30.06) Mbit/s
    expected_hours = 500 * GIB * 8 / ((100 - kbps_to_mbps(avg_kbps)) * 1e6) / 3600
    assert forecast.initial_replication_hours == pytest.approx(expected_hours)
    assert result.initial_replication_hours == pytest.approx(expected_hours)
    assert result.appliances_needed == 1 and result.bandwidth_source == "given"


def test_totals_sum_the_set_at_each_sample_time() -> None:
    a = ChurnSample(moref="a", samples=series([1024.0, 0.0, 0.0]))
    b = ChurnSample(moref="b", samples=series([0.0, 0.0, 1024.0]))
    result = plan([vm("a", 10), vm("b", 10)], {"a": a, "b": b}, PlanInputs(rpo_minutes=1))
    # their peaks do not coincide: the set's busiest 3-sample window averages 2,048/3 KB/s
    assert result.required_mbps == pytest.approx(kbps_to_mbps(2048 / 3) * GROWTH)
    assert result.peak_write_mbps == pytest.approx(kbps_to_mbps(1024))
    assert result.initial_replication_hours is None and result.bandwidth_source == "unknown"
    assert result.notes  # tells the user to give a bandwidth


def test_measured_bandwidth_is_used_when_none_is_given() -> None:
    churn = ChurnSample(moref="a", samples=series([0.0]))
    result = plan([vm("a", 1)], {"a": churn}, PlanInputs(), measured_mbps=50.0)
    assert result.bandwidth_mbps == 50.0 and result.bandwidth_source == "measured"


def test_disks_over_their_types_limit_name_the_tier_that_would_hold_them() -> None:
    # disk scsi0:1 writes 6 MB/s: above Standard's 2 MB/s, within Premium P10/P15's 8 MB/s
    churn = ChurnSample(
        moref="db",
        samples=series([7168.0] * 20),
        disk_samples=(("scsi0:0", (1024.0,) * 20), ("scsi0:1", (6144.0,) * 20)),
    )
    result = plan([vm("db", 100, 200)], {"db": churn}, PlanInputs())
    (forecast,) = result.vms
    (over,) = forecast.disks_over_limit
    assert over.disk == "scsi0:1" and over.write_mb_s == pytest.approx(6.0)
    assert over.limit_mb_s == 2.0 and over.suggested == "Premium P10/P15"
    assert result.disks_over_limit == 1 and forecast.at_risk
    # with premium disks planned, the same disk fits
    assert (
        plan([vm("db", 100, 200)], {"db": churn}, PlanInputs(disk_type="Premium_LRS")).disks_over_limit == 0
    )


def test_process_servers_by_daily_churn_and_by_count() -> None:
    # 3 TB/day of churn needs two process servers (2 TB/day each)
    kbps = 3 * 1024**3 / 86400  # KB/s for 3 TiB a day
    vms = [vm(f"v{i}", 10) for i in range(3)]
    churn = {v.moref: ChurnSample(moref=v.moref, samples=series([kbps / 3] * 5)) for v in vms}
    assert plan(vms, churn, PlanInputs()).appliances_needed == 2
    many = [vm(f"m{i}", 1) for i in range(226)]
    assert plan(many, {}, PlanInputs()).appliances_needed == 2  # 225 VMs a process server


def test_protected_vm_near_its_rpo_threshold_is_at_risk() -> None:
    machine = vm("vm-9", 10)
    item = ProtectedItem(id="/items/vm-9", name="vm-9", rpo_seconds=50 * 60)
    churn = ChurnSample(moref="vm-9", samples=series([10.0] * 3))
    result = plan(
        [machine], {"vm-9": churn}, PlanInputs(), items={"vm-9": item}, rpo_thresholds={item.id: 60}
    )
    (forecast,) = result.vms
    assert any("RPO 50 min of its 60 min" in r for r in forecast.at_risk)
    calm = plan([machine], {"vm-9": churn}, PlanInputs(), items={"vm-9": item}, rpo_thresholds={item.id: 120})
    assert not calm.vms[0].at_risk


def test_bad_inputs_are_named() -> None:
    problems = PlanInputs(
        rpo_minutes=0, bandwidth_mbps=-1, window_hours=float("nan"), disk_type="SSD"
    ).problems()
    assert [p.split(":")[0] for p in problems] == ["rpo-minutes", "bandwidth-mbps", "window", "disk-type"]


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_some_tier_or_none_holds_any_rate(rate: float) -> None:
    tier = tier_for(rate)
    assert (tier is None) == (rate > 20.0)
    if tier is not None:
        assert rate <= tier.limit_mb_s


@given(
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=60),
    st.integers(1, 90),
)
def test_worst_window_is_at_least_every_window_and_at_most_the_peak(values: list[float], window: int) -> None:
    worst = worst_window_kbps(values, window)
    width = min(window, len(values))
    windows = [sum(values[i : i + width]) / width for i in range(len(values) - width + 1)]
    assert worst == pytest.approx(max(windows), rel=1e-6, abs=1e-3)
    assert worst <= max(values) + 1e-6


def test_a_disk_just_over_its_limit_reads_as_over() -> None:
    # 2.04 MB/s is over Standard's 2 MB/s; "writes 2.0 MB/s, above … 2 MB/s" contradicted itself
    churn = ChurnSample(
        moref="db", samples=series([2089.0] * 20), disk_samples=(("scsi0:0", (2089.0,) * 20),)
    )
    (forecast,) = plan([vm("db", 100)], {"db": churn}, PlanInputs()).vms
    assert forecast.at_risk == ("scsi0:0 writes 2.04 MB/s, above Standard_LRS's 2 MB/s",)
