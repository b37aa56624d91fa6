"""What a replicated VM lands on in Azure: the records the target pickers list, by name with their ARM ids.

Read on demand (a dialog opens, a command resolves a name), never polled, so they do not live in the
store. ``resolve`` turns what a person typed (a name or an ARM id) into the one record it names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from asr_console.model.arm import same_arm_id


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceGroup:
    id: str
    name: str
    location: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Subnet:
    id: str
    name: str
    address_prefix: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualNetwork:
    id: str
    name: str
    resource_group: str = ""
    location: str = ""
    address_prefixes: tuple[str, ...] = ()
    subnets: tuple[Subnet, ...] = field(default=())


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageAccount:
    id: str
    name: str
    resource_group: str = ""
    location: str = ""
    kind: str = ""
    sku: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputeSize:
    """A VM size ASR offers for one protected item (``targetComputeSizes``)."""

    name: str
    cores: int = 0
    memory_gb: float = 0.0
    max_data_disks: int = 0
    max_nics: int = 0
    errors: tuple[str, ...] = ()  # why ASR would not use this size for the item (empty: usable)


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetChoices:
    """What the enable dialog's pickers offer, read together when it opens."""

    groups: tuple[ResourceGroup, ...] = ()
    networks: tuple[VirtualNetwork, ...] = ()
    storage: tuple[StorageAccount, ...] = ()


@dataclass(frozen=True, slots=True)
class Permission:
    """One entry of ``Microsoft.Authorization/permissions`` at a scope: what the caller may do there."""

    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()


class Named(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=Named)


class Unresolved(LookupError):
    """A name or id that names none (or more than one) of the records it was looked up in."""


def resolve(given: str, records: Iterable[N], what: str) -> N:
    """The record ``given`` names: its ARM id, or its name when that name is unique."""
    wanted = given.strip()
    listed = list(records)
    if wanted.startswith("/"):
        for record in listed:
            if same_arm_id(record.id, wanted):
                return record
        raise Unresolved(f"no {what} has the id {wanted}")
    matches = [r for r in listed if r.name.lower() == wanted.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(r.id for r in matches)
        raise Unresolved(f"{len(matches)} {what}s are named {wanted}: give the ARM id ({ids})")
    known = ", ".join(sorted(r.name for r in listed)) or "none"
    raise Unresolved(f"no {what} is named {wanted} (known: {known})")
