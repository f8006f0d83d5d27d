"""The forms of the seeds: 季度公示表 and 年度公示表, 个人清单, 工作台账, and blank 民主评议测评表.

Each form's rows come from `rows_*` functions shared with the spreadsheets, so a PDF and
its XLSX/CSV always agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.labels import RATING_LABELS
from core.numbers import show
from core.probation import Probation, probation_of, probation_paragraph
from core.quarter import COUNTED, QuarterRef, QuarterState
from db.store import Store
from exports.corrections import mark_table, personal_entries
from exports.parts import monthly, part_headings, part_values

if TYPE_CHECKING:
    from core.engine import MemberResult
    from core.scheme import Scheme
    from db.grading import YearGrades
    from db.tables import PointsEntry
    from exports.document import Document


def age_on(birth_month: str, day: date) -> int | str:
    """Whole years at `day` from 'YYYY-MM'; blank when the birth month is not known."""
    try:
        y, m = (int(x) for x in birth_month.split("-")[:2])
    except ValueError:
        return ""
    return day.year - y - (1 if day.month < m else 0)


@dataclass(frozen=True)
class Table:
    title: str
    headings: list[str]
    rows: list[list[Any]]  # numbers stay numbers (the spreadsheets keep them so)
    mark: str = ""  # 草稿（未锁定） on a draft
    note: str = ""  # the draft's sentence for its readers
    branch: str = ""  # who and when it is of, for a sheet's second row
    period: str = ""  # 2026年第三季度 / 2026年度
    approval: str = ""  # the year's form once the 党委 has approved the grades: its 批复, cited ("" before)
    probation: str = ""  # the year's form: each 预备党员's conversion on time, with the scheme's clause


def _meeting_day(store: Store, year: int, number: int) -> date:
    mt = store.meeting(QuarterRef(year, number))
    return mt.held_at.date() if mt else store.clock().date()


def publicity_table(store: Store, year: int, number: int | None = None, draft: bool = False) -> Table:
    """季度公示表 (number given) or 年度公示表: the seeds' columns, and the scheme's own
    (评议分, 总分) where its total blends the evaluation. Refused (NotFinal) before the lock
    unless `draft`. Grades are 拟定等次 until the 党委 has decided them."""
    from exports.finality import quarter_finality, year_finality

    scheme = store.scheme(year)  # first: a year without a scheme is told so
    fin = quarter_finality(store, QuarterRef(year, number), draft) if number else year_finality(store, year, draft)
    upto = number or 4
    board = store.board(year, explain=False, upto=upto, settled=fin.settled)
    facts = {f["id"]: f for f in store.members_at(QuarterRef(year, upto))}
    day = _meeting_day(store, year, upto)
    blend = scheme.evaluation.blend != "none"
    headings = ["序号", "党员姓名", "性别", "年龄", "职务", *part_headings(scheme), "合计"]
    if blend:
        headings += [scheme.evaluation.label, "总分"]
    grading = store.year_grades(year) if number is None else None
    if grading is not None:
        headings += ["名次", grading.heading]  # 拟定等次 until the 党委 has approved
    # The grade as decided (by the 党委's 批复, the meeting, else as proposed): once approved,
    # a later correction does not change it here; approval_sentence says what it would be.
    final = {r.member_id: r.final for r in grading.rows} if grading else {}
    probation: list[Probation] = []
    rows: list[list[Any]] = []
    for m in sorted(board.members, key=lambda r: facts.get(int(r.id), {}).get("seq", 0)):
        f = facts.get(int(m.id), {})
        head = [len(rows) + 1, m.name, f.get("gender", ""), age_on(f.get("birth_month", ""), day), f.get("post", "")]
        if m.exempt:
            rows.append([*head, "免于积分管理", *[""] * (len(headings) - len(head) - 1)])
            continue
        assert m.parts is not None and m.year_parts is not None  # only an exempt member has none
        p = m.parts[upto - 1] if number is not None else m.year_parts
        row = [*head, *map(_num, part_values(scheme, p)), _num(p.figure if number else m.points)]
        if blend:
            row += [_num(m.evaluation), _num(m.total)]
        if number is None:
            grade = final.get(int(m.id), m.grade)
            row += [m.rank, grade or ("不定等次" if m.status == "probationary" else "")]
            if m.status == "probationary":
                probation.append(probation_of(scheme, m, str(f.get("status_since", ""))))
        rows.append(row)
    title = "“党员积分制管理”季度公示表" if number else "“党员积分制管理”年度公示表"
    table = Table(title, headings, rows, fin.mark, fin.note(), store.branch_name(), _period(year, number),
                  approval_sentence(grading, scheme.process.review_body) if grading and grading.approval else "",
                  probation_paragraph(probation))
    return mark_table(store, table, year, number)  # 更正（申诉第N号）


def pending_sentence(body: str) -> str:
    return f"以上等次为党支部拟定等次，待{body or '上级党组织'}批复后确定。"


def approval_sentence(grading: YearGrades, body: str) -> str:
    """The year's grades as approved (citing the 批复 and its date), or that they await it."""
    from exports.document import cn_date

    a = grading.approval
    if a is None:
        return pending_sentence(body)
    changed = [r for r in grading.rows if r.changed]
    text = f"以上等次已经{body or '上级党组织'}于{cn_date(a.approved_on)}批复：{a.text.rstrip('。')}。"
    if changed:
        text += "其中" + "、".join(f"{r.name}的等次依批复定为{r.changed}" for r in changed) + "。"
    later = [r for r in grading.rows if r.corrected]
    if later:
        text += ("批复后经申诉更正积分，" + "、".join(f"{r.name}按更正后的积分应为{r.corrected}" for r in later)
                 + f"，待{body or '上级党组织'}决定。")
    return text


