"""The trace as one self-contained HTML page: narration, transcript per step, diagram, Mermaid source.

No scripts, no external assets (styles are inline, the diagram is inline SVG),
and every piece of content escaped: a message whose subject is
``<script>...</script>`` shows up as text. Narration is Markdown, rendered with
raw HTML and images turned off.
"""

from __future__ import annotations

from html import escape

from simulator.export import mermaid, svg
from simulator.export.handout import Handout, Question
from simulator.export.timeline import Timeline, build
from simulator.replay import StepView
from simulator.trace import Trace

STYLE = """
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fbfbf8; --muted: #666; --rule: #ddd;
  --code-bg: #f2f1ec; --c: #1f5fa8; --s: #2f7d32; --remark: #7a4fa0; --bad: #b3261e;
  --band: #ecebe4; --note: #fff6d5; --host: #e6eef8; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e6e3; --bg: #181a1b; --muted: #a0a0a0; --rule: #3a3d3f; --code-bg: #222527;
    --c: #7fb2ee; --s: #8fd18f; --remark: #c9a6ee; --bad: #ff8a80; --band: #2a2d2f;
    --note: #3d3822; --host: #233040; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.8rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 0.6rem; padding-top: 0.6rem; border-top: 1px solid var(--rule); }
.meta, .muted { color: var(--muted); font-size: 0.9rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.86rem; }
code { background: var(--code-bg); padding: 0 0.25em; border-radius: 3px; }
pre { background: var(--code-bg); padding: 0.75rem 1rem; overflow-x: auto; border-radius: 6px;
  line-height: 1.4; }
pre code { background: none; padding: 0; }
pre.transcript .c { color: var(--c); }
pre.transcript .s { color: var(--s); }
pre.transcript .r { color: var(--remark); font-style: italic; }
nav ol { columns: 2; padding-left: 1.5rem; }
ul.expect { list-style: none; padding-left: 0; font-size: 0.9rem; }
ul.expect .ok::before { content: "✓ "; color: var(--s); }
ul.expect .failed { color: var(--bad); }
ul.expect .failed::before { content: "✗ "; }
.diagram { overflow-x: auto; border: 1px solid var(--rule); border-radius: 6px; background: var(--bg); }
@media (prefers-color-scheme: dark) {
  .diagram svg.sequence { background: var(--bg) !important; }
  .diagram svg.sequence .host { fill: var(--host); }
  .diagram svg.sequence .band { fill: var(--band); }
  .diagram svg.sequence rect.note { fill: var(--note); stroke: var(--rule); }
  .diagram svg.sequence .name, .diagram svg.sequence .step,
  .diagram svg.sequence text.note, .diagram svg.sequence .label { fill: var(--fg); }
  .diagram svg.sequence .addr { fill: var(--muted); }
  .diagram svg.sequence .label.refused { fill: var(--bad); }
}
footer { margin-top: 3rem; color: var(--muted); font-size: 0.85rem; }
ol.questions > li { margin-bottom: 1.2rem; }
ol.questions .where { color: var(--muted); font-size: 0.9rem; }
ul.choices { list-style: none; padding-left: 0.5rem; }
ul.choices li::before { content: "☐ "; }
ul.choices li.right::before { content: "☒ "; }
.write-in { border-bottom: 1px solid var(--fg); height: 1.8rem; width: 70%; }
.answer { border-left: 3px solid var(--s); padding: 0.1rem 0.8rem; margin: 0.5rem 0; }
.about { border-left: 3px solid var(--c); padding: 0.1rem 0.8rem; margin: 0.5rem 0; font-size: 0.95rem; }
.answer p, .about p { margin: 0.3rem 0; }
/* Printed: black on white whatever the reader's colour scheme, the questions on a page of their
   own (the steps give the answers away), no step or code block split when it fits on a page. */
@media print {
  :root { color-scheme: light; --fg: #000; --bg: #fff; --muted: #444; --rule: #999; --code-bg: #f4f4f4;
    --c: #0b3d91; --s: #1b5e20; --remark: #4a2a70; --bad: #8b0000; --band: #eee; --note: #fff6d5;
    --host: #e6eef8; }
  body { background: #fff; color: #000; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav, .mermaid-source { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .questions-page { break-after: page; page-break-after: always; }
  .handout-summary { break-before: page; page-break-before: always; }
  section.step, pre, ol.questions > li { break-inside: avoid; page-break-inside: avoid; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; border: 1px solid #ccc; }
  .diagram { overflow: visible; border: none; }
  .diagram-section { break-inside: avoid; page-break-inside: avoid; }
  .diagram svg { max-width: 100%; max-height: 190mm; width: auto !important; height: auto !important; }
  .diagram svg.sequence { background: #fff !important; }
  .diagram svg.sequence .host { fill: #e6eef8; }
  .diagram svg.sequence .band { fill: #eee; }
  .diagram svg.sequence .name, .diagram svg.sequence .step,
  .diagram svg.sequence text.note, .diagram svg.sequence .label { fill: #000; }
}
@page { margin: 18mm 16mm; }
"""


