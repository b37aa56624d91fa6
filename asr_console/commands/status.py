"""``asr-console status [--json]``: replication health of a vault, monitoring-plugin style.

Exit codes: 0 all normal, 1 any warning, 2 any critical, 3 unknown (unreachable, auth failure, vault
not found), with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from asr_console.config import Settings
from asr_console.model.queries import HealthSummary, health_summary
from asr_console.model.records import Kind, Policy, ProtectedItem, Vault
from asr_console.model.store import Batch, Store

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="replication health of a vault")
    parser.add_argument("--json", action="store_true", help="print the machine-readable report")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from asr_console.model.errors import SourceError

    if not settings.has_azure_target():
        print("status: UNKNOWN - set --subscription, --resource-group and --vault", file=sys.stderr)
        return UNKNOWN
    try:
        with _without_cycle_collection():
            return asyncio.run(_status(args, settings))
    except SourceError as exc:
        print(f"status: UNKNOWN - {type(exc).__name__}: {exc}", file=sys.stderr)
        return UNKNOWN


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """The read builds about a million objects in a second: page JSON, freed by reference counting as
    each page is converted, and records, alive until the report is printed. None of them is in a
    cycle, yet the cyclic collector walked them some 250 times, a tenth of the command's time. It is
    off for the read and the report, and back on after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    # Read, report and print inside the one task, which returns only the exit code: at its end
    # asyncio.run formats the main task (repr of its result) when it restores the SIGINT handler, and
    # the repr of 5,000 records is as slow as reading them.
    vault, policies, report = await _read(settings)
    # (the rest of the report is made while the items were read)
    document = report.finish(vault, policies)
    if args.json:
        # one line: json's C encoder (indent= falls back to the pure-Python one, ten times slower at
        # 5,000 items); `| python -m json.tool` indents it for a person
        print(json.dumps(document))
    else:
        print("\n".join(plain_report(document)))
    return exit_code(document)


async def _read(settings: Settings) -> tuple[Vault, list[Policy], Report]:
    from asr_console.commands.deadline import Deadline
    from asr_console.sources.azure import AzureRecoveryService

    deadline = Deadline(settings.timeout)
    service = AzureRecoveryService.from_settings(settings, polling_interval=2.0)
    report = Report()

    async def items() -> None:
        # each page goes into the report while ARM prepares the next one
        async for page in service.protected_item_pages():
            report.add(page)

    try:
        # at once: the vault and the policies are a request each beside the items' pages
        vault, _, policies = await asyncio.gather(
            deadline.within(service.vault(), f"vault {settings.vault}"),
            deadline.within(items(), "the protected items"),
            deadline.within(service.policies(), "the replication policies"),
        )
        return vault, policies, report
    finally:
        await service.close()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def build_report(vault: Vault, items: list[ProtectedItem], policies: list[Policy]) -> dict[str, Any]:
    report = Report()
    report.add(items)
    return report.finish(vault, policies)


def _row(item: ProtectedItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.display_name,
        "provider": item.provider_name or item.provider.value,
        "health": item.replication_health.value,
        "protection_state": item.protection_state,
        "rpo_seconds": item.rpo_seconds,
        "last_recovery_point": _iso(item.last_recovery_point),
        "test_failover_state": item.test_failover_state,
        "errors": [
            {
                "code": e.code,
                "message": e.message,
                "possible_causes": e.possible_causes,
                "recommended_action": e.recommended_action,
            }
            for e in item.health_errors
        ],
    }


class Report:
    """The report, built as the items arrive: ``add`` each page of items, ``finish`` with the vault and
    the policies. Pages are stored (and their rows made) as they come, so only the summary and the
    sort are left when the last page is in."""

    def __init__(self) -> None:
        # The same model and queries as the health pane, so the two cannot count differently.
        self.store = Store()
        self._rows: dict[str, dict[str, Any]] = {}

    def add(self, items: list[ProtectedItem]) -> None:
        self.store.apply(Batch().upsert(*items))
        for item in items:
            self._rows[item.id] = _row(item)

    def finish(self, vault: Vault, policies: list[Policy]) -> dict[str, Any]:
        store = self.store
        store.apply(Batch().replace(Kind.VAULT, [vault]).replace(Kind.POLICY, policies))
        summary = health_summary(store)
        items = sorted(store.all(ProtectedItem), key=lambda i: i.display_name.lower())
        return _document(vault, summary, [self._rows[item.id] for item in items])


def _document(vault: Vault, summary: HealthSummary, rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {
        "normal": summary.normal,
        "warning": summary.warning,
        "critical": summary.critical,
        "other": summary.unknown,
    }
    return {
        "vault": {
            "id": vault.id,
            "name": vault.name,
            "subscription": vault.subscription,
            "resource_group": vault.resource_group,
            "location": vault.location,
        },
        "generated_at": _iso(datetime.now(UTC)),
        "summary": {"total": summary.total, **counts, "rpo_breaches": summary.rpo_breaches},
        "items": rows,
    }


STATE_WORDS = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}


def plugin_line(report: dict[str, Any]) -> str:
    """The monitoring-plugin first line: state, the counts that decided it, the vault, perfdata."""
    s = report["summary"]
    code = exit_code(report)
    total = s["total"]
    if code == CRITICAL:
        counts = f"{s['critical']} of {total} items critical, {s['warning']} warning"
    elif code == WARNING:
        counts = f"{s['warning']} of {total} items warning"
    else:
        counts = f"{s['normal']} of {total} items normal"
    if s["other"]:
        counts += f", {s['other']} other"
    counts += f", {s['rpo_breaches']} over RPO threshold"
    perf = " ".join(
        f"{k}={s[k]}" for k in ("total", "normal", "warning", "critical", "other", "rpo_breaches")
    )
    return f"{STATE_WORDS[code]} - {counts} ({report['vault']['name']}) | {perf}"


def plain_report(report: dict[str, Any]) -> list[str]:
    """The plugin line, then each item that is not normal with its errors' codes and messages."""
    lines = [plugin_line(report)]
    for item in report["items"]:
        if item["health"] in ("Warning", "Critical"):
            lines.append(f"{item['health']:<8} {item['name']}  {item['protection_state']}")
            for error in item["errors"]:
                message = " ".join(str(error["message"]).split()) or "(no message)"
                lines.append(f"  {error['code']}: {message}")
    return lines


def exit_code(report: dict[str, Any]) -> int:
    summary = report["summary"]
    if summary["critical"]:
        return CRITICAL
    if summary["warning"]:
        return WARNING
    return OK
