"""The modal dialogs' common frame: a panel centred over the pane it was opened from.

Subclasses size their panel (``width``, ``max-width``, ``max-height``) and may recolour its border
(a warning or an irreversible action); their DEFAULT_CSS wins over this base's.

Every dialog opens with its first field focused (``AUTO_FOCUS``: fields before buttons, in the order
they are shown), Tab goes through the fields and then the buttons (the scrolling panel itself takes no
focus), and the focused field is marked in every theme: by the theme's accent and by bold or reversed
text, so monochrome shows it too.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")

# The widgets a user fills in; a dialog's first one of these takes the focus when it opens.
FIELDS = "Input, Select, Checkbox, RadioSet, SelectionList, TextArea"


class Dialog(ModalScreen[ResultT], Generic[ResultT]):
    AUTO_FOCUS: ClassVar[str | None] = f"{FIELDS}, Button"
    # priority: focus moves as Tab arrives, so the keys typed after it in one burst (a paste, tmux
    # send-keys) reach the next field; as a plain binding it would run only once the key came back
    # from the field, after those keys had gone to the field it left
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "app.focus_next", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True),
    ]
    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical, Dialog > VerticalScroll {
        height: auto; background: $panel; border: round $primary; padding: 0 1;
    }
    Dialog Input:focus { background: $accent 30%; text-style: bold; }
    Dialog Select:focus > SelectCurrent { background: $accent 30%; text-style: bold; }
    Dialog Checkbox:focus { background: $accent 30%; }
    Dialog Checkbox:focus > .toggle--label { text-style: bold reverse; }
    Dialog Button:focus { text-style: bold reverse; }
    """

    def on_mount(self) -> None:
        # The panel scrolls to the focused field; as a Tab stop of its own it would only hide focus.
        # (only the panel: lists inside fields, such as a Select's options, scroll and take focus)
        for panel in self.children:
            if isinstance(panel, ScrollableContainer):
                panel.can_focus = False
        # Focus now rather than when the screen resumes (AUTO_FOCUS's time): a Tab sent as soon as
        # the dialog shows then moves on from the first field instead of landing before it.
        if self.AUTO_FOCUS and self.focused is None:
            first = next((w for w in self.query(self.AUTO_FOCUS) if w.focusable), None)
            if first is not None:
                self.set_focus(first)
