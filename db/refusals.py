"""The database's own errors met while writing, as one plain Chinese sentence each (nothing
was written: the transaction rolled back)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

BUSY = "数据库正忙（另一个程序正在写入），请稍后再试；未做任何改动"
CHANGED = "该记录刚被另一个控制台（或命令）修改，请刷新后再试；未做任何改动"

# SQLSTATEs of PostgreSQL's refusals that mean "someone else got there first": serialization
# failure, deadlock, lock timeout, statement timeout.
_PG_RACE = {"40001": CHANGED, "40P01": CHANGED, "55P03": BUSY, "57014": BUSY}


def refusal_of(exc: DBAPIError) -> str:
    """The Chinese sentence for a database error met while writing; nothing was written (the
    transaction rolled back). Losing a race or a constraint, or a busy database, is the user's
    to retry; anything else is named by the server's own first line."""
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state in _PG_RACE:
        return _PG_RACE[state]
    if isinstance(exc, IntegrityError):
        return CHANGED
    text = str(orig or exc).strip()
    low = text.lower()
    if "database is locked" in low or "database table is locked" in low or "busy" in low:
        return BUSY
    first = text.splitlines()[0] if text else exc.__class__.__name__
    return f"写入数据库时出错（{first}），未做任何改动；请稍后再试，如仍出错请联系管理员"

