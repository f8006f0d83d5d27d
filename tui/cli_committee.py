"""`jifen committee --db URL`: the committee's console (tui.committee_app); `jifen committee
import --db URL FILE...`: bundles into the committee database (committee.store), each file its
own all-or-nothing transaction."""

from __future__ import annotations

import argparse

from tui.cli import _err, _refused

USAGE = 2


def cmd_committee(args: argparse.Namespace) -> int:
    """`jifen committee --db URL`: the committee's console on that database, read-only. Never
    a default database: the branch's own one is not the committee's."""
    if args.choice.source != "--db":
        _err("jifen committee：请用 --db 指明党委汇总数据库（文件或 postgresql:// 地址），打开党委汇总控制台；"
             "或指明操作，如 jifen committee import --db 数据库 报送文件…")
        return USAGE
    if not args.choice.exists():  # a file not there: said here, no console opened for it
        _err(f"党委汇总数据库 {args.choice.shown()} 不存在（jifen committee import --db 数据库 报送文件… 会建立它）")
        return 1
    from tui.committee_app import CommitteeApp

    app = CommitteeApp(args.db)
    app.run()
    if app.refusal:  # the console said it; the command line says it too, for scripts and logs
        _err(app.refusal)
        return 1
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from committee.store import CommitteeStore
    from db.errors import StoreError

    if args.choice.source != "--db":  # never the branch's own default database
        _err("jifen committee import：请用 --db 指明党委汇总数据库（文件或 postgresql:// 地址）")
        return USAGE
    try:
        store = CommitteeStore.open(args.db, create=True)
    except StoreError as exc:
        return _refused(exc)
    refused = 0
    try:
        for path in args.files:
            result = store.import_file(path)
            if result.refused:
                refused += 1
                _err(f"✗ {result.file}：已拒绝，未导入任何内容")
                for line in result.lines:
                    _err(f"  {line}")
            else:
                head = "已导入" if result.status == "imported" else "重复导入，未作改动"
                print(f"✓ {result.file}：{head}（{result.branch} {result.quarter}）")
                for line in result.lines:
                    print(f"  {line}")
    finally:
        store.engine.dispose()
    total = len(args.files)
    print(f"共 {total} 个报送文件：接受 {total - refused} 个，拒绝 {refused} 个")
    return 1 if refused else 0


DOCUMENT_NAMES = {"minute": ("minute.pdf", "会议记录"), "publicity": ("publicity.pdf", "季度公示表")}


def cmd_document(args: argparse.Namespace) -> int:
    """`jifen committee document`: a branch's minute or publicity form as it came in its bundle
    (the copy the branch signed and posted), written to a file for whoever asks the committee."""
    import os
    import tempfile
    from pathlib import Path

    from committee.store import CommitteeStore
    from core.quarter import QuarterRef
    from db.errors import StoreError

    if args.choice.source != "--db":
        _err("jifen committee document：请用 --db 指明党委汇总数据库（文件或 postgresql:// 地址）")
        return USAGE
    try:
        quarter = QuarterRef.parse(args.quarter)
    except ValueError:
        _err(f"--quarter 应为季度，如 2026Q3，不是“{args.quarter}”")
        return USAGE
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        _err(f"--out 应为 .pdf 文件（报送文件中的原件是 PDF），不是“{out.name}”")
        return USAGE
    member, what = DOCUMENT_NAMES[args.what]
    try:
        store = CommitteeStore.open(args.db)
        try:
            known = {b.name: b for b in store.branches()}
            if args.branch not in known:
                raise StoreError(f"汇总数据库中没有“{args.branch}”"
                                 + (f"；已有：{'、'.join(known)}" if known else "；尚未汇入任何报送文件"))
            content = store.document(args.branch, quarter, member)
        finally:
            store.engine.dispose()
        if content is None:
            raise StoreError(f"{args.branch}没有报送{quarter.name}（最后报送：{known[args.branch].last_quarter}）")
        if not out.parent.is_dir():
            raise StoreError(f"文件夹 {out.parent} 不存在")
        # Written whole or not at all: a temporary file beside it, then renamed.
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except StoreError as exc:
        return _refused(exc)
    except OSError as exc:
        _err(f"不能写入 {out}：{exc.strerror or exc}")
        return 1
    print(f"已写出{args.branch}{quarter.name}的{what}（报送原件）：{out}")
    return 0


