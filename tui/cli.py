"""The `jifen` command line. Heavy imports happen inside the commands that need them,
so `jifen compute` starts quickly."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import TYPE_CHECKING

from core.problems import capped
from core.quarter import QuarterRef, QuarterState
from tui.cli_parser import build_parser  # the grammar lives beside; imported here as before

if TYPE_CHECKING:
    from db.store import Store
    from tui.places import Choice


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
        for line in capped(exc.problems):
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
        for line in capped(exc.problems):
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
        for line in capped(exc.problems):
            _err(line)
        return 1
    print(f"{os.path.basename(args.file)}: 检查通过 — {scheme.id}，清单共 {len(scheme.items)} 项")
    return 0


def _store(args: argparse.Namespace, create: bool = False, write: bool = False) -> Store:
    """The store on the chosen database; only `jifen init` may create the database file. A
    command that writes takes the writer lock first, and is refused while a console holds it."""
    from db.engine import open_engine
    from db.errors import StoreError
    from db.store import Store

    choice = args.choice
    if not create and not choice.exists():
        raise StoreError(choice.missing())
    if write:
        hold_writer(choice.db)
    return Store(open_engine(choice.db), actor=os.environ.get("JIFEN_ACTOR", ""))


_HELD: list = []  # writer locks this command holds until it ends


def hold_writer(db: str) -> None:
    """Take the database's writer lock for the rest of this command, or refuse (StoreError)."""
    from db.errors import StoreError
    from db.writer import WriterLock, refusal

    lock = WriterLock(db)
    if not lock.try_acquire():
        raise StoreError(refusal(lock.holder()))
    _HELD.append(lock)


def release_writer() -> None:
    while _HELD:
        _HELD.pop().release()


def _refused(exc: Exception) -> int:
    for line in capped(str(exc).splitlines()):
        _err(line)
    return 1


def cmd_demo(args: argparse.Namespace) -> int:
    from tui.demo_home import open_demo

    return open_demo(args)


def run_console(choice: Choice) -> int:
    """The console on the chosen database, remembered for `jifen --last` once it opened."""
    from db.errors import StoreError
    from tui.places import remember

    if not choice.exists():
        return _refused(StoreError(choice.missing()))
    try:
        from tui.app import JifenApp

        app = JifenApp(db_path=choice.db)
    except StoreError as exc:
        return _refused(exc)
    remember(choice)
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
            from tui.schemefile import resolve_scheme

            # a file, checked before any database is made; not one: the built-ins are listed
            scheme_id = resolve_scheme(args.scheme).id
            with open(args.scheme, encoding="utf-8-sig") as fh:
                text = fh.read()
    except SchemeError as exc:
        _err(f"积分方案“{args.scheme}”不能使用，未建立数据库：")
        return _refused(exc)
    try:
        _store(args, create=True, write=True).init_branch(args.branch, scheme_id, text, args.year)
    except StoreError as exc:
        return _refused(exc)
    from tui.places import remember

    remember(args.choice)
    print(f"已建立：{args.branch} {args.year}年度，积分方案 {scheme_id}")
    print(f"数据库：{args.choice.said()}")
    print(f"打开控制台：{args.choice.open_command()}")
    return 0


