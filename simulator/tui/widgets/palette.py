"""Rich styles made once per theme from the theme's colours.

The panes render Rich text and tables; their colours come from the current
Textual theme (so light and dark terminals both read well) but without a CSS
component class per colour per widget, which costs every widget a style pass.
"""

from __future__ import annotations

from functools import lru_cache

from rich.style import Style
from textual.color import Color


def _color(value: str | None, fallback: str) -> Color:
    try:
        return Color.parse(value or fallback)
    except Exception:
        return Color.parse(fallback)


@lru_cache(maxsize=16)
def _build(variables: tuple[tuple[str, str], ...], dark: bool) -> dict[str, Style]:
    v = dict(variables)
    bg = _color(v.get("background"), "#121212" if dark else "#e0e0e0")
    fg = _color(v.get("foreground"), "#e0e0e0" if dark else "#1f1f1f")
    primary = _color(v.get("primary"), "#0178d4")
    secondary = _color(v.get("secondary"), "#004578")
    accent = _color(v.get("accent"), "#fea62b")
    success = _color(v.get("success"), "#4ebf71")
    warning = _color(v.get("warning"), "#fea62b")
    error = _color(v.get("error"), "#b93c5b")

    def readable(c: Color) -> str:
        """Nudge a colour toward the foreground until it stands out from the background."""
        for step in (0.0, 0.25, 0.45, 0.6):
            candidate = c.blend(fg, step) if step else c
            if abs(candidate.brightness - bg.brightness) >= 0.3:
                return candidate.hex6
        return fg.hex6

    muted = fg.blend(bg, 0.4).hex6
    disabled = fg.blend(bg, 0.62).hex6
    return {
        "text": Style(color=fg.hex6),
        "title": Style(color=fg.hex6, bold=True),
        "muted": Style(color=muted),
        "disabled": Style(color=disabled),
        "current": Style(bgcolor=accent.blend(bg, 0.82).hex6),
        "current_bold": Style(bgcolor=accent.blend(bg, 0.82).hex6, bold=True),
        "good": Style(color=readable(success), bold=True),
        "bad": Style(color=readable(error), bold=True),
        "warn": Style(color=readable(warning)),
        "client": Style(color=readable(primary)),
        "server": Style(color=readable(success)),
        "key": Style(color=readable(secondary)),
        "key_italic": Style(color=readable(secondary), italic=True),
        "accent": Style(color=readable(accent)),
        "lit": Style(color=readable(warning), bold=True),
        "state_current": Style(color=accent.get_contrast_text().blend(accent, 0.0).hex6, bgcolor=accent.hex6, bold=True),
        "fault": Style(color=readable(error), bold=True),
    }


_BY_THEME: dict[str, dict[str, Style]] = {}


def palette(app) -> dict[str, Style]:
    """The styles of ``app``'s current theme (cached per theme name)."""
    name = str(getattr(app, "theme", ""))
    cached = _BY_THEME.get(name)
    if cached is not None:
        return cached
    try:
        variables = app.get_css_variables()
        dark = bool(app.current_theme.dark)
    except Exception:
        variables, dark = {}, True
    keys = ("background", "foreground", "primary", "secondary", "accent", "success", "warning", "error")
    styles = _BY_THEME[name] = _build(tuple((k, str(variables.get(k, ""))) for k in keys), dark)
    return styles
