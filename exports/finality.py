"""Whether a document may be final: a quarter's documents once the quarter is locked, the year's
(年度公示表, 台账, 个人清单) once its fourth quarter is. Before that a document is refused, or,
asked for as a draft, marked 草稿（未锁定） on every page and counting only what the meeting has
settled (entries still 申报 or 有异议 are left out and said to be)."""

from __future__ import annotations

from dataclasses import dataclass

from core.quarter import EntryStatus, QuarterRef, QuarterState
from db.errors import StoreError
from db.store import Store

DRAFT_MARK = "草稿（未锁定）"


class NotFinal(StoreError):
    """A final document of a period that is not locked; the message says how to get a draft."""


@dataclass(frozen=True)
class Finality:
    final: bool
    period: str  # 2026年第三季度 / 2026年度
    declared: int = 0  # entries still 申报, left out of a draft's figures
    contested: int = 0  # entries awaiting their vote, left out as well

    @property
    def mark(self) -> str:
        """What every page of the document carries: the draft mark, or nothing."""
        return "" if self.final else DRAFT_MARK

    @property
    def settled(self) -> bool:
        """Count only what the meeting has settled (drafts)."""
        return not self.final

    def note(self) -> str:
        """The draft's sentence for its readers; empty for a final document."""
        if self.final:
            return ""
        left = [f"{n}项{what}" for n, what in ((self.declared, "申报尚未经党员大会确认"),
                                              (self.contested, "有异议尚待表决")) if n]
        out = f"本件为草稿：{self.period}尚未锁定，内容可能变动，不作为正式文件。"
        if left:
            out += "另有" + "、".join(left) + "的积分事项，未计入本件的积分。"
        return out


def _counts(store: Store, year: int, numbers: list[int]) -> tuple[int, int]:
    declared = contested = 0
    for n in numbers:
        for e in store.entries(QuarterRef(year, n)):
            declared += e.status == EntryStatus.DECLARED
            contested += e.status == EntryStatus.CONTESTED
    return declared, contested


def _locked(store: Store, year: int) -> set[int]:
    return {q.number for q in store.quarters(year) if q.state == QuarterState.LOCKED}


def quarter_finality(store: Store, quarter: QuarterRef, draft: bool) -> Finality:
    """A quarter's minute and publicity form: final once the quarter is locked."""
    if quarter.number in _locked(store, quarter.year):
        return Finality(True, quarter.name)
    if not draft:
        raise NotFinal(f"{quarter.name}尚未锁定，不能生成正式文件。会议结束并锁定后再生成；"
                       f"如需会前讨论用的草稿，请加 --draft（每页标注“{DRAFT_MARK}”）。")
    open_ = [n for n in range(1, quarter.number + 1) if n not in _locked(store, quarter.year)]
    return Finality(False, quarter.name, *_counts(store, quarter.year, open_))


def year_finality(store: Store, year: int, draft: bool) -> Finality:
    """The year's forms (年度公示表, 工作台账, 个人清单): final once its fourth quarter is locked."""
    locked = _locked(store, year)
    if 4 in locked:
        return Finality(True, f"{year}年度")
    if not draft:
        raise NotFinal(f"{year}年第四季度尚未锁定，年度文件不能作为正式文件生成。"
                       f"如需草稿，请加 --draft（每页标注“{DRAFT_MARK}”）。")
    open_ = [n for n in range(1, 5) if n not in locked]
    return Finality(False, f"{year}年度", *_counts(store, year, open_))
