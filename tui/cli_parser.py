"""The `jifen` command line's grammar, in Chinese: every help text, and argparse's own words
(用法, 错误, missing arguments, invalid choices). Option and command names stay English: they
are the interface scripts rely on.

argparse fetches its words through a module-level `_` (and `ngettext`) each time it speaks.
`ChineseParser` swaps those two for a lookup in ZH while it builds, parses or prints, and puts
them back afterwards, so nothing else in the process (pytest's own parser, say) is affected and
no gettext catalogue is needed. A word argparse adds in a later Python falls back to English.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "subcommands": "命令",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多一个值",
    "expected at least one argument": "至少需要一个值",
    "expected %s argument": "需要 %s 个值",
    "expected %s arguments": "需要 %s 个值",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的值（应为 %(type)s）",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是：%(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "参数 %s 必须给出其中一个",
    "ignored explicit argument %r": "多余的值 %r",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "没有命令 %(parser_name)r（可选：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
    "unexpected option string: %s": "意外的选项：%s",
    "option '%(option)s' is deprecated": "选项“%(option)s”已不再使用",
}


def _zh(text: str) -> str:
    return ZH.get(text, text)


def _zh_n(singular: str, plural: str, n: int) -> str:
    return _zh(singular if n == 1 else plural)


@contextmanager
def _chinese() -> Iterator[None]:
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _zh, _zh_n  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class ChineseParser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Chinese; its subparsers are of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with _chinese():
            super().__init__(*args, **kwargs)

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        with _chinese():
            return super().parse_known_args(*args, **kwargs)

    def parse_args(self, *args: Any, **kwargs: Any) -> Any:
        with _chinese():
            return super().parse_args(*args, **kwargs)

    def format_usage(self) -> str:
        with _chinese():
            return super().format_usage()

    def format_help(self) -> str:
        import re

        with _chinese():
            text = super().format_help()
        # argparse ends a section heading with an ASCII colon; Chinese takes the full-width one.
        return re.sub(r"^(\S[^\n]*):$", r"\1：", text, flags=re.M)

    def add_subparsers(self, **kwargs: Any) -> Any:
        with _chinese():
            return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        with _chinese():
            super().error(message)


def _whole(kind: str, low: int, high: int) -> Callable[[str], int]:
    """A whole number between low and high, or a Chinese refusal naming the option."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"应为整数，不是“{_said(text)}”") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{kind}应在 {low} 到 {high} 之间，不是“{_said(text)}”")
        return value
    parse.__name__ = kind
    return parse


def _said(text: str) -> str:
    """What the user typed, shortened when absurdly long."""
    return text if len(text) <= 24 else text[:21] + "..."


def points(text: str) -> Decimal:
    """--points: a finite decimal number (a trailing 分 allowed). The scheme's own bounds (its
    points.limit, the item's range, three places at most) are the store's check, as for imports."""
    plain = text.strip().removesuffix("分")
    try:
        value = Decimal(plain) if len(plain) <= 40 else Decimal("NaN")
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():  # abc, NaN, inf, -Infinity, an empty string
        raise argparse.ArgumentTypeError(f"应为数字（如 5 或 0.5），不是“{_said(text)}”")
    if value < 0:
        raise argparse.ArgumentTypeError(f"分值不能为负数（“{_said(text)}”）；减分请用 --kind 减分，分值写正数")
    return value


def day(text: str) -> date:
    """--posted: a date written 2026-09-28 (or 2026/9/28, 2026年9月28日)."""
    import re

    m = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*", text)
    try:
        if m is None:
            raise ValueError
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为日期（如 2026-09-28），不是“{_said(text)}”") from None


YEAR = _whole("年度", 1949, 2200)
MONTH = _whole("月份", 1, 12)
COPIES = _whole("份数", -(10**9), 10**9)  # how many the ballots allow is theirs to say (1-500)

DB_HELP = "数据库文件或 postgresql:// 地址（默认：环境变量 JIFEN_DB，否则用户数据目录中的 jifen.db）"
COMMITTEE_DB_HELP = "党委汇总数据库：文件或 postgresql:// 地址（必须写明；不会用支部的默认数据库）"


