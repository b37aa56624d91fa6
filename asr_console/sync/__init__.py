"""Background polling of the back ends into the store."""

from asr_console.sync.engine import StreamSpec, SyncEngine

__all__ = ["StreamSpec", "SyncEngine"]
