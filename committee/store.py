"""The committee database: every branch's bundles, verified, kept whole, one transaction each.

`import_bundle` verifies a bundle before it writes anything, then, in one write transaction
(db.engine.write_engine: SQLite's BEGIN IMMEDIATE, PostgreSQL's transaction advisory lock, so
two importers take turns and each sees what the other committed), checks that the bundle's chain
continues what the committee holds for the branch and keeps what is new. A refusal leaves the
database exactly as it was. The unique constraints (committee.tables) are the last guard should
anything write around the lock.

A branch is its name and its chain's first digest. The committee's chain for a branch is always
a prefix of any bundle it accepts from that branch (or the other way round, for a bundle of an
earlier quarter): where the two first differ is a FORK (two records of one quarter) and is
refused naming both digests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from committee.bundle_check import verify_bundle
from committee.bundle_format import DOCUMENTS, Bundle, BundleError, appeal_json
from committee.bundle_read import read_bundle
from committee.bundle_sanity import name_key
from committee.records import AmendmentRecord, AppealRecord, ApprovalRecord, BranchRecords, LockRecord, span
from committee.tables import (
    METADATA,
    SCHEMA_VERSION,
    CommitteeAmendment,
    CommitteeApproval,
    CommitteeBranch,
    CommitteeBundle,
    CommitteeDocument,
    CommitteeExpected,
    CommitteeLock,
    CommitteeSchema,
    CommitteeScheme,
)
from core.quarter import QuarterRef
from db.engine import COMMITTEE_MARK, database_url, make_engine, shown_url, write_engine
from db.errors import StoreError
from db.refusals import refusal_of

IMPORTED, UNCHANGED, REFUSED = "imported", "unchanged", "refused"


READY, OLDER, EMPTY = "ready", "older", "empty"  # what _checked finds


@dataclass(frozen=True)
class BranchSummary:
    """A branch as the committee holds it."""

    name: str
    last_quarter: str
    last_digest: str
    first_digest: str
    quarters: int  # locks held


@dataclass
class ImportResult:
    """What became of one bundle file: imported, unchanged (already held) or refused (why)."""

    file: str
    status: str
    branch: str = ""
    quarter: str = ""
    lines: list[str] = field(default_factory=list)  # the reasons of a refusal, or what was kept

    @property
    def refused(self) -> bool:
        return self.status == REFUSED


class _Refused(Exception):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _short(digest: str) -> str:
    return f"{digest[:12]}…"


def _quarter_key(label: str) -> tuple[int, int]:
    q = QuarterRef.parse(label)
    return q.year, q.number


class CommitteeStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, db: str | os.PathLike[str], create: bool = False) -> CommitteeStore:
        """The committee database at `db` (a file or a postgresql:// URL). With `create`, an empty
        database (or a file not yet there) becomes one; a branch database is refused."""
        url = database_url(db)
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if not path.exists() and not create:
                raise StoreError(f"党委汇总数据库 {path} 不存在（jifen committee import 会建立它）")
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(url)
        try:
            cls._prepare(engine, create, shown_url(url))
        except sa.exc.OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"无法连接数据库 {shown_url(url)}：{reason}") from None
        except StoreError:
            engine.dispose()
            raise
        return cls(engine)

    @classmethod
    def _prepare(cls, engine: Engine, create: bool, shown: str) -> None:
        """Check what the database is; create the committee's tables in an empty one (`create`).
        `shown`: the database as the user gave it (the engine's URL would percent-encode a
        Chinese file name). A database that is already a committee one is checked by a plain
        read, so a reader (the console) never waits for an import's write lock."""
        with engine.connect() as conn:
            if cls._checked(conn, shown, create=True) == READY:  # anything else is done under the lock
                return
        with write_engine(engine).begin() as conn:  # two first importers take turns creating it
            state = cls._checked(conn, shown, create)
            if state == READY:
                return
            # Empty: the whole schema. Older: the tables added since (create_all creates only
            # those missing; every change so far has been a new table).
            METADATA.create_all(conn)
            with Session(bind=conn) as s:
                s.add(CommitteeSchema(version=SCHEMA_VERSION, created_at=datetime.now()))
                s.flush()

    @staticmethod
    def _checked(conn: sa.Connection, shown: str, create: bool) -> str:
        """READY when the database is a committee database of this program's version; OLDER when
        it is one of an earlier version (to be upgraded); EMPTY when it may become one; otherwise
        refused."""
        names = set(sa.inspect(conn).get_table_names())
        if "alembic_version" in names or "branch" in names:
            raise StoreError(f"{shown} 是党支部的积分数据库，不是党委的汇总数据库；"
                             "请为党委另建一个数据库（jifen committee import --db 新数据库）")
        if COMMITTEE_MARK in names:
            version = conn.execute(sa.text(f"SELECT MAX(version) FROM {COMMITTEE_MARK}")).scalar()
            if version is None:
                raise StoreError(f"{shown}：党委汇总数据库没有结构版本记录，可能已损坏")
            if int(version) > SCHEMA_VERSION:
                raise StoreError(f"{shown} 由更新版本的 jifen 建立（党委汇总数据库结构版本 {version}），"
                                 "本程序无法安全打开，请升级 jifen 后再试")
            return READY if int(version) == SCHEMA_VERSION else OLDER
        if names:
            raise StoreError(f"{shown} 中已有其他数据（{len(names)} 个表），不是 jifen 党委汇总数据库")
        if not create:
            raise StoreError(f"{shown} 还不是党委汇总数据库（jifen committee import 会建立它）")
        return EMPTY

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with write_engine(self.engine).connect() as conn, conn.begin(), Session(bind=conn) as s:
            yield s
            s.flush()

    # -- import ------------------------------------------------------------------------------

    def import_file(self, path: str | os.PathLike[str]) -> ImportResult:
        """Read, verify and import one bundle file; a refusal is a result, not an exception."""
        name = Path(path).name
        try:
            bundle = read_bundle(path)
        except BundleError as exc:
            return ImportResult(name, REFUSED, lines=[str(exc)])
        return self.import_bundle(bundle)

    def import_bundle(self, bundle: Bundle) -> ImportResult:
        r = bundle.records
        result = ImportResult(bundle.name, REFUSED, r.branch, bundle.quarter)
        problems = verify_bundle(bundle)
        if problems:
            result.lines = [f"报送文件 {bundle.name} 未通过核验，未导入任何内容：", *problems]
            return result
        try:
            with self._write() as s:
                result.lines = self._keep(s, bundle)
        except _Refused as exc:
            result.lines = exc.lines
            return result
        except DBAPIError as exc:
            result.lines = [f"报送文件 {bundle.name}：{refusal_of(exc)}"]
            return result
        result.status = IMPORTED if result.lines else UNCHANGED
        if not result.lines:
            result.lines = [f"{r.branch} {bundle.quarter}：该报送文件的内容党委已全部存有（重复导入），未作改动"]
        return result

    def _keep(self, s: Session, bundle: Bundle) -> list[str]:
        """Write what the bundle brings that the committee lacks; what was kept, or _Refused."""
        r = bundle.records
        row = s.exec(select(CommitteeBranch).where(CommitteeBranch.name == r.branch)).first()
        if row is None:
            self._refuse_lookalike(s, bundle)
        if row is not None and row.first_digest != r.locks[0].digest:
            raise _Refused([f"{bundle.name}：党支部“{r.branch}”在党委已有另一条校验码链（首次锁定 "
                            f"{row.first_digest}），本文件的首次锁定为 {r.locks[0].digest}：同名而链不同，"
                            "视为分叉，已拒绝，未导入任何内容"])
        if row is None:
            row = CommitteeBranch(name=r.branch, first_digest=r.locks[0].digest, last_quarter="", last_digest="")
            s.add(row)
            s.flush()
        bid = int(row.id or 0)
        held = list(s.exec(select(CommitteeLock).where(CommitteeLock.branch_id == bid)
                           .order_by(col(CommitteeLock.position))))
        for h, b in zip(held, r.locks, strict=False):
            if h.digest == b.digest:
                continue
            if h.quarter == b.quarter:
                raise _Refused([f"{bundle.name}：分叉：{r.branch} {b.quarter} 党委已导入的记录校验码为 {h.digest}，"
                                f"本文件的为 {b.digest}：同一季度有两个不同的锁定记录，已拒绝，未导入任何内容"])
            raise _Refused([f"{bundle.name}：校验码链不接续：党委所存 {r.branch} 的链在此处是 {h.quarter}"
                            f"（{_short(h.digest)}），本文件是 {b.quarter}（{_short(b.digest)}），"
                            "已拒绝，未导入任何内容"])
        kept: list[str] = []
        new_locks = r.locks[len(held):]
        if new_locks and held and new_locks[0].previous_digest != held[-1].digest:
            raise _Refused([f"{bundle.name}：缺口：本文件的链没有接上党委所存 {r.branch} 的最后一个季度 "
                            f"{held[-1].quarter}（{_short(held[-1].digest)}），已拒绝，未导入任何内容"])
        for i, lock in enumerate(new_locks, len(held)):
            q = QuarterRef.parse(lock.quarter)
            s.add(CommitteeLock(branch_id=bid, position=i, quarter=lock.quarter, year=q.year, number=q.number,
                                locked_at=lock.locked_at, digest=lock.digest, previous_digest=lock.previous_digest,
                                canonical=lock.canonical))
        if new_locks:
            row.last_quarter, row.last_digest = new_locks[-1].quarter, new_locks[-1].digest
            s.add(row)
            first, last = new_locks[0], new_locks[-1]
            kept.append(f"{r.branch}：导入锁定记录 {len(new_locks)} 个（{span(first.quarter, last.quarter)}），"
                        f"最后校验码 {_short(last.digest)}")
        kept += self._keep_schemes(s, bid, bundle)
        kept += self._keep_amendments(s, bid, bundle)
        kept += self._keep_approvals(s, bid, bundle)
        kept += self._keep_file(s, bid, bundle)
        return kept

    @staticmethod
    def _refuse_lookalike(s: Session, bundle: Bundle) -> None:
        """A new branch whose name reads as one the committee has or expects (it differs only in
        spacing, full-width letters or hidden characters) would stand beside it in the report as
        if a second branch, or leave the expected one 未报送 while it reports under a double."""
        key = name_key(bundle.records.branch)
        names = [*s.exec(select(CommitteeBranch.name)), *s.exec(select(CommitteeExpected.name))]
        like = next((n for n in names if n != bundle.records.branch and name_key(n) == key), None)
        if like is not None:
            raise _Refused([f"{bundle.name}：党支部名称“{bundle.records.branch[:40]}”与党委已有的“{like}”"
                            "只差空格、全角半角或不可见字符，会被当作两个支部，已拒绝，未导入任何内容"
                            "（如确为同一支部，请用其党支部数据库重新生成报送文件）"])

    def _keep_schemes(self, s: Session, bid: int, bundle: Bundle) -> list[str]:
        held = {sc.year: sc for sc in s.exec(select(CommitteeScheme).where(CommitteeScheme.branch_id == bid))}
        added = []
        for year, (scheme_id, text) in sorted(bundle.records.schemes.items()):
            have = held.get(year)
            if have is None:
                s.add(CommitteeScheme(branch_id=bid, year=year, scheme_id=scheme_id, text=text))
                added.append(f"{year}年 {scheme_id}")
            elif (have.scheme_id, have.text) != (scheme_id, text):
                raise _Refused([f"{bundle.name}：{year}年度的积分方案与党委此前收到的不同，已拒绝，未导入任何内容"])
        return [f"积分方案：{'、'.join(added)}"] if added else []

    def _keep_amendments(self, s: Session, bid: int, bundle: Bundle) -> list[str]:
        rows = list(s.exec(select(CommitteeAmendment).where(CommitteeAmendment.branch_id == bid)
                           .order_by(col(CommitteeAmendment.position))))
        position = max((a.position for a in rows), default=-1) + 1
        added = 0
        for quarter in dict.fromkeys(a.quarter for a in bundle.records.amendments):
            have = [a.digest for a in rows if a.quarter == quarter]
            brought = [a for a in bundle.records.amendments if a.quarter == quarter]
            for h, b in zip(have, brought, strict=False):
                if h != b.digest:
                    raise _Refused([f"{bundle.name}：分叉：{quarter} 的更正与党委此前收到的不同（党委存 {h}，"
                                    f"本文件为 {b.digest}），已拒绝，未导入任何内容"])
            for a in brought[len(have):]:
                s.add(CommitteeAmendment(branch_id=bid, position=position, quarter=a.quarter, digest=a.digest,
                                         previous_digest=a.previous_digest, canonical=a.canonical))
                position += 1
                added += 1
        return [f"更正：{added} 项"] if added else []

    def _keep_approvals(self, s: Session, bid: int, bundle: Bundle) -> list[str]:
        held = {a.year: a for a in s.exec(select(CommitteeApproval).where(CommitteeApproval.branch_id == bid))}
        added = []
        for a in bundle.records.approvals:
            have = held.get(a.year)
            if have is None:
                s.add(CommitteeApproval(branch_id=bid, year=a.year, digest=a.digest,
                                        previous_digest=a.previous_digest, canonical=a.canonical))
                added.append(f"{a.year}年度")
            elif have.digest != a.digest:
                raise _Refused([f"{bundle.name}：分叉：{a.year}年度等次批复与党委此前收到的不同（党委存 {have.digest}，"
                                f"本文件为 {a.digest}），已拒绝，未导入任何内容"])
        return [f"等次批复：{'、'.join(added)}"] if added else []

    def _keep_file(self, s: Session, bid: int, bundle: Bundle) -> list[str]:
        have = s.exec(select(CommitteeBundle).where(CommitteeBundle.branch_id == bid,
                                                    CommitteeBundle.quarter == bundle.quarter)).first()
        appeals = json.dumps([appeal_json(a) for a in bundle.records.appeals], ensure_ascii=False, sort_keys=True)
        if have is not None:
            # The quarter's documents came with an earlier file of the same records; the appeals are
            # the branch's statement as of its latest report, so a later one replaces them.
            if have.appeals == appeals:
                return []
            have.appeals = appeals
            s.add(have)
            return [f"{bundle.quarter} 申诉情况已按本次报送更新"]
        row = CommitteeBundle(branch_id=bid, quarter=bundle.quarter, digest=bundle.records.last.digest,
                              file_sha256=bundle.sha256, file_name=bundle.name[:200], format=bundle.format,
                              extra=json.dumps(bundle.records.extra, ensure_ascii=False, sort_keys=True),
                              appeals=appeals,
                              imported_at=datetime.now())
        s.add(row)
        s.flush()
        for name in DOCUMENTS:
            s.add(CommitteeDocument(bundle_id=int(row.id or 0), name=name, sha256=bundle.document_sha256[name],
                                    content=bundle.documents[name]))
        return [f"{bundle.quarter} 会议记录、公示表已存（报送文件 SHA-256 {_short(bundle.sha256)}）"]

    # -- reads for the report ----------------------------------------------------------------

    def branches(self) -> list[BranchSummary]:
        """Every branch the committee holds, by name, with its last quarter imported."""
        with Session(self.engine) as s:
            counts: dict[int, int] = {}
            for bid in s.exec(select(col(CommitteeLock.branch_id))):  # ids only: not the canonicals
                counts[bid] = counts.get(bid, 0) + 1
            return [BranchSummary(b.name, b.last_quarter, b.last_digest, b.first_digest, counts.get(int(b.id or 0), 0))
                    for b in s.exec(select(CommitteeBranch).order_by(col(CommitteeBranch.name)))]

    def known(self) -> list[str]:
        """Every branch the committee expects or holds: those named with `expect`, in the order
        named, then those that reported without being named, by name."""
        with Session(self.engine) as s:
            named = list(s.exec(select(CommitteeExpected.name).order_by(col(CommitteeExpected.id))))
        return list(dict.fromkeys([*named, *(b.name for b in self.branches())]))

    def expected(self) -> list[str]:
        with Session(self.engine) as s:
            return list(s.exec(select(CommitteeExpected.name).order_by(col(CommitteeExpected.id))))

    def expect(self, add: list[str], remove: list[str]) -> tuple[list[str], list[str]]:
        """Name branches the committee expects reports from, or take names off that list (a branch
        that has reported stays known by its records). One transaction; returns what changed."""
        names = [n.strip() for n in add]
        for n in names:
            if not n or len(n) > 100 or any(c in n for c in "\r\n\t"):
                raise StoreError(f"党支部名称“{n[:20]}”不能用：应为一行文字，不超过100字")
        with self._write() as s:
            have = {e.name: e for e in s.exec(select(CommitteeExpected))}
            unknown = [n.strip() for n in remove if n.strip() not in have]
            if unknown:
                raise StoreError(f"应报送名单中没有“{unknown[0]}”")
            added = [n for n in dict.fromkeys(names) if n not in have]
            for n in added:
                s.add(CommitteeExpected(name=n, added_at=datetime.now()))
            removed = list(dict.fromkeys(n.strip() for n in remove))
            for n in removed:
                s.delete(have[n])
        return added, removed

    def branch_records(self, quarter: QuarterRef) -> list[BranchRecords]:
        """Every branch's records up to and including `quarter` (its chain from the first lock, the
        corrections and approvals of the quarters it covers, the schemes of their years), by name;
        a branch with no lock by then is left out."""
        upto = (quarter.year, quarter.number)
        out = []
        with Session(self.engine) as s:
            for b in s.exec(select(CommitteeBranch).order_by(col(CommitteeBranch.name))):
                locks = [lk for lk in s.exec(select(CommitteeLock).where(CommitteeLock.branch_id == b.id)
                                             .order_by(col(CommitteeLock.position)))
                         if (lk.year, lk.number) <= upto]
                if not locks:
                    continue
                covered = {lk.quarter for lk in locks}
                years = {lk.year for lk in locks}
                amendments = tuple(
                    AmendmentRecord(a.quarter, a.digest, a.previous_digest, a.canonical)
                    for a in s.exec(select(CommitteeAmendment).where(CommitteeAmendment.branch_id == b.id)
                                    .order_by(col(CommitteeAmendment.position))) if a.quarter in covered)
                approvals = tuple(
                    ApprovalRecord(a.year, a.digest, a.previous_digest, a.canonical)
                    for a in s.exec(select(CommitteeApproval).where(CommitteeApproval.branch_id == b.id)
                                    .order_by(col(CommitteeApproval.year))) if f"{a.year}Q4" in covered)
                schemes = {sc.year: (sc.scheme_id, sc.text)
                           for sc in s.exec(select(CommitteeScheme).where(CommitteeScheme.branch_id == b.id))
                           if sc.year in years}
                files = [f for f in s.exec(select(CommitteeBundle).where(CommitteeBundle.branch_id == b.id))
                         if _quarter_key(f.quarter) <= upto]
                latest = max(files, key=lambda f: _quarter_key(f.quarter)) if files else None
                extra = json.loads(latest.extra) if latest else {}
                # The appeals as the branch's latest report up to the quarter stated them.
                appeals = tuple(AppealRecord(**a) for a in json.loads(latest.appeals)) if latest else ()
                out.append(BranchRecords(
                    b.name, schemes,
                    tuple(LockRecord(lk.quarter, lk.locked_at, lk.digest, lk.previous_digest, lk.canonical)
                          for lk in locks),
                    amendments, approvals, appeals, extra))
        return out

    def document(self, branch: str, quarter: QuarterRef, name: str) -> bytes | None:
        """A PDF a branch reported (minute.pdf or publicity.pdf), as it came in its bundle."""
        with Session(self.engine) as s:
            row = s.exec(select(CommitteeDocument)
                         .join(CommitteeBundle, col(CommitteeBundle.id) == CommitteeDocument.bundle_id)
                         .join(CommitteeBranch, col(CommitteeBranch.id) == CommitteeBundle.branch_id)
                         .where(CommitteeBranch.name == branch, CommitteeBundle.quarter == quarter.label,
                                CommitteeDocument.name == name)).first()
            return None if row is None else bytes(row.content)
