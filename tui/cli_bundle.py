"""`jifen bundle` (write a locked quarter's bundle) and `jifen bundle verify FILE` (check one
offline): committee.bundle from the command line."""

from __future__ import annotations

import argparse

from tui.cli import _err, _parse_quarter, _refused, _store

USAGE = 2  # a command written wrongly, as argparse's own refusals


def cmd_bundle(args: argparse.Namespace) -> int:
    from committee.bundle import write_bundle
    from db.errors import StoreError
    from exports.fonts import FontMissing

    if not args.quarter or not args.out:
        _err("jifen bundle：请用 --quarter 指明已锁定的季度（如 2026Q3），用 --out 指明报送文件（如 2026Q3.jifen）；"
             "核验报送文件请用 jifen bundle verify 文件")
        return USAGE
    if not args.out.endswith(".jifen"):
        _err(f"报送文件的扩展名应为 .jifen，不是“{args.out}”")
        return USAGE
    try:
        quarter = _parse_quarter(args.quarter)
        store = _store(args)
        path = write_bundle(store, quarter, args.out, args.holidays)
    except (StoreError, FontMissing) as exc:
        return _refused(exc)
    print(f"已生成报送文件：{path}")
    lock = store.lock_of(quarter)
    print(f"{store.branch_name()} {quarter.label}，校验码 {lock.digest if lock else ''}")
    print(f"党委可离线核验：jifen bundle verify {path.name}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from committee.bundle import BundleError, read_bundle, verify_bundle, vouched

    try:
        bundle = read_bundle(args.file)
    except BundleError as exc:
        return _refused(exc)
    problems = verify_bundle(bundle)
    if problems:
        _err(f"报送文件 {bundle.name} 未通过核验（{len(problems)} 处问题）：")
        for line in problems:
            _err(line)
        return 1
    print("\n".join(vouched(bundle)))
    return 0


def add_parsers(sub: argparse._SubParsersAction, db: argparse.ArgumentParser) -> None:
    """`jifen bundle …` in the command line's grammar (tui.cli_parser)."""
    b = sub.add_parser("bundle", parents=[db],
                       help="报送文件：把已锁定季度的记录和会议文件打包报党委；离线核验报送文件",
                       description="生成报送文件（.jifen）：已锁定季度的锁定记录、直到本支部首次锁定的校验码链、积分方案、"
                                   "更正和批复，以及会议记录和公示表 PDF。党委用 jifen bundle verify 离线核验，"
                                   "用 jifen committee import 汇入党委汇总数据库。")
    b.add_argument("--quarter", metavar="季度", help="已锁定的季度，如 2026Q3")
    b.add_argument("--out", metavar="文件",
                   help="报送文件，如 2026Q3.jifen（先写临时文件，写完才改名，不会留下半个文件）")
    b.add_argument("--holidays", metavar="文件", help="补充假日和调休上班日（TOML），用于公示表的公示期")
    b.set_defaults(func="tui.cli_bundle:cmd_bundle")
    bs = b.add_subparsers(dest="bundle_command", metavar="操作", title="操作")
    v = bs.add_parser("verify", help="离线核验报送文件：只需要这个文件本身")
    v.add_argument("file", metavar="文件", help="报送文件（.jifen）")
    v.set_defaults(func="tui.cli_bundle:cmd_verify")
