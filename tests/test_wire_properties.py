"""Any JSON a vault could send: each converter returns a record or raises ``WireError`` (which the list
reads count as an unreadable record), never another exception (issue 11: malformed payloads are a
back-end error, never a traceback)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asr_console.sources import azure_wire as wire

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# the keys converters read, so generated payloads reach past the first lookup
KEYS = [
    "id",
    "name",
    "properties",
    "friendlyName",
    "providerSpecificDetails",
    "instanceType",
    "healthErrors",
    "allowedOperations",
    "tasks",
    "errors",
    "startTime",
    "state",
    "customDetails",
    "processServers",
    "lastRpoInSeconds",
    "protectedDisks",
    "recoveryPointTime",
    "timeOfOccurrence",
]
payloads = st.dictionaries(
    st.sampled_from(KEYS), json_values | st.dictionaries(st.sampled_from(KEYS), json_values)
)

CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "protected_item": wire.protected_item,
    "protectable_item": wire.protectable_item,
    "job": wire.job,
    "fabric": wire.fabric,
    "vcenter": wire.vcenter,
    "container": wire.container,
    "mapping": wire.mapping,
    "policy": wire.policy,
    "recovery_point": wire.recovery_point,
    "recovery_plan": wire.recovery_plan,
    "event": wire.event,
    "vault": lambda v: wire.vault(v, "s", "rg", "v"),
}


@pytest.mark.parametrize("name", sorted(CONVERTERS))
@settings(max_examples=150, deadline=None)
@given(value=st.one_of(payloads, json_values))
def test_a_converter_returns_a_record_or_a_wire_error(name: str, value: Any) -> None:
    with contextlib.suppress(wire.WireError):
        CONVERTERS[name](value)
