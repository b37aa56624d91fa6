"""The deployment checks (``asr-console doctor`` and the ``:doctor`` pane): what is ready, what is not, and
how to fix it.

Every check reads what the console already knows — the vault and its infrastructure from ASR, the
inventory, churn and account privileges from vCenter — so the pane and the command answer alike: both
fill a store and ask ``run_checks``. A back end that could not be read makes its checks ``unknown``,
never ``pass``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from fnmatch import fnmatchcase

from asr_console.model.capacity import PlanInputs, store_plan
from asr_console.model.compat import Status, check_vm
from asr_console.model.join import normalize_uuid
from asr_console.model.privileges import PrivilegeReport, Purpose
from asr_console.model.records import (
    ApplianceComponent,
    ChurnSample,
    Fabric,
    FabricKind,
    Health,
    ProcessServer,
    ProtectableItem,
    ProtectedItem,
    Vault,
    VCenterRegistration,
    VirtualMachine,
)
from asr_console.model.store import Store
from asr_console.model.targets import Permission

HEARTBEAT_WARN = timedelta(minutes=15)
HEARTBEAT_FAIL = timedelta(hours=1)
# process-server load: ASR's own health turns warning around these (the appliance's monitoring page)
CPU_WARN, CPU_FAIL = 80.0, 95.0
MEMORY_WARN, MEMORY_FAIL = 80.0, 95.0
FREE_SPACE_WARN, FREE_SPACE_FAIL = 30.0, 10.0
# appliance components (RCM proxy, push installer …) beat every few minutes while their service runs:
# one silent for half an hour is stopped, not late
COMPONENT_HEARTBEAT_WARN = timedelta(minutes=15)
COMPONENT_HEARTBEAT_FAIL = timedelta(minutes=30)
# an SSL certificate (classic configuration / process server) this close to its expiry is a warning
CERT_WARN = timedelta(days=30)


class Verdict(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"


class Area(StrEnum):
    AZURE = "azure"
    INFRASTRUCTURE = "infrastructure"
    VMWARE = "vmware"
    CAPACITY = "capacity"


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    area: Area
    verdict: Verdict
    found: str
    fix: str = ""  # empty when the verdict is pass

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Reach:
    """Whether a back end was configured and read: ``error`` says why not."""

    configured: bool = True
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.configured and not self.error


def allows(permissions: Iterable[Permission], action: str) -> bool:
    """ARM's rule: some entry's actions match (``*`` wildcards, any case) and none of its not-actions do."""
    wanted = action.lower()
    return any(
        any(fnmatchcase(wanted, a.lower()) for a in p.actions)
        and not any(fnmatchcase(wanted, n.lower()) for n in p.not_actions)
        for p in permissions
    )


# What enabling, failing over and cleaning up needs at each scope: the operations Site Recovery
# Contributor grants on the vault, and Virtual Machine Contributor plus network join and the cache
# storage account's read on the target resource group.
_ITEMS = (
    "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers"
    "/replicationProtectedItems"
)
REQUIRED_ACTIONS: dict[str, tuple[str, ...]] = {
    "vault": (
        "Microsoft.RecoveryServices/vaults/read",
        "Microsoft.RecoveryServices/vaults/replicationJobs/read",
        "Microsoft.RecoveryServices/vaults/replicationPolicies/write",
        f"{_ITEMS}/write",
        f"{_ITEMS}/testFailover/action",
        f"{_ITEMS}/testFailoverCleanup/action",
        f"{_ITEMS}/unplannedFailover/action",
        f"{_ITEMS}/reProtect/action",
    ),
    "target resource group": (
        "Microsoft.Compute/virtualMachines/write",
        "Microsoft.Compute/disks/write",
        "Microsoft.Network/networkInterfaces/write",
        "Microsoft.Network/virtualNetworks/subnets/join/action",
        "Microsoft.Storage/storageAccounts/read",
    ),
}
ROLE_FOR_SCOPE = {
    "vault": "Site Recovery Contributor",
    "target resource group": "Virtual Machine Contributor",
}
REQUIRED_PROVIDERS = (
    "Microsoft.RecoveryServices",
    "Microsoft.OffAzure",
    "Microsoft.Migrate",
    "Microsoft.Storage",
    "Microsoft.Network",
    "Microsoft.Compute",
)


@dataclass(frozen=True, slots=True)
class TargetFact:
    """What the profile names as a target and what ARM says of it."""

    what: str  # "target resource group", "target network", "target subnet", "cache storage account"
    given: str  # as the profile gives it (name or id)
    found: bool
    location: str = ""
    detail: str = ""  # kind / sku for a storage account, address prefix for a subnet
    problem: str = ""  # why it is not usable even though it exists


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the checks read beyond the store."""

    now: datetime
    azure: Reach = field(default_factory=Reach)
    vcenter: Reach = field(default_factory=Reach)
    vcenter_version: str = ""
    privileges: Sequence[PrivilegeReport] | None = None  # None: not read (yet, or ``privileges_error``)
    privileges_error: str = ""
    capacity: PlanInputs = field(default_factory=PlanInputs)
    # scope label ("vault", "target resource group") → the caller's permissions there; None: not read
    permissions: Mapping[str, Sequence[Permission]] | None = None
    permissions_error: str = ""
    # resource provider namespace → registration state; None: not read
    providers: Mapping[str, str] | None = None
    providers_error: str = ""
    targets: Sequence[TargetFact] = ()