def _markdown(text: str) -> str:
    """Narration Markdown as HTML, with raw HTML escaped and images off (no external assets)."""
    if not text.strip():
        return ""
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # markdown-it-py comes with Textual (through Rich); be safe anyway
        return "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
    md = MarkdownIt("commonmark", {"html": False})
    md.add_render_rule("image", _image_as_text)
    return md.render(text)


def _image_as_text(self, tokens, idx, options, env) -> str:  # noqa: ANN001 (markdown-it's signature)
    """An image would be fetched from elsewhere: show its description instead."""
    alt = self.renderInlineAsText(tokens[idx].children or [], options, env)
    return escape(f"[image: {alt}]")


def _transcript(step: StepView) -> str:
    several = len(step.conns) > 1
    rows = []
    for line in step.transcript:
        if line.side in ("C", "S"):
            prefix = f"{line.conn} " if several else ""
            cls = "c" if line.side == "C" else "s"
            rows.append(f'<span class="{cls}">{escape(prefix + line.side)}: {escape(line.text)}</span>')
        else:
            rows.append(f'<span class="r">{escape("-- " + line.text)}</span>')
    return '<pre class="transcript">' + "\n".join(rows) + "</pre>" if rows else ""


def _anchor(step: StepView) -> str:
    return escape(f"step-{step.number}-{step.step.step_id}", quote=True)


def render(trace: Trace, *, title: str = "", summary: str = "") -> str:
    return render_timeline(build(trace, title), trace, summary=summary)


def _question(q: Question, answers: bool) -> str:
    where = f"step {q.step_number}, {q.step_title}" if q.step_number else q.step_title
    out = [f'<li id="question-{q.number}">{_markdown(q.prompt)}<p class="where">({escape(where)})</p>']
    if q.choices:
        out.append('<ul class="choices">')
        out += [f'<li class="right">{escape(c)}</li>' if answers and c == q.answer else f"<li>{escape(c)}</li>"
                for c in q.choices]
        out.append("</ul>")
    elif not answers:
        out.append('<div class="write-in" aria-label="your answer"></div>')
    if answers:
        out.append(f'<div class="answer"><p><strong>Answer:</strong> {escape(q.answer)}</p>{_markdown(q.why)}</div>')
    out.append("</li>")
    return "\n".join(out)


def _front(handout: Handout) -> list[str]:
    out: list[str] = []
    if handout.objectives:
        out.append('<section class="objectives"><h2 id="objectives">You will learn</h2><ul>')
        out += [f"<li>{escape(o)}</li>" for o in handout.objectives]
        out.append("</ul></section>")
    if handout.questions:
        out.append('<section class="questions-page"><h2 id="questions">Questions</h2>')
        out.append('<p class="muted">' + ("With the answers (the teacher's copy)." if handout.answers else
                                          "Predict each answer before you read the step it is about.") + "</p>")
        out.append('<ol class="questions">')
        out += [_question(q, handout.answers) for q in handout.questions]
        out.append("</ol></section>")
    return out


