"""The domain queries the health pane and ``asr-console status`` share, and ARM ids compared without
regard to case (ARM treats them so; a real vault spells them either way)."""

from __future__ import annotations

import dataclasses

from asr_console.commands.status import build_report
from asr_console.model.arm import arm_key
from asr_console.model.queries import (
    DEFAULT_RPO_THRESHOLD_MINUTES,
    health_summary,
    jobs_of_item,
    mappings_of_container,
    mappings_of_policy,
    rpo_breached,
    rpo_threshold_minutes,
    vm_of,
)
from asr_console.model.records import (
    ContainerMapping,
    Health,
    Job,
    Kind,
    Policy,
    PolicySettings,
    ProtectedItem,
    Provider,
    Vault,
)
from asr_console.model.store import Batch, Store
from tests.factories import SUB, item, vm

VAULT = f"{SUB}/vaults/v"
POLICY = f"{VAULT}/replicationPolicies/classic-30m"
CONTAINER = f"{VAULT}/replicationFabrics/f/replicationProtectionContainers/c"


def shouted(arm_id: str) -> str:
    """The same id as a vault may return it: other case in the fixed segments and the names."""
    return (
        arm_id.replace("/subscriptions/", "/Subscriptions/")
        .replace("resourceGroups", "resourcegroups")
        .upper()
    )


def classic_policy(threshold: int = 30) -> Policy:
    return Policy(
        id=POLICY,
        name="classic-30m",
        provider=Provider.INMAGE_AZURE_V2,
        settings=PolicySettings(rpo_threshold_minutes=threshold),
    )


def with_policy(n: int, policy_id: str, rpo: int | None, health: Health = Health.NORMAL) -> ProtectedItem:
    return dataclasses.replace(item(n, rpo=rpo, health=health), policy_id=policy_id)


def test_arm_key_ignores_case_and_a_trailing_slash() -> None:
    assert arm_key(shouted(POLICY)) == arm_key(POLICY + "/") == POLICY.lower()
    assert arm_key(POLICY) != arm_key(POLICY + "-2")


def test_rpo_is_held_to_the_policy_threshold_else_the_default() -> None:
    store = Store()
    store.apply(Batch().upsert(classic_policy(30)))
    under, at, over = (with_policy(n, POLICY, rpo) for n, rpo in ((1, 29 * 60), (2, 30 * 60), (3, 31 * 60)))
    orphan = with_policy(4, f"{VAULT}/replicationPolicies/not-listed", 45 * 60)
    no_rpo = with_policy(5, POLICY, None)
    store.apply(Batch().upsert(under, at, over, orphan, no_rpo))
    assert rpo_threshold_minutes(store, over) == 30
    assert rpo_threshold_minutes(store, orphan) == DEFAULT_RPO_THRESHOLD_MINUTES
    assert [rpo_breached(store, i) for i in (under, at, over, orphan, no_rpo)] == [
        False,
        False,
        True,
        False,
        False,
    ]
    assert health_summary(store).rpo_breaches == 1


def test_an_item_naming_its_policy_in_another_case_is_held_to_that_policy() -> None:
    store = Store()
    breach = with_policy(1, shouted(POLICY), 40 * 60, Health.WARNING)  # over 30, under the default 60
    store.apply(Batch().upsert(classic_policy(30), breach, with_policy(2, POLICY, 60, Health.CRITICAL)))
    assert rpo_threshold_minutes(store, breach) == 30
    summary = health_summary(store)
    assert (summary.total, summary.warning, summary.critical, summary.rpo_breaches) == (2, 1, 1, 1)
    # the status command counts the same, from the same ids
    vault = Vault(id=VAULT, name="v")
    report = build_report(vault, store.all(ProtectedItem), [classic_policy(30)])
    assert report["summary"] == {
        "total": 2,
        "normal": 0,
        "warning": 1,
        "critical": 1,
        "other": 0,
        "rpo_breaches": 1,
    }


def test_the_store_finds_replaces_and_removes_an_arm_record_in_any_case() -> None:
    store = Store()
    store.apply(Batch().upsert(classic_policy(30)))
    assert store.typed(Policy, shouted(POLICY)) == classic_policy(30)
    # the next poll spells the id differently: the same policy, not a second one, and nothing removed
    respelled = dataclasses.replace(classic_policy(45), id=shouted(POLICY))
    store.apply(Batch().replace(Kind.POLICY, [respelled]))
    assert store.all(Policy) == [respelled]
    assert store.typed(Policy, POLICY) == respelled  # kept with the spelling it came in, for display
    store.apply(Batch().remove(Kind.POLICY, POLICY.lower()))
    assert store.count(Kind.POLICY) == 0
    # keys that are not ARM ids (VM morefs) keep comparing exactly
    store.apply(Batch().upsert(vm(1)))
    assert store.get(Kind.VM, "VM-1") is None and store.get(Kind.VM, "vm-1") is not None


def test_mappings_of_a_container_and_of_a_policy_in_any_case() -> None:
    mapping = ContainerMapping(
        id=f"{CONTAINER}/replicationProtectionContainerMappings/m1",
        name="m1",
        container_id=shouted(CONTAINER),
        policy_id=POLICY,
    )
    other = ContainerMapping(
        id=f"{VAULT}/replicationFabrics/g/replicationProtectionContainers/d/replicationProtectionContainerMappings/m2",
        name="m2",
        container_id=f"{VAULT}/replicationFabrics/g/replicationProtectionContainers/d",
        policy_id=f"{VAULT}/replicationPolicies/other",
    )
    store = Store()
    store.apply(Batch().upsert(mapping, other))
    assert mappings_of_container(store, CONTAINER) == [mapping]
    assert mappings_of_policy(store, shouted(POLICY)) == [mapping]
    assert mappings_of_container(store, f"{CONTAINER}-2") == []


def test_jobs_of_an_item_and_its_vm_join_in_any_case() -> None:
    protected = item(1)
    # real jobs carry an opaque targetObjectId and the item's friendly name as targetObjectName
    job = Job(
        id=f"{VAULT}/replicationJobs/j1",
        name="j1",
        target_object_id="5f0c7f0e-6a8b-4c1d-9d7e-2b1f3a4c5d6e",
        target_object_name=protected.display_name.upper(),
    )
    unrelated = Job(
        id=f"{VAULT}/replicationJobs/j2",
        name="j2",
        target_object_id=protected.id,
        target_object_name=item(2).display_name,
    )
    store = Store()
    store.apply(Batch().upsert(protected, job, unrelated, vm(1)))
    assert jobs_of_item(store, protected) == [job]
    assert vm_of(store, protected) == vm(1)
    assert store.vm_for_item(shouted(protected.id)) == vm(1)


def test_the_summary_holds_each_item_to_its_own_policy() -> None:
    """Thresholds are looked up once per policy in the summary: items of two policies and of none,
    interleaved, are each counted against their own."""
    strict = f"{VAULT}/replicationPolicies/strict-15m"
    store = Store()
    store.apply(
        Batch().upsert(
            classic_policy(30),
            dataclasses.replace(classic_policy(15), id=strict, name="strict-15m"),
        )
    )
    rpo = 20 * 60  # over 15, under 30 and the default 60
    items = [with_policy(n, (POLICY, strict, "")[n % 3], rpo) for n in range(1, 10)]
    store.apply(Batch().upsert(*items))
    assert health_summary(store).rpo_breaches == sum(rpo_breached(store, i) for i in items) == 3
