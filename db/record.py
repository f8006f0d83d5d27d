"""The meeting's own record, as the minute needs it: objections (in db.store), agenda
notes (发言要点, 不同意见, 决议), the end of the meeting, and taking back a meeting opened by
mistake. Each operation is one transaction; a refusal is a StoreError that changes nothing.

`RecordOps` is mixed into db.store.Store and uses its plumbing (_tx, _audit, _undo_slot);
the undo of its actions is in db.undo.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from core.quarter import EntryStatus, QuarterRef, QuarterState
from db.errors import StoreError
from db.store_base import StoreInternals
from db.tables import (
    AgendaNote,
    Ballot,
    BallotCount,
    Meeting,
    Objection,
    PointsEntry,
    Quarter,
    RollCall,
    Tally,
    UndoSlot,
    Vote,
)

VOTE_METHODS = ("举手", "无记名投票")
NOTE_KINDS = {"speech": "发言", "dissent": "不同意见", "resolution": "决议"}


def check_vote_method(method: str) -> None:
    if method not in VOTE_METHODS:
        raise StoreError(f"表决方式“{method}”不对，应为{'或'.join(VOTE_METHODS)}")


def meeting_date_problems(s: Session, q: Quarter, held_at: datetime) -> list[str]:
    """What is odd about a meeting date: outside its quarter, or before an earlier meeting."""
    out = []
    first_month = (q.number - 1) * 3 + 1
    start = date(q.year, first_month, 1)
    end = date(q.year + 1, 1, 1) if q.number == 4 else date(q.year, first_month + 3, 1)
    if not start <= held_at.date() < end:
        out.append(f"会议日期 {held_at:%Y-%m-%d} 不在{QuarterRef(q.year, q.number).name}"
                   f"（{first_month}月至{first_month + 2}月）内")
    earlier = s.exec(select(Meeting, Quarter).join(Quarter).where(
        (Quarter.year < q.year) | ((Quarter.year == q.year) & (Quarter.number < q.number)))).all()
    if earlier:
        mt, prev = max(earlier, key=lambda pair: pair[0].held_at)
        if held_at < mt.held_at:
            out.append(f"会议日期 {held_at:%Y-%m-%d} 早于上一次会议"
                       f"（{QuarterRef(prev.year, prev.number).name}，{mt.held_at:%Y-%m-%d}）")
    return out


def check_meeting_date(s: Session, q: Quarter, held_at: datetime) -> None:
    problems = meeting_date_problems(s, q, held_at)
    if problems:
        raise StoreError("；".join(problems) + "。如确实如此，请确认后再保存")


class RecordOps(StoreInternals):
    """Store operations for the meeting's record."""

    # --- reading --------------------------------------------------------------------------------

    def meeting_date_problems(self, quarter: QuarterRef, held_at: datetime) -> list[str]:
        with Session(self.engine) as s:
            return meeting_date_problems(s, self._quarter(s, quarter), held_at)

    def objections(self, quarter: QuarterRef) -> list[Objection]:
        """Every objection of the quarter, withdrawn ones included, in the order raised."""
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            return list(s.exec(select(Objection).where(Objection.quarter_id == q.id).order_by(Objection.id)))

    def agenda_notes(self, quarter: QuarterRef) -> list[AgendaNote]:
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            return list(s.exec(select(AgendaNote).where(AgendaNote.quarter_id == q.id)
                               .order_by(AgendaNote.item, AgendaNote.id)))

    def cancel_problem(self, quarter: QuarterRef) -> str:
        """Why the meeting can no longer be cancelled, or "" when it can."""
        with Session(self.engine) as s:
            return self._cancel_problem(s, self._meeting_quarter(s, quarter))

    def _cancel_problem(self, s: Session, q: Quarter) -> str:
        if s.exec(select(Vote.id).where(Vote.quarter_id == q.id)).first() is not None:
            return "会议已经进行了表决，不能取消，只能继续进行"
        if s.exec(select(Ballot.id).where(Ballot.quarter_id == q.id)).first() is not None \
                or s.exec(select(Tally.id).where(Tally.quarter_id == q.id, Tally.count > 0)).first() is not None:
            return "会议已经录入了测评票，不能取消，只能继续进行"
        return ""

    # --- agenda notes -----------------------------------------------------------------------------

    def _agenda_item(self, s: Session, q: Quarter, item: int) -> str:
        mt = s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).one()
        items = [a for a in mt.agenda.splitlines() if a.strip()]
        if not 1 <= item <= len(items):
            raise StoreError(f"没有第{item}项议题（本次会议共{len(items)}项）")
        return items[item - 1]

    def add_agenda_note(self, quarter: QuarterRef, item: int, kind: str, text: str,
                        speaker: str = "") -> int:
        """发言 (speaker and points) or 不同意见 (whose and what) under an agenda item; several
        per item, in the order typed. The 决议 goes through set_resolution."""
        if kind not in ("speech", "dissent"):
            raise StoreError(f"记录类别“{kind}”不对，应为发言或不同意见")
        text, speaker = text.strip(), speaker.strip()
        if not speaker:
            raise StoreError(f"请写明{NOTE_KINDS[kind]}人")
        if not text:
            raise StoreError(f"请写明{NOTE_KINDS[kind]}的内容")
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            what = self._agenda_item(s, q, item)
            note = AgendaNote(quarter_id=q.id, item=item, kind=kind, speaker=speaker, text=text)
            s.add(note)
            s.flush()
            self._audit(s, "agenda_note", q.id, item=item, agenda=what, kind=kind, speaker=speaker, text=text)
            self._undo_slot(s, q, "agenda_note", {"added": note.id})
            return note.id  # type: ignore[return-value]

    def set_resolution(self, quarter: QuarterRef, item: int, text: str) -> None:
        """决议 of an agenda item: one per item, replaced when set again; empty text removes it."""
        text = text.strip()
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            what = self._agenda_item(s, q, item)
            row = s.exec(select(AgendaNote).where(AgendaNote.quarter_id == q.id, AgendaNote.item == item,
                                                  AgendaNote.kind == "resolution")).first()
            before = None if row is None else row.text
            if not text and row is None:
                raise StoreError(f"第{item}项议题还没有决议，请写明决议内容")
            if not text:
                s.delete(row)
            else:
                row = row or AgendaNote(quarter_id=q.id, item=item, kind="resolution", text="")
                row.text = text
                s.add(row)
            self._audit(s, "resolution", q.id, item=item, agenda=what, text=text, before=before)
            self._undo_slot(s, q, "resolution", {"item": item, "before": before})

    def remove_agenda_note(self, note_id: int) -> None:
        """Take a 发言 or 不同意见 off the record (typed under the wrong item, say)."""
        with self._tx() as s:
            note = s.get(AgendaNote, note_id)
            if note is None:
                raise StoreError(f"没有编号为 {note_id} 的会议记录")
            q = s.get(Quarter, note.quarter_id)
            assert q is not None
            self._meeting_quarter(s, QuarterRef(q.year, q.number))
            kept = {"item": note.item, "kind": note.kind, "speaker": note.speaker, "text": note.text}
            s.delete(note)
            self._audit(s, "agenda_note_removed", q.id, **kept)
            self._undo_slot(s, q, "agenda_note", {"removed": kept})

    # --- the end of the meeting, or its cancelling ---------------------------------------------

    def end_meeting(self, quarter: QuarterRef, at: datetime | None = None) -> datetime:
        """散会: record when the meeting ended (now unless given); may be set again until the lock."""
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            mt = s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).one()
            ended = (at or self.clock()).replace(second=0, microsecond=0)
            if ended < mt.held_at:
                raise StoreError(f"散会时间 {ended:%Y-%m-%d %H:%M} 早于开会时间 {mt.held_at:%Y-%m-%d %H:%M}")
            before = mt.ended_at
            mt.ended_at = ended
            s.add(mt)
            self._audit(s, "meeting_ended", q.id, ended_at=ended)
            self._undo_slot(s, q, "facts", {"ended_at": before.isoformat() if before else None})
            return ended

    def cancel_meeting(self, quarter: QuarterRef) -> None:
        """取消会议: a meeting opened by mistake goes back to not held, until the first vote or
        ballot. Its roll call, notes and ballot count go; entries it confirmed stand as 申报
        again. Objections stay: they belong to the entries and may be raised before a meeting."""
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            problem = self._cancel_problem(s, q)
            if problem:
                raise StoreError(problem)
            mt = s.exec(select(Meeting).where(Meeting.quarter_id == q.id)).one()
            for table in (RollCall, AgendaNote, BallotCount, Tally):
                for row in s.exec(select(table).where(table.quarter_id == q.id)):
                    s.delete(row)
            confirmed = 0
            for e in s.exec(select(PointsEntry).where(PointsEntry.quarter_id == q.id,
                                                      PointsEntry.status == EntryStatus.CONFIRMED)):
                e.status = EntryStatus.DECLARED
                s.add(e)
                confirmed += 1
            slot = s.get(UndoSlot, q.id)
            if slot is not None:
                s.delete(slot)
            s.delete(mt)
            q.state = QuarterState.OPEN
            s.add(q)
            self._audit(s, "meeting_cancelled", q.id, held_at=mt.held_at, entries_back_to_declared=confirmed)
