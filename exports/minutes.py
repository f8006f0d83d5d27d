"""会议记录: the minute of a quarterly 党员大会, as it goes into the branch's files."""

from __future__ import annotations

import os
from pathlib import Path

from core.labels import KIND_LABELS, RATING_LABELS
from core.numbers import show
from db.store import Store, quarter_name


def _absence(name: str, reason: str, opinion: str) -> str:
    return f"{name}（{reason}" + (f"，书面意见：{opinion}" if opinion else "") + "）"


def write_minutes(store: Store, year: int, number: int, out: str | os.PathLike) -> Path:
    from exports.document import Document, cn_datetime

    branch = store.branch_name()
    scheme = store.scheme(year)
    qname = quarter_name(year, number)
    meeting = store.meeting(year, number)
    facts = {f["id"]: f for f in store.members_at(year, number)}
    doc = Document(f"{branch}党员大会会议记录（{qname}）", author=branch)
    doc.add_page()
    doc.title_block(f"{branch}党员大会会议记录", f"（{qname}）")

    if meeting is None:
        doc.para(f"{qname}党员大会尚未召开。")
        return doc.save(out)

    q = store.quorum(year, number)
    absent = "、".join(_absence(a.name, a.reason, a.opinion) for a in q.absentees) or "无"
    excused = [f["name"] for f in facts.values() if f["meeting_exempt"]]
    doc.fields([
        ("时间", cn_datetime(meeting.held_at)),
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

    # --- the quarter's figures --------------------------------------------------------------------
    board = store.board(year, explain=False, upto=number)
    doc.heading(f"一、{qname}党员积分情况")
    doc.para(f"积分方案：{scheme.name}（{scheme.document}）。积分为截至本季度末的累计值。", size=9.5)
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
    votes = store.votes(year, number)
    entries = {e.id: e for e in store.entries(year, number)}
    doc.heading("二、有异议事项的表决")
    if not votes:
        doc.para("本季度没有有异议的积分事项。")
    for k, v in enumerate(votes, 1):
        e = entries.get(v.entry_id)
        if e is None:
            continue
        name = facts.get(e.member_id, {}).get("name", "")
        cited = scheme.item(e.item_code) if e.item_code else None
        what = f"{name} {KIND_LABELS.get(e.kind, e.kind)} {show(e.points)}分：{e.note}"
        clause = f"（依据：{cited.clause}）" if cited else ""
        written = ""
        if v.written_yes or v.written_no or v.written_abstain:
            written = f"；另计缺席党员书面意见赞成{v.written_yes}份、反对{v.written_no}份、弃权{v.written_abstain}份"
        doc.para(f"{k}. {what}{clause}")
        doc.para(f"　　表决结果：赞成{v.yes}票，反对{v.no}票，弃权{v.abstain}票{written}。应到会有表决权的党员"
                 f"{v.expected}人，赞成须超过半数即至少{v.expected // 2 + 1}票，{'通过' if v.passed else '未通过'}"
                 "（中国共产党支部工作条例（试行）第十一条）。", size=10)

    # --- democratic evaluation --------------------------------------------------------------------
    ratings = store.ratings_of_quarter(year, number)
    doc.heading("三、民主评议")
    if not ratings:
        doc.para("本次会议未进行民主评议。")
    for rnd in sorted(ratings):
        s = store.ballot_summary(year, number, rnd)
        head = f"第{rnd}轮：" if scheme.evaluation.rounds > 1 else ""
        doc.para(f"{head}发出测评票{s['issued'] or '（未登记）'}张，收回{s['returned']}张，"
                 f"有效{s['valid']}张，空白{s['blank']}张。")
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
    doc.para("拟定等次依据积分方案的等次规则由系统计算，预备党员参加评议但不评定等次；"
             "最终等次以党组织审定为准。", size=9.5)

    # --- the lock ---------------------------------------------------------------------------------
    lock = store.lock_of(year, number)
    doc.heading("四、数字摘要")
    if lock is None:
        doc.para("本季度尚未锁定。")
    else:
        doc.para(f"本季度已于{cn_datetime(lock.locked_at)}锁定。锁定后本季度记录不可更改，可用 jifen verify 核验。",
                 size=10)
        doc.set_font("cjk", size=9)
        doc.para(f"本季度数字摘要（SHA-256）：{lock.digest}", size=9)
        doc.para(f"上一季度数字摘要：{lock.previous_digest or '无（本支部首次锁定）'}", size=9)
    doc.signatures(["主持人", "记录人"])
    return doc.save(out)
