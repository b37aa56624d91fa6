"""The Azure compatibility rules table, rule by rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from asr_console.model.compat import RULES, Status, check_vm, generation, os_disk, valid_azure_name
from asr_console.model.privileges import PRIVILEGES, Purpose, evaluate, privilege_ids
from asr_console.model.records import ChurnSample, Disk, Nic, VirtualMachine

GB = 1024**3


def disk(key: int, gb: float, **kw: Any) -> Disk:
    return Disk(key=key, label=f"Hard disk {key - 1999}", capacity_bytes=int(gb * GB), **kw)


def nic(key: int) -> Nic:
    return Nic(key=key, label=f"Network adapter {key - 3999}", network="VM Network")


def vm(**kw: Any) -> VirtualMachine:
    base = VirtualMachine(
        moref="vm-1",
        name="web-01",
        guest_id="windows9Server64Guest",
        firmware="bios",
        disks=(disk(2000, 80), disk(2001, 500)),
        nics=(nic(4000),),
    )
    return replace(base, **kw)


def churn(*mb_per_s: float) -> ChurnSample:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return ChurnSample(
        moref="vm-1",
        samples=tuple((start + timedelta(seconds=20 * i), v * 1024) for i, v in enumerate(mb_per_s)),
    )


def rules_of(result_vm: VirtualMachine, sample: ChurnSample | None = None) -> dict[str, Status]:
    result = check_vm(result_vm, sample)
    return {f.rule: f.status for f in result.findings}


def test_every_rule_names_its_source() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.source.startswith("https://learn.microsoft.com/"), rule.id
        assert rule.title


def test_a_plain_supported_vm_is_ok() -> None:
    result = check_vm(vm(), churn(0.5, 1.0))
    assert result.status is Status.OK
    assert result.reasons == ()
    assert result.complete and result.generation == 1


@pytest.mark.parametrize(
    ("guest_id", "status"),
    [
        ("windows9Server64Guest", Status.OK),
        ("windows2019srv_64Guest", Status.OK),
        ("windows8Server64Guest", Status.OK),
        ("windows9_64Guest", Status.OK),
        ("rhel8_64Guest", Status.OK),
        ("centos7_64Guest", Status.OK),
        ("ubuntu64Guest", Status.OK),
        ("sles15_64Guest", Status.OK),
        ("debian11_64Guest", Status.OK),
        ("oracleLinux7_64Guest", Status.OK),
        ("windows7Server64Guest", Status.WARNING),
        ("windows7_64Guest", Status.WARNING),
        ("rhel5_64Guest", Status.WARNING),
        ("otherLinux64Guest", Status.WARNING),
        ("otherGuest", Status.WARNING),
        ("", Status.WARNING),
        ("winNetStandard64Guest", Status.BLOCKED),
        ("winXPProGuest", Status.BLOCKED),
        ("windows9Guest", Status.BLOCKED),
        ("rhel6Guest", Status.BLOCKED),
        ("ubuntuGuest", Status.BLOCKED),
        ("solaris11_64Guest", Status.BLOCKED),
        ("freebsd64Guest", Status.BLOCKED),
        ("darwin19_64Guest", Status.BLOCKED),
    ],
)
def test_guest_os(guest_id: str, status: Status) -> None:
    assert check_vm(vm(guest_id=guest_id)).status is status


def test_firmware_generation_and_secure_boot() -> None:
    uefi = vm(firmware="efi")
    assert generation(uefi) == 2 and check_vm(uefi).status is Status.OK
    assert rules_of(vm(firmware="efi", secure_boot=True))["firmware"] is Status.BLOCKED


def test_os_disk_limits_depend_on_generation() -> None:
    big_os = (disk(2000, 3000), disk(2001, 10))
    assert rules_of(vm(disks=big_os))["os-disk"] is Status.BLOCKED  # Gen1: 2,048 GB
    assert "os-disk" not in rules_of(vm(disks=big_os, firmware="efi"))  # Gen2: 4,095 GB
    assert rules_of(vm(disks=(disk(2000, 4100),), firmware="efi"))["os-disk"] is Status.BLOCKED
    # the OS disk is the lowest device key, whatever the order
    assert os_disk(vm(disks=(disk(2005, 10), disk(2001, 3000)))) == disk(2001, 3000)
    assert rules_of(vm(disks=()))["os-disk"] is Status.BLOCKED


def test_data_disk_count_and_size() -> None:
    many = (disk(2000, 80), *(disk(2001 + i, 10) for i in range(65)))
    assert rules_of(vm(disks=many))["data-disks"] is Status.BLOCKED
    exactly = (disk(2000, 80), *(disk(2001 + i, 10) for i in range(64)))
    assert "data-disks" not in rules_of(vm(disks=exactly))
    assert rules_of(vm(disks=(disk(2000, 80), disk(2001, 10_000))))["data-disks"] is Status.WARNING
    assert rules_of(vm(disks=(disk(2000, 80), disk(2001, 33 * 1024))))["data-disks"] is Status.BLOCKED
    assert rules_of(vm(disks=(disk(2000, 80), disk(2001, 0.5))))["disk-min"] is Status.WARNING


def test_shared_rdm_and_independent_disks() -> None:
    assert (
        rules_of(vm(disks=(disk(2000, 80), disk(2001, 10, sharing="sharingMultiWriter"))))["shared-disk"]
        is Status.BLOCKED
    )
    assert rules_of(vm(disks=(disk(2000, 80), disk(2001, 10, rdm=True))))["rdm"] is Status.WARNING
    result = check_vm(vm(disks=(disk(2000, 80), disk(2001, 10, mode="independent_persistent"))))
    assert result.status is Status.WARNING
    assert any("independent" in r for r in result.reasons)


def test_nics() -> None:
    assert rules_of(vm(nics=()))["nics"] is Status.WARNING
    assert "nics" not in rules_of(vm(nics=tuple(nic(4000 + i) for i in range(8))))
    assert rules_of(vm(nics=tuple(nic(4000 + i) for i in range(9))))["nics"] is Status.BLOCKED


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("web-01", True),
        ("a", True),
        ("A" * 63, True),
        ("A" * 64, False),
        ("web_01", False),
        ("-web", False),
        ("web-", False),
        ("web 01", False),
        ("", False),
    ],
)
def test_azure_names(name: str, ok: bool) -> None:
    assert valid_azure_name(name) is ok
    assert ("name" not in rules_of(vm(name=name))) is ok


def test_churn_limits() -> None:
    one_disk = vm(disks=(disk(2000, 80),))
    assert "churn" not in rules_of(one_disk, churn(1.0, 1.5))
    assert rules_of(one_disk, churn(1.0, 3.0))["churn"] is Status.WARNING  # above standard disks
    assert rules_of(one_disk, churn(1.0, 25.0))["churn"] is Status.BLOCKED  # above 20 MB/s per disk
    four_disks = vm(disks=tuple(disk(2000 + i, 80) for i in range(4)))
    assert rules_of(four_disks, churn(30.0))["churn"] is Status.WARNING  # one disk may exceed
    assert rules_of(four_disks, churn(60.0))["churn"] is Status.BLOCKED  # above 54 MB/s per VM


def test_missing_data_makes_the_result_incomplete_not_wrong() -> None:
    light = vm(details_loaded=False, disks=(), nics=())
    result = check_vm(light)
    assert not result.complete
    assert result.status is Status.OK  # device rules skipped, not failed
    assert not check_vm(vm()).complete  # no churn yet
    assert check_vm(vm(), churn(0.1)).complete


def test_blocking_reasons_come_first() -> None:
    result = check_vm(vm(name="bad_name", guest_id="solaris11_64Guest"))
    assert result.status is Status.BLOCKED
    assert [f.status for f in result.findings] == [Status.BLOCKED, Status.WARNING]


def test_privileges_present_and_missing() -> None:
    ids = privilege_ids()
    assert len(ids) == len(set(ids))
    assert {"System.View", "Datastore.AllocateSpace", "VirtualMachine.Interact.PowerOff"} <= set(ids)
    full = evaluate("svc", "datacenter-2", [*ids, "Extra.Thing"])
    assert full.ok and not full.missing and len(full.present) == len(PRIVILEGES)
    read_only = evaluate("svc", "datacenter-2", ["System.Anonymous", "System.View", "System.Read"])
    assert read_only.ok_for(Purpose.DISCOVERY)
    assert not read_only.ok_for(Purpose.REPLICATION)
    assert "Network.Assign" in {p.id for p in read_only.missing}