def _about(q: Question, answers: bool) -> str:
    if answers:
        return (f'<div class="about"><p><strong>Question {q.number}:</strong></p>{_markdown(q.prompt)}'
                f"<p><strong>Answer:</strong> {escape(q.answer)}</p></div>")
    return (f'<div class="about"><p><a href="#question-{q.number}"><strong>Question {q.number}</strong></a> '
            "is about this step: predict it before you read on.</p></div>")


def _back(handout: Handout) -> list[str]:
    out: list[str] = []
    if handout.summary:
        out.append(f'<section class="handout-summary"><h2 id="summary">Summary</h2>{_markdown(handout.summary)}'
                   "</section>")
    if handout.rfcs:
        out.append('<section class="rfcs"><h2 id="rfcs">Read further</h2><ul>')
        out += [f"<li>{escape(r.text)}</li>" for r in handout.rfcs]
        out.append("</ul></section>")
    return out


def render_timeline(timeline: Timeline, trace: Trace, *, summary: str = "",
                    handout: Handout | None = None) -> str:
    """The page; with ``handout`` (a lesson's) also its objectives, questions, summary and RFCs."""
    meta = trace.meta
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="mailsim">',
        f"<title>{escape(timeline.title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{escape(timeline.title)}</h1>",
    ]
    if meta.get("scenario"):
        out.append(f'<p class="meta">Scenario <code>{escape(str(meta["scenario"]))}</code>, '
                   f"seed {escape(str(meta.get('seed', 1)))}, {len(timeline.steps)} steps.</p>")
    if summary.strip():
        out.append(f'<div class="summary">{_markdown(summary)}</div>')
    out.append("</header>")
    if handout is not None:
        out += _front(handout)
    if timeline.steps:
        out.append('<nav><h2>Steps</h2><ol>')
        out += [f'<li><a href="#{_anchor(s)}">{escape(s.heading.split(". ", 1)[-1])}</a></li>'
                for s in timeline.steps]
        out.append("</ol></nav>")
    out.append('<section class="diagram-section"><h2 id="diagram">Sequence diagram</h2>')
    out.append('<p class="muted">Solid arrows are commands, dashed ones replies; '
               "notes show what a step did to mailboxes and queues.</p>")
    out.append(f'<div class="diagram">{svg.render(timeline)}</div></section>')
    for step in timeline.steps:
        out.append(f'<section class="step" id="{_anchor(step)}">')
        out.append(f"<h2>{escape(step.heading)}</h2>")
        question = handout.question_at(step.step.step_id) if handout is not None else None
        if question is not None:
            out.append(_about(question, handout.answers))
        narration = _markdown(step.step.explain)
        if narration:
            out.append(f'<div class="narration">{narration}</div>')
        out.append(_transcript(step))
        if step.expectations:
            out.append('<ul class="expect">')
            for check in step.expectations:
                cls = "ok" if check.ok else "failed"
                out.append(f'<li class="{cls}">expected {escape(check.what)}: {escape(check.detail)}</li>')
            out.append("</ul>")
        out.append("</section>")
    if handout is not None:
        out += _back(handout)
    out.append('<section class="mermaid-source"><h2 id="mermaid">Mermaid source</h2>')
    out.append('<p class="muted">The same diagram as Mermaid text, for a wiki, a README or '
               "mermaid.live.</p>")
    out.append(f"<pre><code>{escape(mermaid.render_timeline(timeline))}</code></pre></section>")
    out.append('<footer>Made with mailsim: every byte shown is a byte a real client or server '
               "would send, in a simulated world.</footer>")
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(line for line in out if line) + "\n"
