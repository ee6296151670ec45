"""The ``mailsim`` command."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _print_errors(exc) -> None:
    for err in exc.errors:
        print(err, file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    from simulator.export.transcript import render
    from simulator.scenario.launch import load_run
    from simulator.scenario.loader import ContentErrors

    try:
        loaded = load_run(args.file)
    except ContentErrors as exc:
        _print_errors(exc)
        return 2
    result, scenario = loaded.result, loaded.scenario
    json_to_stdout = args.json == "-"
    # With --json -, standard output carries the JSON alone (for a pipe); the verdict goes to stderr.
    out = sys.stderr if json_to_stdout else sys.stdout
    if args.json:
        if json_to_stdout:
            sys.stdout.write(result.trace.dumps())
            sys.stdout.write("\n")
        else:
            Path(args.json).write_text(result.trace.dumps(), encoding="utf-8")
    if not args.quiet and not json_to_stdout:
        print(f"# {loaded.title}  ({scenario.id}, seed {scenario.seed})")
        for line in render(result.trace, verbose=args.verbose):
            print(line)
        print()
    if args.dmarc_reports:
        folder = Path(args.dmarc_reports)
        folder.mkdir(parents=True, exist_ok=True)
        reports = result.world.dmarc_reports()
        for report in reports:
            (folder / report.filename).write_text(report.xml, encoding="utf-8")
            print(f"DMARC aggregate report for {report.policy_domain} (to {', '.join(report.rua)}): "
                  f"{folder / report.filename}", file=out)
        if not reports:
            print("no DMARC aggregate report: no checked message's policy asked for one (rua=)", file=out)
    if result.failures:
        from simulator.scenario.launch import located_failures

        for failure in located_failures(loaded, result.failures):
            print(f"FAILED {failure}", file=sys.stderr)
        return 1
    print(f"OK: {_count(len(scenario.steps), 'step')}, every expectation met", file=out)
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def cmd_validate(args: argparse.Namespace) -> int:
    from simulator.scenario.loader import validate_paths

    count, errors = validate_paths(args.paths)
    for err in errors:
        print(err, file=sys.stderr)
    if errors:
        checked = f"{_count(count, 'file')} checked" if count else "no scenario or lesson file was checked"
        print(f"{_count(len(errors), 'error')}; {checked}", file=sys.stderr)
        return 1
    print(f"{_count(count, 'file')} valid")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from simulator.scenario.schema import build

    print(json.dumps(build(args.kind), indent=2))
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from simulator.authoring.scaffold import ScaffoldError, create, templates

    if args.list:
        for t in templates():
            print(f"{t.name:<14} {t.title}")
        return 0
    if not args.name:
        print("mailsim new: give a NAME, e.g.  mailsim new greylisting  (mailsim new --list shows the "
              "templates)", file=sys.stderr)
        return 2
    try:
        made = create(args.name, args.template, args.dir)
    except ScaffoldError as exc:
        print(f"mailsim new: {exc}", file=sys.stderr)
        return 2
    folder = args.dir
    lesson = _shown(made.lesson)
    print(f"Created from the {made.template.name} template:")
    print(f"  {lesson:<36} the lesson: title, objectives, intro, summary, RFCs")
    print(f"  {_shown(made.scenario):<36} its scenario: the world and the steps, with narration and questions")
    print(f"  {_shown(made.schemas[0].parent) + os.sep:<36} JSON Schemas, named on each file's first line for your editor")
    here = _shown(Path(folder))
    steps = [(f"mailsim run {lesson}", "run it headless: exit 0 when every expectation holds"),
             (f"mailsim play {lesson}", "step through it as a student would"),
             (f"mailsim validate {here}", "check every file in the folder, with file:line:column"),
             (f"mailsim --lessons {here}", "open the picker with this folder's lessons in it")]
    width = max(len(command) for command, _ in steps) + 2
    print()
    print("Next:")
    for command, what in steps:
        print(f"  {command:<{width}}{what}")
    return 0


def _shown(path: Path) -> str:
    """A path as short as a teacher would type it: relative to here when inside, else as is."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def cmd_lessons(args: argparse.Namespace) -> int:
    from simulator.lesson.library import load_library

    library = load_library(sandboxes=[])
    bundled = [e for e in library.entries if e.kind == "lesson" and not e.group]
    own = [e for e in library.entries if e.kind == "lesson" and e.group]
    heading = ""
    for e in bundled + own:  # the learning path in teaching order, then the teachers' folders
        if (e.group or e.part or e.topic) != heading:
            heading = e.group or e.part or e.topic
            print(heading)
        where = f"  ({e.path})" if e.group else ""
        print(f"  {e.key:<24} {e.topic:<8} {e.level:<13} {e.minutes:>3} min  {e.title}{where}")
    for err in library.errors:
        print(err, file=sys.stderr)
    return 1 if library.errors else 0


