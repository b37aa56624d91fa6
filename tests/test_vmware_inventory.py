"""The pyvmomi inventory source against govmomi's vCenter simulator (vcsim)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from asr_console.model.compat import Status, check_vm
from asr_console.model.errors import AuthError, Unreachable
from asr_console.model.intervals import Intervals
from asr_console.model.privileges import Purpose
from asr_console.model.protocols import InventorySource
from asr_console.model.records import (
    Cluster,
    Datacenter,
    Datastore,
    Host,
    Kind,
    Network,
    VirtualMachine,
)
from asr_console.model.store import Store
from asr_console.sources.vmware import BadURL, UntrustedCertificate, VCenterInventory
from asr_console.sync.streams import VCENTER, build_engine
from tests.vcsim_fixture import SESSION_TOPOLOGY, Topology, Vcsim, VcsimFactory, moref_of
from tests.waiting import run_task, wait_until

pytestmark = pytest.mark.vcsim

DEADLINE = 20.0


def direct(url: str) -> Any:
    """An independent pyvmomi session for the oracle reads and the mutations."""
    parts = urlsplit(url)
    return SmartConnect(protocol=parts.scheme, host=parts.hostname, port=parts.port, user="u", pwd="p")


def all_of(si: Any, vimtype: Any) -> list[Any]:
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vimtype], True)
    try:
        return list(view.view)
    finally:
        view.Destroy()


def datacenter_of(entity: Any) -> str:
    while entity is not None and not isinstance(entity, vim.Datacenter):
        entity = entity.parent
    return moref_of(entity) if entity is not None else ""


async def full_sync(inventory: VCenterInventory, store: Store) -> None:
    store.apply(await inventory.changes(1))
    while not inventory.synced:
        store.apply(await inventory.changes(1))


@pytest.fixture
async def session_inventory(vcsim: Vcsim) -> AsyncIterator[VCenterInventory]:
    inventory = VCenterInventory(vcsim.url, "user", "secret")
    try:
        yield inventory
    finally:
        await inventory.close()


async def test_is_an_inventory_source(session_inventory: VCenterInventory) -> None:
    assert isinstance(session_inventory, InventorySource)
    info = await session_inventory.connect()
    assert info.url == session_inventory.url
    assert info.version and info.api_version
    assert "secret" not in repr(session_inventory)


async def test_full_inventory_equals_simulator(vcsim: Vcsim, session_inventory: VCenterInventory) -> None:
    store = Store()
    first = await session_inventory.changes(1)
    assert first.replacements, "the first call returns the full inventory as replacements"
    store.apply(first)
    light = store.all(VirtualMachine)
    assert len(light) == SESSION_TOPOLOGY.vms
    assert not any(vm.details_loaded for vm in light), "first pass is the light one"
    await full_sync(session_inventory, store)

    topo = SESSION_TOPOLOGY
    assert store.count(Kind.DATACENTER) == topo.dc
    assert store.count(Kind.CLUSTER) == topo.dc * topo.cluster
    assert store.count(Kind.HOST) == topo.hosts
    assert store.count(Kind.VM) == topo.vms

    si = direct(vcsim.url)
    try:
        expected_dcs = {moref_of(dc): dc.name for dc in all_of(si, vim.Datacenter)}
        assert {d.moref: d.name for d in store.all(Datacenter)} == expected_dcs

        clusters = all_of(si, vim.ClusterComputeResource)
        assert {c.moref: (c.name, c.datacenter) for c in store.all(Cluster)} == {
            moref_of(c): (c.name, datacenter_of(c)) for c in clusters
        }
        hosts = all_of(si, vim.HostSystem)
        assert {h.moref: (h.name, h.datacenter, h.cluster, h.connection_state) for h in store.all(Host)} == {
            moref_of(h): (
                h.name,
                datacenter_of(h),
                moref_of(h.parent) if isinstance(h.parent, vim.ClusterComputeResource) else None,
                h.runtime.connectionState,
            )
            for h in hosts
        }
        assert sum(1 for h in store.all(Host) if h.cluster is None) == topo.dc * topo.standalone
        datastores = all_of(si, vim.Datastore)
        assert {d.moref: (d.name, d.capacity_bytes, d.free_bytes) for d in store.all(Datastore)} == {
            # an over-committed datastore reports negative free space; the console shows none free
            moref_of(d): (d.name, d.summary.capacity, max(0, d.summary.freeSpace))
            for d in datastores
        }
        networks = all_of(si, vim.Network)
        assert {n.moref: (n.name, n.datacenter) for n in store.all(Network)} == {
            moref_of(n): (n.name, datacenter_of(n)) for n in networks
        }

        vms = all_of(si, vim.VirtualMachine)
        assert len(vms) == topo.vms
        for vm in vms:
            rec = store.typed(VirtualMachine, moref_of(vm))
            assert rec is not None and rec.details_loaded
            config = vm.config
            host = vm.runtime.host
            assert rec.name == vm.name
            assert rec.power_state == vm.runtime.powerState
            assert rec.guest_id == config.guestId
            assert rec.num_cpu == config.hardware.numCPU
            assert rec.memory_mb == config.hardware.memoryMB
            assert rec.bios_uuid == config.uuid
            assert rec.instance_uuid == config.instanceUuid
            assert rec.firmware == config.firmware
            assert rec.secure_boot == bool(config.bootOptions.efiSecureBootEnabled)
            assert rec.host == moref_of(host)
            assert rec.cluster == (
                moref_of(host.parent) if isinstance(host.parent, vim.ClusterComputeResource) else ""
            )
            assert rec.datacenter == datacenter_of(vm)
            disks: list[Any] = [d for d in config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
            assert [(d.key, d.capacityInKB * 1024, d.backing.diskMode) for d in disks] == [
                (d.key, d.capacity_bytes, d.mode) for d in rec.disks
            ]
            nics = [d for d in config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]
            assert [n.macAddress for n in nics] == [n.mac for n in rec.nics]
            ips = {n.deviceConfigId: tuple(n.ipAddress or ()) for n in vm.guest.net or ()}
            assert [ips.get(n.key, ()) for n in nics] == [n.ips for n in rec.nics]
        # every host carries the VMs the flags asked for
        per_host: dict[str, int] = {}
        for rec in store.all(VirtualMachine):
            per_host[rec.host] = per_host.get(rec.host, 0) + 1
        assert sorted(per_host.values()) == [topo.vm] * topo.hosts
    finally:
        Disconnect(si)


async def test_one_shot_snapshot_reads_the_same_inventory_complete(vcsim: Vcsim) -> None:
    """``snapshot()`` (what ``inventory`` without --watch reads, in one pass) holds what the whole
    light/state/details sync holds, every VM with its devices, and leaves churn readable."""
    synced, once = Store(), Store()
    watching = VCenterInventory(vcsim.url, "user", "secret")
    one_shot = VCenterInventory(vcsim.url, "user", "secret", page_size=7)  # several pages
    try:
        await full_sync(watching, synced)
        once.apply(await one_shot.snapshot())
        assert not one_shot.synced, "a snapshot sets up no watch"
        churn = await one_shot.churn()
    finally:
        await watching.close()
        await one_shot.close()
    assert once.count(Kind.VM) == SESSION_TOPOLOGY.vms
    assert all(vm.details_loaded for vm in once.all(VirtualMachine))
    assert any(vm.disks for vm in once.all(VirtualMachine))
    for kind in (Kind.VM, Kind.HOST, Kind.CLUSTER, Kind.DATACENTER, Kind.DATASTORE, Kind.NETWORK):
        assert dict(once.collection(kind)) == dict(synced.collection(kind)), kind
    running = [vm for vm in once.all(VirtualMachine) if vm.power_state == "poweredOn"]
    assert {c.moref for c in churn} <= {vm.moref for vm in running}
    assert churn or not running


async def test_simulated_estate_exercises_compat_rules(
    vcsim: Vcsim, session_inventory: VCenterInventory
) -> None:
    store = Store()
    await full_sync(session_inventory, store)
    results = {vm.moref: check_vm(vm) for vm in store.all(VirtualMachine)}
    statuses = {r.status for r in results.values()}
    assert statuses == {Status.OK, Status.WARNING, Status.BLOCKED}
    rules = {f.rule for r in results.values() for f in r.findings}
    assert {"guest-os", "name", "firmware"} <= rules
    for vm in store.all(VirtualMachine):
        if vm.secure_boot:
            assert results[vm.moref].status is Status.BLOCKED


async def test_changes_reach_the_store(vcsim_factory: VcsimFactory) -> None:
    sim = vcsim_factory(Topology(dc=1, cluster=1, host=1, standalone=1, vm=2))
    inventory = VCenterInventory(sim.url, "user", "secret")
    store = Store()
    engine = build_engine(store, None, inventory, Intervals(inventory_wait=2, events=1, churn=5))
    si = direct(sim.url)
    try:
        await engine.start()
        await wait_until(
            lambda: inventory.synced and store.count(Kind.VM) == 4, DEADLINE, what="initial sync"
        )
        assert not store.freshness(VCENTER).stale

        vm = next(v for v in all_of(si, vim.VirtualMachine) if v.runtime.powerState == "poweredOn")
        moref = moref_of(vm)

        def record() -> VirtualMachine | None:
            return store.typed(VirtualMachine, moref)

        await run_task(vm.PowerOffVM_Task)
        await wait_until(
            lambda: (r := record()) is not None and r.power_state == "poweredOff", DEADLINE, what="power off"
        )

        await run_task(lambda: vm.Rename_Task("renamed-by-test"))
        await wait_until(
            lambda: (r := record()) is not None and r.name == "renamed-by-test", DEADLINE, what="rename"
        )

        # A disk added and removed by ReconfigVM_Task. The watched filter names no device lists: the
        # change arrives as a marker (vcsim reports summary.config.numVirtualDisks; vCenter also bumps
        # config.changeVersion) and the source re-reads that VM's devices.
        def disks() -> dict[int, Any]:
            rec = record()
            return {d.key: d for d in rec.disks} if rec is not None else {}

        before = set(disks())
        await run_task(lambda: vm.ReconfigVM_Task(spec=_add_disk_spec(vm, size_gb=3)))
        await wait_until(lambda: len(disks()) == len(before) + 1, DEADLINE, what="disk added")
        (added,) = (d for key, d in disks().items() if key not in before)
        assert added.capacity_bytes == 3 * 1024**3 and added.thin
        await run_task(lambda: vm.ReconfigVM_Task(spec=_remove_disk_spec(vm, added.key)))
        await wait_until(lambda: set(disks()) == before, DEADLINE, what="disk removed")

        # A migration to another host (and out of or into the cluster) comes as summary.runtime.
        target = next(h for h in all_of(si, vim.HostSystem) if moref_of(h) != moref_of(vm.runtime.host))
        cluster = moref_of(target.parent) if isinstance(target.parent, vim.ClusterComputeResource) else ""
        relocate = vim.vm.RelocateSpec(host=target, pool=target.parent.resourcePool)
        await run_task(lambda: vm.RelocateVM_Task(spec=relocate))
        await wait_until(
            lambda: (r := record()) is not None and (r.host, r.cluster) == (moref_of(target), cluster),
            DEADLINE,
            what="migration",
        )

        await run_task(vm.Destroy_Task)
        await wait_until(lambda: record() is None, DEADLINE, what="destroy")
        assert store.count(Kind.VM) == 3

        host = all_of(si, vim.HostSystem)[0]
        folder = si.content.rootFolder.childEntity[0].vmFolder
        pool = host.parent.resourcePool
        create = vim.vm.ConfigSpec(
            name="created-by-test",
            guestId="otherGuest",
            files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"),
            numCPUs=1,
            memoryMB=512,
        )
        await run_task(lambda: folder.CreateVM_Task(config=create, pool=pool, host=host))
        await wait_until(
            lambda: any(v.name == "created-by-test" for v in store.all(VirtualMachine)),
            DEADLINE,
            what="created VM",
        )
        assert store.count(Kind.VM) == 4
        created = next(v for v in store.all(VirtualMachine) if v.name == "created-by-test")
        assert created.host == moref_of(host) and created.details_loaded

        # the power-off reached the activity stream too
        await wait_until(
            lambda: any(e.entity_id == moref and "Off" in e.event_type for e in store.all(_event_cls())),
            DEADLINE,
            what="power-off event",
        )
    finally:
        await engine.stop()
        await inventory.close()
        Disconnect(si)


def _add_disk_spec(vm: Any, size_gb: int) -> Any:
    """A thin disk on the VM's first SCSI controller, at its first free unit number."""
    devices = vm.config.hardware.device
    controller = next(d for d in devices if isinstance(d, vim.vm.device.VirtualSCSIController))
    used = {d.unitNumber for d in devices if d.controllerKey == controller.key}
    unit = min(set(range(16)) - used - {7})  # unit 7 is the controller's own
    disk = vim.vm.device.VirtualDisk(
        key=-1,
        controllerKey=controller.key,
        unitNumber=unit,
        capacityInKB=size_gb * 1024 * 1024,
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            fileName="", diskMode="persistent", thinProvisioned=True
        ),
    )
    change = vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=disk)
    return vim.vm.ConfigSpec(deviceChange=[change])


