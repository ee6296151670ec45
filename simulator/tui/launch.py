"""The TUI's commands: ``mailsim`` (picker), ``play``, ``sandbox`` and ``web``.

Textual is imported only when one of them runs, so ``mailsim run`` and the
other headless commands stay fast.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys
from pathlib import Path

SANDBOX_CHOICES = ("smtp", "imap", "pop3")


def open_picker() -> int:
    from simulator.tui.app import create_app

    create_app(mode="picker").run()
    return 0


def run_live(source, *, save_to: Path | None = None, present: bool = False) -> int:
    """``mailsim serve --live``: the live screen over ``source`` (a ``simulator.serve.LiveSource``,
    composed by the CLI), whose servers start in the app's loop; the app's exit code."""
    from simulator.tui.app import create_app

    app = create_app(mode="live", live=source, save_to=save_to, present=present)
    app.run()
    return app.return_code or 0


def add_tui_commands(sub: argparse._SubParsersAction) -> None:
    """Register play, sandbox and web on the ``mailsim`` parser."""
    p = sub.add_parser("play", help="step through a lesson or scenario in the terminal")
    p.add_argument("file", help="lesson or scenario file, or a bundled name such as smtp-basics")
    p.add_argument("--present", action="store_true", help="projector layout: diagram and narration, large")
    p.add_argument("--watch", action="store_true",
                   help="reload when the file (or a lesson's scenario) is saved, staying on the step shown; "
                        "a mistake is shown in the app, file:line:column, until the next good save")
    p.set_defaults(func=cmd_play)

    p = sub.add_parser("sandbox", help="type raw commands to a virtual server and watch its state machine")
    p.add_argument("protocol", nargs="?", default="smtp", help="smtp (imap and pop3 when they exist)")
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser("web", help="serve the app to browsers with textual-serve (a classroom)")
    p.add_argument("file", nargs="?", help="open this lesson or scenario instead of the picker")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--public", action="store_true",
                   help="allow a non-loopback --host: anyone who can reach it gets the app")
    p.add_argument("--present", action="store_true", help="projector layout for the lesson")
    p.add_argument("--public-url", metavar="URL",
                   help="the address browsers use to reach this server, e.g. http://192.168.1.20:8000 "
                        "(default: from --host and --port); needed behind a proxy or with --host 0.0.0.0")
    p.set_defaults(func=cmd_web)


def _resolve(name: str, command: str) -> Path | None:
    """The file a lesson or scenario name means; None (after saying why, as run does) if none."""
    from simulator.scenario.launch import find
    from simulator.scenario.loader import ContentErrors

    try:
        return find(name)
    except ContentErrors as exc:
        for err in exc.errors:
            print(f"mailsim {command}: {err}", file=sys.stderr)
        return None


def cmd_play(args: argparse.Namespace) -> int:
    path = _resolve(args.file, "play")
    if path is None:
        return 2
    from simulator import content
    from simulator.tui.app import create_app

    # Escape from a teacher's own file goes back to a picker that lists its folder.
    content.add_folders([path.resolve().parent])

    # The first frame comes at once; the scenario loads behind it. A mistake in
    # the file ends the app and is printed as file:line:column, as `mailsim run` does.
    app = create_app(mode="play", target=path, present=args.present, exit_on_load_error=not args.watch,
                     watch=args.watch)
    app.run()
    return app.return_code or 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from simulator.lesson.sandbox import available_protocols

    protocol = args.protocol.lower()
    available = available_protocols()
    if protocol not in available:
        later = protocol in SANDBOX_CHOICES
        why = "is not built yet" if later else "is not a protocol mailsim knows"
        print(f"mailsim sandbox: {protocol} {why}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    from simulator.tui.app import create_app

    create_app(mode="sandbox", protocol=protocol).run()
    return 0


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_unspecified(host: str) -> bool:
    """0.0.0.0 or ::, every address of the machine: good to listen on, not an address to connect to."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def web_command(file: str | None, present: bool, folders: list[Path] | None = None) -> str:
    """The command each browser visit starts (textual-serve runs one process per visit),
    with the teacher's lesson folders, so every visitor's picker lists them, and
    ``--visitor``, so each visit keeps its progress apart from the others'."""
    parts = [sys.executable, "-m", "simulator.cli", "--visitor"]
    for folder in folders or []:
        parts += ["--lessons", str(folder)]
    if file:
        parts += ["play", file]
        if present:
            parts.append("--present")
    return shlex.join(parts)


def cmd_web(args: argparse.Namespace) -> int:
    if not is_loopback(args.host) and not args.public:
        print(f"mailsim web: refusing to listen on {args.host}: it is not a loopback address, so anyone "
              "who can reach it would get the app. Add --public if that is what you want.", file=sys.stderr)
        return 2
    if is_unspecified(args.host) and not args.public_url:
        print(f"mailsim web: with --host {args.host} the page would tell each browser to connect to "
              f"{args.host}, which is no address another computer can reach. Give --host the address the "
              "students' computers reach this one by (e.g. --host 192.168.1.20), or add --public-url "
              f"http://NAME-OR-ADDRESS:{args.port}.", file=sys.stderr)
        return 2
    file = None
    if args.file:
        path = _resolve(args.file, "web")
        if path is None:
            return 2
        file = str(path.resolve())
    try:
        from textual_serve.server import Server
    except ImportError:
        print("mailsim web needs textual-serve: pip install 'mailsim[web]'", file=sys.stderr)
        return 2
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = args.public_url or f"http://{host}:{args.port}"
    print(f"Serving mailsim on {url}  (each visit is a process of its own; ctrl+c stops)")
    from simulator import content

    Server(web_command(file, args.present, content.teacher_folders()), host=args.host, port=args.port,
           title="mailsim", public_url=args.public_url).serve()
    return 0