def cmd_serve(args: argparse.Namespace) -> int:
    if args.live:
        return cmd_serve_live(args)
    if args.save:
        print("mailsim serve: --save saves a live session; add --live", file=sys.stderr)
        return 2
    from simulator.serve import cmd_serve as serve

    return serve(args)


def cmd_serve_live(args: argparse.Namespace) -> int:
    """``mailsim serve --live``: the servers started inside the TUI's event loop (the faces serve
    and tui meet here, in the layer above both); ``--save FILE`` writes the session when it ends."""
    from simulator.serve import ServeError, live_from_args, mailbox_summary

    try:
        source = live_from_args(args)
    except ServeError as exc:
        print(f"mailsim serve: {exc}", file=sys.stderr)
        return 2
    from simulator.tui.launch import run_live

    save = Path(args.save) if args.save else None
    code = run_live(source, save_to=save, present=args.present)
    if code:
        return code
    if save is not None:
        try:
            steps = source.save(save)
        except OSError as exc:
            print(f"mailsim serve: cannot write {save}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"saved the live session as a scenario of {_count(steps, 'step')}: {save} "
              f"(mailsim run {save} replays it)")
    for line in mailbox_summary(source.world):
        print(line)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from simulator.export.formats import NotATrace, export_text, guess_format, load_source
    from simulator.scenario.loader import ContentErrors

    try:
        source = load_source(args.file)
    except ContentErrors as exc:
        _print_errors(exc)
        return 2
    except (FileNotFoundError, NotATrace) as exc:
        print(f"mailsim export: {exc}", file=sys.stderr)
        return 2
    text = export_text(source, args.format or guess_format(args.output), answers=args.answers)
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailsim", description="Step through how e-mail really works.")
    parser.add_argument("--version", action="version", version=f"mailsim {_version()}")
    parser.add_argument("--lessons", action="append", default=[], metavar="DIR",
                        help="add a folder of your own lessons and scenarios to the picker, play, run and "
                             "web (repeatable; also MAILSIM_LESSONS, folders separated by "
                             f"'{os.pathsep}')")
    parser.add_argument("--visitor", action="store_true",
                        help="one browser visitor of mailsim web (it adds this): lesson progress is kept for this "
                             "visit only, in a folder of its own, apart from every other visitor's")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("run", help="run a scenario or lesson headless and print its transcript")
    p.add_argument("file", help="scenario or lesson file, or a bundled name such as smtp-basics")
    p.add_argument("-v", "--verbose", action="store_true", help="also show state changes and whole messages")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the verdict")
    p.add_argument("--json", metavar="PATH", help="write the trace as JSON to PATH (- for standard output, then without the transcript)")
    p.add_argument("--dmarc-reports", metavar="DIR", help="write the DMARC aggregate reports (RFC 9990 XML) the receiving servers would send into DIR")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check scenario and lesson files")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of the file format, for editors")
    p.add_argument("kind", nargs="?", choices=["scenario", "lesson"], default="scenario")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("new", help="start a scenario and its lesson of your own from a template")
    p.add_argument("name", nargs="?", help="the lesson's id and file name, e.g. greylisting: writes "
                                          "NAME.yaml (lesson) and NAME.scenario.yaml")
    p.add_argument("--from", dest="template", default="blank", metavar="TEMPLATE",
                   help="the template to start from (default blank; --list shows them)")
    p.add_argument("--dir", default=".", metavar="DIR", help="where to write the files (default: here)")
    p.add_argument("--list", action="store_true", help="list the templates")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("lessons", help="list the learning path's lessons in teaching order, then those of --lessons folders")
    p.set_defaults(func=cmd_lessons)

    from simulator.tui.launch import add_tui_commands  # play, sandbox, web (Textual loads lazily)

    add_tui_commands(sub)

    p = sub.add_parser("serve", help="run the virtual mail servers on loopback for real clients (swaks, curl, ...)")
    p.add_argument("--host", help="loopback address to listen on (default 127.0.0.1; ::1 also works)")
    p.add_argument("--submission-port", type=int, metavar="PORT", help="submission to mail.example.org (default 2587; 0 = any free port)")
    p.add_argument("--smtp-port", type=int, metavar="PORT", help="SMTP to mx.example.net (default 2525; 0 = any free port)")
    p.add_argument("--submissions-port", type=int, metavar="PORT", help="submission over implicit TLS (default 2465)")
    p.add_argument("--imap-port", type=int, metavar="PORT", help="IMAP to the mailbox server of the login's domain (default 2143)")
    p.add_argument("--imaps-port", type=int, metavar="PORT", help="IMAP over implicit TLS (default 2993)")
    p.add_argument("--pop3-port", type=int, metavar="PORT", help="POP3 to the mailbox server of the login's domain (default 2110)")
    p.add_argument("--pop3s-port", type=int, metavar="PORT", help="POP3 over implicit TLS (default 2995)")
    p.add_argument("--ca-out", metavar="FILE", help="write the virtual CA's certificate (PEM) here, for real clients to trust")
    p.add_argument("--world", metavar="FILE", help="use the world of this scenario or lesson instead of the default")
    p.add_argument("--max-connections", type=int, metavar="N", help="open sessions allowed at once (default 200)")
    p.add_argument("--idle-timeout", type=float, metavar="SECONDS", help="close a silent SMTP session after this long (default 300)")
    p.add_argument("--imap-idle-timeout", type=float, metavar="SECONDS", help="IMAP autologout, also while IDLE (default 1800, RFC 9051 5.4)")
    p.add_argument("--pop3-idle-timeout", type=float, metavar="SECONDS", help="POP3 autologout (default 600, RFC 1939 3)")
    p.add_argument("--line-deadline", type=float, metavar="SECONDS", help="a line must arrive whole within this once begun (default 60, at most 300)")
    p.add_argument("--data-deadline", type=float, metavar="SECONDS", help="message text, 354 to final dot, must arrive within this (default 600, at most 600)")
    p.add_argument("--trace-json", metavar="PATH", help="write the whole trace as JSON to PATH as it happens")
    p.add_argument("--trace-window", type=int, metavar="N", help="closed sessions whose trace stays in memory (default 50)")
    p.add_argument("-v", "--verbose", action="store_true", help="also show state changes")
    p.add_argument("--live", action="store_true",
                   help="watch the real clients' sessions in the TUI as they happen (sequence diagram, states, "
                        "wire, mailboxes); s saves the session as a scenario")
    p.add_argument("--save", metavar="FILE",
                   help="with --live: where s saves, and save the session there when the server stops")
    p.add_argument("--present", action="store_true", help="with --live: projector layout")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("export", help="export a run as a Markdown transcript, a Mermaid diagram or an HTML page")
    p.add_argument("file", help="scenario or lesson file, bundled name, or a trace JSON from mailsim run --json")
    p.add_argument("-f", "--format", choices=["markdown", "mermaid", "html"],
                   help="output format (default: from the -o file name, else markdown)")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of standard output (- is standard output)")
    p.add_argument("--answers", action="store_true",
                   help="a lesson's handout with its questions' answers and why (the teacher's copy); "
                        "without it the questions come with room to answer")
    p.set_defaults(func=cmd_export)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mailsim")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not _add_lesson_folders(args.lessons):
            return 2
        if args.visitor:
            visitor_data_dir()
        if args.command is None:
            from simulator.tui.launch import open_picker

            return open_picker()
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        return _closed_pipe()


