# pyVmomi ships py.typed but its generated data-object constructors and connect helpers are unannotated.
# mypy: disable-error-code="no-untyped-call"
"""The vCenter ``InventorySource`` on pyvmomi: one ContainerView, one PropertyCollector filter, deltas.

How it reads:
1. Light pass: ``RetrievePropertiesEx`` over a ContainerView of the whole inventory, VMs with their
   light properties only. Returned as replacements: the store then holds exactly what vCenter holds.
2. State pass: the one persistent filter is created — structure properties, and for VMs only name,
   parent, power state and host (``summary.runtime``) and three change markers (``VM_WATCHED``) — and
   its initial ``WaitForUpdatesEx("")`` state read page by page in later ``changes()`` calls. Objects
   that vanished since the light pass are removed.
3. Details pass: the rest of every VM (configuration, devices, guest networking: ``VM_REFRESH``) by
   ``RetrievePropertiesEx`` pages over the view; VMs become ``details_loaded``. Then ``synced``.
4. Deltas: ``WaitForUpdatesEx(version)`` from then on, applied to a property cache and turned into
   upserts and removals of only the records that changed. A VM that appears, or whose marker moved
   (``DETAIL_TRIGGERS``), has the rest re-read by one batched ``RetrievePropertiesEx`` in the same
   call, so its record changes once, complete.

Why the filter is so small: a PropertyCollector pays on every change for what its filters name.
govmomi's simulator re-collects every filtered path of every object (and tests every PropertySpec's
type against every object) by reflection on each update anywhere in the inventory, ~5 updates per
task. Measured as simulator CPU per power operation at 10,000 VMs: the old filter (whole light record
and devices, one spec per type) 1.7–1.9 s; this one ~0.8 s, of which name and parent (fields of the
embedded ManagedEntity, slow to reflect) are ~0.45 s and the three markers ~0.1 s.

pyvmomi blocks, so every call runs on a small dedicated thread pool, never on the event loop. A
connection or session failure drops the session and raises ``Unreachable`` (the sync engine marks the
source stale and backs off); the next call logs in again, recreates the view and filter (they belong
to the session) and resynchronises from version "" with replacements, so nothing is duplicated or lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import logging
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import VmomiSupport, vim, vmodl

from asr_console.model.backoff import Backoff
from asr_console.model.errors import AuthError, SourceError, Unreachable
from asr_console.model.privileges import PrivilegeReport, evaluate, privilege_ids
from asr_console.model.protocols import VCenterInfo
from asr_console.model.records import ChurnSample, Event, EventSource, Kind, Record
from asr_console.model.store import Batch
from asr_console.sources.vmware_records import (
    DETAIL_TRIGGERS,
    DEVICES,
    INVENTORY_KINDS,
    KIND_OF_TYPE,
    RUNTIME,
    STRUCTURAL,
    STRUCTURE_PROPS,
    VIEW_TYPES,
    VM_DETAILS,
    VM_LIGHT,
    VM_REFRESH_LIGHT,
    VM_WATCHED,
    CachedObject,
    fold_runtime,
    plain,
    records,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

PC = vmodl.query.PropertyCollector


class BadURL(SourceError):
    """The vCenter URL cannot be used (scheme, host or port)."""


class UntrustedCertificate(Unreachable):
    """The endpoint's TLS certificate did not verify and --insecure was not given."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    scheme: str
    host: str
    port: int
    path: str
    user: str = ""
    password: str = ""

    @property
    def display(self) -> str:
        """The URL without credentials, for messages and logs."""
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}"


