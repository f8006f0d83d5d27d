"""`jifen appeal add|answer|review|review-answer|list`: appeals (申诉) about a quarter's figures,
the branch's answer, the 复议 to the body the scheme names, and the corrections (更正) an upheld
answer makes after the lock. Refusals print one Chinese line and exit 1, changing nothing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from db.appeals import AppealView
    from exports.deadlines import WorkCalendar


def _fail(exc: Exception) -> int:
    for line in str(exc).splitlines():
        print(line, file=sys.stderr)
    return 1


def _calendar(args: argparse.Namespace) -> WorkCalendar:
    from db.errors import StoreError
    from exports.deadlines import HolidaysFileError, WorkCalendar

    try:
        return WorkCalendar.from_file(args.holidays)
    except HolidaysFileError as exc:
        raise StoreError(f"补充假日文件有误：{exc}") from None


def _cn(day: date | None) -> str:
    from exports.deadlines import chinese_date

    return "—" if day is None else chinese_date(day)


class UsageError(Exception):
    """A combination of options the command does not take (exit 2, as argparse's own)."""


def _fixes(args: argparse.Namespace) -> tuple[list[str], list[tuple[str, str]]]:
    if args.rejected and (args.withdraw or args.points):
        raise UsageError(f"jifen appeal {args.appeal_command}：错误：--withdraw、--points 只能与 --upheld 同用"
                         "（不予支持的答复不更正积分）")

    pairs = []
    for text in args.points or []:
        entry, sep, value = text.partition("=")
        if not sep or not entry.strip() or not value.strip():
            raise UsageError(f"jifen appeal {args.appeal_command}：错误：--points 应写成 事项=分值，"
                             f"如 --points '#67=0.5' 或 --points K3.4=0.5，不是“{text}”")
        pairs.append((entry.strip(), value.strip()))
    return list(args.withdraw or []), pairs


def _said_amendment(number: int, made: object) -> str:
    from db.appeal_tables import Amendment

    assert isinstance(made, Amendment)
    return (f"已记录更正（申诉第{number}号），更正校验码 {made.digest[:12]}…，接在本季度锁定校验码之后；"
            "重新生成本季度文件即按更正后的积分")


def cmd_add(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from tui.cli import _parse_quarter, _store

    try:
        store = _store(args, write=True)
        quarter = _parse_quarter(args.quarter)
        number, due = store.add_appeal(quarter, args.member, args.date, args.text, _calendar(args))
        process = store.scheme(quarter.year).process
    except StoreError as exc:
        return _fail(exc)
    print(f"已登记申诉第{number}号：{args.member}，{args.quarter}，{_cn(args.date)}收到")
    if due is not None:
        print(f"{process.objection_to}应在{process.answer_days}个工作日内、于{_cn(due)}前作出答复")
    else:
        print(f"本积分方案未规定答复期限{('：' + process.answer) if process.answer else ''}")
    return 0


def _answer(args: argparse.Namespace, by_branch: bool) -> int:
    """The branch's answer to an appeal, or the 党委's to its 复议: the same options and output."""
    from db.errors import StoreError
    from tui.cli import _store

    try:
        withdraw, points = _fixes(args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        store = _store(args, write=True)
        record = store.answer_appeal if by_branch else store.answer_review
        made = record(args.number, args.date, args.upheld, args.text, withdraw, points)
        view = next(v for v in store.appeals() if v.number == args.number)
    except StoreError as exc:
        return _fail(exc)
    late = "（逾期）" if view.overdue else ""
    said = "予以支持" if args.upheld else "不予支持"
    what = "党支部对申诉第{}号的答复" if by_branch else f"{view.review_body}对申诉第{{}}号的复议答复"
    print(f"已记录{what.format(args.number)}：{said}，{_cn(args.date)}{late}")
    if made is not None:
        print(_said_amendment(args.number, made))
    return 0


def cmd_answer(args: argparse.Namespace) -> int:
    return _answer(args, by_branch=True)


def cmd_review(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from tui.cli import _store

    try:
        store = _store(args, write=True)
        due = store.review_appeal(args.number, args.date, args.text, _calendar(args))
        view = next(v for v in store.appeals() if v.number == args.number)
    except StoreError as exc:
        return _fail(exc)
    print(f"已登记申诉第{args.number}号的复议申请（{view.review_body}），{_cn(args.date)}收到")
    print(f"{view.review_body}应于{_cn(due)}前作出答复" if due is not None else "本积分方案未规定复议的答复期限")
    return 0


def cmd_review_answer(args: argparse.Namespace) -> int:
    return _answer(args, by_branch=False)


def line_of(v: AppealView) -> str:
    """One appeal on one line: number, member, quarter, dates, state, deadline, outcome."""
    due = v.deadline
    deadline = "无期限" if due is None else f"{due:%Y-%m-%d}前答复" + ("（逾期）" if v.overdue else "")
    dates = f"申诉 {v.filed_on:%Y-%m-%d}"
    if v.answered_on:
        dates += f"，答复 {v.answered_on:%Y-%m-%d}"
    if v.review_on:
        dates += f"，复议 {v.review_on:%Y-%m-%d}"
    if v.review_answered_on:
        dates += f"，复议答复 {v.review_answered_on:%Y-%m-%d}"
    return f"第{v.number}号\t{v.member}\t{v.quarter.label}\t{dates}\t{v.state}\t{deadline}\t{v.outcome or '—'}"


def cmd_list(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from tui.cli import _parse_quarter, _store

    try:
        store = _store(args)
        views = store.appeals(_parse_quarter(args.quarter) if args.quarter else None, open_only=args.open)
    except StoreError as exc:
        return _fail(exc)
    if not views:
        print("没有未答复的申诉" if args.open else "没有申诉")
    for v in views:
        print(line_of(v))
    return 0


def add_parsers(sub: argparse._SubParsersAction, db: argparse.ArgumentParser) -> None:
    """`jifen appeal …` in the command line's grammar (tui.cli_parser)."""
    from tui.cli_parser import day

    number = _number()
    ap = sub.add_parser("appeal", help="申诉、答复、复议，以及锁定后的积分更正",
                        description="党员对季度积分有异议的，向党支部申诉；党支部在方案规定的工作日内答复，"
                                    "予以支持的可撤销事项或更改分值。更正不改动已锁定的记录：它作为更正记录接在"
                                    "本季度锁定校验码之后（jifen verify 一并核验），重新生成的季度文件按更正后的积分"
                                    "并标注“更正（申诉第N号）”。对党支部答复不满意的，可向方案规定的上级党组织申请复议。")
    aps = ap.add_subparsers(dest="appeal_command", metavar="操作", title="操作", required=True)
    holidays = argparse.ArgumentParser(add_help=False)
    holidays.add_argument("--holidays", metavar="文件", help="补充假日和调休上班日（TOML）；默认在用户配置目录")

    add = aps.add_parser("add", parents=[db, holidays], help="登记申诉，显示编号和党支部的答复期限")
    add.add_argument("--quarter", required=True, metavar="季度", help="申诉针对的季度，如 2026Q3（已锁定或已散会）")
    add.add_argument("--member", required=True, metavar="姓名", help="提出申诉的党员")
    add.add_argument("--date", required=True, type=day, metavar="日期", help="党支部收到申诉的日期，如 2026-09-30")
    add.add_argument("--text", required=True, metavar="内容", help="申诉的内容")
    add.set_defaults(func="tui.cli_appeal:cmd_add")

    def outcome(p: argparse.ArgumentParser, who: str) -> None:
        p.add_argument("number", type=number, metavar="编号", help="申诉编号（第N号的N）")
        p.add_argument("--date", required=True, type=day, metavar="日期", help="答复日期")
        g = p.add_mutually_exclusive_group(required=True)
        g.add_argument("--upheld", action="store_true", help=f"{who}予以支持")
        g.add_argument("--rejected", action="store_true", help=f"{who}不予支持")
        p.add_argument("--text", required=True, metavar="内容", help="答复的内容")
        p.add_argument("--withdraw", action="append", metavar="事项",
                       help="予以支持时撤销的积分事项：#编号（jifen items list 所列，如 #67）"
                            "或事项编号（如 K3.4）；可写多次")
        p.add_argument("--points", action="append", metavar="事项=分值",
                       help="予以支持时更改分值，如 --points '#67=0.5' 或 --points K3.4=0.5；可写多次")

    answer = aps.add_parser("answer", parents=[db],
                            help="记录党支部的答复（逾期答复照样记录并标注逾期）；予以支持时可更正积分")
    outcome(answer, "党支部")
    answer.set_defaults(func="tui.cli_appeal:cmd_answer")

    review = aps.add_parser("review", parents=[db, holidays],
                            help="党支部不予支持后，登记向上级党组织（方案规定的复议机关）申请复议，显示答复期限")
    review.add_argument("number", type=number, metavar="编号", help="申诉编号")
    review.add_argument("--date", required=True, type=day, metavar="日期", help="复议机关收到复议申请的日期")
    review.add_argument("--text", required=True, metavar="内容", help="复议申请的内容")
    review.set_defaults(func="tui.cli_appeal:cmd_review")

    review_answer = aps.add_parser("review-answer", parents=[db], help="记录复议机关的答复；予以支持时可更正积分")
    outcome(review_answer, "复议机关")
    review_answer.set_defaults(func="tui.cli_appeal:cmd_review_answer")

    ls = aps.add_parser("list", parents=[db], help="列出申诉：编号、党员、季度、日期、状态、答复期限（逾期标注）、结果")
    ls.add_argument("--quarter", metavar="季度", help="只列这个季度的，如 2026Q3")
    ls.add_argument("--open", action="store_true", help="只列尚未答复的（含复议中）")
    ls.set_defaults(func="tui.cli_appeal:cmd_list")


def _number() -> Callable[[str], int]:
    from tui.cli_parser import _whole

    return _whole("申诉编号", 1, 10**6)
