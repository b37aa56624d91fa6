"""Every body the simulated site serves on a read endpoint deserializes with the SDK's models.

The site is put in many states first (replication, churn, a running and a finished test failover, a
failover awaiting commit, a failed job), then every GET route is walked over HTTPS with plain aiohttp:
lists (all pages) and a get of each kind. Each body is built as the SDK model the operation returns,
and every field is read back through the model: typed fields must come back typed (datetimes, numbers,
booleans), discriminated fields must resolve to a known subclass, and the key fields must be set.
"""

from __future__ import annotations

import datetime as dt
import ssl
import sys
import typing
from collections.abc import Callable
from typing import Any

import aiohttp
from azure.mgmt.recoveryservicessiterecovery import models as m

from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.clock import DEFAULT_EPOCH
from asr_console.sim.ids import API_VERSION
from tests.sdk_fields import SdkModel, rest_fields, subclasses

_SCALARS: dict[type, tuple[type, ...]] = {
    dt.datetime: (dt.datetime,),
    int: (int,),
    float: (float, int),
    bool: (bool,),
    str: (str,),
}


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The declared types of a model's fields (the SDK annotates with ``"_models.X"`` strings)."""
    if cls not in _HINTS:
        namespace = {"_models": m, "datetime": dt}
        _HINTS[cls] = {}
        for klass in reversed(cls.__mro__):
            module = vars(sys.modules[klass.__module__])
            for name, hint in vars(klass).get("__annotations__", {}).items():
                _HINTS[cls][name] = typing._eval_type(  # type: ignore[attr-defined]  # not in typeshed
                    typing.ForwardRef(hint) if isinstance(hint, str) else hint, {**module, **namespace}, None
                )
    return _HINTS[cls]


