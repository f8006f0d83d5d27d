"""The bundle's format: what a `.jifen` file holds and the manifest's shape, both ways.

A bundle is a ZIP of exactly three members: manifest.json (the format number, the branch, the
quarter, every record of `BranchRecords` with each canonical text verbatim, and the SHA-256 of
each document) and the two documents the meeting signed and posted, minute.pdf and
publicity.pdf. The manifest is read strictly: each field of the type written, nothing else,
so a hand-made or damaged file ends in one Chinese sentence naming what is wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from committee.records import AmendmentRecord, AppealRecord, ApprovalRecord, BranchRecords, LockRecord
from db.errors import StoreError

FORMAT = 1
KIND = "jifen-bundle"
MANIFEST = "manifest.json"
MINUTE = "minute.pdf"
PUBLICITY = "publicity.pdf"
DOCUMENTS = {MINUTE: "会议记录", PUBLICITY: "公示表"}
MEMBERS = (MANIFEST, MINUTE, PUBLICITY)
QUARTER = re.compile(r"[0-9]{4}Q[1-4]")
HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_LOCKS = 400  # a chain of a century's quarters: more is no branch's history, only work for the checks


class BundleError(StoreError):
    """A file that is not a readable bundle: the sentence names the file and what is wrong."""


@dataclass(frozen=True)
class Bundle:
    """A bundle as read from its file: not yet verified (verify_bundle says whether to trust it)."""

    records: BranchRecords
    quarter: str  # "2026Q3": the quarter the branch reported; its lock is the chain's last
    documents: dict[str, bytes]  # member name -> the PDF's bytes
    document_sha256: dict[str, str]  # member name -> the SHA-256 the manifest gives
    sha256: str  # of the whole file
    name: str = ""  # the file's name, for messages
    format: int = FORMAT
    extra: dict[str, Any] = field(default_factory=dict)


def manifest_of(records: BranchRecords, quarter: str, document_sha256: dict[str, str]) -> str:
    content = {
        "kind": KIND,
        "format": FORMAT,
        "branch": records.branch,
        "quarter": quarter,
        "schemes": [{"year": year, "id": sid, "text": text} for year, (sid, text) in sorted(records.schemes.items())],
        "locks": [{"quarter": r.quarter, "locked_at": r.locked_at, "digest": r.digest,
                   "previous_digest": r.previous_digest, "canonical": r.canonical} for r in records.locks],
        "amendments": [{"quarter": a.quarter, "digest": a.digest, "previous_digest": a.previous_digest,
                        "canonical": a.canonical} for a in records.amendments],
        "approvals": [{"year": a.year, "digest": a.digest, "previous_digest": a.previous_digest,
                       "canonical": a.canonical} for a in records.approvals],
        # The branch's statement of its appeals: not under a digest (see committee.records).
        "appeals": [appeal_json(a) for a in records.appeals],
        "extra": dict(records.extra),
        "documents": dict(sorted(document_sha256.items())),
    }
    return json.dumps(content, ensure_ascii=False, sort_keys=True, indent=1)


def appeal_json(a: AppealRecord) -> dict[str, Any]:
    return {"number": a.number, "quarter": a.quarter, "member": a.member, "filed_on": a.filed_on, "state": a.state,
            "deadline": a.deadline, "overdue": a.overdue, "outcome": a.outcome}


def appeal_of(sh: _Shape, raw: Any, where: str) -> AppealRecord:
    r = sh.obj(raw, where)
    sh.keys(r, {"number", "quarter", "member", "filed_on", "state", "deadline", "overdue", "outcome"}, where)
    overdue = r.get("overdue")
    if not isinstance(overdue, bool):
        raise sh.fail(f"{where}缺少“overdue”或它不是 true/false")
    return AppealRecord(sh.whole(r, "number", where), sh.quarter(r, "quarter", where), sh.text(r, "member", where),
                        sh.text(r, "filed_on", where), sh.text(r, "state", where), sh.text(r, "deadline", where),
                        overdue, sh.text(r, "outcome", where))


class _Shape:
    """Reads one manifest, naming the first field that is missing or of the wrong type."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, what: str) -> BundleError:
        return BundleError(f"{self.name}：报送文件的清单（{MANIFEST}）有误：{what}")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{where}应为对象")
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(f"{where}应为列表")
        return value

    def text(self, d: dict[str, Any], key: str, where: str) -> str:
        value = d.get(key)
        if not isinstance(value, str):
            raise self.fail(f"{where}缺少“{key}”或它不是文字")
        return value

    def whole(self, d: dict[str, Any], key: str, where: str) -> int:
        value = d.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{where}缺少“{key}”或它不是整数")
        return value

    def digest(self, d: dict[str, Any], key: str, where: str, empty: bool = False) -> str:
        value = self.text(d, key, where)
        if not (HEX64.fullmatch(value) or (empty and value == "")):
            raise self.fail(f"{where}的“{key}”不是 SHA-256 校验码（64 位 0-9、a-f）")
        return value

    def quarter(self, d: dict[str, Any], key: str, where: str) -> str:
        value = self.text(d, key, where)
        if not QUARTER.fullmatch(value):
            raise self.fail(f"{where}的“{key}”应为 2026Q3 这样的季度，不是“{value[:20]}”")
        return value

    def keys(self, d: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(d) - allowed)
        if unknown:
            raise self.fail(f"{where}有不认识的项：{'、'.join(k[:20] for k in unknown[:5])}")


