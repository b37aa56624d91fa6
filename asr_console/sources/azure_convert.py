"""SDK models → the console's records. Used by the Azure source and, over the same wire JSON, by the
in-process simulated source, so both show a vault the same way.

Every function tolerates what real vaults hold: other providers (Hyper-V, A2A) are kept generically,
absent fields become defaults, and a malformed value never raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from azure.mgmt.recoveryservicessiterecovery import models as m

from asr_console.model.records import (
    ContainerMapping,
    Event,
    EventSource,
    Fabric,
    FabricKind,
    Health,
    HealthError,
    Job,
    Policy,
    PolicySettings,
    ProcessServer,
    ProtectableItem,
    ProtectedItem,
    ProtectionContainer,
    Provider,
    RecoveryPlan,
    RecoveryPoint,
    Vault,
    VCenterRegistration,
)
from asr_console.sources import azure_wire as wire

T = TypeVar("T")


def _get(obj: Any, *path: str) -> Any:
    """``obj.a.b.c`` that yields None on any missing or undeserializable step."""
    for name in path:
        if obj is None:
            return None
        try:
            obj = getattr(obj, name)
        except Exception:
            return None
    return obj


def _str(value: Any) -> str:
    if value is None:
        return ""
    # the SDK hands known values back as str enums, whose str() is "Severity.ERROR"
    return str(value.value) if isinstance(value, Enum) else str(value)


def _int(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(float(value))
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "1", "enable", "enabled")


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


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


def safe_map(convert: Callable[[Any], T], values: Iterable[Any]) -> list[T]:
    """Convert each; one bad entry is skipped rather than losing the whole list."""
    out: list[T] = []
    for value in values:
        try:
            out.append(convert(value))
        except Exception:  # a vault can hold shapes no one has seen; never lose the rest
            continue
    return out


# --------------------------------------------------------------------------- health errors


def health_errors(values: Any) -> tuple[HealthError, ...]:
    return wire.health_errors([wire_of(v) for v in _list(values)])


# --------------------------------------------------------------------------- vault and infrastructure


def vault(health: m.VaultHealthDetails, subscription: str, resource_group: str, name: str) -> Vault:
    vault_id = prefix_until(_str(health.id), "replicationVaultHealth") or (
        f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.RecoveryServices/vaults/{name}"
    )
    items = _get(health, "properties", "protected_items_health")
    fabrics = _get(health, "properties", "fabrics_health")

    def counted(summary: Any, severities: tuple[str, ...]) -> int:
        counts = _get(summary, "categorized_resource_counts")
        if isinstance(counts, dict):
            return sum(int(v) for k, v in counts.items() if k.lower() in severities)
        ids: set[str] = set()
        for issue in _list(_get(summary, "issues")):
            if _str(_get(issue, "severity")).lower() in severities:
                ids.update(_list(_get(issue, "affected_resource_correlation_ids")))
        return len(ids)

    return Vault(
        id=vault_id,
        name=name,
        subscription=subscription,
        resource_group=resource_group,
        location=_str(_get(health, "location")),
        protected_items_critical=counted(items, ("critical", "error")),
        protected_items_warning=counted(items, ("warning",)),
        fabrics_critical=counted(fabrics, ("critical", "error")),
        health_errors=health_errors(_get(health, "properties", "vault_errors")),
    )


def fabric(value: m.Fabric) -> tuple[Fabric, list[ProcessServer]]:
    fabric_id = _str(value.id)
    details = _get(value, "properties", "custom_details")
    instance = _str(_get(details, "instance_type"))
    servers: list[ProcessServer] = []
    heartbeat: datetime | None = None
    version = ""
    if isinstance(details, m.InMageRcmFabricSpecificDetails):
        kind = FabricKind.APPLIANCE
        for ps in _list(_get(details, "process_servers")):
            ips = _list(_get(ps, "ip_addresses"))
            hb = _time(_get(ps, "last_heartbeat_utc"))
            heartbeat = max(filter(None, (heartbeat, hb)), default=None)
            version = version or _str(_get(ps, "version"))
            servers.append(
                ProcessServer(
                    id=_str(_get(ps, "id")),
                    name=_str(_get(ps, "name")),
                    fabric_id=fabric_id,
                    ip_address=_str(ips[0]) if ips else "",
                    health=Health.parse(_get(ps, "health")),
                    last_heartbeat=hb,
                    version=_str(_get(ps, "version")),
                    cpu_percent=_float(_get(ps, "processor_usage_percentage")),
                    memory_percent=_float(_get(ps, "memory_usage_percentage")),
                    free_space_percent=_float(_get(ps, "free_space_percentage")),
                    throughput_mbps=_mbps(_get(ps, "throughput_in_bytes")),
                    protected_item_count=_int(_get(ps, "protected_item_count")) or 0,
                    health_errors=health_errors(_get(ps, "health_errors")),
                )
            )
    elif isinstance(details, m.VMwareDetails):
        kind = FabricKind.CONFIGURATION_SERVER
        heartbeat = _time(_get(details, "last_heartbeat"))
        version = _str(_get(details, "agent_version"))
        for ps in _list(_get(details, "process_servers")):
            total = _float(_get(ps, "total_memory_in_bytes"))
            free_mem = _float(_get(ps, "available_memory_in_bytes"))
            space = _float(_get(ps, "total_space_in_bytes"))
            free_space = _float(_get(ps, "available_space_in_bytes"))
            servers.append(
                ProcessServer(
                    id=_str(_get(ps, "id")),
                    name=_str(_get(ps, "friendly_name")),
                    fabric_id=fabric_id,
                    ip_address=_str(_get(ps, "ip_address")),
                    health=Health.parse(_get(ps, "health")),
                    last_heartbeat=_time(_get(ps, "last_heartbeat")),
                    version=_str(_get(ps, "agent_version")),
                    cpu_percent=_float(_get(ps, "cpu_load")),
                    memory_percent=round(100 * (1 - free_mem / total), 1)
                    if total and free_mem is not None
                    else None,
                    free_space_percent=round(100 * free_space / space, 1)
                    if space and free_space is not None
                    else None,
                    throughput_mbps=_mbps(_get(ps, "throughput_in_bytes")),
                    protected_item_count=_int(_get(ps, "replication_pair_count")) or 0,
                    health_errors=health_errors(_get(ps, "health_errors")),
                )
            )
    elif instance.lower() == "azure":
        kind = FabricKind.AZURE
    else:
        kind = FabricKind.OTHER
    record = Fabric(
        id=fabric_id,
        name=_str(value.name),
        friendly_name=_str(_get(value, "properties", "friendly_name")),
        kind=kind,
        health=Health.parse(_get(value, "properties", "health")),
        last_heartbeat=heartbeat,
        server_version=version,
        location=_str(_get(value, "location")),
        health_errors=health_errors(_get(value, "properties", "health_error_details")),
    )
    return record, servers


def _mbps(value: Any) -> float | None:
    number = _float(value)
    return round(number * 8 / 1_000_000, 2) if number is not None else None


def vcenter(value: m.VCenter) -> VCenterRegistration:
    vcenter_id = _str(value.id)
    return VCenterRegistration(
        id=vcenter_id,
        name=_str(_get(value, "properties", "friendly_name")) or _str(value.name),
        fabric_id=prefix_until(vcenter_id, "replicationvCenters"),
        address=_str(_get(value, "properties", "ip_address")),
        port=_str(_get(value, "properties", "port")) or "443",
        discovery_status=_str(_get(value, "properties", "discovery_status")),
        last_heartbeat=_time(_get(value, "properties", "last_heartbeat")),
        health_errors=health_errors(_get(value, "properties", "health_errors")),
    )


def container(value: m.ProtectionContainer) -> ProtectionContainer:
    container_id = _str(value.id)
    return ProtectionContainer(
        id=container_id,
        name=_str(value.name),
        fabric_id=prefix_until(container_id, "replicationProtectionContainers"),
        friendly_name=_str(_get(value, "properties", "friendly_name")),
        fabric_type=_str(_get(value, "properties", "fabric_type")),
        protected_item_count=_int(_get(value, "properties", "protected_item_count")) or 0,
    )


def mapping(value: m.ProtectionContainerMapping) -> ContainerMapping:
    mapping_id = _str(value.id)
    return ContainerMapping(
        id=mapping_id,
        name=_str(value.name),
        container_id=prefix_until(mapping_id, "replicationProtectionContainerMappings"),
        policy_id=_str(_get(value, "properties", "policy_id")),
        target_container_id=_str(_get(value, "properties", "target_protection_container_id")),
        state=_str(_get(value, "properties", "state")),
        health=Health.parse(_get(value, "properties", "health")),
    )


def policy(value: m.Policy) -> Policy:
    details = _get(value, "properties", "provider_specific_details")
    instance = _str(_get(details, "instance_type"))
    if isinstance(details, m.InMageRcmPolicyDetails):
        settings = PolicySettings(
            recovery_point_history_minutes=_int(details.recovery_point_history_in_minutes) or 0,
            app_consistent_frequency_minutes=_int(details.app_consistent_frequency_in_minutes) or 0,
            crash_consistent_frequency_minutes=_int(details.crash_consistent_frequency_in_minutes) or 5,
            rpo_threshold_minutes=None,
            multi_vm_sync=_bool(details.enable_multi_vm_sync),
        )
    elif isinstance(details, m.InMageAzureV2PolicyDetails):
        settings = PolicySettings(
            recovery_point_history_minutes=_int(details.recovery_point_history) or 0,
            app_consistent_frequency_minutes=_int(details.app_consistent_frequency_in_minutes) or 0,
            crash_consistent_frequency_minutes=_int(details.crash_consistent_frequency_in_minutes) or 5,
            rpo_threshold_minutes=_int(details.recovery_point_threshold_in_minutes),
            multi_vm_sync=_bool(details.multi_vm_sync_status),
        )
    else:
        history = _int(_get(details, "recovery_point_history_in_minutes"))
        if history is None:
            hours = _int(_get(details, "recovery_point_history_duration"))
            history = hours * 60 if hours is not None else None
        settings = PolicySettings(
            recovery_point_history_minutes=history or 0,
            app_consistent_frequency_minutes=_int(_get(details, "app_consistent_frequency_in_minutes")) or 0,
            crash_consistent_frequency_minutes=_int(_get(details, "crash_consistent_frequency_in_minutes"))
            or 5,
            rpo_threshold_minutes=_int(_get(details, "recovery_point_threshold_in_minutes")),
        )
    return Policy(
        id=_str(value.id),
        name=_str(_get(value, "properties", "friendly_name")) or _str(value.name),
        provider=Provider.parse(instance),
        provider_name=instance,
        settings=settings,
    )


# --------------------------------------------------------------------------- items


def protectable_item(value: m.ProtectableItem | dict[str, Any]) -> ProtectableItem:
    return wire.protectable_item(wire_of(value))


def wire_of(value: Any) -> dict[str, Any]:
    """The wire JSON of an SDK model (or a wire dict as is)."""
    if isinstance(value, dict):
        return value
    as_dict = getattr(value, "as_dict", None)
    return as_dict() if callable(as_dict) else {}


def protected_item(value: m.ReplicationProtectedItem | dict[str, Any]) -> ProtectedItem:
    return wire.protected_item(wire_of(value))


def recovery_point(value: m.RecoveryPoint, item_id: str = "") -> RecoveryPoint:
    point_id = _str(value.id)
    return RecoveryPoint(
        id=point_id,
        name=_str(value.name),
        item_id=item_id or prefix_until(point_id, "recoveryPoints"),
        time=_time(_get(value, "properties", "recovery_point_time")),
        type=_str(_get(value, "properties", "recovery_point_type")),
    )


# --------------------------------------------------------------------------- jobs, plans, events


def job(value: m.Job | dict[str, Any]) -> Job:
    return wire.job(wire_of(value))


def recovery_plan(value: m.RecoveryPlan) -> RecoveryPlan:
    props = _get(value, "properties")
    item_ids = []
    for group in _list(_get(props, "groups")):
        for member in _list(_get(group, "replication_protected_items")):
            member_id = _str(_get(member, "id"))
            if member_id:
                item_ids.append(member_id)
    return RecoveryPlan(
        id=_str(value.id),
        name=_str(value.name),
        friendly_name=_str(_get(props, "friendly_name")),
        primary_fabric_id=_str(_get(props, "primary_fabric_id")),
        recovery_fabric_id=_str(_get(props, "recovery_fabric_id")),
        item_ids=tuple(item_ids),
        allowed_operations=tuple(_str(op) for op in _list(_get(props, "allowed_operations"))),
        current_scenario=_str(_get(props, "current_scenario", "scenario_name")),
        last_test_failover=_time(_get(props, "last_test_failover_time")),
    )


_SEVERITY = {"ok": "info", "information": "info", "warning": "warning", "critical": "error", "error": "error"}


def event(value: m.Event) -> Event:
    props = _get(value, "properties")
    errors = health_errors(_get(props, "health_errors"))
    description = _str(_get(props, "description"))
    if errors and errors[0].message and errors[0].message not in description:
        description = f"{description}: {errors[0].code} {errors[0].message}".strip(": ")
    return Event(
        id=_str(value.id) or _str(value.name),
        time=_time(_get(props, "time_of_occurrence")) or datetime.now(UTC),
        source=EventSource.ASR,
        message=description,
        severity=_SEVERITY.get(_str(_get(props, "severity")).lower(), "info"),
        event_type=_str(_get(props, "event_type")),
        entity_id=_str(_get(props, "affected_object_correlation_id")) or _str(_get(props, "fabric_id")),
        entity_name=_str(_get(props, "affected_object_friendly_name")),
    )