def _expected(hint: Any) -> tuple[type, ...] | None:
    """The scalar types a field annotated ``hint`` may hold, or None when not a plain scalar."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is typing.Union and len(args) == 1:
        hint = args[0]
    return _SCALARS.get(hint) if isinstance(hint, type) else None


def check_model(value: Any, where: str, problems: list[str]) -> None:
    """Read every field back through the model; collect what did not deserialize as declared."""
    cls = type(value)
    if subclasses(cls):  # a polymorphic base: the payload's discriminator matched none of its subtypes
        problems.append(f"{where}: unknown discriminator, left as {cls.__name__} {dict(value)}")
    hints = _hints(cls)
    for rest_name, attr in rest_fields(cls).items():
        if rest_name not in value:
            continue
        try:
            field_value = getattr(value, attr)
        except Exception as exc:
            problems.append(f"{where}.{attr}: {type(exc).__name__}: {exc}")
            continue
        check_value(field_value, hints.get(attr), f"{where}.{attr}", problems)


def check_value(value: Any, hint: Any, where: str, problems: list[str]) -> None:
    if value is None:
        return
    if isinstance(value, SdkModel):
        check_model(value, where, problems)
    elif isinstance(value, list):
        inner = typing.get_args(hint)
        element = typing.get_args(inner[0])[0] if inner and typing.get_args(inner[0]) else None
        for i, item in enumerate(value):
            check_value(item, element, f"{where}[{i}]", problems)
    else:
        allowed = _expected(hint)
        if allowed is not None and not (isinstance(value, allowed) and not _bool_as_number(value, allowed)):
            problems.append(f"{where}: {value!r} is not {allowed[0].__name__}")


def _bool_as_number(value: Any, allowed: tuple[type, ...]) -> bool:
    return isinstance(value, bool) and bool not in allowed


def resource(model: Any, where: str, problems: list[str]) -> None:
    """The fields every ASR resource carries."""
    for name in ("id", "name", "type"):
        if not getattr(model, name, None):
            problems.append(f"{where}: no {name}")
    if getattr(model, "properties", None) is None:
        problems.append(f"{where}: no properties")


def busy_site() -> SimEngine:
    engine = make_demo_site(vms=40, protected=30, seed=17, speed=0.0, provider="mixed", start=DEFAULT_EPOCH)
    engine.advance(2 * 3600)  # replication progress, churn, heartbeats, health errors

    def path(item: dict[str, Any]) -> tuple[str, str, str]:
        parts = item["id"].split("/")
        return (
            parts[parts.index("replicationFabrics") + 1],
            parts[parts.index("replicationProtectionContainers") + 1],
            item["name"],
        )

    def allowing(operation: str, provider: str) -> list[tuple[str, str, str]]:
        return [
            path(i)
            for i in engine.list_protected_items()
            if operation in i["properties"]["allowedOperations"]
            and i["properties"]["providerSpecificDetails"]["instanceType"] == provider
        ]

    network = {"properties": {"networkId": engine.scope.network_id("vnet-dr-test")}}
    for provider in ("InMageRcm", "InMageAzureV2"):
        candidates = allowing("TestFailover", provider)
        finished = engine.test_failover(*candidates[1], network)
        engine.run_until(lambda: engine.get_job(finished)["properties"]["state"] != "InProgress")  # noqa: B023
        engine.fail_next("TestFailover", "78169")
        engine.test_failover(*candidates[2], network)
    failover = allowing("UnplannedFailover", "InMageRcm")[-1]
    job = engine.unplanned_failover(
        *failover,
        {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "performShutdown": "true"}}},
    )
    engine.run_until(lambda: engine.get_job(job)["properties"]["state"] != "InProgress")
    engine.advance(600)
    for provider in ("InMageRcm", "InMageAzureV2"):
        engine.test_failover(*allowing("TestFailover", provider)[-1], network)  # left running
    return engine


async def walk(site: SiteEndpoint, session: aiohttp.ClientSession) -> dict[str, list[Any]]:
    """Every read route: path (relative to the vault) → the bodies it served (each page's values)."""
    vault = f"{site.arm_endpoint}/subscriptions/{site.subscription}/resourceGroups/{site.resource_group}"
    vault += f"/providers/Microsoft.RecoveryServices/vaults/{site.vault}"
    headers = {"Authorization": "Bearer t"}

    async def get(url: str) -> Any:
        joiner = "&" if "?" in url else "?"
        async with session.get(f"{url}{joiner}api-version={API_VERSION}", headers=headers) as response:
            assert response.status == 200, (url, response.status, await response.text())
            return await response.json()

    async def listed(relative: str) -> list[Any]:
        values: list[Any] = []
        url: str | None = f"{vault}{relative}?api-version={API_VERSION}"
        while url:
            async with session.get(url, headers=headers) as response:
                assert response.status == 200, (url, response.status)
                body = await response.json()
            values.extend(body["value"])
            url = body.get("nextLink")
        return values

    def rel(arm_id: str) -> str:
        return arm_id[arm_id.lower().index("/providers/microsoft.recoveryservices/vaults/") :].split("/", 5)[
            5
        ]

    served: dict[str, list[Any]] = {"vault_health": [await get(f"{vault}/replicationVaultHealth")]}
    for kind, collection in (
        ("fabric", "/replicationFabrics"),
        ("vcenter", "/replicationvCenters"),
        ("container", "/replicationProtectionContainers"),
        ("mapping", "/replicationProtectionContainerMappings"),
        ("policy", "/replicationPolicies"),
        ("protected_item", "/replicationProtectedItems"),
        ("job", "/replicationJobs"),
        ("plan", "/replicationRecoveryPlans"),
        ("event", "/replicationEvents"),
    ):
        values = await listed(collection)
        assert values, f"{collection} served nothing to check"
        # and a get of each kind that has one (its own id is its URL)
        gettable = kind not in ("vcenter", "container")
        served[kind] = values + ([await get(f"{vault}/{rel(values[0]['id'])}")] if gettable else [])
    for fabric in served["fabric"][:-1]:
        served["vcenter"] += await listed(f"/{rel(fabric['id'])}/replicationvCenters")
        served["container"] += await listed(f"/{rel(fabric['id'])}/replicationProtectionContainers")
    served["protectable_item"] = []
    for container in served["container"]:
        base = f"/{rel(container['id'])}"
        served["mapping"] += await listed(f"{base}/replicationProtectionContainerMappings")
        served["protected_item"] += await listed(f"{base}/replicationProtectedItems")
        protectable = await listed(f"{base}/replicationProtectableItems")
        served["protectable_item"] += protectable
        if protectable:
            served["protectable_item"].append(await get(f"{vault}/{rel(protectable[0]['id'])}"))
    served["recovery_point"] = []
    for item in served["protected_item"][:12]:
        points = await listed(f"/{rel(item['id'])}/recoveryPoints")
        served["recovery_point"] += points
        if points:
            served["recovery_point"].append(await get(f"{vault}/{rel(points[0]['id'])}"))
    return served


MODELS: dict[str, Callable[[Any], Any]] = {
    "vault_health": m.VaultHealthDetails,
    "fabric": m.Fabric,
    "vcenter": m.VCenter,
    "container": m.ProtectionContainer,
    "mapping": m.ProtectionContainerMapping,
    "policy": m.Policy,
    "protectable_item": m.ProtectableItem,
    "protected_item": m.ReplicationProtectedItem,
    "recovery_point": m.RecoveryPoint,
    "job": m.Job,
    "plan": m.RecoveryPlan,
    "event": m.Event,
}


async def test_every_served_body_deserializes_with_the_sdk_models() -> None:
    engine = busy_site()
    async with serve_site(engine, page_size=7) as site:
        context = ssl.create_default_context(cafile=site.ca_bundle)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
            served = await walk(site, session)
    assert set(served) == set(MODELS)
    problems: list[str] = []
    for kind, bodies in served.items():
        assert bodies, f"no {kind} served"
        for i, body in enumerate(bodies):
            model = MODELS[kind](body)
            check_model(model, f"{kind}[{i}]", problems)
            if kind != "vault_health":
                resource(model, f"{kind}[{i}]", problems)
    assert not problems, "\n".join(problems[:40])

    # the key typed fields the console reads, per kind; the models are read back dynamically (as
    # ``Any``): the SDK types every field Optional, and each one read here is asserted present
    items: list[Any] = [m.ReplicationProtectedItem(b) for b in served["protected_item"]]
    rcm = [
        i for i in items if isinstance(i.properties.provider_specific_details, m.InMageRcmReplicationDetails)
    ]
    classic = [
        i
        for i in items
        if isinstance(i.properties.provider_specific_details, m.InMageAzureV2ReplicationDetails)
    ]
    assert rcm and classic and len(rcm) + len(classic) == len(items)
    assert all(i.properties.replication_health in ("Normal", "Warning", "Critical") for i in items)
    assert all(isinstance(i.properties.allowed_operations, list) for i in items)
    assert any(i.properties.health_errors for i in items)
    assert any(
        isinstance(e.creation_time_utc, dt.datetime) for i in items for e in i.properties.health_errors
    )
    assert {i.properties.test_failover_state for i in items} >= {"None", "InProgress", "WaitingForCompletion"}
    replicating = [
        i.properties.provider_specific_details for i in rcm if i.properties.active_location == "Primary"
    ]
    assert any(isinstance(d.last_rpo_in_seconds, int) for d in replicating)
    assert any(isinstance(d.mobility_agent_details.last_heartbeat_utc, dt.datetime) for d in replicating)
    assert any(
        isinstance(d.rpo_in_seconds, int) for d in (i.properties.provider_specific_details for i in classic)
    )

    fabrics: list[Any] = [m.Fabric(b) for b in served["fabric"]]
    details = [f.properties.custom_details for f in fabrics]
    assert any(isinstance(d, m.InMageRcmFabricSpecificDetails) for d in details)
    assert any(isinstance(d, m.VMwareDetails) for d in details)
    for d in details:
        if isinstance(d, m.InMageRcmFabricSpecificDetails):
            assert d.process_servers and all(
                isinstance(p.last_heartbeat_utc, dt.datetime) for p in d.process_servers
            )

    policy_models: list[Any] = [m.Policy(b) for b in served["policy"]]
    policies = [p.properties.provider_specific_details for p in policy_models]
    assert any(isinstance(p, m.InMageRcmPolicyDetails) for p in policies)
    assert any(isinstance(p, m.InMageAzureV2PolicyDetails) for p in policies)

    jobs: list[Any] = [m.Job(b) for b in served["job"]]
    assert all(isinstance(j.properties.start_time, dt.datetime) for j in jobs)
    assert {j.properties.state for j in jobs} >= {"InProgress", "Succeeded", "Failed"}
    failed = [j for j in jobs if j.properties.state == "Failed" and j.properties.errors]
    assert failed and failed[0].properties.errors[0].service_error_details.code == "78169"
    assert any(t.state for j in jobs for t in j.properties.tasks or [])

    points: list[Any] = [m.RecoveryPoint(b) for b in served["recovery_point"]]
    assert points and all(isinstance(p.properties.recovery_point_time, dt.datetime) for p in points)
    events: list[Any] = [m.Event(b) for b in served["event"]]
    assert all(isinstance(e.properties.time_of_occurrence, dt.datetime) for e in events)
    health: Any = m.VaultHealthDetails(served["vault_health"][0])
    assert health.properties.protected_items_health is not None


def test_the_check_catches_untyped_values_and_unknown_discriminators() -> None:
    problems: list[str] = []
    check_model(m.Job({"properties": {"tasks": [{"startTime": "yesterday"}]}}), "job", problems)
    details = {"instanceType": "InMageRcm", "lastRpoInSeconds": "soon"}
    check_model(
        m.ReplicationProtectedItem({"properties": {"providerSpecificDetails": details}}), "rpi", problems
    )
    check_model(
        m.Policy({"properties": {"providerSpecificDetails": {"instanceType": "Nope"}}}), "policy", problems
    )
    assert problems == [
        "job.properties.tasks[0].start_time: 'yesterday' is not datetime",
        "rpi.properties.provider_specific_details.last_rpo_in_seconds: 'soon' is not int",
        "policy.properties.provider_specific_details: unknown discriminator,"
        " left as PolicyProviderSpecificDetails {'instanceType': 'Nope'}",
    ]
