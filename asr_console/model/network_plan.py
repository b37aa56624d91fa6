"""The network plan: which Azure network and subnet each vCenter port group fails over (and tests) into.

A profile's ``[profiles.NAME.network_map."PORT GROUP"]`` tables hold it; the ``:network`` view lists every
port group with its mapping, unmapped first, and the VMs whose addresses fall outside the mapped subnet (a
failover keeps an address only inside the subnet it lands in).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from asr_console.model.arm import same_arm_id
from asr_console.model.records import VirtualMachine

KEYS = ("network", "subnet", "test_network", "test_subnet")


@dataclass(frozen=True, slots=True)
class NetworkMapping:
    """One port group's targets; networks by name or ARM id, subnets by name."""

    port_group: str
    network: str
    subnet: str = ""
    test_network: str = ""
    test_subnet: str = ""


def mapping_problems(port_group: str, table: Mapping[str, object]) -> list[tuple[str, str]]:
    """(key, reason) for what is wrong in one port group's table."""
    out: list[tuple[str, str]] = []
    for key, value in table.items():
        if key not in KEYS:
            out.append((key, f"unknown key (known keys: {', '.join(KEYS)})"))
        elif not isinstance(value, str) or not value.strip():
            out.append((key, f"must be a non-empty string, got {value!r}"))
    if "network" not in table:
        out.append(("network", f"port group {port_group!r} needs a target network"))
    network, test = table.get("network"), table.get("test_network")
    if isinstance(network, str) and isinstance(test, str) and _same_network(network, test):
        out.append(
            ("test_network", "must differ from the failover network (ASR needs an isolated test network)")
        )
    return out


def _same_network(a: str, b: str) -> bool:
    if a.startswith("/") and b.startswith("/"):
        return same_arm_id(a, b)
    return a.rsplit("/", 1)[-1].lower() == b.rsplit("/", 1)[-1].lower()


def parse_network_map(tables: Mapping[str, Mapping[str, str]]) -> dict[str, NetworkMapping]:
    """Port group (lower-cased) → its mapping; the tables are valid (``mapping_problems`` is empty)."""
    return {
        name.lower(): NetworkMapping(
            port_group=name,
            network=table["network"].strip(),
            subnet=table.get("subnet", "").strip(),
            test_network=table.get("test_network", "").strip(),
            test_subnet=table.get("test_subnet", "").strip(),
        )
        for name, table in tables.items()
    }


def mapping_for(plan: Mapping[str, NetworkMapping], port_group: str) -> NetworkMapping | None:
    return plan.get(port_group.strip().lower())


def port_groups(vm: VirtualMachine) -> tuple[str, ...]:
    """The port groups of the VM's NICs, each once, in NIC order."""
    return _distinct(nic.network for nic in vm.nics)


