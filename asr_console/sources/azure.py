"""``AzureRecoveryService``: ASR for one vault on the unmodified async SDK (API 2025-08-01).

Every read hands ``azure_wire`` the wire JSON. Single reads and the small lists use the SDK's operations
and the models' public ``as_dict()`` (the REST-keyed JSON the model wraps). The bulk lists (protected
items, protectable items, jobs) send a GET of the collection's ARM path through ``client.send_request``
(the SDK's pipeline: auth, retry, TLS) and follow ``nextLink`` as the SDK's pager does, converting each
page's JSON directly — building an SDK model per item cost ten times the HTTP. The client is pinned to
``API_VERSION``, which those requests carry too.

Writes start the operation with a polling method that only keeps the first answer, read the ASR job's
name from its ``Location`` / ``Azure-AsyncOperation`` header (the operation id is the job's name) and
return that job — the sync engine follows jobs, so nothing waits on a long-running operation here.
azure-core errors become ``sources.errors``; Retry-After is capped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
    map_error,
)
from azure.core.pipeline.policies import AsyncRetryPolicy
from azure.core.pipeline.transport import AioHttpTransport
from azure.core.polling import AsyncNoPolling
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat
from azure.mgmt.recoveryservicessiterecovery.aio import SiteRecoveryManagementClient

from asr_console.model.errors import (
    AuthError,
    Malformed,
    NotFound,
    OperationRejected,
    SourceError,
    Throttled,
    Unreachable,
)
from asr_console.model.listed import Listed
from asr_console.model.operations import Operation
from asr_console.sources.azure_operations import AsrOperations, ItemPath

if TYPE_CHECKING:
    from asr_console.model.prepare import PrepareStep
    from asr_console.model.targets import Permission, ResourceGroup, StorageAccount, VirtualNetwork
    from asr_console.sources.azure_resources import AzureTargets

PUBLIC_CLOUD_ARM = "https://management.azure.com"
# The REST API version the client and the bulk reads' own requests use; ``azure_wire`` reads its fields.
API_VERSION = "2025-08-01"
# Azure Migrate's VMware sites (Microsoft.OffAzure), where an appliance's discovered machines are listed
OFFAZURE_API_VERSION = "2020-01-01"
T = TypeVar("T")
# seconds one Prepare Azure create may take: ARM creates a group, network or storage account in about a
# minute, so ten is an operation that will not end
CREATE_WAIT = 600.0


class CappedRetryPolicy(AsyncRetryPolicy):  # type: ignore[type-arg]  # azure-core generic without params
    """azure-core honours Retry-After without a limit (ARM has asked for 900 s). Here a wait up to
    ``max_retry_after`` is taken inside the request; a longer one is not: the 429 goes back to the
    caller as ``Throttled`` with the wait ARM asked for, and the caller decides (a headless command
    gives up and says so, the console's streams wait together and show until when)."""

    def __init__(self, max_retry_after: float = 30.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_retry_after = max_retry_after

    def is_retry(self, settings: dict[str, Any], response: Any) -> bool:
        asked = super().get_retry_after(response)
        if asked is not None and float(asked) > self.max_retry_after:
            return False
        return bool(super().is_retry(settings, response))

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(float(value), self.max_retry_after)


class OneContextTransport(AioHttpTransport):  # type: ignore[misc]  # azure-core base typed as Any
    """The transport on one aiohttp session whose connector verifies with one SSLContext (the CA bundle's).

    Given a CA bundle path per request (``connection_verify``), azure-core builds a new SSLContext for
    every request, and aiohttp pools connections per context: each request then opened a new
    connection and TLS handshake. The client is then left verifying by default (``True``), which
    azure-core leaves to the session's connector, so the connection pool works; verification is
    unchanged. The session is made on ``open`` because aiohttp wants a running loop for it.
    """

    session: aiohttp.ClientSession | None

    def __init__(self, ca_bundle: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ca_bundle = ca_bundle

    async def open(self) -> None:
        if self.session is None:
            # a missing or unreadable bundle fails here, on the first request, as a connection error
            context = ssl.create_default_context(cafile=self.ca_bundle)
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=context),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=self._use_env_settings,
            )
        await super().open()


class _FirstAnswer(AsyncNoPolling):  # type: ignore[type-arg]  # azure-core generic without params
    """A polling method that keeps the operation's first response and never polls."""

    response: Any = None

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # azure-core leaves it unannotated

    def initialize(self, client: Any, initial_response: Any, deserialization_callback: Any) -> None:
        super().initialize(client, initial_response, deserialization_callback)
        self.response = initial_response


def http_settings_in_environment() -> bool:
    """Whether aiohttp's ``trust_env`` would find anything: a proxy variable or a netrc file.

    With ``trust_env`` aiohttp looks both up again for every request, each in a worker thread, and only
    then writes the request; the lookups find the same answer for the life of the process, so the
    transports ask for them only when the environment has something to say.
    """
    if urllib.request.getproxies():
        return True
    netrc = os.environ.get("NETRC")
    try:
        return (Path(netrc) if netrc else Path.home() / ".netrc").exists()
    except (RuntimeError, OSError):  # no home directory to look in: say yes and let aiohttp look
        return True


_LIST_ERRORS = {401: ClientAuthenticationError, 404: ResourceNotFoundError}


def job_name_from_headers(headers: Any) -> str:
    """The ASR job a write started, from the LRO's first answer: the segment after ``operationresults``
    in ``Location`` (as PowerShell reads it), else the last segment of ``Azure-AsyncOperation``. A
    202 may carry ``Location`` alone."""
    if headers is None:
        return ""
    location = str(headers.get("Location") or "").split("?", 1)[0]
    parts = [p for p in location.split("/") if p]
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "operationresults" or part.lower() == "replicationoperationresults":
            return parts[i + 1]
    status = str(headers.get("Azure-AsyncOperation") or "").split("?", 1)[0].rstrip("/")
    if status:
        return status.rsplit("/", 1)[-1]
    return parts[-1] if parts else ""


class AzureRecoveryService(AsrOperations):
    def __init__(
        self,
        *,
        subscription: str,
        resource_group: str,
        vault: str,
        credential: AsyncTokenCredential,
        arm_endpoint: str = PUBLIC_CLOUD_ARM,
        ca_bundle: str = "",
        polling_interval: float = 5.0,
        retry_total: int = 3,
        max_retry_after: float = 30.0,
        connection_timeout: float = 10.0,
        read_timeout: float = 30.0,
        name: str = "asr",
        **client_kwargs: Any,
    ) -> None:
        self.name = name
        self.subscription = subscription
        self.resource_group = resource_group
        self.vault_name = vault
        self._credential = credential
        endpoint = arm_endpoint.rstrip("/")
        # seconds, not azure-core's 300 s per attempt: a console must notice a silent endpoint
        timeouts = {"connection_timeout": connection_timeout, "read_timeout": read_timeout}
        use_env_settings = http_settings_in_environment()

        def options() -> dict[str, Any]:
            """One management client's keyword arguments: its own retry policy and transport."""
            retry = CappedRetryPolicy(
                max_retry_after=max_retry_after,
                retry_total=retry_total,
                retry_backoff_factor=0.5,
                retry_backoff_max=max_retry_after,
            )
            kwargs: dict[str, Any] = {
                "base_url": endpoint,
                "credential_scopes": [f"{endpoint}/.default"],
                "polling_interval": polling_interval,
                "retry_policy": retry,
            }
            if ca_bundle:
                # verification stays on (never False): against the bundle, in the transport's session
                kwargs["transport"] = OneContextTransport(
                    ca_bundle, use_env_settings=use_env_settings, **timeouts
                )
            else:
                kwargs["transport"] = AioHttpTransport(use_env_settings=use_env_settings, **timeouts)
            kwargs.update(client_kwargs)
            return kwargs

        kwargs = {**options(), "api_version": API_VERSION}
        self._options = options
        self._targets: AzureTargets | None = None
        self.client = SiteRecoveryManagementClient(credential, subscription, **kwargs)

    @property
    def targets(self) -> AzureTargets:
        """The target pickers' reads (resource groups, networks, storage), on the same options; made
        (and their module loaded) on first use: the read-only commands never make them."""
        if self._targets is None:
            from asr_console.sources.azure_resources import AzureTargets

            self._targets = AzureTargets(self._credential, self.subscription, self._options)
        return self._targets

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> AzureRecoveryService:
        from asr_console.sources.azure_auth import make_credential

        credential = make_credential(settings.auth, tenant=getattr(settings, "tenant", ""))
        return cls(
            subscription=settings.subscription,
            resource_group=settings.resource_group,
            vault=settings.vault,
            credential=credential,
            arm_endpoint=settings.arm_endpoint or PUBLIC_CLOUD_ARM,
            ca_bundle=settings.ca_bundle,
            **kwargs,
        )

    async def close(self) -> None:
        await self.client.close()
        if self._targets is not None:
            with contextlib.suppress(Exception):
                await self._targets.close()
        with contextlib.suppress(Exception):
            await self._credential.close()

    # ------------------------------------------------------------------ error mapping

    async def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        try:
            return await make()
        except Exception as exc:
            raise translate(exc) from exc

    async def _all(self, pages: Callable[[], AsyncIterator[T]]) -> list[T]:
        async def collect() -> list[T]:
            return [value async for value in pages()]

        return await self._call(collect)

    async def _wire_pages(self, first: HttpRequest) -> list[dict[str, Any]]:
        """Every ``value`` of a list operation's pages, as wire JSON, through the SDK's pipeline."""
        values: list[dict[str, Any]] = []
        async for page in self._wire_page_iter(first):
            values.extend(page)
        return values

    async def _wire_page_iter(
        self, first: HttpRequest, api_version: str = API_VERSION
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Each page's ``value`` of a list operation, as wire JSON, as it arrives.

        Next pages are requested as the SDK's pager does: the ``nextLink`` with its query kept and the
        client's api-version; non-200 answers raise the same azure-core errors the operation would.
        The next page is requested before this one is handed out, so the service prepares and sends it
        while the caller converts this one.
        """

        async def fetch(request: HttpRequest) -> tuple[list[dict[str, Any]], HttpRequest | None]:
            # streamed, so the pipeline's ContentDecodePolicy does not parse a body we parse below
            response = await self.client.send_request(request, stream=True)
            await response.read()
            if response.status_code != 200:
                map_error(status_code=response.status_code, response=response, error_map=_LIST_ERRORS)
                raise HttpResponseError(response=response, error_format=ARMErrorFormat)
            try:
                body = response.json()
            except ValueError:
                raise Malformed(f"ARM answered {request.url} with a body that is not JSON") from None
            page = body.get("value") if isinstance(body, dict) else None
            link = body.get("nextLink") if isinstance(body, dict) else None
            return page if isinstance(page, list) else [], self._next_page(
                link, api_version
            ) if link else None

        pending: asyncio.Task[tuple[list[dict[str, Any]], HttpRequest | None]] | None
        pending = asyncio.ensure_future(fetch(first))
        try:
            while pending is not None:
                page, request = await pending
                pending = asyncio.ensure_future(fetch(request)) if request is not None else None
                # one turn of the loop puts that request on the wire before the caller spends its
                # time converting this page (a task only starts when the current one yields)
                await asyncio.sleep(0)
                yield page
        finally:
            if pending is not None and not pending.done():
                # the caller stopped early (or failed): the page asked for ahead is not wanted
                pending.cancel()
                pending.add_done_callback(_consume)

    def _next_page(self, link: str, api_version: str = API_VERSION) -> HttpRequest:
        parsed = urllib.parse.urlparse(link)
        params: dict[str, Any] = {
            key: [urllib.parse.quote(v) for v in value]
            for key, value in urllib.parse.parse_qs(parsed.query).items()
            if key.lower() != "api-version"
        }
        params["api-version"] = api_version
        url = urllib.parse.urljoin(link, parsed.path)
        return HttpRequest("GET", url, headers={"Accept": "application/json"}, params=params)

    # ------------------------------------------------------------------ resource access

    @property
    def _rv(self) -> tuple[str, str]:
        return self.resource_group, self.vault_name

    def _list_request(self, path: str, **query: str) -> HttpRequest:
        """The first page of a vault collection: the GET the SDK's list operation sends (its path,
        relative to the client's endpoint, and the pinned API version)."""
        quote = urllib.parse.quote
        url = (
            f"/subscriptions/{quote(self.subscription)}/resourceGroups/{quote(self.resource_group)}"
            f"/providers/Microsoft.RecoveryServices/vaults/{quote(self.vault_name)}/{path}"
        )
        return HttpRequest(
            "GET", url, headers={"Accept": "application/json"}, params={"api-version": API_VERSION, **query}
        )

    async def _get(self, read: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
        """A single read's wire JSON: the SDK model's ``as_dict()``."""
        model = await self._call(read)
        return dict(model.as_dict())

    async def _listed(self, pages: Callable[[], AsyncIterator[Any]]) -> list[dict[str, Any]]:
        return [dict(model.as_dict()) for model in await self._all(pages)]

    async def _vault_health(self) -> dict[str, Any]:
        return await self._get(lambda: self.client.replication_vault_health.get(*self._rv))

    async def _fabrics(self) -> list[dict[str, Any]]:
        return await self._listed(lambda: self.client.replication_fabrics.list(*self._rv))

    async def _fabric(self, fabric: str) -> dict[str, Any]:
        return await self._get(lambda: self.client.replication_fabrics.get(*self._rv, fabric))

    async def _vcenters(self) -> list[dict[str, Any]]:
        return await self._listed(lambda: self.client.replicationv_centers.list(*self._rv))

    async def _containers(self) -> list[dict[str, Any]]:
        return await self._listed(lambda: self.client.replication_protection_containers.list(*self._rv))

    async def _mappings(self) -> list[dict[str, Any]]:
        return await self._listed(
            lambda: self.client.replication_protection_container_mappings.list(*self._rv)
        )

    async def _policies(self) -> list[dict[str, Any]]:
        return await self._listed(lambda: self.client.replication_policies.list(*self._rv))

    async def _policy(self, name: str) -> dict[str, Any]:
        return await self._get(lambda: self.client.replication_policies.get(*self._rv, name))

    async def _protectable_pages(self, fabric: str, container: str) -> AsyncIterator[list[dict[str, Any]]]:
        # Thousands per container: wire JSON through the SDK's pipeline, converted directly; the
        # pager's models would be built and thrown away for every one of them.
        path = (
            f"replicationFabrics/{urllib.parse.quote(fabric)}"
            f"/replicationProtectionContainers/{urllib.parse.quote(container)}/replicationProtectableItems"
        )
        async for page in self._translated_pages(self._list_request(path)):
            yield page

    async def _site_machine_pages(self, site_id: str) -> AsyncIterator[list[dict[str, Any]]]:
        # Microsoft.OffAzure has no Python SDK: its GET goes through the vault client's pipeline, with
        # the site's own api-version, on every page
        first = HttpRequest(
            "GET",
            urllib.parse.quote(site_id) + "/machines",
            headers={"Accept": "application/json"},
            params={"api-version": OFFAZURE_API_VERSION},
        )
        async for page in self._translated_pages(first, OFFAZURE_API_VERSION):
            yield page

    async def _item_pages(self) -> AsyncIterator[list[dict[str, Any]]]:
        async for page in self._translated_pages(self._list_request("replicationProtectedItems")):
            yield page

    async def _translated_pages(
        self, first: HttpRequest, api_version: str = API_VERSION
    ) -> AsyncIterator[list[dict[str, Any]]]:
        try:
            async for page in self._wire_page_iter(first, api_version):
                yield page
        except Exception as exc:
            raise translate(exc) from exc

    async def _item(self, path: ItemPath) -> dict[str, Any]:
        return await self._get(lambda: self.client.replication_protected_items.get(*self._rv, *path))

    async def _points(self, path: ItemPath) -> list[dict[str, Any]]:
        ops = self.client.recovery_points
        return await self._listed(lambda: ops.list_by_replication_protected_items(*self._rv, *path))

    async def _jobs(self, since: datetime | None) -> list[dict[str, Any]]:
        query = {"$filter": f"StartTime eq '{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"} if since else {}
        request = self._list_request("replicationJobs", **query)
        return await self._call(lambda: self._wire_pages(request))

    async def _compute_sizes(self, path: ItemPath) -> list[dict[str, Any]]:
        ops = self.client.target_compute_sizes
        return await self._listed(lambda: ops.list_by_replication_protected_items(*self._rv, *path))

    async def resource_groups(self) -> Listed[ResourceGroup]:
        return await self._call(self.targets.resource_groups)

    async def virtual_networks(self) -> Listed[VirtualNetwork]:
        return await self._call(self.targets.virtual_networks)

    async def storage_accounts(self) -> Listed[StorageAccount]:
        """The subscription's storage accounts (cache storage for enable and re-protect)."""
        return await self._call(self.targets.storage_accounts)

    async def permissions(self, scope_id: str) -> list[Permission]:
        return await self._call(lambda: self.targets.permissions(scope_id))

    async def provider_states(self) -> dict[str, str]:
        return await self._call(self.targets.provider_states)

    async def create_target(self, step: PrepareStep) -> str:
        # the console's Prepare Azure has no command deadline around it: a create whose operation never
        # ends must still end the wait (Azure may finish it later, so the user is told to look first)
        try:
            async with asyncio.timeout(CREATE_WAIT):
                return await self._call(lambda: self.targets.create(step))
        except TimeoutError:
            raise Unreachable(
                f"{step.describe()}: Azure did not finish the create within {CREATE_WAIT // 60:.0f} min; "
                "it may still complete: check the portal before trying again"
            ) from None

    async def storage_name_problem(self, name: str) -> str:
        return await self._call(lambda: self.targets.storage_name_problem(name))

    async def _job(self, name: str) -> dict[str, Any]:
        return await self._get(lambda: self.client.replication_jobs.get(*self._rv, name))

    async def _plans(self) -> list[dict[str, Any]]:
        return await self._listed(lambda: self.client.replication_recovery_plans.list(*self._rv))

    async def _events(self, since: datetime | None) -> list[dict[str, Any]]:
        # ASR's documented event filter fields are startTime, endTime, severity, eventType,
        # affectedObjectFriendlyName, fabricName… (as PowerShell's Get-AzRecoveryServicesAsrEvent sends
        # them); timeOfOccurrence is a property of an event, not a filter field
        query = f"StartTime eq '{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'" if since else None
        return await self._listed(lambda: self.client.replication_events.list(*self._rv, filter=query))

    async def _send(self, op: Operation, args: tuple[str, ...], body: dict[str, Any] | None) -> str:
        # The catalogue names the SDK operation group and method; its tests check that they exist and
        # take the body. The SDK's overloads take a model, a JSON mapping or bytes: bodies here are JSON.
        group = getattr(self.client, op.spec.sdk_operations)
        start: Callable[..., Awaitable[Any]] = getattr(group, op.spec.sdk_method)
        sent = (body,) if op.spec.input_model else ()
        capture = _FirstAnswer()
        await self._call(lambda: start(*self._rv, *args, *sent, polling=capture))
        response = capture.response.http_response if capture.response is not None else None
        name = job_name_from_headers(response.headers if response is not None else None)
        if not name:
            raise OperationRejected(f"ASR accepted {op.action} but named no job to follow")
        return name


def translate(exc: BaseException) -> Exception:
    """An azure-core / azure-identity exception as the console's ``SourceError``."""
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, DecodeError):
        return Malformed(_reason(exc, "ARM answered with a body that is not JSON"))
    if isinstance(exc, ClientAuthenticationError):
        return AuthError(_reason(exc, "credentials were rejected"))
    if isinstance(exc, ResourceNotFoundError):
        return NotFound(_reason(exc, "not found"))
    if isinstance(exc, HttpResponseError):
        status = exc.status_code or 0
        if status in (401, 403):
            return AuthError(_reason(exc, "access denied"))
        if status == 404:
            return NotFound(_reason(exc, "not found"))
        if status == 429:
            response: Any = exc.response
            retry = response.headers.get("Retry-After") if response is not None else None
            try:
                seconds = float(retry) if retry is not None else None
            except ValueError:
                seconds = None
            return Throttled(_reason(exc, "throttled by ARM"), retry_after=seconds)
        if status >= 500 or status == 0:
            return Unreachable(_reason(exc, f"ARM answered {status}"))
        code = exc.error.code if exc.error is not None and exc.error.code else ""
        return OperationRejected(_reason(exc, f"ARM refused the request ({status})"), code)
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return Unreachable(_reason(exc, "the ARM endpoint did not answer"))
    if isinstance(exc, OSError | TimeoutError):
        return Unreachable(str(exc) or type(exc).__name__)
    return exc if isinstance(exc, Exception) else RuntimeError(str(exc))


def _reason(exc: BaseException, fallback: str) -> str:
    if isinstance(exc, HttpResponseError) and exc.error is not None and exc.error.message:
        return f"{exc.error.code}: {exc.error.message}" if exc.error.code else exc.error.message
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text or fallback


def _consume(task: asyncio.Task[Any]) -> None:
    """Retrieve a page fetched ahead and not wanted, so its failure is not reported as unhandled."""
    if not task.cancelled():
        task.exception()
