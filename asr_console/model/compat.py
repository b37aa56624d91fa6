"""Can this VMware VM replicate to Azure? One table of rules, each with the document it comes from.

Pure logic on model records: ``check_vm(vm, churn)`` runs every rule of ``RULES`` and returns ok,
warning or blocked with one reason per finding. Blocked means ASR refuses or the failed-over VM cannot
work; warning means it can replicate but someone must act (rename the target, pick a premium disk,
confirm the OS). Rules that need data the VM record does not have yet (devices before the second
inventory pass, churn before the first sample) are skipped, and the result says it is incomplete.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from asr_console.model.records import ChurnSample, Disk, VirtualMachine

MATRIX = "https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix"
AZURE_NAMES = (
    "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcompute"
)
AZURE_NICS = "https://learn.microsoft.com/azure/virtual-machines/sizes"
PLANNER = "https://learn.microsoft.com/azure/site-recovery/site-recovery-deployment-planner"

GB = 1024**3
MB_PER_S_IN_KBPS = 1024.0  # virtualDisk.write.average is in KB/s

OS_DISK_MAX_GB_GEN1 = 2048
OS_DISK_MAX_GB_GEN2 = 4095
DATA_DISK_MAX_GB = 32 * 1024 - 1  # 32 TB on managed disks, Mobility agent 9.41 and later
DATA_DISK_OLD_AGENT_MAX_GB = 8192  # agents 9.26–9.40
DISK_MIN_BYTES = 1024 * 1024**2  # ASR replicates disks larger than 1,024 MB
DATA_DISKS_MAX = 64
NICS_MAX = 8  # the most any Azure VM size takes
VM_CHURN_MAX_MB_S = 54.0
DISK_CHURN_MAX_MB_S = 20.0  # premium target disk
DISK_CHURN_STANDARD_MB_S = 2.0  # standard target disk


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BLOCKED = "blocked"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Status.OK: 0, Status.WARNING: 1, Status.BLOCKED: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    status: Status
    message: str
    source: str


Check = Callable[[VirtualMachine, ChurnSample | None], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    source: str
    check: Check
    needs_details: bool = False
    needs_churn: bool = False


@dataclass(frozen=True, slots=True)
class CompatResult:
    status: Status
    findings: tuple[Finding, ...]
    generation: int  # Azure VM generation: 1 (BIOS) or 2 (UEFI)
    complete: bool  # False when rules were skipped for lack of data

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(f.message for f in self.findings)


# --------------------------------------------------------------------------- guest OS


@dataclass(frozen=True, slots=True)
class _GuestRule:
    pattern: re.Pattern[str]
    status: Status
    message: str


def _g(pattern: str, status: Status, message: str = "") -> _GuestRule:
    return _GuestRule(re.compile(pattern), status, message)


# vSphere guest ids, first match wins. Only 64-bit Windows and Linux replicate.
_GUEST_RULES: tuple[_GuestRule, ...] = (
    _g(
        r"^(dos|win31|win95|win98|winMe|winNT|win2000|winXP|winNet|winVista)",
        Status.BLOCKED,
        "{os}: end of support; ASR does not replicate it",
    ),
    _g(
        r"^winLonghorn64Guest$|^windows7Server64Guest$",
        Status.WARNING,
        "{os}: Windows Server 2008 / 2008 R2 replicate only with the latest service pack and SHA-2 updates",
    ),
    _g(r"^windows7_64Guest$", Status.WARNING, "{os}: Windows 7 needs SP1 and SHA-2 updates"),
    _g(r"^(windows\d+(srv|Server)|windows2019|windows2022|windows8Server|windows9Server)", Status.OK),
    _g(r"^windows(8|9|11|12)_64Guest$", Status.OK),
    _g(r"^(win|windows)", Status.BLOCKED, "{os}: 32-bit or unsupported Windows edition"),
    _g(
        r"^(rhel5_64|centos64|centos5_64|oracleLinux64)Guest$",
        Status.WARNING,
        "{os}: 5.x releases were supported only by the retired classic stack",
    ),
    _g(
        r"^(rhel[6-9]|rhel1\d|centos[6-9]|oracleLinux[6-9]|sles1[1-6]|debian([7-9]|1\d)|rockylinux|almalinux)"
        r"_64Guest$",
        Status.OK,
    ),
    _g(r"^(ubuntu64|centos64)Guest$", Status.OK),
    _g(
        r"^(otherLinux64|other\dxLinux64|other[3-6]xLinux64|genericLinux|fedora64|opensuse64|coreos64)Guest$",
        Status.WARNING,
        "{os}: Linux distribution not identified; check it against the support matrix",
    ),
    _g(
        r"^(rhel|centos|oracleLinux|sles|suse|debian|ubuntu|redhat|other\d*x?Linux|mandr|turbo|asianux"
        r"|opensuse|fedora|nld|oes|sjds)",
        Status.BLOCKED,
        "{os}: 32-bit or unsupported Linux release",
    ),
    _g(
        r"^(other|otherGuest|otherGuest64)?$",
        Status.WARNING,
        "{os}: guest OS not identified; ASR supports 64-bit Windows and Linux only",
    ),
    _g(r".", Status.BLOCKED, "{os}: ASR replicates only 64-bit Windows and Linux"),
)


def _guest_os(vm: VirtualMachine, _churn: ChurnSample | None) -> Iterable[Finding]:
    os_name = vm.guest_full_name or vm.guest_id or "unknown guest OS"
    for rule in _GUEST_RULES:
        if rule.pattern.search(vm.guest_id):
            if rule.status != Status.OK:
                yield Finding("guest-os", rule.status, rule.message.format(os=os_name), MATRIX)
            return


# --------------------------------------------------------------------------- firmware and disks


def generation(vm: VirtualMachine) -> int:
    return 2 if vm.firmware.lower() == "efi" else 1


def os_disk(vm: VirtualMachine) -> Disk | None:
    """The boot disk: vSphere does not say, so take the first disk (lowest device key, usually scsi0:0)."""
    return min(vm.disks, key=lambda d: d.key) if vm.disks else None


def _firmware(vm: VirtualMachine, _churn: ChurnSample | None) -> Iterable[Finding]:
    if generation(vm) == 2 and vm.secure_boot:
        yield Finding(
            "firmware", Status.BLOCKED, "UEFI with Secure Boot on: turn Secure Boot off to replicate", MATRIX
        )


def _os_disk_size(vm: VirtualMachine, _churn: ChurnSample | None) -> Iterable[Finding]:
    disk = os_disk(vm)
    if disk is None:
        yield Finding("os-disk", Status.BLOCKED, "no virtual disk", MATRIX)
        return
    limit = OS_DISK_MAX_GB_GEN2 if generation(vm) == 2 else OS_DISK_MAX_GB_GEN1
    if disk.capacity_gb > limit:
        gen = "Gen2/UEFI" if generation(vm) == 2 else "Gen1/BIOS"
        yield Finding(
            "os-disk",
            Status.BLOCKED,
            f"OS disk {disk.label} is {disk.capacity_gb:,.0f} GB; {gen} allows {limit:,} GB",
            MATRIX,
        )


def _data_disks(vm: VirtualMachine, _churn: ChurnSample | None) -> Iterable[Finding]:
    boot = os_disk(vm)
    data = [d for d in vm.disks if d is not boot]
    if len(data) > DATA_DISKS_MAX:
        yield Finding(
            "data-disks",
            Status.BLOCKED,
            f"{len(data)} data disks; Azure VMs take at most {DATA_DISKS_MAX}",
            MATRIX,
        )
    for disk in data:
        if disk.capacity_gb > DATA_DISK_MAX_GB:
            yield Finding(
                "data-disks",
                Status.BLOCKED,
                f"data disk {disk.label} is {disk.capacity_gb:,.0f} GB; the limit is 32 TB",
                MATRIX,
            )
        elif disk.capacity_gb > DATA_DISK_OLD_AGENT_MAX_GB:
            yield Finding(
                "data-disks",
                Status.WARNING,
                f"data disk {disk.label} is {disk.capacity_gb:,.0f} GB: needs Mobility agent 9.41 or "
                "later and managed disks",
                MATRIX,
            )
    for disk in vm.disks:
        if disk.capacity_bytes <= DISK_MIN_BYTES:
            yield Finding(
                "disk-min",
                Status.WARNING,
                f"disk {disk.label} is 1,024 MB or smaller; ASR does not replicate it",
                MATRIX,
            )


def _disk_kinds(vm: VirtualMachine, _churn: ChurnSample | None) -> Iterable[Finding]:
    for disk in vm.disks:
        if disk.sharing not in ("", "sharingNone"):
            yield Finding(
                "shared-disk",
                Status.BLOCKED,
                f"disk {disk.label} is shared ({disk.sharing}); shared disks are not supported",
                MATRIX,
            )
        if disk.rdm:
            yield Finding(
                "rdm",
                Status.WARNING,
                f"disk {disk.label} is a raw device mapping: it fails over as a managed disk and "
                "fails back as a VMDK",
                MATRIX,
            )
        if disk.independent:
            yield Finding(
                "independent-disk",
                Status.WARNING,
                f"disk {disk.label} is {disk.mode.replace('_', ' ')}: excluded from VM snapshots, "
                "so app-consistent points do not cover it",
                MATRIX,
            )


def _nics(vm: VirtualMachine, _churn: ChurnSample | None) -> Iterable[Finding]:
    if not vm.nics:
        yield Finding(
            "nics", Status.WARNING, "no network adapter: the Azure VM will be unreachable", AZURE_NICS
        )
    elif len(vm.nics) > NICS_MAX:
        yield Finding(
            "nics",
            Status.BLOCKED,
            f"{len(vm.nics)} network adapters; no Azure VM size takes more than {NICS_MAX}",
            AZURE_NICS,
        )


_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def valid_azure_name(name: str) -> bool:
    return bool(_NAME.match(name))


def _name(vm: VirtualMachine, _churn: ChurnSample | None) -> Iterable[Finding]:
    if valid_azure_name(vm.name):
        return
    if len(vm.name) > 63:
        why = f"{len(vm.name)} characters (1–63 allowed)"
    elif not vm.name:
        why = "empty"
    else:
        why = "only letters, digits and hyphens, starting and ending with a letter or digit"
    yield Finding(
        "name", Status.WARNING, f"name is not a valid Azure VM name ({why}): set a target name", AZURE_NAMES
    )


def _template(vm: VirtualMachine, _churn: ChurnSample | None) -> Iterable[Finding]:
    if vm.template:
        yield Finding("template", Status.BLOCKED, "a template, not a VM: nothing runs to replicate", MATRIX)


# --------------------------------------------------------------------------- churn


def _churn(vm: VirtualMachine, churn: ChurnSample | None) -> Iterable[Finding]:
    if churn is None or churn.peak_kbps is None:
        return
    peak = churn.peak_kbps / MB_PER_S_IN_KBPS
    if peak > VM_CHURN_MAX_MB_S:
        yield Finding(
            "churn",
            Status.BLOCKED,
            f"peak churn {peak:.1f} MB/s above ASR's per-VM limit of {VM_CHURN_MAX_MB_S:g} MB/s",
            PLANNER,
        )
        return
    disks = max(1, len(vm.disks))
    # Samples are per VM; with several disks the busiest disk writes at least the share of one.
    least_per_disk = peak / disks
    if least_per_disk > DISK_CHURN_MAX_MB_S:
        yield Finding(
            "churn",
            Status.BLOCKED,
            f"churn {peak:.1f} MB/s over {disks} disk(s) exceeds the per-disk limit of "
            f"{DISK_CHURN_MAX_MB_S:g} MB/s",
            PLANNER,
        )
    elif peak > DISK_CHURN_MAX_MB_S:
        yield Finding(
            "churn",
            Status.WARNING,
            f"peak churn {peak:.1f} MB/s: a disk may exceed the per-disk limit of "
            f"{DISK_CHURN_MAX_MB_S:g} MB/s",
            PLANNER,
        )
    elif least_per_disk > DISK_CHURN_STANDARD_MB_S or (disks == 1 and peak > DISK_CHURN_STANDARD_MB_S):
        yield Finding(
            "churn",
            Status.WARNING,
            f"peak churn {peak:.1f} MB/s: above {DISK_CHURN_STANDARD_MB_S:g} MB/s per disk needs "
            "premium SSD target disks",
            PLANNER,
        )


RULES: tuple[Rule, ...] = (
    Rule("guest-os", "Guest OS is a supported 64-bit Windows or Linux", MATRIX, _guest_os),
    Rule("template", "Is a VM, not a template", MATRIX, _template),
    Rule("firmware", "UEFI (Gen2) only with Secure Boot off", MATRIX, _firmware),
    Rule("name", "VM name valid in Azure (1–63 letters, digits, hyphens)", AZURE_NAMES, _name),
    Rule(
        "os-disk", "OS disk ≤ 2,048 GB (Gen1) or ≤ 4,095 GB (Gen2)", MATRIX, _os_disk_size, needs_details=True
    ),
    Rule(
        "data-disks",
        "≤ 64 data disks, each ≤ 32 TB; disks > 1,024 MB",
        MATRIX,
        _data_disks,
        needs_details=True,
    ),
    Rule(
        "disk-kinds",
        "No shared disks; RDM and independent disks flagged",
        MATRIX,
        _disk_kinds,
        needs_details=True,
    ),
    Rule("nics", "1–8 network adapters", AZURE_NICS, _nics, needs_details=True),
    Rule("churn", "Churn ≤ 54 MB/s per VM and ≤ 20 MB/s per disk", PLANNER, _churn, needs_churn=True),
)


def check_vm(vm: VirtualMachine, churn: ChurnSample | None = None) -> CompatResult:
    findings: list[Finding] = []
    complete = True
    for rule in RULES:
        if rule.needs_details and not vm.details_loaded:
            complete = False
            continue
        if rule.needs_churn and (churn is None or not churn.samples):
            complete = False
            continue
        findings.extend(rule.check(vm, churn))
    status = max((f.status for f in findings), key=lambda s: s.rank, default=Status.OK)
    # Blocking reasons first: they are what someone must fix.
    findings.sort(key=lambda f: -f.status.rank)
    return CompatResult(status=status, findings=tuple(findings), generation=generation(vm), complete=complete)
