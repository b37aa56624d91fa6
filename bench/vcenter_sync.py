"""Initial sync and change latency of the vCenter inventory source against vcsim with ~10,000 VMs.

All in one run, against one simulator:
- floor: a bare ``RetrievePropertiesEx`` of exactly the properties the source reads (light, then full);
- ours: ``VCenterInventory.changes()`` into a ``Store`` (light pass = rows on screen; then the details pass);
- naive: the per-attribute pyvmomi loop people write first, over a subset, scaled to all VMs;
- change-to-store latency: power operations through a second session until the store shows them, and
  disk adds (ReconfigVM_Task) until the store shows the new disk (a marker moves, the source re-reads
  that VM's devices);
- the floor for change latency: a bare WaitForUpdatesEx loop on the filter the source watches (name,
  parent, summary.runtime and three change markers per VM), and on the filter it watched before (the
  whole light record with devices and guest.net, one spec per type) for comparison.

Goals (issue 4): light pass ≥ 20× faster than naive and ≤ 1.3× the floor, changes ≤ 1 s.
Usage: python bench/vcenter_sync.py [--vms 10000] [--naive-subset 200] [--changes 10] [--reconfigs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyVim.connect import Disconnect, SmartConnect  # noqa: E402
from pyVmomi import vim, vmodl  # noqa: E402

from asr_console.model.records import Kind, VirtualMachine  # noqa: E402
from asr_console.model.store import Store  # noqa: E402
from asr_console.sources.vmware import VCenterInventory  # noqa: E402
from asr_console.sources.vmware_records import (  # noqa: E402
    STRUCTURE_PROPS,
    VIEW_TYPES,
    VM_DETAILS,
    VM_LIGHT,
    VM_WATCHED,
)
from tests.vcsim_fixture import Topology, Vcsim, vcsim_binary  # noqa: E402

PC = vmodl.query.PropertyCollector
Specs = list[tuple[Any, list[str]]]

# The filter the source watched before (one spec per type, the whole light record and the details of
# every VM), kept here to show what it cost.
OLD_FILTER: Specs = [
    (vim.Folder, ["name", "parent"]),
    (vim.Datacenter, ["name", "parent"]),
    (vim.ComputeResource, ["name", "parent"]),
    (vim.HostSystem, ["name", "parent", *STRUCTURE_PROPS[vim.HostSystem]]),
    (vim.Datastore, ["name", "parent", *STRUCTURE_PROPS[vim.Datastore]]),
    (vim.Network, ["name", "parent"]),
    (vim.VirtualMachine, ["name", "parent", *VM_LIGHT, *VM_DETAILS]),
]


POWER = ("runtime.powerState", "summary.runtime")  # as the old and the new filter name it


def specs_with(vm_paths: list[str]) -> Specs:
    """The source's structure specs and these VM paths."""
    return [*STRUCTURE_PROPS.items(), (vim.VirtualMachine, vm_paths)]


def connect(url: str) -> Any:
    parts = urlsplit(url)
    return SmartConnect(protocol=parts.scheme, host=parts.hostname, port=parts.port, user="u", pwd="p")


def floor(url: str, specs: Specs) -> tuple[float, int]:
    """Bare RetrievePropertiesEx of the same view and properties, pages of 1,000: the least work possible."""
    si = connect(url)
    try:
        content = si.content
        started = time.perf_counter()
        view = content.viewManager.CreateContainerView(content.rootFolder, VIEW_TYPES, True)
        traversal = PC.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)
        obj = PC.ObjectSpec(obj=view, skip=True, selectSet=[traversal])
        props = [PC.PropertySpec(type=t, pathSet=p) for t, p in specs]
        spec = PC.FilterSpec(objectSet=[obj], propSet=props)
        pc = content.propertyCollector
        count = 0
        result = pc.RetrievePropertiesEx(specSet=[spec], options=PC.RetrieveOptions(maxObjects=1000))
        while result is not None:
            count += len(result.objects)
            if not result.token:
                break
            result = pc.ContinueRetrievePropertiesEx(token=result.token)
        return time.perf_counter() - started, count
    finally:
        Disconnect(si)


def naive(url: str, subset: int) -> tuple[float, int]:
    """Per-attribute access on each VM, as a first script would do it (each access is a round trip)."""
    si = connect(url)
    try:
        content = si.content
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        vms = list(view.view)[:subset]
        started = time.perf_counter()
        rows = []
        for vm in vms:
            host = vm.runtime.host
            rows.append(
                (
                    vm.name,
                    vm.parent,
                    vm.runtime.powerState,
                    host,
                    vm.config.guestId,
                    vm.config.guestFullName,
                    vm.config.firmware,
                    vm.config.bootOptions.efiSecureBootEnabled,
                    vm.config.hardware.numCPU,
                    vm.config.hardware.memoryMB,
                    vm.config.uuid,
                    vm.config.instanceUuid,
                    vm.config.template,
                    vm.guest.toolsStatus,
                )
            )
        return time.perf_counter() - started, len(rows)
    finally:
        Disconnect(si)


