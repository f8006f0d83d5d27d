"""What db.store.Store lends its mixins, declared once.

db.record, db.ballots, db.years, db.appeals and db.grading each hold a part of the store's
operations as a mixin of db.store.Store, and call the plumbing Store has (a write transaction,
the audit log, the undo slot: db/store.py) and the lookups StoreReads has (db/reads.py). The
mixins derive from `StoreInternals`, which tells mypy about those members; at run time it is an
empty class, so Store's own members are the only ones there are.

mypy holds the declarations to the real ones: StoreReads and StoreInternals are both bases of
Store, so a lookup declared here differently from db/reads.py is an incompatible definition;
and tests/db/test_store_base.py compares each declaration with Store's member, parameter by
parameter."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from core.engine import YearResult
    from core.quarter import QuarterRef
    from core.scheme import Scheme
    from db.tables import Branch, Member, Quarter


class StoreInternals:
    """The base of the store's mixins: the members of db.store.Store they use."""

    if TYPE_CHECKING:
        engine: Engine
        clock: Callable[[], datetime]

        # db/store.py: the writes' plumbing
        def _tx(self, conn: sa.Connection | None = None) -> AbstractContextManager[Session]: ...
        def _audit(self, s: Session, action: str, quarter_id: int | None = None, **detail: Any) -> None: ...
        def _undo_slot(self, s: Session, q: Quarter, action: str, payload: dict[str, Any]) -> None: ...

        # db/reads.py: lookups that refuse in Chinese, and the reads the mixins build on
        def _branch(self, s: Session) -> Branch: ...
        def _quarter(self, s: Session, quarter: QuarterRef) -> Quarter: ...
        def _open_quarter(self, s: Session, quarter: QuarterRef) -> Quarter: ...
        def _meeting_quarter(self, s: Session, quarter: QuarterRef) -> Quarter: ...
        def _member(self, s: Session, member_id: int) -> Member: ...
        def _scheme(self, s: Session, year: int) -> Scheme: ...
        def _roster(self, s: Session, q: Quarter) -> list[Member]: ...
        def members_at(self, quarter: QuarterRef) -> list[dict[str, Any]]: ...
        def board(self, year: int, explain: bool = True, upto: int = 4, settled: bool = False,
                  amended_before: date | None = None) -> YearResult: ...