def _period(year: int, number: int | None) -> str:
    return f"{year}年第{'一二三四'[number - 1]}季度" if number else f"{year}年度"


def ledger_table(store: Store, year: int, draft: bool = False) -> Table:
    """工作台账: the year's figures, quarter by quarter, for the committee's check. A quarter's
    column holds what its 党员大会 was told (core.engine's quarter figure): for the cumulative
    schemes the year to date at that quarter's end (so headed 一季度累计…), for a monthly
    scheme the mean of that quarter's months. 总分 is shown only where the scheme blends the
    evaluation into it; otherwise it is 合计 again."""
    from exports.finality import year_finality

    scheme = store.scheme(year)
    fin = year_finality(store, year, draft)
    board = store.board(year, explain=False, settled=fin.settled)
    last = max((q.number for q in store.quarters(year) if q.state != QuarterState.OPEN), default=4)
    facts = {f["id"]: f for f in store.members_at(QuarterRef(year, last))}
    day = _meeting_day(store, year, last)
    blend = scheme.evaluation.blend != "none"
    cumulative = scheme.points.method == "cumulative"
    quarters = [f"{q}季度" + ("累计" if cumulative else "") for q in ("一", "二", "三", "四")]
    headings = ["序号", "党员姓名", "性别", "年龄", "职务", *quarters, *part_headings(scheme), "合计"]
    if blend:
        headings += [scheme.evaluation.label, "总分"]
    headings.append("名次")
    rows: list[list[Any]] = []
    for m in sorted(board.members, key=lambda r: facts.get(int(r.id), {}).get("seq", 0)):
        f = facts.get(int(m.id), {})
        head = [len(rows) + 1, m.name, f.get("gender", ""), age_on(f.get("birth_month", ""), day), f.get("post", "")]
        if m.exempt:
            rows.append(head + ["免于积分管理"] + [""] * (len(headings) - len(head) - 1))
            continue
        y = m.year_parts
        assert m.quarters is not None and y is not None  # only an exempt member has none
        row = [*head, *map(_num, m.quarters), *map(_num, part_values(scheme, y)), _num(m.points)]
        if blend:
            row += [_num(m.evaluation), _num(m.total)]
        rows.append([*row, m.rank])
    table = Table("“党员积分制管理”工作台账", headings, rows, fin.mark, fin.note(), store.branch_name(),
                  _period(year, None))
    return mark_table(store, table, year, None)  # 更正（申诉第N号）


