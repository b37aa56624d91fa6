"""Prepare Azure: which of the profile's targets to create, and with what, from the doctor's findings.

Pure: the doctor's ``TargetFact``s say what is missing; the profile's values name it; the vault's region
is where everything goes (ASR's cache storage account must be in the vault's region, and failed-over VMs
land in the vault's region). Defaults follow ASR's requirements for VMware to Azure: the cache account is
a Standard general-purpose v2 account (``StorageV2``, ``Standard_LRS``: premium and blob-only accounts are
not supported as cache); the network gets a free ``10.x.0.0/16`` with the profile's subnet as its first
``/24``. A subnet missing from a network that exists is not created here: adding one to a live network
is a change an admin makes deliberately.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the one-shot status imports this module; the doctor's checks are not its business
    from asr_console.model.doctor import TargetFact

CACHE_SKU = "Standard_LRS"
CACHE_KIND = "StorageV2"
DEFAULT_SUBNET = "default"
STORAGE_NAME = re.compile(r"^[a-z0-9]{3,24}$")
GROUP_NAME = re.compile(r"^[-\w._()]{1,90}$")
NETWORK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]$")


class Create(StrEnum):
    RESOURCE_GROUP = "resource group"
    VIRTUAL_NETWORK = "virtual network"
    STORAGE_ACCOUNT = "storage account"


@dataclass(frozen=True, slots=True)
class PrepareStep:
    """One resource to create, with every value it will be created with."""

    create: Create
    name: str
    location: str
    resource_group: str = ""  # the group it goes in (empty for a resource group)
    address_prefix: str = ""  # virtual network
    subnet: str = ""
    subnet_prefix: str = ""
    sku: str = ""  # storage account
    kind: str = ""

    def arm_id(self, subscription: str) -> str:
        group = f"/subscriptions/{subscription}/resourceGroups/{self.resource_group or self.name}"
        if self.create is Create.VIRTUAL_NETWORK:
            return f"{group}/providers/Microsoft.Network/virtualNetworks/{self.name}"
        if self.create is Create.STORAGE_ACCOUNT:
            return f"{group}/providers/Microsoft.Storage/storageAccounts/{self.name}"
        return group

    def describe(self) -> str:
        where = f" in {self.resource_group}" if self.resource_group else ""
        text = f"{self.create.value} {self.name}{where}, {self.location}"
        if self.create is Create.VIRTUAL_NETWORK:
            text += f", address space {self.address_prefix}, subnet {self.subnet} {self.subnet_prefix}"
        elif self.create is Create.STORAGE_ACCOUNT:
            text += f", {self.sku} {self.kind} (ASR cache)"
        return text

    def as_json(self) -> dict[str, str]:
        row = {"create": self.create.value, "name": self.name, "location": self.location}
        for key in ("resource_group", "address_prefix", "subnet", "subnet_prefix", "sku", "kind"):
            value = getattr(self, key)
            if value:
                row[key] = value
        return row


@dataclass(frozen=True, slots=True)
class PrepareWanted:
    """The profile's targets as given (names or ARM ids)."""

    resource_group: str = ""
    network: str = ""
    subnet: str = ""
    cache_storage: str = ""


@dataclass(frozen=True, slots=True)
class PreparePlan:
    steps: tuple[PrepareStep, ...] = ()
    problems: tuple[str, ...] = ()  # why something missing cannot be created as the profile names it
    confirm: str = ""  # what the user types to go ahead: the target resource group's name

    @property
    def empty(self) -> bool:
        return not self.steps and not self.problems


def _last(given: str) -> str:
    return given.rstrip("/").rsplit("/", 1)[-1]


def _group_in(given: str) -> str:
    """The resource group named in an ARM id; "" for a bare name."""
    parts = [p for p in given.split("/") if p]
    lowered = [p.lower() for p in parts]
    if "resourcegroups" in lowered and lowered.index("resourcegroups") + 1 < len(parts):
        return parts[lowered.index("resourcegroups") + 1]
    return ""


def free_prefix(used: Iterable[str]) -> str:
    """The first ``10.x.0.0/16`` that overlaps none of the subscription's address spaces."""
    taken = []
    for prefix in used:
        try:
            taken.append(ipaddress.ip_network(prefix, strict=False))
        except ValueError:
            continue  # an address space ARM returned that we cannot parse cannot be compared
    for second in range(256):
        candidate = ipaddress.ip_network(f"10.{second}.0.0/16")
        if not any(candidate.overlaps(t) for t in taken if t.version == 4):
            return str(candidate)
    return ""


def plan_prepare(
    wanted: PrepareWanted, facts: Sequence[TargetFact], region: str, used_prefixes: Iterable[str] = ()
) -> PreparePlan:
    """What to create for the targets the doctor found missing (``found=False``), in creation order."""
    missing = {f.what: f for f in facts if not f.found}
    problems = [f"the targets could not be read: {f.problem}" for f in facts if f.what == "targets"]
    if not missing and not problems:
        return PreparePlan()
    if not region:
        return PreparePlan(problems=(*problems, "the vault's region is not known: read the vault first"))
    target_group = _last(wanted.resource_group)
    steps: list[PrepareStep] = []
    if "target resource group" in missing:
        if GROUP_NAME.match(target_group) and not target_group.endswith("."):
            steps.append(PrepareStep(Create.RESOURCE_GROUP, target_group, region))
        else:
            problems.append(f"resource group name {target_group!r} is not valid in Azure")

    def group_for(given: str, what: str) -> str:
        group = _group_in(given) or target_group
        if not group:
            problems.append(f"the {what} {given} names no resource group: set target_resource_group")
        return group

    if "target network" in missing:
        name = _last(wanted.network)
        group = group_for(wanted.network, "target network")
        prefix = free_prefix(used_prefixes)
        if not NETWORK_NAME.match(name):
            problems.append(f"virtual network name {name!r} is not valid in Azure")
        elif not prefix:
            problems.append("no free 10.x.0.0/16 address space is left in the subscription")
        elif group:
            subnet_prefix = str(next(ipaddress.ip_network(prefix).subnets(new_prefix=24)))
            steps.append(
                PrepareStep(
                    Create.VIRTUAL_NETWORK,
                    name,
                    region,
                    group,
                    address_prefix=prefix,
                    subnet=wanted.subnet or DEFAULT_SUBNET,
                    subnet_prefix=subnet_prefix,
                )
            )
    if "target subnet" in missing:
        fact = missing["target subnet"]
        problems.append(
            f"the network exists but has no subnet {fact.given.rsplit('/', 1)[-1]}: add it to the network "
            "(az network vnet subnet create) or name an existing subnet; it is not created here"
        )
    if "cache storage account" in missing:
        name = _last(wanted.cache_storage)
        group = group_for(wanted.cache_storage, "cache storage account")
        if not STORAGE_NAME.match(name):
            problems.append(
                f"storage account name {name!r} is not valid: 3 to 24 lower-case letters and digits"
            )
        elif group:
            steps.append(
                PrepareStep(Create.STORAGE_ACCOUNT, name, region, group, sku=CACHE_SKU, kind=CACHE_KIND)
            )
    return PreparePlan(tuple(steps), tuple(problems), confirm=target_group)
