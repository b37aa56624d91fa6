"""``asr-console prepare-azure``: create the target resource group, network and cache storage account the
profile names and the doctor found missing.

Reads the vault (its region is where everything goes) and the profile's targets within the command's
deadline, prints the plan, asks for the target resource group's name to be typed (a terminal; ``--yes``
otherwise), then sends each create through ``Actions`` (read-only guard, audit before and after, one
create per intent), in order, stopping at the first one Azure refuses. ``--dry-run`` prints the plan.

Exit codes as the other writes: 0 everything created (or nothing to create; ``--dry-run``: plan valid),
1 Azure refused a create, 2 usage (the plan cannot be carried out as the profile names it, read-only, not
confirmed, no terminal without ``--yes``), 3 the back end is unreachable or the deadline passed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import Any

from asr_console.commands.sending import FAILED, OK, USAGE, add_confirm_flags, run_guarded, write_session
from asr_console.config import Settings
from asr_console.model.prepare import PreparePlan, PrepareStep

NAME = "prepare-azure"
HELP = "create the target resource group, network and cache storage account the doctor found missing"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=HELP + " (plan, typed confirmation, --dry-run, --yes, --json; exit 0 ok, 1 refused by "
        "Azure, 2 not done, 3 unreachable)",
    )
    add_confirm_flags(parser, nothing="create nothing", shape='{"plan": [...], "created": [...]}', wait=False)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    return run_guarded(NAME, settings, lambda: _run(args, settings))


def _say(message: str) -> None:
    print(f"asr-console: {NAME}: {message}", file=sys.stderr)


def plan_lines(plan: PreparePlan, vault: str) -> list[str]:
    if plan.empty:
        return [
            "Nothing to create: the profile's target resource group, network and cache storage account exist."
        ]
    lines = [f"Plan: create {len(plan.steps)} resource(s) for vault {vault}"] if plan.steps else []
    lines += [f"  {step.describe()}" for step in plan.steps]
    lines += [f"  cannot: {problem}" for problem in plan.problems]
    return lines


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from asr_console.actions import ReadOnlyError, WriteRefused
    from asr_console.commands.deadline import Deadline
    from asr_console.model.errors import AuthError, NotFound, OperationRejected
    from asr_console.session import prepare_wanted, target_facts

    wanted = prepare_wanted(settings)
    if not any((wanted.resource_group, wanted.network, wanted.cache_storage)):
        _say("the profile names no targets: set target_resource_group, target_network and cache_storage")
        return USAGE
    async with write_session(settings) as (deadline, service, actions):
        facts = await deadline.within(target_facts(service, settings), "the profile's target resources")
        plan = await deadline.within(actions.load_prepare_plan(wanted, facts), "the vault and its region")
        out = sys.stderr if args.json else sys.stdout
        print("\n".join(plan_lines(plan, settings.vault)), file=out)
        if plan.problems:
            _say("nothing created: correct the profile (or create those by hand) and run it again")
            _report(args, plan, [])
            return USAGE
        if args.dry_run or not plan.steps:
            _report(args, plan, [])
            return OK
        if actions.read_only:
            for step in plan.steps:
                with contextlib.suppress(ReadOnlyError):
                    await actions.create_target(step, settings.subscription)
            _say("refused: this console is read-only (profile read_only or --read-only)")
            return USAGE
        if not args.yes:
            if not sys.stdin.isatty():
                _say("refusing to create without --yes (stdin is not a terminal)")
                return USAGE
            sys.stderr.write(
                f"Create {len(plan.steps)} resource(s) in subscription {settings.subscription}. "
                f"Type the resource group's name ({plan.confirm}) to go ahead: "
            )
            sys.stderr.flush()
            if sys.stdin.readline().strip() != plan.confirm:
                _say("not confirmed; nothing created")
                return USAGE
        created: list[dict[str, str]] = []
        for step in plan.steps:
            try:
                # each create (its long-running operation included) has the command's deadline to itself
                arm_id = await Deadline(settings.timeout).within(
                    actions.create_target(step, settings.subscription), f"Azure to create {step.name}"
                )
            except WriteRefused as exc:
                _say(str(exc))
                _report(args, plan, created)
                return USAGE
            except (OperationRejected, AuthError, NotFound) as exc:
                _say(f"{step.create.value} {step.name}: refused by Azure: {exc}")
                _say("the rest of the plan was not sent")
                _report(args, plan, created)
                return FAILED
            created.append(_created(step, arm_id))
            if not args.json:
                print(f"created {step.create.value} {step.name}: {arm_id}")
        _report(args, plan, created)
        return OK


def _created(step: PrepareStep, arm_id: str) -> dict[str, str]:
    return {"create": step.create.value, "name": step.name, "id": arm_id}


def _report(args: argparse.Namespace, plan: PreparePlan, created: list[dict[str, str]]) -> None:
    if args.json:
        document = {
            "plan": [s.as_json() for s in plan.steps],
            "problems": list(plan.problems),
            "created": created,
        }
        print(json.dumps(document, indent=2))
