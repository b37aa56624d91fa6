"""``asr-console enable VM... --policy NAME --target-resource-group … --target-network … --cache-storage …``:
enable replication of discovered VMs from a shell, in the framework of the other scriptable writes
(``commands/writes.py``): resolve → plan → confirm (typed on a terminal, ``--yes`` otherwise) → send
through ``Actions`` (read-only guard, audit log) → ``--wait``.

VM is the machine's name as the vault's discovery shows it (a modernized appliance's Azure Migrate site
machine); every name given (policy, resource group, networks and subnets, cache storage account,
process server, availability set) is resolved to the ARM id it names before anything is sent, and the
plan shows those ids. New classic (InMageAzureV2) enables are refused, as ASR refuses them.

Exit codes as the other writes: 0 accepted (``--wait``: every job succeeded; ``--dry-run``: plan valid),
1 a write refused by ASR or a job that did not succeed, 2 usage, unknown or invalid input, read-only or
no confirmation, 3 the back end is unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

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
from asr_console.config import Settings
from asr_console.model.arm import same_arm_id
from asr_console.model.network_plan import NetworkDefault, NetworkMapping, network_default
from asr_console.model.operations import Operation
from asr_console.model.protocols import Infrastructure
from asr_console.model.records import Policy, ProtectableItem, ProtectedItem, Provider
from asr_console.model.specs import (
    CLASSIC_ENABLE_REFUSED,
    DISK_TYPES,
    LICENSE_TYPES,
    DiskChoice,
    EnableReplicationSpec,
    validate_enable,
)
from asr_console.model.targets import (
    ResourceGroup,
    StorageAccount,
    Unresolved,
    VirtualNetwork,
    resolve,
)

if TYPE_CHECKING:
    from asr_console.commands.deadline import Deadline
    from asr_console.model.protocols import RecoveryService

NAME = "enable"
HELP = "enable replication of discovered VMs (modernized appliance) with their Azure target settings"
POLL_SECONDS = 2.0
AVAILABILITY_SETS = "/providers/Microsoft.Compute/availabilitySets/"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        NAME,
        help=HELP,
        description=HELP + COMMON_HELP,
    )
    parser.add_argument(
        "vms", nargs="+", metavar="VM", help="the machines' names as the vault's discovery shows them"
    )
    parser.add_argument(
        "--policy", required=True, metavar="NAME", help="the replication policy (name or ARM id)"
    )
    parser.add_argument(
        "--target-resource-group",
        default="",
        metavar="NAME|ID",
        help="where the Azure VMs are created (default: the profile's target_resource_group)",
    )
    parser.add_argument(
        "--target-network",
        default="",
        metavar="NAME|ID",
        help="the failover network (default per VM: the profile's network_map entry for its port group, "
        "else the profile's target_network)",
    )
    parser.add_argument(
        "--cache-storage",
        default="",
        metavar="NAME|ID",
        help="cache storage account in the vault's region (default: the profile's cache_storage)",
    )
    parser.add_argument("--target-subnet", default="", metavar="NAME")
    parser.add_argument(
        "--test-network",
        default="",
        metavar="NAME|ID",
        help="the test failover network (default per VM: the network map's test network)",
    )
    parser.add_argument("--test-subnet", default="", metavar="NAME")
    parser.add_argument("--disk-type", default=DISK_TYPES[0], choices=DISK_TYPES, help="managed disk type")
    parser.add_argument(
        "--exclude-disk",
        action="append",
        default=[],
        metavar="LABEL",
        help="a disk not to replicate (repeatable)",
    )
    parser.add_argument("--target-vm-size", default="", metavar="SIZE", help="e.g. Standard_D4s_v3")
    parser.add_argument("--target-name", default="", metavar="NAME", help="the Azure VM's name (one VM only)")
    parser.add_argument("--license-type", default="", choices=LICENSE_TYPES)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--availability-zone", default="", choices=("1", "2", "3"), metavar="N")
    where.add_argument("--availability-set", default="", metavar="NAME|ID")
    parser.add_argument("--process-server", default="", metavar="NAME", help="default: the appliance's first")
    parser.add_argument(
        "--run-as-account", default="", metavar="NAME", help="push-install credential (its id)"
    )
    parser.add_argument("--multi-vm-group", default="", metavar="NAME")
    add_confirm_flags(parser)
    parser.set_defaults(func=run)


# ---------------------------------------------------------------------------------------- the plan


@dataclass(frozen=True, slots=True)
class Facts:
    """What the plan is resolved against, read once."""

    infrastructure: Infrastructure
    policies: list[Policy]
    machines: list[ProtectableItem]
    protected: list[ProtectedItem]
    groups: list[ResourceGroup]
    networks: list[VirtualNetwork]
    storage: list[StorageAccount]
    location: str = ""  # the vault's region


@dataclass(frozen=True, slots=True)
class EnableStep:
    vm: str
    spec: EnableReplicationSpec
    shown: dict[str, Any] = field(default_factory=dict)

    @property
    def who(self) -> str:
        return self.vm

    @property
    def label(self) -> str:
        return "Enable replication"

    def as_json(self) -> dict[str, Any]:
        return {"item": self.vm, "operation": Operation.ENABLE_REPLICATION.action, "inputs": self.shown}

    def row(self) -> str:
        inputs = "\n".join(f"      {k}: {v}" for k, v in self.shown.items() if v not in ("", None, []))
        return f"  {self.vm}: {Operation.ENABLE_REPLICATION.action}\n{inputs}"


N = TypeVar("N", ResourceGroup, VirtualNetwork, StorageAccount)


def _pick(given: str, records: list[N], what: str, flag: str, problems: list[str]) -> N | None:
    if not given.strip():
        key = flag.removeprefix("--").replace("-", "_")
        problems.append(f"{flag}: give it, or set {key} in the profile")
        return None
    try:
        return resolve(given, records, what)
    except Unresolved as exc:
        problems.append(f"{flag}: {exc}")
        return None


def _subnet(given: str, network: VirtualNetwork | None, flag: str, problems: list[str]) -> str:
    if not given or network is None:
        return given
    for subnet in network.subnets:
        if subnet.name.lower() == given.strip().lower():
            return subnet.name
    known = ", ".join(s.name for s in network.subnets) or "none"
    problems.append(f"{flag}: {network.name} has no subnet {given} (subnets: {known})")
    return given


def _policy(given: str, policies: list[Policy], problems: list[str]) -> Policy | None:
    wanted = given.strip()
    found = [p for p in policies if same_arm_id(p.id, wanted) or p.name.lower() == wanted.lower()]
    if len(found) != 1:
        known = ", ".join(sorted(p.name for p in policies)) or "none"
        problems.append(f"--policy: no policy is named {given} (policies: {known})")
        return None
    policy = found[0]
    if policy.provider is Provider.INMAGE_AZURE_V2:
        problems.append(f"--policy {policy.name}: {CLASSIC_ENABLE_REFUSED}")
        return None
    if policy.provider is not Provider.INMAGE_RCM:
        problems.append(f"--policy {policy.name}: not a VMware (InMageRcm) policy")
        return None
    return policy


@dataclass(frozen=True, slots=True)
class NetworkDefaults:
    """The profile's say in each VM's networks: its network map, then its target network."""

    plan: Mapping[str, NetworkMapping] = field(default_factory=dict)
    network: str = ""
    subnet: str = ""

    @classmethod
    def of(cls, settings: Settings) -> NetworkDefaults:
        return cls(settings.network_map, settings.target_network, settings.target_subnet)

    def for_machine(self, machine: ProtectableItem) -> NetworkDefault:
        return network_default(self.plan, machine.networks, self.network, self.subnet)


@dataclass(frozen=True, slots=True)
class Networks:
    network: VirtualNetwork | None
    subnet: str
    test_network: VirtualNetwork | None
    test_subnet: str
    origin: str


def _networks(
    args: argparse.Namespace,
    vm: str,
    default: NetworkDefault,
    known: list[VirtualNetwork],
    problems: list[str],
) -> Networks | None:
    """One VM's failover and test networks: the flags where given, else its default (None: a problem
    said why there is none)."""
    if args.target_network:
        network = _pick(args.target_network, known, "virtual network", "--target-network", problems)
        subnet = _subnet(args.target_subnet, network, "--target-subnet", problems)
        origin = "--target-network"
    elif default.network:
        where = f"{vm} ({default.origin})"
        network = _pick(default.network, known, "virtual network", where, problems)
        flag = "--target-subnet" if args.target_subnet else where
        subnet = _subnet(args.target_subnet or default.subnet, network, flag, problems)
        origin = default.origin
    else:
        reason = default.problem or "neither the network map nor the profile's target_network names a network"
        problems.append(f"{vm}: {reason}: give --target-network (and --target-subnet)")
        return None
    test_network: VirtualNetwork | None = None
    test_subnet = ""
    if args.test_network:
        test_network = _pick(args.test_network, known, "virtual network", "--test-network", problems)
        test_subnet = _subnet(args.test_subnet, test_network, "--test-subnet", problems)
    elif default.test_network:
        where = f"{vm} ({default.origin}, test)"
        test_network = _pick(default.test_network, known, "virtual network", where, problems)
        flag = "--test-subnet" if args.test_subnet else where
        test_subnet = _subnet(args.test_subnet or default.test_subnet, test_network, flag, problems)
    elif args.test_subnet:
        problems.append(f"--test-subnet needs --test-network ({vm} has no test network in the network map)")
    return Networks(network, subnet, test_network, test_subnet, origin)


def build_plan(
    args: argparse.Namespace, facts: Facts, defaults: NetworkDefaults | None = None
) -> list[EnableStep]:
    """One step per VM with every name resolved to its id, or ``PlanError`` naming every problem.

    Each VM's networks are the flags' when given, else its own default (``NetworkDefaults``)."""
    defaults = defaults or NetworkDefaults()
    problems: list[str] = []
    infra = facts.infrastructure
    policy = _policy(args.policy, facts.policies, problems)
    containers: set[str] = set()
    if policy is not None:
        containers = {m.container_id.lower() for m in infra.mappings if same_arm_id(m.policy_id, policy.id)}
        if not containers:
            problems.append(f"--policy {policy.name} is not associated with an appliance's container")
    group = _pick(
        args.target_resource_group, facts.groups, "resource group", "--target-resource-group", problems
    )
    cache = _pick(args.cache_storage, facts.storage, "storage account", "--cache-storage", problems)
    if cache is not None and facts.location and cache.location.lower() != facts.location.lower():
        problems.append(
            f"--cache-storage {cache.name} is in {cache.location}; the cache storage account must be in the "
            f"vault's region ({facts.location})"
        )
    availability_set = args.availability_set.strip()
    if availability_set and not availability_set.startswith("/") and group is not None:
        availability_set = f"{group.id}{AVAILABILITY_SETS}{availability_set}"
    if args.target_name and len(args.vms) > 1:
        problems.append("--target-name names one VM: give one VM, or leave it out (each keeps its own name)")

    protected = {i.display_name.lower() for i in facts.protected}
    steps: list[EnableStep] = []
    for vm in dict.fromkeys(args.vms):
        candidates = [
            m
            for m in facts.machines
            if (m.friendly_name or m.name).lower() == vm.strip().lower()
            and (not containers or m.container_id.lower() in containers)
        ]
        if not candidates:
            problems.append(f"unknown VM {vm}: the vault's discovery lists no machine of that name")
            continue
        if len(candidates) > 1:
            problems.append(f"VM name {vm} is ambiguous ({len(candidates)} discovered machines)")
            continue
        machine = candidates[0]
        if vm.strip().lower() in protected:
            problems.append(f"{vm} is already protected")
            continue
        container = next((c for c in infra.containers if same_arm_id(c.id, machine.container_id)), None)
        fabric_id = container.fabric_id if container is not None else ""
        servers = [s for s in infra.process_servers if same_arm_id(s.fabric_id, fabric_id)]
        server = next(
            (s for s in servers if not args.process_server or s.name.lower() == args.process_server.lower()),
            None,
        )
        if server is None:
            known = ", ".join(s.name for s in servers) or "none"
            problems.append(
                f"{vm}: the appliance has no process server {args.process_server} (process servers: {known})"
            )
            continue
        labels = {d.label.lower() for d in machine.disks}
        unknown = [label for label in args.exclude_disk if label.lower() not in labels]
        if unknown:
            shown_labels = ", ".join(d.label for d in machine.disks) or "none"
            problems.append(f"{vm}: no disk {', '.join(unknown)} to exclude (disks: {shown_labels})")
            continue
        excluded = {label.lower() for label in args.exclude_disk}
        disks = (
            tuple(
                DiskChoice(disk_id=d.uuid, disk_type=args.disk_type)
                for d in machine.disks
                if d.label.lower() not in excluded
            )
            if excluded
            else ()
        )
        if excluded and not disks:
            problems.append(f"{vm}: every disk is excluded; replicate at least the OS disk")
            continue
        nets = _networks(args, vm, defaults.for_machine(machine), facts.networks, problems)
        if nets is None:
            continue
        network, subnet, test_network, test_subnet = (
            nets.network,
            nets.subnet,
            nets.test_network,
            nets.test_subnet,
        )
        spec = EnableReplicationSpec(
            protectable_item_id=machine.id,
            container_id=machine.container_id,
            policy_id=policy.id if policy is not None else "",
            provider=Provider.INMAGE_RCM,
            target_resource_group_id=group.id if group is not None else "",
            target_network_id=network.id if network is not None else "",
            target_subnet=subnet,
            test_network_id=test_network.id if test_network is not None else "",
            test_subnet=test_subnet,
            disk_type=args.disk_type,
            disks=disks,
            process_server_id=server.id,
            log_storage_account_id=cache.id if cache is not None else "",
            run_as_account_id=args.run_as_account,
            target_vm_name=args.target_name,
            target_vm_size=args.target_vm_size,
            license_type=args.license_type,
            availability_zone=args.availability_zone,
            availability_set_id=availability_set,
            multi_vm_group=args.multi_vm_group,
            machine_id=machine.machine_id,
        )
        if group is not None and network is not None and cache is not None and policy is not None:
            problems += [f"{vm}: {e.message}" for e in validate_enable(spec)]
        shown: dict[str, Any] = {
            "machine_id": machine.machine_id,
            "policy_id": spec.policy_id,
            "process_server_id": server.id,
            "target_resource_group_id": spec.target_resource_group_id,
            "target_network_id": spec.target_network_id,
            "target_subnet": subnet,
            "test_network_id": spec.test_network_id,
            "test_subnet": test_subnet,
            "network_origin": nets.origin,
            "cache_storage_account_id": spec.log_storage_account_id,
            "disk_type": args.disk_type,
            "disks": [d.label for d in machine.disks if d.label.lower() not in excluded],
            "excluded_disks": [d.label for d in machine.disks if d.label.lower() in excluded],
            "target_vm_name": args.target_name,
            "target_vm_size": args.target_vm_size,
            "license_type": args.license_type,
            "availability_zone": args.availability_zone,
            "availability_set_id": availability_set,
            "run_as_account_id": args.run_as_account,
            "multi_vm_group": args.multi_vm_group,
        }
        steps.append(EnableStep(machine.friendly_name or machine.name, spec, shown))
    if problems:
        raise PlanError(list(dict.fromkeys(problems)))
    return steps


# ---------------------------------------------------------------------------------------- running


def run(args: argparse.Namespace, settings: Settings) -> int:
    return run_guarded(NAME, settings, lambda: _run(args, settings))


async def read_facts(service: RecoveryService, deadline: Deadline) -> Facts:
    async def read() -> Facts:
        # independent reads: sent together
        infra = asyncio.ensure_future(service.infrastructure())
        policies = asyncio.ensure_future(service.policies())
        machines = asyncio.ensure_future(service.protectable_items())
        protected = asyncio.ensure_future(service.protected_items())
        groups = asyncio.ensure_future(service.resource_groups())
        networks = asyncio.ensure_future(service.virtual_networks())
        storage = asyncio.ensure_future(service.storage_accounts())
        vault = asyncio.ensure_future(service.vault())
        pending = [infra, policies, machines, protected, groups, networks, storage, vault]
        try:
            return Facts(
                await infra,
                list(await policies),
                list(await machines),
                list(await protected),
                list(await groups),
                list(await networks),
                list(await storage),
                (await vault).location,
            )
        finally:
            for task in pending:
                task.cancel()

    return await deadline.within(read(), "the vault, its discovered machines and the target resources")


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from asr_console.model.store import Batch, Store

    # the profile's targets (what doctor checks and prepare-azure creates) stand in for absent flags
    args.target_resource_group = args.target_resource_group or settings.target_resource_group
    args.cache_storage = args.cache_storage or settings.cache_storage
    store = Store()
    async with write_session(settings, store) as (deadline, service, actions):
        facts = await read_facts(service, deadline)
        try:
            steps = build_plan(args, facts, NetworkDefaults.of(settings))
        except PlanError as exc:
            return refuse_plan(NAME, exc)
        # the Actions name each write's target from the store: with the machines in it the audit log
        # says the VM's name, not the site machine's opaque id
        store.apply(Batch().replace(ProtectableItem.KIND, facts.machines))

        def confirm() -> bool:
            sys.stderr.write(f"Enable replication of {_count(steps)}? [y/N] ")
            sys.stderr.flush()
            return sys.stdin.readline().strip().lower() in ("y", "yes")

        # jobs are followed until they end: enable has no --wait-timeout
        sending: Sending[EnableStep] = Sending(
            name=NAME,
            heading=f"Plan: enable replication of {len(steps)} VM(s) in vault {settings.vault}",
            refusing=f"enable replication of {_count(steps)}",
            send=lambda step: actions.enable_replication(step.spec),
            confirm=confirm,
            poll_seconds=POLL_SECONDS,
        )
        return await carry_out(
            args, steps, sending, read_only=actions.read_only, service=service, deadline=deadline
        )


def _count(steps: list[EnableStep]) -> str:
    return steps[0].vm if len(steps) == 1 else f"{len(steps)} VMs"
