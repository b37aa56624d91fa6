# pyVmomi's generated data-object constructors are unannotated.
# mypy: disable-error-code="no-untyped-call"
"""The vCenter inventory, read with one ContainerView and one PropertyCollector filter, then as deltas.

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
task, so each path the filter names is paid for on every change; devices are the dearest, then name
and parent (fields of the embedded ManagedEntity, slow to reflect). ``bench/vcenter_sync.py`` measures
what a change costs to reach the store.

After a new login (a new ``Login.generation``) the view and filter are recreated (they belong to the
session) and the inventory resynchronised from version "" with replacements, so nothing is duplicated
or lost.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from typing import Any

from pyVmomi import vim, vmodl

from asr_console.model.records import Kind, Record
from asr_console.model.store import Batch
from asr_console.sources.vmware.session import Login
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

PC = vmodl.query.PropertyCollector


class InventorySync:
    """The inventory's cache and the phase it is in: (light pass) → state → details → deltas.

    Runs on one pyvmomi thread at a time (the sync engine never overlaps ``changes``); the cache is
    also read by the churn and privilege readers, under ``lock``.
    """

    def __init__(self, *, page_size: int, details: bool, max_wait_cap: float) -> None:
        self.page_size = page_size
        self.details = details
        self.max_wait_cap = max_wait_cap
        self.lock = threading.Lock()
        self._busy = threading.Lock()
        self._objects: dict[str, CachedObject] = {}
        self._filter_generation = -1
        self._pc: Any = None
        self._view: Any = None
        self._version = ""
        self._phase = "state"
        self._state_seen: set[str] = set()
        self._details_token: str | None = None  # None: the details pass has not asked its first page
        self._pending: dict[str, None] = {}  # VMs whose details must be re-read, oldest first
        self.synced = False  # the details pass finished at least once; deltas flow

    def running_vms(self) -> list[str]:
        """Powered-on VMs (templates excluded): the ones whose disks write."""
        with self.lock:
            return [
                moref
                for moref, obj in self._objects.items()
                if obj.type == "VirtualMachine"
                and obj.props.get("runtime.powerState") == "poweredOn"
                and not obj.props.get("config.template")
            ]

    def datacenters(self) -> list[str]:
        with self.lock:
            return [m for m, o in self._objects.items() if o.type == "Datacenter"]

    def cancel_wait(self) -> None:
        """Ends a ``WaitForUpdatesEx`` another thread is blocked in (on close)."""
        if self._pc is not None:
            self._pc.CancelWaitForUpdates()

    def changes(self, session: Login, max_wait: float) -> Batch:
        # A call whose caller gave up (its deadline passed on a frozen vCenter) may still be running on
        # its thread: the next one waits for it rather than work the same phase state at once.
        with self._busy:
            return self._changes(session, max_wait)

    def _changes(self, session: Login, max_wait: float) -> Batch:
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

    def _light_pass(self, session: Login) -> Batch:
        content = session.si.content
        view = content.viewManager.CreateContainerView(content.rootFolder, VIEW_TYPES, True)
        pc = content.propertyCollector.CreatePropertyCollector()
        spec = PC.FilterSpec(objectSet=[self._object_spec(view)], propSet=self._prop_specs(VM_LIGHT))
        fresh = self._read_all(pc, spec, details=False)

        with self.lock:
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
        return _replacements(built)

    def snapshot(self, session: Login) -> Batch:
        """The whole inventory, VMs complete with devices and guest networking, in ONE
        ``RetrievePropertiesEx`` pass and no filter: what a one-shot read needs. The light, state and
        details passes of ``changes`` exist for a first paint and a watch that follows; a command that
        reads once and exits pays for none of that. Returned as replacements, like the light pass."""
        content = session.si.content
        view = content.viewManager.CreateContainerView(content.rootFolder, VIEW_TYPES, True)
        spec = PC.FilterSpec(
            objectSet=[self._object_spec(view)], propSet=self._prop_specs(VM_LIGHT + VM_DETAILS)
        )
        try:
            fresh = self._read_all(content.propertyCollector, spec, details=True)
        finally:
            view.DestroyView()
        with self.lock:
            self._objects = fresh  # the churn and privilege readers read the cache
            built = records(fresh)
        return _replacements(built)

    def _read_all(self, pc: Any, spec: Any, *, details: bool) -> dict[str, CachedObject]:
        """Every object ``spec`` names, page by page, as cache entries; with ``details`` a VM's record
        counts as complete (devices read, even if it has none)."""
        fresh: dict[str, CachedObject] = {}
        result = pc.RetrievePropertiesEx(
            specSet=[spec], options=PC.RetrieveOptions(maxObjects=self.page_size)
        )
        while result is not None:
            for content_obj in result.objects:
                obj = content_obj.obj
                props = {prop.name: plain(prop.val) for prop in content_obj.propSet or ()}
                if details and obj._wsdlName == "VirtualMachine":
                    props.setdefault(DEVICES, ())
                fresh[obj._moId] = CachedObject(type=obj._wsdlName, props=props)
            if not result.token:
                break
            result = pc.ContinueRetrievePropertiesEx(token=result.token)
        return fresh

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
        with self.lock:
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

    def _deltas(self, session: Login, max_wait: float) -> Batch:
        removals, touched = Batch(), set[str]()
        # A backlog of details (more VMs moved at once than one read takes) is worked off before waiting.
        result = None if self._pending else self._wait(max_wait)
        if result is not None:
            self._version = result.version
            removals, touched = self._apply_updates(result, full_state=False)
        if self._pending:
            touched |= self._load_details(session)
        return self._build(removals, touched)

    def _load_details(self, session: Login) -> set[str]:
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
        with self.lock:
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
        with self.lock:
            built = records(self._objects, touched)
        return batch.upsert(*built)

    def _apply_updates(self, result: Any, full_state: bool) -> tuple[Batch, set[str]]:
        """Fold an update set into the cache: removals in a batch, and the morefs whose records changed."""
        batch = Batch()
        touched: set[str] = set()
        structural = False
        with self.lock:
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


def _replacements(built: list[Record]) -> Batch:
    """Records as replacements of their kinds: the store then holds exactly these (a kind with none is
    emptied)."""
    batch = Batch()
    by_kind: dict[Kind, list[Record]] = {kind: [] for kind in INVENTORY_KINDS}
    for rec in built:
        by_kind[rec.KIND].append(rec)
    for kind, recs in by_kind.items():
        batch.replace(kind, recs)
    return batch


def _keep_details(old: CachedObject, new: CachedObject) -> None:
    """Carry a VM's device list and guest networking over to its fresh cache entry."""
    if DEVICES in old.props:
        for path in VM_DETAILS:
            if path in old.props:
                new.props.setdefault(path, old.props[path])
