"""Pilot flows of the policy editor and of enable replication from the inventory."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Input, Select, Static
from textual.widgets.select import InvalidSelectValueError

from asr_console.model.records import Policy, Provider, VirtualMachine
from asr_console.model.specs import FieldError, InvalidInput, PolicySpec
from asr_console.model.store import Batch
from asr_console.screens.enable import EnableReplicationScreen
from asr_console.screens.policy_form import PolicyFormScreen
from asr_console.widgets.inventory import InventoryView
from asr_console.widgets.policies import PoliciesView
from tests.ui_fixtures import (
    CONTAINER,
    PS,
    TARGET_GROUPS,
    TARGET_NETWORKS,
    TARGET_STORAGE,
    confirm_with_y,
    live_actions,
    make_test_app,
    open_pane,
    policy_id,
    screen_as,
    screen_name,
)
from tests.waiting import wait_until


async def test_invalid_policy_input_shows_inline_errors_and_sends_nothing() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, app, "policies", PoliciesView, 2)
        await pilot.press("n")
        await wait_until(lambda: screen_name(app) == "PolicyFormScreen", pilot=pilot)
        form = screen_as(app, PolicyFormScreen)
        await pilot.press(*"bad name!")
        retention = form.query_one("#f-recovery_point_history_minutes", Input)
        retention.value = "30000"
        app_consistent = form.query_one("#f-app_consistent_frequency_minutes", Input)
        app_consistent.value = "90"
        await wait_until(lambda: len(form.errors) == 3, pilot=pilot)
        errors = {e.field for e in form.errors}
        assert errors == {"name", "recovery_point_history_minutes", "app_consistent_frequency_minutes"}
        assert "15 days" in str(form.query_one("#err-recovery_point_history_minutes").render())
        assert "whole number of hours" in str(
            form.query_one("#err-app_consistent_frequency_minutes").render()
        )
        assert retention.has_class("-invalid")
        # the value being corrected stays visible: one row of text, no border eating it
        assert retention.content_region.height == 1 and retention.region.height == 1
        await pilot.press("ctrl+r")
        await wait_until(lambda: "nothing was sent" in str(form.query_one("#err-form").render()), pilot=pilot)
        assert app.service.calls == []


async def test_create_policy_sends_the_spec_and_follows_its_job() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, app, "policies", PoliciesView, 2)
        await pilot.press("n")
        await wait_until(lambda: screen_name(app) == "PolicyFormScreen", pilot=pilot)
        form = screen_as(app, PolicyFormScreen)
        # the first field has the focus; Tab goes on to the name
        assert app.focused is form.query_one("#f-provider")
        await pilot.press("tab")
        await wait_until(lambda: app.focused is form.query_one("#f-name"), pilot=pilot)
        await pilot.press(*"silver-24h", "enter")  # enter moves on and never saves
        await wait_until(
            lambda: app.focused is form.query_one("#f-recovery_point_history_minutes"), pilot=pilot
        )
        assert app.service.calls == [] and screen_name(app) == "PolicyFormScreen"
        form.query_one("#f-recovery_point_history_minutes", Input).value = "1440"
        form.query_one("#f-app_consistent_frequency_minutes", Input).value = "120"
        await pilot.pause()
        assert form.errors == []
        await pilot.press("ctrl+r")
        plan = await confirm_with_y(pilot, app)
        assert "Policy: silver-24h (InMageRcm)" in plan and "Retention (minutes): 1440" in plan
        await wait_until(lambda: bool(app.service.calls), pilot=pilot)
        op, (spec,) = app.service.calls[0]
        assert op == "create_policy"
        assert spec == PolicySpec(
            name="silver-24h",
            provider=Provider.INMAGE_RCM,
            recovery_point_history_minutes=1440,
            app_consistent_frequency_minutes=120,
        )
        progress = form.query_one("#policy-job")
        await wait_until(lambda: "Create policy" in str(progress.render()), pilot=pilot)


async def test_classic_provider_shows_rpo_threshold_field() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_pane(pilot, app, "policies", PoliciesView, 2)
        assert view.table.move_cursor_to(policy_id("classic-24h"))
        await pilot.press("e")
        await wait_until(lambda: screen_name(app) == "PolicyFormScreen", pilot=pilot)
        form = screen_as(app, PolicyFormScreen)
        threshold = form.query_one("#f-rpo_threshold_minutes", Input)
        assert not threshold.has_class("hidden") and threshold.value == "30"
        threshold.value = "0"
        await wait_until(lambda: bool(form.errors), pilot=pilot)
        assert [e.field for e in form.errors] == ["rpo_threshold_minutes"]
        threshold.value = "45"
        await wait_until(lambda: not form.errors, pilot=pilot)
        await pilot.press("ctrl+r")
        assert "RPO alert threshold (minutes): 45" in await confirm_with_y(pilot, app)
        await wait_until(lambda: bool(app.service.calls), pilot=pilot)
        op, (pid, spec) = app.service.calls[0]
        assert op == "update_policy" and pid == policy_id("classic-24h") and spec.rpo_threshold_minutes == 45


async def test_modernized_policy_hides_rpo_threshold() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_pane(pilot, app, "policies", PoliciesView, 2)
        assert view.table.move_cursor_to(policy_id("gold"))
        await pilot.press("e")
        await wait_until(lambda: screen_name(app) == "PolicyFormScreen", pilot=pilot)
        assert app.screen.query_one("#f-rpo_threshold_minutes", Input).has_class("hidden")


async def test_delete_policy_needs_its_name_typed() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_pane(pilot, app, "policies", PoliciesView, 2)
        assert view.table.move_cursor_to(policy_id("gold"))
        await pilot.press("d")
        await wait_until(lambda: screen_name(app) == "TypedConfirmScreen", pilot=pilot)
        assert "Policy: gold" in str(app.screen.query_one("#typed-plan").render())
        assert app.focused is app.screen.query_one("#typed-input")
        await pilot.press(*"glod", "enter")
        await wait_until(
            lambda: str(app.screen.query_one("#typed-error").render()).strip() != "", pilot=pilot
        )
        assert app.service.calls == []
        await pilot.press(*(["backspace"] * 4), *"gold", "enter")
        await wait_until(lambda: bool(app.service.calls), pilot=pilot)
        assert app.service.calls[0] == ("delete_policy", (policy_id("gold"),))


async def test_associate_policy_with_a_container() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_pane(pilot, app, "policies", PoliciesView, 2)
        silver = Policy(id=policy_id("silver"), name="silver", provider=Provider.INMAGE_RCM)
        app.store.apply(Batch().upsert(silver))
        await wait_until(lambda: view.table.row_count == 3, pilot=pilot)
        # a classic policy cannot go on the appliance's container: ASR would refuse, so it is not offered
        assert view.table.move_cursor_to(policy_id("classic-24h"))
        await pilot.press("a")
        await wait_until(lambda: screen_name(app) == "AssociateScreen", pilot=pilot)
        assert not app.screen.query("#a-container")
        assert any("No configuration server container" in str(w.render()) for w in app.screen.query(Static))
        await pilot.press("escape")
        await wait_until(lambda: screen_name(app) == "PoliciesScreen", pilot=pilot)
        assert view.table.move_cursor_to(policy_id("silver"))
        await pilot.press("a")
        await wait_until(lambda: screen_name(app) == "AssociateScreen", pilot=pilot)
        app.screen.query_one("#a-container", Select).value = CONTAINER
        await pilot.click("#a-go")
        assert "Policy: silver" in await confirm_with_y(pilot, app)
        await wait_until(lambda: bool(app.service.calls), pilot=pilot)
        assert app.service.calls[0] == ("associate_policy", (policy_id("silver"), CONTAINER))


async def test_read_only_hides_and_refuses_policy_writes() -> None:
    writes = {"new", "edit", "delete", "associate", "dissociate"}
    writable = make_test_app()
    async with writable.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, writable, "policies", PoliciesView, 2)
        assert writes <= live_actions(writable)
    app = make_test_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pane(pilot, app, "policies", PoliciesView, 2)
        assert not writes & live_actions(app)  # neither in the footer nor in ? help
        assert not any(name.startswith("policies ") for name, _h, _c in app.command_table())
        # the keys do nothing; enter opens the policy's details, which write nothing
        await pilot.press("n", "e", "d", "a", "x")
        assert screen_name(app) == "PoliciesScreen"
        await pilot.press("enter")
        await wait_until(lambda: screen_name(app) == "RecordDetailScreen", pilot=pilot)
        assert app.service.calls == []


async def test_enable_replication_for_marked_vms() -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 48)) as pilot:
        # vm-15 has UEFI with Secure Boot on: Azure compatibility blocks it
        vm = app.store.typed(VirtualMachine, "vm-15")
        assert vm is not None
        blocked = replace(vm, firmware="efi", secure_boot=True)
        app.store.apply(Batch().upsert(blocked))
        view = await open_pane(pilot, app, "vms", InventoryView, 30)
        view.table.focus()
        for moref in ("vm-13", "vm-14", "vm-15", "vm-20"):
            assert view.table.move_cursor_to(moref)
            await pilot.press("space")
        assert view.table.move_cursor_to("vm-1")  # already protected: skipped with a reason
        await pilot.press("space")
        await pilot.press("e")
        await wait_until(lambda: screen_name(app) == "EnableReplicationScreen", pilot=pilot)
        dialog = screen_as(app, EnableReplicationScreen)
        vms_text = str(dialog.query_one("#en-vms").render())
        assert "app-001: already protected" in vms_text
        assert "app-020: not discovered by the vault yet" in vms_text
        assert "app-015: cannot replicate to Azure — skipped: " in vms_text and "Secure Boot" in vms_text
        await pilot.press("ctrl+r")
        await wait_until(lambda: bool(dialog.errors), pilot=pilot)
        fields = {e.field for e in dialog.errors}
        assert fields == {"policy", "target_resource_group"}
        assert app.service.calls == []
        # the pickers list what the subscription has, by name
        await wait_until(lambda: bool(dialog.targets.groups), pilot=pilot)
        await pilot.pause()
        dialog.query_one("#en-policy", Select).value = policy_id("gold")  # modernized: needs a process server
        dialog.query_one("#en-rg", Select).value = TARGET_GROUPS[0].id
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_until(lambda: {e.field for e in dialog.errors} != fields, pilot=pilot)
        assert {e.field for e in dialog.errors} == {"process_server", "cache_storage"}
        assert app.service.calls == []
        prod, test = TARGET_NETWORKS
        dialog.query_one("#en-network", Select).value = prod.id
        await pilot.pause()
        # the subnets offered are the chosen network's: another network's is not an option
        with pytest.raises(InvalidSelectValueError):
            dialog.query_one("#en-subnet", Select).value = "snet-test"
        dialog.query_one("#en-subnet", Select).value = "snet-db"
        dialog.query_one("#en-test-network", Select).value = prod.id  # the failover network: refused
        dialog.query_one("#en-cache", Select).value = TARGET_STORAGE[0].id
        dialog.query_one("#en-ps", Select).value = PS
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_until(lambda: {e.field for e in dialog.errors} == {"test_network"}, pilot=pilot)
        assert app.service.calls == []
        dialog.query_one("#en-test-network", Select).value = test.id
        await pilot.pause()
        await pilot.press("ctrl+r")
        plan = await confirm_with_y(pilot, app)
        assert "VM: app-013" in plan and "VM: app-014" in plan and "Policy: gold" in plan
        assert "Cache storage account: stcacheweu" in plan and "Target network: vnet-prod / snet-db" in plan
        await wait_until(lambda: len(app.service.calls) == 2, pilot=pilot)
        sent = sorted((args[1] for _op, args in app.service.calls), key=lambda spec: spec.target_vm_name)
        assert [spec.target_vm_name for spec in sent] == ["app-013", "app-014"]
        spec = sent[0]
        assert (spec.target_resource_group_id, spec.target_network_id, spec.target_subnet) == (
            TARGET_GROUPS[0].id,
            prod.id,
            "snet-db",
        )
        assert (spec.test_network_id, spec.log_storage_account_id) == (test.id, TARGET_STORAGE[0].id)
        assert spec.machine_id == "disc-13"  # the discovered machine's id, not the VM's name
        assert all(op == "enable_replication" for op, _ in app.service.calls)


async def test_enable_dialog_asks_for_disks_availability_set_group_and_run_as() -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 60)) as pilot:
        view = await open_pane(pilot, app, "vms", InventoryView, 30)
        assert view.table.move_cursor_to("vm-13")
        await pilot.press("e")
        await wait_until(lambda: screen_name(app) == "EnableReplicationScreen", pilot=pilot)
        dialog = screen_as(app, EnableReplicationScreen)
        await wait_until(lambda: bool(dialog.targets.storage), pilot=pilot)
        await pilot.pause()
        dialog.query_one("#en-policy", Select).value = policy_id("gold")
        dialog.query_one("#en-rg", Select).value = TARGET_GROUPS[0].id
        dialog.query_one("#en-cache", Select).value = TARGET_STORAGE[0].id
        dialog.query_one("#en-ps", Select).value = PS
        # every disk excluded, an unknown label, and a zone with a set: each refused, nothing sent
        dialog.query_one("#en-exclude", Input).value = "Hard disk 1, hard disk 2"
        dialog.query_one("#en-premium", Input).value = "Hard disk 9"
        dialog.query_one("#en-zone", Select).value = "2"
        dialog.query_one("#en-avset", Input).value = "avset-app"
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_until(lambda: bool(dialog.errors), pilot=pilot)
        messages = " | ".join(e.message for e in dialog.errors)
        assert "no disk" in messages and "Hard disk 9".lower() in messages and "not both" in messages
        assert app.service.calls == []
        dialog.query_one("#en-exclude", Input).value = "Hard disk 2"
        dialog.query_one("#en-premium", Input).value = "Hard disk 1"
        dialog.query_one("#en-zone", Select).clear()
        dialog.query_one("#en-mvg", Input).value = "mvg-app"
        dialog.query_one("#en-runas", Input).value = "runas-linux"
        await pilot.pause()
        await pilot.press("ctrl+r")
        plan = await confirm_with_y(pilot, app)
        assert "Disks not replicated: hard disk 2" in plan and "Disks on Premium_LRS: hard disk 1" in plan
        assert "Availability set: avset-app" in plan and "Multi-VM group: mvg-app" in plan
        await wait_until(lambda: len(app.service.calls) == 1, pilot=pilot)
        spec = app.service.calls[0][1][1]
        assert [(d.disk_id, d.disk_type) for d in spec.disks] == [
            ("6000c290-0000-0000-0000-0000130001", "Premium_LRS")
        ]
        assert (
            spec.availability_set_id
            == f"{TARGET_GROUPS[0].id}/providers/Microsoft.Compute/availabilitySets/avset-app"
        )
        assert (spec.multi_vm_group, spec.run_as_account_id, spec.availability_zone) == (
            "mvg-app",
            "runas-linux",
            "",
        )


async def test_dissociate_policy_from_its_container() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_pane(pilot, app, "policies", PoliciesView, 2)
        assert view.table.move_cursor_to(policy_id("gold"))
        await pilot.press("x")
        await wait_until(lambda: screen_name(app) == "DissociateScreen", pilot=pilot)
        mapping = f"{CONTAINER}/replicationProtectionContainerMappings/map-gold"
        app.screen.query_one("#d-mapping", Select).value = mapping
        await pilot.click("#d-go")
        assert "Policy: gold" in await confirm_with_y(pilot, app)
        await wait_until(lambda: bool(app.service.calls), pilot=pilot)
        assert app.service.calls[0] == ("dissociate_policy", (mapping,))


async def test_read_only_hides_enable_replication() -> None:
    app = make_test_app(read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        view = await open_pane(pilot, app, "vms", InventoryView, 30)
        view.table.focus()
        assert "enable" not in live_actions(app)
        # e does nothing; / after it opens the filter, so once the filter has focus, e was handled
        await pilot.press("space", "e", "slash")
        await wait_until(lambda: isinstance(app.focused, Input), pilot=pilot)
        assert screen_name(app) == "VmsScreen"
        assert app.service.calls == []


async def test_service_side_refusal_shows_under_the_enable_form() -> None:
    app = make_test_app()
    service = app.service
    refusal = InvalidInput([FieldError("target_network", "the network is in another region")])
    service.refusals["enable_replication"] = refusal
    async with app.run_test(size=(160, 48)) as pilot:
        view = await open_pane(pilot, app, "vms", InventoryView, 30)
        assert view.table.move_cursor_to("vm-13")
        await pilot.press("e")
        await wait_until(lambda: screen_name(app) == "EnableReplicationScreen", pilot=pilot)
        dialog = screen_as(app, EnableReplicationScreen)
        await wait_until(lambda: bool(dialog.targets.storage), pilot=pilot)
        await pilot.pause()
        dialog.query_one("#en-policy", Select).value = policy_id("gold")
        dialog.query_one("#en-rg", Select).value = TARGET_GROUPS[0].id
        dialog.query_one("#en-cache", Select).value = TARGET_STORAGE[0].id
        dialog.query_one("#en-ps", Select).value = PS
        await pilot.pause()
        await pilot.press("ctrl+r")
        await confirm_with_y(pilot, app)
        await wait_until(
            lambda: "another region" in str(dialog.query_one("#en-errors").render()), pilot=pilot
        )
        assert service.calls == []
