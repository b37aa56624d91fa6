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


def vm_mapping(plan: Mapping[str, NetworkMapping], vm: VirtualMachine) -> NetworkMapping | None:
    """The mapping of the VM's first NIC's port group that has one (what enable defaults to)."""
    for nic in vm.nics:
        found = mapping_for(plan, nic.network)
        if found is not None:
            return found
    return None


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