def _remove_disk_spec(vm: Any, key: int) -> Any:
    disk = next(d for d in vm.config.hardware.device if d.key == key)
    change = vim.vm.device.VirtualDeviceSpec(operation="remove", fileOperation="destroy", device=disk)
    return vim.vm.ConfigSpec(deviceChange=[change])


def _event_cls() -> Any:
    from asr_console.model.records import Event

    return Event


async def test_kill_and_restart_recovers(vcsim_factory: VcsimFactory) -> None:
    topology = Topology(dc=1, cluster=1, host=2, standalone=0, vm=3)
    sim = vcsim_factory(topology)
    inventory = VCenterInventory(sim.url, "user", "secret", timeout=5)
    store = Store()
    engine = build_engine(store, None, inventory, Intervals(inventory_wait=1, events=1, churn=30))
    try:
        await engine.start()
        await wait_until(
            lambda: inventory.synced and store.count(Kind.VM) == topology.vms, DEADLINE, what="initial sync"
        )
        before = set(store.keys(Kind.VM))

        sim.kill()
        await wait_until(
            lambda: store.freshness(VCENTER).stale, DEADLINE, what="stale after the simulator died"
        )
        error = store.freshness(VCENTER).last_error or ""
        assert "Unreachable" in error and sim.url in error

        await asyncio.to_thread(sim.restart)
        await wait_until(
            lambda: not store.freshness(VCENTER).stale, timeout=60, what="fresh again after restart"
        )
        await wait_until(lambda: inventory.synced, timeout=60, what="resynchronised")
        assert set(store.keys(Kind.VM)) == before, "no VM duplicated or lost across the resync"
        assert store.count(Kind.HOST) == topology.hosts

        # deltas flow on the new session
        si = direct(sim.url)
        try:
            vm = next(v for v in all_of(si, vim.VirtualMachine) if v.runtime.powerState == "poweredOn")
            await run_task(vm.PowerOffVM_Task)
            await wait_until(
                lambda: (
                    (r := store.typed(VirtualMachine, moref_of(vm))) is not None
                    and r.power_state == "poweredOff"
                ),
                DEADLINE,
                what="power off after restart",
            )
        finally:
            Disconnect(si)
    finally:
        await engine.stop()
        await inventory.close()


