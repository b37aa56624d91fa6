"""``slot_init``: the large records keep the dataclass's constructor contract with a cheaper store."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from asr_console.model.records import Health, ProtectedItem
from asr_console.model.slot_init import slot_init


@slot_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    id: str
    tags: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def test_a_record_is_built_with_its_defaults_and_factories() -> None:
    first, second = Sample(id="a"), Sample(id="b", tags=("x",))
    assert (first.id, first.tags, first.notes) == ("a", (), [])
    assert second.tags == ("x",) and second.notes == [] and second.notes is not first.notes
    assert Sample(id="c", notes=["n"]).notes == ["n"]


def test_the_constructor_contract_is_the_dataclasses() -> None:
    with pytest.raises(TypeError):
        Sample()  # type: ignore[call-arg]  # the required field is required
    with pytest.raises(TypeError):
        Sample(id="a", colour="red")  # type: ignore[call-arg]  # no unknown field passes
    with pytest.raises(TypeError):
        Sample("a")  # type: ignore[call-arg]  # keyword-only
    record = Sample(id="a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.id = "b"  # type: ignore[misc]  # still frozen
    assert dataclasses.replace(record, id="b") == Sample(id="b")


def test_protected_items_are_built_through_their_slots() -> None:
    """The 50-field record status builds 5,000 of: no ``object.__setattr__`` by name per field."""
    assert "__setattr__" not in ProtectedItem.__init__.__code__.co_names
    item = ProtectedItem(id="/i/1", name="one", replication_health=Health.CRITICAL)
    assert (
        item.replication_health is Health.CRITICAL and item.friendly_name == "" and item.rpo_seconds is None
    )
    assert dataclasses.replace(item, name="two").name == "two"


def test_only_frozen_slotted_keyword_only_dataclasses_are_accepted() -> None:
    @dataclass(frozen=True, kw_only=True)
    class NoSlots:
        id: str

    @dataclass(frozen=True, slots=True)
    class Positional:
        id: str

    with pytest.raises(TypeError):
        slot_init(NoSlots)
    with pytest.raises(TypeError):
        slot_init(Positional)
