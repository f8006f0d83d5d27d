"""The `jifen` command line. Heavy imports happen inside the commands that need them,
so `jifen compute` starts quickly."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def cmd_compute(args: argparse.Namespace) -> int:
    from core.case import CaseError, checked_branch_year, parse_case_json, result_text
    from core.engine import score
    from core.scheme import SchemeError
    from tui.schemefile import resolve_scheme

    path = args.case
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        _err(f"{path}: cannot be read: {exc.strerror}")
        return 2
    # A batch run allocates many small objects and exits: the cyclic collector only costs time.
    gc.disable()
    try:
        case = parse_case_json(raw)
        try:
            scheme = resolve_scheme(case.scheme, near=os.path.dirname(os.path.abspath(path)))
        except SchemeError as exc:
            raise CaseError([f"scheme: {p}" for p in exc.problems]) from None
        by = checked_branch_year(scheme, case)
    except CaseError as exc:
        for line in exc.problems:
            _err(line if not line.startswith("not valid JSON") else f"{path}: {line}")
        return 2
    result = score(scheme, by, explain=args.explain)
    # One write: json.dump would stream thousands of small pieces to stdout.
    sys.stdout.write(result_text(result, explain=args.explain))
    return 0


def cmd_schemes_list(args: argparse.Namespace) -> int:
    from core.schemes import builtin, builtin_ids

    for sid in builtin_ids():
        s = builtin(sid)
        print(f"{sid:<34} {s.name}（{len(s.items)}项）")
    return 0


def cmd_schemes_show(args: argparse.Namespace) -> int:
    from core.scheme import SchemeError
    from tui.scheme_text import scheme_lines
    from tui.schemefile import resolve_scheme

    try:
        scheme = resolve_scheme(args.scheme)
    except SchemeError as exc:
        for line in exc.problems:
            _err(line)
        return 2
    print("\n".join(scheme_lines(scheme)))
    return 0


def cmd_schemes_check(args: argparse.Namespace) -> int:
    from core.scheme import SchemeError
    from tui.schemefile import read_scheme_file

    try:
        scheme = read_scheme_file(args.file)
    except SchemeError as exc:
        for line in exc.problems:
            _err(line)
        return 1
    print(f"{os.path.basename(args.file)}: ok — {scheme.id}, {len(scheme.items)} items")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from tui.scoreboard_text import print_demo_scoreboard

    print_demo_scoreboard()
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jifen", description="党员积分制管理 党员大会控制台")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("compute", help="score a branch-year given as JSON (see spec/COMPUTE.md)")
    c.add_argument("case", metavar="CASE.json")
    c.add_argument("--explain", action="store_true", help="add each member's reasons to the output")
    c.set_defaults(func=cmd_compute)

    s = sub.add_parser("schemes", help="the built-in schemes and scheme files")
    ss = s.add_subparsers(dest="schemes_command", metavar="ACTION", required=True)
    ss.add_parser("list", help="list the built-in schemes").set_defaults(func=cmd_schemes_list)
    show = ss.add_parser("show", help="print a scheme's rules and catalogue")
    show.add_argument("scheme", metavar="ID|FILE")
    show.set_defaults(func=cmd_schemes_show)
    check = ss.add_parser("check", help="validate a scheme file")
    check.add_argument("file", metavar="FILE")
    check.set_defaults(func=cmd_schemes_check)

    d = sub.add_parser("demo", help="show the demo branch's scoreboard")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