async def test_resync_replaces_what_changed_while_away(vcsim_factory: VcsimFactory) -> None:
    """A restart with a different topology: the resync removes what is gone and adds what is new."""
    sim = vcsim_factory(Topology(dc=1, cluster=1, host=1, standalone=0, vm=4))
    inventory = VCenterInventory(sim.url, "user", "secret", timeout=5)
    store = Store()
    try:
        await full_sync(inventory, store)
        assert store.count(Kind.VM) == 4
        sim.kill()
        with pytest.raises(Unreachable):
            await inventory.changes(1)
        sim.topology = Topology(dc=1, cluster=1, host=1, standalone=0, vm=2)
        await asyncio.to_thread(sim.restart)

        async def attempt() -> bool:
            try:
                await full_sync(inventory, store)
                return True
            except Unreachable:
                await asyncio.sleep(0.2)
                return False

        deadline = time.monotonic() + 30
        while not await attempt():
            assert time.monotonic() < deadline, "did not reconnect"
        assert store.count(Kind.VM) == 2
        si = direct(sim.url)
        try:
            assert set(store.keys(Kind.VM)) == {moref_of(v) for v in all_of(si, vim.VirtualMachine)}
        finally:
            Disconnect(si)
    finally:
        await inventory.close()


async def test_self_signed_https_refused_without_insecure(vcsim_factory: VcsimFactory) -> None:
    sim = vcsim_factory(Topology(dc=1, cluster=0, host=0, standalone=1, vm=1), "-tls")
    assert sim.url.startswith("https://")
    strict = VCenterInventory(sim.url, "user", "secret")
    try:
        with pytest.raises(UntrustedCertificate) as refused:
            await strict.connect()
        message = str(refused.value)
        assert "certificate" in message and "--insecure" in message
    finally:
        await strict.close()
    lax = VCenterInventory(sim.url, "user", "secret", insecure=True)
    try:
        await lax.connect()
        store = Store()
        await full_sync(lax, store)
        assert store.count(Kind.VM) == 1
    finally:
        await lax.close()


