"""会议记录: the minute of a quarterly 党员大会, as it goes into the branch's files.

The minute prints everything the store holds about the meeting: its facts and attendance, what
was said under each agenda item (发言要点, 不同意见, 决议), the quarter's figures, each contested
entry with its vote (exports/minute_votes.py), the evaluation, the lock's 校验码 in words a 党委
can check, the signatures kept with the end of the text, and the roll call as an attached
签到表 (exports/signin.py). A part that did not happen is one plain sentence."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.labels import FLAG_LABELS, RATING_LABELS
from core.numbers import show
from core.quarter import QuarterRef
from db.store import Store
from exports.corrections import minute_note
from exports.minute_text import sentence
from exports.minute_votes import basis, document_title, write_votes
from exports.parts import EARNED, part_headings, part_values
from exports.signin import SIGNIN_TITLE, write_signin

if TYPE_CHECKING:
    from core.engine import YearResult
    from db.tables import Lock, Meeting
    from exports.document import Document

def _absence(name: str, reason: str, opinion: str) -> str:
    return f"{name}（{reason or '未说明原因'}" + (f"，书面意见：{opinion}" if opinion else "") + "）"


def _meeting_time(meeting: Meeting) -> str:
    from exports.document import cn_date, cn_datetime

    held = cn_datetime(meeting.held_at)
    if meeting.ended_at is None:
        return f"{held}开始（散会时间未记录）"
    if meeting.ended_at.date() == meeting.held_at.date():
        return f"{held}开始，{meeting.ended_at:%H:%M}散会"
    return f"{held}开始，{cn_date(meeting.ended_at)} {meeting.ended_at:%H:%M}散会"


def _agenda_record(doc: Document, store: Store, quarter: QuarterRef, agenda: list[str]) -> None:
    """Under each agenda item, every one: 发言要点, 不同意见 and the 决议, as the recorder took
    them down; an item with nothing recorded says so in one sentence."""
    notes = store.agenda_notes(quarter)
    doc.heading("一、议题讨论和决议")
    for i, item in enumerate(agenda, 1):
        mine = [n for n in notes if n.item == i]
        speeches = [n for n in mine if n.kind == "speech"]
        dissent = [n for n in mine if n.kind == "dissent"]
        resolution = next((n.text for n in mine if n.kind == "resolution"), "")
        doc.para(f"（{_CN[i - 1] if i <= len(_CN) else i}）{item}", keep_with_next=True)
        if not mine:
            doc.para("　　本议题未记录发言和决议。")
            continue
        if speeches:
            doc.para("　　发言要点：", keep_with_next=True)
            for n in speeches:
                doc.para(f"　　{n.speaker}：{sentence(n.text)}")
        else:
            doc.para("　　本议题未记录发言。")
        if dissent:
            for n in dissent:
                doc.para(f"　　不同意见：{n.speaker}{'' if n.text.startswith(('认为', '提出', '建议')) else '认为'}"
                         f"{sentence(n.text)}")
        else:
            doc.para("　　不同意见：无。")
        doc.para(f"　　决议：{sentence(resolution) if resolution else '本议题未作决议。'}")


_CN = "一二三四五六七八九十"


def _figures(doc: Document, store: Store, year: int, number: int, board: YearResult,
             facts: dict[int, dict[str, Any]]) -> None:
    scheme = store.scheme(year)
    qname = QuarterRef(year, number).name
    cumulative = scheme.points.method == "cumulative"
    doc.heading(f"二、党员积分情况（{'截至本季度末累计' if cumulative else '截至本季度末'}）")
    if cumulative:
        note = f"表中各项为{year}年1月1日至{qname}末的累计值。"
    else:
        note = (f"表中{EARNED}、{scheme.bonus.label}为本季度各月的平均，合计为本年度截至本季度末的平均分"
                "（季度积分为季内各月积分的平均分）。")
    doc.para(f"积分方案：{scheme.name}（{scheme.document}）。{note}")
    rows = []
    for i, m in enumerate(sorted(board.members, key=lambda r: facts.get(int(r.id), {}).get("seq", 0)), 1):
        if m.exempt:
            rows.append([i, m.name, "免于积分管理", *[""] * (len(part_headings(scheme)) - 1), "", ""])
            continue
        assert m.parts is not None  # only an exempt member has none
        p = m.parts[number - 1]
        rows.append([i, m.name, *(show(v) for v in part_values(scheme, p)), show(m.total), m.rank])
    figures = part_headings(scheme)
    doc.grid(["序号", "姓名", *figures, "合计", "名次"], rows,
             [12, 30, *[72 / len(figures)] * len(figures), 24, 18])
    _consequences(doc, board, facts, document_title(scheme))


def _evaluation(doc: Document, store: Store, quarter: QuarterRef, board: YearResult,
                facts: dict[int, dict[str, Any]]) -> None:
    """四、民主评议: the ballots' counts and the proposed grades, or one sentence."""
    scheme = store.scheme(quarter.year)
    ratings = store.ratings_of_quarter(quarter)
    doc.heading("四、民主评议")
    if not ratings:
        doc.para("本次会议未进行民主评议。")
        return
    # The year's last meeting decides the grades: its decisions stand in the table and are said below it.
    grading = store.year_grades(quarter.year) if quarter.number == 4 else None
    for rnd in sorted(ratings):
        s = store.ballot_summary(quarter, rnd)
        head = f"第{rnd}轮：" if scheme.evaluation.rounds > 1 else ""
        reasons = store.void_reasons(quarter, rnd)
        why = "（" + "；".join(f"{r}{n}张" for r, n in reasons.items()) + "）" if reasons else ""
        doc.para(f"{head}发出测评票{s['issued'] or '（未登记）'}张，收回{s['returned']}张，"
                 f"有效{s['valid']}张，无效{s['void']}张{why}，空白{s['blank']}张。无效票计入收回票数，不计入评定。")
        rows: list[list[Any]] = []
        by_id = {int(r.id): r for r in board.members}
        decided = {r.member_id: r.decided for r in grading.rows if r.decided} if grading else {}
        for mid, f in sorted(facts.items(), key=lambda kv: kv[1]["seq"]):
            if f["exempt"]:
                continue
            c = ratings[rnd].get(mid, {})
            r = by_id.get(mid)
            grade = (decided.get(mid) or r.grade or ("不定等次" if f["status"] == "probationary" else "—")) \
                if r else "—"
            rows.append([len(rows) + 1, f["name"], *[c.get(label, 0) for label in RATING_LABELS],
                         show(r.evaluation) if r else "—", grade])
        doc.grid(["序号", "姓名", *RATING_LABELS, "评议分", "拟定等次"], rows, [12, 28, 18, 18, 20, 20, 22, 28])
    changed = [r for r in grading.rows if r.overridden] if grading else []
    if changed:
        said = [f"{r.name}由{r.proposed or '未定等次'}定为{r.decided}，理由：{r.reason.rstrip('。')}" for r in changed]
        doc.para("党员大会对拟定等次作出不同决定：" + "；".join(said) + "。")
    if not scheme.grading.grades:
        doc.para("本积分方案未规定党员等次，等次由党支部在年度民主评议中确定。")
    else:
        doc.para("拟定等次按积分方案的等次规则计算；预备党员不评定等次；最终等次以党组织审定为准。")


