"""The VM ↔ protected-item join: BIOS UUID first, then instance UUID, then a unique name.

ASR knows a replicated VM by what the Mobility service or the appliance discovered, not by moref, so
the console matches the two sides itself. Indexes over VMs are kept incrementally; every item whose
VM may have changed is re-matched, which keeps a 5,000-item recompute in single-digit milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from asr_console.model.records import ProtectableItem, ProtectedItem, VirtualMachine


def normalize_uuid(value: str) -> str:
    return value.replace("-", "").strip().lower()


def normalize_name(value: str) -> str:
    return value.strip().lower()


class _Index:
    """value → set of VM morefs."""

    __slots__ = ("by_value", "of_vm")

    def __init__(self) -> None:
        self.by_value: dict[str, set[str]] = {}
        self.of_vm: dict[str, str] = {}

    def set(self, moref: str, value: str) -> None:
        old = self.of_vm.get(moref)
        if old == value:
            return
        if old is not None:
            self.discard(moref)
        if value:
            self.of_vm[moref] = value
            self.by_value.setdefault(value, set()).add(moref)

    def discard(self, moref: str) -> None:
        old = self.of_vm.pop(moref, None)
        if old is not None:
            bucket = self.by_value.get(old)
            if bucket is not None:
                bucket.discard(moref)
                if not bucket:
                    del self.by_value[old]

    def unique(self, value: str) -> str | None:
        bucket = self.by_value.get(value) if value else None
        if bucket and len(bucket) == 1:
            return next(iter(bucket))
        return None

    def values_of(self, moref: str) -> str | None:
        return self.of_vm.get(moref)


class VmItemJoin:
    def __init__(self) -> None:
        self._bios = _Index()
        self._instance = _Index()
        self._name = _Index()
        self._vm_of_item: dict[str, str] = {}
        self._item_of_vm: dict[str, str] = {}
        # item id → the normalized keys it was matched on, so VM changes find affected items
        self._items_by_key: dict[tuple[str, str], set[str]] = {}
        self._keys_of_item: dict[str, tuple[tuple[str, str], ...]] = {}
        # items stored while the join held no VM at all, matched when the first VMs arrive
        self._waiting: set[str] = set()

    def item_for_vm(self, moref: str) -> str | None:
        return self._item_of_vm.get(moref)

    def vm_for_item(self, item_id: str) -> str | None:
        return self._vm_of_item.get(item_id)

    def pairs(self) -> dict[str, str]:
        """item id → VM moref."""
        return dict(self._vm_of_item)

    def update(
        self,
        vms: Mapping[str, VirtualMachine],
        items: Mapping[str, ProtectedItem],
        vm_keys: Iterable[str],
        item_keys: Iterable[str],
    ) -> frozenset[str]:
        """Re-match after changes; returns VM morefs and item ids whose partner changed."""
        if not vms and not self._vm_of_item and not self._indexes_any_vm():
            # No VM to pair with, none indexed or paired before: nothing can change partner. The items
            # wait unmatched (a headless ``status`` stores 5,000 items and never a VM; matching and
            # indexing each cost half as much as reading it) and are matched with the first VMs.
            for item_id in item_keys:
                self._unregister_keys(item_id)
                if item_id in items:
                    self._waiting.add(item_id)
                else:
                    self._waiting.discard(item_id)
            return frozenset()
        affected_items: set[str] = set(item_keys)
        if self._waiting:
            affected_items.update(self._waiting)
            self._waiting.clear()
        for moref in vm_keys:
            vm = vms.get(moref)
            if (
                vm is not None
                and self._name.values_of(moref) == normalize_name(vm.name)
                and (self._bios.values_of(moref) or "") == normalize_uuid(vm.bios_uuid)
                and (self._instance.values_of(moref) or "") == normalize_uuid(vm.instance_uuid)
            ):
                continue  # power, CPU, disks…: nothing the join looks at changed
            old_keys = [
                ("bios", self._bios.values_of(moref) or ""),
                ("instance", self._instance.values_of(moref) or ""),
                ("name", self._name.values_of(moref) or ""),
            ]
            if vm is None:
                self._bios.discard(moref)
                self._instance.discard(moref)
                self._name.discard(moref)
                new_keys = []
            else:
                self._bios.set(moref, normalize_uuid(vm.bios_uuid))
                self._instance.set(moref, normalize_uuid(vm.instance_uuid))
                self._name.set(moref, normalize_name(vm.name))
                new_keys = [
                    ("bios", normalize_uuid(vm.bios_uuid)),
                    ("instance", normalize_uuid(vm.instance_uuid)),
                    ("name", normalize_name(vm.name)),
                ]
            for key in (*old_keys, *new_keys):
                if key[1]:
                    affected_items.update(self._items_by_key.get(key, ()))
            matched = self._item_of_vm.get(moref)
            if matched:
                affected_items.add(matched)

        changed: set[str] = set()
        for item_id in affected_items:
            item = items.get(item_id)
            old_vm = self._vm_of_item.pop(item_id, None)
            if old_vm is not None and self._item_of_vm.get(old_vm) == item_id:
                del self._item_of_vm[old_vm]
            self._unregister_keys(item_id)
            new_vm = self._match(item) if item is not None else None
            if new_vm is not None:
                taken = self._item_of_vm.get(new_vm)
                if taken is not None and taken != item_id:
                    # Two items claim one VM (e.g. a stale classic item beside a modernized one):
                    # keep the first, the other stays unmatched rather than flapping.
                    new_vm = None
            if new_vm is not None:
                self._vm_of_item[item_id] = new_vm
                self._item_of_vm[new_vm] = item_id
            if old_vm != new_vm:
                changed.add(item_id)
                if old_vm:
                    changed.add(old_vm)
                if new_vm:
                    changed.add(new_vm)
        return frozenset(changed)

    def _indexes_any_vm(self) -> bool:
        return bool(self._bios.of_vm or self._instance.of_vm or self._name.of_vm)

    def _unregister_keys(self, item_id: str) -> None:
        for key in self._keys_of_item.pop(item_id, ()):
            bucket = self._items_by_key.get(key)
            if bucket is not None:
                bucket.discard(item_id)
                if not bucket:
                    del self._items_by_key[key]

    def _match(self, item: ProtectedItem) -> str | None:
        keys = (
            ("bios", normalize_uuid(item.source_bios_uuid)),
            ("instance", normalize_uuid(item.source_instance_uuid)),
            ("name", normalize_name(item.display_name)),
        )
        registered = tuple(k for k in keys if k[1])
        self._keys_of_item[item.id] = registered
        for key in registered:
            self._items_by_key.setdefault(key, set()).add(item.id)
        for (_, value), index in zip(keys, (self._bios, self._instance, self._name), strict=True):
            if value:
                moref = index.unique(value)
                if moref is not None:
                    return moref
        return None


class DiscoveredIndex:
    """``discovered_machine_for`` for many VMs: the machines indexed once by instance UUID, BIOS GUID
    and name (a table of thousands of VMs asks per row)."""

    def __init__(self, machines: Iterable[ProtectableItem]) -> None:
        self.instance: dict[str, ProtectableItem] = {}
        self.bios: dict[str, ProtectableItem] = {}
        self.named: dict[str, list[ProtectableItem]] = {}
        for m in machines:
            if m.instance_uuid:
                self.instance.setdefault(normalize_uuid(m.instance_uuid), m)
            if m.bios_guid:
                self.bios.setdefault(normalize_uuid(m.bios_guid), m)
            self.named.setdefault(normalize_name(m.friendly_name or m.name), []).append(m)

    def for_vm(self, vm: VirtualMachine) -> ProtectableItem | None:
        found = self.instance.get(normalize_uuid(vm.instance_uuid)) if vm.instance_uuid else None
        if found is None and vm.bios_uuid:
            found = self.bios.get(normalize_uuid(vm.bios_uuid))
        if found is None:
            named = self.named.get(normalize_name(vm.name), [])
            found = named[0] if len(named) == 1 else None
        return found


def discovered_machine_for(vm: VirtualMachine, machines: Iterable[ProtectableItem]) -> ProtectableItem | None:
    """The machine the vault discovered for a vCenter VM: by instance UUID, then BIOS GUID, then a
    unique name (discovery shows the VM's name, which two VMs may share)."""
    listed = list(machines)
    instance = normalize_uuid(vm.instance_uuid)
    if instance:
        found = [m for m in listed if normalize_uuid(m.instance_uuid) == instance]
        if found:
            return found[0]
    bios = normalize_uuid(vm.bios_uuid)
    if bios:
        found = [m for m in listed if normalize_uuid(m.bios_guid) == bios]
        if found:
            return found[0]
    name = normalize_name(vm.name)
    named = [m for m in listed if normalize_name(m.friendly_name or m.name) == name]
    return named[0] if len(named) == 1 else None