async def test_login_errors_name_the_cause(vcsim_factory: VcsimFactory) -> None:
    sim = vcsim_factory(
        Topology(dc=1, cluster=0, host=0, standalone=1, vm=1), "-username=admin", "-password=right"
    )
    wrong = VCenterInventory(sim.url, "admin", "wrong")
    try:
        with pytest.raises(AuthError, match="wrong user name or password"):
            await wrong.connect()
        assert "wrong" not in repr(wrong).replace("wrong user", "")
    finally:
        await wrong.close()
    right = VCenterInventory(sim.url, "admin", "right")
    try:
        await right.connect()
    finally:
        await right.close()

    port = sim.port
    sim.stop()
    refused = VCenterInventory(f"http://127.0.0.1:{port}/sdk", "admin", "right")
    try:
        with pytest.raises(Unreachable, match="refused"):
            await refused.connect()
    finally:
        await refused.close()
    with pytest.raises(BadURL):
        VCenterInventory("ftp://vc01", "u", "p")


async def test_events_and_churn(vcsim: Vcsim, session_inventory: VCenterInventory) -> None:
    store = Store()
    await full_sync(session_inventory, store)
    events = await session_inventory.events()
    assert events and all(e.source == "vcenter" for e in events)
    assert len({e.id for e in events}) == len(events)
    assert await session_inventory.events() == [], "only new events on the next call"

    samples = await session_inventory.churn()
    powered_on = {vm.moref for vm in store.all(VirtualMachine) if vm.power_state == "poweredOn"}
    assert {s.moref for s in samples} == powered_on
    for sample in samples:
        times = [t for t, _ in sample.samples]
        assert times == sorted(times) and len(times) == len(set(times))
        assert all(value >= 0 for _, value in sample.samples)
        # per-disk series line up with the VM's sample times
        for _disk, values in sample.disk_samples:
            assert len(values) == len(times) and all(v >= 0 for v in values)


