"""`jifen grade list|set|approve`: the year's grading from the command line — the engine's
proposal with the 优秀 cap, the Q4 meeting's decisions, and the 党委's 批复 after the lock."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from db.grading import YearGrades


def _fail(message: str) -> int:
    for line in message.splitlines():
        print(line, file=sys.stderr)
    return 1  # a refusal, as the other commands'


def grade_lines(g: YearGrades) -> list[str]:
    """The year's grades as lines for a terminal: one member a line, then the cap and the 批复."""
    from tui.cli_columns import columns
    from tui.grading_ties import ties_later, ties_shown

    later = ties_later(g)
    g = ties_shown(g)  # ties raised from the Q4 meeting on, as in the console
    state = {"open": "第四季度党员大会尚未开始", "meeting": "第四季度党员大会进行中，可改定等次",
             "locked": "第四季度已锁定"}.get(g.q4, g.q4)
    table = [["序号", "姓名", "总分", "名次", "系统拟定", "党员大会", g.heading, "说明"]]
    for k, r in enumerate(g.rows, 1):
        notes = []
        if r.overridden:
            notes.append(f"党员大会改定：{r.reason}")
        if r.changed:
            notes.append("党委批复改定")
        if r.corrected:
            notes.append(f"批复后经申诉更正，按更正后的积分应为{r.corrected}，请报党委决定")
        if r.tie:
            notes.append("并列跨过名额，由党员大会决定")
        if r.probation:
            notes.append(r.probation.sentence().split("：", 1)[1])
        elif r.why:
            notes.append("依据：" + r.why[0])
        table.append([str(k), r.name, r.total or "—", str(r.rank or "—"), r.proposed or "—", r.decided or "",
                      r.final or ("不定等次" if r.status == "probationary" else "—"), "；".join(notes)])
    out = [f"{g.year}年度等次（{state}）", *columns(table, right={0, 2, 3})]
    out.append(g.cap_line())
    if later:
        out.append(later)
    if g.undecided:
        out.append(f"积分方案未规定等次，须由党员大会确定：{'、'.join(g.undecided)}")
    if g.approval:
        a = g.approval
        out.append(f"党委批复：{a.approved_on:%Y-%m-%d}，{a.text}（校验码 {a.digest[:12]}…）")
    else:
        out.append("党委尚未批复：以上等次均为拟定")
    return out


def cmd_list(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from tui.cli import _store

    try:
        g = _store(args).year_grades(args.year)
    except StoreError as exc:
        return _fail(str(exc))
    for line in grade_lines(g):
        print(line)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from tui.cli import _member_id, _store

    try:
        store = _store(args, write=True)
        store.set_grade(args.year, _member_id(store, args.member.strip()), args.grade, args.reason)
        g = store.year_grades(args.year)
        r = g.row(args.member.strip())
    except StoreError as exc:
        return _fail(str(exc))
    said = f"，理由：{r.reason}" if r.overridden else "（与系统拟定相同）"
    print(f"{r.name}的年度等次定为{r.final}{said}")
    print(g.cap_line())
    return 0


def _changes(given: list[str]) -> dict[str, str]:
    from db.errors import StoreError

    out: dict[str, str] = {}
    for item in given:
        name, eq, grade = item.partition("=")
        if not eq or not name.strip() or not grade.strip():
            raise StoreError(f"--change 应写成 姓名=等次（如 张伟=合格），不是“{item}”")
        if name.strip() in out:
            raise StoreError(f"--change 中“{name.strip()}”写了两次")
        out[name.strip()] = grade.strip()
    return out


def cmd_approve(args: argparse.Namespace) -> int:
    from db.errors import StoreError
    from tui.cli import _store

    try:
        changes = _changes(args.change)
        store = _store(args, write=True)
        digest = store.approve_grades(args.year, args.date, args.text, changes)
    except StoreError as exc:
        return _fail(str(exc))
    print(f"已记录党委对{args.year}年度等次的批复（{args.date:%Y-%m-%d}）"
          + (f"，改定{len(changes)}人：" + "、".join(f"{n}为{g}" for n, g in changes.items()) if changes else ""))
    print(f"批复校验码：{digest}")
    return 0
