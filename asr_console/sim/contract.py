"""What ASR accepts as the body of a write, read from the SDK's input models (ASR's published contract).

The simulated site checks every request body here before its own service rules (``writes.py``): the
body must load into the operation's input model (``CreatePolicyInput``, ``EnableProtectionInput``, …)
with every field the model requires present and no key the model does not define, recursively,
following ``instanceType`` discriminators to the provider's subclass. A problem names the field by its
path in the body (``properties.providerSpecificDetails.processServerId``), as ARM's 400s do.

Nothing here reads the console's own validation: the contract is the SDK's, so a body the console
builds wrongly is refused here as a real vault would refuse it.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

from azure.mgmt.recoveryservicessiterecovery import models as sdk_models

from asr_console.sim.errors import FieldProblem, Rejected

_DISCRIMINATOR = "instanceType"


@dataclass(frozen=True, slots=True)
class ModelField:
    """One field of an SDK model as it appears on the wire."""

    rest_name: str
    required: bool
    model: type[Any] | None = None  # a nested SDK model (a polymorphic base picks by discriminator)
    many: bool = False  # a list of ``model`` (or of ``kind``)
    kind: type[Any] | None = None  # str, int, float, bool, dict or list for plain values
    discriminator: bool = False


def _rest_field_names(cls: type[Any]) -> dict[str, str]:
    """Attribute → REST name of an SDK model class.

    The generated 2.x models expose this table only privately (``_attr_to_rest_field``, filled on the
    first instantiation): this function is the one place the simulator reads it, and
    ``tests/test_sim_contract.py`` fails if an SDK upgrade moves it.
    """
    cls({})
    table = getattr(cls, "_attr_to_rest_field", None)
    if not isinstance(table, dict) or not table:
        raise RuntimeError(f"{cls.__name__} has no REST field table; the SDK's model layout changed")
    return {attr: field._rest_name for attr, field in table.items()}


def _unwrap(hint: Any) -> tuple[Any, bool]:
    """(the type without ``None``, whether ``None`` was allowed)."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        if len(args) == 1:
            return args[0], optional
        # str-or-enum unions (``Union[str, LicenseType]``) are strings on the wire
        return (str if str in args else Any), optional
    return hint, False


def _describe(rest_name: str, hint: Any, discriminator: bool) -> ModelField:
    inner, optional = _unwrap(hint)
    required = not optional
    if discriminator or typing.get_origin(inner) is typing.Literal:
        return ModelField(rest_name, required, kind=str, discriminator=True)
    many = False
    if typing.get_origin(inner) is list:
        many = True
        args = typing.get_args(inner)
        inner = args[0] if args else Any
    elif typing.get_origin(inner) is dict:
        return ModelField(rest_name, required, kind=dict)
    if _is_model(inner):
        return ModelField(rest_name, required, model=inner, many=many)
    if isinstance(inner, type) and issubclass(inner, str):  # str enums included
        return ModelField(rest_name, required, kind=str, many=many)
    if inner in (int, float, bool):
        return ModelField(rest_name, required, kind=inner, many=many)
    return ModelField(rest_name, required, kind=list if many else None)


def _is_model(value: Any) -> bool:
    """Whether ``value`` is one of the SDK's public models."""
    return isinstance(value, type) and getattr(sdk_models, value.__name__, None) is value


_FIELDS: dict[type[Any], dict[str, ModelField]] = {}


def fields_of(cls: type[Any]) -> dict[str, ModelField]:
    """REST name → field of an SDK model class (its own subclass, not its discriminated siblings)."""
    known = _FIELDS.get(cls)
    if known is not None:
        return known
    names = _rest_field_names(cls)
    hints = typing.get_type_hints(cls, localns={"_models": sdk_models})
    table = cls._attr_to_rest_field
    fields: dict[str, ModelField] = {}
    for attr, rest in names.items():
        fields[rest] = _describe(rest, hints.get(attr, Any), bool(table[attr]._is_discriminator))
    _FIELDS[cls] = fields
    return fields


def input_model(name: str) -> type[Any]:
    """The SDK input model the operation catalogue names for a write (``CreatePolicyInput``, …)."""
    model = getattr(sdk_models, name, None)
    if not isinstance(model, type):
        raise LookupError(f"the SDK has no model {name}")
    return model


def _subclasses(cls: type[Any]) -> dict[str, type[Any]]:
    mapping = cls.__dict__.get("__mapping__")
    return dict(mapping) if isinstance(mapping, dict) else {}


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def problems(cls: type[Any], body: Any, path: str = "") -> list[FieldProblem]:
    """What keeps ``body`` from loading into ``cls``: missing required fields, unknown keys, wrong shapes."""
    if not isinstance(body, dict):
        return [FieldProblem(path or "body", f"must be a JSON object ({cls.__name__})")]
    found: list[FieldProblem] = []
    subclasses = _subclasses(cls)
    if subclasses:
        kind = body.get(_DISCRIMINATOR)
        if kind is None:
            return [FieldProblem(_join(path, _DISCRIMINATOR), f"is required ({cls.__name__})")]
        chosen = subclasses.get(kind) if isinstance(kind, str) else None
        if chosen is None:
            shown = ", ".join(sorted(subclasses))
            return [FieldProblem(_join(path, _DISCRIMINATOR), f"'{kind}' is not one of {shown}")]
        cls = chosen
    fields = fields_of(cls)
    for key in body:
        if key not in fields:
            found.append(FieldProblem(_join(path, key), f"is not a field of {cls.__name__}"))
    for field in fields.values():
        value = body.get(field.rest_name)
        where = _join(path, field.rest_name)
        if value is None:
            if field.required:
                found.append(FieldProblem(where, f"is required ({cls.__name__})"))
            continue
        found += _value_problems(field, value, where)
    return found


def _value_problems(field: ModelField, value: Any, where: str) -> list[FieldProblem]:
    if field.many:
        if not isinstance(value, list):
            return [FieldProblem(where, "must be a list")]
        found: list[FieldProblem] = []
        single = ModelField(field.rest_name, True, model=field.model, kind=field.kind)
        for i, element in enumerate(value):
            found += _value_problems(single, element, _join(where, i))
        return found
    if field.model is not None:
        return problems(field.model, value, where)
    if field.kind is None or field.kind is list:
        return []
    ok = isinstance(value, field.kind)
    if field.kind is int or field.kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and (field.kind is float or float(value).is_integer())
    if not ok:
        return [FieldProblem(where, f"must be a {field.kind.__name__}, got {type(value).__name__}")]
    return []


def check_body(model_name: str, body: Any) -> None:
    """Refuse (``Rejected``, a 400) a body that does not load into the SDK input model ``model_name``."""
    found = problems(input_model(model_name), body)
    if found:
        raise Rejected(found, code="InvalidRequestContent")