def parse_url(url: str) -> Endpoint:
    """``vc01``, ``https://vc01/sdk``, ``http://127.0.0.1:8989/sdk`` or govc's ``https://user:pw@vc01``."""
    text = (url or "").strip()
    if not text:
        raise BadURL("no vCenter URL: pass --vcenter URL or set GOVC_URL")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadURL(f"bad vCenter URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise BadURL(f"bad vCenter URL {url!r}: scheme must be https (or http for a simulator)")
    if not parts.hostname:
        raise BadURL(f"bad vCenter URL {url!r}: no host")
    path = parts.path if parts.path not in ("", "/") else "/sdk"
    return Endpoint(
        scheme=scheme,
        host=parts.hostname,
        port=port or (443 if scheme == "https" else 80),
        path=path,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def _is_connection_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError | http.client.HTTPException | EOFError)


def _is_session_error(exc: BaseException) -> bool:
    return isinstance(
        exc, vim.fault.NotAuthenticated | vmodl.fault.ManagedObjectNotFound | vmodl.fault.RequestCanceled
    )


def _fault_text(exc: BaseException) -> str:
    msg = getattr(exc, "msg", None)
    text = str(msg) if msg else str(exc)
    text = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return text


@dataclass(slots=True)
class _Session:
    si: Any
    generation: int
    user: str


class VCenterInventory:
    """A vCenter watched incrementally (``InventorySource``).

    ``url`` may carry govc-style credentials; ``user``/``password`` win over them. ``insecure`` accepts
    any certificate; ``cafile`` adds a CA bundle to the system trust store. ``timeout`` is the socket
    timeout for ordinary calls; ``WaitForUpdatesEx`` waits at most ``max_wait_cap`` seconds and its
    socket allows that much more. The password is kept only in this object and never logged or shown.
    """

    def __init__(
        self,
        url: str,
        user: str = "",
        password: str = "",
        insecure: bool = False,
        *,
        cafile: str | None = None,
        timeout: float = 30.0,
        max_wait_cap: float = 60.0,
        page_size: int = 1000,
        details: bool = True,
        churn_history: int = 30,
        churn_samples: int = 15,
        keepalive: float = 300.0,
        event_page: int = 200,
        name: str = "vcenter",
    ) -> None:
        self.endpoint = parse_url(url)
        self.user = user or self.endpoint.user
        self._password = password or self.endpoint.password
        self.insecure = insecure
        self.cafile = cafile
        self.timeout = timeout
        self.max_wait_cap = max_wait_cap
        self.page_size = page_size
        self.details = details
        self.churn_history = churn_history
        self.churn_samples = churn_samples
        self.keepalive = keepalive
        self.event_page = event_page
        self.name = name

        self._executor = ThreadPoolExecutor(max_workers=3, thread_name_prefix="pyvmomi")
        self._session_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._session: _Session | None = None
        self._generation = 0
        self._last_call = 0.0
        self._connect_backoff = Backoff(base=0.5, cap=15.0)
        self._next_connect_at = 0.0
        self._last_connect_error: SourceError | None = None
        self._closed = False
        self.info: VCenterInfo | None = None

        # inventory state (touched by the changes() thread; read by churn() under the cache lock)
        self._objects: dict[str, CachedObject] = {}
        self._filter_generation = -1
        self._pc: Any = None
        self._view: Any = None
        self._version = ""
        self._phase = "state"  # (light pass) → state → details → deltas
        self._state_seen: set[str] = set()
        self._details_token: str | None = None  # None: the details pass has not asked its first page
        self._pending: dict[str, None] = {}  # VMs whose details must be re-read, oldest first
        self.synced = False  # the details pass finished at least once; deltas flow

        # events and churn
        self._events_generation = -1
        self._event_collector: Any = None
        self._last_event_key = -1
        self._churn_generation = -1
        self._write_counter: int | None = None
        self._churn: dict[str, dict[datetime, float]] = {}

    def __repr__(self) -> str:
        return f"VCenterInventory({self.endpoint.display!r}, user={self.user!r}, insecure={self.insecure})"

    @property
    def url(self) -> str:
        return self.endpoint.display

    # ------------------------------------------------------------------ threads

    async def _call(self, func: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise SourceError(f"vCenter {self.url}: source closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, func, *args)

    # ------------------------------------------------------------------ session

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.endpoint.scheme != "https":
            return None
        if self.insecure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=self.cafile)

    def _login(self) -> _Session:
        ep = self.endpoint
        if not self.user or not self._password:
            raise AuthError(
                f"vCenter {ep.display}: no credentials (pass --user and set GOVC_PASSWORD, or GOVC_USERNAME)"
            )
        where = f"{ep.host}:{ep.port}"
        try:
            si = SmartConnect(
                protocol=ep.scheme,
                host=ep.host,
                port=ep.port,
                path=ep.path,
                user=self.user,
                pwd=self._password,
                sslContext=self._ssl_context(),
                disableSslCertValidation=self.insecure,
                httpConnectionTimeout=self.timeout + self.max_wait_cap,
            )
        except vim.fault.InvalidLogin:
            raise AuthError(
                f"vCenter {ep.display}: wrong user name or password (user {self.user!r})"
            ) from None
        except vim.fault.NoPermission as exc:
            raise AuthError(
                f"vCenter {ep.display}: user {self.user!r} may not log in ({_fault_text(exc)})"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise UntrustedCertificate(
                f"vCenter {ep.display}: certificate not trusted ({exc.verify_message}); "
                "pass --insecure (or set GOVC_INSECURE=1) to accept a self-signed certificate"
            ) from None
        except ssl.SSLError as exc:
            raise Unreachable(f"vCenter {ep.display}: TLS handshake failed ({exc.reason or exc})") from None
        except socket.gaierror:
            raise Unreachable(f"vCenter {ep.display}: cannot resolve host {ep.host!r}") from None
        except ConnectionRefusedError:
            raise Unreachable(f"vCenter {ep.display}: connection refused by {where}") from None
        except TimeoutError:
            raise Unreachable(f"vCenter {ep.display}: no answer from {where} (timed out)") from None
        except OSError as exc:
            raise Unreachable(
                f"vCenter {ep.display}: cannot connect to {where} ({exc.strerror or exc})"
            ) from None
        except vmodl.MethodFault as exc:
            raise SourceError(f"vCenter {ep.display}: login failed ({_fault_text(exc)})") from None
        except Exception as exc:  # pyvmomi raises bare exceptions for non-vSphere endpoints
            raise Unreachable(
                f"vCenter {ep.display}: not a vSphere API endpoint ({_fault_text(exc)})"
            ) from None
        self._generation += 1
        about = si.content.about
        self.info = VCenterInfo(
            url=ep.display,
            version=str(about.version or ""),
            api_version=str(about.apiVersion or ""),
            instance_uuid=str(about.instanceUuid or ""),
        )
        log.info("vCenter %s: logged in as %s (%s)", ep.display, self.user, about.fullName)
        return _Session(si=si, generation=self._generation, user=self.user)

    def _ensure(self) -> _Session:
        """The current session, logging in (with backoff between failed attempts) when there is none."""
        with self._session_lock:
            session = self._session
            now = time.monotonic()
            if session is not None:
                if now - self._last_call > self.keepalive:
                    # vCenter drops idle sessions (~30 min); a cheap call keeps it and proves it alive.
                    try:
                        session.si.CurrentTime()
                    except Exception as exc:
                        self._session = None
                        raise self._lost(exc) from None
                self._last_call = now
                return session
            if now < self._next_connect_at and self._last_connect_error is not None:
                raise self._last_connect_error
            try:
                session = self._login()
            except SourceError as exc:
                self._last_connect_error = exc
                self._next_connect_at = now + self._connect_backoff.next()
                raise
            self._connect_backoff.reset()
            self._last_connect_error = None
            self._session = session
            self._last_call = now
            return session

    def _drop(self, session: _Session) -> None:
        with self._session_lock:
            if self._session is session:
                self._session = None
        with contextlib.suppress(Exception):
            Disconnect(session.si)

    def _lost(self, exc: BaseException) -> Unreachable:
        reason = (
            _fault_text(exc)
            if not isinstance(exc, OSError)
            else (exc.strerror or str(exc) or type(exc).__name__)
        )
        return Unreachable(f"vCenter {self.url}: connection lost ({reason}); reconnecting")

    def _guarded(self, session: _Session, func: Callable[[], T]) -> T:
        """Run ``func``; a connection or session failure drops the session and becomes ``Unreachable``."""
        try:
            return func()
        except SourceError:
            raise
        except Exception as exc:
            if self._closed:
                raise SourceError(f"vCenter {self.url}: source closed") from None
            if _is_connection_error(exc) or _is_session_error(exc):
                log.warning("vCenter %s: session lost: %s", self.url, _fault_text(exc))
                self._drop(session)
                raise self._lost(exc) from None
            if isinstance(exc, vim.fault.NoPermission):
                raise AuthError(f"vCenter {self.url}: permission denied ({_fault_text(exc)})") from None
            if isinstance(exc, vmodl.MethodFault):
                raise SourceError(f"vCenter {self.url}: {_fault_text(exc)}") from None
            raise

    async def connect(self) -> VCenterInfo:
        await self._call(self._ensure)
        assert self.info is not None
        return self.info

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        session = self._session
        self._session = None
        if session is not None:

            def logout() -> None:
                with contextlib.suppress(Exception):
                    if self._pc is not None:
                        self._pc.CancelWaitForUpdates()
                with contextlib.suppress(Exception):
                    Disconnect(session.si)

            # A WaitForUpdatesEx may hold a pool thread; log out from a fresh one.
            thread = threading.Thread(target=logout, name="pyvmomi-logout", daemon=True)
            thread.start()
            await asyncio.get_running_loop().run_in_executor(None, thread.join, self.timeout)
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ inventory

    async def changes(self, max_wait: float) -> Batch:
        return await self._call(self._changes, max_wait)

    def _changes(self, max_wait: float) -> Batch:
        session = self._ensure()
        return self._guarded(session, lambda: self._changes_in(session, max_wait))

    def _changes_in(self, session: _Session, max_wait: float) -> Batch:
        if self._filter_generation != session.generation:
            return self._light_pass(session)
        if self._phase == "state":
            return self._state_page()
        if self._phase == "details":
            return self._details_page()
        return self._deltas(session, max_wait)

    def _object_spec(self, view: Any) -> Any:
        traversal = PC.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)
        return PC.ObjectSpec(obj=view, skip=True, selectSet=[traversal])

    def _prop_specs(self, vm_paths: list[str]) -> list[Any]:
        specs = [PC.PropertySpec(type=t, pathSet=paths) for t, paths in STRUCTURE_PROPS.items()]
        specs.append(PC.PropertySpec(type=vim.VirtualMachine, pathSet=vm_paths))
        return specs

    def _light_pass(self, session: _Session) -> Batch:
        content = session.si.content
        view = content.viewManager.CreateContainerView(content.rootFolder, VIEW_TYPES, True)
        pc = content.propertyCollector.CreatePropertyCollector()
        spec = PC.FilterSpec(objectSet=[self._object_spec(view)], propSet=self._prop_specs(VM_LIGHT))
        fresh: dict[str, CachedObject] = {}
        result = pc.RetrievePropertiesEx(
            specSet=[spec], options=PC.RetrieveOptions(maxObjects=self.page_size)
        )
        while result is not None:
            for content_obj in result.objects:
                obj = content_obj.obj
                props = {prop.name: plain(prop.val) for prop in content_obj.propSet or ()}
                fresh[obj._moId] = CachedObject(type=obj._wsdlName, props=props)
            if not result.token:
                break
            result = pc.ContinueRetrievePropertiesEx(token=result.token)

        with self._cache_lock:
            # On a resync keep the devices we had until the details pass refreshes them: rows must not
            # lose their disks for a few seconds because the session dropped.
            for moref, obj in fresh.items():
                old = self._objects.get(moref)
                if old is not None and old.type == obj.type:
                    _keep_details(old, obj)
            self._objects = fresh
            built = records(fresh)

        watched = PC.FilterSpec(objectSet=[self._object_spec(view)], propSet=self._prop_specs(VM_WATCHED))
        pc.CreateFilter(watched, partialUpdates=False)
        self._pc, self._view = pc, view
        self._version = ""
        self._phase = "state"
        self._state_seen = set()
        self._details_token = None
        self._pending = {}
        self._filter_generation = session.generation

        batch = Batch()
        by_kind: dict[Kind, list[Record]] = {kind: [] for kind in INVENTORY_KINDS}
        for rec in built:
            by_kind[rec.KIND].append(rec)
        for kind, recs in by_kind.items():
            batch.replace(kind, recs)
        return batch

    def _wait(self, max_wait: float) -> Any:
        options = PC.WaitOptions(
            maxWaitSeconds=max(0, min(math.ceil(max_wait), int(self.max_wait_cap))),
            maxObjectUpdates=self.page_size,
        )
        return self._pc.WaitForUpdatesEx(self._version, options)

    def _state_page(self) -> Batch:
        result = self._wait(0)
        batch = Batch()
        if result is not None:
            self._version = result.version
            removals, touched = self._apply_updates(result, full_state=True)
            batch = self._build(removals, touched)
            if result.truncated:
                return batch
        # The filter's initial state is complete: whatever it did not mention is gone.
        with self._cache_lock:
            gone = [m for m in self._objects if m not in self._state_seen]
            for moref in gone:
                obj = self._objects.pop(moref)
                kind = KIND_OF_TYPE.get(obj.type)
                if kind is not None:
                    batch.remove(kind, moref)
        self._state_seen = set()
        if self.details:
            self._phase = "details"
        else:
            self._phase = "deltas"  # the light pass read what the filter does not carry
            self.synced = True
        return batch

    @property
    def _refresh_paths(self) -> list[str]:
        return VM_REFRESH_LIGHT + VM_DETAILS if self.details else VM_REFRESH_LIGHT

    def _details_spec(self, objects: list[Any]) -> Any:
        return PC.FilterSpec(
            objectSet=objects,
            propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=self._refresh_paths)],
            # a VM destroyed since its marker moved is left out instead of failing the whole read
            reportMissingObjectsInResults=True,
        )

    def _details_page(self) -> Batch:
        """One page of the rest of every VM (``VM_REFRESH``); the last one ends the initial sync."""
        pc = self._pc
        token, self._details_token = self._details_token, None  # a failed read starts the pass again
        if token is None:
            spec = self._details_spec([self._object_spec(self._view)])
            result = pc.RetrievePropertiesEx(
                specSet=[spec], options=PC.RetrieveOptions(maxObjects=self.page_size)
            )
        else:
            result = pc.ContinueRetrievePropertiesEx(token=token)
        touched = self._store_details(result.objects if result is not None else ())
        token = result.token if result is not None else None
        if token:
            self._details_token = token
        else:
            self._phase = "deltas"
            self.synced = True
        return self._build(Batch(), touched)

    def _deltas(self, session: _Session, max_wait: float) -> Batch:
        removals, touched = Batch(), set[str]()
        # A backlog of details (more VMs moved at once than one read takes) is worked off before waiting.
        result = None if self._pending else self._wait(max_wait)
        if result is not None:
            self._version = result.version
            removals, touched = self._apply_updates(result, full_state=False)
        if self._pending:
            touched |= self._load_details(session)
        return self._build(removals, touched)

    def _load_details(self, session: _Session) -> set[str]:
        """The rest (``VM_REFRESH``) of up to a page of the pending VMs, in one batched read."""
        morefs = list(self._pending)[: self.page_size]
        for moref in morefs:
            del self._pending[moref]
        stub = session.si._stub
        spec = self._details_spec(
            [PC.ObjectSpec(obj=vim.VirtualMachine(m, stub), skip=False) for m in morefs]
        )
        found: list[Any] = []
        result = self._pc.RetrievePropertiesEx(
            specSet=[spec], options=PC.RetrieveOptions(maxObjects=self.page_size)
        )
        while result is not None:
            found.extend(result.objects)
            if not result.token:
                break
            result = self._pc.ContinueRetrievePropertiesEx(token=result.token)
        return self._store_details(found)

    def _store_details(self, contents: Iterable[Any]) -> set[str]:
        touched: set[str] = set()
        with self._cache_lock:
            for content_obj in contents:
                moref = content_obj.obj._moId
                obj = self._objects.get(moref)
                if obj is None or obj.type != "VirtualMachine" or content_obj.missingSet:
                    continue  # gone already (its leave comes with the deltas), or not readable
                values = {prop.name: plain(prop.val) for prop in content_obj.propSet or ()}
                for path in self._refresh_paths:
                    if path in values:
                        obj.props[path] = values[path]
                    else:
                        obj.props.pop(path, None)  # unset, e.g. no guest networking while powered off
                if self.details:
                    obj.props.setdefault(DEVICES, ())  # read: the record has its details, even if none
                touched.add(moref)
        return touched

    def _build(self, batch: Batch, touched: set[str]) -> Batch:
        with self._cache_lock:
            built = records(self._objects, touched)
        return batch.upsert(*built)

    def _apply_updates(self, result: Any, full_state: bool) -> tuple[Batch, set[str]]:
        """Fold an update set into the cache: removals in a batch, and the morefs whose records changed."""
        batch = Batch()
        touched: set[str] = set()
        structural = False
        with self._cache_lock:
            objects = self._objects
            for filter_update in result.filterSet or ():
                for update in filter_update.objectSet or ():
                    moref = update.obj._moId
                    if update.kind == "leave":
                        old = objects.pop(moref, None)
                        touched.discard(moref)
                        self._pending.pop(moref, None)
                        if old is not None:
                            kind = KIND_OF_TYPE.get(old.type)
                            if kind is not None:
                                batch.remove(kind, moref)
                            structural = structural or old.type != "VirtualMachine"
                        continue
                    obj = objects.get(moref)
                    wsdl = update.obj._wsdlName
                    if obj is None or (update.kind == "enter" and full_state):
                        fresh = CachedObject(type=wsdl)
                        if obj is not None and obj.type == wsdl == "VirtualMachine":
                            # the filter carries only part of a VM; the details pass refreshes the rest
                            fresh.props.update(obj.props)
                        if obj is None and wsdl == "VirtualMachine" and not (full_state and self.details):
                            self._pending[moref] = None  # a new VM: read the rest of it now
                        obj = objects[moref] = fresh
                        if not full_state:
                            structural = structural or obj.type != "VirtualMachine"
                    is_vm = obj.type == "VirtualMachine"
                    for change in update.changeSet or ():
                        removed = change.op in ("remove", "indirectRemove")
                        if is_vm and change.name == RUNTIME:
                            if not removed and change.val is not None:
                                fold_runtime(obj.props, change.val)
                        elif is_vm and change.name in DETAIL_TRIGGERS:
                            if not full_state:  # (the details pass follows the initial state)
                                self._pending[moref] = None
                        elif removed:
                            obj.props.pop(change.name, None)
                        else:
                            obj.props[change.name] = plain(change.val)
                        if not is_vm and change.name in STRUCTURAL:
                            structural = True
                    if full_state:
                        self._state_seen.add(moref)
                    touched.add(moref)
            if structural and not full_state:
                # A folder, host or network moved or was renamed: other records may name it.
                touched.update(m for m, o in objects.items() if KIND_OF_TYPE.get(o.type) is not None)
        return batch, touched

    # ------------------------------------------------------------------ events

    async def events(self) -> list[Event]:
        return await self._call(self._events)

    def _events(self) -> list[Event]:
        session = self._ensure()
        return self._guarded(session, lambda: self._events_in(session))

    def _events_in(self, session: _Session) -> list[Event]:
        content = session.si.content
        if self._events_generation != session.generation:
            collector = content.eventManager.CreateCollectorForEvents(filter=vim.event.EventFilterSpec())
            with contextlib.suppress(vmodl.MethodFault):
                collector.SetCollectorPageSize(self.event_page)
            self._event_collector = collector
            self._events_generation = session.generation
        page = sorted(self._event_collector.latestPage or (), key=lambda e: e.key)
        if page and page[-1].key < self._last_event_key:
            self._last_event_key = -1  # a different (restarted) vCenter: its keys start again
        fresh = [e for e in page if e.key > self._last_event_key]
        if page:
            self._last_event_key = max(self._last_event_key, page[-1].key)
        return [_event(e) for e in fresh]

    # ------------------------------------------------------------------ churn

    async def churn(self) -> list[ChurnSample]:
        return await self._call(self._churn_read)

    def _churn_read(self) -> list[ChurnSample]:
        session = self._ensure()
        return self._guarded(session, lambda: self._churn_in(session))

    def _counter_id(self, session: _Session) -> int | None:
        if self._churn_generation != session.generation:
            self._write_counter = None
            perf = session.si.content.perfManager
            for counter in perf.perfCounter or ():
                if (
                    counter.groupInfo.key == "virtualDisk"
                    and counter.nameInfo.key == "write"
                    and str(counter.rollupType) == "average"
                ):
                    self._write_counter = int(counter.key)
                    break
            self._churn_generation = session.generation
        return self._write_counter

    def _churn_in(self, session: _Session) -> list[ChurnSample]:
        counter = self._counter_id(session)
        if counter is None:
            return []
        with self._cache_lock:
            running = [
                moref
                for moref, obj in self._objects.items()
                if obj.type == "VirtualMachine"
                and obj.props.get("runtime.powerState") == "poweredOn"
                and not obj.props.get("config.template")
            ]
        perf = session.si.content.perfManager
        stub = session.si._stub
        metric = vim.PerformanceManager.MetricId(counterId=counter, instance="*")
        out: list[ChurnSample] = []
        chunk = 250
        for start in range(0, len(running), chunk):
            specs = [
                vim.PerformanceManager.QuerySpec(
                    entity=vim.VirtualMachine(moref, stub),
                    metricId=[metric],
                    intervalId=20,
                    maxSample=self.churn_samples,
                )
                for moref in running[start : start + chunk]
            ]
            try:
                results = perf.QueryPerf(querySpec=specs)
            except vmodl.fault.ManagedObjectNotFound:
                continue  # a VM went away between the listing and the query; next round
            for metrics in results or ():
                sample = self._merge_churn(metrics)
                if sample is not None:
                    out.append(sample)
        alive = set(running)
        for moref in [m for m in self._churn if m not in alive]:
            del self._churn[moref]
        return out

    def _merge_churn(self, metrics: Any) -> ChurnSample | None:
        moref = metrics.entity._moId
        times = [info.timestamp for info in metrics.sampleInfo or ()]
        if not times:
            return None
        series = list(metrics.value or ())
        # vCenter reports virtualDisk per disk instance; an empty instance, when present, is the VM total.
        total = [s for s in series if not s.id.instance]
        chosen = total or series
        values = [0.0] * len(times)
        seen = [False] * len(times)
        for s in chosen:
            for i, value in enumerate(list(s.value or ())[: len(times)]):
                if value is not None and value >= 0:
                    values[i] += float(value)
                    seen[i] = True
        history = self._churn.setdefault(moref, {})
        for when, value, ok in zip(times, values, seen, strict=True):
            if ok:
                history[when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)] = value
        for old in sorted(history)[: max(0, len(history) - self.churn_history)]:
            del history[old]
        return ChurnSample(moref=moref, samples=tuple(sorted(history.items())))

    # ------------------------------------------------------------------ account check

    async def check_privileges(self, entities: Iterable[str] | None = None) -> list[PrivilegeReport]:
        """ASR's privileges present and missing for the logged-in user, per datacenter by default."""
        wanted = list(entities) if entities is not None else None
        return await self._call(self._privileges, wanted)

    def _privileges(self, wanted: list[str] | None) -> list[PrivilegeReport]:
        session = self._ensure()
        return self._guarded(session, lambda: self._privileges_in(session, wanted))

    def _privileges_in(self, session: _Session, wanted: list[str] | None) -> list[PrivilegeReport]:
        content = session.si.content
        stub = session.si._stub
        current = content.sessionManager.currentSession
        user = str(current.userName) if current else self.user
        if wanted is None:
            with self._cache_lock:
                wanted = [m for m, o in self._objects.items() if o.type == "Datacenter"]
        refs: list[Any] = [vim.Datacenter(m, stub) for m in wanted] or [content.rootFolder]
        manager = content.authorizationManager
        ids = privilege_ids()
        reports: list[PrivilegeReport] = []
        try:
            results = manager.FetchUserPrivilegeOnEntities(entities=refs, userName=user)
            for result in results or ():
                reports.append(evaluate(user, result.entity._moId, result.privileges or ()))
        except vmodl.MethodFault:
            # Older vCenters, or an account that may not read its own privileges this way.
            for ref in refs:
                flags = manager.HasPrivilegeOnEntity(entity=ref, sessionId=current.key, privId=ids)
                granted = [pid for pid, ok in zip(ids, flags, strict=False) if ok]
                reports.append(evaluate(user, ref._moId, granted))
        return reports


