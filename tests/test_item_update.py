"""Compute & Network of a modernized item: the target settings ASR reports for it after enable, and the
item update (``begin_update``, ``InMageRcmUpdateReplicationProtectedItemInput``) that changes them —
the body checked against the SDK input model independently of the console and the simulator, then
sent through the unmodified SDK to the simulated vault, which refuses targets that do not exist."""

from __future__ import annotations

import dataclasses

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservicessiterecovery import models as m
from textual.widgets import Input, Select

from asr_console.model.errors import SourceError
from asr_console.model.records import ProtectedItem, Provider
from asr_console.model.specs import (
    ComputeNetworkSpec,
    DiskChoice,
    EnableReplicationSpec,
    InvalidInput,
)
from asr_console.screens.compute import ComputeNetworkScreen
from asr_console.sim import make_demo_site
from asr_console.sim.arm_server import serve_site
from asr_console.sources import azure_inputs as inputs
from asr_console.sources.azure_operations import item_path
from asr_console.widgets.failover import FailoverView
from tests.arm_site import on_site, sdk_service
from tests.test_operations import unknown_keys
from tests.test_simulated_sources import settle
from tests.test_ui_simulated import job_state, simulated_app
from tests.ui_fixtures import live_actions, make_test_app, open_pane, screen_name, select_values
from tests.waiting import wait_until

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
NET = f"{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks"
ITEM = ProtectedItem(
    id=f"{SUB}/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/replicationFabrics/f/"
    "replicationProtectionContainers/c/replicationProtectedItems/i1",
    name="i1",
    friendly_name="app-001",
    provider=Provider.INMAGE_RCM,
    provider_name="InMageRcm",
    recovery_vm_name="app-001",
    recovery_vm_size="Standard_D4s_v5",
    recovery_resource_group_id=f"{SUB}/resourceGroups/rg-dr",
    recovery_network_id=f"{NET}/vnet-prod",
    recovery_subnet="snet-app",
    test_network_id=f"{NET}/vnet-test",
    license_type="NoLicenseType",
    availability_zone="1",
    primary_nic_id="00:50:56:aa:bb:cc",
)


