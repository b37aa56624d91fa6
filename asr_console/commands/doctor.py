"""``asr-console doctor``: is this site ready to protect VMs, and what to fix first.

Reads the vault (``--subscription``/``--resource-group``/``--vault`` or a profile) and the vCenter
(``--vcenter``/GOVC_URL) once, within the command's deadline, and prints every check with its verdict,
what it found and how to fix it. ``--demo`` checks the embedded simulated site.

Exit codes (as ``status``): 0 all pass, 1 any warning, 2 any failure, 3 a back end could not be read
and nothing failed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from asr_console.commands.deadline import Deadline
from asr_console.config import Settings
from asr_console.model.doctor import Check, Evidence, Reach, exit_code, run_checks, summary
from asr_console.model.errors import SourceError
from asr_console.model.privileges import PrivilegeReport
from asr_console.model.records import Vault
from asr_console.model.store import Store
from asr_console.session import AccessFacts, read_access

if TYPE_CHECKING:
    from asr_console.model.protocols import InventorySource, RecoveryService

PROG = "asr-console doctor"
_MARK = {"pass": "ok  ", "warn": "WARN", "fail": "FAIL", "unknown": "??  "}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        epilog="Exit codes: 0 all pass, 1 any warning, 2 any failure, 3 a back end could not be read.",
    )
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.add_argument(
        "--demo", action="store_true", help="check the embedded simulated site (no vCenter, no Azure)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        checks = asyncio.run(_checks(args, settings))
    except KeyboardInterrupt:
        return 130
    except SourceError as exc:
        # the real back ends become unknown checks; the demo site cannot even start without its vCenter
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(document(checks)))
    else:
        print("\n".join(text(checks)))
    return exit_code(checks)


@dataclasses.dataclass
class _Read:
    store: Store
    azure: Reach
    vcenter: Reach
    version: str = ""
    privileges: list[PrivilegeReport] | None = None
    access: AccessFacts | None = None


async def _read_sides(
    inventory: InventorySource | None,
    service: RecoveryService | None,
    deadline: Deadline,
    settings: Settings,
) -> _Read:
    """Both back ends at once; one that fails is reported as such and does not hide the other."""
    from asr_console.commands.estate_read import read_vault, read_vcenter

    store = Store()
    read = _Read(store, Reach(configured=service is not None), Reach(configured=inventory is not None))

    async def vcenter_side() -> None:
        if inventory is None:
            return
        try:
            info, read.privileges = await read_vcenter(inventory, deadline, store, privileges=True)
            read.version = info.version
        except SourceError as exc:
            read.vcenter = Reach(error=str(exc))

    async def vault_side() -> None:
        if service is None:
            return
        try:
            await read_vault(service, deadline, store, discovered=True)
            vault = store.all(Vault)[0]
            read.access = await deadline.within(
                read_access(service, settings, vault.id), "the caller's permissions and the target resources"
            )
        except SourceError as exc:
            read.azure = Reach(error=str(exc))

    await asyncio.gather(vcenter_side(), vault_side())
    return read


async def _checks(args: argparse.Namespace, settings: Settings) -> list[Check]:
    deadline = Deadline(settings.timeout)
    if args.demo:
        from asr_console.commands.site import open_demo_site

        async with open_demo_site(args, settings) as session:
            read = await _read_sides(session.inventory, session.service, deadline, session.settings)
            now = session.clock() if session.clock else datetime.now(UTC)
    else:
        inventory: InventorySource | None = None
        service: RecoveryService | None = None
        vcenter_error = ""
        if settings.vcenter_url:
            from asr_console.commands.inventory import open_vcenter

            try:
                inventory = open_vcenter(settings)
            except SourceError as exc:
                vcenter_error = str(exc)
        if settings.has_azure_target():
            from asr_console.sources.azure import AzureRecoveryService

            service = AzureRecoveryService.from_settings(settings, polling_interval=2.0)
        try:
            read = await _read_sides(inventory, service, deadline, settings)
        finally:
            closing = [s.close() for s in (service, inventory) if s is not None]
            await asyncio.gather(*closing, return_exceptions=True)
        if vcenter_error:
            read.vcenter = Reach(error=vcenter_error)
        now = datetime.now(UTC)
    access = read.access or AccessFacts()
    evidence = Evidence(
        now=now,
        azure=read.azure,
        vcenter=read.vcenter,
        vcenter_version=read.version,
        privileges=read.privileges,
        permissions=access.permissions,
        permissions_error=access.permissions_error,
        providers=access.providers,
        providers_error=access.providers_error,
        targets=access.targets,
    )
    return run_checks(read.store, evidence)


def document(checks: list[Check]) -> dict[str, Any]:
    return {
        "checks": [
            {"id": c.id, "area": c.area.value, "verdict": c.verdict.value, "found": c.found, "fix": c.fix}
            for c in checks
        ],
        "summary": summary(checks),
    }


def text(checks: list[Check]) -> list[str]:
    lines = []
    area = None
    for check in checks:
        if check.area != area:
            area = check.area
            lines.append(f"{area.value}:")
        lines.append(f"  {_MARK[check.verdict.value]} {check.id}: {check.found}")
        if check.fix:
            lines.append(f"       fix: {check.fix}")
    counts = summary(checks)
    lines.append(", ".join(f"{n} {verdict}" for verdict, n in counts.items()))
    return lines
