"""Store throughput: 5,000 protected-item upserts, 10,000 VM upserts, and the VM ↔ item join.

Goal (issue 2): ≤ 50 ms per 5,000-item batch on a 2-core machine. The baseline printed beside each
figure is a bare dict update of the same records in the same run, so the ratio says what the store's
bookkeeping (change detection, change sets, join) costs on top of storing.

    .venv/bin/python bench/store.py
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from asr_console.model.records import Health, Kind, ProtectedItem, Provider, VirtualMachine
from asr_console.model.store import Batch, Store

VMS = 10_000
ITEMS = 5_000
ROUNDS = 5


def make_vms(n: int, gen: int = 0) -> list[VirtualMachine]:
    return [
        VirtualMachine(
            moref=f"vm-{i}",
            name=f"app-{i:05d}",
            power_state="poweredOn" if (i + gen) % 7 else "poweredOff",
            bios_uuid=str(uuid.UUID(int=i + 1)),
            instance_uuid=str(uuid.UUID(int=10**9 + i)),
            num_cpu=2 + gen % 3,
            memory_mb=4096,
        )
        for i in range(n)
    ]


def make_items(n: int, gen: int = 0) -> list[ProtectedItem]:
    return [
        ProtectedItem(
            id=f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/"
            f"replicationFabrics/f/replicationProtectionContainers/c/replicationProtectedItems/i-{i}",
            name=f"i-{i}",
            friendly_name=f"app-{i * 2:05d}",
            provider=Provider.INMAGE_RCM,
            replication_health=Health.NORMAL if (i + gen) % 10 else Health.WARNING,
            rpo_seconds=60 + (i * 7 + gen * 13) % 900,
            source_bios_uuid=str(uuid.UUID(int=i * 2 + 1)),
        )
        for i in range(n)
    ]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> None:
    vm_gens = [make_vms(VMS, g) for g in range(ROUNDS + 1)]
    item_gens = [make_items(ITEMS, g) for g in range(ROUNDS + 1)]

    floor_vm, floor_item = [], []
    for g in range(ROUNDS):
        plain: dict[str, object] = {}
        floor_vm.append(timed(lambda g=g: plain.update((v.moref, v) for v in vm_gens[g])))
        plain_items: dict[str, object] = {}
        floor_item.append(timed(lambda g=g: plain_items.update((i.id, i) for i in item_gens[g])))

    cold_vm, cold_item, warm_item, warm_vm, join_full, single = [], [], [], [], [], []
    for g in range(ROUNDS):
        store = Store()
        cold_vm.append(timed(lambda: store.apply(Batch().replace(Kind.VM, vm_gens[0]))))
        cold_item.append(timed(lambda: store.apply(Batch().replace(Kind.PROTECTED_ITEM, item_gens[0]))))
        # a poll where every item changed (RPO, health): worst case of a refresh
        warm_item.append(
            timed(lambda g=g: store.apply(Batch().replace(Kind.PROTECTED_ITEM, item_gens[g + 1])))
        )
        warm_vm.append(timed(lambda g=g: store.apply(Batch().replace(Kind.VM, vm_gens[g + 1]))))
        all_vms = list(store.keys(Kind.VM))
        all_items = list(store.keys(Kind.PROTECTED_ITEM))
        join_full.append(
            timed(
                lambda: store.join.update(
                    store.collection(Kind.VM),  # type: ignore[arg-type]
                    store.collection(Kind.PROTECTED_ITEM),  # type: ignore[arg-type]
                    all_vms,
                    all_items,
                )
            )
        )
        one = replace(item_gens[g + 1][17], rpo_seconds=99_999)
        single.append(timed(lambda one=one: store.apply(Batch().upsert(one))))
        assert len(store.join.pairs()) == ITEMS, "every item has its VM"

    fv, fi = median_ms(floor_vm), median_ms(floor_item)
    rows = [
        ("10,000 VM upserts into an empty store", median_ms(cold_vm), fv),
        ("5,000 protected-item upserts (+ join)", median_ms(cold_item), fi),
        ("5,000 protected items all changed (refresh)", median_ms(warm_item), fi),
        ("10,000 VMs all changed (resync)", median_ms(warm_vm), fv),
        ("join recompute, all 10,000 VMs × 5,000 items", median_ms(join_full), fi),
        ("one item changed", median_ms(single), 0.0),
    ]
    print(f"store bench: median of {ROUNDS} rounds, baseline = bare dict.update of the same records")
    print(f"{'what':48} {'ms':>8} {'baseline ms':>12} {'ratio':>7}")
    for what, ms, base in rows:
        ratio = f"{ms / base:6.1f}x" if base else "     -"
        print(f"{what:48} {ms:8.1f} {base:12.2f} {ratio:>7}")
    per_5000 = median_ms(warm_item)
    verdict = "meets" if per_5000 <= 50 else "MISSES"
    print(f"goal ≤ 50 ms per 5,000-item batch: {per_5000:.1f} ms → {verdict}")


if __name__ == "__main__":
    main()