def test_the_update_body_loads_into_its_sdk_input_model() -> None:
    change = ComputeNetworkSpec(
        item_id=ITEM.id,
        target_vm_size="Standard_D8s_v3",
        target_network_id=f"{NET}/vnet-prod2",
        target_subnet="snet-db",
        test_subnet="snet-test",
        license_type="WindowsServer",
        availability_set_id=f"{SUB}/resourceGroups/rg-dr/providers/Microsoft.Compute/availabilitySets/as1",
    )
    body = inputs.update_item_body(change, ITEM)
    model = m.UpdateReplicationProtectedItemInput(body)
    assert unknown_keys(model, body) == [] and model.as_dict() == body
    details = model.properties.provider_specific_details  # type: ignore[union-attr]
    assert isinstance(details, m.InMageRcmUpdateReplicationProtectedItemInput)
    assert (details.target_vm_size, details.target_network_id) == ("Standard_D8s_v3", f"{NET}/vnet-prod2")
    # what the user did not touch is sent as the item has it, so ASR keeps it
    assert (details.target_vm_name, details.test_network_id) == ("app-001", f"{NET}/vnet-test")
    assert details.target_resource_group_id == ITEM.recovery_resource_group_id
    # an availability set replaces the zone (they exclude each other)
    assert details.target_availability_zone is None and details.target_availability_set_id
    assert details.license_type == "WindowsServer"
    assert details.vm_nics is not None and len(details.vm_nics) == 1
    nic = details.vm_nics[0]
    assert isinstance(nic, m.InMageRcmNicInput)
    assert (nic.nic_id, nic.is_primary_nic) == (ITEM.primary_nic_id, "true")
    assert (nic.target_subnet_name, nic.test_subnet_name) == ("snet-db", "snet-test")
    for wire_nic in body["properties"]["providerSpecificDetails"]["vmNics"]:
        assert unknown_keys(m.InMageRcmNicInput(wire_nic), wire_nic) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        # another network without a subnet of it: the item's subnet belongs to the old one
        ({"target_network_id": f"{NET}/vnet-other"}, "target_subnet"),
        ({"test_network_id": f"{NET}/vnet-prod"}, "test_network"),
        ({"availability_zone": "4"}, "availability"),
        ({"target_vm_name": "bad name!"}, "target_name"),
        ({"license_type": "Free"}, "license_type"),
    ],
)
def test_the_console_refuses_a_bad_change_before_sending(change: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        inputs.update_item_body(ComputeNetworkSpec(item_id=ITEM.id, **change), ITEM)
    assert field in {e.field for e in caught.value.errors}


def test_only_modernized_items_replicating_to_azure_take_the_update() -> None:
    for other in (
        dataclasses.replace(ITEM, provider=Provider.INMAGE_AZURE_V2, provider_name="InMageAzureV2"),
        dataclasses.replace(ITEM, provider=Provider.OTHER, provider_name="InMageRcmFailback"),
    ):
        with pytest.raises(InvalidInput) as caught:
            inputs.update_item_body(ComputeNetworkSpec(item_id=ITEM.id, target_vm_size="x"), other)
        assert [e.field for e in caught.value.errors] == ["item"]


async def test_enable_settings_show_on_the_item_and_the_update_changes_them_through_the_sdk() -> None:
    engine = make_demo_site(vms=12, protected=3, seed=11, speed=0.0, provider="inmagercm")
    async with on_site(engine) as service:
        infra = await service.infrastructure()
        container = infra.containers[0]
        mapping = next(mp for mp in infra.mappings if mp.container_id == container.id)
        ps = next(p for p in infra.process_servers if p.fabric_id == container.fabric_id)
        protected = {i.display_name for i in await service.protected_items()}
        candidate = next(
            p
            for p in await service.protectable_items()
            if p.container_id == container.id and p.friendly_name not in protected
        )
        scope = engine.scope
        spec = EnableReplicationSpec(
            protectable_item_id=candidate.id,
            container_id=container.id,
            policy_id=mapping.policy_id,
            provider=Provider.INMAGE_RCM,
            target_resource_group_id=scope.resource_group_id("rg-dr-recovery"),
            target_network_id=scope.network_id("vnet-dr-weu"),
            target_subnet="snet-app",
            test_network_id=scope.network_id("vnet-dr-test"),
            test_subnet="snet-test",
            target_vm_name="app-dr-01",
            target_vm_size="Standard_D2s_v3",
            license_type="NoLicenseType",
            availability_zone="2",
            process_server_id=ps.id,
            log_storage_account_id=scope.storage_id("stasrcacheweu01"),
            machine_id=candidate.machine_id,
            disks=tuple(DiskChoice(disk_id=d.uuid) for d in candidate.disks),
            item_name=candidate.name,
        )
        assert await settle(engine, service, (await service.enable_replication(spec)).id) == "Succeeded"
        item = next(i for i in await service.protected_items() if i.display_name == candidate.friendly_name)
        # item details: what the enable body set, as ASR reports it
        assert (item.recovery_vm_name, item.recovery_vm_size) == ("app-dr-01", "Standard_D2s_v3")
        assert item.recovery_resource_group_id.lower() == spec.target_resource_group_id.lower()
        assert (item.recovery_network_id, item.recovery_subnet) == (spec.target_network_id, "snet-app")
        assert (item.test_network_id, item.test_subnet) == (spec.test_network_id, "snet-test")
        assert (item.license_type, item.availability_zone) == ("NoLicenseType", "2")
        assert item.primary_nic_id

        change = ComputeNetworkSpec(
            item_id=item.id,
            target_vm_size="Standard_E4s_v3",
            target_subnet="snet-db",
            test_network_id=scope.network_id("vnet-dr-test-isolated"),
            test_subnet="snet-isolated",
            license_type="WindowsServer",
        )
        job = await service.update_item(change)
        assert job.scenario == "UpdateVmProperties"
        assert await settle(engine, service, job.id) == "Succeeded"
        after = await service.protected_item(item.id)
        assert (after.recovery_vm_size, after.recovery_subnet) == ("Standard_E4s_v3", "snet-db")
        assert (after.test_network_id, after.test_subnet) == (change.test_network_id, "snet-isolated")
        assert after.license_type == "WindowsServer"
        # untouched settings stay as enable set them
        assert (after.recovery_vm_name, after.availability_zone) == ("app-dr-01", "2")
        assert after.recovery_network_id == spec.target_network_id

        # a network the subscription does not have: the console's body is fine, the vault refuses it
        missing = scope.network_id("vnet-nowhere")
        with pytest.raises(SourceError, match="vnet-nowhere"):
            await service.update_item(
                ComputeNetworkSpec(item_id=item.id, target_network_id=missing, target_subnet="snet-app")
            )
        assert (await service.protected_item(item.id)).recovery_network_id == spec.target_network_id


async def test_the_simulated_vault_refuses_unknown_targets_and_bodies_off_the_contract() -> None:
    engine = make_demo_site(vms=8, protected=4, seed=3, speed=0.0, provider="inmagercm")
    async with serve_site(engine, lro_retry_after=0) as site:
        service = sdk_service(site)
        try:
            item = next(i for i in await service.protected_items() if i.protection_state == "Protected")
            client = service.client
            args = (site.resource_group, site.vault, *item_path(item.id))

            async def refused(details: dict[str, object]) -> str:
                body = {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", **details}}}
                with pytest.raises(HttpResponseError) as caught:
                    await client.replication_protected_items.begin_update(*args, body, polling=False)
                assert caught.value.status_code == 400
                return str(caught.value)

            scope = engine.scope
            message = await refused({"targetNetworkId": scope.network_id("vnet-nowhere")})
            assert "providerSpecificDetails.targetNetworkId" in message and "does not exist" in message
            message = await refused({"targetResourceGroupId": scope.resource_group_id("rg-nowhere")})
            assert "targetResourceGroupId" in message and "rg-nowhere" in message
            message = await refused({"targetVmSize": "Standard_Z99"})
            assert "targetVmSize" in message
            message = await refused(
                {
                    "vmNics": [
                        {
                            "nicId": item.primary_nic_id,
                            "isPrimaryNic": "true",
                            "targetSubnetName": "snet-nowhere",
                        }
                    ]
                }
            )
            assert "vmNics[0].targetSubnetName" in message and "snet-nowhere" in message
            message = await refused({"vmNics": [{"nicId": "not-a-nic", "isPrimaryNic": "true"}]})
            assert "vmNics[0].nicId" in message
            # the SDK model's contract: a required field missing, a key the model does not define
            message = await refused({"vmNics": [{"nicId": item.primary_nic_id}]})
            assert "vmNics[0].isPrimaryNic" in message
            message = await refused({"targetAzureNetworkId": scope.network_id("vnet-dr-weu")})
            assert "targetAzureNetworkId" in message
            before = engine.get_protected_item(*item_path(item.id))
            details = before["properties"]["providerSpecificDetails"]
            assert details["targetNetworkId"] == item.recovery_network_id  # nothing was applied
        finally:
            await service.close()


async def test_compute_and_network_from_the_item_details_on_the_simulated_site() -> None:
    """Details → c → change size, network subnet and test network → confirm → the job runs → the
    details show the new settings."""
    async with simulated_app() as (app, session, site):
        store = session.store
        async with app.run_test(size=(140, 48)) as pilot:
            await pilot.press("4")
            table = app.screen.query_one(FailoverView).table
            await wait_until(lambda: table.row_count == 30, timeout=15, pilot=pilot)
            item = next(
                i
                for i in sorted(store.all(ProtectedItem), key=lambda i: i.display_name)
                if i.protection_state == "Protected" and i.test_network_id.endswith("/vnet-dr-test")
            )
            assert table.move_cursor_to(item.id)
            await pilot.press("enter")
            await wait_until(lambda: type(app.screen).__name__ == "ItemDetailScreen", pilot=pilot)
            details = app.screen
            body = details.query_one("#detail-body")
            assert "Compute & Network" in str(body.render())
            assert f"target VM size        {item.recovery_vm_size}" in str(body.render())
            await pilot.press("c")
            await wait_until(lambda: type(app.screen).__name__ == "ComputeNetworkScreen", pilot=pilot)
            dialog = app.screen
            assert isinstance(dialog, ComputeNetworkScreen)
            await wait_until(lambda: bool(dialog.sizes) and bool(dialog.targets.networks), pilot=pilot)
            await pilot.pause()
            # the pickers show the item's current settings
            assert dialog.query_one("#cn-network", Select).value == item.recovery_network_id
            assert dialog.query_one("#cn-name", Input).value == item.recovery_vm_name
            # nothing changed: nothing to confirm
            await pilot.press("ctrl+r")
            await wait_until(lambda: [e.field for e in dialog.errors] == ["item"], pilot=pilot)
            assert type(app.screen).__name__ == "ComputeNetworkScreen"

            size = dialog.query_one("#cn-size", Select)
            assert "Standard_E4s_v3" in select_values(size)
            size.value = "Standard_E4s_v3"
            dialog.query_one("#cn-subnet", Select).value = "snet-db"
            isolated = next(n for n in dialog.targets.networks if n.name == "vnet-dr-test-isolated")
            dialog.query_one("#cn-test-network", Select).value = isolated.id
            await pilot.pause()
            # another test network: its subnet must be chosen (the old one is not in it)
            await pilot.press("ctrl+r")
            await wait_until(lambda: [e.field for e in dialog.errors] == ["test_subnet"], pilot=pilot)
            test_subnet = dialog.query_one("#cn-test-subnet", Select)
            await wait_until(lambda: select_values(test_subnet) == ["snet-isolated"], pilot=pilot)
            test_subnet.value = "snet-isolated"
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_until(lambda: type(app.screen).__name__ == "ConfirmScreen", pilot=pilot)
            plan = str(app.screen.query_one("#confirm-plan").render())
            await pilot.press("y")
            assert f"Target VM size: {item.recovery_vm_size} → Standard_E4s_v3" in plan
            assert "Target subnet: not set → snet-db" in plan
            assert "Test network: vnet-dr-test → vnet-dr-test-isolated" in plan
            await wait_until(lambda: bool(app.followed_jobs), timeout=10, pilot=pilot)
            job_id = app.followed_jobs[-1]
            assert site.run_until(lambda: job_state(site, job_id) != "InProgress")
            assert job_state(site, job_id) == "Succeeded"

            def updated() -> bool:
                current = store.typed(ProtectedItem, item.id)
                return current is not None and current.recovery_vm_size == "Standard_E4s_v3"

            await wait_until(updated, timeout=15, pilot=pilot)
            await pilot.press("escape")
            await wait_until(lambda: type(app.screen).__name__ == "ItemDetailScreen", pilot=pilot)
            # the details redraw from the store's change set, a message behind the store's update
            body = app.screen.query_one("#detail-body")
            await wait_until(
                lambda: "target VM size        Standard_E4s_v3" in str(body.render()), timeout=5, pilot=pilot
            )
            shown = str(body.render())
            assert "network / subnet      vnet-dr-weu / snet-db" in shown
            assert "test network / subnet vnet-dr-test-isolated / snet-isolated" in shown


@pytest.mark.parametrize("read_only", [False, True])
async def test_a_read_only_console_does_not_offer_compute_and_network(read_only: bool) -> None:
    app = make_test_app(read_only=read_only)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, app, "failover", FailoverView, 12)
        await pilot.press("enter")
        await wait_until(lambda: screen_name(app) == "ItemDetailScreen", pilot=pilot)
        assert ("compute_network" in live_actions(app)) is not read_only
        if read_only:
            await pilot.press("c")
            await pilot.pause()
            assert screen_name(app) == "ItemDetailScreen" and app.service.calls == []
