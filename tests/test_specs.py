from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from asr_console.model.records import Provider
from asr_console.model.specs import (
    EnableReplicationSpec,
    PolicySpec,
    RecoveryPointChoice,
    RecoveryPointKind,
    require_allowed,
    validate_enable,
    validate_policy,
    validate_test_network,
)

RCM = PolicySpec(
    name="pol-24h",
    provider=Provider.INMAGE_RCM,
    recovery_point_history_minutes=1440,
    app_consistent_frequency_minutes=240,
)


def fields_of(spec: PolicySpec) -> set[str]:
    return {e.field for e in validate_policy(spec)}


def test_valid_policies_pass() -> None:
    assert validate_policy(RCM) == []
    classic = PolicySpec(
        name="classic",
        provider=Provider.INMAGE_AZURE_V2,
        recovery_point_history_minutes=4320,
        app_consistent_frequency_minutes=60,
        rpo_threshold_minutes=60,
    )
    assert validate_policy(classic) == []
    assert (
        validate_policy(replace(RCM, recovery_point_history_minutes=0, app_consistent_frequency_minutes=0))
        == []
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recovery_point_history_minutes": 21601}, "recovery_point_history_minutes"),
        ({"recovery_point_history_minutes": -1}, "recovery_point_history_minutes"),
        ({"app_consistent_frequency_minutes": 30}, "app_consistent_frequency_minutes"),
        ({"app_consistent_frequency_minutes": 90}, "app_consistent_frequency_minutes"),
        ({"app_consistent_frequency_minutes": 780}, "app_consistent_frequency_minutes"),
        (
            {"recovery_point_history_minutes": 120, "app_consistent_frequency_minutes": 180},
            "app_consistent_frequency_minutes",
        ),
        (
            {"recovery_point_history_minutes": 0, "app_consistent_frequency_minutes": 60},
            "app_consistent_frequency_minutes",
        ),
        ({"crash_consistent_frequency_minutes": 10}, "crash_consistent_frequency_minutes"),
        ({"name": ""}, "name"),
        ({"name": "bad name!"}, "name"),
        ({"provider": Provider.OTHER}, "provider"),
    ],
)
def test_invalid_policy_fields_are_named(change: dict[str, Any], field: str) -> None:
    assert field in fields_of(replace(RCM, **change))


def test_rpo_threshold_only_checked_for_classic() -> None:
    assert validate_policy(replace(RCM, rpo_threshold_minutes=0)) == []
    classic = replace(RCM, provider=Provider.INMAGE_AZURE_V2, rpo_threshold_minutes=0)
    assert "rpo_threshold_minutes" in fields_of(classic)


def test_app_exceeding_retention_says_what_to_change() -> None:
    errors = validate_policy(
        replace(RCM, recovery_point_history_minutes=120, app_consistent_frequency_minutes=180)
    )
    assert "lower it or raise retention" in errors[0].message


def test_test_network_must_differ() -> None:
    assert validate_test_network("/n/a", "/n/b") == []
    assert validate_test_network("/n/A", "/n/a")[0].field == "test_network"
    assert validate_test_network("", "/n/a")[0].field == "test_network"


def test_allowed_operations_checked_case_insensitively() -> None:
    assert require_allowed("TestFailover", ("testfailover", "Commit"), "web01") == []
    errors = require_allowed("Commit", ("TestFailover",), "web01")
    assert "not allowed for web01" in errors[0].message and "TestFailover" in errors[0].message


def test_custom_recovery_point_needs_an_id() -> None:
    assert RecoveryPointChoice(RecoveryPointKind.CUSTOM).validate()
    assert RecoveryPointChoice(RecoveryPointKind.CUSTOM, "rp1").validate() == []
    assert RecoveryPointChoice().validate() == []


def test_enable_replication_validation() -> None:
    spec = EnableReplicationSpec(
        protectable_item_id="p",
        container_id="c",
        policy_id="pol",
        provider=Provider.INMAGE_RCM,
        target_resource_group_id="/subscriptions/s/resourceGroups/rg",
        process_server_id="ps",
        machine_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.OffAzure/VMwareSites/s/machines/m",
        log_storage_account_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st",
    )
    assert validate_enable(spec) == []
    bad = replace(spec, target_resource_group_id="rg", process_server_id="", disk_type="Ultra")
    assert {e.field for e in validate_enable(bad)} == {"target_resource_group", "process_server", "disk_type"}
    # a modernized enable names the discovered machine and a cache storage account
    unnamed = replace(spec, machine_id="", log_storage_account_id="")
    assert {e.field for e in validate_enable(unnamed)} == {"vm", "cache_storage"}
    net = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/"
    same = replace(spec, target_network_id=net + "a", test_network_id=(net + "A").upper())
    assert [e.field for e in validate_enable(same)] == ["test_network"]
    both = replace(spec, availability_zone="1", availability_set_id="/subscriptions/s/x")
    assert [e.field for e in validate_enable(both)] == ["availability"]
    assert [e.field for e in validate_enable(replace(spec, target_vm_name="-bad-"))] == ["target_name"]
    classic = replace(spec, provider=Provider.INMAGE_AZURE_V2)
    assert any("30 March 2026" in e.message for e in validate_enable(classic))
