"""What a hand-made bundle could slip past its digests: a digest proves only that a record was not
changed after it was made, so a file made by hand can chain perfectly and still hold what no
jifen branch writes. These checks refuse, before anything is kept, what would mislead or break
the committee: names that hide characters or mimic another branch's, a roster repeating a member,
rosters or entries by the hundred thousand, implausible rating counts, years no meeting was held
in, and corrections reaching into a quarter other than their own.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from committee.records import BranchRecords

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_MEMBERS = 1000  # one quarter's roster: a branch (even a general branch) is far smaller
MAX_ENTRIES = 20000  # one quarter's points entries
MAX_COUNT = 10000  # one member's ratings of one grade in one round: more than any meeting's ballots
MAX_BRANCH_NAME = 60
MAX_NAME = 50  # a member's name, gender or post as the console and the PDF show it
MAX_TEXT = 500  # a scheme's name, an appeal's state or answer
MAX_APPEALS = 1000
STATUSES = ("full", "probationary")
# Control characters drive a terminal; format characters (zero-width, bidi overrides) change
# what the eye reads without being seen; line and paragraph separators break a table's row.
_HIDDEN = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def hidden(text: str) -> bool:
    return any(unicodedata.category(ch) in _HIDDEN for ch in text)


def name_key(name: str) -> str:
    """What two names are compared by: width folded (NFKC), case folded, every space and hidden
    character removed. Two branches whose keys agree would read as one in the report."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch) not in _HIDDEN)


def branch_name_problem(name: str) -> str | None:
    shown = name.encode("unicode_escape").decode("ascii")[:80] if hidden(name) else name[:40]
    if not name_key(name):
        return "党支部名称为空（或只有空格、不可见字符）"
    if name != name.strip():
        return f"党支部名称“{shown}”前后有空格"
    if hidden(name):
        return f"党支部名称“{shown}”含有控制字符或不可见字符"
    if len(name) > MAX_BRANCH_NAME:
        return f"党支部名称过长（{len(name)}字，上限{MAX_BRANCH_NAME}字）"
    return None


