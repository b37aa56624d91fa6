"""The simulated subscription's target-side resources as the engine holds them: resource groups, virtual
networks and storage accounts, starting from ``arm_resources``' fixed estate and grown by the PUTs
``arm_target_writes`` accepts.

One instance lives in the engine's ``SiteState`` (never a second store), so an enable that names a
network created a moment ago finds it, as it would in Azure. Long-running creates are kept as pending
operations until a client has polled them once (Azure answers "InProgress" at least once for these).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SimNetwork:
    name: str
    resource_group: str
    prefix: str
    subnets: tuple[tuple[str, str], ...]  # (name, address prefix)
    location: str = ""  # "" = the vault's region
    more_prefixes: tuple[str, ...] = ()  # address prefixes beyond the first

    @property
    def prefixes(self) -> tuple[str, ...]:
        return (self.prefix, *self.more_prefixes)


@dataclass(frozen=True, slots=True)
class SimStorage:
    name: str
    resource_group: str
    location: str
    kind: str = "StorageV2"
    sku: str = "Standard_LRS"


@dataclass(slots=True)
class PendingCreate:
    """A create ARM accepted and is still provisioning: ``polls`` status reads before it succeeds."""

    resource_id: str
    polls: int = 1


@dataclass(slots=True)
class TargetEstate:
    # lower-cased name → (name as created, location; "" = the vault's region)
    groups: dict[str, tuple[str, str]] = field(default_factory=dict)
    networks: list[SimNetwork] = field(default_factory=list)
    storage: list[SimStorage] = field(default_factory=list)
    # storage account names are global: names other subscriptions hold (lower-cased)
    foreign_storage: set[str] = field(default_factory=set)
    pending: dict[str, PendingCreate] = field(default_factory=dict)  # operation id → create
    _next_operation: int = 1
    _done: set[str] = field(default_factory=set)
    _finished_targets: dict[str, str] = field(default_factory=dict)  # operation id → resource id

    def operation_id(self) -> str:
        number, self._next_operation = self._next_operation, self._next_operation + 1
        return f"00000000-0000-4000-8000-{number:012d}"

    def provisioning(self, resource_id: str) -> bool:
        key = resource_id.lower()
        return any(p.resource_id.lower() == key for p in self.pending.values())

    def poll(self, operation: str) -> str | None:
        """The operation's status after this read (``InProgress`` / ``Succeeded``); None if unknown."""
        pending = self.pending.get(operation.lower())
        if pending is None:
            return "Succeeded" if operation.lower() in self._done else None
        if pending.polls > 0:
            pending.polls -= 1
            return "InProgress"
        del self.pending[operation.lower()]
        self._done.add(operation.lower())
        return "Succeeded"

    def operation_target(self, operation: str) -> str:
        pending = self.pending.get(operation.lower())
        if pending is not None:
            return pending.resource_id
        return self._finished_targets.get(operation.lower(), "")

    def start(self, resource_id: str) -> str:
        operation = self.operation_id()
        self.pending[operation] = PendingCreate(resource_id)
        self._finished_targets[operation] = resource_id
        return operation


# The caller the simulated subscription knows: Contributor on the vault's resource group and
# Site Recovery Contributor on the vault, but on the recovery resource group a custom role an admin
# built from Virtual Machine Contributor without the network join (a failover there cannot attach NICs).
CONTRIBUTOR = {
    "actions": ["*"],
    "notActions": ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"],
}
RECOVERY_ROLE = {
    "actions": [
        "Microsoft.Authorization/*/read",
        "Microsoft.Compute/virtualMachines/*",
        "Microsoft.Compute/disks/*",
        "Microsoft.Compute/availabilitySets/*",
        "Microsoft.Network/networkInterfaces/*",
        "Microsoft.Network/virtualNetworks/read",
        "Microsoft.Storage/storageAccounts/read",
        "Microsoft.Resources/subscriptions/resourceGroups/read",
    ],
    "notActions": [],
}
RESTRICTED_GROUP = "rg-dr-recovery"


def role_at(group: str, resource: bool = False) -> dict[str, list[str]]:
    """The caller's role at a resource group (or a resource in it): what both the permissions read and
    the writes' authorization check see."""
    return RECOVERY_ROLE if group.lower() == RESTRICTED_GROUP and not resource else CONTRIBUTOR
