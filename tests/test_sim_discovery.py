"""The simulated site's appliance discovers its protectable items from a real vSphere API (vcsim) through
``VCenterInventory``, and follows VMs that appear, change and go. Read back through the unmodified SDK."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from asr_console import cli
from asr_console.commands.site import open_demo_site
from asr_console.model.records import ProtectableItem, ProtectedItem, VirtualMachine
from asr_console.sim.arm_server import serve_site
from asr_console.sim.discovery import discovered_site
from asr_console.sources.azure import AzureRecoveryService
from asr_console.sources.azure_auth import StaticTokenCredential
from asr_console.sources.vmware import VCenterInventory
from tests.arm_site import sdk_service
from tests.vcsim_fixture import Topology, VcsimFactory, moref_of
from tests.waiting import run_task, wait_until

pytestmark = pytest.mark.vcsim

DEADLINE = 30.0


def connect(url: str) -> Any:
    parts = urlsplit(url)
    return SmartConnect(protocol=parts.scheme, host=parts.hostname, port=parts.port, user="u", pwd="p")


def vms_of(si: Any) -> list[Any]:
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
    try:
        return list(view.view)
    finally:
        view.Destroy()


async def destroy(vm: Any) -> None:
    if vm.runtime.powerState == "poweredOn":
        await run_task(vm.PowerOffVM_Task)
    await run_task(vm.Destroy_Task)


async def test_site_discovers_and_follows_the_vcenter(vcsim_factory: VcsimFactory) -> None:
    sim = vcsim_factory(Topology(dc=2, cluster=1, host=2, standalone=1, vm=2))
    si = connect(sim.url)
    try:
        vcenter_vms = {moref_of(vm): vm for vm in vms_of(si)}
        assert len(vcenter_vms) == 12
        names = {vm.name for vm in vcenter_vms.values()}
        source = VCenterInventory(sim.url, "user", "secret")
        async with discovered_site(
            source, protected=4, seed=3, speed=0.0, provider="mixed", max_wait=1.0
        ) as engine:
            # the estate is the vCenter's, with devices: nothing generated
            assert set(engine.estate.vms) == set(vcenter_vms)
            assert all(vm.details_loaded and vm.disks for vm in engine.estate.vms.values())
            async with serve_site(engine) as site:
                service = sdk_service(site)
                try:
                    protected = await service.protected_items()
                    assert len(protected) == 4 and {i.friendly_name for i in protected} <= names
                    by_uuid = {vm.config.instanceUuid: vm for vm in vcenter_vms.values()}
                    assert all(
                        by_uuid[i.source_instance_uuid].name == i.friendly_name
                        for i in protected
                        if i.source_instance_uuid
                    )

                    async def protectable() -> dict[str, Any]:
                        # both fabrics (appliance and configuration server) discover the same vCenter
                        listed = await service.protectable_items()
                        return {p.friendly_name: p for p in listed}

                    first = await protectable()
                    assert set(first) == names
                    assert {n for n, p in first.items() if p.protection_status == "Protected"} == {
                        i.friendly_name for i in protected
                    }

                    # a VM created in vCenter becomes protectable
                    host = next(h for h in vcenter_vms.values()).runtime.host
                    folder = si.content.rootFolder.childEntity[0].vmFolder
                    spec = vim.vm.ConfigSpec(
                        name="new-app-01",
                        guestId="windows9Server64Guest",
                        files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"),
                        numCPUs=2,
                        memoryMB=2048,
                    )
                    await run_task(
                        lambda: folder.CreateVM_Task(config=spec, pool=host.parent.resourcePool, host=host)
                    )

                    async def created() -> bool:
                        item = (await protectable()).get("new-app-01")
                        return (
                            item is not None
                            and item.protection_status == "Unprotected"
                            and item.os_type == "Windows"
                        )

                    await wait_until(created, DEADLINE, what="the created VM listed as protectable")

                    # renamed and destroyed unprotected VMs follow
                    unprotected = [
                        vm for vm in vcenter_vms.values() if first[vm.name].protection_status != "Protected"
                    ]
                    renamed, destroyed = unprotected[0], unprotected[1]
                    old_name, gone_name = renamed.name, destroyed.name
                    await run_task(lambda: renamed.Rename_Task("renamed-db-01"))
                    await destroy(destroyed)

                    async def followed() -> bool:
                        now = await protectable()
                        return "renamed-db-01" in now and old_name not in now and gone_name not in now

                    await wait_until(
                        followed, DEADLINE, what="rename and destroy reach the protectable items"
                    )

                    # a protected VM destroyed in vCenter keeps its item, which stops hearing from it
                    victim = next(i for i in protected if i.replication_health.value == "Normal")
                    vm = next(v for v in vms_of(si) if v.name == victim.friendly_name)
                    await destroy(vm)
                    await wait_until(
                        lambda: victim.friendly_name not in {v.name for v in engine.estate.vms.values()},
                        DEADLINE,
                        what="discovery of the destroyed VM",
                    )
                    engine.advance(3 * 3600)
                    after = {i.id: i for i in await service.protected_items()}
                    assert victim.id in after
                    assert "78174" in {e.code for e in after[victim.id].health_errors}
                    assert victim.friendly_name not in await protectable()
                finally:
                    await service.close()
    finally:
        Disconnect(si)


async def test_demo_with_vcenter_discovers_it_on_both_sides(
    vcsim_factory: VcsimFactory, monkeypatch: pytest.MonkeyPatch
) -> None:

    sim = vcsim_factory(Topology(dc=1, cluster=1, host=2, standalone=0, vm=3))
    si = connect(sim.url)
    try:
        names = {vm.name for vm in vms_of(si)}
    finally:
        Disconnect(si)
    monkeypatch.setenv("GOVC_PASSWORD", "secret")
    args = cli.build_parser().parse_args(
        ["demo", "--vcenter", sim.url, "--user", "admin", "--protected", "2", "--speed", "1"]
    )
    settings = cli.settings_from_args(args)
    async with open_demo_site(args, settings) as session:
        assert session.engine is not None
        await session.engine.start()
        store = session.store

        def both_sides() -> bool:
            vms = {vm.name for vm in store.all(VirtualMachine)}
            protectable = {p.friendly_name for p in store.all(ProtectableItem)}
            return vms == names and protectable == names and len(store.all(ProtectedItem)) == 2

        await wait_until(
            both_sides, DEADLINE, what="the console's vCenter and the site's protectable items agree"
        )
        protected = {i.friendly_name for i in store.all(ProtectedItem)}
        assert protected <= names


SITE = ("--user", "admin", "--protected", "2", "--provider", "inmagercm")
USER = ("--user", "admin")


def test_simulate_with_vcenter_serves_its_vms(vcsim_factory: VcsimFactory) -> None:

    sim = vcsim_factory(Topology(dc=1, cluster=1, host=1, standalone=1, vm=2))
    si = connect(sim.url)
    try:
        names = {vm.name for vm in vms_of(si)}
    finally:
        Disconnect(si)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "asr_console",
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--vcenter",
            sim.url,
            *SITE,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "GOVC_PASSWORD": "secret"},
    )
    try:
        assert process.stdout is not None
        connection = json.loads(process.stdout.readline())

        async def read() -> tuple[set[str], int]:
            service = AzureRecoveryService(
                subscription=connection["subscription"],
                resource_group=connection["resource_group"],
                vault=connection["vault"],
                credential=StaticTokenCredential("t"),
                arm_endpoint=connection["arm_endpoint"],
                ca_bundle=connection["ca_bundle"],
            )
            try:
                protectable = {p.friendly_name for p in await service.protectable_items()}
                return protectable, len(await service.protected_items())
            finally:
                await service.close()

        assert asyncio.run(read()) == (names, 2)
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


def test_simulate_with_unreachable_vcenter_is_one_line_exit_3() -> None:

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "asr_console", "simulate", "--vcenter", f"http://127.0.0.1:{port}/sdk", *USER],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GOVC_PASSWORD": "secret"},
    )
    assert result.returncode == 3 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in result.stderr, result.stderr


def test_simulate_names_an_unreachable_vcenter_once_with_its_password_masked() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://admin:s3cret@127.0.0.1:{port}/sdk"
    result = subprocess.run(
        [sys.executable, "-m", "asr_console", "simulate", "--vcenter", url],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("GOVC_")},
    )
    assert result.returncode == 3 and "s3cret" not in result.stderr, result.stderr
    assert result.stderr.count("vCenter ") == 1 and result.stderr.count("/sdk") == 1, result.stderr
