"""The Azure side a replication targets, as ARM serves it: resource groups (``Microsoft.Resources``),
virtual networks with their subnets (``Microsoft.Network``) and storage accounts (``Microsoft.Storage``),
plus the VM sizes ASR offers an item (``targetComputeSizes``).

Shapes follow what the official ``azure-mgmt-resource``, ``azure-mgmt-network`` and
``azure-mgmt-storage`` clients deserialize; each provider has its own api-version, and the site takes
whatever version those clients send (ARM's providers accept several). The estate is small and fixed:
the vault's resource group, a recovery group, a production network and two isolated test networks, a
cache storage account in the vault's region and one in another region (which ASR cannot use as a cache).
That estate is where the engine's ``TargetEstate`` starts; the PUTs of ``arm_target_writes`` add to it.
"""

from __future__ import annotations

import re
from typing import Any

from asr_console.sim.arm_estate import SimNetwork, SimStorage, TargetEstate, role_at
from asr_console.sim.arm_target_writes import answer_write, is_write
from asr_console.sim.errors import SimError
from asr_console.sim.ids import ArmScope

__all__ = [
    "NETWORKS",
    "RESOURCE_GROUPS",
    "STORAGE",
    "ArmResources",
    "SimNetwork",
    "SimStorage",
    "initial_estate",
]

OTHER_REGION = "northeurope"


RESOURCE_GROUPS: tuple[tuple[str, str], ...] = (
    ("rg-dr-recovery", ""),  # "" = the vault's region
    ("rg-dr-network", ""),
    ("rg-dr-storage", ""),
    ("rg-dr-neu", OTHER_REGION),
)
NETWORKS: tuple[SimNetwork, ...] = (
    SimNetwork(
        "vnet-dr-weu",
        "rg-dr-network",
        "10.10.0.0/16",
        (("snet-app", "10.10.1.0/24"), ("snet-db", "10.10.2.0/24"), ("snet-web", "10.10.3.0/24")),
    ),
    SimNetwork("vnet-dr-test", "rg-dr-network", "10.20.0.0/16", (("snet-test", "10.20.1.0/24"),)),
    SimNetwork(
        "vnet-dr-test-isolated", "rg-dr-network", "10.30.0.0/16", (("snet-isolated", "10.30.1.0/24"),)
    ),
)
STORAGE: tuple[SimStorage, ...] = (
    SimStorage("stasrcacheweu01", "rg-dr-storage", ""),
    SimStorage("stasrcacheweu02", "rg-dr-storage", "", sku="Premium_LRS", kind="BlockBlobStorage"),
    SimStorage("stasrcacheneu01", "rg-dr-neu", OTHER_REGION),
)
# (name, cores, memory GiB, data disks, NICs): the sizes ASR lists for an item in the vault's region
COMPUTE_SIZES: tuple[tuple[str, int, float, int, int], ...] = (
    ("Standard_B2ms", 2, 8.0, 4, 3),
    ("Standard_D2s_v3", 2, 8.0, 4, 2),
    ("Standard_D4s_v3", 4, 16.0, 8, 2),
    ("Standard_D8s_v3", 8, 32.0, 16, 4),
    ("Standard_E4s_v3", 4, 32.0, 8, 2),
    ("Standard_F4s_v2", 4, 8.0, 8, 2),
)


# storage account names are unique across Azure: names other subscriptions already hold
FOREIGN_STORAGE = ("asrcache", "cachestorage", "stasrcache")


def initial_estate() -> TargetEstate:
    return TargetEstate(
        groups={name.lower(): (name, location) for name, location in RESOURCE_GROUPS},
        networks=list(NETWORKS),
        storage=list(STORAGE),
        foreign_storage=set(FOREIGN_STORAGE),
    )