def summary(checks: Iterable[Check]) -> dict[str, int]:
    counts = Counter(c.verdict for c in checks)
    return {v.value: counts.get(v, 0) for v in Verdict}


def exit_code(checks: Sequence[Check]) -> int:
    """0 all pass, 1 any warn, 2 any fail, 3 a back end could not be read (and nothing failed)."""
    verdicts = {c.verdict for c in checks}
    if Verdict.FAIL in verdicts:
        return 2
    if Verdict.UNKNOWN in verdicts:
        return 3
    return 1 if Verdict.WARN in verdicts else 0


def _age(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def _heartbeat_verdict(now: datetime, then: datetime | None) -> Verdict:
    if then is None or now - then > HEARTBEAT_FAIL:
        return Verdict.FAIL
    return Verdict.WARN if now - then > HEARTBEAT_WARN else Verdict.PASS


def _worst(*verdicts: Verdict) -> Verdict:
    order = (Verdict.PASS, Verdict.WARN, Verdict.UNKNOWN, Verdict.FAIL)
    return max(verdicts, key=order.index)


_HEALTH_VERDICT = {
    Health.NORMAL: Verdict.PASS,
    Health.WARNING: Verdict.WARN,
    Health.CRITICAL: Verdict.FAIL,
}


def _health_verdict(health: Health) -> Verdict:
    return _HEALTH_VERDICT.get(health, Verdict.UNKNOWN)


def _error_fix(errors: Sequence[object], default: str) -> str:
    """ASR's own recommended action for the first health error, when it gives one."""
    for error in errors:
        action = getattr(error, "recommended_action", "")
        if action:
            return str(action)
    return default


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name.lower()).strip("-") or "unnamed"


# --------------------------------------------------------------------------- Azure


def azure_checks(store: Store, evidence: Evidence) -> list[Check]:
    reach = evidence.azure
    if not reach.configured:
        return [
            Check(
                "azure.vault",
                Area.AZURE,
                Verdict.WARN,
                "no vault configured: Azure checks skipped",
                "set --subscription, --resource-group and --vault (or a profile)",
            )
        ]
    if reach.error:
        return [
            Check(
                "azure.vault",
                Area.AZURE,
                Verdict.UNKNOWN,
                f"the vault could not be read: {reach.error}",
                "check the credential (az login / --auth), the network path to ARM and the vault's name",
            )
        ]
    vaults = store.all(Vault)
    if not vaults:
        return [Check("azure.vault", Area.AZURE, Verdict.UNKNOWN, "the vault has not been read yet", "")]
    vault = vaults[0]
    checks = [
        Check(
            "azure.vault",
            Area.AZURE,
            Verdict.PASS,
            f"vault {vault.name} in {vault.location or 'an unknown region'} "
            f"(resource group {vault.resource_group}); the credential works",
        )
    ]
    checks += _permission_checks(evidence)
    checks += _provider_checks(evidence)
    checks += _target_checks(evidence, vault.location)
    return checks


