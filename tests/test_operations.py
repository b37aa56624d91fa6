"""The operation catalogue against the SDK, ASR's published examples and the simulated site, and the
failover dialog against the catalogue."""

from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservicessiterecovery import models as m
from azure.mgmt.recoveryservicessiterecovery.aio import SiteRecoveryManagementClient
from textual.widgets import OptionList, Select

from asr_console.model.operations import (
    ITEM_OPERATIONS,
    JOB_OPERATIONS,
    Operation,
    OperationInputs,
    ReprotectTarget,
    Resource,
    by_asr_name,
)
from asr_console.model.records import ProtectedItem, Provider
from asr_console.model.specs import (
    ComputeNetworkSpec,
    DiskChoice,
    EnableReplicationSpec,
    InvalidInput,
    PolicySpec,
    RecoveryPointChoice,
    RecoveryPointKind,
)
from asr_console.model.store import Batch
from asr_console.sim import SimEngine
from asr_console.sim.arm_server import SiteEndpoint
from asr_console.sources import azure_inputs as inputs
from asr_console.sources.azure_auth import StaticTokenCredential
from asr_console.sources.azure_operations import item_path
from tests.arm_site import sdk_service
from tests.sdk_fields import rest_fields
from tests.ui_fixtures import build_store, item_id, make_test_app
from tests.waiting import wait_until

EXAMPLES = Path(__file__).resolve().parents[1] / ".." / "shared" / "asr-examples"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
VNET = f"{SUB}/resourceGroups/rg-dr/providers/Microsoft.Network/virtualNetworks"
RP_ID = f"{item_id(1)}/recoveryPoints/rp-1"

# How many path parts (after the vault) name each resource in the SDK's operations
PATH_PARTS = {Resource.PROTECTED_ITEM: 3, Resource.JOB: 1, Resource.POLICY: 1, Resource.MAPPING: 3}


def sdk_client() -> SiteRecoveryManagementClient:
    # built, never used to send: the operation groups are plain attributes of the client
    return SiteRecoveryManagementClient(StaticTokenCredential("t"), "s")


