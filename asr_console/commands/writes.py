"""The scriptable writes on protected items, one framework for all of them:
resolve → plan → confirm → send → wait.

``asr-console test-failover | cleanup | failover | change-recovery-point | commit | reprotect | failback
| resync | disable ITEM...`` resolve every item (friendly name or ARM id), recovery point, network and
re-protect target first and check the whole plan (the operation in each item's ``allowedOperations``,
the inputs ASR needs) before anything is sent; they print the plan, ask for confirmation (typed on a
terminal, ``--yes`` otherwise) and send each write through ``Actions`` (read-only guard, audit log,
one write per intent), as the console's failover dialog does.

Exit codes: 0 every write accepted (with ``--wait``: every job succeeded; ``--dry-run``: plan valid),
1 a write was refused by ASR or (with ``--wait``) a job did not succeed or was still running when
``--wait-timeout`` passed (nothing is cancelled; the jobs still running are named), 2 usage, an unknown
or invalid target, read-only, or no confirmation, 3 the back end is unreachable (or the deadline passed).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from asr_console.commands.argtypes import bounded_float
from asr_console.commands.sending import (
    COMMON_HELP,
    PlanError,
    Sending,
    add_confirm_flags,
    carry_out,
    refuse_plan,
    run_guarded,
    write_session,
)
from asr_console.config import NUMBER_RANGES, Settings
from asr_console.model.arm import arm_key
from asr_console.model.inputs import FieldError, InvalidInput, RecoveryPointChoice, RecoveryPointKind
from asr_console.model.operations import FailbackPointType, Operation, OperationInputs, ReprotectTarget
from asr_console.model.records import (
    TO_AZURE,
    TO_VMWARE,
    Fabric,
    Policy,
    ProcessServer,
    ProtectedItem,
    Provider,
    RecoveryPoint,
)
from asr_console.model.reprotect import ReprotectKind, ReprotectWanted, reprotect_kind, resolve_reprotect
from asr_console.model.specs import require_allowed, validate_test_network
from asr_console.model.targets import StorageAccount, Unresolved, VirtualNetwork, resolve

if TYPE_CHECKING:
    # the modules behind a write are imported when one runs, not whenever the parser is built
    pass

# How often a followed job is read again with --wait. ASR's jobs take minutes; a poll every few seconds
# shows each task as it starts without adding load to the vault.
POLL_SECONDS = 2.0

POINTS: dict[str, RecoveryPointKind] = {
    "latest": RecoveryPointKind.LATEST,
    "latest-processed": RecoveryPointKind.LATEST_PROCESSED,
    "latest-app-consistent": RecoveryPointKind.LATEST_APP_CONSISTENT,
    "latest-multi-vm": RecoveryPointKind.LATEST_MULTI_VM_PROCESSED,
    "latest-multi-vm-app-consistent": RecoveryPointKind.LATEST_MULTI_VM_APP_CONSISTENT,
}
DEFAULT_POINT = "latest-processed"  # the failover dialog's default too
FAILBACK_POINT_TYPES: dict[str, FailbackPointType] = {
    "application-consistent": FailbackPointType.APP,
    "crash-consistent": FailbackPointType.CRASH,
}
NOTES_MAX = 1024


@dataclass(frozen=True, slots=True)
class WriteCommand:
    name: str
    op: Operation
    help: str
    single: bool = False  # takes exactly one ITEM


WRITE_COMMANDS: dict[str, WriteCommand] = {
    c.name: c
    for c in (
        WriteCommand(
            "test-failover",
            Operation.TEST_FAILOVER,
            "test failover of protected items into an isolated network",
        ),
        WriteCommand(
            "cleanup", Operation.TEST_FAILOVER_CLEANUP, "clean up the test failover of protected items"
        ),
        WriteCommand(
            "failover", Operation.UNPLANNED_FAILOVER, "fail protected items over to Azure (unplanned)"
        ),
        WriteCommand(
            "change-recovery-point",
            Operation.CHANGE_RECOVERY_POINT,
            "rebuild a failed-over item from another recovery point",
            single=True,
        ),
        WriteCommand("commit", Operation.COMMIT, "commit the failover of protected items"),
        WriteCommand(
            "reprotect",
            Operation.REPROTECT,
            "re-protect items after a failover (Azure → VMware) or a failback (VMware → Azure)",
        ),
        WriteCommand(
            "failback",
            Operation.FAILBACK,
            "fail re-protected modernized items back to VMware (planned failover)",
        ),
        WriteCommand("resync", Operation.RESYNC, "resynchronize protected items"),
        WriteCommand(
            "update-agent",
            Operation.UPDATE_MOBILITY_SERVICE,
            "upgrade the Mobility service of protected items to the latest version",
        ),
        WriteCommand(
            "disable",
            Operation.DISABLE_REPLICATION,
            "disable replication of protected items (--purge: remove items stuck in a failed state)",
        ),
    )
}

# ---------------------------------------------------------------------------------------- parsing


def add_parser(subparsers: Any) -> None:
    for command in WRITE_COMMANDS.values():
        parser = subparsers.add_parser(
            command.name, help=command.help, description=command.help + COMMON_HELP
        )
        op = command.op
        if command.single:
            parser.add_argument(
                "items", nargs=1, metavar="ITEM", help="protected item: friendly name or ARM id"
            )
        else:
            parser.add_argument(
                "items", nargs="+", metavar="ITEM", help="protected items: friendly names or ARM ids"
            )
        if op.spec.needs_network:
            parser.add_argument(
                "--network",
                required=True,
                metavar="NAME|ID",
                help="the Azure virtual network for the test VM, one the subscription has: its ARM id or "
                "its name (a name several resource groups use: the one beside the item's failover network)",
            )
        if op.spec.needs_point:
            if op.spec.listed_point_only:
                parser.add_argument(
                    "--recovery-point",
                    required=True,
                    metavar="ID",
                    help="a listed recovery point's id or name",
                )
            else:
                parser.add_argument(
                    "--recovery-point",
                    default=DEFAULT_POINT,
                    metavar="POINT",
                    help=f"{', '.join(POINTS)} or a recovery point id (default {DEFAULT_POINT})",
                )
        if op is Operation.TEST_FAILOVER_CLEANUP:
            parser.add_argument("--notes", default="", help="notes recorded with the test failover")
        if op is Operation.UNPLANNED_FAILOVER:
            parser.add_argument(
                "--shutdown-source",
                action="store_true",
                help="shut the source VM down before failing over (modernized items only)",
            )
        if op is Operation.REPROTECT:
            add_reprotect_flags(parser)
        if op is Operation.FAILBACK:
            parser.add_argument(
                "--recovery-point-type",
                choices=list(FAILBACK_POINT_TYPES),
                default="application-consistent",
                help="the consistency of the point the on-premises VM comes up from (default "
                "application-consistent)",
            )
        if op is Operation.UPDATE_MOBILITY_SERVICE:
            parser.add_argument(
                "--run-as-account",
                default="",
                metavar="ID",
                help="the push-install account's id (classic items); default: the one the item uses",
            )
        if op is Operation.DISABLE_REPLICATION:
            parser.add_argument(
                "--purge",
                action="store_true",
                help="remove the items from the vault as they are (ASR's purge, DELETE): for items stuck "
                "in a failed state; nothing is cleaned up on the source or in Azure",
            )
        add_confirm_flags(parser)
        parser.add_argument(
            "--wait-timeout",
            type=bounded_float(*NUMBER_RANGES["wait_timeout"]),
            metavar="SECONDS",
            help="stop following after this many seconds, exit 1 naming the jobs still running (they are "
            "not cancelled); default 3600, profile key wait_timeout",
        )
        parser.set_defaults(func=run, write_command=command.name)


def add_reprotect_flags(parser: argparse.ArgumentParser) -> None:
    """Where a re-protect writes to; each defaults to what the fabric reports or the item used."""
    parser.add_argument(
        "--reprotect-agent",
        default="",
        metavar="NAME|ID",
        help="modernized, after a failover: the appliance's reprotect agent (default the first it "
        "reports); classic: the master target",
    )
    parser.add_argument(
        "--datastore", default="", metavar="NAME", help="a datastore the agent reaches (default its first)"
    )
    parser.add_argument(
        "--cache-storage",
        default="",
        metavar="NAME|ID",
        help="modernized, after a failover: the cache storage account, by name or ARM id (default the "
        "one the item replicated through)",
    )
    parser.add_argument(
        "--policy",
        default="",
        metavar="NAME|ID",
        help="after a failover: an InMageRcmFailback policy (default ASR's); after a failback: the "
        "InMageRcm policy towards Azure (default the one the item used); classic: the failback policy",
    )
    parser.add_argument(
        "--process-server",
        default="",
        metavar="NAME|ID",
        help="after a failback (and classic): the process server (default the item's or the first)",
    )
    parser.add_argument(
        "--retention-drive", default="", metavar="DRIVE", help="classic: the master target's retention volume"
    )


# The fabrics, process servers, policies and (None when no account is named by its bare name: not
# read) storage accounts a re-protect plan is resolved against
ReprotectContext = tuple[list[Fabric], list[ProcessServer], list[Policy], list[StorageAccount] | None]


def names_storage(cache_storage: str) -> bool:
    """Whether ``--cache-storage`` names an account by its bare name (to be looked up), not its id."""
    return bool(cache_storage.strip()) and not cache_storage.strip().startswith("/")


# ---------------------------------------------------------------------------------------- the plan


@dataclass(frozen=True, slots=True)
class Step:
    """One write of the plan: an operation on one item with its inputs resolved to ids."""

    item: ProtectedItem
    op: Operation
    given: OperationInputs
    shown: dict[str, Any] = field(default_factory=dict)  # the inputs as the plan shows them

    @property
    def who(self) -> str:
        return self.item.display_name

    @property
    def label(self) -> str:
        return self.op.label

    @property
    def effect(self) -> str:
        """What will happen to the item (its row already names it)."""
        return self.op.spec.preview.removeprefix("{name}: ") or self.op.label

    def as_json(self) -> dict[str, Any]:
        return {
            "item": self.item.display_name,
            "item_id": self.item.id,
            "operation": self.op.action,
            "inputs": self.shown,
        }

    def row(self) -> str:
        inputs = ", ".join(f"{k} {v}" for k, v in self.shown.items() if v not in ("", False))
        text = f"  {self.item.display_name}: {self.op.action}"
        if inputs:
            text += f" ({inputs})"
        return f"{text}\n      {self.effect}"


def find_items(wanted: list[str], items: list[ProtectedItem]) -> tuple[list[ProtectedItem], list[str]]:
    """The items named (friendly name or ARM id, case-insensitive), in the order given, each once."""
    by_id = {arm_key(i.id): i for i in items}
    by_name: dict[str, list[ProtectedItem]] = {}
    for item in items:
        by_name.setdefault(item.display_name.lower(), []).append(item)
    found: list[ProtectedItem] = []
    problems: list[str] = []
    for name in wanted:
        if name.startswith("/"):
            match = by_id.get(arm_key(name))
            candidates = [match] if match is not None else []
        else:
            candidates = by_name.get(name.strip().lower(), [])
        if not candidates:
            problems.append(f"unknown item {name}")
        elif len(candidates) > 1:
            problems.append(f"item name {name} is ambiguous ({len(candidates)} items); give its ARM id")
        elif all(arm_key(f.id) != arm_key(candidates[0].id) for f in found):
            found.append(candidates[0])
    return found, problems


def network_for(given: str, item: ProtectedItem, networks: list[VirtualNetwork]) -> tuple[str, str]:
    """(the ARM id of the subscription's virtual network ``given`` names, a problem): its ARM id or its
    name; a name several resource groups use is taken from the resource group of the item's failover
    network (test networks usually sit beside it). A network the subscription does not have is a
    problem naming the ones it has, so nothing is sent that ASR would only refuse."""
    wanted = given.strip()
    if not wanted.startswith("/"):
        named = [n for n in networks if n.name.lower() == wanted.lower()]
        group = _group_of(item.recovery_network_id)
        beside = [n for n in named if group and _group_of(n.id) == group]
        if len(named) > 1 and len(beside) == 1:
            return beside[0].id, ""
    try:
        return resolve(wanted, networks, "virtual network").id, ""
    except Unresolved as exc:
        problem = str(exc)
        if "(known:" not in problem and "give the ARM id" not in problem:
            problem += f" (known: {', '.join(sorted(n.name for n in networks)) or 'none'})"
        return "", f"--network: {problem}"


def _group_of(arm_id: str) -> str:
    """``/subscriptions/…/resourcegroups/rg`` of an ARM id, lower-cased ("" for none)."""
    cut = arm_id.lower().find("/providers/")
    return arm_id[:cut].lower() if cut > 0 else ""


def point_for(
    wanted: str, op: Operation, item: ProtectedItem, points: list[RecoveryPoint]
) -> tuple[RecoveryPointChoice, dict[str, str], str]:
    """(the choice to send, how the plan shows it, a problem). A named kind is resolved to the listed
    point it means now and sent as that point, so what is sent is what the plan showed."""
    from asr_console.sources.azure_inputs import resolve_recovery_point

    kind = POINTS.get(wanted.strip().lower())
    if kind is RecoveryPointKind.LATEST:
        # ASR picks the point with the lowest RPO when the job runs; there is no id to show beforehand
        return RecoveryPointChoice(kind), {"recovery_point": "latest (chosen by ASR when the job runs)"}, ""
    if kind is None:
        key = wanted.strip().lower()
        point = next((p for p in points if p.id.lower() == key or p.name.lower() == key), None)
        if point is None:
            return RecoveryPointChoice(), {}, f"unknown recovery point {wanted} for {item.display_name}"
        return RecoveryPointChoice(RecoveryPointKind.CUSTOM, point.id), _shown_point(wanted, point), ""
    try:
        point_id = resolve_recovery_point(RecoveryPointChoice(kind), points)
    except InvalidInput as exc:
        return RecoveryPointChoice(), {}, f"{item.display_name}: {exc}"
    point = next(p for p in points if p.id == point_id)
    return RecoveryPointChoice(RecoveryPointKind.CUSTOM, point.id), _shown_point(wanted, point), ""


def _shown_point(wanted: str, point: RecoveryPoint) -> dict[str, str]:
    when = point.time.isoformat().replace("+00:00", "Z") if point.time else "?"
    return {"recovery_point": wanted, "recovery_point_id": point.id, "recovery_point_time": when}


def _errors(errors: list[FieldError], item: ProtectedItem) -> list[str]:
    return [f"{item.display_name}: {e.message}" if e.field != "operation" else e.message for e in errors]


async def build_plan(
    args: argparse.Namespace,
    items: list[ProtectedItem],
    load_points: Callable[[str], Awaitable[list[RecoveryPoint]]],
    load_context: Callable[[], Awaitable[ReprotectContext]] | None = None,
    load_networks: Callable[[], Awaitable[list[VirtualNetwork]]] | None = None,
) -> list[Step]:
    """Every step, or ``PlanError`` naming every unknown target and invalid input."""
    command = WRITE_COMMANDS[args.write_command]
    op = Operation.PURGE if getattr(args, "purge", False) else command.op
    targets, problems = find_items(args.items, items)
    context: ReprotectContext | None = None
    networks: list[VirtualNetwork] | None = None
    if op.spec.listed_point_only and args.recovery_point.strip().lower() in POINTS:
        # a usage error whatever the item: say it alone rather than after each item's state
        raise PlanError([f"{op.action} needs a recovery point id, not {args.recovery_point}"])
    steps: list[Step] = []
    for item in targets:
        # purge needs no permission: ASR lists none, it is for items where nothing else is allowed
        allowed = (
            require_allowed(op.asr_name, item.allowed_operations, item.display_name) if op.asr_name else []
        )
        if allowed:
            problems += _errors(allowed, item)
            continue
        shown: dict[str, Any] = {}
        given: dict[str, Any] = {}
        if op.spec.needs_network:
            if networks is None:
                if load_networks is None:
                    raise PlanError([f"{op.action} needs the subscription's virtual networks"])
                networks = await load_networks()
            network, problem = network_for(args.network, item, networks)
            problems += (
                [problem]
                if problem
                else _errors(validate_test_network(network, item.recovery_network_id), item)
            )
            given["network_id"] = shown["network_id"] = network
        if op.spec.needs_point:
            points = await load_points(item.id)
            choice, point_shown, problem = point_for(args.recovery_point, op, item, points)
            problems += [problem] if problem else []
            given["recovery_point"] = choice
            shown.update(point_shown)
        if op is Operation.TEST_FAILOVER_CLEANUP:
            if len(args.notes) > NOTES_MAX:
                problems.append(f"--notes: keep the notes under {NOTES_MAX:,} characters")
            given["notes"] = shown["notes"] = args.notes
        if op is Operation.UNPLANNED_FAILOVER:
            if args.shutdown_source and item.provider is not Provider.INMAGE_RCM:
                problems.append(
                    f"{item.display_name}: --shutdown-source: only modernized (InMageRcm) items can shut "
                    "the source down"
                )
            given["shutdown_source"] = shown["shutdown_source"] = bool(args.shutdown_source)
        if op is Operation.FAILBACK:
            if item.provider_name.lower() != "inmagercmfailback":
                problems.append(f"{item.display_name}: not replicating to VMware; re-protect it first")
            given["recovery_point_type"] = FAILBACK_POINT_TYPES[args.recovery_point_type]
            shown["recovery_point_type"] = given["recovery_point_type"].value
        if op is Operation.UPDATE_MOBILITY_SERVICE:
            if not item.agent_upgradeable and (
                not item.agent_latest_version or item.agent_version == item.agent_latest_version
            ):
                problems.append(f"{item.display_name}: already runs the latest Mobility service")
            shown["agent"] = f"{item.agent_version or '?'} → {item.agent_latest_version or 'latest'}"
            given["run_as_account_id"] = args.run_as_account
            if args.run_as_account:
                shown["run_as_account_id"] = args.run_as_account
        if op is Operation.REPROTECT:
            if context is None:
                if load_context is None:
                    raise PlanError(["re-protect needs the vault's fabrics and policies"])
                context = await load_context()
            fabrics, servers, policies, storage = context
            fabric = next((f for f in fabrics if arm_key(f.id) == arm_key(item.fabric_id)), None)
            wanted = ReprotectWanted(
                agent=args.reprotect_agent,
                datastore=args.datastore,
                cache_storage=args.cache_storage,
                policy=args.policy,
                process_server=args.process_server,
                retention_drive=args.retention_drive,
            )
            resolved = resolve_reprotect(item, fabric, servers, policies, wanted, storage)
            problems += [f"{item.display_name}: {p}" for p in resolved.problems]
            given["reprotect"] = resolved.target
            shown["direction"] = TO_AZURE if item.direction == TO_VMWARE else TO_VMWARE
            shown.update(resolved.shown)
            shown.update(_reprotect_ids(item, resolved.target))
        steps.append(Step(item, op, OperationInputs(**given), shown))
    if problems:
        # one unknown network (or policy) is said once, not once per item
        raise PlanError(list(dict.fromkeys(problems)))
    return steps


def _reprotect_ids(item: ProtectedItem, target: ReprotectTarget) -> dict[str, str]:
    """The ids a re-protect sends, beside the names resolve_reprotect shows: a runbook checks (and the
    audit trail matches) what is sent, not what was typed."""
    agent = "master_target_id" if reprotect_kind(item) == ReprotectKind.CLASSIC else "reprotect_agent_id"
    ids = {
        agent: target.agent_id,
        "cache_storage_account_id": target.log_storage_account_id,
        "process_server_id": target.process_server_id,
        "policy_id": target.policy_id,
    }
    shown = {k: v for k, v in ids.items() if v}
    if reprotect_kind(item) == ReprotectKind.TO_VMWARE and not target.policy_id:
        # none is sent: ASR applies its default failback policy
        shown["policy"] = "ASR's default failback policy"
    return shown


# ---------------------------------------------------------------------------------------- confirming


def confirm(steps: list[Step], vault: str, stdin: TextIO, out: TextIO) -> bool:
    """Typed confirmation on a terminal: the item's name (one item) or the vault's (several) for an
    irreversible operation, ``y`` for the rest."""
    op = steps[0].op
    count = f"{len(steps)} items" if len(steps) > 1 else steps[0].item.display_name
    if op.spec.irreversible:
        expected = steps[0].item.display_name if len(steps) == 1 else vault
        what = "the item's name" if len(steps) == 1 else "the vault's name"
        out.write(f"{op.label} of {count} cannot be undone. Type {what} ({expected}) to go ahead: ")
    else:
        expected = "y"
        out.write(f"{op.label} of {count}? [y/N] ")
    out.flush()
    answer = stdin.readline().strip()
    return answer == expected if op.spec.irreversible else answer.lower() in ("y", "yes")


# ---------------------------------------------------------------------------------------- running


def run(args: argparse.Namespace, settings: Settings) -> int:
    command = WRITE_COMMANDS[args.write_command]
    return run_guarded(command.name, settings, lambda: _run(args, settings, command))


async def _run(args: argparse.Namespace, settings: Settings, command: WriteCommand) -> int:
    from asr_console.model.store import Batch, Store

    store = Store()
    async with write_session(settings, store) as (deadline, service, actions):
        listed = await deadline.within(service.protected_items(), "the protected items")
        store.apply(Batch().replace(ProtectedItem.KIND, list(listed)))

        async def points(item_id: str) -> list[RecoveryPoint]:
            return await deadline.within(actions.load_recovery_points(item_id), "the recovery points")

        async def context() -> ReprotectContext:
            infra = await deadline.within(service.infrastructure(), "the fabrics")
            policies = await deadline.within(service.policies(), "the policies")
            storage = None
            if names_storage(getattr(args, "cache_storage", "")):
                storage = list(await deadline.within(service.storage_accounts(), "the storage accounts"))
            return list(infra.fabrics), list(infra.process_servers), list(policies), storage

        async def networks() -> list[VirtualNetwork]:
            return list(await deadline.within(service.virtual_networks(), "the virtual networks"))

        try:
            steps = await build_plan(args, list(listed), points, context, networks)
        except PlanError as exc:
            return refuse_plan(command.name, exc)
        sending: Sending[Step] = Sending(
            name=command.name,
            heading=f"Plan: {steps[0].op.label.lower()} of {len(steps)} item(s) in vault {settings.vault}",
            refusing=f"{command.name} {_count(steps)}",
            send=lambda step: actions.operate(step.op, step.item.id, step.given),
            confirm=lambda: confirm(steps, settings.vault, sys.stdin, sys.stderr),
            poll_seconds=POLL_SECONDS,
            wait_timeout=settings.wait_timeout,
            store=store,
        )
        return await carry_out(
            args, steps, sending, read_only=actions.read_only, service=service, deadline=deadline
        )


def _count(steps: list[Step]) -> str:
    return steps[0].item.display_name if len(steps) == 1 else f"{len(steps)} items"
