"""Exports: Markdown transcript, Mermaid sequence diagram, self-contained HTML, and `mailsim export`."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.content import scenarios_dir
from simulator.export import html, markdown, mermaid
from simulator.export.timeline import build
from simulator.scenario.loader import load_scenario
from simulator.scenario.runner import RunResult, run_scenario
from simulator.trace import CommandReceived, ReplySent, Trace

HOSTILE = """\
id: hostile
title: "Tags <b>&amp; friends</b>"
summary: "A subject that tries <script>alert('summary')</script> on the page"
steps:
  - id: submit
    title: "Sends <img src=x onerror=alert(1)>"
    action: send_message
    from: alice-laptop
    sender: alice@example.org
    to: [bob@example.net]
    subject: "<script>alert('pwned')</script>; # %% end"
    body: "</pre><script>alert(2)</script>\\n```\\nthree backticks\\n"
    explain: "Look: <script>alert(3)</script> and ![remote](http://evil.example/x.png)"
  - id: relay
    action: run_queue
"""


def run(name: str) -> tuple[RunResult, str, str]:
    scenario = load_scenario(scenarios_dir() / f"{name}.yaml")
    return run_scenario(scenario), scenario.title, scenario.summary


@pytest.fixture(scope="module")
def basics() -> tuple[RunResult, str, str]:
    return run("smtp-basics")


@pytest.fixture(scope="module")
def relay() -> tuple[RunResult, str, str]:
    return run("smtp-relay-mx")


@pytest.fixture(scope="module")
def hostile() -> tuple[RunResult, str, str]:
    scenario = load_scenario("hostile.yaml", text=HOSTILE)
    return run_scenario(scenario), scenario.title, scenario.summary


def exchanges(trace: Trace) -> int:
    return len([e for e in trace.events if isinstance(e, CommandReceived | ReplySent)])


# --- Markdown ---------------------------------------------------------------------


def test_markdown_has_title_steps_narration_and_exchanges(basics) -> None:
    result, title, summary = basics
    text = markdown.render(result.trace, title=title, summary=summary)
    assert text.startswith("# SMTP basics: Alice submits a message\n")
    assert "## 1. connect — alice-laptop connects to mail.example.org:587" in text
    assert "## 2. ehlo — C: EHLO alice-laptop.example.org" in text
    assert "the **submission** port" in text  # the step's explain, as Markdown
    assert "```text\n-- c1: alice-laptop (192.0.2.10) → mail.example.org (192.0.2.25) port 587" in text
    for line in ("S: 220 mail.example.org ESMTP mailsim ready", "C: EHLO alice-laptop.example.org",
                 "S: 250-PIPELINING", "C: MAIL FROM:<alice@example.org>",
                 "S: 250 2.1.5 Recipient <bob@example.net> OK", "C: ..a line that starts with a dot",
                 "S: 221 2.0.0 mail.example.org closing connection"):
        assert f"\n{line}" in text, line
    assert "- ✓ expected reply" in text


def test_markdown_shows_dns_lookups_and_deliveries(relay) -> None:
    result, title, summary = relay
    text = markdown.render(result.trace, title=title, summary=summary)
    assert "-- DNS mail.example.org: example.net MX? → 10 mx.example.net" in text
    assert "-- DNS mail.example.org: mx.example.net A? → 198.51.100.25" in text
    assert '-- mailbox on mx.example.net: delivered to bob@example.net INBOX UID 1 "Lunch on Friday?"' in text


def test_markdown_fences_outgrow_backticks_in_the_content(hostile) -> None:
    result, title, _ = hostile
    text = markdown.render(result.trace, title=title)
    assert "\n````text\n" in text  # the body has a line of three backticks
    assert text.startswith("# Tags \\<b\\>&amp; friends\\</b\\>\n")


# --- Mermaid ------------------------------------------------------------------------

ARROW = re.compile(r"^    (\w+)(->>|-->>|-x)(\w+): (.*)$")


def test_mermaid_one_arrow_per_command_and_reply(basics, relay) -> None:
    for result, title, _ in (basics, relay):
        text = mermaid.render(result.trace, title=title)
        lines = text.splitlines()
        assert lines[1] == "sequenceDiagram"
        arrows = [m for m in map(ARROW.match, lines) if m]
        smtp = [m for m in arrows if "dns" not in (m.group(1), m.group(3)) and m.group(2) != "-x"]
        assert len(smtp) == exchanges(result.trace)


def test_mermaid_participants_dns_and_notes(relay) -> None:
    result, title, _ = relay
    text = mermaid.render(result.trace, title=title)
    participants = re.findall(r"^    participant (\w+) as (.*)$", text, re.M)
    assert [p[1] for p in participants[:3]] == [
        "alice-laptop (192.0.2.10)", "mail.example.org (192.0.2.25)", "mx.example.net (198.51.100.25)"]
    assert participants[-1] == ("dns", "DNS")
    assert "    h1->>h2: EHLO alice-laptop.example.org\n" in text
    assert "    h2-->>h1: 250 2.1.5 Recipient #lt;bob@example.net#gt; OK\n" in text
    assert "    h2->>dns: example.net MX?\n    dns-->>h2: 10 mx.example.net\n" in text
    assert ("    Note over h3: delivered to bob@example.net INBOX UID 1 #quot;Lunch on Friday?#quot;\n"
            in text)
    # A multi-line reply is one arrow, its lines joined with <br/>.
    assert "250-mail.example.org greets alice-laptop.example.org<br/>250-PIPELINING<br/>" in text


def test_mermaid_escapes_what_it_cannot_take(hostile) -> None:
    result, title, _ = hostile
    text = mermaid.render(result.trace, title=title)
    for line in text.splitlines()[2:]:
        label = line.split(": ", 1)[1] if ": " in line else line
        bare = re.sub(r"#(\d+|lt|gt|amp|quot);", "", label.replace("<br/>", ""))
        assert not set(bare) & set('<>;"{}%#'), line
    assert "Subject" not in text or "#lt;script#gt;" in text
    assert "<script" not in text


def test_mermaid_escape_table() -> None:
    assert mermaid.escape("250 OK; queued <id> #1 & \"x\" 100%") == (
        "250 OK#59; queued #lt;id#gt; #35;1 #amp; #quot;x#quot; 100#37;")
    assert mermaid.escape("a\r\nb") == "a b"
    assert mermaid.escape("") == " "


# --- stability ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["smtp-basics", "smtp-relay-mx", "smtp-errors"])
def test_same_trace_gives_the_same_text(name: str) -> None:
    a, title, summary = run(name)
    b, _, _ = run(name)
    for render in (lambda t: markdown.render(t, title=title, summary=summary),
                   lambda t: mermaid.render(t, title=title),
                   lambda t: html.render(t, title=title, summary=summary)):
        first = render(a.trace)
        assert render(a.trace) == first
        assert render(b.trace) == first  # a second run of the same scenario
        assert render(Trace.loads(a.trace.dumps())) == first  # and its JSON round trip


# --- HTML ---------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> Balance:
    parser = Balance()
    parser.feed(page)
    parser.close()
    return parser


@pytest.mark.parametrize("which", ["basics", "relay", "hostile"])
def test_html_is_well_formed_and_self_contained(which: str, request: pytest.FixtureRequest) -> None:
    result, title, summary = request.getfixturevalue(which)
    page = html.render(result.trace, title=title, summary=summary)
    assert page.startswith("<!DOCTYPE html>\n<html")
    parsed = parse(page)
    assert parsed.errors == [] and parsed.stack == []
    assert parsed.tags.count("html") == parsed.tags.count("body") == 1
    assert "script" not in parsed.tags and "img" not in parsed.tags and "link" not in parsed.tags
    for name, value in parsed.attrs:
        assert not name.startswith("on"), name
        assert name != "src", value  # nothing is fetched
        if name == "href":
            assert value and value.startswith(("#", "https://", "http://")), value  # no javascript:
    assert "url(http" not in page and "@import" not in page


def test_html_shows_narration_transcript_diagram_and_mermaid(relay) -> None:
    result, title, summary = relay
    page = html.render(result.trace, title=title, summary=summary)
    text = "".join(parse(page).text)
    assert "<title>SMTP relay: finding Bob&#x27;s MX, retrying after 451</title>" in page
    assert "<strong>mail.example.org</strong> looks up the MX" in page  # summary Markdown rendered
    assert "C: RCPT TO:<bob@example.net>" in text
    assert "-- DNS mail.example.org: example.net MX? → 10 mx.example.net" in text
    assert page.count("<svg") == 1 and "<marker" in page
    assert "sequenceDiagram" in text and "h2->>dns: example.net MX?" in text  # the Mermaid source
    assert page.count('<section class="step"') == len(build(result.trace).steps)


def test_html_escapes_hostile_content(hostile) -> None:
    result, title, summary = hostile
    page = html.render(result.trace, title=title, summary=summary)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page
    assert "<img" not in page and "[image: remote]" in page
    assert "<b>" not in page and "&lt;b&gt;" in page
    text = "".join(parse(page).text)
    assert "Subject: <script>alert('pwned')</script>; # %% end" in text  # shown, as text


# --- mailsim export ------------------------------------------------------------------------------


def test_cli_export_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for fmt, needle in (("markdown", "## 3. mail-from"), ("mermaid", "sequenceDiagram"),
                        ("html", "<!DOCTYPE html>")):
        out = tmp_path / f"basics.{fmt}"
        assert main(["export", "smtp-basics", "--format", fmt, "-o", str(out)]) == 0
        assert needle in out.read_text(encoding="utf-8")
    assert main(["export", "smtp-basics", "-f", "mermaid"]) == 0
    assert capsys.readouterr().out.startswith("%% SMTP basics")
    page = tmp_path / "page.html"  # the format follows the file name
    assert main(["export", str(scenarios_dir() / "smtp-basics.yaml"), "-o", str(page)]) == 0
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_export_reads_a_trace_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace_file = tmp_path / "trace.json"
    assert main(["run", str(scenarios_dir() / "smtp-relay-mx.yaml"), "-q", "--json", str(trace_file)]) == 0
    capsys.readouterr()
    assert main(["export", str(trace_file), "--format", "mermaid"]) == 0
    from_json = capsys.readouterr().out
    assert main(["export", str(scenarios_dir() / "smtp-relay-mx.yaml"), "--format", "mermaid"]) == 0
    assert capsys.readouterr().out == from_json  # the scenario's title is in the trace's meta


def test_cli_export_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"meta": {}}', encoding="utf-8")
    assert main(["export", str(bad)]) == 2
    assert "not a trace JSON file" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\ntitle: t\nsteps:\n  - id: a\n    action: fly\n", encoding="utf-8")
    assert main(["export", str(broken)]) == 2
    assert re.search(r"broken\.yaml:\d+:\d+: .*'fly'", capsys.readouterr().err)


# --- the diagram fits the page (issue 7 item 12) ------------------------------------


def _svg_texts(drawn: str) -> list[str]:
    import html as _html

    return [_html.unescape(t) for t in re.findall(r"<text [^>]*>(.*?)</text>", drawn)]


def test_html_diagram_of_four_hosts_fits_the_page_and_wraps_long_labels() -> None:
    from simulator.export import svg

    result, title, summary = run("smtp-errors")
    timeline = build(result.trace, title)
    hosts = [p for p in timeline.participants if p != "DNS"]
    assert len(hosts) == 4, hosts  # alice-laptop, mail.example.org, mx.example.net, mallory-box
    drawn = svg.render(timeline)
    width = float(re.search(r'<svg [^>]*width="(\d+)"', drawn).group(1))
    assert width <= svg.PAGE  # four hosts and DNS within the page's text width: no sideways scroll
    assert "max-width:100%" in drawn  # and narrower screens scale it down
    page = html.render(result.trace, title=title, summary=summary)
    assert drawn in page
    texts = _svg_texts(drawn)
    # A reply longer than the room between two lifelines wraps onto more lines, whole.
    reply = "250 2.1.5 Recipient <nobody@example.net> OK"
    assert reply not in texts
    joined = " ".join(texts)
    assert reply in joined
    assert not any(t.endswith("…") and t.startswith("250 2.1.5") for t in texts)
    # Every label line fits the room of its column pair: none is wider than a column.
    column = svg.column_width(len(timeline.participants))
    assert max(len(t) for t in texts) * svg.CHAR <= width
    assert svg.MIN_COLUMN <= column <= svg.COLUMN


def test_a_label_longer_than_max_lines_is_cut_on_its_last_line() -> None:
    from simulator.export import svg

    lines = svg._wrap("word " * 200, 100)
    assert len(lines) == svg.MAX_LINES and lines[-1].endswith("…")
    assert all(len(line) * svg.CHAR <= 100 for line in lines)
    assert svg._wrap("x" * 40, 100) == ["x" * 15, "x" * 15, "x" * 10]  # a long word is broken
