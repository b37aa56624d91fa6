"""The SDK models' REST field tables, for tests that check wire JSON against the SDK.

The generated 2.x models expose this table only privately (``_attr_to_rest_field``, filled on first
instantiation, each field with its ``_rest_name``); it is how the SDK itself serializes. This module is
the one place the tests read it, and it fails loudly if an SDK upgrade moves it (the simulator keeps its
own reading in ``asr_console/sim/contract.py``: it must not share code with the console or its tests).
"""

from __future__ import annotations

from typing import Any

from azure.mgmt.recoveryservicessiterecovery import models as m

# The models' common base (``_utils.model_base.Model``) is not exported: take it from a public model.
SdkModel: type[Any] = next(c for c in m.Policy.__mro__ if c.__name__ == "Model")


def rest_fields(cls: type[Any]) -> dict[str, str]:
    """REST name → attribute name of the model class ``cls`` (its own fields only)."""
    table = vars(cls).get("_attr_to_rest_field")
    if table is None:
        cls({})  # the table is built on the first instance
        table = getattr(cls, "_attr_to_rest_field", None)
    assert table, f"{cls.__name__} has no REST field table (the SDK changed how it keeps it)"
    return {field._rest_name: attr for attr, field in table.items()}


def subclasses(cls: type[Any]) -> list[type[Any]]:
    """A polymorphic base's discriminated subclasses (its ``__mapping__``), or none."""
    mapping = vars(cls).get("__mapping__")
    return list(mapping.values()) if isinstance(mapping, dict) else []
