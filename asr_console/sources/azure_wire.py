"""ARM wire JSON → the console's records: the one converter of every ASR payload the console reads.

The bulk lists (protected items, jobs, protectable items) arrive as wire JSON from the SDK's pipeline;
single reads and the small lists come as SDK models, whose public ``as_dict()`` gives the same wire JSON
back. Building a model per item of a vault-wide refresh cost ten times the HTTP itself, so nothing here
reads models.

Field names are the SDK models' REST names (2025-08-01; ``tests/test_azure_wire_keys.py`` checks each
against the SDK's field tables). An absent field becomes a default; a present field of the wrong type
fails its record (``WireError``), which a list read counts and logs by ARM id instead of showing a
record made of defaults (``convert_all``).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from asr_console.model.listed import Listed
from asr_console.model.records import (
    ApplianceComponent,
    ComponentKind,
    ContainerMapping,
    DiscoveredDisk,
    Event,
    EventSource,
    Fabric,
    FabricKind,
    Health,
    HealthError,
    Job,
    JobError,
    JobTask,
    MasterTarget,
    Policy,
    PolicySettings,
    ProcessServer,
    ProtectableItem,
    ProtectedItem,
    ProtectionContainer,
    Provider,
    RecoveryPlan,
    RecoveryPoint,
    ReprotectAgent,
    Vault,
    VCenterRegistration,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_EMPTY: dict[str, Any] = {}


class WireError(ValueError):
    """A field present with a value of the wrong type."""


def payload(convert: Callable[Concatenate[dict[str, Any], P], R]) -> Callable[Concatenate[Any, P], R]:
    """A converter of one ARM resource: anything but an object, or a shape the converter did not
    expect anywhere inside, is a ``WireError`` naming what it met — a vault's payload is input, and a
    bad one must be an unreadable record, never a traceback."""

    def checked(value: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if not isinstance(value, dict):
            raise _wrong("an object", value)
        try:
            return convert(value, *args, **kwargs)
        except WireError:
            raise
        except (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError) as exc:
            raise WireError(f"unexpected shape ({type(exc).__name__}: {exc})") from exc

    functools.update_wrapper(checked, convert)
    return checked


def _wrong(expected: str, value: Any) -> WireError:
    shown = repr(value)
    return WireError(f"expected {expected}, got {type(value).__name__} {shown[:60]}")


def obj(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if value is None:
        return _EMPTY
    raise _wrong("an object", value)


def seq(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if value is None:
        return []
    raise _wrong("an array", value)


def text(value: Any) -> str:
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise _wrong("a string", value)
    return str(value)


_SHARED: dict[Any, Any] = {}
_share = _SHARED.setdefault


def shared(value: Any) -> Any:
    """One object for every equal value of a field thousands of records repeat (policy, fabric,
    container, network ids; states; allowed operations): a refresh otherwise holds a fresh copy of each
    per record. ``trim_shared`` bounds it between pages."""
    return _share(value, value)


def stext(value: Any) -> str:
    if value.__class__ is not str:
        value = text(value)
    return _share(value, value)  # type: ignore[no-any-return]  # _share returns its str argument


def trim_shared() -> None:
    if len(_SHARED) > 20_000:
        _SHARED.clear()


_HEALTH = {member.value.lower(): member for member in Health}
_PROVIDER = {member.value.lower(): member for member in (Provider.INMAGE_RCM, Provider.INMAGE_AZURE_V2)}


def health(value: Any) -> Health:
    """``Health.parse`` without the scan: this runs for every item of every refresh."""
    return _HEALTH.get(value.lower(), Health.UNKNOWN) if isinstance(value, str) else Health.UNKNOWN


def provider_of(value: str) -> Provider:
    return _PROVIDER.get(value.lower(), Provider.OTHER)


def number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _wrong("a number", value)
    try:
        return float(value)
    except ValueError:
        raise _wrong("a number", value) from None


def integer(value: Any) -> int | None:
    if value.__class__ is int:
        return int(value)
    found = number(value)
    return None if found is None else int(found)


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, dict | list):
        raise _wrong("a boolean", value)
    return str(value).strip().lower() in ("true", "yes", "1", "enable", "enabled")


_TIMES: dict[str, datetime | None] = {}


def when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        if value is None:
            return None
        raise _wrong("a date-time string", value)
    if not value:
        return None
    # many items share a timestamp (one RPO computation, one heartbeat sweep): parse each once
    cached = _TIMES.get(value, _TIMES)
    if cached is not _TIMES:
        return cached  # type: ignore[return-value]  # the sentinel was ruled out above
    try:
        parsed: datetime | None = datetime.fromisoformat(value)
    except ValueError:
        # a time in a format Python does not read is shown as unknown; the rest of the record holds
        parsed = None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if len(_TIMES) > 8_000:
        _TIMES.clear()
    _TIMES[value] = parsed
    return parsed


def segment(arm_id: str, collection: str) -> str:
    """The name after ``/collection/`` in an ARM id (case-insensitive), or ""."""
    parts = arm_id.split("/")
    lowered = [p.lower() for p in parts]
    try:
        i = lowered.index(collection.lower())
    except ValueError:
        return ""
    return parts[i + 1] if i + 1 < len(parts) else ""


def prefix_until(arm_id: str, collection: str) -> str:
    """The id up to (excluding) ``/collection/…``: e.g. the fabric id of an item id."""
    index = arm_id.lower().find(f"/{collection.lower()}/")
    return arm_id[:index] if index >= 0 else ""


def uuid_in(value: str) -> str:
    found = _UUID.findall(value or "")
    return found[-1].lower() if found else ""


def convert_all(convert: Callable[[Any], T], values: Iterable[Any], what: str) -> Listed[T]:
    """Convert each; a record that fails is logged with its ARM id and the reason, and its id kept in
    ``dropped`` — never the whole list lost, never a record silently missing."""
    out: list[T] = []
    dropped: list[str] = []
    for value in values:
        try:
            out.append(convert(value))
        except Exception as exc:  # a vault can hold shapes no one has seen; never lose the rest
            arm_id = value.get("id") if isinstance(value, dict) else None
            arm_id = arm_id if isinstance(arm_id, str) else ""
            log.warning("unreadable %s %s: %s", what, arm_id or "(no id)", exc)
            dropped.append(arm_id)
    return Listed(out, dropped)


def health_errors(values: Any) -> tuple[HealthError, ...]:
    if not values:
        return ()
    out = []
    for raw in seq(values):
        e = obj(raw)
        code = text(e.get("errorCode"))
        message = text(e.get("errorMessage")) or text(e.get("summaryMessage"))
        if not code and not message:
            continue
        out.append(
            HealthError(
                code=code,
                message=message,
                possible_causes=text(e.get("possibleCauses")),
                recommended_action=text(e.get("recommendedAction")),
                severity=text(e.get("errorLevel")),
                created_at=when(e.get("creationTimeUtc")),
                entity=text(e.get("entityId")),
            )
        )
    return tuple(out)


@payload
def protectable_item(value: dict[str, Any]) -> ProtectableItem:
    """A discovered machine; ``customDetails`` is VMware's for both stacks, anything else shown bare."""
    item_id = text(value.get("id"))
    props = obj(value.get("properties"))
    details = obj(props.get("customDetails"))
    return ProtectableItem(
        id=item_id,
        name=text(value.get("name")),
        container_id=shared(prefix_until(item_id, "replicationProtectableItems")),
        friendly_name=text(props.get("friendlyName")),
        protection_status=stext(props.get("protectionStatus")) or "Unprotected",
        protected_item_id=text(props.get("replicationProtectedItemId")),
        machine_id=text(value.get("name")),
        os_type=stext(details.get("osType")),
        disk_count=len(seq(details.get("diskDetails"))),
        ip_address=text(details.get("ipAddress")),
        # VMwareVirtualMachineDetails says it outright; other providers' details do not
        agent_installed=flag(details["agentInstalled"])
        if details.get("agentInstalled") is not None
        else None,
        agent_version=stext(details.get("agentVersion")),
    )


