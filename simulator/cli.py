"""The ``mailsim`` command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simulator import content


def _load_for_run(name: str):
    from simulator.scenario.loader import kind_of, load_lesson, load_scenario

    path = content.resolve(name)
    if not path.is_file():
        raise FileNotFoundError(f"{name}: no such file, lesson or scenario")
    if kind_of(path) == "lesson":
        return load_lesson(path)[1]
    return load_scenario(path)


def cmd_run(args: argparse.Namespace) -> int:
    from simulator.export.transcript import render
    from simulator.scenario.loader import ContentErrors
    from simulator.scenario.runner import run_scenario

    try:
        scenario = _load_for_run(args.file)
    except ContentErrors as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"mailsim run: {exc}", file=sys.stderr)
        return 2
    result = run_scenario(scenario)
    if args.json:
        Path(args.json).write_text(result.trace.dumps(), encoding="utf-8")
    if not args.quiet:
        print(f"# {scenario.title}  ({scenario.id}, seed {scenario.seed})")
        for line in render(result.trace, verbose=args.verbose):
            print(line)
        print()
    if result.failures:
        for failure in result.failures:
            print(f"FAILED {failure}", file=sys.stderr)
        return 1
    steps = len(scenario.steps)
    print(f"OK: {steps} steps, every expectation met")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from simulator.scenario.loader import validate_paths

    count, errors = validate_paths(args.paths)
    for err in errors:
        print(err, file=sys.stderr)
    if errors:
        print(f"{len(errors)} error(s) in {count} file(s)", file=sys.stderr)
        return 1
    print(f"{count} file(s) valid")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from simulator.scenario.models import Lesson, Scenario

    model = Lesson if args.kind == "lesson" else Scenario
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"mailsim {args.kind}"
    print(json.dumps(schema, indent=2))
    return 0


def cmd_lessons(args: argparse.Namespace) -> int:
    from simulator.lesson.catalog import load_catalog

    catalog = load_catalog()
    for entry in catalog.entries:
        lesson = entry.lesson
        print(f"{lesson.topic:<10} {lesson.id:<24} {lesson.level:<13} {lesson.minutes:>3} min  {lesson.title}")
    for err in catalog.errors:
        print(err, file=sys.stderr)
    return 1 if catalog.errors else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from simulator.serve import cmd_serve as serve

    return serve(args)


def cmd_export(args: argparse.Namespace) -> int:
    from simulator.export.formats import NotATrace, export_text, guess_format, load_source
    from simulator.scenario.loader import ContentErrors

    try:
        source = load_source(args.file)
    except ContentErrors as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        return 2
    except (FileNotFoundError, NotATrace) as exc:
        print(f"mailsim export: {exc}", file=sys.stderr)
        return 2
    text = export_text(source, args.format or guess_format(args.output))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailsim", description="Step through how e-mail really works.")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("run", help="run a scenario or lesson headless and print its transcript")
    p.add_argument("file", help="scenario or lesson file, or a bundled name such as smtp-basics")
    p.add_argument("-v", "--verbose", action="store_true", help="also show state changes and whole messages")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the verdict")
    p.add_argument("--json", metavar="PATH", help="write the trace as JSON to PATH")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check scenario and lesson files")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of the file format, for editors")
    p.add_argument("kind", nargs="?", choices=["scenario", "lesson"], default="scenario")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("lessons", help="list the bundled lessons")
    p.set_defaults(func=cmd_lessons)

    from simulator.tui.launch import add_tui_commands  # play, sandbox, web (Textual loads lazily)

    add_tui_commands(sub)

    p = sub.add_parser("serve", help="run the virtual mail servers on loopback for real clients (swaks, curl, ...)")
    p.add_argument("--host", help="loopback address to listen on (default 127.0.0.1; ::1 also works)")
    p.add_argument("--submission-port", type=int, metavar="PORT", help="submission to mail.example.org (default 2587; 0 = any free port)")
    p.add_argument("--smtp-port", type=int, metavar="PORT", help="SMTP to mx.example.net (default 2525; 0 = any free port)")
    p.add_argument("--world", metavar="FILE", help="use the world of this scenario or lesson instead of the default")
    p.add_argument("--max-connections", type=int, metavar="N", help="open sessions allowed at once (default 200)")
    p.add_argument("--idle-timeout", type=float, metavar="SECONDS", help="close a silent session after this long (default 300)")
    p.add_argument("--trace-json", metavar="PATH", help="write the trace as JSON to PATH at exit")
    p.add_argument("-v", "--verbose", action="store_true", help="also show state changes")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("export", help="export a run as a Markdown transcript, a Mermaid diagram or an HTML page")
    p.add_argument("file", help="scenario or lesson file, bundled name, or a trace JSON from mailsim run --json")
    p.add_argument("-f", "--format", choices=["markdown", "mermaid", "html"],
                   help="output format (default: from the -o file name, else markdown)")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of standard output")
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from simulator.tui.launch import open_picker

        return open_picker()
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
