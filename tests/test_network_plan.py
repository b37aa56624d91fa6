"""The network plan: ``[network_map]`` in a profile, its validation, and the address check."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asr_console.config import ConfigError, Settings, resolve
from asr_console.model.network_plan import (
    NetworkDefault,
    addresses_outside,
    mapping_for,
    network_default,
    parse_network_map,
    port_groups,
    subnet_prefixes,
)
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
    default = network_default(plan, port_groups(vm("a", ("Backup", "10.9.0.1"), ("VM Network", "10.0.0.5"))))
    assert (default.network, default.subnet, default.test_network) == ("vnet-dr", "app", "vnet-dr-test")
    assert default.origin == "network map: VM Network (Backup unmapped)"
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


PLAN = parse_network_map(
    {
        "PG-App": {"network": "vnet-dr", "subnet": "app", "test_network": "vnet-test", "test_subnet": "t"},
        "PG-App2": {"network": "VNET-DR", "subnet": "APP", "test_network": "vnet-test", "test_subnet": "t"},
        "PG-DB": {"network": "vnet-dr", "subnet": "db"},
        "PG-DMZ": {
            "network": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/dmz"
        },
    }
)


@pytest.mark.parametrize(
    ("groups", "fallback", "expected"),
    [
        # a mapped port group decides, whatever the profile's target network says
        (
            ["pg-app"],
            ("vnet-profile", "p"),
            NetworkDefault("vnet-dr", "app", "vnet-test", "t", "network map: pg-app"),
        ),
        # the same NIC twice, or two port groups naming the same target differently, agree
        (
            ["PG-App", "PG-App2", "pg-app"],
            ("", ""),
            NetworkDefault("vnet-dr", "app", "vnet-test", "t", "network map: PG-App, PG-App2"),
        ),
        (
            ["PG-DB", "Backup"],
            ("", ""),
            NetworkDefault("vnet-dr", "db", origin="network map: PG-DB (Backup unmapped)"),
        ),
        (
            ["Backup"],
            ("vnet-profile", "p"),
            NetworkDefault("vnet-profile", "p", origin="profile target_network (port group Backup unmapped)"),
        ),
        (["Backup"], ("", ""), NetworkDefault(problem="port group Backup is not in the network map")),
        ([], ("", ""), NetworkDefault(problem="its NICs' port groups are not known yet")),
        (
            ["PG-App", "PG-DB"],
            ("vnet-profile", ""),
            NetworkDefault(
                problem="its NICs map to different networks (PG-App → vnet-dr / app, PG-DB → vnet-dr / db)"
            ),
        ),
    ],
)
def test_network_default_rules(
    groups: list[str], fallback: tuple[str, str], expected: NetworkDefault
) -> None:
    assert network_default(PLAN, groups, *fallback) == expected


def test_without_a_network_map_the_profile_target_is_the_default_and_nothing_is_a_problem() -> None:
    assert network_default({}, ["Anything"], "vnet-p", "s") == NetworkDefault(
        "vnet-p", "s", origin="profile target_network"
    )
    assert network_default({}, ["Anything"]) == NetworkDefault()


GROUPS = st.lists(
    st.sampled_from(["PG-App", "pg-app2", "PG-DB", "PG-DMZ", "Backup", "Other", " "]), max_size=5
)


@given(GROUPS, st.sampled_from(["", "vnet-profile"]))
def test_a_default_is_a_mapped_target_or_the_fallback_never_both_nor_a_problem_beside_it(
    groups: list[str], fallback: str
) -> None:
    default = network_default(PLAN, groups, fallback)
    names = {g.strip().lower() for g in groups if g.strip()}
    mapped = {
        PLAN[g].network.rsplit("/", 1)[-1].lower() + "/" + PLAN[g].subnet.lower() for g in names if g in PLAN
    }
    assert bool(default.network) != bool(default.problem)  # either a default or why not
    if len(mapped) > 1:
        assert "different networks" in default.problem
    elif mapped:
        assert default.origin.startswith("network map: ")
        assert default.network.rsplit("/", 1)[-1].lower() + "/" + default.subnet.lower() in mapped
    elif fallback:
        assert (default.network, default.origin.split(" (")[0]) == (fallback, "profile target_network")
    else:
        assert default.problem and not default.network
    # the order of the NICs never changes which target is chosen, only how the origin lists them
    again = network_default(PLAN, list(reversed(groups)), fallback)
    assert (again.network.lower(), again.subnet.lower(), bool(again.problem)) == (
        default.network.lower(),
        default.subnet.lower(),
        bool(default.problem),
    )


def test_the_demo_maps_some_port_groups_to_subnets_the_site_has_and_leaves_others_unmapped() -> None:
    from asr_console.commands.site import _demo_targets
    from asr_console.sim.arm_resources import NETWORKS as AZURE
    from asr_console.sim.estate import NETWORKS as PORT_GROUPS

    plan = _demo_targets(Settings()).network_map
    mapped = {g for g in PORT_GROUPS if mapping_for(plan, g) is not None}
    assert mapped and set(PORT_GROUPS) - mapped
    subnets = {(n.name, s) for n in AZURE for s, _prefix in n.subnets}
    for m in plan.values():
        assert (m.network, m.subnet) in subnets
        assert not m.test_network or (m.test_network, m.test_subnet) in subnets
    own = parse_network_map({"X": {"network": "vnet-x"}})
    assert _demo_targets(Settings(network_map=own)).network_map == own  # a profile's plan is kept
