"""`jifen committee report --db URL --quarter 2026Q3 --out FILE.(pdf|xlsx|csv)`: the committee's
report of a quarter from the committee database (committee.store.CommitteeStore, the imported
bundles), every figure computed again from the branches' records. Its parser is added under
`jifen committee` by `add_parsers` (called from tui.cli_parser's committee commands)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.quarter import QuarterRef


def _err(line: str) -> int:
    print(line, file=sys.stderr)
    return 2


def cmd_report(args: argparse.Namespace) -> int:
    from committee.report import committee_report
    from committee.report_files import FORMATS, write_report
    from db.errors import StoreError

    try:
        quarter = QuarterRef.parse(args.quarter)
    except ValueError:
        return _err(f"--quarter 应为季度，如 2026Q3，不是“{args.quarter}”")
    suffix = Path(args.out).suffix.lower()
    if suffix not in FORMATS:
        return _err(f"输出文件的扩展名应为 {' / '.join(FORMATS)}，不是“{suffix or '（无）'}”")
    if args.choice.source != "--db":  # never the branch's own default database
        return _err("jifen committee report：请用 --db 指明党委汇总数据库（文件或 postgresql:// 地址）")
    from committee.store import CommitteeStore
    from exports.fonts import FontMissing

    try:
        store = CommitteeStore.open(args.db)
        try:
            records = store.branch_records(quarter)
            known = store.known()
        finally:
            store.engine.dispose()
        report = committee_report(records, quarter, known)
        path = write_report(report, args.out)
    except (StoreError, FontMissing) as exc:
        return _err(str(exc))
    except OSError as exc:
        return _err(f"无法写入 {args.out}：{exc.strerror or exc}")
    names = "、".join(b for b, _ in report.unfigured)
    unfigured = f"，无法计算{len(report.unfigured)}个：{names}" if report.unfigured else ""
    print(f"已生成：{path}（报送支部{len(report.branches)}个，未报送{len(report.missing)}个{unfigured}）")
    return 0


def add_parsers(operations: argparse._SubParsersAction, db: argparse.ArgumentParser) -> None:
    """`jifen committee report` under the committee's operations."""
    r = operations.add_parser("report", parents=[db],
                              help="党委汇总表：各支部党员的积分、拟定等次和提示（PDF、XLSX 或 CSV）",
                              description="从党委汇总数据库中各支部报送的锁定记录重新计算积分（不采用支部自报的数字）："
                                          "每名党员的积分、排名、等次和提示；每个支部的等次分布、低于及格线的党员、"
                                          "已作的更正；同一积分方案的支部之间的排名（同方案排名）；未报送本季度的支部。")
    r.add_argument("--quarter", required=True, metavar="季度", help="如 2026Q3")
    r.add_argument("--out", required=True, metavar="文件", help="输出文件：.pdf、.xlsx 或 .csv")
    r.set_defaults(func="tui.cli_committee_report:cmd_report")
