"""The meeting rules of core.meeting applied to the store's rows."""

from __future__ import annotations

from core.meeting import Attendee, QuorumStatus, RuleRefusal, VoteOutcome, quorum
from core.meeting import decide_vote as _decide
from db.errors import StoreError
from db.tables import Member, RollCall, saved_id

__all__ = ["QuorumStatus", "VoteOutcome", "decide_vote", "quorum_of", "suspended_on"]


def suspended_on(m: Member, day: str) -> bool:
    """Under 留党察看 on the day (YYYY-MM-DD); an open end means still under it."""
    if not m.suspended_from:
        return False
    return m.suspended_from <= day and (not m.suspended_until or day <= m.suspended_until)


def quorum_of(members: list[Member], calls: dict[int, RollCall], day: str) -> QuorumStatus:
    people = []
    for m in members:
        mid = saved_id(m)
        c = calls.get(mid)
        people.append(Attendee(mid, m.name, m.status, m.meeting_exempt, suspended_on(m, day),
                               None if c is None else c.present, c.reason if c else "", c.opinion if c else ""))
    return quorum(people)


def decide_vote(q: QuorumStatus, *counts: int) -> VoteOutcome:
    try:
        return _decide(q, *counts)
    except RuleRefusal as exc:
        raise StoreError(str(exc)) from None