def visitor_data_dir() -> Path:
    """A data folder for this process alone (``--visitor``), removed when it exits.

    ``mailsim web`` runs one process per browser visit (textual-serve); their
    virtual worlds, sandboxes and mailboxes are in each process's memory, but
    lesson progress is a file, which all visitors would share (and overwrite)
    in the server user's data folder. Each visit gets its own instead.
    """
    import atexit
    import shutil
    import tempfile

    from simulator.lesson.progress import ENV_DATA_DIR

    folder = Path(tempfile.mkdtemp(prefix="mailsim-visitor-"))
    os.environ[ENV_DATA_DIR] = str(folder)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _add_lesson_folders(folders: list[str]) -> bool:
    """Add ``--lessons`` folders; False (after saying why) if one is not a folder."""
    from simulator import content

    for folder in folders:
        if not Path(folder).expanduser().is_dir():
            why = "is a file; name the folder it is in" if Path(folder).is_file() else "no such folder"
            print(f"mailsim: --lessons {folder}: {why}", file=sys.stderr)
            return False
    content.add_folders(folders)
    return True


def _closed_pipe() -> int:
    """The reader went away (``mailsim run X | head -3``): stop quietly, as cat does."""
    import os

    # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by the closed pipe


if __name__ == "__main__":
    raise SystemExit(main())