async def ours(url: str) -> tuple[list[float], int, VCenterInventory, Store]:
    """Each ``changes()`` call of the initial sync, timed to the store: the light pass first."""
    inventory = VCenterInventory(url, "u", "p")
    await inventory.connect()
    store = Store()
    calls: list[float] = []
    while not calls or not inventory.synced:
        started = time.perf_counter()
        store.apply(await inventory.changes(0))
        calls.append(time.perf_counter() - started)
    return calls, store.count(Kind.VM), inventory, store


async def change_latency(
    url: str, inventory: VCenterInventory, store: Store, changes: int, reconfigs: int
) -> tuple[list[float], list[float]]:
    """Power a VM off or on, then add a disk to others, through another session; time until the store
    holds the new state."""
    applied = asyncio.Event()

    async def pump() -> None:
        while True:
            if store.apply(await inventory.changes(5)):
                applied.set()

    async def until(done: Any) -> None:
        while not done():
            applied.clear()
            await asyncio.wait_for(applied.wait(), 30)

    pumping = asyncio.create_task(pump())
    si = await asyncio.to_thread(connect, url)
    power: list[float] = []
    disks: list[float] = []
    try:
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
        vms = list(view.view)
        for vm in vms[:changes]:
            rec = store.typed(VirtualMachine, vm._moId)
            assert rec is not None
            want = "poweredOff" if rec.power_state == "poweredOn" else "poweredOn"
            started = time.perf_counter()
            await asyncio.to_thread(vm.PowerOffVM_Task if want == "poweredOff" else vm.PowerOnVM_Task)
            await until(
                lambda m=vm._moId, w=want: (r := store.typed(VirtualMachine, m)) and r.power_state == w
            )
            power.append(time.perf_counter() - started)
        for vm in vms[changes : changes + reconfigs]:
            rec = store.typed(VirtualMachine, vm._moId)
            assert rec is not None and rec.details_loaded
            want_disks = len(rec.disks) + 1
            spec = await asyncio.to_thread(add_disk_spec, vm)
            started = time.perf_counter()
            await asyncio.to_thread(vm.ReconfigVM_Task, spec)
            await until(
                lambda m=vm._moId, n=want_disks: (r := store.typed(VirtualMachine, m)) and len(r.disks) == n
            )
            disks.append(time.perf_counter() - started)
    finally:
        pumping.cancel()
        await asyncio.to_thread(Disconnect, si)
    return power, disks


def add_disk_spec(vm: Any) -> Any:
    """A 1 GB thin disk on the VM's first SCSI controller at its first free unit number."""
    devices = vm.config.hardware.device
    controller = next(d for d in devices if isinstance(d, vim.vm.device.VirtualSCSIController))
    used = {d.unitNumber for d in devices if d.controllerKey == controller.key}
    disk = vim.vm.device.VirtualDisk(
        key=-1,
        controllerKey=controller.key,
        unitNumber=min(set(range(16)) - used - {7}),
        capacityInKB=1024 * 1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            fileName="", diskMode="persistent", thinProvisioned=True
        ),
    )
    change = vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=disk)
    return vim.vm.ConfigSpec(deviceChange=[change])