class ArmResources:
    """The target-side ARM resources of one subscription, rendered as the providers return them."""

    def __init__(self, scope: ArmScope, estate: TargetEstate) -> None:
        self.scope = scope
        self.estate = estate

    def _where(self, location: str) -> str:
        return location or self.scope.location

    # ------------------------------------------------------------------ ids (what writes may name)

    def group_names(self) -> set[str]:
        return {self.scope.resource_group.lower()} | set(self.estate.groups)

    def network(self, arm_id: str) -> SimNetwork | None:
        for net in self.estate.networks:
            if self.network_id(net).lower() == arm_id.rstrip("/").lower():
                return net
        return None

    def storage(self, arm_id: str) -> SimStorage | None:
        for account in self.estate.storage:
            if self.storage_id(account).lower() == arm_id.rstrip("/").lower():
                return account
        return None

    def storage_location(self, account: SimStorage) -> str:
        return self._where(account.location)

    def network_id(self, net: SimNetwork) -> str:
        return (
            f"{self.scope.resource_group_id(net.resource_group)}/providers/Microsoft.Network/virtualNetworks/"
            f"{net.name}"
        )

    def storage_id(self, account: SimStorage) -> str:
        return (
            f"{self.scope.resource_group_id(account.resource_group)}/providers/Microsoft.Storage/"
            f"storageAccounts/{account.name}"
        )

    # ------------------------------------------------------------------ wire shapes

    def _group(self, name: str, location: str) -> dict[str, Any]:
        return {
            "id": self.scope.resource_group_id(name),
            "name": name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": self._where(location),
            "properties": {"provisioningState": "Succeeded"},
        }

    def groups(self) -> list[dict[str, Any]]:
        return [self._group(self.scope.resource_group, "")] + [
            self._group(name, location) for name, location in self.estate.groups.values()
        ]

    def _network(self, net: SimNetwork) -> dict[str, Any]:
        net_id = self.network_id(net)
        return {
            "id": net_id,
            "name": net.name,
            "type": "Microsoft.Network/virtualNetworks",
            "location": self._where(net.location),
            "etag": f'W/"{net.name}"',
            "properties": {
                "provisioningState": self._state(net_id),
                "addressSpace": {"addressPrefixes": list(net.prefixes)},
                "subnets": [
                    {
                        "id": f"{net_id}/subnets/{name}",
                        "name": name,
                        "type": "Microsoft.Network/virtualNetworks/subnets",
                        "properties": {"addressPrefix": prefix, "provisioningState": self._state(net_id)},
                    }
                    for name, prefix in net.subnets
                ],
            },
        }

    def _storage(self, account: SimStorage) -> dict[str, Any]:
        tier = "Premium" if account.sku.startswith("Premium") else "Standard"
        return {
            "id": self.storage_id(account),
            "name": account.name,
            "type": "Microsoft.Storage/storageAccounts",
            "location": self._where(account.location),
            "kind": account.kind,
            "sku": {"name": account.sku, "tier": tier},
            "properties": {
                "provisioningState": self._state(self.storage_id(account)),
                "primaryLocation": self._where(account.location),
                "statusOfPrimary": "available",
                "primaryEndpoints": {"blob": f"https://{account.name}.blob.core.windows.net/"},
            },
        }

    def _state(self, resource_id: str) -> str:
        return "Updating" if self.estate.provisioning(resource_id) else "Succeeded"

    def compute_sizes(self, item_id: str) -> list[dict[str, Any]]:
        return [
            {
                "id": f"{item_id}/targetComputeSizes/{name}",
                "name": name,
                "type": "Microsoft.RecoveryServices/vaults/replicationFabrics/"
                "replicationProtectionContainers/replicationProtectedItems/targetComputeSizes",
                "properties": {
                    "name": name,
                    "friendlyName": name.replace("_", " "),
                    "cpuCoresCount": cores,
                    "vCPUsAvailable": cores,
                    "memoryInGB": memory,
                    "maxDataDiskCount": disks,
                    "maxNicsCount": nics,
                    "highIopsSupported": "Supported" if "s" in name.rsplit("_", 1)[-1] else "NotSupported",
                    "hyperVGenerations": ["V1", "V2"],
                    "errors": [],
                },
            }
            for name, cores, memory, disks, nics in COMPUTE_SIZES
        ]

    # ------------------------------------------------------------------ requests

    def serves(self, method: str, path: str) -> bool:
        """Whether a request is for these providers (reads or ``arm_target_writes``' writes)."""
        return is_write(method, path) or any(pattern.match(path) for pattern, _ in _ROUTES)

    def answer(
        self, method: str, path: str, body: Any = None, base_url: str = "", api_version: str = ""
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """(status, body, headers) for a request to one of these providers; None when the path is not
        theirs. Writes (PUT, the name check) go to ``arm_target_writes``."""
        written = answer_write(self, method, path, body, base_url, api_version)
        if written is not None:
            return written
        for pattern, handler in _ROUTES:
            match = pattern.match(path)
            if match is None:
                continue
            sub, *args = match.groups()
            if method != "GET":
                return 405, error_body("MethodNotAllowed", f"The method {method} is not allowed here."), {}
            if sub.lower() != self.scope.subscription.lower():
                return (
                    404,
                    error_body("SubscriptionNotFound", f"The subscription '{sub}' could not be found."),
                    {},
                )
            try:
                return 200, handler(self, *args), {}
            except SimError as exc:
                return exc.status, error_body(exc.code, exc.message), {}
        return None

    def _list_groups(self) -> dict[str, Any]:
        return {"value": self.groups()}

    def _get_group(self, name: str) -> dict[str, Any]:
        self._check_group(name)
        return next(g for g in self.groups() if g["name"].lower() == name.lower())

    def _check_group(self, name: str) -> None:
        if name.lower() not in self.group_names():
            raise SimError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")

    def _list_networks(self, group: str | None = None) -> dict[str, Any]:
        if group is not None:
            self._check_group(group)
        return {
            "value": [
                self._network(n)
                for n in self.estate.networks
                if group is None or n.resource_group.lower() == group.lower()
            ]
        }

    def _get_network(self, group: str, name: str) -> dict[str, Any]:
        self._check_group(group)
        for net in self.estate.networks:
            if net.resource_group.lower() == group.lower() and net.name.lower() == name.lower():
                return self._network(net)
        raise SimError(
            404,
            "ResourceNotFound",
            f"The Resource 'Microsoft.Network/virtualNetworks/{name}' under resource group '{group}' was "
            "not found.",
        )

    def _list_storage(self, group: str | None = None) -> dict[str, Any]:
        if group is not None:
            self._check_group(group)
        return {
            "value": [
                self._storage(a)
                for a in self.estate.storage
                if group is None or a.resource_group.lower() == group.lower()
            ]
        }

    def _get_storage(self, group: str, name: str) -> dict[str, Any]:
        self._check_group(group)
        for account in self.estate.storage:
            if account.resource_group.lower() == group.lower() and account.name.lower() == name.lower():
                return self._storage(account)
        raise SimError(
            404,
            "ResourceNotFound",
            f"The Resource 'Microsoft.Storage/storageAccounts/{name}' under resource group '{group}' was "
            "not found.",
        )


PROVIDERS: tuple[tuple[str, str], ...] = (
    ("Microsoft.RecoveryServices", "Registered"),
    ("Microsoft.OffAzure", "Registered"),
    ("Microsoft.Migrate", "Registered"),
    ("Microsoft.Storage", "Registered"),
    ("Microsoft.Network", "Registered"),
    ("Microsoft.Compute", "Registered"),
    ("Microsoft.KeyVault", "NotRegistered"),
)


def _permissions(self: ArmResources, group: str, *_resource: str) -> dict[str, Any]:
    if group.lower() != self.scope.resource_group.lower():
        self._check_group(group)
    return {"value": [{**role_at(group, bool(_resource)), "dataActions": [], "notDataActions": []}]}


def _provider(namespace: str, state: str, subscription: str) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{subscription}/providers/{namespace}",
        "namespace": namespace,
        "registrationState": state,
        "resourceTypes": [],
    }


