"""The state pane: each end's state machine drawn from its table, current state lit.

The states and transitions come from :data:`simulator.protocols.machine.TABLES`
(data, never the machines), so the picture cannot disagree with the code. The
last transition is drawn as a bracket from the old state to the new one,
labelled with its trigger; the transitions out of the current state are listed
below.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from simulator.lesson.player import MachineView
from simulator.protocols.machine import TABLES, StateTable


def _transitions_from(table: StateTable, state: str) -> list[str]:
    out: list[str] = []
    for tr in table.transitions:
        if tr.source != state:
            continue
        out.append(tr.input if tr.target == state else f"{tr.input}→{tr.target}")
    return out


class MachineDrawing:
    """Builds the Rich text of one machine; plain object so the sandbox can reuse it."""

    def __init__(self, styles: dict[str, object]) -> None:
        self.styles = styles

    def render(self, view: MachineView, *, compact: bool = False) -> Text:
        table = TABLES.get(view.machine)
        st = self.styles
        out = Text()
        where = f" · {view.host}" if view.host else ""
        out.append(f"{view.machine}{where}", st["title"])
        out.append("\n")
        if table is None:
            out.append(f"  {view.state}\n", st["current"])
            return out
        names = list(table.states)
        width = max(len(n) for n in names)
        last = view.last
        rows = {n: i for i, n in enumerate(names)}
        a = rows.get(last.from_state) if last else None
        b = rows.get(last.to_state) if last else None
        for i, name in enumerate(names):
            is_current = name == view.state
            marker = "●" if is_current else "○"
            line = Text()
            line.append(f" {marker} ", st["current_marker"] if is_current else st["muted"])
            line.append(name.ljust(width), st["current"] if is_current else st["state"])
            line.append_text(self._connector(i, a, b, last.trigger if last else "", view.moved))
            out.append_text(line)
            out.append("\n")
        nexts = _transitions_from(table, view.state)
        if nexts and not compact:
            commands = [n for n in nexts if n.split("→")[0].isupper()]
            events = len(nexts) - len(commands)
            out.append(" from here: ", st["muted"])
            out.append(" ".join(commands), st["next"])
            if events:
                out.append(f" (+{events} events)", st["muted"])
            out.append("\n")
        return out

    def _connector(self, i: int, a: int | None, b: int | None, trigger: str, moved: bool) -> Text:
        st = self.styles
        style = st["lit"] if moved else st["muted"]
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


class StatePane(VerticalScroll):
    """Both ends of the current connection, side by side."""

    COMPONENT_CLASSES = {
        "states--title",
        "states--state",
        "states--current",
        "states--current-marker",
        "states--lit",
        "states--muted",
        "states--next",
    }

    DEFAULT_CSS = """
    StatePane { height: auto; max-height: 16; }
    StatePane > Static { width: 1fr; }
    StatePane > .states--title { text-style: bold; color: $text; }
    StatePane > .states--state { color: $text-muted; }
    StatePane > .states--current { background: $accent; color: $text; text-style: bold; }
    StatePane > .states--current-marker { color: $accent; text-style: bold; }
    StatePane > .states--lit { color: $warning; text-style: bold; }
    StatePane > .states--muted { color: $text-muted; }
    StatePane > .states--next { color: $secondary; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None, note_missing_client: bool = True) -> None:
        super().__init__(id=id, classes=classes)
        self.note_missing_client = note_missing_client
        self._machines: Sequence[MachineView] = ()

    def compose(self):
        yield Static(id="states-body")

    def _styles(self) -> dict[str, object]:
        def s(name: str):
            return self.get_component_rich_style(f"states--{name}", partial=True)

        return {"title": s("title"), "state": s("state"), "current": s("current"),
                "current_marker": s("current-marker"), "lit": s("lit"), "muted": s("muted"),
                "next": s("next")}

    def show(self, machines: Sequence[MachineView]) -> None:
        self._machines = machines
        if self.is_mounted:
            self._draw()

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        body = self.query_one("#states-body", Static)
        styles = self._styles()
        drawing = MachineDrawing(styles)
        machines = list(self._machines)
        if not machines:
            body.update(Text(" No connection yet: the state machines appear when a client connects.",
                             styles["muted"]))
            return
        compact = False
        cells: list[Text] = []
        if self.note_missing_client and not any(m.machine.endswith(".client") for m in machines):
            note = Text()
            note.append("client", styles["title"])
            note.append("\n The lines are typed by the\n scenario itself, as with telnet:\n"
                        " no client machine runs here.", styles["muted"])
            cells.append(note)
        cells += [drawing.render(m, compact=bool(compact)) for m in machines]
        wide = self.size.width >= 70 or len(cells) == 1
        if wide:
            grid = Table.grid(expand=True, padding=(0, 2))
            for _ in cells:
                grid.add_column(ratio=1)
            grid.add_row(*cells)
            body.update(grid)
        else:
            body.update(Group(*cells))
