"""Lesson text is Markdown: render it, in blocks (Rich) or inline (Textual ``Content``).

The narration, the picker's description, question prompts and choices, and
the what-if menu all show text written in the lesson and scenario files; none
of them should show the raw ``**``, backticks or the YAML's line breaks.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from rich.markdown import Markdown
from textual.content import Content

from simulator.tui.widgets.narration import keep_angles, unwrap

_INLINE_STYLE = {"strong": "bold", "em": "italic", "s": "strike"}
CODE_STYLE = "bold $text-accent"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


def block(text: str, *, dark: bool = True) -> Markdown:
    """A Rich renderable of ``text`` as the narration renders it (paragraphs unwrapped, lists, code)."""
    theme = "monokai" if dark else "default"
    return Markdown(unwrap(text.strip()), code_theme=theme, inline_code_theme=theme, hyperlinks=False)


def inline(text: str) -> Content:
    """One line of Markdown (``**bold**``, ``*em*``, ```code```) as styled Content, markers gone."""
    tokens = _parser().parseInline(keep_angles(" ".join(text.split())))
    children = tokens[0].children if tokens and tokens[0].children else []
    parts: list[tuple[str, str]] = []
    stack: list[str] = []
    for token in children:
        if token.type.endswith("_open"):
            stack.append(_INLINE_STYLE.get(token.type.removesuffix("_open"), ""))
        elif token.type.endswith("_close"):
            if stack:
                stack.pop()
        elif token.type == "code_inline":
            parts.append((token.content, " ".join(s for s in [*stack, CODE_STYLE] if s)))
        elif token.type in ("softbreak", "hardbreak"):
            parts.append((" ", ""))
        elif token.content:
            parts.append((token.content, " ".join(s for s in stack if s)))
    return Content.assemble(*parts)


def is_dark(widget_app: object) -> bool:
    """Whether the app's current theme is dark (the code theme follows it)."""
    return bool(getattr(getattr(widget_app, "current_theme", None), "dark", True))
