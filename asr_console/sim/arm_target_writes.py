"""The creates "Prepare Azure" sends, as ARM's providers take them: resource groups (Microsoft.Resources,
synchronous ``200``/``201``), virtual networks with their subnets (Microsoft.Network: ``201`` with the
resource and ``Azure-AsyncOperation``, then a final GET) and storage accounts (Microsoft.Storage: ``202``
with ``Location``, polled until it answers ``200`` with the account), plus Storage's name check.

Bodies are checked by ARM's documented rules, never by the console's: a location is required and must
be a region; names follow each provider's naming rules; a storage account needs ``sku`` and ``kind`` and
a name no one else in Azure holds; address prefixes are CIDRs and each subnet lies inside the address
space; the resource group must exist; and the caller needs ``…/write`` at the scope (the planted roles of
``arm_resources``), else ``403 AuthorizationFailed``.
"""

from __future__ import annotations

import ipaddress
import re
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from asr_console.sim.arm_estate import SimNetwork, SimStorage, role_at
from asr_console.sim.errors import SimError

if TYPE_CHECKING:
    from asr_console.sim.arm_resources import ArmResources

Answer = tuple[int, dict[str, Any], dict[str, str]]

# The public cloud's regions (``az account list-locations``), normalised as ARM compares them
REGIONS = frozenset(
    {
        "australiaeast", "australiasoutheast", "brazilsouth", "canadacentral", "canadaeast",
        "centralindia", "centralus", "eastasia", "eastus", "eastus2", "francecentral",
        "germanywestcentral", "italynorth", "japaneast", "japanwest", "koreacentral", "northcentralus",
        "northeurope", "norwayeast", "polandcentral", "southafricanorth", "southcentralus",
        "southeastasia", "spaincentral", "swedencentral", "switzerlandnorth", "uaenorth", "uksouth",
        "ukwest", "westcentralus", "westeurope", "westus", "westus2", "westus3",
    }
)  # fmt: skip
# Microsoft.Storage's SKU names (``SkuName`` in azure-mgmt-storage) and kinds (``Kind``)
STORAGE_SKUS = frozenset(
    {
        "Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS", "Premium_ZRS",
        "Standard_GZRS", "Standard_RAGZRS",
    }
)  # fmt: skip
STORAGE_KINDS = frozenset({"Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage"})
_GROUP_NAME = re.compile(r"^[-\w._()]{1,90}$")
_VNET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]$")
_STORAGE_NAME = re.compile(r"^[a-z0-9]{3,24}$")

_SUB = r"/subscriptions/([^/]+)"
_RG = r"/resourceGroups/([^/]+)"
_PUT_GROUP = re.compile(_SUB + _RG + r"/?$", re.IGNORECASE)
_PUT_VNET = re.compile(
    _SUB + _RG + r"/providers/Microsoft\.Network/virtualNetworks/([^/]+)/?$", re.IGNORECASE
)
_PUT_STORAGE = re.compile(
    _SUB + _RG + r"/providers/Microsoft\.Storage/storageAccounts/([^/]+)/?$", re.IGNORECASE
)
_CHECK_NAME = re.compile(_SUB + r"/providers/Microsoft\.Storage/checkNameAvailability/?$", re.IGNORECASE)
_NETWORK_OPERATION = re.compile(
    _SUB + r"/providers/Microsoft\.Network/locations/([^/]+)/operations/([^/]+)/?$", re.IGNORECASE
)
_STORAGE_OPERATION = re.compile(
    _SUB + r"/providers/Microsoft\.Storage/locations/([^/]+)/asyncoperations/([^/]+)/?$", re.IGNORECASE
)


def _fail(status: int, code: str, message: str) -> Answer:
    return status, {"error": {"code": code, "message": message}}, {}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _region(value: Any) -> str:
    return str(value or "").replace(" ", "").lower()


