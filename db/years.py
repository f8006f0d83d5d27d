"""The next year: `Store.open_year` starts year Y once year Y-1 has been closed by its Q4 lock.

Nothing of the roster is copied: members are the branch's, and a quarter that is not locked
reads the roster as it stands (members who have left are not on it), so the new year's
quarters carry every member who has not left. What is decided per year is not carried:
exemption from points management (免于积分管理) is granted for the year in the schemes that
provide it (jsit: 一年内连续外出、新发展或转入半年以下…, 本人申请、支委会审核、党员大会通过、公示;
linyi: 不能正常参与年度考核的, 党支部批准并报机关党委备案), so opening the year clears it and says
whose it was; the branch decides again by the scheme's route (`keep_exempt` names those whose
exemption the branch has decided to continue). An exemption granted after the Q4 lock is a
decision about the new year and stays; a new scheme without exemption ends every exemption.
An excuse from meetings (meeting_exempt) is the committee's standing decision and stays. The
previous year's locked quarters keep their members as locked (the snapshot under the digest),
so clearing an exemption changes no locked figure.

The two-year rules of Y read the results of Y-1 that Y-1's Q4 lock wrote to past_result and
put under its digest (db.digest "year_results"); before Y is opened those rows are checked
against that lock, so Y's first lock chains on figures that agree with the signed record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from core.quarter import QuarterRef, QuarterState
from db.errors import StoreError
from db.reads import scheme_from_text
from db.store_base import StoreInternals
from db.tables import Lock, Member, PastResult, Quarter, QuarterMember, SchemeYear


@dataclass(frozen=True)
class YearOpened:
    """What opening a year did, for the command's report."""

    year: int
    scheme_id: str
    scheme_changed: bool  # another scheme (or another text of it) than the year before
    members: int  # on the new year's roster
    exemptions_cleared: tuple[tuple[str, str], ...]  # (name, reason) of last year's exemptions
    exemptions_kept: tuple[str, ...]
    past_results: int  # results of the previous year the two-year rules read