def _keep_details(old: CachedObject, new: CachedObject) -> None:
    """Carry a VM's device list and guest networking over to its fresh cache entry."""
    if DEVICES in old.props:
        for path in VM_DETAILS:
            if path in old.props:
                new.props.setdefault(path, old.props[path])


def _event_severity(event: Any) -> str:
    severity = str(getattr(event, "severity", "") or "").lower()
    if severity in ("error", "warning", "info"):
        return severity
    name = event._wsdlName
    if any(word in name for word in ("Failed", "Error", "Crashed")):
        return "error"
    if any(word in name for word in ("Disconnected", "Warning", "Lost", "NotResponding", "Alarm")):
        return "warning"
    return "info"


def _event(event: Any) -> Event:
    entity_id = entity_name = ""
    for attr, ref in (
        ("vm", "vm"),
        ("host", "host"),
        ("computeResource", "computeResource"),
        ("ds", "datastore"),
        ("net", "network"),
        ("datacenter", "datacenter"),
    ):
        argument = getattr(event, attr, None)
        target = getattr(argument, ref, None) if argument is not None else None
        if argument is not None:
            entity_id = target._moId if isinstance(target, VmomiSupport.ManagedObject) else ""
            entity_name = str(getattr(argument, "name", "") or "")
            break
    created = event.createdTime
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    message = str(event.fullFormattedMessage or event._wsdlName)
    return Event(
        id=f"vcenter:{event.key}:{int(created.timestamp())}",
        time=created.astimezone(UTC),
        source=EventSource.VCENTER,
        message=message.strip(),
        severity=_event_severity(event),
        event_type=event._wsdlName,
        entity_id=entity_id,
        entity_name=entity_name,
    )