def _list_providers(self: ArmResources) -> dict[str, Any]:
    return {"value": [_provider(ns, state, self.scope.subscription) for ns, state in PROVIDERS]}


def _get_provider(self: ArmResources, namespace: str) -> dict[str, Any]:
    for ns, state in PROVIDERS:
        if ns.lower() == namespace.lower():
            return _provider(ns, state, self.scope.subscription)
    return _provider(namespace, "NotRegistered", self.scope.subscription)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


_SUB = r"/subscriptions/([^/]+)"
_RG = r"/resourceGroups/([^/]+)"
_ROUTES: tuple[tuple[re.Pattern[str], Any], ...] = tuple(
    (re.compile(pattern + r"/?$", re.IGNORECASE), handler)
    for pattern, handler in (
        (_SUB + r"/resourceGroups", ArmResources._list_groups),
        (_SUB + _RG, ArmResources._get_group),
        (_SUB + r"/providers/Microsoft\.Network/virtualNetworks", ArmResources._list_networks),
        (_SUB + _RG + r"/providers/Microsoft\.Network/virtualNetworks", ArmResources._list_networks),
        (_SUB + _RG + r"/providers/Microsoft\.Network/virtualNetworks/([^/]+)", ArmResources._get_network),
        (_SUB + r"/providers/Microsoft\.Storage/storageAccounts", ArmResources._list_storage),
        (_SUB + _RG + r"/providers/Microsoft\.Storage/storageAccounts", ArmResources._list_storage),
        (_SUB + _RG + r"/providers/Microsoft\.Storage/storageAccounts/([^/]+)", ArmResources._get_storage),
        (_SUB + _RG + r"/providers/Microsoft\.Authorization/permissions", _permissions),
        (
            # a resource's scope (the SDK sends an empty parent path as "//", which ARM accepts)
            _SUB + _RG + r"/providers/([^/]+)/(.+)/providers/Microsoft\.Authorization/permissions",
            _permissions,
        ),
        (_SUB + r"/providers", _list_providers),
        (_SUB + r"/providers/([^/]+)", _get_provider),
    )
)