@payload
def site_machine(
    value: dict[str, Any], container_id: str, agents: frozenset[str] | None = None
) -> ProtectableItem:
    """A machine of the Azure Migrate VMware site a modernized appliance discovers into (OffAzure
    2020-01-01), as the machine to protect in ``container_id``: its ARM id is the
    ``fabricDiscoveryMachineId`` enable replication sends, its disks' uuids the disk ids.

    ``agents`` are the BIOS ids of the Mobility agents registered with its appliance
    (``appliance_agents``); None when the appliance's details did not list them."""
    machine_id = text(value.get("id"))
    props = obj(value.get("properties"))
    disks = tuple(
        DiscoveredDisk(
            uuid=text(d.get("uuid")),
            label=text(d.get("label")),
            size_bytes=integer(d.get("maxSizeInBytes")) or 0,
        )
        for d in map(obj, seq(props.get("disks")))
        if text(d.get("uuid"))
    )
    nics = list(map(obj, seq(props.get("networkAdapters"))))
    ips = [ip for nic in nics for ip in seq(nic.get("ipAddressList"))]
    return ProtectableItem(
        id=machine_id,
        name=text(value.get("name")),
        container_id=shared(container_id),
        friendly_name=text(props.get("displayName")),
        machine_id=machine_id,
        os_type=stext(obj(props.get("operatingSystemDetails")).get("osType")),
        disk_count=len(disks),
        ip_address=text(ips[0]) if ips else "",
        instance_uuid=text(props.get("instanceUuid")),
        bios_guid=text(props.get("biosGuid")),
        disks=disks,
        networks=tuple(dict.fromkeys(n for nic in nics if (n := text(nic.get("networkName"))))),
        agent_installed=None if agents is None else bios_key(text(props.get("biosGuid"))) in agents,
    )