def _integrity(doc: Document, lock: Lock | None) -> None:
    """五、记录核验: the lock's SHA-256 as 本记录校验码, in groups a person can read aloud, and
    how a 党委 checks it; a draft says the code comes with the lock."""
    from exports.document import cn_datetime

    doc.heading("五、记录核验")
    if lock is None:
        doc.para("本季度尚未锁定，锁定后生成校验码。")
        return
    doc.para(f"本季度记录已于{cn_datetime(lock.locked_at)}锁定，锁定后不能再更改。本记录校验码为：",
             keep_with_next=True)
    doc.para(f"　　{grouped(lock.digest)}")
    doc.para(f"上一季度校验码：{grouped(lock.previous_digest) if lock.previous_digest else '无（本支部首次锁定）'}")
    doc.para("校验码（SHA-256）由锁定时本季度的全部记录（党员名单、积分事项、签到、异议、表决、议题记录、"
             "测评结果等）算出，并包含上一季度的校验码，记录中任何一处改动都会使校验码不同。"
             f"党委核验时，在本支部的积分数据库上运行“jifen verify --expect {lock.digest[:16]}”"
             "（校验码的前16位，也可输入全部64位）：显示“核验通过”并与本记录的校验码相符，"
             "即证明本记录所依据的数据锁定后未被改动。")


def grouped(digest: str, size: int = 8) -> str:
    """a21a1760 86322b04 …: the hex in groups of `size`, to be read aloud and copied by hand."""
    return " ".join(digest[i:i + size] for i in range(0, len(digest), size))


