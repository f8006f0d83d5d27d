"""The committee console's texts: a branch's row, a member's row and the lines under the branch
table, all from the committee's report (committee.report), so the page says what the report
file says (the long texts come from committee.report_files itself)."""

from __future__ import annotations

from decimal import Decimal

from committee.report import BranchReport, MemberLine
from committee.report_files import appeals_text, distribution_text, under_text
from committee.store import BranchSummary
from core.numbers import show

# Tables narrower than this leave out the scheme and the digest (the lines below the table say them).
WIDE = 150

UNDER_MARK = "▼"  # before a total under the scheme's pass mark


def branch_columns(wide: bool) -> list[str]:
    return ["党支部", *(["积分方案"] if wide else []), "报送", "人数", "等次分布", "低于及格线", "更正", "未结申诉",
            *(["本季度校验码"] if wide else [])]


def short_digest(digest: str) -> str:
    return f"{digest[:12]}…" if digest else "—"


def distribution_cell(b: BranchReport) -> str:
    """The grades that have members, compact: 优秀1 合格3 (the lines below say them all)."""
    return " ".join(f"{g}{n}" for g, n in b.distribution.items() if n) or "—"


def under_cell(b: BranchReport) -> str:
    return "未设" if b.mark is None else (f"{len(b.under)}人" if b.under else "无")


def appeals_cell(b: BranchReport) -> str:
    n = len(b.open_appeals)
    late = sum(1 for a in b.open_appeals if a.overdue)
    if not n:
        return "无"
    return f"{n}件（逾期{late}）" if late else f"{n}件"


def counted(b: BranchReport) -> int:
    """Members under points management, as the report file's 党员人数 counts them (not the exempt)."""
    return sum(1 for m in b.members if not m.exempt)


def branch_cells(b: BranchReport, wide: bool) -> list[str]:
    return [b.branch, *([b.scheme_name] if wide else []), "已报送", str(counted(b)), distribution_cell(b),
            under_cell(b), str(b.corrections), appeals_cell(b), *([short_digest(b.last_lock)] if wide else [])]


def missing_cells(name: str, summary: BranchSummary | None, wide: bool) -> list[str]:
    return [name, *(["—"] if wide else []), "未报送", "—", "—", "—", "—", "—", *(["—"] if wide else [])]


def unfigured_cells(name: str, wide: bool) -> list[str]:
    return [name, *(["—"] if wide else []), "无法计算", "—", "—", "—", "—", "—", *(["—"] if wide else [])]


def branch_lines(b: BranchReport) -> list[str]:
    """What the table cannot hold about a reported branch, for the lines under it."""
    lines = [f"{b.branch} · {b.scheme_name} · 本季度校验码 {b.last_lock[:16]}…",
             f"{b.grade_heading}分布：{distribution_text(b) or '—'}"]
    if b.mark is not None:
        lines.append(f"总分{b.mark.text}（{b.mark.grade}线）：{under_text(b)}")
    else:
        lines.append("本方案未设总分分数线")
    lines.append(f"已作更正：{b.corrections}次　未结申诉：{appeals_text(b)}")
    if b.alone:
        lines.append("本方案仅此一个支部报送，同方案排名空缺")
    return lines


def missing_lines(name: str, quarter_name: str, summary: BranchSummary | None) -> list[str]:
    if summary is None or not summary.last_quarter:
        return [f"{name}：未报送{quarter_name}"]
    return [f"{name}：未报送{quarter_name}",
            f"党委所存最后一个季度：{summary.last_quarter}（校验码 {short_digest(summary.last_digest)}），"
            f"共 {summary.quarters} 个已锁定季度"]


MEMBER_COLUMNS = ["序号", "姓名", "职务", "身份", "积分", "评议分", "总分", "支部排名", "同方案排名"]


def member_columns(grade_heading: str, wide: bool = True) -> list[str]:
    """Narrow tables leave out 职务 (the head line says whose table it is): the grade and the
    flags must stay in view at 100 columns."""
    return [c for c in [*MEMBER_COLUMNS, grade_heading, "提示"] if wide or c != "职务"]


def _figure(value: Decimal | None) -> str:
    return show(value) if value is not None else "—"


def member_cells(m: MemberLine, b: BranchReport, wide: bool = True) -> list[str]:
    if m.exempt:
        figures = ["免于积分管理", "", ""]
    else:
        total = _figure(m.total)
        if b.mark is not None and m in b.under:
            total = f"{UNDER_MARK}{total}"
        figures = [_figure(m.points), _figure(m.evaluation), total]
    rank = "" if m.rank is None else str(m.rank)
    shared = "" if m.shared_rank is None else str(m.shared_rank)
    return [str(m.seq), m.name, *([m.post or "—"] if wide else []), m.status, *figures, rank, shared,
            m.grade or "—", "、".join(m.flags) or ""]


def members_head(b: BranchReport, quarter_name: str) -> str:
    mark = f"{UNDER_MARK} 总分{b.mark.text}：低于{b.mark.grade}线" if b.mark else "本方案未设总分分数线"
    shared = "同方案排名：本方案仅此一个支部报送，空缺" if b.alone else "同方案排名：在报送的同方案各支部全体党员中排名"
    exempt = len(b.members) - counted(b)
    people = f"党员{counted(b)}人" + (f"（另有免于积分管理{exempt}人）" if exempt else "")
    return (f"{b.scheme_name}　{quarter_name}　{people}　{b.grade_heading}分布：{distribution_text(b) or '—'}\n"
            f"{mark}　{shared}")