def bios_key(bios: str) -> str:
    # vCenter and the agents write the same BIOS UUID with or without braces and in either case
    return bios.strip().strip("{}").lower()


def appliance_agents(value: dict[str, Any]) -> frozenset[str] | None:
    """The BIOS ids of the Mobility agents registered with an appliance (InMageRcm fabric details'
    ``agentDetails``): the machines that have an agent, replicating or not. None when not listed."""
    details = obj(obj(value.get("properties")).get("customDetails"))
    listed = details.get("agentDetails")
    if listed is None:
        return None
    return frozenset(bios_key(text(obj(a).get("biosId"))) for a in seq(listed) if text(obj(a).get("biosId")))


@payload
def protected_item(value: dict[str, Any]) -> ProtectedItem:
    # runs 5,000 times in a ``status`` measured against a bare fetch of the pages: the id is lowered
    # once for both prefixes, the operations converted with ``map`` rather than a generator, and each
    # provider's fields go straight into the record's call (not merged into ``common`` first)
    item_id = text(value.get("id"))
    props = obj(value.get("properties"))
    get = props.get
    details = obj(get("providerSpecificDetails"))
    dget = details.get
    instance = text(dget("instanceType"))
    provider = provider_of(instance)
    lowered = item_id.lower()
    at_container = lowered.find("/replicationprotectioncontainers/")
    at_item = lowered.find("/replicationprotecteditems/")
    common: dict[str, Any] = {
        "id": item_id,
        "name": text(value.get("name")),
        "friendly_name": text(get("friendlyName")),
        "fabric_id": shared(item_id[:at_container] if at_container >= 0 else ""),
        "container_id": shared(item_id[:at_item] if at_item >= 0 else ""),
        "provider": provider,
        "provider_name": shared(instance),
        "replication_health": health(get("replicationHealth")),
        "protection_state": stext(get("protectionState")),
        "protection_state_description": stext(get("protectionStateDescription")),
        "active_location": stext(get("activeLocation")),
        "current_scenario": stext(obj(get("currentScenario")).get("scenarioName")),
        "policy_id": stext(get("policyId")),
        "policy_name": stext(get("policyFriendlyName")),
        "test_failover_state": stext(get("testFailoverState")),
        "last_successful_test_failover": when(get("lastSuccessfulTestFailoverTime")),
        "last_successful_failover": when(get("lastSuccessfulFailoverTime")),
        "allowed_operations": shared(tuple(map(text, seq(get("allowedOperations"))))),
        "health_errors": health_errors(get("healthErrors")),
    }
    if provider is Provider.INMAGE_RCM:
        agent = obj(dget("mobilityAgentDetails"))
        discovery = text(dget("fabricDiscoveryMachineId"))
        nic_id, recovery_subnet, test_subnet = _primary_nic(details)
        return ProtectedItem(
            **common,
            rpo_seconds=integer(dget("lastRpoInSeconds")),
            rpo_computed_at=when(dget("lastRpoCalculatedTime")),
            last_recovery_point=when(dget("lastRecoveryPointReceived")),
            initial_replication_percent=integer(dget("initialReplicationProgressPercentage")),
            resync_required=flag(dget("resyncRequired")),
            resync_progress_percent=integer(dget("resyncProgressPercentage")),
            agent_version=stext(agent.get("version")),
            agent_latest_version=stext(agent.get("latestVersion")),
            agent_heartbeat=when(agent.get("lastHeartbeatUtc")),
            agent_upgradeable=flag(agent.get("isUpgradeable")),
            process_server_id=stext(dget("processServerId")),
            process_server_name=stext(dget("processServerName")),
            # Azure Migrate names the discovered machine "<vCenter>_<VM instance UUID>"
            source_instance_uuid=uuid_in(discovery.rsplit("/", 1)[-1]) or uuid_in(text(value.get("name"))),
            source_ip=text(dget("primaryNicIpAddress")),
            os_type=stext(dget("osType")),
            recovery_vm_name=text(dget("targetVmName")),
            recovery_network_id=stext(dget("targetNetworkId")),
            test_network_id=stext(dget("testNetworkId")),
            recovery_resource_group_id=stext(dget("targetResourceGroupId")),
            log_storage_account_id=_log_storage(details),
            recovery_vm_size=stext(dget("targetVmSize")),
            license_type=stext(dget("licenseType")),
            availability_zone=stext(dget("targetAvailabilityZone")),
            availability_set_id=stext(dget("targetAvailabilitySetId")),
            primary_nic_id=nic_id,
            recovery_subnet=recovery_subnet,
            test_subnet=test_subnet,
        )
    elif instance.lower() == "inmagercmfailback":
        # replicating from Azure back to VMware: the reprotect agent writes to a datastore
        agent = obj(dget("mobilityAgentDetails"))
        return ProtectedItem(
            **common,
            initial_replication_percent=integer(dget("initialReplicationProgressPercentage")),
            resync_required=flag(dget("resyncRequired")),
            resync_progress_percent=integer(dget("resyncProgressPercentage")),
            agent_version=stext(agent.get("version")),
            agent_heartbeat=when(agent.get("lastHeartbeatUtc")),
            os_type=stext(dget("osType")),
            recovery_vm_name=text(dget("targetVmName")),
            log_storage_account_id=stext(dget("logStorageAccountId")),
            reprotect_agent_id=stext(dget("reprotectAgentId")),
            datastore_name=text(dget("targetDataStoreName")),
            last_used_policy_id=stext(dget("lastUsedPolicyId")),
        )
    elif provider is Provider.INMAGE_AZURE_V2:
        disks = seq(dget("protectedDisks"))
        resync_required = any(flag(obj(d).get("resyncRequired")) for d in disks)
        ir_done = text(dget("protectionStage")).lower() != "initialreplication"
        progress = integer(dget("resyncProgressPercentage"))
        return ProtectedItem(
            **common,
            rpo_seconds=integer(dget("rpoInSeconds")),
            rpo_computed_at=when(dget("lastRpoCalculatedTime")),
            last_recovery_point=when(dget("lastRecoveryPointReceived")),
            initial_replication_percent=100 if ir_done else progress,
            resync_required=resync_required,
            resync_progress_percent=progress if resync_required and ir_done else None,
            agent_version=stext(dget("agentVersion")),
            agent_heartbeat=when(dget("lastHeartbeat")),
            agent_upgradeable=flag(dget("isAgentUpdateRequired")),
            process_server_id=stext(dget("processServerId")),
            process_server_name=stext(dget("processServerName")),
            # the Mobility service reports the machine's BIOS UUID as vmId
            source_bios_uuid=uuid_in(text(dget("vmId"))),
            source_ip=text(dget("ipAddress")),
            os_type=stext(dget("osType")),
            recovery_vm_name=text(dget("recoveryAzureVMName")),
            recovery_network_id=stext(dget("selectedRecoveryAzureNetworkId")),
            test_network_id=stext(dget("selectedTfoAzureNetworkId")),
            recovery_resource_group_id=stext(dget("recoveryAzureResourceGroupId")),
        )
    else:
        # other providers: whatever common fields they carry, shown generically
        return ProtectedItem(
            **common,
            rpo_seconds=integer(dget("lastRpoInSeconds")) or integer(dget("rpoInSeconds")),
            last_recovery_point=when(dget("lastRecoveryPointReceived")),
            os_type=stext(dget("osType")),
        )