def _permission_checks(evidence: Evidence) -> list[Check]:
    if evidence.permissions is None:
        return [
            Check(
                "azure.permissions",
                Area.AZURE,
                Verdict.UNKNOWN,
                f"the caller's permissions could not be read: {evidence.permissions_error}"
                if evidence.permissions_error
                else "the caller's permissions are being read",
                "give the caller Microsoft.Authorization/*/read (every built-in role has it) to check them",
            )
        ]
    checks = []
    for scope, actions in REQUIRED_ACTIONS.items():
        granted = evidence.permissions.get(scope)
        check_id = f"azure.permissions.{_slug(scope)}"
        if granted is None:
            continue  # no such scope configured (no target resource group in the profile)
        missing = [a for a in actions if not allows(granted, a)]
        more = " …" if len(missing) > 2 else ""
        role = ROLE_FOR_SCOPE[scope]
        if missing:
            checks.append(
                Check(
                    check_id,
                    Area.AZURE,
                    Verdict.FAIL,
                    f"on the {scope} the caller may not: " + ", ".join(missing),
                    f"assign {role} (or a role with {', '.join(missing[:2])}{more}) at the {scope}",
                )
            )
        else:
            checks.append(
                Check(
                    check_id, Area.AZURE, Verdict.PASS, f"the caller holds what {role} grants on the {scope}"
                )
            )
    return checks


def _provider_checks(evidence: Evidence) -> list[Check]:
    if evidence.providers is None:
        return [
            Check(
                "azure.providers",
                Area.AZURE,
                Verdict.UNKNOWN,
                f"the resource providers could not be read: {evidence.providers_error}"
                if evidence.providers_error
                else "the resource providers are being read",
                "check the caller can read the subscription (Reader at subscription scope)",
            )
        ]
    states = {k.lower(): v for k, v in evidence.providers.items()}
    unregistered = [p for p in REQUIRED_PROVIDERS if states.get(p.lower(), "NotRegistered") != "Registered"]
    if unregistered:
        return [
            Check(
                "azure.providers",
                Area.AZURE,
                Verdict.FAIL,
                "not registered in the subscription: "
                + ", ".join(f"{p} ({states.get(p.lower(), 'NotRegistered')})" for p in unregistered),
                " ; ".join(f"az provider register --namespace {p}" for p in unregistered),
            )
        ]
    return [
        Check(
            "azure.providers",
            Area.AZURE,
            Verdict.PASS,
            f"{', '.join(REQUIRED_PROVIDERS)} registered",
        )
    ]


def _target_checks(evidence: Evidence, region: str) -> list[Check]:
    checks = []
    for fact in evidence.targets:
        check_id = f"azure.target.{_slug(fact.what)}"
        if not fact.found:
            # Prepare Azure creates a missing group, network or cache account; a subnet missing from a
            # network that exists is a change to a live network, left to the admin
            fix = (
                "add the subnet to the network (az network vnet subnet create) or name an existing one "
                "in the profile"
                if fact.what == "target subnet"
                else f"create it in {region or 'the vault’s region'} (`asr-console prepare-azure`, or "
                "p in the :doctor pane, offers to) or correct the profile"
            )
            checks.append(
                Check(
                    check_id,
                    Area.AZURE,
                    Verdict.FAIL,
                    f"the profile's {fact.what} {fact.given} does not exist",
                    fix,
                )
            )
            continue
        problems = []
        if (
            region
            and fact.location
            and fact.location.replace(" ", "").lower() != region.replace(" ", "").lower()
        ):
            problems.append(f"it is in {fact.location}, the vault in {region}")
        if fact.problem:
            problems.append(fact.problem)
        detail = f" ({fact.detail})" if fact.detail else ""
        if problems:
            checks.append(
                Check(
                    check_id,
                    Area.AZURE,
                    Verdict.FAIL,
                    f"the {fact.what} {fact.given}{detail}: " + "; ".join(problems),
                    f"use a {fact.what} in the vault's region ({region}) that ASR can use",
                )
            )
        else:
            checks.append(
                Check(
                    check_id,
                    Area.AZURE,
                    Verdict.PASS,
                    f"the {fact.what} {fact.given}{detail} is in {fact.location or region}",
                )
            )
    return checks


