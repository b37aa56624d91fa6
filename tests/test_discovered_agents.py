"""Whether discovered (not yet protected) machines have a Mobility agent, read through the SDK from the
simulated site: a modernized vault says it by the Mobility agents registered with the appliance (the
InMageRcm fabric's ``agentDetails``, matched by BIOS id), a classic one per protectable item
(``VMwareVirtualMachineDetails.agentInstalled`` / ``agentVersion``). Some machines have one, some not;
a push install by enable leaves one behind even after replication is disabled."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import AsyncIterator

import pytest
from azure.mgmt.recoveryservicessiterecovery import models

from asr_console.model.join import normalize_uuid
from asr_console.model.records import ProtectableItem, VirtualMachine
from asr_console.sim import SimEngine, make_demo_site
from asr_console.sim.arm_server import SiteEndpoint, serve_site
from asr_console.sim.clock import DEFAULT_EPOCH
from asr_console.widgets.inventory import InventoryView
from tests.arm_site import on_site, sdk_service
from tests.test_enable_command import policy_of, targets
from tests.test_status_command import clean_environment, connection_flags
from tests.test_ui_simulated import simulated_app
from tests.test_write_commands import command
from tests.waiting import wait_until

__all__ = ["clean_environment"]


def by_uuid(machines: list[ProtectableItem]) -> dict[str, ProtectableItem]:
    return {normalize_uuid(m.instance_uuid): m for m in machines}


async def test_a_modernized_vault_tells_by_the_agents_registered_with_the_appliance() -> None:
    engine = make_demo_site(vms=40, protected=12, seed=5, speed=0.0, provider="inmagercm")
    fabric = next(iter(engine.fabrics.values()))
    # the fabric's details as the SDK reads them: one AgentDetails per VM with an agent, by BIOS id
    properties = models.Fabric(engine.get_fabric(fabric.name)).properties
    assert properties is not None
    details = properties.custom_details
    assert isinstance(details, models.InMageRcmFabricSpecificDetails)
    registered = {normalize_uuid(a.bios_id or "") for a in details.agent_details or []}
    async with on_site(engine) as service:
        machines = list(await service.protectable_items())
    assert len(machines) == 40
    protected = {normalize_uuid(i.instance_uuid) for i in engine.items.values()}
    found = by_uuid(machines)
    assert all(found[u].agent_installed for u in protected)  # a replicating VM runs its agent
    unprotected = [m for u, m in found.items() if u not in protected]
    with_agent = [m for m in unprotected if m.agent_installed]
    assert 0 < len(with_agent) < len(unprotected)  # mixed: some by hand, most waiting for a push
    assert {normalize_uuid(m.bios_guid) for m in machines if m.agent_installed} == registered
    assert all(m.agent_installed is False for m in unprotected if m not in with_agent)


async def test_a_classic_vault_says_it_per_protectable_item_with_the_version() -> None:
    engine = make_demo_site(vms=30, protected=8, seed=5, speed=0.0, provider="inmageazurev2")
    async with on_site(engine) as service:
        machines = list(await service.protectable_items())
    versions = {i.friendly_name: i.agent_version for i in engine.items.values()}
    protected = [m for m in machines if m.protection_status == "Protected"]
    assert {m.friendly_name: m.agent_version for m in protected} == versions
    assert all(m.agent_installed for m in protected)
    unprotected = [m for m in machines if m.protection_status != "Protected"]
    installed = [m for m in unprotected if m.agent_installed]
    assert 0 < len(installed) < len(unprotected)
    assert all(m.agent_version.startswith("9.") for m in installed)
    assert all(m.agent_version == "" for m in unprotected if not m.agent_installed)


@pytest.fixture
async def site() -> AsyncIterator[tuple[SimEngine, SiteEndpoint]]:
    engine = make_demo_site(
        vms=20, protected=6, seed=5, speed=600.0, provider="inmagercm", start=DEFAULT_EPOCH
    )
    async with serve_site(engine, page_size=4, lro_retry_after=0) as endpoint:
        yield engine, endpoint


async def test_enable_push_installs_the_agent_and_disabling_leaves_it(
    site: tuple[SimEngine, SiteEndpoint], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, endpoint = site
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    service = sdk_service(endpoint)
    try:
        before = await service.protectable_items()
        bare = next(m for m in before if m.agent_installed is False)
        fabric = next(iter(engine.fabrics))
        flags = [*targets(engine), "--yes", "--json", "--wait", *connection_flags(endpoint)]
        code, out, err = await command(
            capsys, "enable", bare.friendly_name, "--policy", policy_of(engine, fabric), *flags
        )
        assert code == 0, err
        assert json.loads(out)["jobs"][0]["state"] == "Succeeded"
        after = by_uuid(list(await service.protectable_items()))
        assert after[normalize_uuid(bare.instance_uuid)].agent_installed is True
        code, _, err = await command(
            capsys, "disable", bare.friendly_name, "--yes", "--wait", *connection_flags(endpoint)
        )
        assert code == 0, err
        assert not any(i.friendly_name == bare.friendly_name for i in engine.items.values())
        again = by_uuid(list(await service.protectable_items()))
        assert again[normalize_uuid(bare.instance_uuid)].agent_installed is True
    finally:
        await service.close()


async def test_the_vms_pane_shows_each_vms_agent_and_its_details_say_what_enable_does() -> None:
    async with simulated_app() as (app, session, site), app.run_test(size=(160, 50)) as pilot:
        store = session.store
        await pilot.press("colon", *"vms", "enter")
        await wait_until(lambda: app.current_mode == "vms", pilot=pilot)
        view = app.screen.query_one(InventoryView)
        await wait_until(lambda: view.table.row_count == 60, timeout=15, pilot=pilot)
        await wait_until(lambda: len(store.all(ProtectableItem)) == 60, timeout=15, pilot=pilot)
        agents = site.state.mobility_agents()
        vms = sorted(store.all(VirtualMachine), key=lambda v: v.name)
        bare = next(v for v in vms if v.moref not in agents)
        by_hand = next(v for v in vms if v.moref in agents and store.item_for_vm(v.moref) is None)
        protected = next(v for v in vms if store.item_for_vm(v.moref) is not None)
        column = [c.key for c in view.table.columns].index("agent")

        def agent(vm: VirtualMachine) -> str:
            cell = view.table.cells(vm.moref)[column]
            return cell[0] if isinstance(cell, tuple) else str(cell)

        await wait_until(lambda: agent(bare) == "none", timeout=10, pilot=pilot)
        assert agent(by_hand) == "installed"  # a modernized vault lists agents without their versions
        item = store.item_for_vm(protected.moref)
        assert item is not None and agent(protected) == item.agent_version
        view.table.focus()
        assert view.table.move_cursor_to(bare.moref)
        await pilot.press("enter")
        await wait_until(lambda: type(app.screen).__name__ == "VmDetailScreen", pilot=pilot)
        text = str(app.screen.render_text())
        assert "Mobility agent  none: enable replication push-installs it" in text