def _primary_nic(details: dict[str, Any]) -> tuple[str, str, str]:
    """The primary NIC's id and its recovery and test subnets (the first NIC when none is marked
    primary)."""
    nics = [obj(n) for n in seq(details.get("vmNics"))]
    nic = next((n for n in nics if flag(n.get("isPrimaryNic"))), nics[0] if nics else {})
    return text(nic.get("nicId")), text(nic.get("targetSubnetName")), text(nic.get("testSubnetName"))


def _log_storage(details: dict[str, Any]) -> str:
    """The cache storage account an InMageRcm item's disks replicate through (the first disk's)."""
    for disk in map(obj, seq(details.get("protectedDisks"))):
        account = stext(disk.get("logStorageAccountId"))
        if account:
            return account
    return ""


@payload
def job(value: dict[str, Any]) -> Job:
    props = obj(value.get("properties"))
    tasks = tuple(
        JobTask(
            name=text(t.get("name")),
            friendly_name=text(t.get("friendlyName")),
            state=text(t.get("state")),
            start=when(t.get("startTime")),
            end=when(t.get("endTime")),
        )
        for t in map(obj, seq(props.get("tasks")))
    )
    errors = []
    for raw in seq(props.get("errors")):
        service = obj(obj(raw).get("serviceErrorDetails"))
        provider = obj(obj(raw).get("providerErrorDetails"))
        errors.append(
            JobError(
                code=text(service.get("code")) or text(provider.get("errorCode")),
                message=text(service.get("message")) or text(provider.get("errorMessage")),
                possible_causes=text(service.get("possibleCauses")) or text(provider.get("possibleCauses")),
                recommended_action=text(service.get("recommendedAction"))
                or text(provider.get("recommendedAction")),
            )
        )
    return Job(
        id=text(value.get("id")),
        name=text(value.get("name")),
        display_name=text(props.get("friendlyName")) or text(props.get("scenarioName")),
        scenario=text(props.get("scenarioName")),
        state=text(props.get("state")),
        state_description=text(props.get("stateDescription")),
        start=when(props.get("startTime")),
        end=when(props.get("endTime")),
        target_object_id=text(props.get("targetObjectId")),
        target_object_name=text(props.get("targetObjectName")),
        target_instance_type=text(props.get("targetInstanceType")),
        allowed_actions=tuple(text(a) for a in seq(props.get("allowedActions"))),
        tasks=tasks,
        errors=tuple(errors),
    )


