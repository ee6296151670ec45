"""send_message's MIME fields (html, attachments, from_name, eight_bit): loaded, run, refused with
file:line:column when wrong, and offered in `mailsim schema`."""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import json
import textwrap
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.scenario.loader import ContentErrors, load_scenario
from simulator.scenario.runner import run_scenario
from simulator.trace import MailboxChanged

HEAD = textwrap.dedent(
    """\
    id: mime
    title: MIME
    steps:
      - id: send
        action: send_message
        from: alice-laptop
        sender: alice@example.org
        to: [bob@example.net]
        subject: Grüße
        body: Hi
    """
)


def write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(extra), "    "), encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ContentErrors) as info:
        load_scenario(path)
    return [str(e) for e in info.value.errors]


def delivered(path: Path) -> email.message.EmailMessage:
    text = (path.read_text(encoding="utf-8")
            + "  - {id: relay, action: run_queue, expect: {mailbox: {user: bob@example.net, count: 1}}}\n")
    path.write_text(text, encoding="utf-8")
    result = run_scenario(load_scenario(path))
    assert result.ok, result.failures
    (raw,) = [e.raw for e in result.trace.events if isinstance(e, MailboxChanged) and e.action == "delivered"]
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_every_field_reaches_the_message(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        from_name: Zoë
        html: "<p>Hi</p>"
        attachments:
          - {filename: notes.txt, text: "line\\n"}
          - {filename: photo.png, size: 200}
          - {filename: key.bin, base64: "AAEC AwQF", inline: true}
          - {filename: data, content_type: Application/JSON, text: "{}"}
        """)
    msg = delivered(path)
    assert msg["From"].addresses[0].display_name == "Zoë" and msg["Subject"] == "Grüße"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == [
        "multipart/alternative", "text/plain", "image/png", "application/octet-stream", "application/json"]
    assert parts[1].get_content_type() == "text/plain"  # guessed from .txt
    assert len(parts[2].get_content()) == 200
    assert parts[3].get_content() == bytes(range(6)) and parts[3].get_content_disposition() == "inline"
    assert parts[4].get_content() == b"{}"


def test_eight_bit_goes_with_body_8bitmime(tmp_path: Path) -> None:
    path = write(tmp_path, "eight_bit: true\nbody: Grüße aus Köln, Zoë\n")
    path.write_text(path.read_text(encoding="utf-8").replace("    body: Hi\n", "", 1), encoding="utf-8")
    msg = delivered(path)
    assert msg["Content-Transfer-Encoding"] == "8bit"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["run", "-v", str(path)]) == 0
    assert "BODY=8BITMIME" in out.getvalue()


@pytest.mark.parametrize(("extra", "where", "words"), [
    ("attachments:\n  - {filename: a.txt}\n", "12:9", "needs exactly one of text, base64 or size; it has none"),
    ("attachments:\n  - {filename: a.txt, text: x, size: 3}\n", "12:9", "it has text and size"),
    ("attachments:\n  - {filename: a.bin, base64: 'not base64!'}\n", "12:35", "not base64"),
    ("attachments:\n  - {filename: a.bin, content_type: image, size: 3}\n", "12:41", "not a MIME type"),
    ("attachments:\n  - {filename: a.bin, content_type: multipart/mixed, size: 3}\n", "12:41", "leaf part"),
    ("attachments:\n  - {filename: ../etc/passwd, size: 3}\n", "12:20", "without folders"),
    ("attachments:\n  - {filename: ' a.txt', size: 3}\n", "12:20", "neither starts nor ends with a blank"),
    ("attachments:\n  - {filename: a.png, size: 20}\n", "12:9", "image/png needs size 90"),
    ("attachments:\n  - {filename: a.bin, size: 0}\n", "12:33", "greater than or equal to 1"),
    ("attachments:\n  - {filename: a.bin, size: 3, colour: red}\n", "12:36", "unknown key 'colour'"),
    ("from_name: \"Zo\\u00eb\\nBcc: x@evil.example\"\n", "11:16", "one line of text"),
])
def test_mistakes_are_located(tmp_path: Path, extra: str, where: str, words: str) -> None:
    path = write(tmp_path, extra)
    (err,) = errors_of(path)
    assert err.startswith(f"{path}:{where}: "), err
    assert words in err


def test_schema_offers_the_fields() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema"]) == 0
    schema = json.loads(out.getvalue())
    step = schema["$defs"]["SendMessageStep"]["properties"]
    assert {"html", "attachments", "from_name", "eight_bit"} <= set(step)
    attachment = schema["$defs"]["AttachmentModel"]["properties"]
    assert {"filename", "content_type", "text", "base64", "size", "inline"} == set(attachment)
    assert "RFC 2183" in attachment["filename"]["description"]


def test_without_8bitmime_names_a_mail_host(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD.replace("steps:\n", "world:\n  without_8bitmime: [alice-laptop]\nsteps:\n", 1),
                    encoding="utf-8")
    (err,) = errors_of(path)
    assert err.startswith(f"{path}:4:22: ") and "not a mail host" in err


def test_without_8bitmime_takes_both_extensions_away(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD.replace("steps:\n", "world:\n  without_8bitmime: [mail.example.org]\nsteps:\n", 1)
                    .replace("body: Hi\n", "body: Grüße\n    eight_bit: true\n"), encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["run", "-v", str(path)]) == 0
    text = out.getvalue()
    assert "250-PIPELINING" in text and "8BITMIME" not in text and "SMTPUTF8" not in text
    assert "Content-Transfer-Encoding: 8bit" not in text  # converted before it left the client
