"""The trace as one self-contained HTML page: narration, transcript per step, diagram, Mermaid source.

No scripts, no external assets (styles are inline, the diagram is inline SVG),
and every piece of content escaped: a message whose subject is
``<script>...</script>`` shows up as text. Narration is Markdown, rendered with
raw HTML and images turned off.
"""

from __future__ import annotations

from html import escape

from simulator.export import mermaid, svg
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


def render_timeline(timeline: Timeline, trace: Trace, *, summary: str = "") -> str:
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
    if timeline.steps:
        out.append('<nav><h2>Steps</h2><ol>')
        out += [f'<li><a href="#{_anchor(s)}">{escape(s.heading.split(". ", 1)[-1])}</a></li>'
                for s in timeline.steps]
        out.append("</ol></nav>")
    out.append('<section><h2 id="diagram">Sequence diagram</h2>')
    out.append('<p class="muted">Solid arrows are commands, dashed ones replies; '
               "notes show what a step did to mailboxes and queues.</p>")
    out.append(f'<div class="diagram">{svg.render(timeline)}</div></section>')
    for step in timeline.steps:
        out.append(f'<section class="step" id="{_anchor(step)}">')
        out.append(f"<h2>{escape(step.heading)}</h2>")
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
    out.append('<section><h2 id="mermaid">Mermaid source</h2>')
    out.append('<p class="muted">The same diagram as Mermaid text, for a wiki, a README or '
               "mermaid.live.</p>")
    out.append(f"<pre><code>{escape(mermaid.render_timeline(timeline))}</code></pre></section>")
    out.append('<footer>Made with mailsim: every byte shown is a byte a real client or server '
               "would send, in a simulated world.</footer>")
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(line for line in out if line) + "\n"