# --------------------------------------------------------------------------- vault and infrastructure


@payload
def vault(value: dict[str, Any], subscription: str, resource_group: str, name: str) -> Vault:
    """The vault health read (``replicationVaultHealth``)."""
    vault_id = prefix_until(text(value.get("id")), "replicationVaultHealth") or (
        f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.RecoveryServices/vaults/{name}"
    )
    props = obj(value.get("properties"))

    def counted(summary: dict[str, Any], severities: tuple[str, ...]) -> int:
        counts = summary.get("categorizedResourceCounts")
        if isinstance(counts, dict):
            return sum(integer(v) or 0 for k, v in counts.items() if k.lower() in severities)
        ids: set[str] = set()
        for issue in map(obj, seq(summary.get("issues"))):
            if text(issue.get("severity")).lower() in severities:
                ids.update(text(i) for i in seq(issue.get("affectedResourceCorrelationIds")))
        return len(ids)

    items = obj(props.get("protectedItemsHealth"))
    fabrics = obj(props.get("fabricsHealth"))
    return Vault(
        id=vault_id,
        name=name,
        subscription=subscription,
        resource_group=resource_group,
        location=text(value.get("location")),
        protected_items_critical=counted(items, ("critical", "error")),
        protected_items_warning=counted(items, ("warning",)),
        fabrics_critical=counted(fabrics, ("critical", "error")),
        health_errors=health_errors(props.get("vaultErrors")),
    )


def _mbps(value: Any) -> float | None:
    found = number(value)
    return round(found * 8 / 1_000_000, 2) if found is not None else None


