from __future__ import annotations

from dataclasses import replace

import pytest

from asr_console.model import join
from asr_console.model.records import Health, Job, Kind, ProtectedItem
from asr_console.model.store import Batch, ChangeSet, Store
from tests.factories import item, vm


def test_apply_reports_added_updated_removed() -> None:
    store = Store()
    first = store.apply(Batch().upsert(vm(1), vm(2)))
    assert first.of(Kind.VM).added == {"vm-1", "vm-2"}

    changed = store.apply(
        Batch().upsert(replace(vm(1), power_state="poweredOff"), vm(2)).remove(Kind.VM, "vm-2")
    )
    assert changed.of(Kind.VM).updated == {"vm-1"}
    assert changed.of(Kind.VM).removed == {"vm-2"}
    assert store.count(Kind.VM) == 1


def test_identical_upsert_is_no_change_and_notifies_nobody() -> None:
    store = Store()
    store.apply(Batch().upsert(vm(1)))
    seen: list[ChangeSet] = []
    store.subscribe(seen.append)
    result = store.apply(Batch().upsert(vm(1)))
    assert not result
    assert seen == []


def test_replace_removes_missing_within_scope_only() -> None:
    store = Store()
    store.apply(Batch().upsert(vm(1), vm(2), vm(3)))
    changes = store.apply(Batch().replace(Kind.VM, [vm(1)], scope=lambda r: r.key != "vm-3"))
    assert changes.of(Kind.VM).removed == {"vm-2"}
    assert set(store.keys(Kind.VM)) == {"vm-1", "vm-3"}


def test_subscribers_receive_change_sets_and_can_unsubscribe() -> None:
    store = Store()
    seen: list[ChangeSet] = []
    unsubscribe = store.subscribe(seen.append)
    store.apply(Batch().upsert(vm(1)))
    unsubscribe()
    store.apply(Batch().upsert(vm(2)))
    assert len(seen) == 1 and seen[0].of(Kind.VM).added == {"vm-1"}


def test_remove_then_readd_in_one_batch_is_an_update() -> None:
    store = Store()
    store.apply(Batch().upsert(vm(1)))
    changes = store.apply(Batch().replace(Kind.VM, []).upsert(replace(vm(1), name="renamed")))
    assert changes.of(Kind.VM).updated == {"vm-1"}
    assert not changes.of(Kind.VM).removed


def test_freshness_marks_stale_with_reason_and_keeps_last_success() -> None:
    store = Store()
    assert store.freshness("asr").stale
    store.mark_ok("asr")
    ok = store.freshness("asr")
    assert not ok.stale and ok.last_success is not None
    seen: list[ChangeSet] = []
    store.subscribe(seen.append)
    store.mark_error("asr", "Unreachable: connection refused")
    bad = store.freshness("asr")
    assert bad.stale and bad.last_error == "Unreachable: connection refused"
    assert bad.last_success == ok.last_success
    assert seen[-1].freshness == {"asr"}


def test_running_jobs() -> None:
    store = Store()
    store.apply(
        Batch().upsert(
            Job(id="j1", name="j1", state="InProgress"),
            Job(id="j2", name="j2", state="Succeeded"),
        )
    )
    assert [j.id for j in store.running_jobs()] == ["j1"]


def test_join_by_bios_uuid_then_instance_then_name() -> None:
    store = Store()
    store.apply(Batch().upsert(vm(1), vm(2, bios=""), vm(3, bios="")))
    by_bios = item(1, name="other-name")
    by_instance = replace(item(2, bios=""), source_instance_uuid=vm(2).instance_uuid)
    by_name = item(3, bios="", name="APP-00003")
    changes = store.apply(Batch().upsert(by_bios, by_instance, by_name))
    assert store.item_for_vm("vm-1") == by_bios
    assert store.item_for_vm("vm-2") == by_instance
    assert store.item_for_vm("vm-3") == by_name
    assert {"vm-1", "vm-2", "vm-3", by_bios.id} <= changes.join


def test_join_follows_vm_changes_and_removals() -> None:
    store = Store()
    store.apply(Batch().upsert(vm(1, bios=""), item(1, bios="", name="web01")))
    assert store.item_for_vm("vm-1") is None
    renamed = store.apply(Batch().upsert(vm(1, bios="", name="web01")))
    assert store.vm_for_item(item(1).id) is not None
    assert "vm-1" in renamed.join
    gone = store.apply(Batch().remove(Kind.VM, "vm-1"))
    assert store.vm_for_item(item(1).id) is None
    assert item(1).id in gone.join


def test_join_name_match_requires_a_unique_name() -> None:
    store = Store()
    store.apply(Batch().upsert(vm(1, bios="", name="dup"), vm(2, bios="", name="dup")))
    store.apply(Batch().upsert(item(9, bios="", name="dup")))
    assert store.vm_for_item(item(9).id) is None
    store.apply(Batch().remove(Kind.VM, "vm-2"))
    assert store.vm_for_item(item(9).id) == store.typed(type(vm(1)), "vm-1")


def test_item_updates_keep_join_and_typed_access() -> None:
    store = Store()
    store.apply(Batch().upsert(vm(1), item(1)))
    store.apply(Batch().upsert(replace(item(1), replication_health=Health.CRITICAL)))
    matched = store.item_for_vm("vm-1")
    assert isinstance(matched, ProtectedItem) and matched.replication_health is Health.CRITICAL


def test_items_stored_before_any_vm_are_matched_when_the_vms_arrive() -> None:
    store = Store()
    early = store.apply(Batch().upsert(item(1), item(2, bios="", name="APP-00002"), item(3)))
    assert early.join == frozenset() and store.vm_for_item(item(1).id) is None
    store.apply(Batch().remove(Kind.PROTECTED_ITEM, item(3).id))
    arrived = store.apply(Batch().upsert(vm(1), vm(2, bios=""), vm(3)))
    assert store.item_for_vm("vm-1") == item(1)
    assert store.item_for_vm("vm-2") == item(2, bios="", name="APP-00002")
    assert store.item_for_vm("vm-3") is None  # its item went before the VMs came
    assert {"vm-1", "vm-2", item(1).id, item(2).id} <= arrived.join


def test_a_store_without_vms_does_no_matching_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """``status`` stores thousands of items and no VM: none is normalized, indexed or matched."""
    calls: list[str] = []

    def counted(value: str) -> str:
        calls.append(value)
        return value.lower()

    monkeypatch.setattr(join, "normalize_uuid", counted)
    monkeypatch.setattr(join, "normalize_name", counted)
    store = Store()
    store.apply(Batch().upsert(*(item(n) for n in range(1, 200))))
    store.apply(Batch().upsert(replace(item(5), replication_health=Health.CRITICAL)))
    assert calls == []
    store.apply(Batch().upsert(vm(5)))
    assert store.vm_for_item(item(5).id) is not None and calls  # matched once a VM is there