def _num(value: Any) -> Any:
    """A figure for a cell: an int when whole, else a float with two places (spreadsheets want numbers)."""
    if value is None:
        return ""
    text = show(value)
    return int(text) if "." not in text and text.lstrip("-").isdigit() else float(text)


# --- PDFs --------------------------------------------------------------------------------------------

def _form_head(doc: Document, store: Store, filled: date) -> None:
    from exports.document import cn_date

    doc.para(f"党支部（盖章）：{store.branch_name()}　　　　填表时间：{cn_date(filled)}")


def write_publicity(store: Store, year: int, number: int | None, out: str | os.PathLike,
                    holidays: str | os.PathLike | None = None, draft: bool = False,
                    posted: date | None = None) -> Path:
    """季度公示表 (number given) or 年度公示表 as a notice: the seed's form, a lead-in with the
    公示期 in working days (from `posted`, else from the first working day after the meeting),
    the scheme's procedure for objections and 复议, the branch's contact and a 落款. A draft
    (not locked) dates nothing: its period runs from the day it is posted."""
    from exports.deadlines import WorkCalendar
    from exports.document import Document
    from exports.notice import notice

    table = publicity_table(store, year, number, draft)
    scheme = store.scheme(year)
    day = _meeting_day(store, year, number or 4)
    final = not table.mark
    period = QuarterRef(year, number).name if number else f"{year}年度"
    publicity = WorkCalendar.from_file(holidays).publicity(scheme.process.publicity_days, day, posted) \
        if final else None
    branch = store.branch_name()
    text = notice(branch, period, scheme.process, publicity, store.branch_contact(),
                  (posted or day) if final else None)
    doc = Document(table.title, author=branch, mark=table.mark)
    doc.add_page()
    doc.title_block(table.title, f"（{period}）")
    if table.note:
        doc.para(table.note)
    _form_head(doc, store, day)
    doc.ln(1)
    doc.para(INDENT + text.lead_in)
    if text.estimate:  # beside the dates it speaks of
        doc.para(INDENT + text.estimate)
    widths = _widths(table.headings)
    doc.grid(table.headings, [[show_cell(c) for c in r] for r in table.rows], widths)
    if number is None:  # the grades: final with the 批复 cited, or still to be approved
        doc.para(INDENT + (table.approval or pending_sentence(scheme.process.review_body)))
    if table.probation:
        doc.para(INDENT + table.probation)
    _closing(doc, text.closing(), text.signed_by, text.signed_on)
    return doc.save(out)


INDENT = "\u3000\u3000"  # a paragraph's first line sits two characters in


def _closing(doc: Document, lines: list[str], signed_by: str, signed_on: str) -> None:
    """The sentences after the table, then the 落款 right-aligned with room above it for the
    seal; kept on one page (moved whole to the next page when they do not fit)."""
    def draw(d: Document) -> None:
        d.ln(2)
        for line in lines:
            d.para(INDENT + line)
        d.ln(14)  # room for the seal (盖章) over the signature
        d.para(signed_by, align="R")
        d.para(signed_on, align="R")

    doc.kept_together(draw)


def show_cell(value: Any) -> str:
    if isinstance(value, float):
        return show(__import__("decimal").Decimal(repr(value)))
    return "" if value is None else str(value)


