"""The network plan: ``[network_map]`` in a profile, its validation, and the address check."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr_console.config import ConfigError, resolve
from asr_console.model.network_plan import addresses_outside, subnet_prefixes, vm_mapping
from asr_console.model.records import Nic, VirtualMachine
from asr_console.model.targets import Subnet, VirtualNetwork

PROFILE = """
[profiles.dr]
vault = "v"

[profiles.dr.network_map."VM Network"]
network = "vnet-dr"
subnet = "app"
test_network = "vnet-dr-test"
test_subnet = "app"

[profiles.dr.network_map."DMZ"]
network = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-dmz"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def vm(name: str, *nics: tuple[str, str]) -> VirtualMachine:
    return VirtualMachine(
        moref=f"vm-{name}",
        name=name,
        nics=tuple(
            Nic(key=4000 + i, label=f"Network adapter {i + 1}", network=g, ips=(ip,))
            for i, (g, ip) in enumerate(nics)
        ),
    )


def test_profile_network_map_is_read_by_port_group(tmp_path: Path) -> None:
    settings = resolve(path=write(tmp_path, PROFILE), env={}, profile="dr")
    plan = settings.network_map
    assert set(plan) == {"vm network", "dmz"}
    assert plan["vm network"].subnet == "app" and plan["vm network"].test_network == "vnet-dr-test"
    mapped = vm_mapping(plan, vm("a", ("Backup", "10.9.0.1"), ("VM Network", "10.0.0.5")))
    assert mapped is not None and mapped.port_group == "VM Network"
    assert settings.public_dict()["network_map"]["DMZ"]["network"].endswith("vnet-dmz")


@pytest.mark.parametrize(
    ("table", "key", "reason"),
    [
        ('subnet = "app"', "network", "needs a target network"),
        ('network = "vnet"\ncolour = "red"', "colour", "unknown key"),
        ('network = ""', "network", "non-empty string"),
        ('network = "vnet-dr"\ntest_network = "VNET-DR"', "test_network", "must differ"),
        ("network = 5", "network", "non-empty string"),
    ],
)
def test_bad_network_map_names_the_key(tmp_path: Path, table: str, key: str, reason: str) -> None:
    text = f'[profiles.dr]\nvault = "v"\n\n[profiles.dr.network_map."VM Network"]\n{table}\n'
    with pytest.raises(ConfigError) as info:
        resolve(path=write(tmp_path, text), env={}, profile="dr")
    assert info.value.key == f"profiles.dr.network_map.VM Network.{key}"
    assert reason in info.value.reason


def test_addresses_outside_the_mapped_subnet() -> None:
    vms = [
        vm("in", ("VM Network", "10.0.1.20")),
        vm("out", ("VM Network", "192.168.7.4")),
        vm("elsewhere", ("DMZ", "172.16.0.9")),
        vm("linklocal", ("VM Network", "169.254.3.3")),
    ]
    outside = addresses_outside(vms, "VM Network", ["10.0.1.0/24"], "app")
    assert [(o.vm, o.address) for o in outside] == [("out", "192.168.7.4")]
    assert addresses_outside(vms, "VM Network", [], "app") == []


def test_subnet_prefixes_by_name_or_id() -> None:
    vnet = VirtualNetwork(
        id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-dr",
        name="vnet-dr",
        subnets=(
            Subnet(id="/x/app", name="app", address_prefix="10.0.1.0/24"),
            Subnet(id="/x/db", name="db", address_prefix="10.0.2.0/24"),
        ),
    )
    assert subnet_prefixes([vnet], "VNET-DR", "db") == ("10.0.2.0/24",)
    assert subnet_prefixes([vnet], vnet.id.upper(), "app") == ("10.0.1.0/24",)
    assert subnet_prefixes([vnet], "vnet-dr", "") == ("10.0.1.0/24",)
    assert (
        subnet_prefixes([vnet], "vnet-dr", "web") is None and subnet_prefixes([vnet], "other", "app") is None
    )