def example_names(key: str) -> set[str]:
    """Every string in the lists named ``key`` in ASR's published example payloads."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == key and isinstance(v, list):
                    found.update(x for x in v if isinstance(x, str))
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for path in EXAMPLES.glob("*.json"):
        walk(json.loads(path.read_text()))
    return found


def test_asr_names_are_the_ones_asr_and_the_sdk_know() -> None:
    sdk_item_ops = {o.value for o in m.ReplicationProtectedItemOperation}
    assert {op.asr_name for op in ITEM_OPERATIONS} <= sdk_item_ops
    # the examples list these names for items: the catalogue spells them the same way
    if not EXAMPLES.is_dir():
        pytest.skip("official examples not present (../shared beside the repository)")
    listed = example_names("allowedOperations")
    for name in ("TestFailover", "TestFailoverCleanup", "UnplannedFailover", "ChangePit", "Commit"):
        assert name in listed and by_asr_name(name) is not None
    # jobs: the SDK has no enum for allowedActions and the examples list none; each job action is
    # named as the SDK's operation that performs it
    assert example_names("allowedActions") <= {op.asr_name for op in JOB_OPERATIONS}
    assert all(op.spec.sdk_method == f"begin_{op.asr_name.lower()}" for op in JOB_OPERATIONS)
    # the writes ASR lists no permission for (policies, mappings, enable) have no ASR name
    assert all(op.asr_name for op in (*ITEM_OPERATIONS, *JOB_OPERATIONS))
    assert len({op.asr_name.lower() for op in Operation if op.asr_name}) == len(ITEM_OPERATIONS) + 2


@pytest.mark.parametrize("op", list(Operation), ids=lambda op: op.name)
def test_each_operation_names_an_sdk_method_that_takes_its_body(op: Operation) -> None:
    spec = op.spec
    method = getattr(getattr(sdk_client(), spec.sdk_operations), spec.sdk_method)
    params = [
        p
        for p in inspect.signature(method).parameters.values()
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]
    names = [p.name for p in params]
    assert names[:2] == ["resource_group_name", "resource_name"]
    body = 1 if spec.input_model else 0
    assert len(params) == 2 + PATH_PARTS[spec.resource] + body, names
    if spec.input_model:
        assert spec.input_model in str(params[-1].annotation)
        assert isinstance(getattr(m, spec.input_model), type)


def unknown_keys(model: Any, wire: dict[str, Any], where: str = "") -> list[str]:
    """REST keys of ``wire`` that the SDK model (as loaded, polymorphic types resolved) does not define."""
    fields = rest_fields(type(model))
    missing = []
    for key, value in wire.items():
        if key not in fields:
            missing.append(f"{where}{key} ({type(model).__name__})")
        elif isinstance(value, dict):
            missing += unknown_keys(getattr(model, fields[key]), value, f"{where}{key}.")
    return missing


# every re-protect input filled: each provider's body takes the ones its input model defines
REPROTECT_TO = ReprotectTarget(
    agent_id="agent-1",
    datastore="CL-01-VMFS-01",
    log_storage_account_id=f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/cache1",
    policy_id=f"{SUB}/replicationPolicies/p1",
    process_server_id="ps-1",
    retention_drive="E:",
)


def item_of(provider: Provider) -> ProtectedItem:
    return ProtectedItem(
        id=item_id(1),
        name="item-1",
        friendly_name="app-001",
        provider=provider,
        provider_name=provider.value,
        allowed_operations=tuple(op.asr_name for op in ITEM_OPERATIONS),
        recovery_network_id=f"{VNET}/vnet-dr",
    )


@pytest.mark.parametrize("provider", [Provider.INMAGE_RCM, Provider.INMAGE_AZURE_V2])
@pytest.mark.parametrize("op", ITEM_OPERATIONS, ids=lambda op: op.name)
def test_each_item_body_loads_into_its_sdk_input_model(op: Operation, provider: Provider) -> None:
    given = OperationInputs(
        recovery_point=RecoveryPointChoice(RecoveryPointKind.CUSTOM, RP_ID),
        network_id=f"{VNET}/vnet-test",
        notes="checked RDP",
        shutdown_source=provider is Provider.INMAGE_RCM,
        reprotect=REPROTECT_TO,
    )
    item = item_of(provider)
    if op is Operation.FAILBACK:
        # only a modernized item replicating back to VMware fails back
        with pytest.raises(InvalidInput):
            inputs.ITEM_BODIES[op](inputs.ItemRequest(item, RP_ID, given))
        if provider is not Provider.INMAGE_RCM:
            return
        item = dataclasses.replace(item, provider=Provider.OTHER, provider_name="InMageRcmFailback")
    body = inputs.ITEM_BODIES[op](inputs.ItemRequest(item, RP_ID, given))
    if not op.spec.input_model:
        assert body is None
        return
    assert body is not None
    model = getattr(m, op.spec.input_model)(body)
    assert unknown_keys(model, body) == []
    assert model.as_dict() == body


def test_policy_mapping_and_enable_bodies_load_into_their_sdk_input_models() -> None:
    bodies = {Operation.DISSOCIATE_POLICY: inputs.dissociate_body()}
    for provider in (Provider.INMAGE_RCM, Provider.INMAGE_AZURE_V2):
        spec = PolicySpec(name="p1", provider=provider)
        bodies[Operation.CREATE_POLICY] = inputs.create_policy_body(spec)
        bodies[Operation.UPDATE_POLICY] = inputs.update_policy_body(spec, provider)
        bodies[Operation.ASSOCIATE_POLICY] = inputs.mapping_body(f"{SUB}/replicationPolicies/p1", provider)
        bodies[Operation.UPDATE_MAPPING] = inputs.mapping_update_body(provider is Provider.INMAGE_RCM)
        enable = EnableReplicationSpec(
            protectable_item_id=f"{SUB}/replicationFabrics/f/replicationProtectionContainers/c/"
            "replicationProtectableItems/vm-1",
            container_id="c",
            policy_id="p1",
            provider=provider,
            target_resource_group_id=f"{SUB}/resourceGroups/rg-target",
            target_network_id=f"{VNET}/vnet-dr",
            process_server_id="ps-1",
            log_storage_account_id="log",
            disks=(DiskChoice(disk_id="disk-1"),),
            machine_id="site/machines/vm-1",
            master_target_id="mt-1",
            run_as_account_id="ra-1",
        )
        # the body as ASR defines it; the console refuses to send a classic one (enable_body)
        bodies[Operation.ENABLE_REPLICATION] = inputs.enable_request(enable)
        for op, body in bodies.items():
            model = getattr(m, op.spec.input_model)(body)
            assert unknown_keys(model, body) == [], op
    bodies[Operation.UPDATE_ITEM] = inputs.update_item_body(
        ComputeNetworkSpec(item_id=item_id(1), target_vm_size="Standard_D2s_v3"), item_of(Provider.INMAGE_RCM)
    )
    for op, body in bodies.items():
        assert unknown_keys(getattr(m, op.spec.input_model)(body), body) == [], op
    # every catalogue operation with a body has a builder here or among the item bodies
    with_body = {op for op in Operation if op.spec.input_model}
    assert with_body <= set(bodies) | set(inputs.ITEM_BODIES)
    # purge and the agent update are the item writes ASR lists no permission for
    assert set(inputs.ITEM_BODIES) == {*ITEM_OPERATIONS, Operation.PURGE, Operation.UPDATE_MOBILITY_SERVICE}


async def test_the_simulated_site_routes_every_operation_at_the_sdks_path(
    frozen: tuple[SimEngine, SiteEndpoint],
) -> None:
    """Sent by the unmodified SDK to resources that exist, every operation reaches a handler: the
    site may accept it or refuse it by its own rules, but never answers "no route"."""
    _, site = frozen
    svc = sdk_service(site)
    client = SiteRecoveryManagementClient(
        StaticTokenCredential("t"),
        site.subscription,
        base_url=site.arm_endpoint,
        connection_verify=site.ca_bundle,
    )
    try:
        item = (await svc.protected_items())[0]
        job = (await svc.jobs())[0]
        policy = (await svc.policies())[0]
        mapping = (await svc.infrastructure()).mappings[0]
        segments = mapping.id.strip("/").split("/")
        targets = {
            Resource.PROTECTED_ITEM: item_path(item.id),
            Resource.JOB: (job.name,),
            Resource.POLICY: (policy.name,),
            Resource.MAPPING: (segments[-5], segments[-3], segments[-1]),
        }
        rv = (site.resource_group, site.vault)
        answered: dict[Operation, str] = {}
        for op in Operation:
            start = getattr(getattr(client, op.spec.sdk_operations), op.spec.sdk_method)
            body: tuple[dict[str, Any], ...] = ({"properties": {}},) if op.spec.input_model else ()
            try:
                await start(*rv, *targets[op.spec.resource], *body, polling=False)
                answered[op] = "accepted"
            except HttpResponseError as exc:
                assert "No route" not in str(exc) and exc.status_code != 405, (op, str(exc))
                answered[op] = f"refused {exc.status_code}"
        assert set(answered) == set(Operation)
    finally:
        await client.close()
        await svc.close()


def options_of(select: Select[Any]) -> list[str]:
    overlay = select.query_one(OptionList)
    return [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]


PURGE = Operation.PURGE.label


@pytest.mark.parametrize(
    ("allowed", "state", "expected"),
    [
        (
            tuple(op.asr_name for op in reversed(ITEM_OPERATIONS)),
            "Protected",
            [op.label for op in ITEM_OPERATIONS],
        ),
        (
            ("disableprotection", "SwitchProtection", "TESTFAILOVER", "Commit"),
            "Protected",
            ["Test failover", "Commit failover", "Disable replication"],
        ),
        (("RepairReplication",), "Protected", ["Resynchronize"]),
        # a completed failover is no failure: no purge
        (("Commit",), "FailedOver", ["Commit failover"]),
        # the documented exception: purge has no allowedOperations name; it is offered, last, for
        # items stuck in a failed state or where ASR allows nothing
        (("DisableProtection",), "EnablingFailed", ["Disable replication", PURGE]),
        ((), "ReprotectStatesBegin", [PURGE]),
    ],
    ids=["all", "mixed-case-and-unknown", "one", "failed-over", "failed-state", "nothing-allowed"],
)
async def test_the_failover_dialog_offers_exactly_the_allowed_catalogue_entries(
    allowed: tuple[str, ...], state: str, expected: list[str]
) -> None:
    store = build_store()
    item = store.typed(ProtectedItem, item_id(1))
    assert item is not None
    changed = dataclasses.replace(
        item, allowed_operations=allowed, protection_state=state, current_scenario="None"
    )
    store.apply(Batch().upsert(changed))
    app = make_test_app(store=store)
    from asr_console.screens.failover import FailoverDialog

    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(FailoverDialog([item_id(1)]))
        await wait_until(lambda: bool(app.screen.query("#fo-op")), pilot=pilot)
        select = app.screen.query_one("#fo-op", Select)
        assert options_of(select) == ["choose an operation", *expected]  # the blank first
        if PURGE in expected:  # never preselected
            assert select.value != Operation.PURGE.action


def test_an_item_that_allows_nothing_because_an_operation_runs_is_not_offered_a_purge() -> None:
    from asr_console.screens.failover import offered_operations

    item = build_store().typed(ProtectedItem, item_id(1))
    assert item is not None
    busy = dataclasses.replace(
        item,
        allowed_operations=(),
        protection_state="UnplannedFailoverStatesBegin",
        current_scenario="UnplannedFailover",
    )
    assert offered_operations([busy]) == []
    assert offered_operations([dataclasses.replace(busy, current_scenario="None")]) == [Operation.PURGE]
