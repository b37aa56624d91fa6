"""The Azure resources a replication targets, read with the official management clients.

Resource groups (``azure-mgmt-resource``), virtual networks with their subnets (``azure-mgmt-network``)
and storage accounts (``azure-mgmt-storage``), on the same credential, endpoint, CA bundle, timeouts
and retry policy as the vault's client (``AzureRecoveryService`` hands them its options). The clients
are built on first use: most sessions never open a picker. Each model's ``as_dict()`` is the wire JSON,
converted here into ``model.targets`` records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from azure.core.credentials_async import AsyncTokenCredential

from asr_console.model.listed import Listed
from asr_console.model.prepare import Create, PrepareStep
from asr_console.model.targets import (
    ComputeSize,
    Permission,
    ResourceGroup,
    StorageAccount,
    Subnet,
    VirtualNetwork,
)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _seq(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _group_of(arm_id: str) -> str:
    parts = arm_id.split("/")
    lowered = [p.lower() for p in parts]
    if "resourcegroups" in lowered:
        at = lowered.index("resourcegroups") + 1
        return parts[at] if at < len(parts) else ""
    return ""


def resource_group(value: dict[str, Any]) -> ResourceGroup:
    return ResourceGroup(
        id=_text(value.get("id")), name=_text(value.get("name")), location=_text(value.get("location"))
    )


def virtual_network(value: dict[str, Any]) -> VirtualNetwork:
    net_id = _text(value.get("id"))
    props = _obj(value.get("properties"))
    subnets = tuple(
        Subnet(
            id=_text(s.get("id")),
            name=_text(s.get("name")),
            address_prefix=_text(_obj(s.get("properties")).get("addressPrefix")),
        )
        for s in map(_obj, _seq(props.get("subnets")))
        if _text(s.get("name"))
    )
    return VirtualNetwork(
        id=net_id,
        name=_text(value.get("name")),
        resource_group=_group_of(net_id),
        location=_text(value.get("location")),
        address_prefixes=tuple(
            p for p in _seq(_obj(props.get("addressSpace")).get("addressPrefixes")) if isinstance(p, str)
        ),
        subnets=subnets,
    )


def storage_account(value: dict[str, Any]) -> StorageAccount:
    account_id = _text(value.get("id"))
    return StorageAccount(
        id=account_id,
        name=_text(value.get("name")),
        resource_group=_group_of(account_id),
        location=_text(value.get("location")),
        kind=_text(value.get("kind")),
        sku=_text(_obj(value.get("sku")).get("name")),
    )


def compute_size(value: dict[str, Any]) -> ComputeSize:
    props = _obj(value.get("properties"))
    errors = tuple(
        _text(_obj(e).get("message")) or _text(_obj(e).get("code")) for e in _seq(props.get("errors"))
    )
    return ComputeSize(
        name=_text(props.get("name")) or _text(value.get("name")),
        cores=int(_number(props.get("cpuCoresCount"))),
        memory_gb=_number(props.get("memoryInGB")),
        max_data_disks=int(_number(props.get("maxDataDiskCount"))),
        max_nics=int(_number(props.get("maxNicsCount"))),
        errors=tuple(e for e in errors if e),
    )


async def _wire(pages: AsyncIterator[Any]) -> list[dict[str, Any]]:
    return [dict(model.as_dict()) async for model in pages]


T = TypeVar("T")


def _convert(convert: Callable[[dict[str, Any]], T], values: list[dict[str, Any]]) -> Listed[T]:
    """Records with an id and a name; the ids of any without are dropped (shown as unreadable)."""
    out: list[T] = []
    dropped: list[str] = []
    for value in values:
        if _text(value.get("id")) and _text(value.get("name")):
            out.append(convert(value))
        else:
            dropped.append(_text(value.get("id")) or "(no id)")
    return Listed(out, dropped)


class AzureTargets:
    """The subscription's resource groups, virtual networks and storage accounts.

    ``options`` builds the keyword arguments of each client (a fresh retry policy and transport per
    client, so closing one leaves the others working).
    """

    def __init__(
        self, credential: AsyncTokenCredential, subscription: str, options: Callable[[], dict[str, Any]]
    ) -> None:
        self._credential = credential
        self._subscription = subscription
        self._options = options
        self._clients: dict[str, Any] = {}

    def _client(self, kind: str) -> Any:
        client = self._clients.get(kind)
        if client is None:
            if kind == "resource":
                from azure.mgmt.resource.resources.aio import ResourceManagementClient as Client
            elif kind == "authorization":
                from azure.mgmt.authorization.aio import AuthorizationManagementClient as Client  # type: ignore[assignment]
            elif kind == "network":
                from azure.mgmt.network.aio import NetworkManagementClient as Client  # type: ignore[assignment]
            else:
                from azure.mgmt.storage.aio import StorageManagementClient as Client  # type: ignore[assignment]
            client = Client(self._credential, self._subscription, **self._options())
            self._clients[kind] = client
        return client

    async def resource_groups(self) -> Listed[ResourceGroup]:
        values = await _wire(self._client("resource").resource_groups.list())
        return _convert(resource_group, values)

    async def virtual_networks(self) -> Listed[VirtualNetwork]:
        values = await _wire(self._client("network").virtual_networks.list_all())
        return _convert(virtual_network, values)

    async def storage_accounts(self) -> Listed[StorageAccount]:
        values = await _wire(self._client("storage").storage_accounts.list())
        return _convert(storage_account, values)

    async def permissions(self, scope_id: str) -> list[Permission]:
        """The caller's permissions at a resource group (``/subscriptions/…/resourceGroups/NAME``) or a
        resource under one (``…/providers/NAMESPACE/TYPE/NAME``)."""
        parts = [p for p in scope_id.split("/") if p]
        lowered = [p.lower() for p in parts]
        if "resourcegroups" not in lowered:
            raise ValueError(f"not a resource group or resource id: {scope_id}")
        group = parts[lowered.index("resourcegroups") + 1]
        permissions = self._client("authorization").permissions
        if "providers" in lowered:
            at = lowered.index("providers")
            namespace, rest = parts[at + 1], parts[at + 2 :]
            pages = permissions.list_for_resource(group, namespace, "/".join(rest[:-2]), rest[-2], rest[-1])
        else:
            pages = permissions.list_for_resource_group(group)
        return [
            Permission(
                actions=tuple(a for a in _seq(v.get("actions")) if isinstance(a, str)),
                # this client's models are msrest ones: as_dict() keys are attribute names
                not_actions=tuple(
                    a for a in _seq(v.get("not_actions", v.get("notActions"))) if isinstance(a, str)
                ),
            )
            for v in await _wire(pages)
        ]

    async def provider_states(self) -> dict[str, str]:
        values = await _wire(self._client("resource").providers.list())
        return {
            _text(v.get("namespace")): _text(v.get("registrationState", v.get("registration_state")))
            for v in values
            if _text(v.get("namespace"))
        }

    # ------------------------------------------------------------------ Prepare Azure's creates

    async def create(self, step: PrepareStep) -> str:
        """Create one resource of a Prepare Azure plan and wait for its long-running operation; the
        created resource's ARM id as ARM returns it."""
        if step.create is Create.RESOURCE_GROUP:
            group = await self._client("resource").resource_groups.create_or_update(
                step.name, {"location": step.location}
            )
            return _text(dict(group.as_dict()).get("id"))
        if step.create is Create.VIRTUAL_NETWORK:
            body = {
                "location": step.location,
                "properties": {
                    "addressSpace": {"addressPrefixes": [step.address_prefix]},
                    "subnets": [{"name": step.subnet, "properties": {"addressPrefix": step.subnet_prefix}}],
                },
            }
            networks = self._client("network").virtual_networks
            poller = await networks.begin_create_or_update(step.resource_group, step.name, body)
            return _text(dict((await poller.result()).as_dict()).get("id"))
        body = {"location": step.location, "sku": {"name": step.sku}, "kind": step.kind}
        accounts = self._client("storage").storage_accounts
        poller = await accounts.begin_create(step.resource_group, step.name, body)
        return _text(dict((await poller.result()).as_dict()).get("id"))

    async def storage_name_problem(self, name: str) -> str:
        """Why Azure would refuse a new storage account of this name ("" when it is free): names are
        unique across all of Azure, so one the subscription does not hold may still be taken."""
        answer = await self._client("storage").storage_accounts.check_name_availability(
            {"name": name, "type": "Microsoft.Storage/storageAccounts"}
        )
        value = dict(answer.as_dict())
        if value.get("nameAvailable", value.get("name_available")):
            return ""
        return _text(value.get("message")) or _text(value.get("reason")) or "not available"

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()
