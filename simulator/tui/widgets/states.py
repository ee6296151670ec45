"""The state pane: each end's state machine drawn from its table, current state lit.

The states and transitions come from the protocol registry's tables
(data, never the machines), so the picture cannot disagree with the code. The
transition taken during the current step is drawn as a bracket from the old
state to the new one, labelled with its trigger (a step that takes none draws
none: an old arrow would read as this step's); the transitions out of the
current state are listed below, without where they lead while a question about
the next step is open (that is what such questions ask).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from simulator.protocols.machine import InputKind, StateTable
from simulator.protocols.registry import machine_tables
from simulator.replay import MachineView
from simulator.tui.widgets.lines import RichLinesView
from simulator.tui.widgets.palette import palette


def _transitions_from(table: StateTable, state: str, *, targets: bool = True) -> list[tuple[str, bool]]:
    """Each row out of ``state``, drawn, and whether its input is a command.
    Without ``targets``, only the inputs, once each (not where they lead)."""
    out: list[tuple[str, bool]] = []
    for tr in table.transitions:
        if tr.source != state:
            continue
        shown = tr.input if tr.target == state or not targets else f"{tr.input}→{tr.target}"
        if not targets and any(shown == seen for seen, _ in out):
            continue
        out.append((shown, table.kind_of(tr.input) in _ASKED))
    return out


def _others_from(table: StateTable, state: str, *, targets: bool = True) -> str:
    """The rows out of ``state`` that no command triggers (limits, timers, the peer leaving),
    named and grouped by where they lead: "idle timeout or peer closed → CLOSED"
    (without ``targets``, only named)."""
    by_target: dict[str, list[str]] = {}
    for tr in table.transitions:
        if tr.source == state and table.kind_of(tr.input) not in _ASKED:
            by_target.setdefault(tr.target, []).append(tr.input)
    parts = []
    for target, inputs in by_target.items():
        names = inputs[0] if len(inputs) == 1 else ", ".join(inputs[:-1]) + " or " + inputs[-1]
        parts.append(names if target == state or not targets else f"{names} → {target}")
    return "; ".join(parts)


# What a client sends a server (listed by name); the rest (replies, timers, limits,
# the peer leaving) are named after them, grouped by the state they lead to.
_ASKED = (InputKind.COMMAND, InputKind.DATA_END)


class MachineDrawing:
    """Builds the Rich text of one machine; plain object so the sandbox can reuse it."""

    def __init__(self, styles: dict[str, object]) -> None:
        self.styles = styles

    def render(self, view: MachineView, *, compact: bool = False, hide_targets: bool = False) -> Group:  # noqa: D401
        """``hide_targets``: a question about the next step is open, so the list of
        what can happen from here names no state it leads to. State rows never wrap
        (a long trigger is cut with an ellipsis rather than break the column); the
        "from here" list wraps under its own first word."""
        table = machine_tables().get(view.machine)
        st = self.styles
        out = Text(no_wrap=True, overflow="ellipsis")
        where = f" · {view.host}" if view.host else ""
        out.append(f"{view.machine}{where}", st["title"])
        if table is None:
            out.append(f"\n  {view.state}", st["current"])
            return Group(out)
        names = list(table.states)
        width = max(len(n) for n in names)
        last = view.last if view.moved else None  # only this step's transition is drawn
        rows = {n: i for i, n in enumerate(names)}
        a = rows.get(last.from_state) if last else None
        b = rows.get(last.to_state) if last else None
        for i, name in enumerate(names):
            is_current = name == view.state
            marker = "●" if is_current else "○"
            line = Text()
            line.append(f" {marker} ", st["current_marker"] if is_current else st["muted"])
            line.append(name.ljust(width), st["current"] if is_current else st["state"])
            line.append_text(self._connector(i, a, b, last.trigger if last else ""))
            if is_current and last is None and view.last is not None:
                line.append("  (stayed)", st["muted"])
            out.append("\n")
            out.append_text(line)
        parts: list[object] = [out]
        nexts = _transitions_from(table, view.state, targets=not hide_targets)
        if nexts and not compact:
            commands = [n for n, asked in nexts if asked]
            rest = Text()
            rest.append(" ".join(commands), st["next"])
            others = _others_from(table, view.state, targets=not hide_targets)
            if others:
                rest.append(("; " if commands else "") + "without a command: " + others, st["muted"])
            grid = Table.grid()
            grid.add_column(no_wrap=True)
            grid.add_column(ratio=1)
            grid.add_row(Text(" from here: ", st["muted"]), rest)
            parts.append(grid)
        return Group(*parts)

    def _connector(self, i: int, a: int | None, b: int | None, trigger: str) -> Text:
        style = self.styles["lit"]
        if a is None or b is None:
            return Text("")
        if a == b:
            return Text(f" ↺ {trigger}", style) if i == a else Text("")
        lo, hi = min(a, b), max(a, b)
        if i < lo or i > hi:
            return Text("")
        down = b > a
        if i == a:
            return Text(" ──╮" if down else " ──╯", style)
        if i == b:
            return Text(f" ◀─╯ {trigger}" if down else f" ◀─╮ {trigger}", style)
        return Text("   │", style)


# Where a step has no client machine: the note beside the server's machine.
SCRIPTED_CLIENT = " The lines are typed by the\n scenario itself, as with telnet:\n no client machine runs here."


class StatePane(RichLinesView):
    """Both ends of the current connection, side by side; as tall as its drawing."""

    DEFAULT_CSS = """
    StatePane { height: auto; max-height: 16; scrollbar-gutter: auto; }
    StatePane.-fit { overflow-y: hidden; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None, note_missing_client: bool = True,
                 fit: bool = True) -> None:
        super().__init__(id=id, classes=classes)
        self.note_missing_client = note_missing_client
        self.fit = fit
        self.set_class(fit, "-fit")
        self._machines: Sequence[MachineView] = ()
        self._hide_targets = False
        self._client_note = SCRIPTED_CLIENT
        self._drawn_for: tuple | None = None
        self._fitted = -1

    def _styles(self) -> dict[str, object]:
        p = palette(self.app)
        return {"title": p["title"], "state": p["muted"], "current": p["state_current"],
                "current_marker": p["accent"], "lit": p["lit"], "muted": p["muted"], "next": p["key"]}

    def show(self, machines: Sequence[MachineView], *, question_open: bool = False,
             client_note: str = "") -> None:
        """``question_open``: the next step poses a question not answered yet; the
        pane then does not say which state each command leads to. ``client_note``:
        what to say where no client machine runs (default: a script typed the lines)."""
        self._machines = machines
        self._hide_targets = question_open
        self._client_note = client_note or SCRIPTED_CLIENT
        self._draw()

    def on_mount(self) -> None:
        self._draw()

    def lines_changed(self, count: int) -> None:
        # Grow to fit, never shrink: a pane that jumps by a line on every step
        # would make the diagram above it jump too (and cost a layout each time).
        if self.fit and count > self._fitted:
            self._fitted = count
            self.styles.height = max(1, count) + self.styles.gutter.height  # the border counts too

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._rendered_width:
            self._drawn_for = None
            self._draw()

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        width = self.scrollable_content_region.width or self.size.width
        key = (tuple(self._machines), self._hide_targets, width, self.app.theme, self._client_note)
        if key == self._drawn_for:
            return
        self._drawn_for = key
        machines = tuple(self._machines)
        self.set_renderable(lambda: self._drawing(width), key=(machines, self._hide_targets, self.note_missing_client))

    def _drawing(self, width: int):
        styles = self._styles()
        drawing = MachineDrawing(styles)
        machines = list(self._machines)
        if not machines:
            return Text(" No connection yet: the state machines appear when a client connects.", styles["muted"])
        cells: list[object] = []
        if self.note_missing_client and not any(m.machine.endswith(".client") for m in machines):
            note = Text()
            note.append("client", styles["title"])
            note.append("\n" + self._client_note, styles["muted"])
            cells.append(note)
        cells += [drawing.render(m, hide_targets=self._hide_targets) for m in machines]
        if width >= 70 and len(cells) > 1:
            grid = Table.grid(expand=True, padding=(0, 2))
            for _ in cells:
                grid.add_column(ratio=1)
            grid.add_row(*cells)
            return grid
        return Group(*cells)