# --------------------------------------------------------------------------- source infrastructure


def _fabric_check(now: datetime, fabric: Fabric) -> Check:
    what = {
        FabricKind.APPLIANCE: "replication appliance",
        FabricKind.CONFIGURATION_SERVER: "configuration server",
    }.get(fabric.kind, "fabric")
    health = _worst(_health_verdict(fabric.health), _heartbeat_verdict(now, fabric.last_heartbeat))
    cert = _cert_verdict(now, fabric.cert_expiry)
    verdict = _worst(health, cert)
    found = (
        f"{what} {fabric.display_name}: {fabric.health.value}, heartbeat {_age(now, fabric.last_heartbeat)}"
        + (f", version {fabric.server_version}" if fabric.server_version else "")
        + _cert_text(now, fabric.cert_expiry)
        + (f", {len(fabric.health_errors)} health error(s)" if fabric.health_errors else "")
    )
    fixes = []
    if health is not Verdict.PASS:
        fixes.append(
            _error_fix(
                fabric.health_errors,
                f"on the {what}, check its services and its outbound 443 to Azure; re-register it if its "
                "heartbeat stays old",
            )
        )
    if cert is not Verdict.PASS:
        fixes.append(_CERT_FIX)
    fix = "; ".join(fixes)
    return Check(f"infra.{_slug(fabric.display_name)}", Area.INFRASTRUCTURE, verdict, found, fix)


def _load_verdict(value: float | None, warn: float, fail: float, *, low_is_bad: bool = False) -> Verdict:
    if value is None:
        return Verdict.PASS
    if low_is_bad:
        return Verdict.FAIL if value < fail else Verdict.WARN if value < warn else Verdict.PASS
    return Verdict.FAIL if value > fail else Verdict.WARN if value > warn else Verdict.PASS


def _process_server_check(now: datetime, ps: ProcessServer) -> Check:
    loads = [
        ("CPU", ps.cpu_percent, _load_verdict(ps.cpu_percent, CPU_WARN, CPU_FAIL)),
        ("memory", ps.memory_percent, _load_verdict(ps.memory_percent, MEMORY_WARN, MEMORY_FAIL)),
        (
            "free space",
            ps.free_space_percent,
            _load_verdict(ps.free_space_percent, FREE_SPACE_WARN, FREE_SPACE_FAIL, low_is_bad=True),
        ),
    ]
    rest = _worst(
        _health_verdict(ps.health), _heartbeat_verdict(now, ps.last_heartbeat), *(v for _, _, v in loads)
    )
    cert = _cert_verdict(now, ps.cert_expiry)
    verdict = _worst(rest, cert)
    shown = ", ".join(f"{label} {value:.0f} %" for label, value, _ in loads if value is not None)
    found = (
        f"process server {ps.name}: {ps.health.value}, heartbeat {_age(now, ps.last_heartbeat)}"
        + (f", {shown}" if shown else "")
        + f", {ps.protected_item_count} items"
        + _cert_text(now, ps.cert_expiry)
    )
    over = [label for label, _, v in loads if v is not Verdict.PASS]
    default = (
        f"{' and '.join(over)} near the process server's limit: add a scale-out process server or move "
        "items to another"
        if over
        else "check the process server's services and its connection to the appliance"
    )
    fixes = [_error_fix(ps.health_errors, default)] if rest is not Verdict.PASS else []
    fix = "; ".join(fixes + ([_CERT_FIX] if cert is not Verdict.PASS else []))
    return Check(f"infra.ps.{_slug(ps.name)}", Area.INFRASTRUCTURE, verdict, found, fix)


