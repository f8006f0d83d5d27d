"""Offline verification of a bundle: nothing but the file is needed.

Each lock's canonical text must give its digest and name the previous lock's digest (the first
names none), and say the branch, year and quarter the manifest says; quarters follow one another
without a gap; each scheme text gives the SHA-256 the canonicals name; corrections and approvals
chain as the branch's own `jifen verify` chains them (db.amendments.link_digest,
db.grading.approval_digest: the same functions, not a copy); each PDF gives the SHA-256 in the
manifest.

The minute PDF prints its quarter's digest, but jifen's runtime has no PDF text reader (pypdf is a
test dependency only): the minute is vouched for by its hash in the manifest, which is itself
covered by nothing but the file. What the committee can trust is the chain; the PDFs are the
copies the branch says it signed and posted.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from committee.bundle_format import DOCUMENTS, Bundle
from committee.bundle_sanity import record_problems
from committee.records import BranchRecords, span
from core.quarter import QuarterRef
from db.amendments import link_digest
from db.digest import digest_of, scheme_sha256
from db.grading import approval_digest

if TYPE_CHECKING:
    from committee.figures import BranchFigures


def _short(digest: str) -> str:
    return f"{digest[:12]}…" if digest else "（无）"


def _next(q: QuarterRef) -> QuarterRef:
    return QuarterRef(q.year + 1, 1) if q.number == 4 else QuarterRef(q.year, q.number + 1)


def _json(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def chain_problems(records: BranchRecords, quarter: str) -> list[str]:
    """The lock chain's faults, one Chinese line each."""
    problems: list[str] = []
    previous = ""
    before: QuarterRef | None = None
    for lock in records.locks:
        label = lock.quarter
        q = QuarterRef.parse(lock.quarter)
        if before is not None and (q.year, q.number) != (_next(before).year, _next(before).number):
            problems.append(f"{label}：校验码链有缺口：{before.label} 之后应是 {_next(before).label}，"
                            f"缺少中间季度的锁定记录（或季度次序被打乱）")
        before = q
        if digest_of(lock.canonical) != lock.digest:
            problems.append(f"{label}：校验码不符：锁定记录在锁定后被改动（记录的校验码 {_short(lock.digest)}，"
                            f"按内容算得 {_short(digest_of(lock.canonical))}）")
        if lock.previous_digest != previous:
            problems.append(f"{label}：校验码链断开：记录的上一季度校验码为 {_short(lock.previous_digest)}，"
                            f"应为 {_short(previous)}（中间的锁定记录缺失或被改动）")
        content = _json(lock.canonical)
        if content is None:
            problems.append(f"{label}：锁定记录不是有效的 JSON")
        else:
            if content.get("previous") != lock.previous_digest:
                problems.append(f"{label}：锁定记录中的上一季度校验码与链上记录的不一致")
            if content.get("branch") != records.branch:
                problems.append(f"{label}：锁定记录的党支部是“{str(content.get('branch'))[:40]}”，"
                                f"与报送文件所写的“{records.branch}”不符")
            if (content.get("year"), content.get("quarter")) != (q.year, q.number):
                problems.append(f"{label}：锁定记录所写的季度（{content.get('year')}年第{content.get('quarter')}季度）"
                                "与报送文件所写的不符")
            problems += _scheme_problems(records, label, q.year, content.get("scheme"))
        previous = lock.digest
    if records.locks and records.last.quarter != quarter:
        problems.append(f"报送文件写明报送{quarter}，但校验码链的最后一个季度是{records.last.quarter}")
    return problems


def _scheme_problems(records: BranchRecords, label: str, year: int, named: Any) -> list[str]:
    held = records.schemes.get(year)
    if held is None:
        return [f"{label}：报送文件中没有{year}年度的积分方案"]
    if not isinstance(named, dict):
        return [f"{label}：锁定记录没有写明积分方案"]
    scheme_id, text = held
    problems = []
    if named.get("id") != scheme_id:
        problems.append(f"{label}：锁定记录的积分方案是 {str(named.get('id'))[:40]}，报送文件中的是 {scheme_id}")
    if named.get("sha256") != scheme_sha256(text):
        problems.append(f"{label}：积分方案（{scheme_id}）的文本与锁定记录中的指纹不符：方案文本被改动")
    return problems