def _scheme_name(text: str) -> Any:
    from core.toml import tomllib

    try:
        return tomllib.loads(text).get("name")
    except (ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        return None  # content_problems names a scheme that does not parse


def _text_problem(value: Any, what: str, most: int = MAX_NAME) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return f"{what}不是文字"
    if hidden(value):
        return f"{what}“{value.encode('unicode_escape').decode('ascii')[:60]}”含有控制字符或不可见字符"
    if len(value) > most:
        return f"{what}过长（{len(value)}字，上限{most}字）"
    return None


def _year_problem(year: int, what: str) -> str | None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return f"{what}的年度 {year} 不在 {FIRST_YEAR}—{LAST_YEAR} 之间"
    return None


def _whole(n: Any) -> bool:
    return isinstance(n, int) and not isinstance(n, bool)


def _count_ok(n: Any) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_COUNT


def _lock_problems(label: str, content: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    members = content.get("members")
    if not isinstance(members, list):
        return [f"{label}：锁定记录没有党员名单"]
    if len(members) > MAX_MEMBERS:
        return [f"{label}：党员人数 {len(members)} 超过上限 {MAX_MEMBERS}，不是党支部的记录"]
    entries = content.get("entries")
    if isinstance(entries, list) and len(entries) > MAX_ENTRIES:
        problems.append(f"{label}：积分事项 {len(entries)} 条，超过上限 {MAX_ENTRIES}")
    ids: set[str] = set()
    for i, m in enumerate(members, 1):
        if not isinstance(m, dict):
            problems.append(f"{label}：党员名单第{i}项不是对象")
            continue
        if not (_whole(m.get("id")) and _whole(m.get("seq")) and m.get("status") in STATUSES
                and isinstance(m.get("exempt"), bool)):
            # the report sorts by seq and names the status: a record of another shape breaks it
            problems.append(f"{label}：党员名单第{i}项的编号、序号、身份或免于积分管理不是 jifen 所写的形式")
        mid = str(m.get("id"))
        if mid in ids:
            problems.append(f"{label}：党员名单中编号 {mid[:20]} 重复出现")
        ids.add(mid)
        name = m.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{label}：党员名单第{i}项没有姓名")
        for key, what in (("name", "姓名"), ("gender", "性别"), ("post", "职务")):
            said = _text_problem(m.get(key), f"党员名单第{i}项的{what}")
            if said:
                problems.append(f"{label}：{said}")
    ratings = content.get("ratings") or {}
    if not isinstance(ratings, dict):
        return [*problems, f"{label}：测评结果格式不对"]
    for rnd, by_member in ratings.items():
        bad = not isinstance(by_member, dict) or any(
            not isinstance(labels, dict) or not all(_count_ok(n) for n in labels.values())
            for labels in by_member.values())
        if bad:
            problems.append(f"{label}：第{str(rnd)[:8]}轮测评结果的票数不是 0—{MAX_COUNT} 之间的整数")
    return problems[:10]


def _correction_problems(records: BranchRecords, contents: dict[str, dict[str, Any]]) -> list[str]:
    """A correction changes entries of its own quarter only: the figures match corrections to
    entries by id across the year, so one reaching elsewhere would change a quarter whose records
    do not vouch for it."""
    problems = []
    for i, a in enumerate(records.amendments, 1):
        own = contents.get(a.quarter)
        try:
            changes = json.loads(a.canonical).get("changes") or []
            entries = {str(e["id"]) for e in (own or {}).get("entries") or []}
            reached = [str(ch["entry"]) for ch in changes if str(ch["entry"]) not in entries]
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # its shape is for the figures' check to name
        if reached:
            problems.append(f"{a.quarter}：第{i}项更正改动的积分事项#{reached[0][:20]}不是该季度锁定的事项")
    return problems


def record_problems(records: BranchRecords) -> list[str]:
    """One Chinese line per thing in the records the committee must not take, whatever the digests."""
    problems: list[str] = []
    said = branch_name_problem(records.branch)
    if said:
        problems.append(said)
    for year in records.schemes:
        problems += filter(None, [_year_problem(year, "积分方案")])
    for p in records.approvals:
        problems += filter(None, [_year_problem(p.year, "等次批复")])
    contents: dict[str, dict[str, Any]] = {}
    for lock in records.locks:
        said = _year_problem(int(lock.quarter[:4]), f"锁定记录 {lock.quarter}")
        if said:
            problems.append(said)
            continue
        try:
            content = json.loads(lock.canonical)
        except (ValueError, RecursionError):
            continue  # chain_problems names it
        if isinstance(content, dict):
            contents[lock.quarter] = content
            problems += _lock_problems(lock.quarter, content)
    if len(records.appeals) > MAX_APPEALS:
        problems.append(f"申诉 {len(records.appeals)} 项，超过上限 {MAX_APPEALS}")
    for a in records.appeals[:MAX_APPEALS]:
        # The report prints the branch's statement of each appeal as it came.
        for value, what, most in ((a.member, "党员姓名", MAX_NAME), (a.state, "状态", MAX_TEXT),
                                  (a.outcome, "答复", MAX_TEXT), (a.deadline, "答复期限", MAX_NAME),
                                  (a.filed_on, "提出日期", MAX_NAME)):
            said = _text_problem(value, f"申诉第{a.number}号的{what}", most)
            if said:
                problems.append(said)
    for year, (scheme_id, text) in records.schemes.items():
        said = _text_problem(scheme_id, f"{year}年度积分方案的编号", MAX_TEXT) or _text_problem(
            _scheme_name(text), f"{year}年度积分方案的名称", MAX_TEXT)
        if said:
            problems.append(said)
    return problems + _entry_problems(contents) + _correction_problems(records, contents)


def _entry_problems(contents: dict[str, dict[str, Any]]) -> list[str]:
    """An entry's id is the branch database's key, one entry in one quarter: corrections find
    entries by it, so an id used twice would carry one correction into two entries."""
    seen: dict[str, str] = {}
    for label, content in contents.items():
        entries = content.get("entries")
        for e in entries if isinstance(entries, list) else []:
            eid = str(e.get("id")) if isinstance(e, dict) else ""
            if eid in seen:
                return [f"{label}：积分事项#{eid[:20]}与{seen[eid]}的事项编号重复"]
            seen[eid] = label
    return []
