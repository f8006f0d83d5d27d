"""Store operations for appeals (申诉) after a quarter's figures are out, and their corrections.

A member appeals about a quarter that is locked (or whose meeting has ended, awaiting its lock);
the branch answers within the scheme's `answer_days` working days of receiving it (the day of
receipt not counted), a late answer is kept and marked 逾期; a member dissatisfied with a
rejection applies for 复议 to the scheme's `review_body`, who answers within `review_days`. An
upheld answer may correct the locked quarter: never by editing its rows, always by an amendment
chained after its lock (db.amendments), which the figures then apply.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.quarter import COUNTED, QuarterRef, QuarterState
from db.amendments import AUDIT_ACTION, Correction, canonical_amendment, chain_head, corrections, link_digest
from db.appeal_tables import Amendment, Appeal
from db.errors import StoreError
from db.store_base import StoreInternals
from db.tables import Meeting, Member, PointsEntry, Quarter, saved_id

if TYPE_CHECKING:
    from core.scheme import Scheme

ANSWER, REVIEW = "answer", "review"


class Workdays(Protocol):
    """The working-day calendar deadlines are counted on (exports.deadlines.WorkCalendar: the
    State Council's holidays and 调休, and the user's holidays.toml); db does not import it."""

    def add_workdays(self, start: date, n: int) -> date: ...


Changes = list[tuple[str, str]]  # (entry, new points) pairs of --points
_ENTRY_ID = re.compile(r"#?\s*(\d+)")


@dataclass(frozen=True)
class AppealView:
    """One appeal as the list and the console show it."""

    number: int
    member: str
    quarter: QuarterRef
    filed_on: date
    text: str
    due_on: date | None
    answered_on: date | None
    upheld: bool | None
    answer_text: str
    review_body: str
    review_on: date | None
    review_due_on: date | None
    review_answered_on: date | None
    review_upheld: bool | None
    corrections: tuple[str, ...]  # what each amendment changed, in words
    today: date

    @property
    def open(self) -> bool:
        """Awaiting the branch's answer or the 复议's."""
        return self.answered_on is None or (self.review_on is not None and self.review_answered_on is None)

    @property
    def deadline(self) -> date | None:
        """The date the pending answer is due (the branch's, or the 复议's once applied for)."""
        return self.review_due_on if self.review_on is not None else self.due_on

    @property
    def overdue(self) -> bool:
        """逾期: open past its deadline, or answered after it."""
        if self.review_on is not None:
            done, due = self.review_answered_on, self.review_due_on
        else:
            done, due = self.answered_on, self.due_on
        return due is not None and (done or self.today) > due

    @property
    def state(self) -> str:
        if self.answered_on is None:
            return "待党支部答复"
        if self.review_on is None:
            return "党支部已答复"
        if self.review_answered_on is None:
            return f"复议中（{self.review_body}）"
        return f"{self.review_body}已复议"

    @property
    def outcome(self) -> str:
        def said(upheld: bool | None) -> str:
            return "予以支持" if upheld else "不予支持"

        if self.answered_on is None:
            return ""
        out = f"党支部{said(self.upheld)}"
        if self.review_answered_on is not None:
            out += f"；{self.review_body}复议{said(self.review_upheld)}"
        if self.corrections:
            out += f"；更正：{'；'.join(self.corrections)}"
        return out


def _said_change(c: dict[str, Any]) -> str:
    item = f"（{c['item']}）" if c.get("item") else ""
    if c.get("withdrawn"):
        return f"撤销事项#{c['entry']}{item}"
    return f"事项#{c['entry']}{item}分值{c.get('was') or '—'}改为{c['points']}"


class AppealOps(StoreInternals):
    """Appeals, their answers and 复议, and the corrections; db.store.Store provides the rest."""

    # --- writes -------------------------------------------------------------------------------

    def add_appeal(self, quarter: QuarterRef, member: str, filed_on: date, text: str,
                   calendar: Workdays) -> tuple[int, date | None]:
        """Record an appeal; its number (申诉第N号) and the date the branch's answer is due
        (None when the scheme sets no deadline): the scheme's answer_days working days after
        the day it was received (that day not counted)."""
        text = text.strip()
        if not text:
            raise StoreError("请写明申诉的内容（--text）")
        with self._tx() as s:
            q = self._quarter(s, quarter)
            held = self._held_on(s, q)
            if filed_on < held:
                raise StoreError(f"申诉日期 {filed_on:%Y-%m-%d} 早于{quarter.name}党员大会（{held:%Y-%m-%d}），"
                                 "申诉针对已通报的积分")
            self._not_future(filed_on, "申诉日期")
            found = [m for m in self._roster(s, q) if m.name == member.strip()]
            if not found:
                raise StoreError(f"{quarter.name}的党员名单中没有“{member}”")
            if len(found) > 1:
                raise StoreError(f"{quarter.name}的党员名单中有{len(found)}位“{member}”")
            days = self._scheme(s, q.year).process.answer_days
            due = None if days is None else calendar.add_workdays(filed_on, days)
            branch = self._branch(s)
            number = int(s.exec(select(func.max(Appeal.number))).one() or 0) + 1
            s.add(Appeal(branch_id=saved_id(branch), number=number, quarter_id=saved_id(q),
                         member_id=saved_id(found[0]), filed_on=filed_on, text=text, due_on=due))
            self._audit(s, "appeal_added", q.id, appeal=number, member=member, filed_on=filed_on, due_on=due)
            return number, due

    def answer_appeal(self, number: int, answered_on: date, upheld: bool, text: str,
                      withdraw: list[str] | None = None, points: Changes | None = None) -> Amendment | None:
        """The branch's answer; when upheld, the corrections (entries withdrawn, points changed)
        become one amendment of the quarter. A late answer is recorded (and shown 逾期)."""
        with self._tx() as s:
            a = self._appeal(s, number)
            if a.answered_on is not None:
                raise StoreError(f"申诉第{number}号已于 {a.answered_on:%Y-%m-%d} 答复，不能再答复")
            self._answer_date(answered_on, a.filed_on, "申诉")
            text = self._answer_text(text, upheld, withdraw, points)
            a.answered_on, a.upheld, a.answer_text = answered_on, upheld, text
            s.add(a)
            made = self._amend(s, a, ANSWER, "党支部", answered_on, withdraw or [], points or [])
            self._audit(s, "appeal_answered", a.quarter_id, appeal=number, answered_on=answered_on, upheld=upheld,
                        late=a.due_on is not None and answered_on > a.due_on)
            return made

    def review_appeal(self, number: int, filed_on: date, text: str,
                      calendar: Workdays) -> date | None:
        """复议: after the branch rejected the appeal, to the body the scheme names. The date
        its answer is due (None when the scheme sets no deadline)."""
        text = text.strip()
        if not text:
            raise StoreError("请写明复议申请的内容（--text）")
        with self._tx() as s:
            a = self._appeal(s, number)
            q = s.get(Quarter, a.quarter_id)
            assert q is not None
            process = self._scheme(s, q.year).process
            if not process.review_body and process.review_days is None:
                raise StoreError("本积分方案没有复议的规定")
            if a.answered_on is None:
                raise StoreError(f"申诉第{number}号党支部尚未答复：复议在党支部答复之后提出")
            if a.upheld:
                raise StoreError(f"申诉第{number}号党支部已予支持，不需复议")
            if a.review_on is not None:
                raise StoreError(f"申诉第{number}号已于 {a.review_on:%Y-%m-%d} 申请复议")
            if filed_on < a.answered_on:
                raise StoreError(f"复议申请日期 {filed_on:%Y-%m-%d} 早于党支部答复（{a.answered_on:%Y-%m-%d}）")
            self._not_future(filed_on, "复议申请日期")
            due = None if process.review_days is None else calendar.add_workdays(filed_on, process.review_days)
            a.review_on, a.review_text, a.review_due_on = filed_on, text, due
            s.add(a)
            self._audit(s, "appeal_review", a.quarter_id, appeal=number, filed_on=filed_on, due_on=due)
            return due

    def answer_review(self, number: int, answered_on: date, upheld: bool, text: str,
                      withdraw: list[str] | None = None, points: Changes | None = None) -> Amendment | None:
        """The 复议's answer by the body the scheme names; upheld, it may correct as the branch's."""
        with self._tx() as s:
            a = self._appeal(s, number)
            if a.review_on is None:
                raise StoreError(f"申诉第{number}号没有申请复议")
            if a.review_answered_on is not None:
                raise StoreError(f"申诉第{number}号的复议已于 {a.review_answered_on:%Y-%m-%d} 答复")
            self._answer_date(answered_on, a.review_on, "复议申请")
            text = self._answer_text(text, upheld, withdraw, points)
            q = s.get(Quarter, a.quarter_id)
            assert q is not None
            body = self._scheme(s, q.year).process.review_body or "上级党组织"
            a.review_answered_on, a.review_upheld, a.review_answer_text = answered_on, upheld, text
            s.add(a)
            made = self._amend(s, a, REVIEW, body, answered_on, withdraw or [], points or [])
            self._audit(s, "appeal_review_answered", a.quarter_id, appeal=number, answered_on=answered_on,
                        upheld=upheld, late=a.review_due_on is not None and answered_on > a.review_due_on)
            return made

    # --- reads --------------------------------------------------------------------------------

    def appeals(self, quarter: QuarterRef | None = None, open_only: bool = False) -> list[AppealView]:
        """The appeals in number order (of one quarter when given; only open ones when asked)."""
        today = self.clock().date()
        with Session(self.engine) as s:
            quarters = {q.id: q for q in s.exec(select(Quarter))}
            names = {m.id: m.name for m in s.exec(select(Member))}
            rows = select(Appeal).order_by(col(Appeal.number))
            if quarter is not None:
                rows = rows.where(Appeal.quarter_id == self._quarter(s, quarter).id)
            made: dict[int, list[str]] = {}
            for am in s.exec(select(Amendment).order_by(col(Amendment.id))):
                made.setdefault(am.appeal_id, []).extend(_said_change(c) for c in json.loads(am.changes))
            bodies: dict[int, str] = {}
            out = []
            for a in s.exec(rows):
                q = quarters[a.quarter_id]
                if q.year not in bodies:
                    bodies[q.year] = self._scheme(s, q.year).process.review_body or "上级党组织"
                view = AppealView(a.number, names.get(a.member_id, str(a.member_id)), QuarterRef(q.year, q.number),
                                  a.filed_on, a.text, a.due_on, a.answered_on, a.upheld, a.answer_text,
                                  bodies[q.year], a.review_on, a.review_due_on, a.review_answered_on,
                                  a.review_upheld, tuple(made.get(saved_id(a), ())), today)
                if view.open or not open_only:
                    out.append(view)
            return out

    def corrections(self, year: int, upto: int = 4, before: date | None = None) -> list[Correction]:
        """The year's corrections to quarters 1..upto, in the order made (`before`: made before it)."""
        with Session(self.engine) as s:
            return corrections(s, year, upto, before)

    # --- helpers ------------------------------------------------------------------------------

    def _appeal(self, s: Session, number: int) -> Appeal:
        a = s.exec(select(Appeal).where(Appeal.number == number)).first()
        if a is None:
            raise StoreError(f"没有申诉第{number}号（jifen appeal list 列出全部申诉）")
        return a

    def _held_on(self, s: Session, q: Quarter) -> date:
        """The meeting's date of a quarter whose figures are out: locked, or its meeting ended."""
        mt = s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).first()
        name = QuarterRef(q.year, q.number).name
        if mt is None:
            raise StoreError(f"{name}的党员大会尚未召开，积分尚未通报，还不能申诉")
        if q.state != QuarterState.LOCKED and mt.ended_at is None:
            raise StoreError(f"{name}的党员大会正在进行，有异议请在会上提出；散会或锁定后才能申诉")
        return mt.held_at.date()

    def _not_future(self, day: date, what: str) -> None:
        today = self.clock().date()
        if day > today:
            raise StoreError(f"{what} {day:%Y-%m-%d} 在今天（{today:%Y-%m-%d}）之后")

    def _answer_date(self, answered_on: date, since: date, what: str) -> None:
        if answered_on < since:
            raise StoreError(f"答复日期 {answered_on:%Y-%m-%d} 早于{what}日期 {since:%Y-%m-%d}")
        self._not_future(answered_on, "答复日期")

    @staticmethod
    def _answer_text(text: str, upheld: bool, withdraw: list[str] | None, points: list[tuple[str, str]] | None) -> str:
        text = text.strip()
        if not text:
            raise StoreError("请写明答复的内容（--text）")
        if not upheld and (withdraw or points):
            raise StoreError("不予支持的答复不能更正积分（--withdraw、--points 只用于 --upheld）")
        return text

    def _amend(self, s: Session, a: Appeal, stage: str, body: str, made_on: date, withdraw: list[str],
               points: list[tuple[str, str]]) -> Amendment | None:
        """The correction an upheld answer makes, as one link after the quarter's lock."""
        if not withdraw and not points:
            return None
        q = s.get(Quarter, a.quarter_id)
        assert q is not None
        name = QuarterRef(q.year, q.number).name
        if q.state != QuarterState.LOCKED:
            raise StoreError(f"{name}尚未锁定：积分事项仍可在控制台直接修改，锁定后才以更正记录")
        scheme = self._scheme(s, q.year)
        current = self._corrected(s, saved_id(q))
        changes: list[dict[str, Any]] = []
        touched: set[int] = set()
        for ref in withdraw:
            e = self._entry(s, q, a, ref, current)
            if saved_id(e) in touched:
                raise StoreError(f"事项#{e.id}在本次答复中更正了两次")
            touched.add(saved_id(e))
            changes.append({"entry": e.id, "item": e.item_code, "was": _text(current.get(saved_id(e), e.points)),
                            "withdrawn": True})
        for ref, raw in points:
            e = self._entry(s, q, a, ref, current)
            if saved_id(e) in touched:
                raise StoreError(f"事项#{e.id}在本次答复中更正了两次")
            touched.add(saved_id(e))
            new = _points(raw)
            was = current.get(saved_id(e), e.points)
            if was is not None and new == was:
                raise StoreError(f"事项#{e.id}的分值已是 {_text(was)}，无需更正")
            self._check_points(s, scheme, q, e, new)
            changes.append({"entry": e.id, "item": e.item_code, "was": _text(was), "points": _text(new)})
        previous = chain_head(s, saved_id(q))
        row = Amendment(appeal_id=saved_id(a), quarter_id=saved_id(q), stage=stage, body=body, made_on=made_on,
                        changes=json.dumps(changes, ensure_ascii=False, sort_keys=True), canonical="", digest="",
                        previous_digest=previous)
        row.canonical = canonical_amendment(s, row)
        row.digest = link_digest(previous, row.canonical)
        s.add(row)
        s.flush()
        self._audit(s, AUDIT_ACTION, q.id, appeal=a.number, digest=row.digest, previous=previous)
        return row

    def _corrected(self, s: Session, quarter_id: int) -> dict[int, Decimal | None]:
        """Entries of the quarter corrected so far: their points now (None when withdrawn)."""
        out: dict[int, Decimal | None] = {}
        for am in s.exec(select(Amendment).where(Amendment.quarter_id == quarter_id).order_by(col(Amendment.id))):
            for c in json.loads(am.changes):
                out[int(c["entry"])] = None if c.get("withdrawn") else Decimal(c["points"])
        return out

    def _entry(self, s: Session, q: Quarter, a: Appeal, ref: str, current: dict[int, Decimal | None]) -> PointsEntry:
        """An entry of the quarter by its number as `jifen items list` and the console show it
        (#12 or 12), or by its item code (J1.1) among the appellant's entries, else the quarter's."""
        name = QuarterRef(q.year, q.number).name
        counted = [e for e in s.exec(select(PointsEntry).where(PointsEntry.quarter_id == q.id)
                                     .order_by(col(PointsEntry.id))) if e.status in COUNTED]
        m = _ENTRY_ID.fullmatch(ref.strip())
        if m:
            found = [e for e in counted if e.id == int(m[1])]
            if not found:
                raise StoreError(f"{name}没有计分的积分事项#{m[1]}（jifen items list --quarter "
                                 f"{q.year}Q{q.number} 列出各事项的编号）")
        else:
            code = ref.strip().upper()
            same = [e for e in counted if (e.item_code or "").upper() == code]
            found = [e for e in same if e.member_id == a.member_id] or same
            if not found:
                raise StoreError(f"{name}没有事项编号为“{ref}”的计分事项")
            if len(found) > 1:
                raise StoreError(f"{name}有{len(found)}项“{ref}”（" + "、".join(f"#{e.id}" for e in found)
                                 + "），请用 #编号 指明")
        e = found[0]
        if saved_id(e) in current and current[saved_id(e)] is None:
            raise StoreError(f"事项#{e.id}已经更正撤销")
        return e

    def _check_points(self, s: Session, scheme: Scheme, q: Quarter, e: PointsEntry, new: Decimal) -> None:
        from core.branch import Entry
        from core.checks import check_entry

        problems = check_entry(scheme, Entry(str(e.member_id), e.kind, q.number, e.month, new, e.category,  # type: ignore[arg-type]
                                             e.item_code, e.level))
        if problems:
            said = "；".join(zh for _, _, zh in problems)
            raise StoreError(f"事项#{e.id}改为 {_text(new)} 分不符合积分方案：{said}")


def _points(raw: str) -> Decimal:
    text = str(raw).strip().removesuffix("分")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise StoreError(f"分值“{raw}”不是数字") from None
    if not value.is_finite() or value < 0:
        raise StoreError(f"分值“{raw}”应为不小于 0 的数字")
    return value


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")
