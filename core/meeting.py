"""The meeting's rules (支部工作条例 第十一条, 党章 第七条), for every scheme.

Voting members (有表决权) are full members who are not excused from the meeting and not
under 留党察看; probationary members attend and speak without a vote. A vote may be
taken only when more than half of the voting members are present, and an item passes
when the yes votes exceed half of the voting members who should attend.
"""

from __future__ import annotations

from dataclasses import dataclass


class RuleRefusal(ValueError):
    """A meeting action the rules do not allow; the message is for the screen."""


@dataclass(frozen=True, slots=True)
class Attendee:
    id: int
    name: str
    status: str  # full | probationary
    excused: bool = False  # excused from the meeting by the committee
    suspended: bool = False  # 留党察看 on the meeting day
    present: bool | None = None  # None: not yet called
    reason: str = ""
    opinion: str = ""

    @property
    def voting(self) -> bool:
        return self.status == "full" and not self.excused and not self.suspended


@dataclass(frozen=True, slots=True)
class QuorumStatus:
    expected: int  # 应到
    present: int  # 实到
    absent: int  # 缺席 (called and absent)
    uncalled: int  # not yet called
    voting_expected: int  # 应到会有表决权的党员
    voting_present: int
    written_opinions: int  # absent voting members who sent a written opinion
    absentees: tuple[Attendee, ...]

    @property
    def has_quorum(self) -> bool:
        return self.voting_present * 2 > self.voting_expected

    @property
    def needed(self) -> int:
        """Voting members present needed for a quorum."""
        return self.voting_expected // 2 + 1

    def banner(self) -> str:
        if self.has_quorum:
            return (f"可以表决：有表决权的党员应到{self.voting_expected}人、实到{self.voting_present}人，"
                    f"超过半数")
        return (f"不能表决：有表决权的党员应到{self.voting_expected}人、实到{self.voting_present}人，"
                f"未超过半数（至少需要{self.needed}人）")


def quorum(attendees: list[Attendee]) -> QuorumStatus:
    expected = [a for a in attendees if not a.excused]
    voting = [a for a in expected if a.voting]
    absent = tuple(a for a in expected if a.present is False)
    return QuorumStatus(
        expected=len(expected),
        present=sum(1 for a in expected if a.present),
        absent=len(absent),
        uncalled=sum(1 for a in expected if a.present is None),
        voting_expected=len(voting),
        voting_present=sum(1 for a in voting if a.present),
        written_opinions=sum(1 for a in voting if a.present is False and a.opinion.strip()),
        absentees=absent,
    )


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    passed: bool
    yes: int
    needed: int  # yes votes needed: more than half of the voting members who should attend
    rule: str


def decide_vote(q: QuorumStatus, yes: int, no: int, abstain: int,
                written_yes: int = 0, written_no: int = 0, written_abstain: int = 0) -> VoteOutcome:
    """The outcome of a vote, or RuleRefusal when it cannot be taken or the counts cannot be."""
    for label, n in (("赞成", yes), ("反对", no), ("弃权", abstain), ("书面赞成", written_yes),
                     ("书面反对", written_no), ("书面弃权", written_abstain)):
        if n < 0:
            raise RuleRefusal(f"{label}票数不能为负数")
    if not q.has_quorum:
        raise RuleRefusal("到会有表决权的党员未超过半数，不能表决（" + q.banner() + "）")
    cast = yes + no + abstain
    if cast + written_yes + written_no + written_abstain == 0:
        raise RuleRefusal("没有录入任何票数：请录入赞成、反对、弃权的票数")
    if cast > q.voting_present:
        raise RuleRefusal(f"赞成、反对、弃权合计{cast}票，超过到会有表决权的党员{q.voting_present}人")
    written = written_yes + written_no + written_abstain
    if written > q.written_opinions:
        raise RuleRefusal(f"书面意见合计{written}份，超过缺席且提交书面意见的有表决权党员{q.written_opinions}人")
    total_yes = yes + written_yes
    needed = q.voting_expected // 2 + 1
    passed = total_yes * 2 > q.voting_expected
    counted = f"赞成{yes}票" + (f"（另书面赞成{written_yes}份）" if written_yes else "")
    verdict = "通过" if passed else "未通过"
    rule = (f"{counted}，应到会有表决权的党员{q.voting_expected}人，赞成须超过半数即至少{needed}票，{verdict}"
            "（中国共产党支部工作条例（试行）第十一条）")
    return VoteOutcome(passed, total_yes, needed, rule)
