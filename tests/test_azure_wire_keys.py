"""Every REST key the wire converter reads is a field of the SDK model of that payload.

The converter reads wire JSON by REST name, so a misspelt or renamed key would read as "absent" and
show a default forever. Each converter runs over Microsoft's official examples and the simulator's
payloads inside a recording dict that logs every key read with its path; each path is then walked
through the SDK model built from the same payload (which picks the provider subclass from its
discriminator) and the key looked up in that model's REST field table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.recoveryservicessiterecovery import models as m

from asr_console.sim import make_demo_site
from asr_console.sources import azure_wire as wire
from tests.sdk_fields import rest_fields, subclasses

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "asr-examples"

Step = str | int
Read = tuple[tuple[Step, ...], str]


def rest_names(model_cls: type[Any]) -> dict[str, str]:
    """REST name → attribute name of an SDK model class, its discriminated siblings' included: the
    converter reads other providers' common fields generically ("whichever they carry")."""
    names: dict[str, str] = {}
    classes = [model_cls]
    for base in model_cls.__mro__:
        classes += subclasses(base)
    for cls in classes:
        for rest, attr in rest_fields(cls).items():
            names.setdefault(rest, attr)
    return names


class Recording(dict[str, Any]):
    """A wire dict that logs each key read (``get`` or ``[]``) with the path to it."""

    def __init__(self, data: dict[str, Any], path: tuple[Step, ...], log: list[Read]) -> None:
        super().__init__({k: wrap(v, (*path, k), log) for k, v in data.items()})
        self.path = path
        self.log = log

    def get(self, key: str, default: Any = None) -> Any:
        self.log.append((self.path, key))
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.log.append((self.path, key))
        return super().__getitem__(key)


def wrap(value: Any, path: tuple[Step, ...], log: list[Read]) -> Any:
    if isinstance(value, dict):
        return Recording(value, path, log)
    if isinstance(value, list):
        return [wrap(v, (*path, i), log) for i, v in enumerate(value)]
    return value


def unknown_keys(model: Any, reads: list[Read]) -> set[str]:
    """The reads whose key is not a REST field of the model at that path."""
    bad: set[str] = set()
    for path, key in reads:
        node = model
        for step in path:
            node = node[step] if isinstance(step, int) else getattr(node, rest_names(type(node))[step])
        if hasattr(node, "as_dict"):
            if key not in rest_names(type(node)):
                bad.add(f"{type(node).__name__}: {'/'.join(map(str, (*path, key)))}")
        else:
            bad.add(f"not a model at {'/'.join(map(str, path))} (read {key})")
    return bad


Converter = Callable[[dict[str, Any]], Any]
PAYLOADS: list[tuple[str, type[Any], Converter]] = [
    ("ReplicationProtectedItems", m.ReplicationProtectedItem, wire.protected_item),
    ("ReplicationProtectableItems", m.ProtectableItem, wire.protectable_item),
    ("ReplicationJobs", m.Job, wire.job),
    ("ReplicationFabrics", m.Fabric, wire.fabric),
    ("ReplicationEvents", m.Event, wire.event),
    ("ReplicationPolicies", m.Policy, wire.policy),
    ("ReplicationVaultHealth", m.VaultHealthDetails, lambda v: wire.vault(v, "s", "rg", "v")),
    ("ReplicationRecoveryPlans", m.RecoveryPlan, wire.recovery_plan),
    ("RecoveryPoints", m.RecoveryPoint, wire.recovery_point),
    ("ReplicationvCenters", m.VCenter, wire.vcenter),
    ("ReplicationProtectionContainers_", m.ProtectionContainer, wire.container),
    ("ReplicationProtectionContainerMappings", m.ProtectionContainerMapping, wire.mapping),
]


def example_values(prefix: str) -> Iterator[dict[str, Any]]:
    for path in sorted(EXAMPLES.glob(f"{prefix}*.json")):
        body = json.loads(path.read_text())["responses"].get("200", {}).get("body")
        if isinstance(body, dict):
            yield from body.get("value", [body])


def simulator_values(prefix: str) -> list[dict[str, Any]]:
    engine = make_demo_site(vms=40, protected=30, seed=3, speed=0.0, provider="mixed", history_jobs=20)
    assert engine.run_until(lambda: len(engine.list_events()) > 0, limit=7 * 86_400.0, step=600.0)
    item = engine.list_protected_items()[0]
    fabric, container, name = (wire.segment(item["id"], c) for c in _ITEM_PATH)
    containers = engine.list_containers()
    by_prefix: dict[str, list[dict[str, Any]]] = {
        "ReplicationProtectedItems": engine.list_protected_items(),
        "ReplicationProtectableItems": [
            p
            for c in containers
            for p in engine.list_protectable_items(
                wire.segment(c["id"], "replicationFabrics"),
                wire.segment(c["id"], "replicationProtectionContainers"),
            )
        ],
        "ReplicationJobs": engine.list_jobs(),
        "ReplicationFabrics": engine.list_fabrics(),
        "ReplicationEvents": engine.list_events(),
        "ReplicationPolicies": engine.list_policies(),
        "ReplicationVaultHealth": [engine.vault_health()],
        "ReplicationRecoveryPlans": engine.list_recovery_plans(),
        "RecoveryPoints": engine.list_recovery_points(fabric, container, name),
        "ReplicationvCenters": engine.list_vcenters(),
        "ReplicationProtectionContainers_": containers,
        "ReplicationProtectionContainerMappings": engine.list_mappings(),
    }
    return by_prefix[prefix]


_ITEM_PATH = ("replicationFabrics", "replicationProtectionContainers", "replicationProtectedItems")


@pytest.mark.parametrize("source", ["examples", "simulator"])
@pytest.mark.parametrize(("prefix", "model_cls", "convert"), PAYLOADS, ids=[p[0] for p in PAYLOADS])
def test_every_key_the_converter_reads_is_an_sdk_rest_field(
    source: str, prefix: str, model_cls: type[Any], convert: Converter
) -> None:
    if source == "examples" and not EXAMPLES.is_dir():
        pytest.skip("official examples not present")
    values = list(example_values(prefix)) if source == "examples" else simulator_values(prefix)
    assert values, f"no {prefix} payloads in the {source}"
    bad: set[str] = set()
    for value in values:
        reads: list[Read] = []
        convert(Recording(value, (), reads))
        assert reads
        bad |= unknown_keys(model_cls(value), reads)
    assert not bad, sorted(bad)


def test_the_check_catches_a_key_the_sdk_does_not_have() -> None:
    """The check itself can fail: a read of a misspelt key is reported with its path."""
    reads: list[Read] = []
    Recording({"properties": {"friendlyName": "x"}}, (), reads).get("properties").get("friendlyNmae")
    assert unknown_keys(m.Policy({"properties": {"friendlyName": "x"}}), reads) == {
        "PolicyProperties: properties/friendlyNmae"
    }