def bare_latency(url: str, specs: Specs, changes: int) -> list[float]:
    """The floor for change latency: a bare WaitForUpdatesEx loop on the same filter, no store, no records."""
    watcher, actor = connect(url), connect(url)
    try:
        content = watcher.content
        view = content.viewManager.CreateContainerView(content.rootFolder, VIEW_TYPES, True)
        traversal = PC.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)
        obj = PC.ObjectSpec(obj=view, skip=True, selectSet=[traversal])
        props = [PC.PropertySpec(type=t, pathSet=p) for t, p in specs]
        pc = content.propertyCollector.CreatePropertyCollector()
        pc.CreateFilter(PC.FilterSpec(objectSet=[obj], propSet=props), partialUpdates=False)
        version = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0)).version
        actor_view = actor.content.viewManager.CreateContainerView(
            actor.content.rootFolder, [vim.VirtualMachine], True
        )
        latencies = []
        for vm in list(actor_view.view)[-changes:]:
            on = vm.runtime.powerState == "poweredOn"
            started = time.perf_counter()
            vm.PowerOffVM_Task() if on else vm.PowerOnVM_Task()
            seen = False
            while not seen:
                result = pc.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=30))
                if result is None:
                    raise RuntimeError("no update within 30 s")
                version = result.version
                seen = any(
                    u.obj._moId == vm._moId and any(c.name in POWER for c in u.changeSet or ())
                    for f in result.filterSet or ()
                    for u in f.objectSet or ()
                )
            latencies.append(time.perf_counter() - started)
        pc.Destroy()
        return latencies
    finally:
        Disconnect(watcher)
        Disconnect(actor)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=10_000)
    parser.add_argument("--naive-subset", type=int, default=200)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--reconfigs", type=int, default=5)
    args = parser.parse_args()

    binary = vcsim_binary()
    if binary is None:
        print("vcenter_sync: vcsim not built; run `make vcsim`", file=sys.stderr)
        return 1
    # 2 datacenters × 5 clusters × 10 hosts, VMs spread evenly over the 100 hosts.
    per_host = max(1, round(args.vms / 100))
    topology = Topology(dc=2, cluster=5, host=10, standalone=0, vm=per_host)
    sim = Vcsim(binary=binary, topology=topology, start_timeout=900)
    started = time.perf_counter()
    sim.start()
    print(
        f"vcsim: {topology.vms} VMs on {topology.hosts} hosts, started in {time.perf_counter() - started:.1f} s"
    )
    try:
        floor_light, objects = floor(sim.url, specs_with(VM_LIGHT))
        floor_full, _ = floor(sim.url, specs_with(VM_LIGHT + VM_DETAILS))
        naive_time, naive_n = naive(sim.url, args.naive_subset)
        naive_scaled = naive_time * topology.vms / naive_n

        async def measure() -> tuple[list[float], int, list[float], list[float]]:
            calls, count, inventory, store = await ours(sim.url)
            try:
                power, disks = await change_latency(sim.url, inventory, store, args.changes, args.reconfigs)
            finally:
                await inventory.close()
            return calls, count, power, disks

        calls, count, latencies, disk_latencies = asyncio.run(measure())
        ours_light, ours_full = calls[0], sum(calls)
        bare = bare_latency(sim.url, specs_with(VM_WATCHED), args.changes)
        bare_old = bare_latency(sim.url, OLD_FILTER, args.changes)
    finally:
        sim.stop()

    assert count == topology.vms, f"store holds {count} VMs, simulator {topology.vms}"
    floor_both = floor_light + floor_full
    speedup = naive_scaled / ours_light
    vs_floor = ours_light / floor_light
    print(f"objects in the view: {objects:,}; VMs in the store: {count:,}")
    print(f"floor, light properties (RetrievePropertiesEx):  {floor_light:7.2f} s")
    print(f"floor, light + devices + guest.net:               {floor_full:7.2f} s")
    print(f"ours, light pass to store (rows on screen):       {ours_light:7.2f} s  = {vs_floor:.2f}× floor")
    print(
        f"ours, all passes to store (details loaded):       {ours_full:7.2f} s  = {ours_full / floor_full:.2f}× "
        f"the full floor, {ours_full / floor_both:.2f}× light+full floors"
    )
    print(
        f"{'ours, each changes() call of the sync:':50s}"
        + ", ".join(f"{c:.2f}" for c in calls)
        + " s  (light pass; the filter's initial state; details pages)"
    )
    print(
        f"naive per-attribute loop: {naive_time:.2f} s for {naive_n} VMs → {naive_scaled:7.1f} s for "
        f"{topology.vms:,} (scaled)"
    )
    print(f"speed-up over naive (light pass):                 {speedup:7.1f}×")
    median = statistics.median
    print(
        f"change → store ({len(latencies)} power operations):      median {median(latencies):.3f} s, "
        f"max {max(latencies):.3f} s"
    )
    if disk_latencies:
        print(
            f"disk add → store ({len(disk_latencies)} ReconfigVM_Task):       median {median(disk_latencies):.3f} s, "
            f"max {max(disk_latencies):.3f} s  (marker, then that VM's devices re-read)"
        )
    print(
        f"bare WaitForUpdatesEx, watched filter (floor):    median {median(bare):.3f} s, "
        f"max {max(bare):.3f} s  → ours {median(latencies) / median(bare):.2f}× the floor"
    )
    print(
        f"bare WaitForUpdatesEx, old filter (light+devices): median {median(bare_old):.3f} s, "
        f"max {max(bare_old):.3f} s  (for comparison: the filter before)"
    )

    slowest_change = max(median(latencies), median(disk_latencies) if disk_latencies else 0.0)
    goals = [
        ("light pass ≥ 20× faster than the naive loop", f"{speedup:.1f}×", speedup >= 20),
        ("light pass ≤ 1.3× the RetrievePropertiesEx floor", f"{vs_floor:.2f}×", vs_floor <= 1.3),
        (
            "change → store ≤ 1 s (median, power and disk add)",
            f"{slowest_change:.3f} s",
            slowest_change <= 1.0,
        ),
    ]
    print("goals (issue 4):")
    for goal, value, met in goals:
        print(f"  {'met    ' if met else 'NOT MET'}  {goal}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