# the InMageRcm fabric details' component lists (``RcmProxyDetails`` … ``DraDetails`` share these fields)
_COMPONENT_LISTS = (
    ("rcmProxies", ComponentKind.RCM_PROXY),
    ("pushInstallers", ComponentKind.PUSH_INSTALLER),
    ("replicationAgents", ComponentKind.REPLICATION_AGENT),
    ("reprotectAgents", ComponentKind.REPROTECT_AGENT),
    ("marsAgents", ComponentKind.MARS_AGENT),
    ("dras", ComponentKind.DRA),
)


def _components(details: dict[str, Any], fabric_id: str) -> tuple[ApplianceComponent, ...]:
    return tuple(
        ApplianceComponent(
            kind=kind,
            id=text(c.get("id")),
            name=text(c.get("name")),
            fabric_id=fabric_id,
            version=text(c.get("version")),
            health=health(c.get("health")),
            last_heartbeat=when(c.get("lastHeartbeatUtc")),
            health_errors=health_errors(c.get("healthErrors")),
        )
        for field, kind in _COMPONENT_LISTS
        for c in map(obj, seq(details.get(field)))
    )


@payload
def fabric(value: dict[str, Any]) -> tuple[Fabric, list[ProcessServer]]:
    """A fabric and the process servers its details list (appliance or configuration server)."""
    fabric_id = text(value.get("id"))
    props = obj(value.get("properties"))
    details = obj(props.get("customDetails"))
    instance = text(details.get("instanceType"))
    servers: list[ProcessServer] = []
    heartbeat: datetime | None = None
    version = ""
    agents: tuple[ReprotectAgent, ...] = ()
    targets: tuple[MasterTarget, ...] = ()
    components: tuple[ApplianceComponent, ...] = ()
    cert_expiry: datetime | None = None
    if instance.lower() == "inmagercm":
        kind = FabricKind.APPLIANCE
        components = _components(details, fabric_id)
        agents = tuple(
            ReprotectAgent(
                id=text(a.get("id")),
                name=text(a.get("name")),
                datastores=tuple(text(d) for d in seq(a.get("accessibleDatastores"))),
            )
            for a in map(obj, seq(details.get("reprotectAgents")))
        )
        for ps in map(obj, seq(details.get("processServers"))):
            ips = seq(ps.get("ipAddresses"))
            beat = when(ps.get("lastHeartbeatUtc"))
            heartbeat = max(filter(None, (heartbeat, beat)), default=None)
            version = version or text(ps.get("version"))
            servers.append(
                ProcessServer(
                    id=text(ps.get("id")),
                    name=text(ps.get("name")),
                    fabric_id=fabric_id,
                    ip_address=text(ips[0]) if ips else "",
                    health=health(ps.get("health")),
                    last_heartbeat=beat,
                    version=text(ps.get("version")),
                    cpu_percent=number(ps.get("processorUsagePercentage")),
                    memory_percent=number(ps.get("memoryUsagePercentage")),
                    free_space_percent=number(ps.get("freeSpacePercentage")),
                    throughput_mbps=_mbps(ps.get("throughputInBytes")),
                    protected_item_count=integer(ps.get("protectedItemCount")) or 0,
                    health_errors=health_errors(ps.get("healthErrors")),
                )
            )
    elif instance.lower() == "vmware":
        kind = FabricKind.CONFIGURATION_SERVER
        heartbeat = when(details.get("lastHeartbeat"))
        cert_expiry = when(details.get("sslCertExpiryDate"))
        targets = tuple(
            MasterTarget(
                id=text(t.get("id")),
                name=text(t.get("name")),
                retention_volumes=tuple(
                    text(obj(v).get("volumeName")) for v in seq(t.get("retentionVolumes"))
                ),
                datastores=tuple(text(obj(d).get("symbolicName")) for d in seq(t.get("dataStores"))),
            )
            for t in map(obj, seq(details.get("masterTargetServers")))
        )
        version = text(details.get("agentVersion"))
        for ps in map(obj, seq(details.get("processServers"))):
            total = number(ps.get("totalMemoryInBytes"))
            free_mem = number(ps.get("availableMemoryInBytes"))
            space = number(ps.get("totalSpaceInBytes"))
            free_space = number(ps.get("availableSpaceInBytes"))
            servers.append(
                ProcessServer(
                    id=text(ps.get("id")),
                    name=text(ps.get("friendlyName")),
                    fabric_id=fabric_id,
                    ip_address=text(ps.get("ipAddress")),
                    health=health(ps.get("health")),
                    last_heartbeat=when(ps.get("lastHeartbeat")),
                    version=text(ps.get("agentVersion")),
                    cpu_percent=number(ps.get("cpuLoad")),
                    memory_percent=round(100 * (1 - free_mem / total), 1)
                    if total and free_mem is not None
                    else None,
                    free_space_percent=round(100 * free_space / space, 1)
                    if space and free_space is not None
                    else None,
                    throughput_mbps=_mbps(ps.get("throughputInBytes")),
                    protected_item_count=integer(ps.get("replicationPairCount")) or 0,
                    health_errors=health_errors(ps.get("healthErrors")),
                    cert_expiry=when(ps.get("sslCertExpiryDate")),
                )
            )
    elif instance.lower() == "azure":
        kind = FabricKind.AZURE
    else:
        kind = FabricKind.OTHER
    record = Fabric(
        id=fabric_id,
        name=text(value.get("name")),
        friendly_name=text(props.get("friendlyName")),
        kind=kind,
        health=health(props.get("health")),
        last_heartbeat=heartbeat,
        server_version=version,
        location=text(value.get("location")),
        health_errors=health_errors(props.get("healthErrorDetails")),
        reprotect_agents=agents,
        master_targets=targets,
        components=components,
        cert_expiry=cert_expiry,
    )
    return record, servers


