"""Store operations for the democratic evaluation: paper ballots, direct tallies, the number
issued, and phone ballots brought in with one-time codes.

A round of a quarter's evaluation may mix paper and phone ballots. Once codes are issued for a
round it is sealed: its ratings count nowhere (board, evaluation page, documents) until it is
closed, so that the projector shows only how many came in. Closing ends the round for paper
and phones alike; the quarter cannot be locked while a round with codes is open.

Codes: ten characters from an alphabet without look-alikes (no 0/O, 1/I/L), 31^10 ~ 2^49.5,
kept only as SHA-256 of the round's random salt and the code; a code is spent in the
transaction that stores its ballot, and nothing ties the two (db.tables.BallotCode)."""

from __future__ import annotations

import hashlib
import json
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.labels import RATING_LABELS
from core.quarter import QuarterRef, QuarterState
from db.errors import StoreError
from db.secrecy import LAST_BALLOT, after_commit, ballot_key, rewrite_ballots, scrub_ballot_traces
from db.store_base import StoreInternals
from db.tables import Ballot, BallotCode, BallotCount, Member, Quarter, Tally, saved_id

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
MAX_CODES = 500  # codes issued at once for a round

# What add_code_ballots answers for each ballot.
OK, SPENT, UNKNOWN, CLOSED = "ok", "spent", "unknown", "closed"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """ABCDE-FGHJK: as printed on a slip and typed on a phone."""
    return f"{code[:5]}-{code[5:]}"


def normal_code(text: str) -> str:
    """A code as typed or scanned: case, spaces, hyphens and full-width forms (a Chinese input
    method's ＡＢＣ) do not matter. '' when it cannot be one."""
    code = "".join(ch for ch in unicodedata.normalize("NFKC", str(text)).upper() if ch not in " -\u2013\u2014")
    return code if len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code) else ""


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256((salt + code).encode("ascii")).hexdigest()


@dataclass(frozen=True)
class RoundState:
    """A round's counts, never its content: paper issued, codes issued and spent, ballots in."""

    paper_issued: int
    codes: int
    spent: int
    returned: int  # ballots in, paper and phone
    closed: bool

    @property
    def issued(self) -> int:
        return self.paper_issued + self.codes

    @property
    def sealed(self) -> bool:
        """Results hidden: codes are out and the round is not closed."""
        return self.codes > 0 and not self.closed


@dataclass(frozen=True)
class BallotForm:
    """What a phone ballot shows: the names in roll order and the 优秀 limit."""

    members: list[tuple[int, str, bool]]  # id, name, probationary (rated, not graded)
    max_excellent: int  # 优秀 for full members only: a probationary member's does not count


# A batch of phone ballots reads the same round, roll and rules for every ballot: add_code_ballots
# keeps them in the session's info under this key for the batch (60 phones at once: a fifth of
# the time, see bench/ballot_server_bench.py).
_MEMO = "ballot_batch_memo"


def _memo(s: Session, key: Any, make: Callable[[], Any]) -> Any:
    memo = s.info.get(_MEMO)
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    return memo[key]


def _round_row(s: Session, q: Quarter, round: int) -> BallotCount | None:
    return _memo(s, ("round", q.id, round), lambda: _round_row_read(s, q, round))


def _round_row_read(s: Session, q: Quarter, round: int) -> BallotCount | None:
    return s.exec(select(BallotCount).where(BallotCount.quarter_id == q.id, BallotCount.round == round)).first()


def round_state_of(s: Session, q: Quarter, round: int) -> RoundState:
    row = _round_row(s, q, round)
    codes = list(s.exec(select(BallotCode.spent).where(BallotCode.quarter_id == q.id, BallotCode.round == round)))
    returned = len(list(s.exec(select(Ballot.id).where(Ballot.quarter_id == q.id, Ballot.round == round))))
    return RoundState(row.issued if row else 0, len(codes), sum(1 for c in codes if c), returned,
                      bool(row and row.closed))


