"""``asr-console inventory``: a vCenter's inventory with Azure compatibility, once or ``--watch``.

Exit codes: 0 ok; 3 when the vCenter cannot be used (bad URL, refused or unreachable, untrusted
certificate, wrong user name or password), with one line on stderr saying which.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from asr_console.commands.deadline import Deadline
from asr_console.commands.quit_guard import QuitGuard
from asr_console.config import Settings
from asr_console.model.backoff import Backoff
from asr_console.model.compat import CompatResult, check_vm
from asr_console.model.errors import SourceError
from asr_console.model.records import (
    ChurnSample,
    Cluster,
    Datacenter,
    Datastore,
    Host,
    Kind,
    Network,
    Record,
    VirtualMachine,
)
from asr_console.model.store import Store

if TYPE_CHECKING:  # pyVmomi loads only when this command runs, not for every command's parser
    from asr_console.sources.vmware import VCenterInventory

PROG = "asr-console inventory"
EXIT_UNREACHABLE = 3
GB = 1024**3


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "inventory",
        epilog="Credentials: --user or GOVC_USERNAME, password in GOVC_PASSWORD (or the keyring); "
        "URL from --vcenter or GOVC_URL; GOVC_INSECURE=1 accepts a self-signed certificate.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (with --watch: one object per line)")
    parser.add_argument("--watch", action="store_true", help="print one line per change until interrupted")
    parser.add_argument(
        "--no-churn", dest="churn", action="store_false", help="skip the disk churn read (faster)"
    )
    parser.set_defaults(func=run)


def password_for(settings: Settings) -> str:
    """GOVC_PASSWORD or the keyring; at a terminal, a user name without either asks for it."""
    password = settings.vcenter_password()
    if not password and settings.vcenter_user and sys.stdin.isatty():
        with contextlib.suppress(EOFError):
            password = getpass.getpass(f"vCenter password for {settings.vcenter_user} (or GOVC_PASSWORD): ")
    return password


def open_vcenter(settings: Settings) -> VCenterInventory:
    """The profile's vCenter as an inventory source (not yet connected); SourceError for a bad URL."""
    from asr_console.sources.vmware import VCenterInventory

    return VCenterInventory(
        settings.vcenter_url,
        settings.vcenter_user,
        password_for(settings),
        insecure=settings.insecure,
        cafile=settings.ca_bundle or None,
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        inventory = open_vcenter(settings)
    except SourceError as exc:
        return _fail(exc)
    deadline = Deadline(settings.timeout)
    guard = QuitGuard()
    main = _watch(inventory, args, deadline, guard) if args.watch else _once(inventory, args, deadline)
    try:
        with guard:
            return asyncio.run(main)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        return 0


def _fail(exc: BaseException) -> int:
    print(f"{PROG}: {exc}", file=sys.stderr)
    return EXIT_UNREACHABLE


async def _full_sync(inventory: VCenterInventory, store: Store) -> None:
    store.apply(await inventory.changes(0))
    while not inventory.synced:
        store.apply(await inventory.changes(0))


async def _once(inventory: VCenterInventory, args: argparse.Namespace, deadline: Deadline) -> int:
    store = Store()
    try:
        info = await deadline.within(inventory.connect(), f"vCenter {inventory.url} to log in")
        # one pass: the light/state/details passes serve a first paint and a watch, not a one-shot read
        store.apply(await deadline.within(inventory.snapshot(), f"vCenter {inventory.url}'s inventory"))
        churn = {}
        if args.churn:
            samples = await deadline.within(inventory.churn(), f"vCenter {inventory.url}'s performance data")
            churn = {c.moref: c for c in samples}
    except SourceError as exc:
        return _fail(exc)
    finally:
        await inventory.close()
    document = inventory_document(store, churn, url=info.url, version=info.version)
    if args.json:
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_text(document)
    return 0


# --------------------------------------------------------------------------- JSON document


def _sorted(records: list[Any]) -> list[Any]:
    return sorted(records, key=lambda r: (getattr(r, "datacenter", ""), r.name, r.moref))


def vm_document(
    vm: VirtualMachine, compat: CompatResult, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """One VM as the README's schema shows it: host, cluster and datacenter by name (``names``: moref →
    name), their morefs beside them."""
    names = names or {}
    return {
        "moref": vm.moref,
        "name": vm.name,
        "power_state": vm.power_state,
        "guest_id": vm.guest_id,
        "num_cpu": vm.num_cpu,
        "memory_mb": vm.memory_mb,
        "bios_uuid": vm.bios_uuid,
        "instance_uuid": vm.instance_uuid,
        "host": names.get(vm.host, vm.host),
        "cluster": names.get(vm.cluster, vm.cluster),
        "datacenter": names.get(vm.datacenter, vm.datacenter),
        "host_moref": vm.host,
        "cluster_moref": vm.cluster,
        "datacenter_moref": vm.datacenter,
        "firmware": vm.firmware,
        "disks": [
            {"label": d.label, "capacity_gb": round(d.capacity_gb, 3), "thin": d.thin, "mode": d.mode}
            for d in vm.disks
        ],
        "nics": [{"network": n.network, "mac": n.mac, "ips": list(n.ips)} for n in vm.nics],
        "azure": {
            "status": compat.status.value,
            "reasons": list(compat.reasons),
            "generation": compat.generation,
        },
    }


def _placed(names: dict[str, str], datacenter: str) -> dict[str, str]:
    """Where a record sits as the VMs say it: by name, the moref beside it (one schema for all)."""
    return {"datacenter": names.get(datacenter, datacenter), "datacenter_moref": datacenter}


def inventory_document(
    store: Store, churn: dict[str, ChurnSample], *, url: str, version: str
) -> dict[str, Any]:
    vms = _sorted(store.all(VirtualMachine))
    names = {
        **{d.moref: d.name for d in store.all(Datacenter)},
        **{c.moref: c.name for c in store.all(Cluster)},
        **{h.moref: h.name for h in store.all(Host)},
    }
    return {
        "vcenter": {"url": url, "version": version},
        "datacenters": [{"moref": d.moref, "name": d.name} for d in _sorted(store.all(Datacenter))],
        "clusters": [
            {"moref": c.moref, "name": c.name, **_placed(names, c.datacenter)}
            for c in _sorted(store.all(Cluster))
        ],
        "hosts": [
            {
                "moref": h.moref,
                "name": h.name,
                **_placed(names, h.datacenter),
                "cluster": names.get(h.cluster, h.cluster) if h.cluster else None,
                "cluster_moref": h.cluster,  # None for a standalone host
                "connection_state": h.connection_state,
                "maintenance_mode": h.maintenance_mode,
                "version": h.version,
            }
            for h in _sorted(store.all(Host))
        ],
        "datastores": [
            {
                "moref": d.moref,
                "name": d.name,
                **_placed(names, d.datacenter),
                "type": d.type,
                "capacity_gb": round(d.capacity_bytes / GB, 3),
                "free_gb": round(max(0, d.free_bytes) / GB, 3),
            }
            for d in _sorted(store.all(Datastore))
        ],
        "networks": [
            {"moref": n.moref, "name": n.name, **_placed(names, n.datacenter), "kind": n.kind}
            for n in _sorted(store.all(Network))
        ],
        "vms": [vm_document(vm, check_vm(vm, churn.get(vm.moref)), names) for vm in vms],
    }


def _print_text(document: dict[str, Any]) -> None:
    vc = document["vcenter"]
    vms = document["vms"]
    counts: dict[str, int] = {}
    for vm in vms:
        counts[vm["azure"]["status"]] = counts.get(vm["azure"]["status"], 0) + 1
    print(
        f"{vc['url']} (vCenter {vc['version']}): {len(document['datacenters'])} datacenters, "
        f"{len(document['clusters'])} clusters, {len(document['hosts'])} hosts, {len(vms)} VMs — Azure: "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("ok", "warning", "blocked"))
    )
    width = max((len(vm["name"]) for vm in vms), default=4)
    width = min(max(width, 4), 40)
    print(f"{'NAME':<{width}}  {'POWER':<10} {'DC':<10} {'CPU':>3} {'MEM GB':>6} {'DISK GB':>8}  AZURE")
    for vm in vms:
        disk_gb = sum(d["capacity_gb"] for d in vm["disks"])
        power = vm["power_state"].removeprefix("powered").lower()
        azure = vm["azure"]
        reason = f" — {azure['reasons'][0]}" if azure["reasons"] else ""
        more = f" (+{len(azure['reasons']) - 1})" if len(azure["reasons"]) > 1 else ""
        print(
            f"{vm['name'][:width]:<{width}}  {power:<10} {vm['datacenter'][:10]:<10} "
            f"{vm['num_cpu']:>3} {vm['memory_mb'] / 1024:>6.1f} {disk_gb:>8.0f}  "
            f"{azure['status']}{reason}{more}"
        )


# --------------------------------------------------------------------------- watch


def describe_changes(
    old: dict[str, Record],
    store: Store,
    kind: Kind,
    added: frozenset[str],
    updated: frozenset[str],
    removed: frozenset[str],
) -> list[dict[str, str]]:
    """One entry per change worth a line: created, destroyed, power, rename, reconfigure, host state."""
    lines: list[dict[str, str]] = []

    def line(key: str, name: str, change: str, detail: str) -> None:
        lines.append({"kind": kind.value, "moref": key, "name": name, "change": change, "detail": detail})

    for key in sorted(added):
        rec = store.get(kind, key)
        line(key, getattr(rec, "name", ""), "created", "")
    for key in sorted(removed):
        line(key, getattr(old.get(key), "name", ""), "destroyed", "")
    for key in sorted(updated):
        before, after = old.get(key), store.get(kind, key)
        if before is None or after is None:
            continue
        if isinstance(before, VirtualMachine) and isinstance(after, VirtualMachine):
            for change, detail in _vm_diff(before, after):
                line(key, after.name, change, detail)
        elif isinstance(before, Host) and isinstance(after, Host):
            if before.connection_state != after.connection_state:
                line(key, after.name, "connection", f"{before.connection_state} → {after.connection_state}")
            if before.maintenance_mode != after.maintenance_mode:
                line(key, after.name, "maintenance", "entered" if after.maintenance_mode else "exited")
            if before.name != after.name:
                line(key, after.name, "renamed", f"{before.name} → {after.name}")
        elif getattr(before, "name", None) != getattr(after, "name", None):
            line(
                key,
                getattr(after, "name", ""),
                "renamed",
                f"{getattr(before, 'name', '')} → {getattr(after, 'name', '')}",
            )
    return lines


_RECONFIG_FIELDS: tuple[tuple[str, Callable[[VirtualMachine], object]], ...] = (
    ("cpu", lambda v: v.num_cpu),
    ("memory MB", lambda v: v.memory_mb),
    ("guest", lambda v: v.guest_id),
    ("firmware", lambda v: v.firmware),
    ("secure boot", lambda v: v.secure_boot),
    ("disks", lambda v: len(v.disks)),
    ("disk GB", lambda v: round(v.total_disk_bytes / GB)),
    ("NICs", lambda v: len(v.nics)),
)


def _vm_diff(before: VirtualMachine, after: VirtualMachine) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if before.power_state != after.power_state:
        state = after.power_state.removeprefix("powered").lower()
        out.append(("power", f"powered {state}" if after.power_state.startswith("powered") else state))
    if before.name != after.name:
        out.append(("renamed", f"{before.name} → {after.name}"))
    if before.host != after.host:
        out.append(("migrated", f"{before.host} → {after.host}"))
    # Device-derived fields mean nothing until both records have their devices.
    both = before.details_loaded and after.details_loaded
    fields = _RECONFIG_FIELDS if both else _RECONFIG_FIELDS[:5]
    changed = [f"{label} {get(before)} → {get(after)}" for label, get in fields if get(before) != get(after)]
    if changed:
        out.append(("reconfigured", ", ".join(changed)))
    return out


WATCHED = (Kind.VM, Kind.HOST, Kind.CLUSTER, Kind.DATACENTER, Kind.DATASTORE, Kind.NETWORK)


async def _watch(
    inventory: VCenterInventory,
    args: argparse.Namespace,
    deadline: Deadline,
    guard: QuitGuard,
    max_wait: float = 30.0,
) -> int:
    store = Store()
    try:
        # the deadline bounds the first read; from then on the watch reconnects for as long as it runs
        info = await deadline.within(inventory.connect(), f"vCenter {inventory.url} to log in")
        await deadline.within(_full_sync(inventory, store), f"vCenter {inventory.url}'s inventory")
    except SourceError as exc:
        await inventory.close()
        return _fail(exc)
    print(
        f"watching {info.url}: {store.count(Kind.VM)} VMs on {store.count(Kind.HOST)} hosts (Ctrl-C to stop)",
        file=sys.stderr,
        flush=True,
    )
    backoff = Backoff(base=1.0, cap=60.0)
    down_since: datetime | None = None
    try:
        while True:
            try:
                batch = await inventory.changes(max_wait)
            except SourceError as exc:
                if down_since is None:
                    down_since = datetime.now(UTC)
                    print(f"{_now()} vcenter: {exc}", file=sys.stderr, flush=True)
                await asyncio.sleep(backoff.next())
                continue
            if down_since is not None:
                print(
                    f"{_now()} vcenter: reconnected to {inventory.url}; resynchronised",
                    file=sys.stderr,
                    flush=True,
                )
                down_since = None
                backoff.reset()
            old = {kind: dict(store.collection(kind)) for kind in WATCHED}
            changes = store.apply(batch)
            for kind in WATCHED:
                kc = changes.of(kind)
                if not kc:
                    continue
                for entry in describe_changes(old[kind], store, kind, kc.added, kc.updated, kc.removed):
                    _print_change(entry, args.json)
    except asyncio.CancelledError:
        # Ctrl-C: asyncio.run cancels this task; the process ends soon whatever vCenter does
        guard.arm(130)
        raise
    finally:
        await inventory.close()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _print_change(entry: dict[str, str], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"time": _now(), **entry}), flush=True)
        return
    detail = f": {entry['detail']}" if entry["detail"] else ""
    print(f"{_now()} {entry['kind']} {entry['moref']} {entry['name']} {entry['change']}{detail}", flush=True)