def vmware_site_id(value: dict[str, Any]) -> str:
    """The Azure Migrate VMware site an appliance's fabric discovers into ("" for other fabrics)."""
    return text(obj(obj(value.get("properties")).get("customDetails")).get("vmwareSiteId"))


@payload
def vcenter(value: dict[str, Any]) -> VCenterRegistration:
    vcenter_id = text(value.get("id"))
    props = obj(value.get("properties"))
    return VCenterRegistration(
        id=vcenter_id,
        name=text(props.get("friendlyName")) or text(value.get("name")),
        fabric_id=prefix_until(vcenter_id, "replicationvCenters"),
        address=text(props.get("ipAddress")),
        port=text(props.get("port")) or "443",
        discovery_status=text(props.get("discoveryStatus")),
        last_heartbeat=when(props.get("lastHeartbeat")),
        health_errors=health_errors(props.get("healthErrors")),
    )


@payload
def container(value: dict[str, Any]) -> ProtectionContainer:
    container_id = text(value.get("id"))
    props = obj(value.get("properties"))
    return ProtectionContainer(
        id=container_id,
        name=text(value.get("name")),
        fabric_id=prefix_until(container_id, "replicationProtectionContainers"),
        friendly_name=text(props.get("friendlyName")),
        fabric_type=text(props.get("fabricType")),
        protected_item_count=integer(props.get("protectedItemCount")) or 0,
    )


@payload
def mapping(value: dict[str, Any]) -> ContainerMapping:
    mapping_id = text(value.get("id"))
    props = obj(value.get("properties"))
    return ContainerMapping(
        id=mapping_id,
        name=text(value.get("name")),
        container_id=prefix_until(mapping_id, "replicationProtectionContainerMappings"),
        policy_id=text(props.get("policyId")),
        target_container_id=text(props.get("targetProtectionContainerId")),
        state=text(props.get("state")),
        health=health(props.get("health")),
        agent_auto_upgrade=_auto_upgrade(obj(props.get("providerSpecificDetails"))),
    )


def _auto_upgrade(details: dict[str, Any]) -> bool | None:
    value = text(details.get("enableAgentAutoUpgrade")).lower()
    return {"true": True, "false": False, "enabled": True, "disabled": False}.get(value)


