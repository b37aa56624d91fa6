"""The modal dialogs' common frame: a panel centred over the pane it was opened from.

Subclasses size their panel (``width``, ``max-width``, ``max-height``) and may recolour its border
(a warning or an irreversible action); their DEFAULT_CSS wins over this base's.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT], Generic[ResultT]):
    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical, Dialog > VerticalScroll {
        height: auto; background: $panel; border: round $primary; padding: 0 1;
    }
    """