def cmd_branches(args: argparse.Namespace) -> int:
    """`jifen committee branches`: the branches the committee expects or holds, each with its last
    quarter; --add / --remove change the list of those expected (so one that never reported is
    named 未报送 in the report)."""
    from committee.store import CommitteeStore
    from db.errors import StoreError

    if args.choice.source != "--db":
        _err("jifen committee branches：请用 --db 指明党委汇总数据库（文件或 postgresql:// 地址）")
        return USAGE
    try:
        store = CommitteeStore.open(args.db, create=bool(args.add))
        try:
            if args.add or args.remove:
                added, removed = store.expect(args.add or [], args.remove or [])
                for n in added:
                    print(f"已列入应报送名单：{n}")
                for n in removed:
                    print(f"已从应报送名单中去掉：{n}")
            expected = set(store.expected())
            held = {b.name: b for b in store.branches()}
            names = store.known()
        finally:
            store.engine.dispose()
    except StoreError as exc:
        return _refused(exc)
    if not names:
        print("汇总数据库中还没有党支部：jifen committee branches --add 党支部名称，或汇入报送文件")
        return 0
    from tui.cli_columns import columns

    rows = [["党支部", "应报送名单", "最后报送", "已锁定季度"]]
    for n in names:
        b = held.get(n)
        rows.append([n, "是" if n in expected else "否", b.last_quarter if b else "尚未报送",
                     str(b.quarters) if b else "0"])
    for line in columns(rows, right={3}):
        print(line)
    return 0


def add_parsers(sub: argparse._SubParsersAction, db: argparse.ArgumentParser) -> argparse._SubParsersAction:
    """`jifen committee` and its `import`; returns the operations' subparsers so `committee report`
    (tui.cli_committee_report) can add itself (see tui.cli_parser._committee_commands)."""
    c = sub.add_parser("committee", parents=[db],
                       help="党委：汇总控制台、汇入各党支部的报送文件、汇总表（汇总数据库，PostgreSQL 或 SQLite）",
                       description="党委汇总数据库：各党支部的已锁定季度，经核验后汇入。"
                                   "jifen committee --db 数据库 打开党委汇总控制台（只读）。")
    c.set_defaults(func="tui.cli_committee:cmd_committee")
    cs = c.add_subparsers(dest="committee_command", metavar="操作", title="操作")
    im = cs.add_parser("import", parents=[db],
                       help="核验并汇入报送文件：未通过核验、链不接续或与已汇入的分叉的，拒绝且不留任何内容",
                       description="每个报送文件先离线核验，再在一个事务中汇入：校验码链须接续党委已存的本支部记录；"
                                   "同一季度已汇入不同的记录（分叉）或链有缺口的，拒绝并说明原因，不留任何内容；"
                                   "同一文件再次导入不作改动。多个文件各自成败，有任何一个被拒绝时退出码为 1。")
    im.add_argument("files", nargs="+", metavar="报送文件", help="一个或多个 .jifen 文件")
    im.set_defaults(func="tui.cli_committee:cmd_import")
    br = cs.add_parser("branches", parents=[db], help="党支部名单：应报送的党支部、各支部最后报送的季度",
                       description="列出党委应收到报送的党支部和已汇入的党支部；--add 列入应报送名单后，"
                                   "从未报送的党支部也会在汇总表中列为未报送。")
    br.add_argument("--add", action="append", metavar="党支部", help="列入应报送名单（可写多次）")
    br.add_argument("--remove", action="append", metavar="党支部", help="从应报送名单中去掉（可写多次）")
    br.set_defaults(func="tui.cli_committee:cmd_branches")
    doc = cs.add_parser("document", parents=[db], help="取出某支部某季度报送的会议记录或公示表（PDF 原件）",
                        description="报送文件带来的会议记录和季度公示表原样保存在汇总数据库中，可随时取出。")
    doc.add_argument("--branch", required=True, metavar="党支部", help="党支部名称，与报送文件中的相同")
    doc.add_argument("--quarter", required=True, metavar="季度", help="如 2026Q3")
    doc.add_argument("--what", required=True, choices=sorted(DOCUMENT_NAMES), metavar="minute|publicity",
                     help="minute 会议记录，publicity 季度公示表")
    doc.add_argument("--out", required=True, metavar="文件", help="输出的 .pdf 文件")
    doc.set_defaults(func="tui.cli_committee:cmd_document")
    return cs