@payload
def policy(value: dict[str, Any]) -> Policy:
    props = obj(value.get("properties"))
    details = obj(props.get("providerSpecificDetails"))
    instance = text(details.get("instanceType"))
    provider = provider_of(instance)
    if provider is Provider.INMAGE_RCM:
        settings = PolicySettings(
            recovery_point_history_minutes=integer(details.get("recoveryPointHistoryInMinutes")) or 0,
            app_consistent_frequency_minutes=integer(details.get("appConsistentFrequencyInMinutes")) or 0,
            crash_consistent_frequency_minutes=integer(details.get("crashConsistentFrequencyInMinutes")) or 5,
            rpo_threshold_minutes=None,
            multi_vm_sync=flag(details.get("enableMultiVmSync")),
        )
    elif provider is Provider.INMAGE_AZURE_V2:
        settings = PolicySettings(
            recovery_point_history_minutes=integer(details.get("recoveryPointHistory")) or 0,
            app_consistent_frequency_minutes=integer(details.get("appConsistentFrequencyInMinutes")) or 0,
            crash_consistent_frequency_minutes=integer(details.get("crashConsistentFrequencyInMinutes")) or 5,
            rpo_threshold_minutes=integer(details.get("recoveryPointThresholdInMinutes")),
            multi_vm_sync=flag(details.get("multiVmSyncStatus")),
        )
    else:
        # other providers: whichever of the common settings they carry
        settings = PolicySettings(
            recovery_point_history_minutes=integer(details.get("recoveryPointHistoryInMinutes")) or 0,
            app_consistent_frequency_minutes=integer(details.get("appConsistentFrequencyInMinutes")) or 0,
            crash_consistent_frequency_minutes=integer(details.get("crashConsistentFrequencyInMinutes")) or 5,
            rpo_threshold_minutes=integer(details.get("recoveryPointThresholdInMinutes")),
        )
    return Policy(
        id=text(value.get("id")),
        name=text(props.get("friendlyName")) or text(value.get("name")),
        provider=Provider.parse(instance),
        provider_name=instance,
        settings=settings,
    )


# --------------------------------------------------------------------------- points, plans, events


@payload
def recovery_point(value: dict[str, Any], item_id: str = "") -> RecoveryPoint:
    point_id = text(value.get("id"))
    props = obj(value.get("properties"))
    return RecoveryPoint(
        id=point_id,
        name=text(value.get("name")),
        item_id=item_id or prefix_until(point_id, "recoveryPoints"),
        time=when(props.get("recoveryPointTime")),
        type=text(props.get("recoveryPointType")),
        # InMageRcm and InMageAzureV2 report it as the string "true"/"false"
        multi_vm=flag(obj(props.get("providerSpecificDetails")).get("isMultiVmSyncPoint")),
    )


@payload
def recovery_plan(value: dict[str, Any]) -> RecoveryPlan:
    props = obj(value.get("properties"))
    item_ids = []
    for group in map(obj, seq(props.get("groups"))):
        for member in map(obj, seq(group.get("replicationProtectedItems"))):
            member_id = text(member.get("id"))
            if member_id:
                item_ids.append(member_id)
    return RecoveryPlan(
        id=text(value.get("id")),
        name=text(value.get("name")),
        friendly_name=text(props.get("friendlyName")),
        primary_fabric_id=text(props.get("primaryFabricId")),
        recovery_fabric_id=text(props.get("recoveryFabricId")),
        item_ids=tuple(item_ids),
        allowed_operations=tuple(text(op) for op in seq(props.get("allowedOperations"))),
        current_scenario=text(obj(props.get("currentScenario")).get("scenarioName")),
        last_test_failover=when(props.get("lastTestFailoverTime")),
    )


_SEVERITY = {"ok": "info", "information": "info", "warning": "warning", "critical": "error", "error": "error"}


@payload
def event(value: dict[str, Any]) -> Event:
    props = obj(value.get("properties"))
    errors = health_errors(props.get("healthErrors"))
    description = text(props.get("description"))
    if errors and errors[0].message and errors[0].message not in description:
        description = f"{description}: {errors[0].code} {errors[0].message}".strip(": ")
    return Event(
        id=text(value.get("id")) or text(value.get("name")),
        time=when(props.get("timeOfOccurrence")) or datetime.now(UTC),
        source=EventSource.ASR,
        message=description,
        severity=_SEVERITY.get(text(props.get("severity")).lower(), "info"),
        event_type=text(props.get("eventType")),
        entity_id=text(props.get("affectedObjectCorrelationId")) or text(props.get("fabricId")),
        entity_name=text(props.get("affectedObjectFriendlyName")),
    )