def correction_problems(records: BranchRecords) -> list[str]:
    """Corrections chained per quarter after its lock; approvals chained on their year's Q4 lock."""
    problems: list[str] = []
    locks = {r.quarter: r.digest for r in records.locks}
    heads: dict[str, str] = {}
    for i, a in enumerate(records.amendments, 1):
        label = f"{a.quarter}：第{i}项更正"
        if a.quarter not in locks:
            problems.append(f"{label}：所更正的季度不在报送的校验码链中")
            continue
        expected = heads.get(a.quarter, locks[a.quarter])
        if a.previous_digest != expected:
            problems.append(f"{label}：更正链断开：记录的上一环校验码为 {_short(a.previous_digest)}，"
                            f"应为 {_short(expected)}（更正被删除、插入或调换了次序）")
        if link_digest(a.previous_digest, a.canonical) != a.digest:
            problems.append(f"{label}：校验码不符：更正记录在记录后被改动")
        content = _json(a.canonical)
        if content is None or content.get("quarter") != a.quarter:
            problems.append(f"{label}：更正记录所写的季度与报送文件所写的不符")
        heads[a.quarter] = a.digest
    seen: set[int] = set()
    for p in records.approvals:
        label = f"{p.year}年度等次批复"
        if p.year in seen:
            problems.append(f"{label}：出现了不止一次")
        seen.add(p.year)
        q4 = locks.get(f"{p.year}Q4")
        if q4 is None:
            problems.append(f"{label}：{p.year}年第四季度不在报送的校验码链中")
            continue
        if p.previous_digest != q4:
            problems.append(f"{label}：校验码链断开：批复所接的第四季度校验码为 {_short(p.previous_digest)}，"
                            f"应为 {_short(q4)}")
        if approval_digest(q4, p.canonical) != p.digest:
            problems.append(f"{label}：校验码不符：批复在记录后被改动")
        content = _json(p.canonical)
        if content is None or content.get("year") != p.year:
            problems.append(f"{label}：批复记录所写的年度与报送文件所写的不符")
    return problems


def document_problems(bundle: Bundle) -> list[str]:
    problems = []
    for member, title in DOCUMENTS.items():
        data = bundle.documents.get(member, b"")
        if hashlib.sha256(data).hexdigest() != bundle.document_sha256.get(member):
            problems.append(f"{title}（{member}）与清单所记的 SHA-256 不符：文件在报送后被改动")
        elif not data.startswith(b"%PDF-"):
            problems.append(f"{title}（{member}）不是 PDF 文件")
    return problems


def content_problems(records: BranchRecords, quarter: str) -> list[str]:
    """Whether the committee can figure the records at all. A digest proves only that the text is
    what the branch locked, not that it is a jifen record: a file made by hand can chain
    consistently and still hold a scheme that does not parse or entries without their fields.
    Such a bundle is refused at the door, so it never breaks the committee's report later."""
    from core.scheme import SchemeError
    from db.reads import scheme_from_text

    problems = []
    for year, (scheme_id, text) in sorted(records.schemes.items()):
        try:
            scheme_from_text(text, f"{scheme_id}.toml")
        except SchemeError as exc:
            problems += [f"{year}年度的积分方案不能使用：{line}" for line in exc.problems[:5]]
    if problems:
        return problems
    # Every quarter of the chain, not only the one reported: the committee reports earlier
    # quarters from these same records, and a record that breaks them must not get in.
    for label in dict.fromkeys([*(lock.quarter for lock in records.locks), quarter]):
        said = unfigurable(records, QuarterRef.parse(label))
        if said:
            return [said]
    return []


def unfigurable(records: BranchRecords, quarter: QuarterRef) -> str | None:
    """Why the records cannot be figured for the quarter, in one Chinese line; None when they can."""
    return figured(records, quarter)[1]


def figured(records: BranchRecords, quarter: QuarterRef) -> tuple[BranchFigures | None, str | None]:
    """The branch's figures for the quarter, or why they cannot be made (one Chinese line)."""
    from committee.figures import figures_of
    from db.errors import StoreError

    try:
        return figures_of(records, quarter), None
    except StoreError as exc:
        return None, str(exc)
    except (LookupError, TypeError, ValueError, ArithmeticError, AttributeError, RecursionError) as exc:
        return None, (f"{quarter.label}的锁定记录无法计算积分：记录缺项或格式不对"
                      f"（{type(exc).__name__}: {str(exc)[:80]}）")


def verify_bundle(bundle: Bundle) -> list[str]:
    """One Chinese line per fault; an empty list when the bundle is what its digests say."""
    problems = (chain_problems(bundle.records, bundle.quarter) + correction_problems(bundle.records)
                + document_problems(bundle))
    return problems or record_problems(bundle.records) or content_problems(bundle.records, bundle.quarter)


def vouched(bundle: Bundle) -> list[str]:
    """What a verified bundle vouches for, in the words `jifen bundle verify` prints."""
    r = bundle.records
    first, last = r.locks[0], r.last
    lines = [
        f"报送文件核验通过：{bundle.name}",
        f"党支部：{r.branch}",
        f"报送季度：{bundle.quarter}",
        f"校验码链：{len(r.locks)} 个锁定季度（{span(first.quarter, last.quarter)}），首次锁定 {_short(first.digest)}",
        f"最后校验码：{last.digest}",
        f"积分方案：{'、'.join(f'{y}年 {sid}' for y, (sid, _) in sorted(r.schemes.items()))}",
        f"更正：{len(r.amendments)} 项" + (f"（{'、'.join(sorted({a.quarter for a in r.amendments}))}）"
                                          if r.amendments else ""),
        f"等次批复：{len(r.approvals)} 项" + (f"（{'、'.join(f'{a.year}年度' for a in r.approvals)}）"
                                            if r.approvals else ""),
        "会议记录、公示表：与清单所记的 SHA-256 相符（会议记录上印的校验码未逐字读取，请对照签字原件）",
        f"报送文件 SHA-256：{bundle.sha256}",
    ]
    return lines
