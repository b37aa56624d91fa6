"""A one-line ``Static`` whose text changes often (status bar, headlines, summaries).

``Static.update`` asks for a layout pass by default, and a layout pass re-renders the whole screen; a
line whose height is fixed by CSS never changes size, so it only repaints itself, and only when its
text actually changed (the clock tick rebuilds these lines every few seconds).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class Line(Static):
    def set_text(self, text: Text | str) -> None:
        if text == self.content:
            return
        self.update(text, layout=False)
