"""Pilot flows of the policy editor and of enable replication from the inventory."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Static

from asr_console.model.records import Policy, Provider, VirtualMachine
from asr_console.model.specs import PolicySpec
from asr_console.model.store import Batch
from asr_console.widgets.inventory import InventoryView
from asr_console.widgets.others import PoliciesView
from tests.test_ui_panes import wait_for
from tests.ui_fixtures import CONTAINER, PS, make_test_app, policy_id


def screen_name(app: object) -> str:
    return type(app.screen).__name__  # type: ignore[attr-defined]


async def open_policies(pilot, app) -> PoliciesView:  # type: ignore[no-untyped-def]
    await pilot.press("3")
    await wait_for(pilot, lambda: app.current_mode == "policies")
    view = app.screen.query_one(PoliciesView)
    await wait_for(pilot, lambda: view.table.row_count == 2)
    return view


async def test_invalid_policy_input_shows_inline_errors_and_sends_nothing() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_policies(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "PolicyFormScreen")
        form = app.screen
        await pilot.press(*"bad name!")
        retention = form.query_one("#f-recovery_point_history_minutes")
        retention.value = "30000"
        app_consistent = form.query_one("#f-app_consistent_frequency_minutes")
        app_consistent.value = "90"
        await pilot.pause(0.1)
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
        await pilot.pause(0.1)
        assert "nothing was sent" in str(form.query_one("#err-form").render())
        assert app.test_service.calls == []


async def test_create_policy_sends_the_spec_and_follows_its_job() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_policies(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "PolicyFormScreen")
        form = app.screen
        await pilot.press(*"silver-24h")
        form.query_one("#f-recovery_point_history_minutes").value = "1440"
        form.query_one("#f-app_consistent_frequency_minutes").value = "120"
        await pilot.pause(0.05)
        assert form.errors == []
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: bool(app.test_service.calls))
        op, (spec,) = app.test_service.calls[0]
        assert op == "create_policy"
        assert spec == PolicySpec(
            name="silver-24h",
            provider=Provider.INMAGE_RCM,
            recovery_point_history_minutes=1440,
            app_consistent_frequency_minutes=120,
        )
        progress = form.query_one("#policy-job")
        await wait_for(pilot, lambda: "Create policy" in str(progress.render()))


async def test_classic_provider_shows_rpo_threshold_field() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_policies(pilot, app)
        assert view.table.move_cursor_to(policy_id("classic-24h"))
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "PolicyFormScreen")
        form = app.screen
        threshold = form.query_one("#f-rpo_threshold_minutes")
        assert not threshold.has_class("hidden") and threshold.value == "30"
        threshold.value = "0"
        await pilot.pause(0.05)
        assert [e.field for e in form.errors] == ["rpo_threshold_minutes"]
        threshold.value = "45"
        await pilot.pause(0.05)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: bool(app.test_service.calls))
        op, (pid, spec) = app.test_service.calls[0]
        assert op == "update_policy" and pid == policy_id("classic-24h") and spec.rpo_threshold_minutes == 45


async def test_modernized_policy_hides_rpo_threshold() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_policies(pilot, app)
        assert view.table.move_cursor_to(policy_id("gold"))
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "PolicyFormScreen")
        assert app.screen.query_one("#f-rpo_threshold_minutes").has_class("hidden")


async def test_delete_policy_needs_its_name_typed() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_policies(pilot, app)
        assert view.table.move_cursor_to(policy_id("gold"))
        await pilot.press("d")
        await wait_for(pilot, lambda: screen_name(app) == "TypedConfirmScreen")
        await pilot.press(*"glod", "enter")
        await pilot.pause(0.1)
        assert app.test_service.calls == []
        await pilot.press(*(["backspace"] * 4), *"gold", "enter")
        await wait_for(pilot, lambda: bool(app.test_service.calls))
        assert app.test_service.calls[0] == ("delete_policy", (policy_id("gold"),))


async def test_associate_policy_with_a_container() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_policies(pilot, app)
        silver = Policy(id=policy_id("silver"), name="silver", provider=Provider.INMAGE_RCM)
        app.store.apply(Batch().upsert(silver))
        await wait_for(pilot, lambda: view.table.row_count == 3)
        # a classic policy cannot go on the appliance's container: ASR would refuse, so it is not offered
        assert view.table.move_cursor_to(policy_id("classic-24h"))
        await pilot.press("a")
        await wait_for(pilot, lambda: screen_name(app) == "AssociateScreen")
        assert not app.screen.query("#a-container")
        assert any("No configuration server container" in str(w.render()) for w in app.screen.query(Static))
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "PoliciesScreen")
        assert view.table.move_cursor_to(policy_id("silver"))
        await pilot.press("a")
        await wait_for(pilot, lambda: screen_name(app) == "AssociateScreen")
        app.screen.query_one("#a-container").value = CONTAINER
        await pilot.click("#a-go")
        await wait_for(pilot, lambda: bool(app.test_service.calls))
        assert app.test_service.calls[0] == ("associate_policy", (policy_id("silver"), CONTAINER))


async def test_read_only_refuses_policy_writes() -> None:
    app = make_test_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_policies(pilot, app)
        for key in ("n", "e", "d", "a", "x"):
            await pilot.press(key)
            await pilot.pause(0.05)
            assert screen_name(app) == "PoliciesScreen"
        assert app.test_service.calls == []
        assert sum("read-only" in str(n.message) for n in app._notifications) == 5


async def test_enable_replication_for_marked_vms() -> None:
    app = make_test_app()
    async with app.run_test(size=(160, 48)) as pilot:
        # vm-15 has UEFI with Secure Boot on: Azure compatibility blocks it
        blocked = replace(app.store.typed(VirtualMachine, "vm-15"), firmware="efi", secure_boot=True)
        app.store.apply(Batch().upsert(blocked))
        await pilot.press("1")
        view = app.screen.query_one(InventoryView)
        await wait_for(pilot, lambda: view.table.row_count == 30)
        view.table.focus()
        for moref in ("vm-13", "vm-14", "vm-15", "vm-20"):
            assert view.table.move_cursor_to(moref)
            await pilot.press("space")
        assert view.table.move_cursor_to("vm-1")  # already protected: skipped with a reason
        await pilot.press("space")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "EnableReplicationScreen")
        dialog = app.screen
        vms_text = str(dialog.query_one("#en-vms").render())
        assert "app-001: already protected" in vms_text
        assert "app-020: not discovered by the vault yet" in vms_text
        assert "app-015: cannot replicate to Azure — skipped: " in vms_text and "Secure Boot" in vms_text
        await pilot.press("ctrl+r")
        await pilot.pause(0.05)
        fields = {e.field for e in dialog.errors}
        assert fields == {"policy", "target_resource_group"}
        assert app.test_service.calls == []
        dialog.query_one("#en-policy").value = policy_id("gold")  # modernized: needs a process server
        dialog.query_one("#en-rg").value = "/subscriptions/s/resourceGroups/rg-target"
        await pilot.pause(0.05)
        await pilot.press("ctrl+r")
        await pilot.pause(0.05)
        assert {e.field for e in dialog.errors} == {"process_server"}
        assert app.test_service.calls == []
        dialog.query_one("#en-ps").value = PS
        await pilot.pause(0.05)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(app.test_service.calls) == 2)
        names = sorted(args[1].target_vm_name for _op, args in app.test_service.calls)
        assert names == ["app-013", "app-014"]
        assert all(op == "enable_replication" for op, _ in app.test_service.calls)


async def test_dissociate_policy_from_its_container() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_policies(pilot, app)
        assert view.table.move_cursor_to(policy_id("gold"))
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_name(app) == "DissociateScreen")
        mapping = f"{CONTAINER}/replicationProtectionContainerMappings/map-gold"
        app.screen.query_one("#d-mapping").value = mapping
        await pilot.click("#d-go")
        await wait_for(pilot, lambda: bool(app.test_service.calls))
        assert app.test_service.calls[0] == ("dissociate_policy", (mapping,))


async def test_read_only_refuses_enable_replication() -> None:
    app = make_test_app(read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("1")
        view = app.screen.query_one(InventoryView)
        await wait_for(pilot, lambda: view.table.row_count == 30)
        view.table.focus()
        await pilot.press("space", "e")
        await pilot.pause(0.05)
        assert screen_name(app) == "VmsScreen"
        assert any("read-only" in str(n.message) for n in app._notifications)
        assert app.test_service.calls == []


async def test_service_side_refusal_shows_under_the_enable_form() -> None:
    app = make_test_app()
    service = app.test_service

    async def refuse(spec: object) -> object:
        from asr_console.model.specs import FieldError, InvalidInput

        raise InvalidInput([FieldError("target_network", "the network is in another region")])

    service.enable_replication = refuse  # type: ignore[method-assign]
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("1")
        view = app.screen.query_one(InventoryView)
        await wait_for(pilot, lambda: view.table.row_count == 30)
        assert view.table.move_cursor_to("vm-13")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "EnableReplicationScreen")
        dialog = app.screen
        dialog.query_one("#en-policy").value = policy_id("gold")
        dialog.query_one("#en-rg").value = "/subscriptions/s/resourceGroups/rg-target"
        dialog.query_one("#en-ps").value = PS
        await pilot.pause(0.05)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "another region" in str(dialog.query_one("#en-errors").render()))
        assert service.calls == []