def _widths(headings: list[str]) -> list[float]:
    """Column widths for an A4 page (166 mm of text): names and posts wider, figures narrow."""
    wide = {"党员姓名": 20.0, "职务": 30.0}
    fixed = {"序号": 9.0, "性别": 9.0, "年龄": 9.0, "名次": 10.0, "等次": 14.0}
    known = sum(wide.get(h, fixed.get(h, 0)) for h in headings)
    rest = [h for h in headings if h not in wide and h not in fixed]
    each = (166 - known) / max(len(rest), 1)
    return [wide.get(h, fixed.get(h, each)) for h in headings]


def write_ledger(store: Store, year: int, out: str | os.PathLike, draft: bool = False) -> Path:
    from exports.document import FONT, Document

    table = ledger_table(store, year, draft)
    doc = Document(table.title, author=store.branch_name(), mark=table.mark, layout="form")
    doc.add_page(orientation="landscape")  # fourteen or sixteen columns do not fit across a portrait page
    doc.title_block(table.title, f"（{year}年度）")
    if table.note:
        doc.para(table.note, size=10)
    doc.para(f"党支部（盖章）：{store.branch_name()}")
    fixed = {"序号": 10.0, "党员姓名": 20.0, "性别": 10.0, "年龄": 10.0, "职务": 44.0, "名次": 12.0}
    each = (doc.epw - 0.1 - sum(fixed.values())) / (len(table.headings) - len(fixed))  # the figures share the rest
    widths = [fixed.get(h, each) for h in table.headings]
    doc.set_font(FONT, "B", 9)
    # A heading too wide for its column breaks after 季度, not inside a word.
    headings = [h.replace("季度累计", "季度\n累计") if doc.get_string_width(h) > each - 2 else h
                for h in table.headings]
    doc.grid(headings, [[show_cell(c) for c in r] for r in table.rows], widths, size=9)
    return doc.save(out)


def write_personal(store: Store, year: int, out: str | os.PathLike, member: str | None = None,
                   draft: bool = False) -> Path:
    """个人清单: each member's entries of the year with the points, one member to a page; a
    draft lists only what the meeting has settled."""
    from core.quarter import SETTLED
    from exports.document import Document
    from exports.finality import year_finality

    scheme = store.scheme(year)
    fin = year_finality(store, year, draft)
    board = store.board(year, explain=False, settled=fin.settled)
    # The year's members as its fourth quarter was locked (as they are, before that lock).
    members = [f for f in store.members_at(QuarterRef(year, 4)) if not f["exempt"]]
    if member:
        members = [f for f in members if f["name"] == member]
        if not members:
            from db.errors import StoreError

            raise StoreError(f"名册中没有需要积分的“{member}”")
    made = store.corrections(year)  # to locked quarters: a draft's figures hold them too
    doc = Document("“党员积分制管理”个人清单", author=store.branch_name(), mark=fin.mark, layout="form")
    for f in members:
        doc.add_page()
        doc.title_block("“党员积分制管理”个人清单", f"（{year}年度）")
        if fin.note():
            doc.para(fin.note(), size=10)
        doc.para(f"所在党支部：{store.branch_name()}　　　党员姓名：{f['name']}")
        counted = [e for e in store.entries(year, member_id=f["id"])
                   if e.status in (SETTLED if fin.settled else COUNTED)]
        counted = personal_entries(counted, made)  # 更正（申诉第N号）
        r = board.member(str(f["id"]))
        if monthly(scheme):
            _monthly_list(doc, scheme, counted, r)
            doc.signatures(["党员确认意见", "支部审核意见", "党委审核意见"])
            continue
        rows: list[list[Any]] = []
        for e in counted:
            plus = e.kind == "bonus"
            reason = e.note
            if e.kind == "veto":
                reason = f"一票否决：{reason}"
            rows.append([len(rows) + 1, f"{e.entered_at:%Y-%m-%d}", "",
                         reason if plus else "", show(e.points) if plus else "",
                         reason if not plus else "", show(e.points) if not plus and e.points is not None else ""])
        if not rows:
            rows.append(["", "", show(scheme.base), "", "", "", ""])
        else:
            rows[0][2] = show(scheme.base)
        doc.grid(["序号", "日期", "基础分", "加分事由", "加分分值", "减分事由", "减分分值"], rows,
                 [10, 22, 14, 44, 16, 44, 16])
        doc.para(f"积分制分值（积分制分值＝基础分＋加分项－减分项）：{show(r.points)}")
        doc.signatures(["党员确认意见", "支部审核意见", "党委审核意见"])
    return doc.save(out)


