"""会议记录: the minute of a quarterly 党员大会, as it goes into the branch's files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.labels import FLAG_LABELS, KIND_LABELS, RATING_LABELS
from core.numbers import show
from core.quarter import QuarterRef
from db.store import Store

if TYPE_CHECKING:
    from core.engine import YearResult


def _absence(name: str, reason: str, opinion: str) -> str:
    return f"{name}（{reason}" + (f"，书面意见：{opinion}" if opinion else "") + "）"


def _agenda_record(doc, store: Store, year: int, number: int, agenda: list[str]) -> None:
    """Under each agenda item: 发言要点, 不同意见 and the 决议, as the recorder took them down."""
    notes = store.agenda_notes(QuarterRef(year, number))
    if not notes:
        doc.para("（各项议题未记录发言要点和决议。）")
        return
    doc.heading("会议记录")
    for i, item in enumerate(agenda, 1):
        mine = [n for n in notes if n.item == i]
        doc.para(f"议题{i}：{item}", keep_with_next=True)
        speeches = [n for n in mine if n.kind == "speech"]
        dissent = [n for n in mine if n.kind == "dissent"]
        resolution = next((n.text for n in mine if n.kind == "resolution"), "")
        for n in speeches:
            doc.para(f"　　{n.speaker}发言：{n.text}")
        if not speeches:
            doc.para("　　发言要点：无记录")
        for n in dissent:
            doc.para(f"　　不同意见（{n.speaker}）：{n.text}")
        if not dissent:
            doc.para("　　不同意见：无")
        doc.para(f"　　决议：{resolution or '（未作决议）'}")


def write_minutes(store: Store, year: int, number: int, out: str | os.PathLike, draft: bool = False) -> Path:
    from exports.document import Document, cn_datetime
    from exports.finality import quarter_finality

    fin = quarter_finality(store, QuarterRef(year, number), draft)
    branch = store.branch_name()
    scheme = store.scheme(year)
    qname = QuarterRef(year, number).name
    meeting = store.meeting(QuarterRef(year, number))
    facts = {f["id"]: f for f in store.members_at(QuarterRef(year, number))}
    doc = Document(f"{branch}党员大会会议记录（{qname}）", author=branch, mark=fin.mark, layout="record")
    doc.add_page()
    doc.title_block(f"{branch}党员大会会议记录", f"（{qname}）")
    if fin.note():
        doc.para(fin.note())

    if meeting is None:
        doc.para(f"{qname}党员大会尚未召开。")
        return doc.save(out)

    q = store.quorum(QuarterRef(year, number))
    absent = "、".join(_absence(a.name, a.reason, a.opinion) for a in q.absentees) or "无"
    excused = [f["name"] for f in facts.values() if f["meeting_exempt"]]
    if meeting.ended_at is None:
        ended = "开始（散会时间未记录）"
    elif meeting.ended_at.date() == meeting.held_at.date():
        ended = f"开始，{meeting.ended_at:%H:%M}散会"
    else:
        ended = f"开始，{cn_datetime(meeting.ended_at)}散会"
    doc.fields([
        ("时间", cn_datetime(meeting.held_at) + ended),
        ("地点", meeting.place),
        ("主持人", meeting.host),
        ("记录人", meeting.recorder),
        ("应到", f"{q.expected}人" + (f"（{'、'.join(excused)}经批准不参加会议，不计入应到人数）" if excused else "")),
        ("实到", f"{q.present}人"),
        ("缺席", f"{q.absent}人" + (f"：{absent}" if q.absent else "")),
        ("列席", meeting.observers or "无"),
    ])
    verdict = "超过半数，会议有效，可以进行表决" if q.has_quorum else "未超过半数，会议不能作出决定"
    doc.para(f"本支部有表决权的党员应到{q.voting_expected}人，实到{q.voting_present}人，{verdict}。"
             "预备党员参加会议，有发言权，无表决权。")
    agenda = [a for a in meeting.agenda.splitlines() if a.strip()]
    doc.heading("会议议题")
    for i, item in enumerate(agenda or ["通报本季度党员积分情况"], 1):
        doc.para(f"{i}. {item}")
    _agenda_record(doc, store, year, number, agenda)

    # --- the quarter's figures --------------------------------------------------------------------
    board = store.board(year, upto=number, settled=fin.settled)  # with reasons: the follow-up list cites them
    doc.heading(f"一、{qname}党员积分情况")
    doc.para(f"积分方案：{scheme.name}（{scheme.document}）。积分为截至本季度末的累计值。")
    rows = []
    for i, m in enumerate(sorted(board.members, key=lambda r: facts.get(int(r.id), {}).get("seq", 0)), 1):
        if m.exempt:
            rows.append([i, m.name, "免于积分管理", "", "", "", ""])
            continue
        assert m.parts is not None  # only an exempt member has none
        p = m.parts[number - 1]
        rows.append([i, m.name, show(p.base), show(p.bonus), show(p.deduction), show(m.total), m.rank])
    doc.grid(["序号", "姓名", "基础分", scheme.bonus.label, scheme.deduction.label, "合计", "名次"], rows,
             [12, 30, 24, 24, 24, 24, 18])

    # --- contested entries ------------------------------------------------------------------------
    votes = store.votes(QuarterRef(year, number))
    entries = {e.id: e for e in store.entries(QuarterRef(year, number))}
    objections: dict[int, list] = {}
    for o in store.objections(QuarterRef(year, number)):
        objections.setdefault(o.entry_id, []).append(o)
    doc.heading("二、有异议事项的表决")
    if not votes:
        doc.para("本季度没有付诸表决的有异议事项。")
    for k, v in enumerate(votes, 1):
        e = entries.get(v.entry_id)
        if e is None:
            continue
        name = facts.get(e.member_id, {}).get("name", "")
        cited = scheme.item(e.item_code) if e.item_code else None
        what = f"{name} {KIND_LABELS.get(e.kind, e.kind)} {show(e.points)}分：{e.note}"
        clause = ""
        if cited is not None:
            basis = _basis(cited.cite if cited.clause else "", cited.reading)
            clause = f"（{cited.code}，{basis}）" if basis else f"（{cited.code}）"
        written = ""
        if v.written_yes or v.written_no or v.written_abstain:
            written = f"；另计缺席党员书面意见赞成{v.written_yes}份、反对{v.written_no}份、弃权{v.written_abstain}份"
        doc.para(f"{k}. {what}{clause}", keep_with_next=True)
        for o in objections.get(v.entry_id, []):
            doc.para(f"　　异议：{o.raised_by}提出，理由：{o.reason}" + ("（后撤回）" if o.withdrawn else ""))
        doc.para(f"　　表决结果（{v.method}表决）：赞成{v.yes}票，反对{v.no}票，弃权{v.abstain}票{written}。"
                 "应到会有表决权的党员"
                 f"{v.expected}人，赞成须超过半数即至少{v.expected // 2 + 1}票，{'通过' if v.passed else '未通过'}"
                 "（中国共产党支部工作条例（试行）第十一条）。")

    voted = {v.entry_id for v in votes}
    unvoted = [(eid, os_) for eid, os_ in objections.items() if eid not in voted and eid in entries]
    if unvoted:
        doc.para("未付诸表决的异议：", keep_with_next=True)
        for eid, os_ in unvoted:
            e = entries[eid]
            name = facts.get(e.member_id, {}).get("name", "")
            for o in os_:
                doc.para(f"　　{name} {KIND_LABELS.get(e.kind, e.kind)} {show(e.points)}分：{e.note}。{o.raised_by}提出"
                         f"异议，理由：{o.reason}"
                         + ("；异议已撤回。" if o.withdrawn else "；事项现为“" + e.status + "”。"))

    # --- democratic evaluation --------------------------------------------------------------------
    ratings = store.ratings_of_quarter(QuarterRef(year, number))
    doc.heading("三、民主评议")
    if not ratings:
        doc.para("本次会议未进行民主评议。")
    for rnd in sorted(ratings):
        s = store.ballot_summary(QuarterRef(year, number), rnd)
        head = f"第{rnd}轮：" if scheme.evaluation.rounds > 1 else ""
        reasons = store.void_reasons(QuarterRef(year, number), rnd)
        why = "（" + "；".join(f"{r}{n}张" for r, n in reasons.items()) + "）" if reasons else ""
        doc.para(f"{head}发出测评票{s['issued'] or '（未登记）'}张，收回{s['returned']}张，"
                 f"有效{s['valid']}张，无效{s['void']}张{why}，空白{s['blank']}张。无效票计入收回票数，不计入评定。")
        rows = []
        by_id = {int(r.id): r for r in board.members}
        for mid, f in sorted(facts.items(), key=lambda kv: kv[1]["seq"]):
            if f["exempt"]:
                continue
            c = ratings[rnd].get(mid, {})
            r = by_id.get(mid)
            grade = (r.grade or ("不定等次" if f["status"] == "probationary" else "—")) if r else "—"
            rows.append([len(rows) + 1, f["name"], *[c.get(label, 0) for label in RATING_LABELS],
                         show(r.evaluation) if r else "—", grade])
        doc.grid(["序号", "姓名", *RATING_LABELS, "评议分", "拟定等次"], rows, [12, 28, 18, 18, 20, 20, 22, 28])
    if not scheme.grading.grades:
        doc.para("本积分方案未规定党员等次，等次由党支部在年度民主评议中确定。")
    else:
        doc.para("拟定等次依据积分方案的等次规则由系统计算，预备党员参加评议但不评定等次；"
                 "最终等次以党组织审定为准。")
    _consequences(doc, board, facts)

    # --- the lock ---------------------------------------------------------------------------------
    lock = store.lock_of(QuarterRef(year, number))
    doc.heading("四、数字摘要")
    if lock is None:
        doc.para("本季度尚未锁定。")
    else:
        doc.para(f"本季度已于{cn_datetime(lock.locked_at)}锁定。锁定后本季度记录不可更改，可用 jifen verify 核验。")
        doc.set_font("cjk", size=9)
        doc.para(f"本季度数字摘要（SHA-256）：{lock.digest}", size=9)
        doc.para(f"上一季度数字摘要：{lock.previous_digest or '无（本支部首次锁定）'}", size=9)
    doc.signatures(["主持人", "记录人"])
    return doc.save(out)


# Flags that ask the branch to act; each is printed with its reason, 依据 and 说明.
ACTION_FLAGS = ("talk_required", "disposal_review", "tie_at_limit", "month_unscored")


def _consequences(doc: Any, board: YearResult, facts: dict[int, dict[str, Any]]) -> None:
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
    doc.para("按积分方案需跟进的事项（按截至本季度的积分）：", keep_with_next=True)
    for (flag, clause, reading), who in groups.items():
        basis = _basis(clause, reading)
        cited = f"（{basis}）" if basis else ""
        doc.para(f"　　{FLAG_LABELS[flag]}{cited}：" + "；".join(who) + "。")


def _basis(clause: str, reading: str) -> str:
    """依据 (the seed's words) and 说明 (the scheme's reading), as the minute prints them."""
    return "；".join([*([f"依据：{clause}"] if clause else []), *([f"说明：{reading}"] if reading else [])])