def _distinct(names: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name in names:
        if name.strip():
            seen.setdefault(name.strip().lower(), name.strip())
    return tuple(seen.values())


@dataclass(frozen=True, slots=True)
class NetworkDefault:
    """Where one VM's enable sends it when the user names no network, and why.

    ``origin`` is what a plan shows beside the default ("network map: PG-App", "profile …"); ``problem``
    says why there is none (its NICs map to different networks, its port group is not mapped), naming
    the port groups, so the user can give the network explicitly.
    """

    network: str = ""
    subnet: str = ""
    test_network: str = ""
    test_subnet: str = ""
    origin: str = ""
    problem: str = ""


def _target(network: str, subnet: str) -> str:
    name = network.rsplit("/", 1)[-1]
    return f"{name} / {subnet}" if subnet else name


def _key(m: NetworkMapping) -> tuple[str, ...]:
    # the same network named once by name and once by id is still one target
    return tuple(v.rsplit("/", 1)[-1].lower() for v in (m.network, m.subnet, m.test_network, m.test_subnet))


def network_default(
    plan: Mapping[str, NetworkMapping],
    groups: Iterable[str],
    fallback_network: str = "",
    fallback_subnet: str = "",
) -> NetworkDefault:
    """The default targets of a VM on ``groups`` (its NICs' port groups).

    The network map decides when the VM's mapped port groups agree; port groups it does not map beside a
    mapped one are named in the origin (ASR takes one target network per VM at enable). Mapped port
    groups that disagree leave no default: which NIC is primary is the user's call. With no port group
    mapped, the profile's ``target_network`` is the fallback; without one, the unmapped port group is the
    problem. Explicit choices (flags, dialog edits) are the caller's and always win.
    """
    names = _distinct(groups)
    mapped = [(g, m) for g in names if (m := mapping_for(plan, g)) is not None]
    unmapped = [g for g in names if mapping_for(plan, g) is None]
    targets = {_key(m) for _g, m in mapped}
    if len(targets) > 1:
        shown = ", ".join(f"{g} → {_target(m.network, m.subnet)}" for g, m in mapped)
        return NetworkDefault(problem=f"its NICs map to different networks ({shown})")
    if mapped:
        m = mapped[0][1]
        origin = "network map: " + ", ".join(g for g, _ in mapped)
        if unmapped:
            origin += f" ({', '.join(unmapped)} unmapped)"
        return NetworkDefault(m.network, m.subnet, m.test_network, m.test_subnet, origin)
    if fallback_network:
        origin = "profile target_network"
        if plan and unmapped:
            origin += f" (port group {', '.join(unmapped)} unmapped)"
        return NetworkDefault(fallback_network, fallback_subnet, origin=origin)
    if plan and unmapped:
        return NetworkDefault(problem=f"port group {', '.join(unmapped)} is not in the network map")
    if plan:
        return NetworkDefault(problem="its NICs' port groups are not known yet")
    return NetworkDefault()


@dataclass(frozen=True, slots=True)
class AddressOutside:
    vm: str
    nic: str
    address: str
    subnet: str
    prefixes: tuple[str, ...]


def addresses_outside(
    vms: Iterable[VirtualMachine], port_group: str, prefixes: Sequence[str], subnet: str
) -> list[AddressOutside]:
    """IPv4 addresses of the VMs' NICs on ``port_group`` that no prefix of the mapped subnet holds.

    Link-local and unparsable addresses are skipped: they never move with a failover.
    """
    networks = []
    for prefix in prefixes:
        try:
            networks.append(ipaddress.ip_network(prefix, strict=False))
        except ValueError:
            continue
    if not networks:
        return []
    out = []
    for vm in vms:
        for nic in vm.nics:
            if nic.network.strip().lower() != port_group.strip().lower():
                continue
            for raw in nic.ips:
                try:
                    address = ipaddress.ip_address(raw.split("%", 1)[0])
                except ValueError:
                    continue
                if address.is_link_local or address.version != 4:
                    continue
                if not any(address.version == n.version and address in n for n in networks):
                    out.append(AddressOutside(vm.name, nic.label, raw, subnet, tuple(prefixes)))
    return out


class SubnetLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def address_prefix(self) -> str: ...


class NetworkLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def subnets(self) -> Sequence[SubnetLike]: ...


def subnet_prefixes(networks: Iterable[NetworkLike], network: str, subnet: str) -> tuple[str, ...] | None:
    """The address prefixes of ``subnet`` in ``network`` (name or ARM id); None when either is not listed.

    Without a subnet name the mapping lands in the network's first subnet, as the enable form offers it.
    """
    for vnet in networks:
        named = (
            same_arm_id(vnet.id, network) if network.startswith("/") else vnet.name.lower() == network.lower()
        )
        if not named:
            continue
        for candidate in vnet.subnets:
            if not subnet or candidate.name.lower() == subnet.lower():
                return tuple(p for p in candidate.address_prefix.split(",") if p.strip())
        return None
    return None
