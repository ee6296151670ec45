"""The message as its folder holds it: MIME tree, trace headers, DKIM-Signature tags, Authentication-Results.

A message reaches a folder by delivery, IMAP APPEND, COPY or MOVE (see replay.arrivals).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.text import Text

from simulator.lesson.message_view import MessageView, node_details
from simulator.replay.arrivals import Arrival
from simulator.tui.widgets.panes import PANE_CSS, RichPane


@dataclass(frozen=True)
class MessageModel:
    delivered: Arrival | None  # the latest arrival in a folder (delivery, APPEND, copy or move)
    view: MessageView | None
    count: int  # messages arrived so far
    current: bool  # arrived during the current step


class MessagePane(RichPane):
    DEFAULT_CSS = PANE_CSS.format(name="MessagePane")

    def render_model(self, model: MessageModel | None) -> RenderableType:
        if model is None:
            return Text("")
        if model.delivered is None or model.view is None:
            return Text("No message has reached a mailbox yet. Once a server delivers one (or a client "
                        "appends, copies or moves one), it appears here as the recipient's mailbox holds it: the MIME structure, the "
                        "Received trail each hop added, DKIM signatures and authentication results.",
                        self.s("muted"))
        d, v = model.delivered, model.view
        parts: list[RenderableType] = []
        head = Text(d.heading(v.size), self.s("title"))
        if model.count > 1:
            head.append(f"   latest of {model.count} arrived so far", self.s("muted"))
        if model.current:
            head.append("   ← this step", self.s("warn"))
        parts.append(head)

        parts.append(Text("\nMIME structure (part numbers as in IMAP BODY[n])", self.s("title")))
        tree = self.table("part", "type", "encoding, size, file")
        for p in v.parts:
            details = Text(", ".join(node_details(p)), self.s("muted"))
            if p.preview:
                details.append(f"\n“{p.preview}”")
            for problem in p.problems:
                details.append(f"\n⚠ {problem}", self.s("warn"))
            tree.add_row(Text("  " * p.depth + p.path, self.s("muted")), Text(p.content_type, self.s("key")), details)
        parts.append(tree)
        parts.append(Text(""))

        if v.encoded_words:
            parts.append(Text("Encoded words (RFC 2047): header text that is not ASCII", self.s("title")))
            t = self.table("field", "as sent", "as the reader sees it")
            for name, sent, decoded in v.encoded_words:
                t.add_row(Text(name, self.s("key")), sent, decoded)
            parts.append(t)
            parts.append(Text(""))

        if v.received:
            parts.append(Text("Trace headers (newest first: each hop adds one on top)", self.s("title")))
            t = self.table("hop", "Received")
            for n, r in enumerate(v.received):
                t.add_row(str(len(v.received) - n), r)
            parts.append(t)

        if v.auth_results:
            parts.append(Text("\nAuthentication-Results", self.s("title")))
            for serv, results in v.auth_results:
                t = self.table(f"by {serv}", "result", "details")
                for r in results:
                    t.add_row(r.method, Text(r.result, self.result_style(r.result)), r.detail)
                parts.append(t)

        for n, tags in enumerate(v.dkim, start=1):
            parts.append(Text(f"\nDKIM-Signature {n}", self.s("title")))
            t = self.table("tag", "value", "meaning")
            for tag, value, meaning in tags:
                t.add_row(Text(tag, self.s("key")), value if len(value) < 60 else value[:57] + "…", meaning)
            parts.append(t)

        parts.append(Text("\nHeaders", self.s("title")))
        hdr = Text()
        for name, value in v.headers:
            hdr.append(f"{name}: ", self.s("key"))
            hdr.append(value + "\n")
        parts.append(hdr)
        if v.body:
            parts.append(Text("Body", self.s("title")))
            parts.append(Text("\n".join(v.body)))
        return Group(*parts)
