"""``asr-console capacity``: the Deployment Planner's answers from the churn vCenter reports.

Reads the VMs and their disk write rates from vCenter (``--vcenter``/GOVC_URL; ``--demo`` plans the
embedded simulated site instead) and, when a vault is configured, its protected items, policies and
process servers (so protected VMs near their RPO threshold are marked, and the process servers'
throughput stands in for a bandwidth not given).

Exit codes: 0 the set fits (bandwidth, disks, process servers as planned); 1 something is at risk (a
disk over its type's limit, a VM above its RPO budget, initial replication longer than the window);
2 bad input; 3 a back end could not be read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from asr_console.commands.argtypes import bounded_float, bounded_int
from asr_console.commands.deadline import Deadline
from asr_console.config import Settings
from asr_console.model.capacity import (
    DEFAULT_RPO_MINUTES,
    DEFAULT_WINDOW_HOURS,
    TIERS,
    CapacityPlan,
    PlanInputs,
    VmForecast,
    store_plan,
)
from asr_console.model.errors import SourceError
from asr_console.model.records import VirtualMachine
from asr_console.model.store import Store

if TYPE_CHECKING:
    from asr_console.model.protocols import InventorySource, RecoveryService

PROG = "asr-console capacity"
EXIT_RISK = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
DISK_TYPES = tuple(dict.fromkeys(t for tier in TIERS for t in tier.disk_types))


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "capacity",
        epilog="Figures: *_mbps in megabits per second, churn in GiB a day; README 'Capacity planning' "
        "gives the method and the limits used.",
    )
    parser.add_argument("machines", nargs="*", metavar="VM", help="plan only these VMs (vCenter names)")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.add_argument(
        "--rpo-minutes",
        dest="rpo_minutes",
        type=bounded_int(1, 1440, "minutes"),
        default=DEFAULT_RPO_MINUTES,
        help=f"RPO target the bandwidth must keep (default {DEFAULT_RPO_MINUTES})",
    )
    parser.add_argument(
        "--bandwidth-mbps",
        dest="bandwidth_mbps",
        type=bounded_float(0, 1_000_000, low_open=True),
        help="upload bandwidth to Azure in Mbit/s (default: the process servers' measured throughput)",
    )
    parser.add_argument(
        "--window",
        type=bounded_float(0, 24 * 365, low_open=True),
        default=DEFAULT_WINDOW_HOURS,
        help=f"hours initial replication may take (default {DEFAULT_WINDOW_HOURS:g})",
    )
    parser.add_argument(
        "--disk-type",
        dest="disk_type",
        choices=DISK_TYPES,
        default="Standard_LRS",
        help="target disk type planned for the disks (default Standard_LRS)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="plan the embedded simulated site (no vCenter, no Azure)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    inputs = PlanInputs(
        rpo_minutes=args.rpo_minutes,
        bandwidth_mbps=args.bandwidth_mbps,
        window_hours=args.window,
        disk_type=args.disk_type,
    )
    if not args.demo and not settings.vcenter_url:
        print(f"{PROG}: no vCenter: give --vcenter URL (or GOVC_URL), or --demo", file=sys.stderr)
        return EXIT_USAGE
    try:
        store = asyncio.run(_read(args, settings))
    except SourceError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except KeyboardInterrupt:
        return 130
    known = {vm.name.lower() for vm in store.all(VirtualMachine)}
    unknown = [name for name in args.machines if name.lower() not in known]
    if unknown:
        print(f"{PROG}: no VM named {', '.join(unknown)} in vCenter", file=sys.stderr)
        return EXIT_USAGE
    result = store_plan(store, inputs, args.machines)
    if args.json:
        print(json.dumps(plan_document(result)))
    else:
        print("\n".join(plan_text(result)))
    return EXIT_RISK if at_risk(result) else 0


def at_risk(result: CapacityPlan) -> bool:
    return bool(result.at_risk) or result.disks_over_limit > 0 or result.meets_window is False


async def _read(args: argparse.Namespace, settings: Settings) -> Store:
    deadline = Deadline(settings.timeout)
    if args.demo:
        from asr_console.commands.site import open_demo_site

        async with open_demo_site(args, settings) as session:
            assert session.inventory is not None  # the demo always has its vCenter face
            return await _gather(session.inventory, session.service, deadline)
    from asr_console.commands.inventory import open_vcenter

    inventory = open_vcenter(settings)
    service: RecoveryService | None = None
    if settings.has_azure_target():
        from asr_console.sources.azure import AzureRecoveryService

        service = AzureRecoveryService.from_settings(settings, polling_interval=2.0)
    try:
        return await _gather(inventory, service, deadline)
    finally:
        if service is not None:
            await service.close()
        await inventory.close()


async def _gather(inventory: InventorySource, service: RecoveryService | None, deadline: Deadline) -> Store:
    from asr_console.commands.estate_read import read_vault, read_vcenter

    store = Store()
    await read_vcenter(inventory, deadline, store)
    if service is not None:
        await read_vault(service, deadline, store)
    return store


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _vm_document(f: VmForecast) -> dict[str, Any]:
    return {
        "name": f.name,
        "moref": f.moref,
        "samples": f.samples,
        "peak_write_mbps": _round(f.peak_write_mbps),
        "avg_write_mbps": _round(f.avg_write_mbps),
        "daily_churn_gb": _round(f.daily_churn_gb),
        "required_mbps": _round(f.required_mbps),
        "disk_gb": _round(f.disk_gb, 1),
        "initial_replication_hours": _round(f.initial_replication_hours, 1),
        "disks_over_limit": [
            {
                "disk": d.disk,
                "write_mb_s": _round(d.write_mb_s),
                "disk_type": d.disk_type,
                "limit_mb_s": d.limit_mb_s,
                "suggested": d.suggested,
            }
            for d in f.disks_over_limit
        ],
        "at_risk": list(f.at_risk),
        "protected_item": f.item_id or None,
    }


def plan_document(result: CapacityPlan) -> dict[str, Any]:
    inputs = result.inputs
    return {
        "inputs": {
            "rpo_minutes": inputs.rpo_minutes,
            "bandwidth_mbps": result.bandwidth_mbps,
            "bandwidth_source": result.bandwidth_source,
            "window_hours": inputs.window_hours,
            "disk_type": inputs.disk_type,
        },
        "vms": [_vm_document(f) for f in result.vms],
        "total": {
            "vms": len(result.vms),
            "peak_write_mbps": _round(result.peak_write_mbps),
            "avg_write_mbps": _round(result.avg_write_mbps),
            "daily_churn_gb": _round(result.daily_churn_gb),
            "required_mbps": _round(result.required_mbps),
            "disk_gb": _round(result.disk_gb, 1),
            "initial_replication_hours": _round(result.initial_replication_hours, 1),
            "meets_window": result.meets_window,
            "appliances_needed": result.appliances_needed,
            "disks_over_limit": result.disks_over_limit,
            "vms_at_risk": len(result.at_risk),
        },
        "notes": list(result.notes),
    }


def _hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} h"


def plan_text(result: CapacityPlan) -> list[str]:
    inputs = result.inputs
    bandwidth = (
        f"{result.bandwidth_mbps:,.1f} Mbit/s ({result.bandwidth_source})"
        if result.bandwidth_mbps is not None
        else "unknown"
    )
    lines = [
        f"{len(result.vms)} VMs · RPO target {inputs.rpo_minutes} min · bandwidth {bandwidth} · "
        f"disks planned as {inputs.disk_type}",
        f"churn: peak {result.peak_write_mbps:,.1f} Mbit/s, average {result.avg_write_mbps:,.1f} Mbit/s, "
        f"{result.daily_churn_gb:,.1f} GiB a day",
        f"bandwidth needed for the RPO: {result.required_mbps:,.1f} Mbit/s (with 30 % growth)",
        f"initial replication of {result.disk_gb:,.0f} GiB: {_hours(result.initial_replication_hours)} "
        f"(window {inputs.window_hours:g} h)",
        f"process servers needed: {result.appliances_needed} · disks over their type's limit: "
        f"{result.disks_over_limit} · VMs at risk: {len(result.at_risk)}",
    ]
    lines += [f"note: {n}" for n in result.notes]
    if result.at_risk:
        lines.append("")
        lines.append("at risk:")
        for f in result.at_risk:
            lines.append(f"  {f.name}: {'; '.join(f.at_risk)}")
    lines.append("")
    lines.append(f"{'VM':<28} {'peak Mb/s':>10} {'avg Mb/s':>9} {'GiB/day':>8} {'need Mb/s':>10} {'IR':>9}")
    for f in result.vms:
        lines.append(
            f"{f.name[:28]:<28} {f.peak_write_mbps:>10.1f} {f.avg_write_mbps:>9.1f} {f.daily_churn_gb:>8.1f} "
            f"{f.required_mbps:>10.1f} {_hours(f.initial_replication_hours):>9}"
        )
    return lines
