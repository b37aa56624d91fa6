"""The deployment checks: verdicts from records (model/doctor.py) and ``asr-console doctor`` on the demo."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from asr_console.cli import main
from asr_console.model.doctor import (
    Check,
    Evidence,
    Reach,
    TargetFact,
    Verdict,
    allows,
    exit_code,
    run_checks,
)
from asr_console.model.privileges import evaluate, privilege_ids
from asr_console.model.records import (
    ApplianceComponent,
    ComponentKind,
    Fabric,
    FabricKind,
    Health,
    HealthError,
    ProcessServer,
    ProtectedItem,
    Vault,
)
from asr_console.model.store import Batch, Store
from asr_console.model.targets import Permission

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CHECK_KEYS = {"id", "area", "verdict", "found", "fix"}


def store_of(*records: object) -> Store:
    store = Store()
    store.apply(Batch().upsert(*records))  # type: ignore[arg-type]
    return store


def by_id(checks: list[Check]) -> dict[str, Check]:
    return {c.id: c for c in checks}


def vault() -> Vault:
    return Vault(id="/v", name="vault-dr", resource_group="rg", location="westeurope")


def appliance(heartbeat_age: timedelta, health: Health = Health.NORMAL) -> Fabric:
    return Fabric(
        id="/f/app",
        name="app",
        friendly_name="appliance-01",
        kind=FabricKind.APPLIANCE,
        health=health,
        last_heartbeat=NOW - heartbeat_age,
    )


NO_VCENTER = Reach(configured=False)


@pytest.mark.parametrize(
    ("age", "health", "verdict"),
    [
        (timedelta(minutes=2), Health.NORMAL, Verdict.PASS),
        (timedelta(minutes=20), Health.NORMAL, Verdict.WARN),
        (timedelta(hours=2), Health.NORMAL, Verdict.FAIL),
        (timedelta(minutes=2), Health.WARNING, Verdict.WARN),
        (timedelta(minutes=2), Health.CRITICAL, Verdict.FAIL),
    ],
)
def test_appliance_verdict_from_health_and_heartbeat(
    age: timedelta, health: Health, verdict: Verdict
) -> None:
    checks = by_id(
        run_checks(store_of(vault(), appliance(age, health)), Evidence(now=NOW, vcenter=NO_VCENTER))
    )
    check = checks["infra.appliance-01"]
    assert check.verdict is verdict
    assert bool(check.fix) == (verdict is not Verdict.PASS)


def test_process_server_load_near_its_limits_says_which() -> None:
    ps = ProcessServer(
        id="/ps",
        name="ps-01",
        fabric_id="/f/app",
        health=Health.NORMAL,
        last_heartbeat=NOW,
        cpu_percent=97.0,
        memory_percent=50.0,
        free_space_percent=20.0,
    )
    store = store_of(vault(), appliance(timedelta(0)), ps)
    check = by_id(run_checks(store, Evidence(now=NOW, vcenter=NO_VCENTER)))["infra.ps.ps-01"]
    assert check.verdict is Verdict.FAIL and "CPU 97 %" in check.found
    assert "CPU and free space" in check.fix


def component(
    kind: ComponentKind,
    machine: str,
    *,
    version: str = "9.63.1.1",
    health: Health = Health.NORMAL,
    age: timedelta = timedelta(minutes=1),
    errors: tuple[HealthError, ...] = (),
) -> ApplianceComponent:
    return ApplianceComponent(
        kind=kind,
        id=f"{kind}-{machine}",
        name=machine,
        fabric_id="/f/app",
        version=version,
        health=health,
        last_heartbeat=NOW - age,
        health_errors=errors,
    )


def components_checks(*parts: ApplianceComponent) -> dict[str, Check]:
    fabric = replace(appliance(timedelta(0)), components=parts)
    return by_id(run_checks(store_of(vault(), fabric), Evidence(now=NOW, vcenter=NO_VCENTER)))


@pytest.mark.parametrize(
    ("health", "age", "errors", "verdict"),
    [
        (Health.NORMAL, timedelta(minutes=5), 0, Verdict.PASS),
        (Health.NORMAL, timedelta(minutes=20), 0, Verdict.WARN),
        (Health.NORMAL, timedelta(minutes=31), 0, Verdict.FAIL),  # stopped: older than 30 minutes
        (Health.WARNING, timedelta(minutes=5), 0, Verdict.WARN),
        (Health.NORMAL, timedelta(minutes=5), 1, Verdict.WARN),  # a health error alone is a warning
        (Health.CRITICAL, timedelta(minutes=5), 0, Verdict.FAIL),
    ],
)
def test_component_verdict_from_health_heartbeat_and_errors(
    health: Health, age: timedelta, errors: int, verdict: Verdict
) -> None:
    error = HealthError(code="1", message="broken", recommended_action="do what ASR says")
    part = component(ComponentKind.RCM_PROXY, "app-01", health=health, age=age, errors=(error,) * errors)
    check = components_checks(part)["infra.rcm-proxy.app-01"]
    assert check.verdict is verdict
    assert "RCM proxy on app-01" in check.found
    assert bool(check.fix) == (verdict is not Verdict.PASS)
    if errors:
        assert check.fix == "do what ASR says"  # ASR's recommended action, not ours


def test_component_behind_the_newest_of_its_kind_is_a_warning_saying_so() -> None:
    checks = components_checks(
        component(ComponentKind.REPLICATION_AGENT, "app-01", version="9.63.10.1"),
        component(ComponentKind.REPLICATION_AGENT, "app-02", version="9.9.10.1"),  # numerically older
        component(ComponentKind.DRA, "app-02", version="5.1.0.0"),  # other kinds are not compared with it
    )
    behind = checks["infra.replication-agent.app-02"]
    assert behind.verdict is Verdict.WARN
    assert "newest replication agent in the vault runs 9.63.10.1" in behind.found
    assert "update the replication agent on app-02 to 9.63.10.1" in behind.fix
    assert checks["infra.replication-agent.app-01"].verdict is Verdict.PASS
    assert checks["infra.dra.app-02"].verdict is Verdict.PASS


@pytest.mark.parametrize(
    ("days", "verdict"),
    [(200, Verdict.PASS), (30, Verdict.WARN), (3, Verdict.WARN), (-1, Verdict.FAIL)],
)
def test_configuration_server_certificate_expiry(days: int, verdict: Verdict) -> None:
    server = replace(
        appliance(timedelta(0)), kind=FabricKind.CONFIGURATION_SERVER, cert_expiry=NOW + timedelta(days=days)
    )
    check = by_id(run_checks(store_of(vault(), server), Evidence(now=NOW, vcenter=NO_VCENTER)))[
        "infra.appliance-01"
    ]
    assert check.verdict is verdict and "SSL certificate" in check.found
    assert ("Renew certificates" in check.fix) == (verdict is not Verdict.PASS)


def test_agents_behind_are_a_warning_naming_versions() -> None:
    items = [
        ProtectedItem(id=f"/i/{n}", name=f"vm{n}", agent_version=v, agent_latest_version="9.63")
        for n, v in enumerate(["9.63", "9.62", "9.62"])
    ]
    store = store_of(vault(), appliance(timedelta(0)), *items)
    check = by_id(run_checks(store, Evidence(now=NOW, vcenter=NO_VCENTER)))["infra.mobility-agents"]
    assert check.verdict is Verdict.WARN and "2 of 3" in check.found and "9.62 ×2" in check.found


def test_no_appliance_is_a_failure() -> None:
    checks = by_id(run_checks(store_of(vault()), Evidence(now=NOW, vcenter=NO_VCENTER)))
    assert checks["infra.appliance"].verdict is Verdict.FAIL


def test_unreadable_vault_is_unknown_and_exit_3_unless_something_failed() -> None:
    evidence = Evidence(now=NOW, azure=Reach(error="timed out"), vcenter=NO_VCENTER)
    checks = run_checks(Store(), evidence)
    assert by_id(checks)["azure.vault"].verdict is Verdict.UNKNOWN
    assert not any(c.area.value == "infrastructure" for c in checks)  # nothing pretends to have read it
    assert exit_code(checks) == 3
    failed = [*checks, Check("x", checks[0].area, Verdict.FAIL, "broken", "fix it")]
    assert exit_code(failed) == 2


def test_missing_privileges_are_named_per_purpose() -> None:
    granted = set(privilege_ids()) - {"VirtualMachine.Interact.PowerOff"}
    evidence = Evidence(
        now=NOW, azure=Reach(configured=False), privileges=[evaluate("u", "DC-East", granted)]
    )
    checks = by_id(run_checks(Store(), evidence))
    assert checks["vmware.privileges.discovery"].verdict is Verdict.PASS
    replication = checks["vmware.privileges.replication"]
    assert replication.verdict is Verdict.WARN and "VirtualMachine.Interact.PowerOff" in replication.found
    assert "DC-East" in replication.found


def test_doctor_on_the_demo_finds_the_planted_problems(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--demo", "--json", "--vms", "40", "--protected", "20"])
    doc = json.loads(capsys.readouterr().out)
    checks = doc["checks"]
    assert all(set(c) == CHECK_KEYS for c in checks)
    assert len({c["id"] for c in checks}) == len(checks)
    counts = {v: sum(c["verdict"] == v for c in checks) for v in ("pass", "warn", "fail", "unknown")}
    assert doc["summary"] == counts
    found = {c["id"]: c for c in checks}
    # planted: the vCenter role lacks PowerOff and RevertToSnapshot; agents behind; disks over their limit
    assert "VirtualMachine.Interact.PowerOff" in found["vmware.privileges.replication"]["found"]
    assert "VirtualMachine.State.RevertToSnapshot" in found["vmware.privileges.modernized"]["found"]
    assert found["infra.mobility-agents"]["verdict"] == "warn"
    assert found["capacity.disk-churn"]["verdict"] == "warn"
    # planted on the appliance: a push installer silent for 45 min, a MARS agent in Critical, a scale-out
    # appliance's replication agent a build behind; and the configuration server's certificate runs out
    pusher = found["infra.push-installer.asr-appliance-01"]
    assert pusher["verdict"] == "fail" and "heartbeat 45 min ago" in pusher["found"]
    assert "push installation service" in pusher["fix"]  # the health error's recommended action
    mars = found["infra.mars-agent.asr-appliance-01"]
    assert (
        mars["verdict"] == "fail" and "Critical" in mars["found"] and "Recovery Services agent" in mars["fix"]
    )
    agent = found["infra.replication-agent.asr-appliance-02"]
    assert agent["verdict"] == "warn" and "9.62.7172.1" in agent["found"] and "9.63.7187.1" in agent["fix"]
    for healthy in ("rcm-proxy.asr-appliance-01", "dra.asr-appliance-01", "push-installer.asr-appliance-02"):
        assert found[f"infra.{healthy}"]["verdict"] == "pass"
    server = found["infra.asr-cs-01"]
    assert server["verdict"] == "warn" and "SSL certificate expires" in server["found"]
    assert "Renew certificates" in server["fix"]
    # and machines discovered without a Mobility agent: counted against every unprotected one
    agents = found["vmware.mobility-agents"]
    counted = re.match(
        r"(\d+) of (\d+) discovered unprotected machines have no Mobility agent", agents["found"]
    )
    assert counted is not None, agents["found"]
    without, of = counted.groups()
    assert agents["verdict"] == "warn" and 0 < int(without) < int(of) == 40 - 20
    assert "push-installs it" in agents["found"] and "run-as account" in agents["fix"]
    assert all(c["fix"] for c in checks if c["verdict"] != "pass")
    # and on the recovery resource group a role without the network join: a failure, so exit 2
    join = found["azure.permissions.target-resource-group"]
    assert join["verdict"] == "fail" and "subnets/join/action" in join["found"]
    assert found["azure.permissions.vault"]["verdict"] == "pass"
    assert found["azure.providers"]["verdict"] == "pass"
    # planted: the profile's cache storage account does not exist yet, and Prepare Azure is offered
    cache = found["azure.target.cache-storage-account"]
    assert cache["verdict"] == "fail" and "stasrcachedemo01 does not exist" in cache["found"]
    assert "asr-console prepare-azure" in cache["fix"] and "p in the :doctor pane" in cache["fix"]
    assert found["azure.target.target-network"]["verdict"] == "pass"
    expected = 2 if counts["fail"] else 3 if counts["unknown"] else 1 if counts["warn"] else 0
    assert code == expected == 2


def test_doctor_text_groups_by_area(capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor", "--demo", "--vms", "20", "--protected", "5"])
    out = capsys.readouterr().out
    assert out.index("azure:") < out.index("infrastructure:") < out.index("vmware:") < out.index("capacity:")
    assert "fix:" in out and out.strip().splitlines()[-1].endswith("unknown")


def test_permissions_follow_arm_wildcards_and_not_actions() -> None:
    owner = [Permission(actions=("*",), not_actions=("Microsoft.Authorization/*/Write",))]
    assert allows(owner, "Microsoft.Compute/virtualMachines/write")
    assert not allows(owner, "Microsoft.Authorization/roleAssignments/write")
    vm_only = [Permission(actions=("Microsoft.Compute/virtualMachines/*",))]
    assert allows(vm_only, "microsoft.compute/VIRTUALMACHINES/write")  # ARM actions ignore case
    assert not allows(vm_only, "Microsoft.Network/virtualNetworks/subnets/join/action")


def test_azure_access_checks_name_what_is_missing() -> None:
    evidence = Evidence(
        now=NOW,
        vcenter=NO_VCENTER,
        permissions={"vault": [Permission(actions=("*",))]},
        providers={"Microsoft.RecoveryServices": "Registered", "Microsoft.Migrate": "Registering"},
        targets=(
            TargetFact("target resource group", "rg-missing", found=False),
            TargetFact("target network", "vnet-a", found=True, location="northeurope"),
            TargetFact(
                "cache storage account", "stprem", True, "westeurope", "BlockBlobStorage", "not StorageV2"
            ),
        ),
    )
    checks = by_id(run_checks(store_of(vault(), appliance(timedelta(0))), evidence))
    assert checks["azure.permissions.vault"].verdict is Verdict.PASS
    providers = checks["azure.providers"]
    assert providers.verdict is Verdict.FAIL and "Microsoft.Migrate (Registering)" in providers.found
    assert "az provider register --namespace Microsoft.Compute" in providers.fix
    assert checks["azure.target.target-resource-group"].verdict is Verdict.FAIL
    network = checks["azure.target.target-network"]
    assert (
        network.verdict is Verdict.FAIL and "northeurope" in network.found and "westeurope" in network.found
    )
    assert checks["azure.target.cache-storage-account"].verdict is Verdict.FAIL
    unread = run_checks(store_of(vault()), Evidence(now=NOW, vcenter=NO_VCENTER, permissions_error="403"))
    assert by_id(unread)["azure.permissions"].verdict is Verdict.UNKNOWN


def test_doctor_demo_with_an_unreachable_vcenter_is_one_line_and_exit_3(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the demo site discovers its VMs from --vcenter when one is given; one that refuses is "unknown"
    monkeypatch.setenv("GOVC_PASSWORD", "pw")
    code = main(["doctor", "--demo", "--vcenter", "https://127.0.0.1:9/sdk", "--user", "admin"])
    captured = capsys.readouterr()
    assert code == 3
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        "asr-console doctor: vCenter https://127.0.0.1:9/sdk: connection refused by 127.0.0.1:9"
    ]