def _allowed(role: dict[str, list[str]], action: str) -> bool:
    wanted = action.lower()
    return any(fnmatchcase(wanted, a.lower()) for a in role["actions"]) and not any(
        fnmatchcase(wanted, n.lower()) for n in role["notActions"]
    )


def _write_routes() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    return (
        (_PUT_GROUP, "PUT", "put_group"),
        (_PUT_VNET, "PUT", "put_network"),
        (_PUT_STORAGE, "PUT", "put_storage"),
        (_CHECK_NAME, "POST", "check_name"),
        (_NETWORK_OPERATION, "GET", "network_operation"),
        (_STORAGE_OPERATION, "GET", "storage_operation"),
    )


def is_write(method: str, path: str) -> bool:
    """Whether ``answer_write`` answers this request (without answering it: a poll counts)."""
    return any(m == method and p.match(path) for p, m, _ in _write_routes())


def answer_write(
    resources: ArmResources, method: str, path: str, body: Any, base_url: str, api_version: str
) -> Answer | None:
    """The answer to a create, a name check or an operation poll; None for any other request. The
    poll URLs handed out point back at ``base_url`` and carry the request's ``api_version``."""
    writes = _Writes(resources, base_url, api_version)
    for pattern, wanted, name in _write_routes():
        match = pattern.match(path)
        if match is None or method != wanted:
            continue
        handler = getattr(writes, name)
        sub, *args = match.groups()
        if sub.lower() != resources.scope.subscription.lower():
            return _fail(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
        try:
            answer: Answer = handler(body if isinstance(body, dict) else {}, *args)
            return answer
        except SimError as exc:
            return _fail(exc.status, exc.code, exc.message)
    return None


class _Writes:
    def __init__(self, resources: ArmResources, base_url: str, api_version: str) -> None:
        self.resources = resources
        self.estate = resources.estate
        self.scope = resources.scope
        self.base_url = base_url
        self.api_version = api_version

    def _provider_url(self, namespace: str, tail: str) -> str:
        return (
            f"{self.base_url}/subscriptions/{self.scope.subscription}/providers/{namespace}/locations/{tail}"
            f"{'&' if '?' in tail else '?'}api-version={self.api_version}"
        )

    # ------------------------------------------------------------------ shared rules

    def _authorize(self, group: str, action: str, scope_id: str) -> None:
        if not _allowed(role_at(group), action):
            raise SimError(
                403,
                "AuthorizationFailed",
                f"The client does not have authorization to perform action '{action}' over scope "
                f"'{scope_id}' or the scope is invalid.",
            )

    def _location(self, body: dict[str, Any], code: str) -> str:
        location = _region(body.get("location"))
        if not location:
            raise SimError(400, "LocationRequired", "The location property is required for this definition.")
        if location not in REGIONS:
            raise SimError(
                400,
                code,
                f"The provided location '{body.get('location')}' is not available for this resource. "
                f"List of available regions is '{','.join(sorted(REGIONS))}'.",
            )
        return location

    def _existing_group(self, group: str) -> str:
        self.resources._check_group(group)
        if group.lower() == self.scope.resource_group.lower():
            return self.scope.resource_group
        return self.estate.groups[group.lower()][0]

    def _stored_location(self, location: str) -> str:
        # the estate keeps "" for the vault's region, as the fixed estate does
        return "" if location == self.scope.location else location

    # ------------------------------------------------------------------ Microsoft.Resources

    def put_group(self, body: dict[str, Any], name: str) -> Answer:
        if not _GROUP_NAME.match(name) or name.endswith("."):
            raise SimError(
                400,
                "InvalidResourceGroupName",
                f"Resource group name '{name}' is invalid: up to 90 letters, digits, underscores, periods, "
                "hyphens and parentheses, not ending in a period.",
            )
        location = self._location(body, "LocationNotAvailableForResourceGroup")
        # creating a group is a subscription-scope action: Contributor there (the planted caller) has it
        existing = name.lower() in self.resources.group_names()
        if existing:
            current = (
                self.scope.location
                if name.lower() == self.scope.resource_group.lower()
                else (self.estate.groups[name.lower()][1] or self.scope.location)
            )
            if _region(current) != location:
                raise SimError(
                    409,
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location '{location}'. The Resource group already exists in "
                    f"location '{current}'.",
                )
        else:
            self.estate.groups[name.lower()] = (name, self._stored_location(location))
        shown = self._existing_group(name)
        group = next(g for g in self.resources.groups() if g["name"] == shown)
        return (200 if existing else 201), group, {}

    # ------------------------------------------------------------------ Microsoft.Network

    def put_network(self, body: dict[str, Any], group: str, name: str) -> Answer:
        group = self._existing_group(group)
        net_id = f"{self.scope.resource_group_id(group)}/providers/Microsoft.Network/virtualNetworks/{name}"
        self._authorize(group, "Microsoft.Network/virtualNetworks/write", net_id)
        if not _VNET_NAME.match(name):
            raise SimError(
                400,
                "InvalidResourceName",
                f"Resource name {name} is invalid. The name can be up to 64 characters long: letters, "
                "digits, underscores, periods and hyphens, starting with a letter or digit and ending with "
                "a letter, digit or underscore.",
            )
        location = self._location(body, "LocationNotAvailableForResourceType")
        props = _obj(body.get("properties"))
        space = _obj(props.get("addressSpace"))
        prefixes = [str(p) for p in space.get("addressPrefixes") or []]
        if not prefixes:
            raise SimError(
                400,
                "InvalidRequestFormat",
                f"Virtual network {name} needs properties.addressSpace.addressPrefixes.",
            )
        networks = [self._cidr(p, f"virtual network {name}") for p in prefixes]
        subnets: list[tuple[str, str]] = []
        for subnet in props.get("subnets") or []:
            subnet = _obj(subnet)
            subnet_name = str(subnet.get("name") or "")
            subnet_props = _obj(subnet.get("properties"))
            prefix = str(subnet_props.get("addressPrefix") or "")
            if not subnet_name or not prefix:
                raise SimError(
                    400, "InvalidRequestFormat", "Each subnet needs a name and properties.addressPrefix."
                )
            cidr = self._cidr(prefix, f"subnet {subnet_name}")
            if not any(cidr.subnet_of(space_net) for space_net in networks):  # type: ignore[arg-type]
                raise SimError(
                    400,
                    "NetcfgSubnetRangeOutsideVnet",
                    f"Subnet '{subnet_name}' is not valid because its IP address range is outside the IP "
                    f"address range of virtual network '{name}'.",
                )
            subnets.append((subnet_name, prefix))
        existing = next(
            (
                n
                for n in self.estate.networks
                if n.resource_group.lower() == group.lower() and n.name.lower() == name.lower()
            ),
            None,
        )
        if existing is not None:
            self.estate.networks.remove(existing)
        net = SimNetwork(
            name,
            group,
            prefixes[0],
            tuple(subnets),
            location=self._stored_location(location),
            more_prefixes=tuple(prefixes[1:]),
        )
        self.estate.networks.append(net)
        operation = self.estate.start(net_id)
        status_url = self._provider_url("Microsoft.Network", f"{location}/operations/{operation}")
        headers = {"Azure-AsyncOperation": status_url, "Retry-After": "1"}
        return (200 if existing is not None else 201), self.resources._network(net), headers

    def _cidr(self, prefix: str, what: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        try:
            return ipaddress.ip_network(prefix, strict=True)
        except ValueError:
            raise SimError(
                400,
                "InvalidAddressPrefixFormat",
                f"Address prefix {prefix} of {what} is not formatted correctly (a network address in CIDR "
                "notation, such as 10.1.0.0/16).",
            ) from None

    def network_operation(self, body: dict[str, Any], location: str, operation: str) -> Answer:
        status = self.estate.poll(operation)
        if status is None:
            raise SimError(404, "OperationNotFound", f"Operation {operation} was not found.")
        headers = {"Retry-After": "1"} if status == "InProgress" else {}
        return 200, {"status": status}, headers

    # ------------------------------------------------------------------ Microsoft.Storage

    def check_name(self, body: dict[str, Any]) -> Answer:
        name = str(body.get("name") or "")
        if not _STORAGE_NAME.match(name):
            return (
                200,
                {
                    "nameAvailable": False,
                    "reason": "AccountNameInvalid",
                    "message": f"{name} is not a valid storage account name. Storage account name must be "
                    "between 3 and 24 characters in length and use numbers and lower-case letters only.",
                },
                {},
            )
        if self._taken(name):
            return (
                200,
                {
                    "nameAvailable": False,
                    "reason": "AlreadyExists",
                    "message": f"The storage account named {name} is already taken.",
                },
                {},
            )
        return 200, {"nameAvailable": True}, {}

    def _taken(self, name: str) -> bool:
        return name.lower() in self.estate.foreign_storage or any(
            a.name.lower() == name.lower() for a in self.estate.storage
        )

    def put_storage(self, body: dict[str, Any], group: str, name: str) -> Answer:
        group = self._existing_group(group)
        account_id = (
            f"{self.scope.resource_group_id(group)}/providers/Microsoft.Storage/storageAccounts/{name}"
        )
        self._authorize(group, "Microsoft.Storage/storageAccounts/write", account_id)
        if not _STORAGE_NAME.match(name):
            raise SimError(
                400,
                "AccountNameInvalid",
                f"{name} is not a valid storage account name. Storage account name must be between 3 and 24 "
                "characters in length and use numbers and lower-case letters only.",
            )
        location = self._location(body, "LocationNotValid")
        sku = _obj(body.get("sku"))
        kind = str(body.get("kind") or "")
        missing = [k for k, v in (("sku", sku.get("name")), ("kind", kind)) if not v]
        if missing:
            raise SimError(
                400,
                "InvalidValuesForRequestParameters",
                f"Values for request parameters are invalid: {', '.join(missing)}.",
            )
        if sku["name"] not in STORAGE_SKUS:
            raise SimError(400, "InvalidAccountType", f"The SKU {sku['name']} specified is not valid.")
        if kind not in STORAGE_KINDS:
            raise SimError(
                400, "InvalidValuesForRequestParameters", "Values for request parameters are invalid: kind."
            )
        mine = next((a for a in self.estate.storage if a.name.lower() == name.lower()), None)
        if name.lower() in self.estate.foreign_storage or (
            mine is not None and mine.resource_group.lower() != group.lower()
        ):
            raise SimError(
                409, "StorageAccountAlreadyTaken", f"The storage account named {name} is already taken."
            )
        if mine is None:
            self.estate.storage.append(
                SimStorage(name, group, self._stored_location(location), kind=kind, sku=str(sku["name"]))
            )
        operation = self.estate.start(account_id)
        return 202, {}, {"Location": self._monitor(location, operation), "Retry-After": "1"}

    def _monitor(self, location: str, operation: str) -> str:
        return self._provider_url("Microsoft.Storage", f"{location}/asyncoperations/{operation}?monitor=true")

    def storage_operation(self, body: dict[str, Any], location: str, operation: str) -> Answer:
        status = self.estate.poll(operation)
        if status is None:
            raise SimError(404, "OperationNotFound", f"Operation {operation} was not found.")
        if status == "InProgress":
            return 202, {}, {"Location": self._monitor(location, operation), "Retry-After": "1"}
        account = self.resources.storage(self.estate.operation_target(operation))
        if account is None:
            raise SimError(404, "ResourceNotFound", "The storage account of this operation is gone.")
        return 200, self.resources._storage(account), {}