def cmd_members_import(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from db.imports import import_members

    try:
        n = import_members(_store(args, write=True), args.file)
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
    from tui.cli_columns import columns

    rows = []
    for m in members:
        extra = "，免于积分管理" + (f"（{m.exempt_reason}）" if m.exempt_reason else "") if m.exempt else ""
        rows.append([str(m.seq), m.name, m.gender, m.birth_month, STATUS_LABELS.get(m.status, m.status),
                     f"{m.post}{extra}"])
    for line in columns(rows, right={0}):  # by display width: names of 2, 3, 4 characters line up
        print(line)
    return 0


def cmd_items_import(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from db.imports import import_items

    try:
        n = import_items(_store(args, write=True), args.file, args.year)
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


def _parse_quarter(label: str) -> QuarterRef:
    """'2026Q3' as a quarter, or the refusal in Chinese."""
    from db.errors import StoreError

    try:
        return QuarterRef.parse(label)
    except ValueError:
        raise StoreError(f"季度“{label}”的写法不对，应写成 2026Q3 这样") from None


def cmd_items_add(args: argparse.Namespace) -> int:
    from db.errors import StoreError

    kinds = {"加分": "bonus", "减分": "deduction", "评分": "score", "一票否决": "veto"}
    try:
        store = _store(args, write=True)
        quarter = _parse_quarter(args.quarter)
        entry_id = store.add_entry(quarter, _member_id(store, args.member), kinds.get(args.kind, args.kind),
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

    try:
        store = _store(args)
        quarter = _parse_quarter(args.quarter)
        member = _member_id(store, args.member) if args.member else None
        names = {m.id: m.name for m in store.members(include_left=True)}
        rows = store.entries(quarter, member)
    except StoreError as exc:
        return _refused(exc)
    from tui.cli_columns import columns

    lines = []
    for e in rows:
        item = f"[{e.item_code}{'·' + e.level if e.level else ''}] " if e.item_code else ""
        lines.append([f"#{e.id}", str(names.get(e.member_id, e.member_id)), KIND_LABELS.get(e.kind, e.kind),
                      show(e.points), e.status, f"{item}{e.note}"])
    for line in columns(lines, right={3}):  # by display width, as the names are Chinese
        print(line)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from db.errors import StoreError

    expect = args.expect or ""
    try:
        store = _store(args)
        problems = store.verify(expect)
        anchor = store.anchor(expect) if expect else None
        years = store.years()
        locked = sum(1 for y in years for q in store.quarters(y) if q.state == QuarterState.LOCKED)
        # What else the chains hold, so the line says everything it vouches for.
        appeals = sorted({c.appeal for y in years for c in store.corrections(y)})
        approved = [y for y in years if store.approval(y) is not None]
    except StoreError as exc:
        return _refused(exc)
    if problems:
        for line in capped(problems):
            _err(line)
        return 1
    held = [f"已锁定 {locked} 个季度"]
    if appeals:
        held.append(f"会后更正 {len(appeals)} 次（申诉第{'、'.join(map(str, appeals))}号）")
    if approved:
        held.append(f"{'、'.join(map(str, approved))}年度等次批复")
    print(f"核验通过：{'、'.join(held)}，校验码链完整")
    if anchor is not None:
        label, place, length = anchor
        later = length - place
        print(f"与会议记录上的校验码相符：它是 {label} 的校验码（校验码链第 {place} 个，共 {length} 个）"
              + ("，是最后一次锁定。" if not later else
                 f"；其后锁定的 {later} 个季度不在这个校验码的担保之内，请再用最近一次会议记录上的校验码核验。"))
    return 0


NO_CONTACT = ("公示表上的联系人、联系电话留有空线待手填；登记后会印在表上："
              "jifen branch contact --name 姓名 --phone 电话")


def cmd_branch_contact(args: argparse.Namespace) -> int:
    from db.errors import StoreError

    try:
        if args.clear and (args.name or args.phone):
            raise StoreError("--clear 不能与 --name、--phone 同用")
        if args.clear or args.name is not None or args.phone is not None:
            store = _store(args, write=True)
            store.set_contact("" if args.clear else args.name or "", "" if args.clear else args.phone or "")
            print("已清除公示表联系人" if args.clear else f"已登记公示表联系人：{args.name}，{args.phone}")
            return 0
        name, phone = _store(args).branch_contact()
    except StoreError as exc:
        return _refused(exc)
    print(f"公示表联系人：{name}，联系电话：{phone}" if name else NO_CONTACT)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from db.errors import StoreError
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
            q = _parse_quarter(args.quarter)
            year, number = q.year, q.number
        elif args.year:
            year = args.year
        else:
            raise StoreError("请用 --quarter 2026Q3 或 --year 2026 指明季度或年度")
        if kind == "minutes":
            if number is None:
                raise StoreError("会议记录按季度生成：请用 --quarter 指明季度")
            _need(suffix, (".pdf",))
            from exports.minutes import write_minutes

            path = write_minutes(store, year, number, out, draft=args.draft)
        elif kind in ("publicity", "ledger"):
            from exports.forms import ledger_table, publicity_table, write_ledger, write_publicity

            if suffix == ".pdf":
                path = (write_publicity(store, year, number, out, args.holidays, draft=args.draft, posted=args.posted)
                        if kind == "publicity" else write_ledger(store, year, out, draft=args.draft))
                if kind == "publicity" and not any(store.branch_contact()):
                    print(NO_CONTACT)
            else:
                _need(suffix, (".pdf", ".xlsx", ".csv"))
                from exports.sheets import write_table

                table = (publicity_table(store, year, number, draft=args.draft) if kind == "publicity"
                         else ledger_table(store, year, draft=args.draft))
                path = write_table(table, out)
        elif kind == "personal":
            _need(suffix, (".pdf",))
            from exports.forms import write_personal

            path = write_personal(store, year, out, args.member, draft=args.draft)
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


def main(argv: list[str] | None = None) -> int:
    """The `jifen` command. Whatever goes wrong that no command foresaw ends in one Chinese line
    naming a log file that holds the details, never a traceback; Ctrl+C in "已取消"."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        _err("已取消")
        return 130
    except Exception as exc:  # the last line of defence: anything a command did not foresee
        _err(_unexpected(exc, sys.argv[1:] if argv is None else argv))
        return 1
    finally:
        release_writer()


_COMMAND_WORDS = {"compute", "schemes", "demo", "init", "members", "items", "export", "verify", "branch",
                  "list", "show", "check", "import", "add", "contact", "evaluation", "codes", "serve", "close",
                  "results", "year", "open", "appeal", "answer", "review", "review-answer",
                  "grade", "set", "approve", "bundle", "committee", "report", "document", "branches"}


def log_path() -> str:
    """The log file beside the user's other jifen folders (JIFEN_LOG_DIR overrides the folder)."""
    folder = os.environ.get("JIFEN_LOG_DIR")
    if not folder:
        from platformdirs import user_log_path

        folder = str(user_log_path("jifen", appauthor=False))
    return os.path.join(folder, "jifen.log")


def _unexpected(exc: BaseException, argv: list[str]) -> str:
    """Write the traceback to the log; the one line to show. The log falls back to the temporary
    folder when the user's log folder cannot be written."""
    import tempfile
    import traceback
    from datetime import datetime

    words = [w for w in argv if w in _COMMAND_WORDS][:2]
    what = " ".join(["jifen", *words])
    detail = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    detail = detail if len(detail) <= 120 else detail[:117] + "..."
    record = (f"==== {datetime.now().isoformat(timespec='seconds')}  jifen {' '.join(argv)}\n"
              + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    for path in (log_path(), os.path.join(tempfile.gettempdir(), "jifen.log")):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(record)
        except OSError:
            continue
        return f"{what} 意外出错，未能完成（{detail}）；详细信息已写入 {path}"
    return f"{what} 意外出错，未能完成（{detail}）；详细信息也无法写入日志文件"


def _main(argv: list[str] | None = None) -> int:
    import signal

    from db.errors import StoreError
    from tui.places import choose

    if hasattr(signal, "SIGPIPE"):  # `jifen items list | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    parser = build_parser()
    args = parser.parse_args(argv)
    # --db before the command and --db after it are the same option; two different ones are a mistake.
    top, below = args.top_db, getattr(args, "sub_db", None)
    if top and below and top != below:
        parser.error(f"--db 写了两次且不相同：{top} 和 {below}")
    try:
        args.choice = choose(below or top, args.last)
    except StoreError as exc:
        return _refused(exc)
    args.db = args.choice.db
    if not getattr(args, "func", None):
        return run_console(args.choice)
    if ":" in args.func:  # a command in a module of its own ("tui.cli_evaluation:cmd_codes")
        import importlib

        module, name = args.func.split(":")
        return int(getattr(importlib.import_module(module), name)(args))
    return int(globals()[f"cmd_{args.func}"](args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
