"""The `jifen` command line. Heavy imports happen inside the commands that need them,
so `jifen compute` starts quickly."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from db.store import Store


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


def _store(args: argparse.Namespace, create: bool = False) -> Store:
    """The store on --db; only `jifen init` may create the database file."""
    from db.engine import database_url, open_engine
    from db.errors import StoreError
    from db.store import Store

    url = database_url(args.db)
    if not create and url.startswith("sqlite:///") and not os.path.exists(url.removeprefix("sqlite:///")):
        raise StoreError(f"数据库文件不存在：{url.removeprefix('sqlite:///')}（请检查 --db，或先运行 jifen init）")
    return Store(open_engine(args.db), actor=os.environ.get("JIFEN_ACTOR", ""))


def _refused(exc: Exception) -> int:
    for line in str(exc).splitlines():
        _err(line)
    return 1


def cmd_demo(args: argparse.Namespace) -> int:
    import tempfile

    from db.demo import build_demo
    from db.engine import database_url, shown_url
    from db.errors import StoreError

    path = args.db or os.path.join(tempfile.mkdtemp(prefix="jifen-demo-"), "demo.db")
    try:
        build_demo(path)
    except StoreError as exc:
        return _refused(exc)
    print(f"示范数据库：{shown_url(database_url(path))}")
    if not args.no_tui:
        return run_console(path)
    return 0


def run_console(db: str | None) -> int:
    from db.errors import StoreError

    try:
        from tui.app import JifenApp

        app = JifenApp(db_path=db)
    except StoreError as exc:
        return _refused(exc)
    app.run()
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from core.scheme import SchemeError
    from core.schemes import builtin_ids, builtin_text
    from db.errors import StoreError

    try:
        if args.scheme in builtin_ids():
            scheme_id, text = args.scheme, builtin_text(args.scheme)
        else:
            from tui.schemefile import read_scheme_file

            scheme_id = read_scheme_file(args.scheme).id
            with open(args.scheme, encoding="utf-8") as fh:
                text = fh.read()
        _store(args, create=True).init_branch(args.branch, scheme_id, text, args.year)
    except (StoreError, SchemeError) as exc:
        return _refused(exc)
    print(f"已建立：{args.branch} {args.year}年度，积分方案 {scheme_id}")
    return 0


def cmd_members_import(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from db.imports import import_members

    try:
        n = import_members(_store(args), args.file)
    except StoreError as exc:
        return _refused(exc)
    print(f"已导入党员 {n} 人")
    return 0


def cmd_members_list(args: argparse.Namespace) -> int:
    from core.labels import STATUS_LABELS
    from db.errors import StoreError

    try:
        members = _store(args).members()
    except StoreError as exc:
        return _refused(exc)
    for m in members:
        extra = "，免于积分管理" + (f"（{m.exempt_reason}）" if m.exempt_reason else "") if m.exempt else ""
        print(f"{m.seq:>3} {m.name}\t{m.gender}\t{m.birth_month}\t"
              f"{STATUS_LABELS.get(m.status, m.status)}\t{m.post}{extra}")
    return 0


def cmd_items_import(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from db.imports import import_items

    try:
        n = import_items(_store(args), args.file, args.year)
    except StoreError as exc:
        return _refused(exc)
    print(f"已导入积分事项 {n} 项")
    return 0


def _member_id(store: Store, name: str) -> int:
    from db.errors import StoreError
    from db.tables import saved_id

    found = [m for m in store.members() if m.name == name]
    if not found:
        raise StoreError(f"名册中没有“{name}”")
    if len(found) > 1:
        raise StoreError(f"名册中有{len(found)}位“{name}”，请用编号区分")
    return saved_id(found[0])


def cmd_items_add(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from db.store import parse_quarter

    kinds = {"加分": "bonus", "减分": "deduction", "评分": "score", "一票否决": "veto"}
    try:
        store = _store(args)
        year, number = parse_quarter(args.quarter)
        entry_id = store.add_entry(year, number, _member_id(store, args.member), kinds.get(args.kind, args.kind),
                                   args.points, item=args.item, level=args.level, category=args.category,
                                   month=args.month, note=args.note or "", evidence=args.evidence or "")
    except StoreError as exc:
        return _refused(exc)
    print(f"已登记事项 #{entry_id}")
    return 0


def cmd_items_list(args: argparse.Namespace) -> int:
    from core.labels import KIND_LABELS
    from core.numbers import show
    from db.errors import StoreError
    from db.store import parse_quarter

    try:
        store = _store(args)
        year, number = parse_quarter(args.quarter)
        member = _member_id(store, args.member) if args.member else None
        names = {m.id: m.name for m in store.members(include_left=True)}
        rows = store.entries(year, number, member)
    except StoreError as exc:
        return _refused(exc)
    for e in rows:
        item = f"[{e.item_code}{'·' + e.level if e.level else ''}] " if e.item_code else ""
        print(f"#{e.id:<5} {names.get(e.member_id, e.member_id)}\t{KIND_LABELS.get(e.kind, e.kind)}"
              f"\t{show(e.points)}\t{e.status}\t{item}{e.note}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from db.errors import StoreError

    try:
        store = _store(args)
        problems = store.verify()
        locked = sum(1 for y in store.years() for q in store.quarters(y) if q.state == "locked")
    except StoreError as exc:
        return _refused(exc)
    if problems:
        for line in problems:
            _err(line)
        return 1
    print(f"ok: {locked} locked quarter(s), digest chain intact")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from db.store import parse_quarter
    from exports.fonts import FontMissing

    out = args.out
    suffix = os.path.splitext(out)[1].lower()
    if args.font:
        os.environ["JIFEN_FONT"] = args.font  # the documents look here first
    kind = args.document
    try:
        store = _store(args)
        year = number = None
        if args.quarter:
            year, number = parse_quarter(args.quarter)
        elif args.year:
            year = args.year
        else:
            raise StoreError("请用 --quarter 2026Q3 或 --year 2026 指明季度或年度")
        if kind == "minutes":
            if number is None:
                raise StoreError("会议记录按季度生成：请用 --quarter 指明季度")
            _need(suffix, (".pdf",))
            from exports.minutes import write_minutes

            path = write_minutes(store, year, number, out)
        elif kind in ("publicity", "ledger"):
            from exports.forms import ledger_table, publicity_table, write_ledger, write_publicity

            if suffix == ".pdf":
                path = (write_publicity(store, year, number, out, args.holidays) if kind == "publicity"
                        else write_ledger(store, year, out))
            else:
                _need(suffix, (".pdf", ".xlsx", ".csv"))
                from exports.sheets import write_table

                table = publicity_table(store, year, number) if kind == "publicity" else ledger_table(store, year)
                path = write_table(table, out)
        elif kind == "personal":
            _need(suffix, (".pdf",))
            from exports.forms import write_personal

            path = write_personal(store, year, out, args.member)
        else:
            _need(suffix, (".pdf",))
            from exports.forms import write_ballots

            path = write_ballots(store, year, out, args.copies)
    except (StoreError, FontMissing, ValueError) as exc:
        return _refused(exc)
    print(f"已生成：{path}")
    return 0


def _need(suffix: str, allowed: tuple[str, ...]) -> None:
    from db.errors import StoreError

    if suffix not in allowed:
        raise StoreError(f"输出文件的扩展名应为 {' / '.join(allowed)}，不是“{suffix or '（无）'}”")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jifen", description="党员积分制管理 党员大会控制台；不带命令时打开控制台")
    p.add_argument("--db", dest="console_db", metavar="PATH", help="open the console on this database")
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

    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", metavar="PATH", help="database file or URL (default: JIFEN_DB, else the user data folder)")

    d = sub.add_parser("demo", parents=[db], help="create the demo branch in a new database and open the console")
    d.add_argument("--no-tui", action="store_true", help="create the demo database and exit")
    d.set_defaults(func=cmd_demo)

    i = sub.add_parser("init", parents=[db], help="create the branch and a year under a scheme")
    i.add_argument("--branch", required=True, help="党支部名称")
    i.add_argument("--scheme", required=True, metavar="ID|FILE")
    i.add_argument("--year", required=True, type=int)
    i.set_defaults(func=cmd_init)

    mem = sub.add_parser("members", help="the roster")
    ms = mem.add_subparsers(dest="members_command", metavar="ACTION", required=True)
    mi = ms.add_parser("import", parents=[db],
                       help="import the roster from CSV or XLSX (姓名, 性别, 出生年月, 职务, 党员类别)")
    mi.add_argument("file", metavar="FILE")
    mi.set_defaults(func=cmd_members_import)
    ms.add_parser("list", parents=[db], help="list the roster").set_defaults(func=cmd_members_list)

    it = sub.add_parser("items", help="points entries (积分事项)")
    its = it.add_subparsers(dest="items_command", metavar="ACTION", required=True)
    ii = its.add_parser("import", parents=[db], help="import entries from CSV or XLSX")
    ii.add_argument("file", metavar="FILE")
    ii.add_argument("--year", required=True, type=int)
    ii.set_defaults(func=cmd_items_import)
    ia = its.add_parser("add", parents=[db], help="record one entry")
    ia.add_argument("--quarter", required=True, help="e.g. 2026Q3")
    ia.add_argument("--member", required=True, help="姓名")
    ia.add_argument("--kind", required=True, help="加分/减分/评分/一票否决 (or bonus/deduction/score/veto)")
    ia.add_argument("--points")
    ia.add_argument("--item", help="catalogue code, e.g. J1.1")
    ia.add_argument("--level", help="县(市)级/市级/省级/...")
    ia.add_argument("--category")
    ia.add_argument("--month", type=int)
    ia.add_argument("--note")
    ia.add_argument("--evidence")
    ia.set_defaults(func=cmd_items_add)
    il = its.add_parser("list", parents=[db], help="list a quarter's entries")
    il.add_argument("--quarter", required=True)
    il.add_argument("--member")
    il.set_defaults(func=cmd_items_list)

    ex = sub.add_parser("export", parents=[db], help="write a document: minutes, publicity, personal, ledger, ballots")
    ex.add_argument("document", choices=["minutes", "publicity", "personal", "ledger", "ballots"])
    ex.add_argument("--quarter", help="e.g. 2026Q3")
    ex.add_argument("--year", type=int)
    ex.add_argument("--member", help="姓名 (personal list of one member)")
    ex.add_argument("--copies", type=int, default=1, help="blank ballots: how many copies")
    ex.add_argument("--holidays",
                    help="extra holidays and make-up working days (TOML); default in the user config folder")
    ex.add_argument("--font",
                    help="a CJK font file (.ttf/.ttc/.otf) for the PDF; default: JIFEN_FONT, then the system's")
    ex.add_argument("--out", required=True, help="output file; .pdf, .xlsx or .csv")
    ex.set_defaults(func=cmd_export)

    v = sub.add_parser("verify", parents=[db], help="check every locked quarter's digest chain")
    v.set_defaults(func=cmd_verify)
    return p


def main(argv: list[str] | None = None) -> int:
    import signal

    if hasattr(signal, "SIGPIPE"):  # `jifen items list | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        return run_console(args.console_db)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
