"""The capacity pane: each VM's churn, the bandwidth its RPO needs and its initial replication time.

The plan is recomputed from the store as churn arrives (at most every few seconds: the set's total
series is summed over every VM), so the forecast and the VMs at risk follow the measured load.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar

from asr_console.model.capacity import CapacityPlan, PlanInputs, VmForecast, store_plan
from asr_console.model.records import Kind, Record, VirtualMachine
from asr_console.sync import streams
from asr_console.widgets.live import Pending
from asr_console.widgets.rows import Grouping
from asr_console.widgets.table import Cell, Column
from asr_console.widgets.tableview import TableView

_PLAN_KINDS = (Kind.CHURN, Kind.PROTECTED_ITEM, Kind.POLICY, Kind.PROCESS_SERVER)


def _rate(value: float) -> str:
    return f"{value:,.1f}"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} h"


class CapacityView(TableView):
    AGES = False
    KIND = Kind.VM
    STREAM = streams.VCENTER_INVENTORY
    TITLE = "Capacity"
    # the set's total series sums every VM's samples: replan at most this often
    REPLAN_SECONDS: ClassVar[float] = 5.0

    def __init__(self, *, compact: bool = False, id: str | None = None, classes: str | None = None) -> None:
        self.inputs = PlanInputs()
        self.plan: CapacityPlan | None = None
        self._forecasts: dict[str, VmForecast] = {}
        self._planned_at = 0.0
        self._stale = True
        super().__init__(compact=compact, id=id, classes=classes)

    def extra_kinds(self) -> Sequence[Kind]:
        return _PLAN_KINDS

    def groupings(self) -> list[Grouping]:
        return [Grouping("risk", lambda vm: ["at risk" if self._risks(vm) else "within limits"])]

    def columns(self) -> list[Column]:
        return [
            Column("name", "VM", 16, sort=lambda vm: vm.name.lower()),
            Column("peak", "Peak Mb/s", 9, sort=lambda vm: self._figure(vm, "peak_write_mbps")),
            Column("avg", "Avg Mb/s", 8, priority=2, sort=lambda vm: self._figure(vm, "avg_write_mbps")),
            Column("daily", "GiB/day", 8, priority=1, sort=lambda vm: self._figure(vm, "daily_churn_gb")),
            Column("need", "Need Mb/s", 9, sort=lambda vm: self._figure(vm, "required_mbps")),
            Column("ir", "Initial repl.", 11, priority=1, sort=self._ir_sort),
            Column("risk", "At risk", 20, flex=True, sort=lambda vm: len(self._risks(vm))),
        ]

    def _figure(self, vm: VirtualMachine, name: str) -> float:
        forecast = self._forecasts.get(vm.moref)
        return float(getattr(forecast, name)) if forecast else -1.0

    def _ir_sort(self, vm: VirtualMachine) -> float:
        forecast = self._forecasts.get(vm.moref)
        if forecast is None or forecast.initial_replication_hours is None:
            return float("inf")
        return forecast.initial_replication_hours

    def _risks(self, vm: VirtualMachine) -> tuple[str, ...]:
        forecast = self._forecasts.get(vm.moref)
        return forecast.at_risk if forecast else ()

    def cells(self, vm: VirtualMachine) -> Sequence[Cell]:
        forecast = self._forecasts.get(vm.moref)
        if forecast is None:
            return (vm.name, "—", "—", "—", "—", "—", "")
        risks = forecast.at_risk
        return (
            vm.name,
            _rate(forecast.peak_write_mbps),
            _rate(forecast.avg_write_mbps),
            _rate(forecast.daily_churn_gb),
            _rate(forecast.required_mbps),
            _hours(forecast.initial_replication_hours),
            ("; ".join(risks), "warning") if risks else "",
        )

    def search_text(self, vm: VirtualMachine) -> str:
        return f"{vm.name} {' '.join(self._risks(vm))}"

    def records(self) -> list[Record]:
        return [vm for vm in self.store.all(VirtualMachine) if not vm.template]

    # ------------------------------------------------------------------ the plan

    def replan(self) -> None:
        self.plan = store_plan(self.store, self.inputs)
        self._forecasts = {f.moref: f for f in self.plan.vms}
        self._planned_at = time.monotonic()
        self._stale = False

    def reset(self) -> None:
        self.replan()
        super().reset()

    def changed(self, pending: Pending) -> None:
        if any(pending.upserted.get(k) or pending.removed.get(k) for k in (*_PLAN_KINDS, Kind.VM)):
            self._stale = True
        if self._stale and time.monotonic() - self._planned_at >= self.REPLAN_SECONDS:
            self.replan()
            self.table.refresh()
        super().changed(pending)

    def tick(self) -> None:
        if self._stale and time.monotonic() - self._planned_at >= self.REPLAN_SECONDS:
            self.replan()
            self.table.refresh()
            self.update_headline()

    def headline(self) -> str:
        text = super().headline()
        plan = self.plan
        if plan is None or self.awaiting_first_read:
            return text
        bandwidth = (
            f"{plan.bandwidth_mbps:,.0f} Mb/s {plan.bandwidth_source}"
            if plan.bandwidth_mbps
            else "bandwidth ?"
        )
        return (
            f"{text} · need {plan.required_mbps:,.0f} Mb/s for {plan.inputs.rpo_minutes} min RPO"
            f" · {bandwidth} · IR {_hours(plan.initial_replication_hours)}"
            f" · {plan.appliances_needed} process server(s) · {len(plan.at_risk)} at risk"
        )
