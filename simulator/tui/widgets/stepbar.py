"""The one-line bar above the lesson: title, step n of N, autoplay, branch."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget


class StepBar(Widget):
    DEFAULT_CSS = """
    StepBar {
        dock: top; height: 1; background: $panel; color: $text; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._content = Content("")

    def update(self, content: Content) -> None:
        self._content = content
        self.refresh()

    def show(self, *, title: str, index: int, count: int, step_title: str, playing: bool = False,
             speed: float = 0.0, branch: str = "") -> None:
        parts = []
        if branch:
            parts.append(Content.from_markup("[$error b]⑂ what if: $b[/]  ", b=branch))
        parts.append(Content.from_markup("[$text-muted]step[/] [b]$n[/b][$text-muted]/$count[/]",
                                         n=str(index), count=str(count - 1)))
        if step_title:
            parts.append(Content.from_markup("  [$accent b]$t[/]", t=step_title))
        if playing:
            parts.append(Content.from_markup("  [$warning b]▶ playing[/] [$text-muted]every $s s[/]",
                                             s=f"{speed:g}"))
        parts.append(Content.from_markup("  [$text-muted]· $title[/]", title=title))
        content = Content("").join(parts)
        if content != self._content:
            self._content = content
            self.refresh()  # one line, fixed height: no layout needed

    def render(self) -> Content:
        return self._content