def build_parser() -> argparse.ArgumentParser:
    """The grammar; each command's `func` is the name of its `cmd_*` function in tui.cli."""
    p = ChineseParser(prog="jifen", description="党员积分制管理 党员大会控制台。不带命令时打开控制台。",
                      epilog="--db 可以写在命令前或命令后，两处写法相同。")
    p.add_argument("--db", dest="top_db", metavar="数据库", help=DB_HELP)
    p.add_argument("--last", action="store_true",
                   help="使用上次打开的数据库（控制台、jifen init、jifen demo 会记下它）")
    sub = p.add_subparsers(dest="command", metavar="命令", title="命令", help="jifen 命令 --help 显示该命令的用法")

    db = ChineseParser(add_help=False)
    # SUPPRESS: a --db after the command only exists when written, so it never hides one before it.
    db.add_argument("--db", dest="sub_db", metavar="数据库", default=argparse.SUPPRESS, help=DB_HELP)

    c = sub.add_parser("compute", help="按 JSON 给出的支部年度数据计算积分（见 spec/COMPUTE.md）")
    c.add_argument("case", metavar="案例.json")
    c.add_argument("--explain", action="store_true", help="同时给出每人各项分数的依据")
    c.set_defaults(func="compute")

    s = sub.add_parser("schemes", help="内置积分方案和方案文件")
    ss = s.add_subparsers(dest="schemes_command", metavar="操作", title="操作", required=True)
    ss.add_parser("list", help="列出内置积分方案").set_defaults(func="schemes_list")
    show = ss.add_parser("show", help="显示积分方案的规则和事项清单")
    show.add_argument("scheme", metavar="方案编号或文件")
    show.set_defaults(func="schemes_show")
    check = ss.add_parser("check", help="检查积分方案文件")
    check.add_argument("file", metavar="文件")
    check.set_defaults(func="schemes_check")

    d = sub.add_parser("demo", parents=[db], help="打开示范支部（固定保存在用户数据目录，再次运行时接着上次的会议）")
    d.add_argument("--no-tui", action="store_true", help="只准备示范数据库，不打开控制台")
    d.add_argument("--fresh", action="store_true", help="丢弃示范数据库中的一切，重新生成")
    d.add_argument("--yes", action="store_true", help="与 --fresh 同用：不再询问")
    d.add_argument("--branch", metavar="名称",
                   help="另建一个示范支部（自己的党员、积分和会议），写入 --db 指定的新数据库，只生成、不打开控制台；"
                        "党委汇总演示可循环生成多个支部")
    d.add_argument("--seed", type=_whole("种子", 0, 10**9), default=0, metavar="N",
                   help="与 --branch 同用：同一名称和种子生成同样的数据库（默认 0）")
    d.set_defaults(func="demo")

    i = sub.add_parser("init", parents=[db], help="建立党支部和年度，选定积分方案")
    i.add_argument("--branch", required=True, metavar="名称", help="党支部名称")
    i.add_argument("--scheme", required=True, metavar="方案编号或文件",
                   help="内置方案编号（见 jifen schemes list）或方案文件")
    i.add_argument("--year", required=True, type=YEAR, metavar="年度", help="如 2026")
    i.set_defaults(func="init")

    mem = sub.add_parser("members", help="党员名册")
    ms = mem.add_subparsers(dest="members_command", metavar="操作", title="操作", required=True)
    mi = ms.add_parser("import", parents=[db], help="从 CSV 或 XLSX 导入名册（姓名、性别、出生年月、职务、党员类别）")
    mi.add_argument("file", metavar="文件")
    mi.set_defaults(func="members_import")
    ms.add_parser("list", parents=[db], help="列出名册").set_defaults(func="members_list")

    it = sub.add_parser("items", help="积分事项")
    its = it.add_subparsers(dest="items_command", metavar="操作", title="操作", required=True)
    ii = its.add_parser("import", parents=[db], help="从 CSV 或 XLSX 导入积分事项")
    ii.add_argument("file", metavar="文件")
    ii.add_argument("--year", required=True, type=YEAR, metavar="年度", help="如 2026")
    ii.set_defaults(func="items_import")
    ia = its.add_parser("add", parents=[db], help="登记一项积分事项")
    ia.add_argument("--quarter", required=True, metavar="季度", help="如 2026Q3")
    ia.add_argument("--member", required=True, metavar="姓名")
    ia.add_argument("--kind", required=True, metavar="类型",
                    help="加分/减分/评分/一票否决（或 bonus/deduction/score/veto）")
    ia.add_argument("--points", type=points, metavar="分值", help="如 5 或 0.5")
    ia.add_argument("--item", metavar="编号", help="事项编号，如 J1.1")
    ia.add_argument("--level", metavar="级别", help="县(市)级/市级/省级/…")
    ia.add_argument("--category", metavar="类别")
    ia.add_argument("--month", type=MONTH, metavar="月份")
    ia.add_argument("--note", metavar="事由")
    ia.add_argument("--evidence", metavar="依据材料")
    ia.set_defaults(func="items_add")
    il = its.add_parser("list", parents=[db], help="列出一个季度的积分事项")
    il.add_argument("--quarter", required=True, metavar="季度", help="如 2026Q3")
    il.add_argument("--member", metavar="姓名")
    il.set_defaults(func="items_list")

    ex = sub.add_parser("export", parents=[db], help="生成文件：会议记录、公示表、个人清单、台账、测评票")
    ex.add_argument("document", choices=["minutes", "publicity", "personal", "ledger", "ballots"], metavar="文件类型",
                    help="minutes 会议记录、publicity 公示表、personal 个人清单、ledger 工作台账、ballots 空白测评票")
    ex.add_argument("--quarter", metavar="季度", help="如 2026Q3")
    ex.add_argument("--year", type=YEAR, metavar="年度")
    ex.add_argument("--member", metavar="姓名", help="只生成这位党员的个人清单")
    ex.add_argument("--copies", type=COPIES, default=1, metavar="份数", help="空白测评票的份数")
    ex.add_argument("--draft", action="store_true",
                    help="季度或年度尚未锁定时生成草稿：每页标注“草稿（未锁定）”，只计已确认的积分事项")
    ex.add_argument("--posted", type=day, metavar="日期",
                    help="公示表的张贴日期（如 2026-09-28）：公示期自该日起计算；默认自党员大会后第一个工作日起")
    ex.add_argument("--holidays", metavar="文件", help="补充假日和调休上班日（TOML）；默认在用户配置目录")
    ex.add_argument("--font", metavar="字体文件",
                    help="PDF 用的中文字体（.ttf/.ttc/.otf）；默认：JIFEN_FONT，再找系统字体")
    ex.add_argument("--out", required=True, metavar="输出文件", help=".pdf，或 .xlsx / .csv")
    ex.set_defaults(func="export")

    br = sub.add_parser("branch", help="党支部信息")
    bs = br.add_subparsers(dest="branch_command", metavar="操作", title="操作", required=True)
    bc = bs.add_parser("contact", parents=[db], help="公示表上的联系人和联系电话（不带参数时显示当前登记的）")
    bc.add_argument("--name", metavar="姓名", help="联系人姓名")
    bc.add_argument("--phone", metavar="电话", help="联系电话，如 0371-12345678")
    bc.add_argument("--clear", action="store_true", help="清除已登记的联系人（公示表上留空待手填）")
    bc.set_defaults(func="branch_contact")

    ev = sub.add_parser("evaluation", help="手机民主测评：测评码、测评服务、结束本轮、测评结果")
    es = ev.add_subparsers(dest="evaluation_command", metavar="操作", title="操作", required=True)
    round_ = _whole("轮次", 1, 9)
    codes = es.add_parser("codes", parents=[db], help="生成一次性测评码（PDF 纸条或每行一个码的 .txt）")
    codes.add_argument("--quarter", required=True, metavar="季度", help="如 2026Q4")
    codes.add_argument("--round", type=round_, default=1, metavar="轮次")
    codes.add_argument("--count", type=_whole("测评码个数", 1, 500), required=True, metavar="个数",
                       help="到会参加测评的人数（每人一个码）")
    codes.add_argument("--host", metavar="地址", help="测评服务的地址（纸条上的二维码用）；默认本机第一个局域网地址")
    codes.add_argument("--port", type=_whole("端口", 1, 65535), default=8765, metavar="端口")
    codes.add_argument("--out", required=True, metavar="输出文件", help=".pdf 或 .txt")
    codes.set_defaults(func="tui.cli_evaluation:cmd_codes")
    serve = es.add_parser("serve", parents=[db], help="在本机启动手机测评服务（Ctrl+C 停止）")
    serve.add_argument("--quarter", required=True, metavar="季度", help="如 2026Q4")
    serve.add_argument("--round", type=round_, default=1, metavar="轮次")
    serve.add_argument("--host", default="0.0.0.0", metavar="地址", help="监听的地址；默认本机全部地址")
    serve.add_argument("--port", type=_whole("端口", 1, 65535), default=8765, metavar="端口")
    serve.set_defaults(func="tui.cli_serve:cmd_serve")
    close = es.add_parser("close", parents=[db], help="结束本轮测评：不再收票，公布结果")
    close.add_argument("--quarter", required=True, metavar="季度", help="如 2026Q4")
    close.add_argument("--round", type=round_, default=1, metavar="轮次")
    close.set_defaults(func="tui.cli_evaluation:cmd_close")
    results = es.add_parser("results", parents=[db], help="测评结果（JSON：收回、空白、无效、每人各等次票数）")
    results.add_argument("--quarter", required=True, metavar="季度", help="如 2026Q4")
    results.add_argument("--round", type=round_, default=1, metavar="轮次")
    results.set_defaults(func="tui.cli_evaluation:cmd_results")

    yr = sub.add_parser("year", help="年度：开始下一年度")
    ys = yr.add_subparsers(dest="year_command", metavar="操作", title="操作", required=True)
    yo = ys.add_parser("open", parents=[db], help="开始下一年度：建立四个季度，名册转入，沿用或更换积分方案",
                       description="开始下一年度。上一年度第四季度须已锁定（年度结果在锁定时记下，供新年度的两年规则使用）。"
                                   "名册中未转出的党员转入新年度；免于积分管理按年度决定，上一年度的予以取消，"
                                   "除非用 --keep-exempt 写明支部已决定继续的党员。")
    yo.add_argument("year", type=YEAR, metavar="年度", help="如 2027（只能是最近一个年度的下一年）")
    yo.add_argument("--scheme", metavar="方案编号或文件",
                    help="新年度的积分方案：内置方案编号或方案文件（按 jifen schemes check 检查）；默认沿用上一年度的")
    yo.add_argument("--keep-exempt", action="append", metavar="姓名",
                    help="支部已决定本年度继续免于积分管理的党员（可写多次）")
    yo.set_defaults(func="tui.cli_year:cmd_year_open")

    from tui.cli_appeal import add_parsers as appeal_parsers

    appeal_parsers(sub, db)

    _grade_commands(sub, db)

    from tui.cli_bundle import add_parsers as bundle_parsers

    bundle_parsers(sub, db)
    _committee_commands(sub, db)

    v = sub.add_parser("verify", parents=[db], help="核验全部已锁定季度的校验码链")
    v.add_argument("--expect", metavar="校验码",
                   help="会议记录上印的本记录校验码（全部 64 位，或至少前 12 位）：校验码链中须有一次锁定与之相符")
    v.set_defaults(func="verify")
    return p