_MONTHLY_KINDS = {"score": "得分", "deduction": "扣减", "veto": "一票否决"}


def _monthly_list(doc: Document, scheme: Scheme, entries: list[PointsEntry], r: MemberResult) -> None:
    """A monthly scheme's 个人清单: each month's scores by category and its bonuses, as entered
    (a score is what the member earned in a category, not a deduction), then the quarters'
    and the year's figures as the scheme computes them."""
    full = {c.name: c.max for c in scheme.categories}
    rows: list[list[Any]] = []
    for e in sorted(entries, key=lambda e: (e.month or 0, e.id or 0)):
        kind = scheme.bonus.label if e.kind == "bonus" else _MONTHLY_KINDS.get(e.kind, e.kind)
        item = scheme.item(e.item_code) if e.item_code else None
        category = e.category or (item.category if item is not None else None) or ""
        points = "" if e.points is None else show(e.points)
        if e.kind == "score" and category in full:
            points += f"（满分{show(full[category])}）"
        rows.append([len(rows) + 1, f"{e.month}月" if e.month else "", category, e.note, kind, points])
    if not rows:
        rows.append(["", "", "", "本年度没有积分记录", "", ""])
    doc.grid(["序号", "月份", "类别", "事项", "类型", "分值"], rows, [10, 14, 26, 66, 20, 30])
    quarters = "，".join(f"{'一二三四'[i]}季度{show(q) if q is not None else '未评分'}"
                        for i, q in enumerate(r.quarters or ()))
    doc.para(f"季度积分：{quarters}。年度积分：{show(r.points) if r.points is not None else '未评分'}"
             f"（{scheme.points.clause}）。")


# The four ratings of a ballot, one short line each, in the words of 民主评议党员 practice (党章's
# 党员义务, 党员条件, 先锋模范作用); the seeds grade by points and leave a rater's meaning unsaid.
RATING_MEANINGS: tuple[tuple[str, str], ...] = (
    ("优秀", "模范履行党员义务，先锋模范作用发挥好"),
    ("合格", "履行党员义务，能发挥党员作用"),
    ("基本合格", "履行党员义务、发挥作用有一定差距"),
    ("不合格", "不履行党员义务，不符合党员条件"),
)
BALLOT_MARGIN = 15.0  # mm: a ballot has no running head or foot, so its rows get the room
BALLOT_ROW = (5.0, 9.0)  # mm: the lowest and highest row; 40 names fit one page at about 5.6


def ballot_text(store: Store, year: int) -> tuple[list[str], int | None]:
    """The ballot's instructions (one paragraph a line) and the 优秀 limit as a number, None when
    the scheme sets none. The limit is the scheme's share of the full members on the ballot, at
    least one, as the store voids a ballot over it: probationary members are rated but not graded."""
    from core.ballots import excellent_limit

    scheme = store.scheme(year)
    members = store.graded_members(year)
    full = [m for m in members if m.status == "full"]
    share = scheme.evaluation.ballot.excellent_share
    limit = None if share is None else excellent_limit(share, len(full))
    rule = "请在每位党员对应的一栏内划“√”，每人只选一项"
    if limit is not None:
        rule += f"；评为“优秀”的不超过{limit}人，超过的本票无效"
    lines = [rule + "。"]
    if len(full) < len(members):
        lines.append("预备党员参加评议，不评定等次，备注栏注“不定等次”"
                     + ("；对其评为“优秀”的不计入上述人数。" if limit is not None else "。"))
    lines.append("不记名，不在票上作任何记号。填写后折叠，投入票箱。")
    return lines, limit