def records_of_manifest(name: str, data: Any) -> tuple[BranchRecords, str, dict[str, str], int]:
    """The manifest's records, quarter, document hashes and format, checked field by field."""
    sh = _Shape(name)
    top = sh.obj(data, "清单")
    if top.get("kind") != KIND:
        raise sh.fail("不是 jifen 报送文件的清单")
    fmt = sh.whole(top, "format", "清单")
    if fmt > FORMAT:
        raise BundleError(f"{name}：报送文件由更新版本的 jifen 生成（格式 {fmt}，本程序只认 {FORMAT} 及以前的），"
                          "请升级 jifen 后再核验")
    if fmt < 1:
        raise sh.fail(f"格式编号 {fmt} 无效")
    sh.keys(top, {"kind", "format", "branch", "quarter", "schemes", "locks", "amendments", "approvals", "appeals",
                  "extra", "documents"}, "清单")
    branch = sh.text(top, "branch", "清单")
    if not branch.strip():
        raise sh.fail("党支部名称为空")
    quarter = sh.quarter(top, "quarter", "清单")
    schemes: dict[int, tuple[str, str]] = {}
    for i, raw in enumerate(sh.items(top.get("schemes"), "积分方案"), 1):
        where = f"第{i}个积分方案"
        s = sh.obj(raw, where)
        sh.keys(s, {"year", "id", "text"}, where)
        year = sh.whole(s, "year", where)
        if year in schemes:
            raise sh.fail(f"{year}年度的积分方案出现了两次")
        schemes[year] = (sh.text(s, "id", where), sh.text(s, "text", where))
    locks = []
    for i, raw in enumerate(sh.items(top.get("locks"), "锁定记录"), 1):
        where = f"第{i}个锁定记录"
        r = sh.obj(raw, where)
        sh.keys(r, {"quarter", "locked_at", "digest", "previous_digest", "canonical"}, where)
        locks.append(LockRecord(sh.quarter(r, "quarter", where), sh.text(r, "locked_at", where),
                                sh.digest(r, "digest", where), sh.digest(r, "previous_digest", where, empty=True),
                                sh.text(r, "canonical", where)))
    if not locks:
        raise sh.fail("没有任何锁定记录")
    if len(locks) > MAX_LOCKS:
        raise sh.fail(f"锁定记录有 {len(locks)} 个，超过上限 {MAX_LOCKS}（一百年的季度）")
    amendments = []
    for i, raw in enumerate(sh.items(top.get("amendments", []), "更正记录"), 1):
        where = f"第{i}个更正记录"
        r = sh.obj(raw, where)
        sh.keys(r, {"quarter", "digest", "previous_digest", "canonical"}, where)
        amendments.append(AmendmentRecord(sh.quarter(r, "quarter", where), sh.digest(r, "digest", where),
                                          sh.digest(r, "previous_digest", where), sh.text(r, "canonical", where)))
    approvals = []
    for i, raw in enumerate(sh.items(top.get("approvals", []), "批复记录"), 1):
        where = f"第{i}个批复记录"
        r = sh.obj(raw, where)
        sh.keys(r, {"year", "digest", "previous_digest", "canonical"}, where)
        approvals.append(ApprovalRecord(sh.whole(r, "year", where), sh.digest(r, "digest", where),
                                        sh.digest(r, "previous_digest", where), sh.text(r, "canonical", where)))
    appeals = tuple(appeal_of(sh, raw, f"第{i}个申诉")
                    for i, raw in enumerate(sh.items(top.get("appeals", []), "申诉"), 1))
    extra = sh.obj(top.get("extra", {}), "附加项")
    for key, value in extra.items():
        if not isinstance(value, str):
            raise sh.fail(f"附加项“{key[:20]}”不是文字")
    docs = sh.obj(top.get("documents"), "文件清单")
    sh.keys(docs, set(DOCUMENTS), "文件清单")
    hashes = {member: sh.digest(docs, member, "文件清单") for member in DOCUMENTS}
    records = BranchRecords(branch, schemes, tuple(locks), tuple(amendments), tuple(approvals), appeals, dict(extra))
    return records, quarter, hashes, fmt