def _committee_commands(sub: Any, db: argparse.ArgumentParser) -> None:
    """`jifen committee import|report`: each operation's parser is added by its own module."""
    from tui.cli_committee import add_parsers as committee_parsers
    from tui.cli_committee_report import add_parsers as report_parsers

    # The committee's commands take the same --db, but never a default database: say so in their help.
    cdb = ChineseParser(add_help=False)
    cdb.add_argument("--db", dest="sub_db", metavar="数据库", default=argparse.SUPPRESS, help=COMMITTEE_DB_HELP)
    operations = committee_parsers(sub, cdb)  # `committee import` (tui.cli_committee)
    report_parsers(operations, cdb)  # `committee report` (tui.cli_committee_report)


def _grade_commands(sub: Any, db: argparse.ArgumentParser) -> None:
    """`jifen grade list|set|approve`: the year's grading (tui.cli_grading)."""
    g = sub.add_parser("grade", help="年度定级：拟定等次、党员大会决定、党委批复")
    gs = g.add_subparsers(dest="grade_command", metavar="操作", title="操作", required=True)
    gl = gs.add_parser("list", parents=[db], help="列出年度等次：系统拟定、党员大会决定、最终等次，优秀名额")
    gl.add_argument("--year", type=YEAR, required=True, metavar="年度")
    gl.set_defaults(func="tui.cli_grading:cmd_list")
    st = gs.add_parser("set", parents=[db], help="第四季度党员大会上改定一名党员的等次（须写明理由）")
    st.add_argument("--year", type=YEAR, required=True, metavar="年度")
    st.add_argument("--member", required=True, metavar="姓名")
    st.add_argument("--grade", required=True, metavar="等次", help="如 优秀、合格；写回拟定等次即取消改定")
    st.add_argument("--reason", default="", metavar="理由")
    st.set_defaults(func="tui.cli_grading:cmd_set")
    ap = gs.add_parser("approve", parents=[db], help="记录党委对年度等次的批复（第四季度锁定后）")
    ap.add_argument("--year", type=YEAR, required=True, metavar="年度")
    ap.add_argument("--date", type=day, required=True, metavar="日期", help="批复日期，如 2027-01-10")
    ap.add_argument("--text", required=True, metavar="批复内容")
    ap.add_argument("--change", action="append", default=[], metavar="姓名=等次",
                    help="党委批复的等次与党员大会不同的党员，可写多次")
    ap.set_defaults(func="tui.cli_grading:cmd_approve")