def write_minutes(store: Store, year: int, number: int, out: str | os.PathLike, draft: bool = False) -> Path:
    from exports.document import Document
    from exports.finality import quarter_finality

    quarter = QuarterRef(year, number)
    fin = quarter_finality(store, quarter, draft)
    branch = store.branch_name()
    qname = quarter.name
    meeting = store.meeting(quarter)
    facts = {f["id"]: f for f in store.members_at(quarter)}
    doc = Document(f"{branch}党员大会会议记录（{qname}）", author=branch, mark=fin.mark, layout="record")
    doc.add_page()
    doc.title_block(f"{branch}党员大会会议记录", f"（{qname}）")
    if fin.note():
        doc.para(fin.note())

    if meeting is None:
        doc.para(f"{qname}党员大会尚未召开。")
        return doc.save(out)

    q = store.quorum(quarter)
    absent = "、".join(_absence(a.name, a.reason, a.opinion) for a in q.absentees)
    excused = [f["name"] for f in facts.values() if f["meeting_exempt"]]
    agenda = [a.strip() for a in meeting.agenda.splitlines() if a.strip()] or ["通报本季度党员积分情况"]
    observers = "、".join(o.strip() for o in meeting.observers.splitlines() if o.strip())
    doc.fields([
        ("时间", _meeting_time(meeting)),
        ("地点", meeting.place),
        ("主持人", meeting.host),
        ("记录人", meeting.recorder),
        ("应到", f"{q.expected}人" + (f"（{'、'.join(excused)}经批准不参加会议，不计入应到人数）" if excused else "")),
        ("实到", f"{q.present}人"),
        ("缺席", f"{q.absent}人：{absent}" if q.absent else "无"),
        ("列席", observers or "无"),
        ("会议议题", "\n".join(f"{i}. {item}" for i, item in enumerate(agenda, 1))),
    ])
    verdict = "超过半数，会议有效，可以进行表决" if q.has_quorum else "未超过半数，会议不能作出决定"
    probationary = any(f["status"] == "probationary" for f in facts.values())
    doc.para(f"本支部有表决权的党员应到{q.voting_expected}人，实到{q.voting_present}人，{verdict}。"
             + ("预备党员参加会议，有发言权，无表决权。" if probationary else "")
             + ("签到情况见附件。"))
    _agenda_record(doc, store, quarter, agenda)

    # With reasons: the follow-up list cites them. The figures its meeting was told: corrections
    # made since are appended as a note (exports.corrections), the record stays as it was held.
    held_on = meeting.held_at.date()
    board = store.board(year, upto=number, settled=fin.settled, amended_before=held_on)
    _figures(doc, store, year, number, board, facts)
    write_votes(doc, store, quarter, facts)
    _evaluation(doc, store, quarter, board, facts)
    if fin.final:
        minute_note(doc, store, year, number, held_on, facts)

    lock = None if not fin.final else store.lock_of(quarter)

    def end(d: Document) -> None:
        _integrity(d, lock)
        d.ln(2)
        d.para(f"附件：{SIGNIN_TITLE}")
        d.signatures(["主持人", "记录人"])

    doc.kept_together(end)  # the code and what it means on the signed page
    write_signin(doc, store, quarter, meeting, facts, branch)
    return doc.save(out)


# Flags that ask the branch to act; each is printed with its reason, 依据 and 说明.
ACTION_FLAGS = ("talk_required", "disposal_review", "tie_at_limit", "month_unscored")


def _consequences(doc: Any, board: YearResult, facts: dict[int, dict[str, Any]], title: str = "") -> None:
    """The scheme's consequences the figures call for (谈心谈话, 报上级审核处置, ties the meeting
    decides, months not scored), as at this quarter's figures: one paragraph per rule, its 依据
    and 说明 once, then the members with their own reasons."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for r in board.members:
        for flag in ACTION_FLAGS:
            why = r.why(f"flag:{flag}") if flag in r.flags else []
            if why:
                name = facts.get(int(r.id), {}).get("name", r.name)
                groups.setdefault((flag, why[0].clause, why[0].reading), []).append(f"{name}（{why[0].text}）")
    if not groups:
        return
    doc.para("按积分方案需跟进的事项（按截至本季度末的积分）：", keep_with_next=True)
    for (flag, clause, reading), who in groups.items():
        said = basis(clause, reading, title)
        cited = f"（{said}）" if said else ""
        doc.para(f"　　{FLAG_LABELS[flag]}{cited}：" + "；".join(who) + "。")