def sealed_rounds(s: Session, quarter_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(quarter id, round) of the rounds whose results are hidden."""
    if not quarter_ids:
        return set()
    with_codes = set(s.exec(select(BallotCode.quarter_id, BallotCode.round)
                            .where(BallotCode.quarter_id.in_(quarter_ids)).distinct()))  # type: ignore[attr-defined]
    closed = set(s.exec(select(BallotCount.quarter_id, BallotCount.round)
                        .where(BallotCount.quarter_id.in_(quarter_ids), BallotCount.closed)))  # type: ignore[attr-defined]
    return {(int(a), int(b)) for a, b in with_codes} - {(int(a), int(b)) for a, b in closed}


class BallotOps(StoreInternals):
    """The evaluation's writes and the phone ballot's reads; db.store.Store provides the rest."""

    def _check_round(self, s: Session, q: Quarter, round: int) -> None:
        rounds = self._scheme(s, q.year).evaluation.rounds
        if not 1 <= round <= rounds:
            raise StoreError(f"本方案每年民主评议{rounds}轮，没有第{round}轮")
        row = _round_row(s, q, round)
        if row is not None and row.closed:
            raise StoreError(f"{_round_name(rounds, round)}测评已结束，不能再录入")

    def _graded(self, s: Session) -> list[Member]:
        return _memo(s, "graded", lambda: self._graded_read(s))

    def _graded_read(self, s: Session) -> list[Member]:
        return [m for m in s.exec(select(Member).order_by(col(Member.id))) if not m.left and not m.exempt]

    def _ballot_row(self, s: Session, q: Quarter, round: int, marks: dict[int, str] | None,
                    void: str = "", over_limit_void: bool = True) -> dict[str, Any]:
        """A ballot's row as it will be stored: checked names and ratings, its void reason by
        the scheme's rules, a random key. With `over_limit_void` False a ballot over the 优秀
        limit is refused instead (a phone can be told; a paper cannot)."""
        from core.ballots import BallotRules, void_reason

        graded = self._graded(s)
        if marks:
            ids = {m.id for m in graded}
            stray = [k for k in marks if k not in ids]
            if stray:
                raise StoreError(f"编号为 {stray[0]} 的党员不在本次测评名单中")
            bad = [v for v in marks.values() if v not in RATING_LABELS]
            if bad:
                raise StoreError(f"“{bad[0]}”不是测评等次（{'/'.join(RATING_LABELS)}）")
        rule = _memo(s, ("rule", q.year), lambda: self._scheme(s, q.year).evaluation.ballot)
        # The 优秀 limit counts the full members: probationary ones are rated, not graded.
        full = {saved_id(m) for m in graded if m.status == "full"}
        rules = BallotRules(rule.excellent_share, rule.all_unmarked_void)
        reason = void_reason(rules, marks or {}, len(full), None if len(full) == len(graded) else full)
        if reason and marks and not over_limit_void:
            raise StoreError(reason)
        void = void or reason
        kept = {} if void else (marks or {})
        text = json.dumps({str(k): v for k, v in sorted(kept.items())}, ensure_ascii=False)
        return {"id": secrets.token_hex(16), "quarter_id": q.id, "round": round, "marks": text, "void": void}

    # --- paper --------------------------------------------------------------------------------

    def add_ballot(self, quarter: QuarterRef, marks: dict[int, str] | None, round: int = 1,
                   void: str = "") -> str:
        """One paper ballot as it came: ratings for the names marked on it (a name left
        unmarked is not rated on it), or None when nothing is marked. The scheme's ballot
        rules decide whether it is void; `void` records a reason the secretary sees on the
        paper (e.g. 无法辨认). A void ballot is returned, not counted, and keeps no marks.
        Returns the reason it is void, or ""."""
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            self._check_round(s, q, round)
            row = self._ballot_row(s, q, round, marks, void.strip())
            rewrite_ballots(s, q, row)
            # The round only: not blank, void or marks (a blank ballot's time would name it).
            self._audit(s, "ballot_added", q.id, round=round)
            # The slot holds a random token; what the ballot said stays in this process (db.secrecy).
            token, key = secrets.token_hex(8), ballot_key(s, q)
            self._undo_slot(s, q, "ballot", {"ballot": token})
            text, reason = row["marks"], row["void"]
            after_commit(s, lambda: LAST_BALLOT.__setitem__(key, (token, round, text, reason)))
            after_commit(s, lambda: scrub_ballot_traces(self.engine))
            return str(reason)
    def set_tally(self, quarter: QuarterRef, member_id: int, counts: dict[str, int], round: int = 1) -> None:
        """Direct entry of a member's rating counts for a round (instead of ballot by ballot)."""
        for label, n in counts.items():
            if label not in RATING_LABELS:
                raise StoreError(f"“{label}”不是测评等次（{'/'.join(RATING_LABELS)}）")
            if not isinstance(n, int) or n < 0:
                raise StoreError(f"“{label}”的票数应为不小于0的整数")
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            self._check_round(s, q, round)
            m = self._member(s, member_id)
            if m.exempt:
                raise StoreError(f"{m.name}免于积分管理，不参加测评")
            issued = round_state_of(s, q, round).issued
            if issued:
                on_ballots = sum(1 for marks in s.exec(select(Ballot.marks).where(
                    Ballot.quarter_id == q.id, Ballot.round == round)) if str(member_id) in json.loads(marks))
                if sum(counts.values()) + on_ballots > issued:
                    raise StoreError(f"{m.name}的票数合计{sum(counts.values())}，加上逐张录入的{on_ballots}票，"
                                     f"超过发出的{issued}张测评票")
            rows = {t.rating: t for t in s.exec(select(Tally).where(
                Tally.quarter_id == q.id, Tally.round == round, Tally.member_id == member_id))}
            before = {k: t.count for k, t in rows.items()}
            for label in RATING_LABELS:
                n = counts.get(label, 0)
                row = rows.get(label) or Tally(quarter_id=q.id, round=round, member_id=member_id, rating=label, count=0)
                row.count = n
                s.add(row)
            self._audit(s, "tally_set", q.id, member=m.name, round=round, counts=counts)
            self._undo_slot(s, q, "tally", {"member": member_id, "round": round, "before": before})

    def set_ballots_issued(self, quarter: QuarterRef, issued: int, round: int = 1) -> None:
        if issued < 0:
            raise StoreError("发出票数不能为负数")
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            self._check_round(s, q, round)
            row = s.exec(select(BallotCount).where(BallotCount.quarter_id == q.id, BallotCount.round == round)).first()
            before = None if row is None else row.issued
            row = row or BallotCount(quarter_id=q.id, round=round, issued=0)
            row.issued = issued
            s.add(row)
            self._audit(s, "ballots_issued", q.id, round=round, issued=issued)
            self._undo_slot(s, q, "issued", {"round": round, "before": before})

    # --- phones ---------------------------------------------------------------------------------

    def issue_codes(self, quarter: QuarterRef, count: int, round: int = 1) -> list[str]:
        """`count` new one-time codes for the round; only their hashes are kept. The round is
        sealed from now until it is closed."""
        if not 1 <= count <= MAX_CODES:
            raise StoreError(f"一次可生成1至{MAX_CODES}个测评码")
        codes: list[str] = []
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            self._check_round(s, q, round)
            row = _round_row(s, q, round) or BallotCount(quarter_id=q.id, round=round, issued=0)
            if not row.salt:
                row.salt = secrets.token_hex(16)
                s.add(row)
            taken = set(s.exec(select(BallotCode.hash).where(BallotCode.quarter_id == q.id)))
            while len(codes) < count:
                code = new_code()
                h = _hash(row.salt, code)
                if h not in taken:
                    taken.add(h)
                    codes.append(code)
                    s.add(BallotCode(hash=h, quarter_id=q.id, round=round, spent=False))
            self._audit(s, "codes_issued", q.id, round=round, count=count)
        return codes

    def round_state(self, quarter: QuarterRef, round: int = 1) -> RoundState:
        with Session(self.engine) as s:
            return round_state_of(s, self._quarter(s, quarter), round)

    def ballot_form(self, quarter: QuarterRef) -> BallotForm:
        """The names a phone ballot lists (everyone graded, in roll order) and the 优秀 limit."""
        from core.ballots import excellent_limit

        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            graded = self._graded(s)
            full = sum(1 for m in graded if m.status == "full")
            rule = self._scheme(s, q.year).evaluation.ballot
            limit = full if rule.excellent_share is None else excellent_limit(rule.excellent_share, full)
            return BallotForm([(int(saved_id(m)), m.name, m.status != "full") for m in graded], limit)

    def code_status(self, quarter: QuarterRef, code: str, round: int = 1) -> str:
        """OK, SPENT, UNKNOWN or CLOSED (the round is closed or the quarter not in its meeting)."""
        with Session(self.engine) as s:
            q = self._quarter(s, quarter)
            return self._code_status(s, q, round, normal_code(code))

    def _code_status(self, s: Session, q: Quarter, round: int, code: str) -> str:
        row = _round_row(s, q, round)
        if row is None or not row.salt or not code:
            return UNKNOWN
        found = s.get(BallotCode, _hash(row.salt, code))
        if found is None or found.quarter_id != q.id or found.round != round:
            return UNKNOWN
        if row.closed or q.state != QuarterState.MEETING:
            return CLOSED
        return SPENT if found.spent else OK

    def add_code_ballots(self, quarter: QuarterRef, ballots: Sequence[tuple[str, dict[int, str]]],
                         round: int = 1) -> list[str]:
        """Phone ballots, each with its code, in one transaction: for each, OK (stored, its code
        spent), SPENT, UNKNOWN or CLOSED (nothing stored for it), or the Chinese reason a ballot
        is refused (a name not on the list, a rating that is none, too many 优秀). Stored ones
        are written in the order of their random keys with the others; no undo (the console
        cannot take back a member's ballot)."""
        out: list[str] = []
        with self._tx() as s:
            s.info[_MEMO] = {}  # nothing but codes' spent flags changes during the batch
            q = self._quarter(s, quarter)
            rows: list[dict[str, Any]] = []
            for text, marks in ballots:
                code = normal_code(text)
                status = self._code_status(s, q, round, code)
                if status != OK:
                    out.append(status)
                    continue
                try:
                    row = self._ballot_row(s, q, round, marks or None, over_limit_void=False)
                except StoreError as e:
                    out.append(str(e))
                    continue
                spent = s.get(BallotCode, _hash(str(_round_row(s, q, round).salt), code))  # type: ignore[union-attr]
                assert spent is not None
                spent.spent = True
                s.add(spent)
                s.flush()  # the same code twice in one batch: the second finds it spent
                rows.append(row)
                out.append(OK)
            if rows:
                secrets.SystemRandom().shuffle(rows)
                rewrite_ballots(s, q, rows)
                _rewrite_codes(s, q)
                self._audit(s, "ballot_added", q.id, round=round, count=len(rows), by="phone")
                after_commit(s, lambda: scrub_ballot_traces(self.engine))
        return out

    def close_round(self, quarter: QuarterRef, round: int = 1) -> RoundState:
        """End the round: no more ballots, paper or phone; its results count from now on."""
        with self._tx() as s:
            q = self._meeting_quarter(s, quarter)
            self._check_round(s, q, round)
            row = _round_row(s, q, round) or BallotCount(quarter_id=q.id, round=round, issued=0)
            row.closed = True
            s.add(row)
            self._audit(s, "round_closed", q.id, round=round)
            s.flush()
            return round_state_of(s, q, round)


def _rewrite_codes(s: Session, q: Quarter) -> None:
    """Write all of the quarter's codes again in the order of their hashes. A code's row updated
    in place when it is spent moves within its page (SQLite puts the new cell at the free end),
    so the cells' offsets would tell the order codes were spent in; rewritten, they follow the
    hashes only (found by tests/web/test_anonymity.py)."""
    table = cast(sa.Table, BallotCode.__table__)  # type: ignore[attr-defined]  # SQLModel sets it
    conn = s.connection()
    rows = [dict(r._mapping) for r in conn.execute(sa.select(table).where(table.c.quarter_id == q.id))]
    rows.sort(key=lambda r: r["hash"])
    conn.execute(sa.delete(table).where(table.c.quarter_id == q.id))
    conn.execute(sa.insert(table), rows)


def _round_name(rounds: int, round: int) -> str:
    return f"第{round}轮" if rounds > 1 else "本轮"
