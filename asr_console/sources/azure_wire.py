"""ARM wire JSON → the console's records, for the bulk reads (protected items, jobs).

A vault-wide refresh reads thousands of protected items and jobs; building the SDK's models for each
and reading them back attribute by attribute cost ~1 ms an item, ten times the HTTP itself. These
converters read the same wire JSON the models wrap (``model.as_dict()`` gives it back), so the model
converters in ``azure_convert`` delegate here: one mapping whichever way the JSON arrived.

Field names are the SDK models' REST names (2025-08-01); like ``azure_convert``, nothing here raises
on a missing or malformed field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from asr_console.model.records import (
    Health,
    HealthError,
    Job,
    JobError,
    JobTask,
    ProtectableItem,
    ProtectedItem,
    Provider,
)

_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_EMPTY: dict[str, Any] = {}


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else _EMPTY


def seq(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    if value.__class__ is str:
        return value
    return "" if value is None else str(value)


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


def integer(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "1", "enable", "enabled")


_TIMES: dict[str, datetime | None] = {}


def when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    # many items share a timestamp (one RPO computation, one heartbeat sweep): parse each once
    cached = _TIMES.get(value, _TIMES)
    if cached is not _TIMES:
        return cached  # type: ignore[return-value]  # the sentinel was ruled out above
    try:
        parsed: datetime | None = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if len(_TIMES) > 8_000:
        _TIMES.clear()
    _TIMES[value] = parsed
    return parsed


def prefix_until(arm_id: str, collection: str) -> str:
    index = arm_id.lower().find(f"/{collection.lower()}/")
    return arm_id[:index] if index >= 0 else ""


def uuid_in(value: str) -> str:
    found = _UUID.findall(value or "")
    return found[-1].lower() if found else ""


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
    )


def protected_item(value: dict[str, Any]) -> ProtectedItem:
    item_id = text(value.get("id"))
    props = obj(value.get("properties"))
    details = obj(props.get("providerSpecificDetails"))
    instance = text(details.get("instanceType"))
    provider = provider_of(instance)
    common: dict[str, Any] = {
        "id": item_id,
        "name": text(value.get("name")),
        "friendly_name": text(props.get("friendlyName")),
        "fabric_id": shared(prefix_until(item_id, "replicationProtectionContainers")),
        "container_id": shared(prefix_until(item_id, "replicationProtectedItems")),
        "provider": provider,
        "provider_name": shared(instance),
        "replication_health": health(props.get("replicationHealth")),
        "protection_state": stext(props.get("protectionState")),
        "protection_state_description": stext(props.get("protectionStateDescription")),
        "active_location": stext(props.get("activeLocation")),
        "current_scenario": stext(obj(props.get("currentScenario")).get("scenarioName")),
        "policy_id": stext(props.get("policyId")),
        "policy_name": stext(props.get("policyFriendlyName")),
        "test_failover_state": stext(props.get("testFailoverState")),
        "last_successful_test_failover": when(props.get("lastSuccessfulTestFailoverTime")),
        "last_successful_failover": when(props.get("lastSuccessfulFailoverTime")),
        "allowed_operations": shared(tuple(text(op) for op in seq(props.get("allowedOperations")))),
        "health_errors": health_errors(props.get("healthErrors")),
    }
    if provider is Provider.INMAGE_RCM:
        agent = obj(details.get("mobilityAgentDetails"))
        discovery = text(details.get("fabricDiscoveryMachineId"))
        common.update(
            rpo_seconds=integer(details.get("lastRpoInSeconds")),
            rpo_computed_at=when(details.get("lastRpoCalculatedTime")),
            last_recovery_point=when(details.get("lastRecoveryPointReceived")),
            initial_replication_percent=integer(details.get("initialReplicationProgressPercentage")),
            resync_required=flag(details.get("resyncRequired")),
            resync_progress_percent=integer(details.get("resyncProgressPercentage")),
            agent_version=stext(agent.get("version")),
            agent_latest_version=stext(agent.get("latestVersion")),
            agent_heartbeat=when(agent.get("lastHeartbeatUtc")),
            agent_upgradeable=flag(agent.get("isUpgradeable")),
            process_server_id=stext(details.get("processServerId")),
            process_server_name=stext(details.get("processServerName")),
            # Azure Migrate names the discovered machine "<vCenter>_<VM instance UUID>"
            source_instance_uuid=uuid_in(discovery.rsplit("/", 1)[-1]) or uuid_in(text(value.get("name"))),
            source_ip=text(details.get("primaryNicIpAddress")),
            os_type=stext(details.get("osType")),
            recovery_vm_name=text(details.get("targetVmName")),
            recovery_network_id=stext(details.get("targetNetworkId")),
            test_network_id=stext(details.get("testNetworkId")),
            recovery_resource_group_id=stext(details.get("targetResourceGroupId")),
        )
    elif provider is Provider.INMAGE_AZURE_V2:
        disks = seq(details.get("protectedDisks"))
        resync_required = any(flag(obj(d).get("resyncRequired")) for d in disks)
        ir_done = text(details.get("protectionStage")).lower() != "initialreplication"
        progress = integer(details.get("resyncProgressPercentage"))
        common.update(
            rpo_seconds=integer(details.get("rpoInSeconds")),
            rpo_computed_at=when(details.get("lastRpoCalculatedTime")),
            last_recovery_point=when(details.get("lastRecoveryPointReceived")),
            initial_replication_percent=100 if ir_done else progress,
            resync_required=resync_required,
            resync_progress_percent=progress if resync_required and ir_done else None,
            agent_version=stext(details.get("agentVersion")),
            agent_heartbeat=when(details.get("lastHeartbeat")),
            agent_upgradeable=flag(details.get("isAgentUpdateRequired")),
            process_server_id=stext(details.get("processServerId")),
            process_server_name=stext(details.get("processServerName")),
            # the Mobility service reports the machine's BIOS UUID as vmId
            source_bios_uuid=uuid_in(text(details.get("vmId"))),
            source_ip=text(details.get("ipAddress")),
            os_type=stext(details.get("osType")),
            recovery_vm_name=text(details.get("recoveryAzureVMName")),
            recovery_network_id=stext(details.get("selectedRecoveryAzureNetworkId")),
            test_network_id=stext(details.get("selectedTfoAzureNetworkId")),
            recovery_resource_group_id=stext(details.get("recoveryAzureResourceGroupId")),
        )
    else:
        # other providers: whatever common fields they carry, shown generically
        common.update(
            rpo_seconds=integer(details.get("lastRpoInSeconds")) or integer(details.get("rpoInSeconds")),
            last_recovery_point=when(details.get("lastRecoveryPointReceived")),
            os_type=stext(details.get("osType")),
        )
    return ProtectedItem(**common)


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