def write_ballots(store: Store, year: int, out: str | os.PathLike, copies: int = 1) -> Path:
    """Blank 民主评议测评表: one row per member on the ballot, the four ratings, as many copies as
    asked. The copies are identical sheets: no page number, no running head, nothing that
    differs from one copy to the next (a numbered copy could be traced to its voter). The page
    is laid out once and drawn the same way for every copy, with plain cells (500 copies)."""
    from fpdf.enums import XPos, YPos

    from exports.document import FONT, Document, wrap_lines

    if copies < 1 or copies > 500:
        from db.errors import StoreError

        raise StoreError("份数应在1到500之间")
    members = store.graded_members(year)
    paragraphs, _ = ballot_text(store, year)
    probationary = any(m.status != "full" for m in members)
    headings = ["序号", "评议对象", *RATING_LABELS] + (["备注"] if probationary else [])
    rows = [[str(i), m.name, "", "", "", ""] + (["" if m.status == "full" else "不定等次"] if probationary else [])
            for i, m in enumerate(members, 1)]
    doc = Document("民主评议党员测评表", author=store.branch_name(), running=False, layout="form")
    doc.set_margins(BALLOT_MARGIN + 3, BALLOT_MARGIN, BALLOT_MARGIN + 3)
    doc.set_auto_page_break(False)  # rows are placed by hand, the heading row repeated on a new page
    shares = [12.0, 36.0, 22.0, 22.0, 22.0, 22.0] + ([22.0] if probationary else [])
    widths = [w * doc.epw / sum(shares) for w in shares]
    doc.set_font(FONT, size=10)
    text = [line for p in paragraphs for line in wrap_lines(p, doc.epw - 2.5, doc.get_string_width)]
    bottom = doc.h - BALLOT_MARGIN
    high = size = 0.0

    def heading_row() -> None:
        doc.set_font(FONT, "B", size)
        doc.set_fill_color(232)
        for w, h in zip(widths, headings, strict=True):
            doc.cell(w, high, h, border=1, align="C", fill=True)
        doc.ln(high)
        doc.set_fill_color(0)  # back to the default: the next page must start as the first did

    for _ in range(copies):
        doc.add_page()
        doc.title_block("民主评议党员测评表", f"（{year}年度　{store.branch_name()}）")
        doc.set_font(FONT, size=10)
        for line in text:
            doc.cell(0, 5.5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_font(FONT, size=9)
        half = doc.epw / 2
        for k in range(0, len(RATING_MEANINGS), 2):  # the four meanings, two to a line
            for label, meaning in RATING_MEANINGS[k:k + 2]:
                doc.cell(half, 5, f"{label}：{meaning}")
            doc.ln(5)
        doc.ln(1.5)
        if not high:  # rows as high as the first page allows, between BALLOT_ROW's bounds
            room = bottom - doc.get_y() - 0.5
            high = max(BALLOT_ROW[0], min(BALLOT_ROW[1], room / (len(rows) + 1)))
            size = min(11.0, max(7.5, (high - 1.4) * 2.4))
        heading_row()
        for r in rows:
            if doc.get_y() + high > bottom:
                doc.add_page()
                heading_row()
            doc.set_font(FONT, size=size)
            for w, value in zip(widths, r, strict=True):
                fit = size
                while fit > 5.5 and doc.get_string_width(value) > w - 1.5:  # a long name: smaller
                    fit -= 0.5
                    doc.set_font(FONT, size=fit)
                doc.cell(w, high, value, border=1, align="C")
                if fit != size:
                    doc.set_font(FONT, size=size)
            doc.ln(high)
    return doc.save(out)