async def test_account_check_reports_missing_privileges(vcsim_factory: VcsimFactory) -> None:
    denied = ["VirtualMachine.Interact.PowerOff", "Datastore.Browse"]
    sim = vcsim_factory(Topology(dc=2, cluster=0, host=0, standalone=1, vm=0), f"-deny={','.join(denied)}")
    inventory = VCenterInventory(sim.url, "user", "secret")
    try:
        await full_sync(inventory, Store())
        reports = await inventory.check_privileges()
        assert len(reports) == 2  # one per datacenter
        for report in reports:
            assert sorted(p.id for p in report.missing) == sorted(denied)
            assert not report.ok and report.ok_for(Purpose.DISCOVERY)
            assert not report.ok_for(Purpose.REPLICATION)
    finally:
        await inventory.close()


@pytest.mark.vcsim
async def test_a_session_vcenter_could_not_log_out_is_ended_once_it_answers(
    vcsim_factory: VcsimFactory,
) -> None:
    """A call that times out drops its login, and the logout of a frozen vCenter times out too: the
    session must be ended when vCenter answers again, or each freeze leaves the account one more."""
    import signal

    from tests.fault_suite import sessions_of

    sim = vcsim_factory(Topology(dc=1, cluster=1, host=1, standalone=0, vm=2))
    assert sim.process is not None
    inventory = VCenterInventory(sim.url, "user", "secret", timeout=2, max_wait_cap=1)
    try:
        await inventory.snapshot()
        assert len(await asyncio.to_thread(sessions_of, sim.url)) == 1
        sim.process.send_signal(signal.SIGSTOP)
        try:
            with pytest.raises(Unreachable):
                await inventory.snapshot()
        finally:
            sim.process.send_signal(signal.SIGCONT)
        await inventory.snapshot()  # a new login; the old session is logged out now
        assert len(await asyncio.to_thread(sessions_of, sim.url)) == 1
    finally:
        await inventory.close()