class YearOps(StoreInternals):
    """Opening the next year (a mixin of db.store.Store)."""

    def year_not_opened(self) -> int | None:
        """The year whose turn it is but which is not opened yet: the next one, once the newest
        year's Q4 is locked; None otherwise (the console says so on its overview)."""
        with Session(self.engine) as s:
            newest = s.exec(select(SchemeYear.year).order_by(col(SchemeYear.year).desc())).first()
            if newest is None:
                return None
            q4 = s.exec(select(Quarter).where(Quarter.year == newest, Quarter.number == 4)).first()
            return newest + 1 if q4 is not None and q4.state == QuarterState.LOCKED else None

    def open_year(self, year: int, scheme_id: str | None = None, scheme_text: str | None = None,
                  keep_exempt: Collection[int] = ()) -> YearOpened:
        """Start `year`, the one after the newest: its scheme (the previous year's when none is
        given), its four quarters open. Refused, changing nothing, unless the previous year's
        fourth quarter is locked and the results it wrote agree with its lock."""
        if (scheme_id is None) != (scheme_text is None):
            raise StoreError("请同时给出积分方案编号和方案文本")
        if scheme_text is not None:
            scheme_from_text(scheme_text, f"{scheme_id}.toml")  # a bad scheme never reaches the database
        with self._tx() as s:
            branch = self._branch(s)
            last = self._previous_year(s, year)
            before = s.exec(select(SchemeYear).where(SchemeYear.year == last)).one()
            if scheme_text is None or scheme_id is None:
                scheme_id, scheme_text = before.scheme_id, before.text
            scheme = scheme_from_text(scheme_text, f"{scheme_id}.toml")
            past = self._checked_past_results(s, last)
            members = [m for m in s.exec(select(Member).order_by(col(Member.seq))) if not m.left]
            # Exempt in the closed year (its Q4 as locked): granted for that year. One granted
            # after that lock is the branch's decision for the new year, and stays.
            closed = {f["id"] for f in self._snapshot(s, last) if f.get("exempt")}
            keep = set(keep_exempt)
            for mid in keep:
                m = s.get(Member, mid)
                if m is None or m.left or not m.exempt:
                    raise StoreError(f"{m.name if m else f'编号为 {mid} 的党员'}现在不是免于积分管理的党员，无从保留")
            if keep and scheme.exemption is None:
                raise StoreError(f"不能保留免于积分管理：{scheme.name}没有免于积分管理的规定")
            cleared = [m for m in members if m.exempt and m.id in closed and m.id not in keep]
            if scheme.exemption is None:  # the new scheme has none: no exemption stands
                cleared = [m for m in members if m.exempt]
            said = tuple((m.name, m.exempt_reason) for m in cleared)
            for m in cleared:
                m.exempt, m.exempt_reason = False, ""  # decided again for the new year
                s.add(m)
            sha = hashlib.sha256(scheme_text.encode()).hexdigest()
            s.add(SchemeYear(branch_id=branch.id, year=year, scheme_id=scheme_id, text=scheme_text, sha256=sha))
            for n in range(1, 5):
                s.add(Quarter(branch_id=branch.id, year=year, number=n, state=QuarterState.OPEN))
            changed = scheme_id != before.scheme_id or sha != before.sha256
            kept = tuple(m.name for m in members if m.id in keep)
            self._audit(s, "year_opened", year=year, scheme=scheme_id, scheme_changed=changed,
                        members=len(members), past_results=past,
                        exemptions_cleared=[{"member": n, "reason": r} for n, r in said],
                        exemptions_kept=list(kept))
            return YearOpened(year, scheme_id, changed, len(members), said, kept, past)

    # --- the checks ----------------------------------------------------------------------------

    def _previous_year(self, s: Session, year: int) -> int:
        """The newest year, when `year` is the one after it and that year is closed; else a refusal."""
        years = list(s.exec(select(SchemeYear.year).order_by(col(SchemeYear.year))))
        if not years:
            raise StoreError("数据库中还没有年度，请先运行 jifen init")
        last = years[-1]
        if year in years:
            raise StoreError(f"{year}年度已经开始（已建立），不能再次开始")
        if year != last + 1:
            raise StoreError(f"只能开始下一年度（{last + 1}年度）：数据库中最近的年度是{last}年，不能开始{year}年度")
        q4 = s.exec(select(Quarter).where(Quarter.year == last, Quarter.number == 4)).first()
        if q4 is None or q4.state != QuarterState.LOCKED:
            raise StoreError(f"{QuarterRef(last, 4).name}尚未锁定，不能开始{year}年度："
                             f"{last}年度的结果在第四季度锁定时记下，{year}年度的两年规则要用到它；"
                             "请在第四季度党员大会后锁定，再开始新的年度")
        return last

    def _checked_past_results(self, s: Session, last: int) -> int:
        """The results of `last` that its Q4 lock wrote: each graded member of that quarter has
        one, and they are what the lock's record holds. Their number."""
        from db.digest import _results

        q4 = s.exec(select(Quarter).where(Quarter.year == last, Quarter.number == 4)).one()
        lock = s.exec(select(Lock).where(Lock.quarter_id == q4.id)).first()
        if lock is None:
            raise StoreError(f"{QuarterRef(last, 4).name}标为已锁定，却没有锁定记录；请先运行 jifen verify 核验")
        held = _results(s, last)
        try:
            recorded = json.loads(lock.canonical).get("year_results")
        except (ValueError, AttributeError):
            recorded = None
        # A lock of a format before the year's results were under it (db.digest format < 3)
        # holds none to compare: then only that none is missing.
        if recorded is not None and recorded != held:
            raise StoreError(f"{last}年度的结果与{QuarterRef(last, 4).name}锁定时记下的不符，不能开始下一年度；"
                             "请运行 jifen verify 核验")
        graded = {f["id"]: f["name"] for f in self._snapshot(s, last) if not f.get("exempt")}
        kept = {p.member_id for p in s.exec(select(PastResult).where(PastResult.year == last))}
        missing = [name for mid, name in graded.items() if mid not in kept]
        if missing:
            raise StoreError(f"{last}年度缺少{'、'.join(missing)}的年度结果，不能开始下一年度；"
                             "请运行 jifen verify 核验")
        return len(held)

    def _snapshot(self, s: Session, year: int) -> list[dict[str, Any]]:
        """The members of the year's fourth quarter as it was locked."""
        q4 = s.exec(select(Quarter).where(Quarter.year == year, Quarter.number == 4)).one()
        return [json.loads(r.facts) for r in s.exec(select(QuarterMember).where(QuarterMember.quarter_id == q4.id))]
