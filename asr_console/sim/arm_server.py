"""The simulated site's ARM face: ASR's REST API (2025-08-01) over HTTPS on loopback.

The unmodified SDK drives it as it would drive management.azure.com: ARM ids, ``nextLink`` paging,
``api-version`` checked, ARM error bodies, long-running operations answered ``202`` with ``Location``,
``Azure-AsyncOperation`` and ``Retry-After`` pointing back here. The operation id is the ASR job's name,
as in ASR, so a client can read the job a write started from either header.

    async with serve_site(engine) as site:
        client = SiteRecoveryManagementClient(credential, site.subscription, base_url=site.arm_endpoint,
                                              connection_verify=site.ca_bundle, ...)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from asr_console.model.operations import Operation, Resource
from asr_console.sim.arm_resources import ArmResources
from asr_console.sim.engine import SimEngine
from asr_console.sim.errors import Rejected, SimError
from asr_console.sim.faults import Fault, Faults
from asr_console.sim.ids import API_VERSION
from asr_console.sim.jsonutil import iso
from asr_console.sim.tls import TlsFiles, make_certificates

log = logging.getLogger(__name__)

_NAME = r"([^/]+)"
_VAULT = (
    r"/subscriptions/"
    + _NAME
    + r"/resourceGroups/"
    + _NAME
    + r"/providers/Microsoft\.RecoveryServices/vaults/"
    + _NAME
)
# Azure Migrate's VMware site, where a modernized appliance's discovered machines are read from
_SITE_MACHINES = re.compile(
    r"/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.OffAzure/VMwareSites/([^/]+)/machines/?$",
    re.IGNORECASE,
)
OFFAZURE_API_VERSION = "2020-01-01"
_FABRIC = r"/replicationFabrics/" + _NAME
_CONTAINER = _FABRIC + r"/replicationProtectionContainers/" + _NAME
_ITEM = _CONTAINER + r"/replicationProtectedItems/" + _NAME

# The path (after the vault's) of each resource the console writes to
_RESOURCE_PATHS = {
    Resource.PROTECTED_ITEM: _ITEM,
    Resource.JOB: r"/replicationJobs/" + _NAME,
    Resource.POLICY: r"/replicationPolicies/" + _NAME,
    Resource.MAPPING: _CONTAINER + r"/replicationProtectionContainerMappings/" + _NAME,
}


def write_path(op: Operation) -> str:
    """The route pattern (after the vault's path) an operation of the catalogue is sent to."""
    spec = op.spec
    return _RESOURCE_PATHS[spec.resource] + (f"/{spec.path}" if spec.path else "")


Handler = Callable[["Request", tuple[str, ...]], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class Request:
    http: web.Request
    site: ArmSite

    async def body(self) -> Any:
        if not self.http.can_read_body:
            return {}
        try:
            return await self.http.json()
        except (json.JSONDecodeError, ValueError):
            raise SimError(400, "InvalidRequestContent", "The request content was invalid JSON.") from None


# A listed value, or how to render it when its page is asked for (so a first page does not wait on all).
Listed = dict[str, Any] | Callable[[], dict[str, Any]]


@dataclass(slots=True)
class _Snapshot:
    values: Sequence[Listed]
    created: float


@dataclass
class ArmSite:
    """The aiohttp application around one engine; ``serve_site`` runs it."""

    engine: SimEngine
    faults: Faults = field(default_factory=Faults)
    page_size: int = 100
    lro_retry_after: int = 1  # seconds the 202s ask clients to wait; 0 sends none
    # answer writes' 202s with ``Location`` alone (no ``Azure-AsyncOperation``), as some ASR operations do
    lro_location_only: bool = False
    base_url: str = ""
    requests: int = 0
    _routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    _snapshots: dict[str, _Snapshot] = field(default_factory=dict)
    _tokens: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._add_routes()

    # ------------------------------------------------------------------ plumbing

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024**2)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(_VAULT + pattern + r"/?$", re.IGNORECASE), handler))

    async def _dispatch(self, http: web.Request) -> web.StreamResponse:
        self.requests += 1
        fault = self.faults.next()
        if self.faults.latency:
            await asyncio.sleep(self.faults.latency)
        if fault is Fault.DROP:
            if http.transport is not None:
                http.transport.abort()
            raise asyncio.CancelledError  # aiohttp drops the connection without answering
        if fault is Fault.UNAUTHORIZED or not http.headers.get("Authorization", "").startswith("Bearer "):
            return _error(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid or has expired.",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if fault is Fault.THROTTLE:
            return _error(
                429,
                "TooManyRequests",
                "The request was throttled; retry after the interval given.",
                {"Retry-After": str(self.faults.retry_after)},
            )
        if fault is Fault.GARBAGE:
            return web.Response(
                status=200, text='{"value": [{"id": "/subscriptions/', content_type="application/json"
            )
        if fault is Fault.SERVER_ERROR:
            return _error(500, "InternalServerError", "An internal error occurred. Retry the operation.")
        if fault is Fault.UNAVAILABLE:
            return _error(
                503, "ServiceUnavailable", "The service is temporarily unavailable.", {"Retry-After": "1"}
            )
        machines = _SITE_MACHINES.match(http.path)
        if machines is not None:
            return self._site_machines(http, machines.group(1), machines.group(2), machines.group(3))
        resources = ArmResources(self.engine.scope, self.engine.state.targets)
        if resources.serves(http.method, http.path):
            answered = await self._resources(http, resources)
            if answered is not None:
                return answered
        if http.query.get("api-version") != API_VERSION:
            return _error(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{http.query.get('api-version', '')}' is invalid. "
                f"The supported version is '{API_VERSION}'.",
            )
        path = http.path
        matched_path = False
        for method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match is None:
                continue
            matched_path = True
            if method != http.method:
                continue
            sub, rg, vault, *args = match.groups()
            scope = self.engine.scope
            if sub.lower() != scope.subscription.lower():
                return _error(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
            if rg.lower() != scope.resource_group.lower():
                return _error(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
            if vault.lower() != scope.vault.lower():
                return _error(
                    404,
                    "ResourceNotFound",
                    f"The Resource 'Microsoft.RecoveryServices/vaults/{vault}' under resource group "
                    f"'{rg}' was not found.",
                )
            try:
                return await handler(Request(http, self), tuple(args))
            except Rejected as exc:
                return _error(400, exc.code, exc.message, details=exc.details(), target=exc.errors[0].field)
            except SimError as exc:
                return _error(exc.status, exc.code, exc.message)
        if matched_path:
            return _error(405, "MethodNotAllowed", f"The method {http.method} is not allowed here.")
        return _error(404, "NotFound", f"No route for {http.method} {path}.")

    async def _resources(self, http: web.Request, resources: ArmResources) -> web.Response | None:
        """Microsoft.Resources, .Network and .Storage (each has its own api-versions)."""
        api_version = http.query.get("api-version", "")
        body: Any = None
        if http.method in ("PUT", "POST", "PATCH"):
            try:
                body = await Request(http, self).body()
            except SimError as exc:
                return _error(exc.status, exc.code, exc.message)
        answered = resources.answer(http.method, http.path, body, self.base_url, api_version)
        if answered is None:
            return None
        if not api_version:
            return _error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
        status, payload, headers = answered
        if "Retry-After" in headers:
            # the site's LRO pace applies to these providers' operations too (0: none, as tests want)
            headers = {k: v for k, v in headers.items() if k != "Retry-After"}
            if self.lro_retry_after:
                headers["Retry-After"] = str(self.lro_retry_after)
        if status >= 400:
            error = payload.get("error", {})
            return _error(status, str(error.get("code", "")), str(error.get("message", "")), headers)
        if status == 202 and not payload:
            return web.Response(status=202, headers={"x-ms-request-id": "sim", **headers})
        return _json(payload, status=status, headers=headers)

    # ------------------------------------------------------------------ shapes

    def vault_url(self) -> str:
        return self.base_url + self.engine.scope.vault_id

    def _site_machines(self, http: web.Request, sub: str, rg: str, site: str) -> web.Response:
        if http.method != "GET":
            return _error(405, "MethodNotAllowed", f"The method {http.method} is not allowed here.")
        if http.query.get("api-version") != OFFAZURE_API_VERSION:
            return _error(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{http.query.get('api-version', '')}' is invalid. "
                f"The supported version is '{OFFAZURE_API_VERSION}'.",
            )
        scope = self.engine.scope
        if sub.lower() != scope.subscription.lower() or rg.lower() != scope.resource_group.lower():
            return _error(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        try:
            return self._page(
                Request(http, self),
                "machines",
                lambda: self.engine.site_machines(site),
                api_version=OFFAZURE_API_VERSION,
            )
        except SimError as exc:
            return _error(exc.status, exc.code, exc.message)

    def _page(
        self,
        request: Request,
        key: str,
        produce: Callable[[], Sequence[Listed]],
        api_version: str = API_VERSION,
    ) -> web.Response:
        """One page of a list; the first request snapshots the whole list so later pages are consistent."""
        token = request.http.query.get("skipToken") or request.http.query.get("$skiptoken")
        now = time.monotonic()
        for stale in [k for k, s in self._snapshots.items() if now - s.created > 300]:
            del self._snapshots[stale]
        offset = 0
        snap_id = ""
        if token:
            snap_id, _, start = token.partition(".")
            snapshot = self._snapshots.get(snap_id)
            if snapshot is None or not start.isdigit():
                return _error(
                    400, "InvalidSkipToken", "The skip token has expired; list again from the start."
                )
            values = snapshot.values
            offset = int(start)
        else:
            values = produce()
        served = self.faults.served
        page = [served(v if isinstance(v, dict) else v()) for v in values[offset : offset + self.page_size]]
        body: dict[str, Any] = {"value": page}
        if offset + self.page_size < len(values):
            if not snap_id:
                snap_id = f"{key}{next(self._tokens)}"
                self._snapshots[snap_id] = _Snapshot(values, now)
            body["nextLink"] = (
                f"{self.base_url}{request.http.path}?api-version={api_version}"
                f"&skipToken={quote(f'{snap_id}.{offset + self.page_size}')}"
            )
        elif snap_id:
            self._snapshots.pop(snap_id, None)
        return _json(body)

    def _accepted(self, job: str) -> web.Response:
        vault = self.vault_url()
        headers = {
            "Location": f"{vault}/replicationOperationResults/{job}?api-version={API_VERSION}",
        }
        if not self.lro_location_only:
            status = f"{vault}/replicationOperationStatus/{job}?api-version={API_VERSION}"
            headers["Azure-AsyncOperation"] = status
        if self.lro_retry_after:
            headers["Retry-After"] = str(self.lro_retry_after)
        return web.Response(status=202, headers=headers)

    # ------------------------------------------------------------------ routes

    def _add_routes(self) -> None:
        e = self.engine
        get = self._getter
        lst = self._lister
        self.route("GET", r"/replicationVaultHealth", get(lambda a: e.vault_health()))
        self.route("GET", r"/replicationFabrics", lst("fabrics", lambda r, a: e.list_fabrics()))
        self.route("GET", _FABRIC, get(lambda a: e.get_fabric(a[0])))
        self.route("GET", r"/replicationvCenters", lst("vcenters", lambda r, a: e.list_vcenters()))
        self.route(
            "GET", _FABRIC + r"/replicationvCenters", lst("vcenters", lambda r, a: e.list_vcenters(a[0]))
        )
        self.route(
            "GET", r"/replicationProtectionContainers", lst("containers", lambda r, a: e.list_containers())
        )
        self.route(
            "GET",
            _FABRIC + r"/replicationProtectionContainers",
            lst("containers", lambda r, a: e.list_containers(a[0])),
        )
        self.route(
            "GET", r"/replicationProtectionContainerMappings", lst("mappings", lambda r, a: e.list_mappings())
        )
        self.route(
            "GET",
            _CONTAINER + r"/replicationProtectionContainerMappings",
            lst("mappings", lambda r, a: e.list_mappings(a[0], a[1])),
        )
        self.route(
            "GET",
            _CONTAINER + r"/replicationProtectionContainerMappings/" + _NAME,
            get(lambda a: e.get_mapping(*a)),
        )
        self.route("GET", r"/replicationPolicies", lst("policies", lambda r, a: e.list_policies()))
        self.route("GET", r"/replicationPolicies/" + _NAME, get(lambda a: e.get_policy(a[0])))
        self.route(
            "GET",
            _CONTAINER + r"/replicationProtectableItems",
            lst("protectable", lambda r, a: e.protectable_snapshot(*a)),
        )
        self.route(
            "GET",
            _CONTAINER + r"/replicationProtectableItems/" + _NAME,
            get(lambda a: e.get_protectable_item(*a)),
        )
        self.route(
            "GET", r"/replicationProtectedItems", lst("items", lambda r, a: e.protected_item_snapshot())
        )
        self.route(
            "GET",
            _CONTAINER + r"/replicationProtectedItems",
            lst("items", lambda r, a: e.protected_item_snapshot(*a)),
        )
        self.route("GET", _ITEM, get(lambda a: e.get_protected_item(*a)))
        self.route("GET", _ITEM + r"/targetComputeSizes", lst("sizes", lambda r, a: self._compute_sizes(a)))
        self.route("GET", _ITEM + r"/recoveryPoints", lst("points", lambda r, a: e.list_recovery_points(*a)))
        self.route("GET", _ITEM + r"/recoveryPoints/" + _NAME, get(self._recovery_point))
        self.route("GET", r"/replicationJobs", lst("jobs", self._jobs))
        self.route("GET", r"/replicationJobs/" + _NAME, get(lambda a: e.get_job(a[0])))
        self.route("GET", r"/replicationRecoveryPlans", lst("plans", lambda r, a: e.list_recovery_plans()))
        self.route("GET", r"/replicationRecoveryPlans/" + _NAME, get(lambda a: e.get_recovery_plan(a[0])))
        self.route("GET", r"/replicationEvents", lst("events", self._events))
        self.route("GET", r"/replicationEvents/" + _NAME, get(self._event))
        self.route("GET", r"/replicationOperationStatus/" + _NAME, self._operation_status)
        self.route("GET", r"/replicationOperationResults/" + _NAME, self._operation_result)
        # The console's writes, at the paths the catalogue names. The engine checks each request by the
        # simulated site's own rules, never by the console's validation.
        writes: dict[Operation, Callable[[tuple[str, ...], Any], str]] = {
            Operation.CREATE_POLICY: lambda a, b: e.create_policy(a[0], b),
            Operation.UPDATE_POLICY: lambda a, b: e.update_policy(a[0], b),
            Operation.DELETE_POLICY: lambda a, b: e.delete_policy(a[0]),
            Operation.ASSOCIATE_POLICY: lambda a, b: e.create_mapping(a[0], a[1], a[2], b),
            Operation.DISSOCIATE_POLICY: lambda a, b: e.remove_mapping(a[0], a[1], a[2], b),
            Operation.UPDATE_MAPPING: lambda a, b: e.update_mapping(a[0], a[1], a[2], b),
            Operation.ENABLE_REPLICATION: lambda a, b: e.enable_protection(a[0], a[1], a[2], b),
            Operation.UPDATE_ITEM: lambda a, b: e.update_item(a[0], a[1], a[2], b),
            Operation.TEST_FAILOVER: lambda a, b: e.test_failover(a[0], a[1], a[2], b),
            Operation.TEST_FAILOVER_CLEANUP: lambda a, b: e.test_failover_cleanup(a[0], a[1], a[2], b),
            Operation.UNPLANNED_FAILOVER: lambda a, b: e.unplanned_failover(a[0], a[1], a[2], b),
            Operation.CHANGE_RECOVERY_POINT: lambda a, b: e.apply_recovery_point(a[0], a[1], a[2], b),
            Operation.COMMIT: lambda a, b: e.commit(*a),
            Operation.REPROTECT: lambda a, b: e.reprotect(a[0], a[1], a[2], b),
            Operation.FAILBACK: lambda a, b: e.planned_failover(a[0], a[1], a[2], b),
            Operation.PURGE: lambda a, b: e.purge(*a),
            Operation.UPDATE_MOBILITY_SERVICE: lambda a, b: e.update_mobility_service(a[0], a[1], a[2], b),
            Operation.RESYNC: lambda a, b: e.repair_replication(*a),
            Operation.DISABLE_REPLICATION: lambda a, b: e.disable_protection(a[0], a[1], a[2], b),
            Operation.CANCEL_JOB: lambda a, b: e.cancel_job(a[0]),
            Operation.RESTART_JOB: lambda a, b: e.restart_job(a[0]),
        }
        for op, start in writes.items():
            self.route(op.spec.http_method, write_path(op), self._writer(start))

    def _getter(self, produce: Callable[[tuple[str, ...]], dict[str, Any]]) -> Handler:
        async def handler(request: Request, args: tuple[str, ...]) -> web.StreamResponse:
            return _json(self.faults.served(produce(args)))

        return handler

    def _lister(self, key: str, produce: Callable[[Request, tuple[str, ...]], Sequence[Listed]]) -> Handler:
        async def handler(request: Request, args: tuple[str, ...]) -> web.StreamResponse:
            return self._page(request, key, lambda: produce(request, args))

        return handler

    def _writer(self, start: Callable[[tuple[str, ...], Any], str]) -> Handler:
        async def handler(request: Request, args: tuple[str, ...]) -> web.StreamResponse:
            body = await request.body()
            job = start(args, body)
            log.info("%s %s → job %s", request.http.method, request.http.path.rsplit("/", 2)[-2:], job)
            return self._accepted(job)

        return handler

    def _compute_sizes(self, args: tuple[str, ...]) -> list[dict[str, Any]]:
        item = self.engine.get_protected_item(args[0], args[1], args[2])
        return ArmResources(self.engine.scope, self.engine.state.targets).compute_sizes(str(item["id"]))

    def _recovery_point(self, args: tuple[str, ...]) -> dict[str, Any]:
        for value in self.engine.list_recovery_points(args[0], args[1], args[2]):
            if value["name"].lower() == args[3].lower():
                return value
        raise SimError(404, "NotFound", f"Recovery point '{args[3]}' was not found.")

    def _event(self, args: tuple[str, ...]) -> dict[str, Any]:
        for value in self.engine.list_events():
            if value["name"].lower() == args[0].lower():
                return value
        raise SimError(404, "NotFound", f"Event '{args[0]}' was not found.")

    def _jobs(self, request: Request, args: tuple[str, ...]) -> list[dict[str, Any]]:
        terms = _filter_terms(request.http.query.get("$filter", ""))
        since = _parse_time(terms.get("starttime", ""))
        return self.engine.list_jobs(since=since, state=terms.get("jobstatus") or None)

    def _events(self, request: Request, args: tuple[str, ...]) -> list[dict[str, Any]]:
        terms = _filter_terms(request.http.query.get("$filter", ""))
        unknown = sorted(set(terms) - set(EVENT_FILTER_FIELDS))
        if unknown:
            shown = ", ".join(EVENT_FILTER_FIELDS.values())
            raise SimError(
                400, "InvalidFilter", f"'{unknown[0]}' is not an event filter field (use {shown})."
            )
        events = self.engine.list_events(since=_parse_time(terms.get("starttime", "")))
        until = iso(_parse_time(terms.get("endtime", ""))) or ""
        wanted = {
            EVENT_FILTER_FIELDS[k]: v.lower() for k, v in terms.items() if k not in ("starttime", "endtime")
        }

        def value(props: dict[str, Any], key: str) -> str:
            text = str(props.get(key) or "").lower()
            return text.rstrip("/").rsplit("/", 1)[-1] if key == "fabricId" else text

        return [
            event
            for event in events
            if not (until and event["properties"]["timeOfOccurrence"] > until)
            and all(value(event["properties"], k) == v for k, v in wanted.items())
        ]

    async def _operation_status(self, request: Request, args: tuple[str, ...]) -> web.StreamResponse:
        job = args[0]
        status, _ = self.engine.operation(job)
        data = self.engine.get_job(job)["properties"]
        body: dict[str, Any] = {
            "id": f"{self.engine.scope.vault_id}/replicationOperationStatus/{job}",
            "name": job,
            "status": status,
            "startTime": data.get("startTime"),
        }
        if status != "InProgress":
            body["endTime"] = data.get("endTime") or iso(self.engine.now)
        if status == "Failed":
            errors = data.get("errors") or []
            detail = (errors[0].get("serviceErrorDetails") if errors else None) or {}
            body["error"] = {
                "code": detail.get("code", "JobFailed"),
                "message": detail.get("message", "The job failed."),
            }
        headers = (
            {"Retry-After": str(self.lro_retry_after)}
            if self.lro_retry_after and status == "InProgress"
            else {}
        )
        return _json(body, headers=headers)

    async def _operation_result(self, request: Request, args: tuple[str, ...]) -> web.StreamResponse:
        job = args[0]
        status, body = self.engine.operation(job)
        if status == "InProgress":
            return self._accepted(job)
        if status == "Failed":
            data = self.engine.get_job(job)["properties"]
            errors = data.get("errors") or []
            detail = (errors[0].get("serviceErrorDetails") if errors else None) or {}
            return _error(400, detail.get("code", "JobFailed"), detail.get("message", "The job failed."))
        return _json(body if body is not None else {})


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, separators=(",", ":")),
        content_type="application/json",
        headers={"x-ms-request-id": "sim", **(headers or {})},
    )


def _error(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    details: list[dict[str, Any]] | None = None,
    target: str = "",
) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if target:
        error["target"] = target
    if details:
        error["details"] = details
    return _json({"error": error}, status=status, headers={"x-ms-error-code": code, **(headers or {})})


# The fields ASR documents for filtering replication events (lower-cased term → event property);
# startTime and endTime bound timeOfOccurrence.
EVENT_FILTER_FIELDS = {
    "starttime": "startTime",
    "endtime": "endTime",
    "severity": "severity",
    "eventtype": "eventType",
    "eventcode": "eventCode",
    "affectedobjectfriendlyname": "affectedObjectFriendlyName",
    "affectedobjectcorrelationid": "affectedObjectCorrelationId",
    "fabricname": "fabricId",
}

_TERM = re.compile(r"(\w+)\s+(?:eq|ge|gt)\s+'([^']*)'", re.IGNORECASE)


def _filter_terms(text: str) -> dict[str, str]:
    """ASR's OData filters (``StartTime eq '…' and JobStatus eq 'InProgress'``) as lower-cased terms."""
    return {name.lower(): value for name, value in _TERM.findall(text)}


def _parse_time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SimError(400, "InvalidFilter", f"Cannot read the time '{text}' in $filter.") from None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@dataclass(frozen=True, slots=True)
class SiteEndpoint:
    """Where a client finds the served site: what ``asr-console simulate`` prints first."""

    arm_endpoint: str
    ca_bundle: str
    subscription: str
    resource_group: str
    vault: str
    site: ArmSite

    def connection(self) -> dict[str, str]:
        return {
            "arm_endpoint": self.arm_endpoint,
            "ca_bundle": self.ca_bundle,
            "subscription": self.subscription,
            "resource_group": self.resource_group,
            "vault": self.vault,
        }


@contextlib.asynccontextmanager
async def serve_site(
    engine: SimEngine,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: Faults | None = None,
    page_size: int = 100,
    lro_retry_after: int = 1,
    directory: Path | None = None,
) -> AsyncIterator[SiteEndpoint]:
    """Serve ``engine`` over HTTPS until the block exits."""
    with contextlib.ExitStack() as stack:
        if directory is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asr-sim-")))
        tls: TlsFiles = make_certificates(directory)
        site = ArmSite(
            engine, faults=faults or Faults(), page_size=page_size, lro_retry_after=lro_retry_after
        )
        runner = web.AppRunner(site.app(), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            tcp = web.TCPSite(runner, host, port, ssl_context=tls.server_context())
            await tcp.start()
            server: Any = tcp._server
            sockets = server.sockets if server is not None else []
            bound = sockets[0].getsockname()[1] if sockets else port
            shown = f"[{host}]" if ":" in host else host
            site.base_url = f"https://{shown}:{bound}"
            yield SiteEndpoint(
                arm_endpoint=site.base_url,
                ca_bundle=str(tls.ca_pem),
                subscription=engine.scope.subscription,
                resource_group=engine.scope.resource_group,
                vault=engine.scope.vault,
                site=site,
            )
        finally:
            await runner.cleanup()


@contextlib.asynccontextmanager
async def serve_site_in_thread(
    engine: SimEngine, *, stop_within: float = 10.0, **options: Any
) -> AsyncIterator[SiteEndpoint]:
    """``serve_site`` on an event loop of its own, in a daemon thread: Azure is another process, so a
    measure of the caller's loop (the fault suite's loop lag) must not count the site's own work.

    The engine is then driven from that thread only; the caller reads counters (``site.requests``) and
    sets ``Faults``, which are plain attributes."""
    import threading

    loop = asyncio.new_event_loop()
    ready: asyncio.Future[SiteEndpoint] = asyncio.get_running_loop().create_future()
    caller = asyncio.get_running_loop()
    stop = asyncio.Event()  # bound to ``loop`` on first use, inside the thread

    def hand_over(result: SiteEndpoint | BaseException) -> None:
        if ready.done():
            return
        if isinstance(result, BaseException):
            ready.set_exception(result)
        else:
            ready.set_result(result)

    async def serve() -> None:
        try:
            async with serve_site(engine, **options) as endpoint:
                caller.call_soon_threadsafe(hand_over, endpoint)
                await stop.wait()
        except BaseException as exc:  # the caller is waiting on ``ready``: give it the reason
            caller.call_soon_threadsafe(hand_over, exc)
            raise

    def run() -> None:
        with contextlib.suppress(BaseException):
            loop.run_until_complete(serve())
        loop.close()

    thread = threading.Thread(target=run, name="asr-sim-site", daemon=True)
    thread.start()
    try:
        yield await asyncio.wait_for(ready, stop_within)
    finally:
        loop.call_soon_threadsafe(stop.set)
        await asyncio.to_thread(thread.join, stop_within)