def _version_key(version: str) -> tuple[int, ...]:
    """Dotted builds compare numerically ("9.63.7187.1" > "9.9.0"); anything else sorts lowest."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


def newest_versions(components: Iterable[ApplianceComponent]) -> dict[str, str]:
    """The newest version each kind reports across the vault: ASR's component details carry no
    "latest", so a component is behind when another of its kind already runs a newer build."""
    newest: dict[str, str] = {}
    for c in components:
        if c.version and _version_key(c.version) > _version_key(newest.get(c.kind, "")):
            newest[c.kind] = c.version
    return newest


def _cert_verdict(now: datetime, expiry: datetime | None) -> Verdict:
    if expiry is None:
        return Verdict.PASS
    return Verdict.FAIL if expiry <= now else Verdict.WARN if expiry - now <= CERT_WARN else Verdict.PASS


def _cert_text(now: datetime, expiry: datetime | None) -> str:
    if expiry is None:
        return ""
    if expiry <= now:
        return f", SSL certificate expired {expiry:%Y-%m-%d}"
    return f", SSL certificate expires {expiry:%Y-%m-%d} (in {(expiry - now).days} days)"


_CERT_FIX = (
    "renew the server's SSL certificate before it expires: in the vault, Site Recovery Infrastructure > "
    "Configuration Servers > the server > Renew certificates"
)


def _component_check(now: datetime, c: ApplianceComponent, newest: Mapping[str, str]) -> Check:
    label = c.kind.label
    heartbeat = (
        Verdict.FAIL
        if c.last_heartbeat is None or now - c.last_heartbeat > COMPONENT_HEARTBEAT_FAIL
        else Verdict.WARN
        if now - c.last_heartbeat > COMPONENT_HEARTBEAT_WARN
        else Verdict.PASS
    )
    latest = newest.get(c.kind, "")
    behind = bool(c.version and latest and _version_key(c.version) < _version_key(latest))
    verdict = _worst(
        _health_verdict(c.health),
        heartbeat,
        Verdict.WARN if c.health_errors or behind else Verdict.PASS,
    )
    found = (
        f"{label} on {c.name}: {c.health.value}, heartbeat {_age(now, c.last_heartbeat)}, "
        f"version {c.version or 'unknown'}"
        + (f" (the newest {label} in the vault runs {latest})" if behind else "")
        + (f", {len(c.health_errors)} health error(s)" if c.health_errors else "")
    )
    fixes = []
    if c.health_errors or _worst(_health_verdict(c.health), heartbeat) is not Verdict.PASS:
        fixes.append(
            _error_fix(
                c.health_errors,
                f"on the appliance {c.name}, restart the {label} service and check its outbound 443 to Azure",
            )
        )
    if behind:
        fixes.append(
            f"update the {label} on {c.name} to {latest} (the appliance updates its components itself while "
            "its automatic updates are on)"
        )
    fix = "; ".join(fixes)
    return Check(f"infra.{c.kind.value}.{_slug(c.name)}", Area.INFRASTRUCTURE, verdict, found, fix)


def _vcenter_registration_check(now: datetime, vc: VCenterRegistration, fabric: str) -> Check:
    verdict = _heartbeat_verdict(now, vc.last_heartbeat)
    if vc.health_errors:
        verdict = _worst(verdict, Verdict.WARN)
    found = (
        f"vCenter {vc.name} ({vc.address}:{vc.port}) on {fabric}: discovery "
        f"{vc.discovery_status or 'unknown'}, heartbeat {_age(now, vc.last_heartbeat)}"
    )
    fix = (
        ""
        if verdict is Verdict.PASS
        else _error_fix(
            vc.health_errors,
            "check the vCenter account saved on the appliance and that the appliance reaches vCenter on 443",
        )
    )
    return Check(f"infra.vcenter.{_slug(fabric)}.{_slug(vc.name)}", Area.INFRASTRUCTURE, verdict, found, fix)


def _agents_check(items: Sequence[ProtectedItem]) -> Check:
    behind = [
        i
        for i in items
        if i.agent_upgradeable
        or (i.agent_latest_version and i.agent_version and i.agent_version != i.agent_latest_version)
    ]
    if not items:
        return Check("infra.mobility-agents", Area.INFRASTRUCTURE, Verdict.PASS, "no protected items yet")
    if not behind:
        return Check(
            "infra.mobility-agents",
            Area.INFRASTRUCTURE,
            Verdict.PASS,
            f"the Mobility service is current on all {len(items)} protected items",
        )
    versions = Counter(i.agent_version or "unknown" for i in behind)
    latest = next((i.agent_latest_version for i in behind if i.agent_latest_version), "")
    return Check(
        "infra.mobility-agents",
        Area.INFRASTRUCTURE,
        Verdict.WARN,
        f"{len(behind)} of {len(items)} items run an older Mobility service "
        f"({', '.join(f'{v} ×{n}' for v, n in versions.most_common(3))})"
        + (f"; latest {latest}" if latest else ""),
        "update the Mobility service on them (ASR keeps the latest and four before it supported); "
        "modernized appliances update agents themselves when the container mapping's auto-upgrade is on",
    )


def infrastructure_checks(store: Store, evidence: Evidence) -> list[Check]:
    if not evidence.azure.ok:
        return []  # the vault check already says why nothing could be read
    now = evidence.now
    checks = [_fabric_check(now, f) for f in store.all(Fabric) if f.kind is not FabricKind.AZURE]
    if not checks:
        checks.append(
            Check(
                "infra.appliance",
                Area.INFRASTRUCTURE,
                Verdict.FAIL,
                "no replication appliance or configuration server is registered with the vault",
                "deploy the replication appliance (OVA) and register it with the vault's key",
            )
        )
    checks += [_process_server_check(now, ps) for ps in store.all(ProcessServer)]
    components = [c for f in store.all(Fabric) for c in f.components]
    newest = newest_versions(components)
    checks += [_component_check(now, c, newest) for c in components]
    fabrics = {f.id.lower(): f.display_name for f in store.all(Fabric)}
    checks += [
        _vcenter_registration_check(now, vc, fabrics.get(vc.fabric_id.lower(), "its appliance"))
        for vc in store.all(VCenterRegistration)
    ]
    checks.append(_agents_check(store.all(ProtectedItem)))
    return checks


# --------------------------------------------------------------------------- VMware

_PURPOSE_TEXT = {
    Purpose.DISCOVERY: ("discovery", "vmware.privileges.discovery"),
    Purpose.REPLICATION: ("replication, push install and failback", "vmware.privileges.replication"),
    Purpose.MODERNIZED: ("the appliance's snapshots (modernized)", "vmware.privileges.modernized"),
}


def vmware_checks(store: Store, evidence: Evidence) -> list[Check]:
    reach = evidence.vcenter
    if not reach.configured:
        return [
            Check(
                "vmware.vcenter",
                Area.VMWARE,
                Verdict.WARN,
                "no vCenter configured: VMware checks skipped",
                "set --vcenter URL and --user (or GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD)",
            )
        ]
    if reach.error:
        return [
            Check(
                "vmware.vcenter",
                Area.VMWARE,
                Verdict.UNKNOWN,
                f"vCenter could not be read: {reach.error}",
                "check the URL, the account and that this machine reaches vCenter on 443",
            )
        ]
    vms = [vm for vm in store.all(VirtualMachine) if not vm.template]
    version = f" (version {evidence.vcenter_version})" if evidence.vcenter_version else ""
    checks = [
        Check(
            "vmware.vcenter",
            Area.VMWARE,
            Verdict.PASS,
            f"vCenter reachable{version}; {len(vms)} VMs",
        )
    ]
    if evidence.privileges is None:
        checks.append(
            Check(
                "vmware.privileges",
                Area.VMWARE,
                Verdict.UNKNOWN,
                f"the account's privileges could not be read: {evidence.privileges_error}"
                if evidence.privileges_error
                else "the account's privileges are being read",
                "give the account System.View on the root folder so its privileges can be checked",
            )
        )
    else:
        for purpose, (label, check_id) in _PURPOSE_TEXT.items():
            missing = sorted({p.id for r in evidence.privileges for p in r.missing if p.purpose == purpose})
            where = sorted(
                {r.entity for r in evidence.privileges if any(p.purpose == purpose for p in r.missing)}
            )
            if missing:
                checks.append(
                    Check(
                        check_id,
                        Area.VMWARE,
                        Verdict.FAIL if purpose is Purpose.DISCOVERY else Verdict.WARN,
                        f"the account lacks {len(missing)} privilege(s) for {label} on {', '.join(where)}: "
                        + ", ".join(missing[:6])
                        + (" …" if len(missing) > 6 else ""),
                        "add them to the account's role on the datacenter (propagate to children)",
                    )
                )
            else:
                checks.append(
                    Check(
                        check_id, Area.VMWARE, Verdict.PASS, f"the account holds the privileges for {label}"
                    )
                )
    checks.append(_compat_check(vms, {c.moref: c for c in store.all(ChurnSample)}))
    return checks


def _compat_check(vms: Sequence[VirtualMachine], churn: dict[str, ChurnSample]) -> Check:
    blocked: Counter[str] = Counter()
    warned: Counter[str] = Counter()
    for vm in vms:
        result = check_vm(vm, churn.get(vm.moref))
        for finding in result.findings:
            if finding.status is Status.BLOCKED:
                blocked[finding.rule] += 1
            elif finding.status is Status.WARNING:
                warned[finding.rule] += 1
    if not blocked and not warned:
        return Check(
            "vmware.compatibility", Area.VMWARE, Verdict.PASS, f"all {len(vms)} VMs can replicate to Azure"
        )

    def counts(c: Counter[str]) -> str:
        return ", ".join(f"{rule} {n}" for rule, n in c.most_common())

    parts = []
    if blocked:
        parts.append(f"blocked: {counts(blocked)}")
    if warned:
        parts.append(f"warnings: {counts(warned)}")
    return Check(
        "vmware.compatibility",
        Area.VMWARE,
        Verdict.WARN,
        f"of {len(vms)} VMs — " + "; ".join(parts),
        "see :vms (Azure column) or `asr-console inventory` for each VM's reasons; blocked VMs need the "
        "change named there before they can be protected",
    )


# --------------------------------------------------------------------------- capacity


def capacity_checks(store: Store, evidence: Evidence) -> list[Check]:
    if not evidence.vcenter.ok:
        return []
    plan = store_plan(store, evidence.capacity)
    checks = []
    if plan.bandwidth_mbps is None:
        checks.append(
            Check(
                "capacity.bandwidth",
                Area.CAPACITY,
                Verdict.WARN,
                f"the set needs {plan.required_mbps:,.0f} Mbit/s for a {plan.inputs.rpo_minutes} min RPO; "
                "no bandwidth figure to compare",
                "measure the upload link to Azure and run `asr-console capacity --bandwidth-mbps N`",
            )
        )
    else:
        short = plan.required_mbps > plan.bandwidth_mbps
        checks.append(
            Check(
                "capacity.bandwidth",
                Area.CAPACITY,
                Verdict.WARN if short else Verdict.PASS,
                f"the set needs {plan.required_mbps:,.0f} Mbit/s for a {plan.inputs.rpo_minutes} min RPO; "
                f"{plan.bandwidth_mbps:,.0f} Mbit/s {plan.bandwidth_source}",
                "add bandwidth, protect the set in waves, or relax the RPO target" if short else "",
            )
        )
    present = len(store.all(ProcessServer))
    needed = plan.appliances_needed
    checks.append(
        Check(
            "capacity.process-servers",
            Area.CAPACITY,
            Verdict.WARN if needed > present else Verdict.PASS,
            f"{needed} process server(s) needed for {plan.daily_churn_gb:,.0f} GiB/day over "
            f"{len(plan.vms)} VMs; {present} registered",
            f"add {needed - present} scale-out process server(s) (2 TB/day and 225 VMs each)"
            if needed > present
            else "",
        )
    )
    over = [(f.name, d) for f in plan.vms for d in f.disks_over_limit]
    if over:
        names = ", ".join(f"{vm} {d.disk}" for vm, d in over[:5]) + (" …" if len(over) > 5 else "")
        checks.append(
            Check(
                "capacity.disk-churn",
                Area.CAPACITY,
                Verdict.WARN,
                f"{len(over)} disk(s) write more than {plan.inputs.disk_type} absorbs: {names}",
                "replicate those disks to the disk type `asr-console capacity` suggests (e.g. Premium_LRS)",
            )
        )
    else:
        checks.append(
            Check(
                "capacity.disk-churn",
                Area.CAPACITY,
                Verdict.PASS,
                f"every measured disk is within {plan.inputs.disk_type}'s churn limit",
            )
        )
    return checks


def discovered_agent_checks(store: Store, evidence: Evidence) -> list[Check]:
    """How many machines the vault discovered but does not protect have no Mobility agent yet: enable
    replication then push-installs it, which needs what ASR's push install needs."""
    if not evidence.azure.ok:
        return []
    protected = {
        normalize_uuid(u)
        for i in store.all(ProtectedItem)
        for u in (i.source_bios_uuid, i.source_instance_uuid)
        if u
    }
    protected_names = {i.display_name.lower() for i in store.all(ProtectedItem)}
    machines: dict[str, ProtectableItem] = {}
    for m in store.all(ProtectableItem):
        ids = {normalize_uuid(u) for u in (m.bios_guid, m.instance_uuid) if u}
        name = (m.friendly_name or m.name).lower()
        if m.agent_installed is None or m.protection_status.lower() == "protected" or ids & protected:
            continue
        if not ids and name in protected_names:
            continue  # a classic listing without the VM's UUIDs: its name is what matches
        # a vault with both stacks lists a VM once per appliance: count it once, by name
        machines.setdefault(name, m)
    if not machines:
        return []
    without = sorted(
        (m.friendly_name or m.name for m in machines.values() if not m.agent_installed), key=str.lower
    )
    if not without:
        found = f"every one of the {len(machines)} discovered unprotected machines has a Mobility agent"
        return [Check("vmware.mobility-agents", Area.VMWARE, Verdict.PASS, found)]
    shown = ", ".join(without[:5]) + (" …" if len(without) > 5 else "")
    return [
        Check(
            "vmware.mobility-agents",
            Area.VMWARE,
            Verdict.WARN,
            f"{len(without)} of {len(machines)} discovered unprotected machines have no Mobility agent "
            f"({shown}); enable replication push-installs it",
            "for the push install give enable a run-as account: on Windows an administrator (a local one "
            "needs LocalAccountTokenFilterPolicy=1) with File and Printer Sharing and WMI allowed, on Linux "
            "root with SSH on 22 (password authentication, SFTP); or install the agent by hand",
        )
    ]


CHECKS: tuple[Callable[[Store, Evidence], list[Check]], ...] = (
    azure_checks,
    infrastructure_checks,
    vmware_checks,
    discovered_agent_checks,
    capacity_checks,
)


def run_checks(store: Store, evidence: Evidence) -> list[Check]:
    """Every check, each under an id of its own (a second one of a name gets ``#2``)."""
    seen: Counter[str] = Counter()
    out = []
    for group in CHECKS:
        for check in group(store, evidence):
            seen[check.id] += 1
            out.append(check if seen[check.id] == 1 else replace(check, id=f"{check.id}#{seen[check.id]}"))
    return out
