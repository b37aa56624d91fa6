"""The converter on Microsoft's official 2025-08-01 example payloads (shapes we did not generate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.recoveryservicessiterecovery import models as m

from asr_console.model.records import Health, Provider
from asr_console.sources import azure_convert as convert

# ../shared beside the repository
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "asr-examples"
pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="official examples not present")


def body(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())["responses"]["200"]["body"]


def test_protected_items_of_other_providers_convert_generically() -> None:
    for name in (
        "ReplicationProtectedItems_List.json",
        "ReplicationProtectedItems_ListByReplicationProtectionContainers.json",
    ):
        values = body(name)["value"]
        items = convert.safe_map(convert.protected_item, [m.ReplicationProtectedItem(v) for v in values])
        assert len(items) == len(values)
        for item, raw in zip(items, values, strict=True):
            assert item.id == raw["id"] and item.provider is Provider.OTHER
            assert item.provider_name == raw["properties"]["providerSpecificDetails"]["instanceType"]
            assert item.replication_health is Health.parse(raw["properties"].get("replicationHealth"))
            assert item.fabric_id and item.container_id


def test_classic_item_from_reinstall_mobility_service_example() -> None:
    raw = body("ReplicationProtectedItems_ReinstallMobilityService.json")
    item = convert.protected_item(m.ReplicationProtectedItem(raw))
    assert item.provider is Provider.INMAGE_AZURE_V2 and item.id == raw["id"]


def test_jobs_fabrics_events_policies_health_and_plans() -> None:
    jobs = [convert.job(m.Job(v)) for v in body("ReplicationJobs_List.json")["value"]]
    assert jobs and all(j.id and j.state for j in jobs)
    single = convert.job(m.Job(body("ReplicationJobs_Get.json")))
    assert single.display_name == "Delete a recovery plan" and single.tasks[0].state == "Succeeded"
    fabrics = [convert.fabric(m.Fabric(v)) for v in body("ReplicationFabrics_List.json")["value"]]
    assert fabrics and all(f.id for f, _ in fabrics)
    events = [convert.event(m.Event(v)) for v in body("ReplicationEvents_List.json")["value"]]
    failed = next(e for e in events if e.event_type == "JobStatus")
    assert failed.severity == "error" and "499" in failed.message
    policies = [convert.policy(m.Policy(v)) for v in body("ReplicationPolicies_List.json")["value"]]
    assert policies and all(p.provider is Provider.OTHER for p in policies)
    vault = convert.vault(m.VaultHealthDetails(body("ReplicationVaultHealth_Get.json")), "s", "rg", "vault1")
    assert vault.protected_items_critical == 2  # two affected items in an Error-severity issue
    plans = [
        convert.recovery_plan(m.RecoveryPlan(v)) for v in body("ReplicationRecoveryPlans_List.json")["value"]
    ]
    assert plans and all(p.id for p in plans)
    points = body("RecoveryPoints_ListByReplicationProtectedItems.json")["value"]
    converted = [convert.recovery_point(m.RecoveryPoint(v)) for v in points]
    assert all(p.time is not None and p.item_id for p in converted)
    vcenters = [convert.vcenter(m.VCenter(v)) for v in body("ReplicationvCenters_List.json")["value"]]
    assert vcenters and all(v.fabric_id for v in vcenters)
    containers = body("ReplicationProtectionContainers_List.json")["value"]
    assert all(convert.container(m.ProtectionContainer(v)).fabric_id for v in containers)
    mappings = body("ReplicationProtectionContainerMappings_List.json")["value"]
    assert all(convert.mapping(m.ProtectionContainerMapping(v)).container_id for v in mappings)
    protectable = body("ReplicationProtectableItems_ListByReplicationProtectionContainers.json")["value"]
    assert all(convert.protectable_item(m.ProtectableItem(v)).container_id for v in protectable)
