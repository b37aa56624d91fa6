"""The domain model: immutable records, the store, the VM ↔ item join and input validation."""

from asr_console.model.store import Batch, ChangeSet, Freshness, KindChanges, Store

__all__ = ["Batch", "ChangeSet", "Freshness", "KindChanges", "Store"]
