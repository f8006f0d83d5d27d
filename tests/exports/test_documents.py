"""The documents a branch prints and files: the minute (会议记录), the publicity forms
(季度公示表/年度公示表), 个人清单, 工作台账, and the XLSX/CSV tables (the blank 民主评议测评表:
test_ballots.py).

Every document is written to a real file and read back: PDFs with pypdf, spreadsheets with
openpyxl and the csv module. What a document should say is taken from the store (board,
votes, quorum, ballot summary, locks), not from guesses.

Reading the PDFs back: fpdf2 embeds the CFF-outline Noto CJK font as a CIDFontType0 whose
/Encoding is an embedded CMap stream (two-byte codes, <0000>-<FFFF>). pypdf 7 does not
understand an /Encoding stream and falls back to one-byte StandardEncoding, so plain
`extract_text()` puts a NUL before every character and garbles every glyph coded 256 or
higher (in the Q3 minute: from 三、民主评议 onwards, the digests and the signature lines).
`read_pdf` therefore tells pypdf that those fonts use Identity-H, which is what the embedded
CMap's code space is, and then uses `extract_text()` unchanged; the ToUnicode maps fpdf2
writes are correct (poppler's pdftotext reads the same files right).
`test_minute_reads_back_with_plain_pypdf` records the raw behaviour.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.generic import NameObject, StreamObject

from core.labels import RATING_LABELS
from core.numbers import show
from core.quarter import QuarterRef
from core.schemes import builtin, builtin_text
from db.demo import ABSENT, AGENDA, HOST, MEETING_DAYS, OBSERVERS, PLACE, RECORDER, build_demo
from db.engine import open_engine
from db.store import MeetingFacts, Store
from exports.deadlines import WorkCalendar
from exports.forms import (
    ledger_table,
    publicity_table,
    write_ledger,
    write_personal,
    write_publicity,
)
from exports.minutes import write_minutes
from exports.sheets import write_table
from tests.support import pdf_lines

JIFEN = Path(sys.executable).parent / "jifen"
BRANCH = "新密市中医院第一党支部"
YEAR = 2026
Q4_DAY = datetime(2026, 12, 18, 14, 30)
XINMI_TITLE = "《关于开展“党员积分制管理”工作实施方案》"  # the title in the demo scheme's `document` line
MM = 72 / 25.4  # PDF points per millimetre

# --------------------------------------------------------------------------------- reading PDFs


def _identity_h(reader: PdfReader) -> None:
    """Mark the Type0 fonts whose /Encoding is an embedded two-byte CMap as Identity-H (see the
    module docstring); nothing else in the file is touched."""
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            if font.get("/Subtype") != "/Type0":
                continue
            enc = font.get("/Encoding")
            enc = enc.get_object() if enc is not None else None
            if isinstance(enc, StreamObject) and b"<0000> <FFFF>" in enc.get_data():
                font[NameObject("/Encoding")] = NameObject("/Identity-H")


def read_pdf(path: Path) -> list[str]:
    """The text of each page, by pypdf's extract_text."""
    reader = PdfReader(path)
    _identity_h(reader)
    return [page.extract_text() for page in reader.pages]


def flat(text: str) -> str:
    """Text without any white space: cells and wrapped lines run together."""
    return re.sub(r"\s+", "", text)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


SIGNIN = "党员大会签到表"


def minute_body(pages: list[str]) -> list[str]:
    """The minute's pages without its attached 签到表 (whose rows also start with 序号 and 姓名)."""
    return [p for p in pages if "附件" not in lines(p)]  # the attachment's page is headed 附件 on a line alone


def row_tokens(pages: list[str], name: str) -> list[list[str]]:
    """The table rows (as white-space separated tokens) that start with a number, then `name`,
    in the minute's body (an attached 签到表 left out)."""
    rows = [line.split() for page in minute_body(pages) for line in lines(page)]
    return [r for r in rows if r[1:2] == [name] and r[0].isdigit()]


class _Widths:
    """Advance widths (in em) of the CJK font the documents use, read with fontTools."""

    def __init__(self) -> None:
        from fontTools.ttLib import TTFont

        from exports.fonts import find_font

        font = find_font()
        face = TTFont(str(font.path), fontNumber=font.index, lazy=True)
        self.cmap = face.getBestCmap()
        self.hmtx = face["hmtx"]
        self.upem = face["head"].unitsPerEm

    def ems(self, text: str) -> float:
        return sum(self.hmtx[self.cmap[ord(c)]][0] if ord(c) in self.cmap else self.upem for c in text) / self.upem


@pytest.fixture(scope="session")
def widths() -> _Widths:
    return _Widths()


def placed_text(path: Path, widths: _Widths | None = None) -> list[tuple[int, float, float, float, float, float, str]]:
    """Every line of text: its page, start x and baseline y (from the page's foot), end x, and the
    page's width and height, in points, as poppler places the glyphs (character spacing, the
    squeezed punctuation and justified lines included)."""
    return [(ln.page, ln.x0, ln.height - ln.baseline, ln.x1, ln.width, ln.height, ln.text.strip())
            for ln in pdf_lines(path)]


# The page number: 第 k 页 共 N 页 (records and forms, after the draft mark if any) or — k — (notices).
FOOTER = re.compile(r"^(草稿（未锁定）\s*)?(第 \d+ 页 共 \d+ 页|— \d+ —)$")


def has_folio(text: str, k: int, n: int) -> bool:
    """The page's text carries its number, in either manner."""
    return f"第 {k} 页 共 {n} 页" in text or re.search(f"(^|\n)— {k} —(\n|$)", text) is not None


def body_text(path: Path) -> str:
    """The document's text without its running heads and page numbers: what a reader reads on,
    from one page to the next."""
    title = PdfReader(path).metadata.title
    keep = [line for k, page in enumerate(read_pdf(path)) for line in page.splitlines()
            if not FOOTER.match(line.strip()) and not (k and line.strip() == title)]
    return "\n".join(keep)


def assert_on_the_page(path: Path, widths: _Widths | None = None) -> None:
    """Every page has its own page number (第 k 页 共 N 页 or — k —); no text starts left of the
    22 mm margin or runs past the right one; only the page number sits in the footer band below
    the 20 mm bottom margin."""
    pages = read_pdf(path)
    n = len(pages)
    for k, text in enumerate(pages, 1):
        assert has_folio(text, k, n), (path.name, k)
    placed = placed_text(path, widths)
    assert placed
    for k, x, y, end, width, height, text in placed:
        assert x >= 21 * MM and end <= width - 21 * MM, (path.name, k, x / MM, end / MM, text)
        assert 10 * MM <= y <= height - 15 * MM, (path.name, k, y / MM, text)
        if FOOTER.match(text) and "第" in text:
            assert y < 14 * MM, (path.name, k, y / MM, text)
        else:
            assert y > 20 * MM, (path.name, k, y / MM, text)  # above the bottom margin, clear of the footer


# --------------------------------------------------------------------------------- the demo


def _hold_q4(store: Store) -> None:
    """Today's meeting of the demo, held through the store: roll call, the three contested
    entries put to the vote, the year's evaluation collected ballot by ballot, then the lock."""
    store.clock = lambda: Q4_DAY
    agenda = "\n".join((*AGENDA, "开展年度民主评议党员"))
    store.open_meeting(QuarterRef(YEAR, 4), MeetingFacts(Q4_DAY, PLACE, HOST, RECORDER, OBSERVERS, agenda))
    for m in store.members():
        if m.meeting_exempt:
            continue
        if m.name == "谢德明":
            store.roll_call(QuarterRef(YEAR, 4), m.id, False, "病假")
        else:
            store.roll_call(QuarterRef(YEAR, 4), m.id, True)
    q = store.quorum(QuarterRef(YEAR, 4))
    contested = [e for e in store.entries(QuarterRef(YEAR, 4)) if e.status == "有异议"]
    assert len(contested) == 3
    for i, e in enumerate(contested):
        if i == 1:
            store.vote(e.id, 4, q.voting_present - 5, 1)
        else:
            store.vote(e.id, q.voting_present - 2, 1, 1)
    graded = store.graded_members(YEAR)
    store.set_ballots_issued(QuarterRef(YEAR, 4), 22)
    for k in range(20):
        # 6 优秀 of the 24 names (j % 4 == k % 4): within the 7 a ballot may give (a third of the 21 full members)
        marks = {m.id: ("优秀" if (j + k) % 4 == 0 else "合格") for j, m in enumerate(graded)}
        if k == 18:
            marks[graded[-1].id] = "基本合格"
        if k == 19:
            marks[graded[-2].id] = "不合格"
        store.add_ballot(QuarterRef(YEAR, 4), marks)
    store.add_ballot(QuarterRef(YEAR, 4), None)  # one returned blank
    assert store.lock_problems(QuarterRef(YEAR, 4)) == []
    store.lock(QuarterRef(YEAR, 4))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.db"
    store = build_demo(db)
    _hold_q4(store)
    return SimpleNamespace(store=store, db=db, folder=folder, no_holidays=folder / "no-holidays.toml")


@pytest.fixture(scope="module")
def q3_minute(demo):
    return write_minutes(demo.store, YEAR, 3, demo.folder / "2026Q3-会议记录.pdf")


@pytest.fixture(scope="module")
def q4_minute(demo):
    return write_minutes(demo.store, YEAR, 4, demo.folder / "2026Q4-会议记录.pdf")


@pytest.fixture(scope="module")
def q3_publicity(demo):
    return write_publicity(demo.store, YEAR, 3, demo.folder / "2026Q3-季度公示表.pdf", demo.no_holidays)


@pytest.fixture(scope="module")
def year_publicity(demo):
    return write_publicity(demo.store, YEAR, None, demo.folder / "2026-年度公示表.pdf", demo.no_holidays)


@pytest.fixture(scope="module")
def personal_all(demo):
    return write_personal(demo.store, YEAR, demo.folder / "个人清单.pdf")


@pytest.fixture(scope="module")
def ledger_pdf(demo):
    return write_ledger(demo.store, YEAR, demo.folder / "工作台账.pdf")


def _ids(store: Store) -> dict[str, int]:
    return {m.name: m.id for m in store.members()}


# --------------------------------------------------------------------------------- a branch with an exempt member

# The demo's scheme (xinmi) has no exemption from points management, so how documents treat an exempt
# member is checked on a small branch under jsit, whose seed (二) provides it: 王瑞 is exempt.
COLLEGE = "江苏信息职业技术学院计算机工程学院教工党支部"
COLLEGE_SCHEME = "jsit-college-2020"
EXEMPT = "王瑞"
COLLEGE_ROLL = (("周明", "男", "1980-05", "教研室主任", "full"), ("吴芳", "女", "1986-09", "专任教师", "full"),
                ("郑磊", "男", "1998-03", "辅导员", "probationary"), ("王瑞", "男", "1968-11", "实验员", "full"),
                ("冯涛", "男", "1990-02", "专任教师", "full"))
# The four ballots of the year's evaluation: three marked (at most 1 优秀 each: a third of the 3 full
# members, at least 1), one returned blank.
COLLEGE_BALLOTS = ({"周明": "优秀", "吴芳": "合格", "郑磊": "合格", "冯涛": "合格"},
                   {"周明": "合格", "吴芳": "合格", "郑磊": "合格", "冯涛": "优秀"},
                   {"周明": "优秀", "吴芳": "基本合格", "郑磊": "合格", "冯涛": "合格"},
                   None)


@pytest.fixture(scope="module")
def college(tmp_path_factory):
    """The jsit branch: 周明 +2 (J2), 吴芳 −2 (C2, in 组织生活), 2026Q4 held with the year's evaluation, locked."""
    folder = tmp_path_factory.mktemp("college")
    store = Store(open_engine(folder / "college.db"), "测试", clock=lambda: datetime(2026, 12, 1, 9, 0))
    store.init_branch(COLLEGE, COLLEGE_SCHEME, builtin_text(COLLEGE_SCHEME), YEAR)
    assert store.scheme(YEAR).exemption is not None
    ids = store.add_members([
        dict(name=n, gender=g, birth_month=b, post=p, status=s, status_since="2026-01-08" if s != "full" else "",
             exempt=n == EXEMPT, exempt_reason="长期病休" if n == EXEMPT else "")
        for n, g, b, p, s in COLLEGE_ROLL])
    by_name = dict(zip([r[0] for r in COLLEGE_ROLL], ids, strict=True))
    store.add_entries(YEAR, [dict(quarter=4, member_id=by_name["周明"], kind="bonus", points=2, item="J2"),
                             dict(quarter=4, member_id=by_name["吴芳"], kind="deduction", points=2, item="C2")])
    store.clock = lambda: Q4_DAY
    store.open_meeting(QuarterRef(YEAR, 4), MeetingFacts(Q4_DAY, "行政楼三楼会议室", "周明", "吴芳", "",
                                                         "开展年度民主评议党员"))
    store.roll_call_rest(QuarterRef(YEAR, 4))
    assert [m.name for m in store.graded_members(YEAR)] == ["周明", "吴芳", "郑磊", "冯涛"]
    store.set_ballots_issued(QuarterRef(YEAR, 4), 4)
    for marks in COLLEGE_BALLOTS:
        store.add_ballot(QuarterRef(YEAR, 4), None if marks is None else {by_name[n]: r for n, r in marks.items()})
    assert store.ballot_summary(QuarterRef(YEAR, 4)) == {"issued": 4, "returned": 4, "valid": 3, "void": 1, "blank": 1}
    store.lock(QuarterRef(YEAR, 4))
    return SimpleNamespace(store=store, folder=folder, ids=by_name, quarter=4,
                           minute=write_minutes(store, YEAR, 4, folder / "2026Q4-会议记录.pdf"))


# --------------------------------------------------------------------------------- the Q3 minute


def test_q3_minute_heading_and_meeting_facts(demo, q3_minute):
    pages = read_pdf(q3_minute)
    meeting = demo.store.meeting(QuarterRef(YEAR, 3))
    first = pages[0]
    assert f"{BRANCH}党员大会会议记录" in first
    assert "（2026年第三季度）" in first
    assert meeting.held_at == MEETING_DAYS[3]
    assert re.search("时间：\\s*2026年9月25日 14:30", first)  # a space after the label, or none
    assert flat(f"地点：{PLACE}") in flat(first)
    assert flat(f"主持人：{HOST}") in flat(first) and HOST == "王建国"
    assert flat(f"记录人：{RECORDER}") in flat(first) and RECORDER == "刘丽娟"
    assert flat(f"列席：{OBSERVERS}") in flat(first) and "张志宏" in OBSERVERS


def test_q3_minute_attendance_and_quorum(demo, q3_minute):
    text = flat("\n".join(read_pdf(q3_minute)))
    q = demo.store.quorum(QuarterRef(YEAR, 3))
    assert (q.expected, q.present, q.absent) == (23, 21, 2)
    assert f"应到：{q.expected}人（罗志刚经批准不参加会议，不计入应到人数）" in text
    assert f"实到：{q.present}人" in text
    assert f"缺席：{q.absent}人：" in text
    assert {a.name for a in q.absentees} == set(ABSENT[3])
    for name, (reason, opinion) in ABSENT[3].items():
        assert f"{name}（{reason}" + (f"，书面意见：{opinion}）" if opinion else "）") in text
    assert q.has_quorum
    assert (f"本支部有表决权的党员应到{q.voting_expected}人，实到{q.voting_present}人，"
            "超过半数，会议有效，可以进行表决。") in text


def test_q3_minute_agenda(q3_minute):
    text = "\n".join(read_pdf(q3_minute))
    assert "会议议题" in text
    for i, item in enumerate(AGENDA, 1):
        assert f"{i}. {item}" in text


def test_q3_minute_member_figures_match_the_board(demo, q3_minute):
    pages = read_pdf(q3_minute)
    text = "\n".join(pages)
    assert "序号 姓名 基础分 加分 减分 合计 名次" in text
    board = demo.store.board(YEAR, explain=False, upto=3)
    assert len(board.members) == 24
    assert "免于积分管理" not in text  # xinmi has no exemption: everyone is scored
    for m in board.members:
        rows = row_tokens(pages, m.name)
        assert len(rows) == 1, m.name
        assert not m.exempt, m.name
        p = m.parts[2]
        assert rows[0][2:] == [show(p.base), show(p.bonus), show(p.deduction), show(m.total), str(m.rank)], m.name
    # one member worked out in full: 周晓梅 has half points.
    zhou = next(m for m in board.members if m.name == "周晓梅")
    assert row_tokens(pages, "周晓梅")[0][2:] == ["80", show(zhou.parts[2].bonus), "0.5",
                                                 show(zhou.parts[2].base + zhou.parts[2].bonus
                                                      - zhou.parts[2].deduction), str(zhou.rank)]
    # 罗志刚, excused from the meetings on long sick leave, is scored all the same: no entries all
    # year, so base 80 + 0 − 0 = 80.
    luo = next(m for m in board.members if m.name == "罗志刚")
    assert row_tokens(pages, "罗志刚")[0][2:] == ["80", "0", "0", "80", str(luo.rank)]


def test_minute_shows_an_exempt_member_without_figures(college):
    """Under a scheme with exemption (jsit) the exempt member's row says 免于积分管理 and nothing else;
    the others' figures are jsit's base 100 (the sum of its eight categories' full marks
    12 + 12 + 24 + 12 + 4 + 12 + 12 + 12) with the year's entries."""
    pages = read_pdf(college.minute)
    assert [r[2:] for r in row_tokens(pages, EXEMPT)] == [["免于积分管理"]]
    assert row_tokens(pages, "周明")[0][2:6] == ["100", "2", "0", "102"]  # J2 +2
    assert row_tokens(pages, "吴芳")[0][2:6] == ["100", "0", "2", "98"]  # C2 −2, inside 组织生活
    assert row_tokens(pages, "冯涛")[0][2:6] == ["100", "0", "0", "100"]


def test_q3_minute_votes(demo, q3_minute):
    text = flat(body_text(q3_minute))  # a citation may run on over a page break
    votes = demo.store.votes(QuarterRef(YEAR, 3))
    assert len(votes) == 2 and {v.passed for v in votes} == {True, False}
    entries = {e.id: e for e in demo.store.entries(QuarterRef(YEAR, 3))}
    names = {m.id: m.name for m in demo.store.members()}
    # The demo is drawn with a fixed seed: at Q3, 李秀英's J2.1 bonus passes and 张伟's K5.1 deduction fails.
    assert [(names[entries[v.entry_id].member_id], entries[v.entry_id].item_code, v.passed) for v in votes] == [
        ("李秀英", "J2.1", True), ("张伟", "K5.1", False)]
    # What is cited is built from the scheme as shipped, so re-quoting its clauses does not break this test.
    scheme = builtin("xinmi-hospital-2023")
    assert "三、有异议事项的表决" in text
    for v in votes:
        e = entries[v.entry_id]
        said = re.search(f"以{v.method}方式表决，到会有表决权的党员{v.present}人，赞成{v.yes}票，反对{v.no}票，"
                         f"弃权{v.abstain}票。按《中国共产党支部工作条例（试行）》第十一条，赞成票须超过应到会有表决权"
                         f"党员{v.expected}人的半数，即至少(\\d+)票；本事项(未通过|通过)。", text)
        assert said, v
        assert int(said.group(1)) == v.expected // 2 + 1
        assert said.group(2) == ("通过" if v.passed else "未通过")
        assert f"赞成须超过半数即至少{said.group(1)}票" in v.rule  # the same rule the store applied
        tags = "，".join(t for t in (e.item_code, e.level) if t)
        kind = "加分" if e.kind == "bonus" else "减分"
        what = f"{names[e.member_id]}，{kind}{show(e.points)}分（{tags}）事项：{flat(e.note)}。"
        assert what in text
        # Then 依据 (the scheme document's title in 《》, the place and the seed's own words in quotes) and
        # 说明 (the scheme's reading, never inside the quotation), each only where the scheme has it.
        item = scheme.item(e.item_code)
        assert item is not None and item.clause, e.item_code
        assert item.cite.startswith(f"{item.place}“") and item.cite.endswith("”")
        basis = f"依据：{XINMI_TITLE}{item.cite}" + (f"说明：{item.reading}" if item.reading else "")
        assert flat(f"{what}{basis}") in text


def test_q3_minute_evaluation_digests_and_signatures(demo, q3_minute):
    pages = read_pdf(q3_minute)
    text = "\n".join(pages)
    assert "四、民主评议" in text and "本次会议未进行民主评议。" in text
    lock = demo.store.lock_of(QuarterRef(YEAR, 3))
    q2 = demo.store.lock_of(QuarterRef(YEAR, 2))
    assert lock.previous_digest == q2.digest
    assert flat(f"本记录校验码为：{lock.digest}") in flat(text)  # printed in groups of 8
    assert flat(f"上一季度校验码：{lock.previous_digest}") in flat(text)
    # the demo locks as the meeting closes (compared without line breaks)
    assert flat("本季度记录已于2026年9月25日 16:10锁定") in flat(text)
    # the signatures close the minute, on the page before the attached 签到表
    assert "主持人（签字）：" in pages[-2] and "记录人（签字）：" in pages[-2] and SIGNIN in pages[-1]


def test_q3_minute_page_numbers(q3_minute):
    pages = read_pdf(q3_minute)
    n = len(pages)
    assert n >= 2
    for k, text in enumerate(pages, 1):
        assert f"第 {k} 页 共 {n} 页" in text
        assert text.count("页 共") == 1


def test_q3_minute_stays_small(q3_minute):
    assert q3_minute.stat().st_size < 200 * 1024  # the font is subset, not embedded whole


@pytest.mark.xfail(strict=True, reason="DEFECT (interoperability): fpdf2 writes the CFF Noto CJK font with an "
                   "embedded CMap stream as /Encoding; pypdf does not read it, so plain extract_text() puts a NUL "
                   "before every character and garbles every glyph coded >= 256 "
                   "(the digests, 系统, 锁定, the signature lines)")
def test_minute_reads_back_with_plain_pypdf(demo, q3_minute):
    lock = demo.store.lock_of(QuarterRef(YEAR, 3))
    text = "\n".join(page.extract_text() for page in PdfReader(q3_minute).pages)
    assert f"本记录校验码为：{lock.digest}" in text
    assert "主持人（签字）" in text


def test_minute_lines_never_start_with_closing_punctuation(q3_minute):
    for k, text in enumerate(read_pdf(q3_minute), 1):
        for line in lines(text):
            assert line[0] not in "，。、；：）》」』”！？", (k, line)


# --------------------------------------------------------------------------------- the Q4 minute


def test_q4_minute_evaluation_summary(demo, q4_minute):
    text = flat("\n".join(read_pdf(q4_minute)))
    s = demo.store.ballot_summary(QuarterRef(YEAR, 4))
    assert s == {"issued": 22, "returned": 21, "valid": 20, "void": 1, "blank": 1}
    assert (f"发出测评票{s['issued']}张，收回{s['returned']}张，有效{s['valid']}张，无效{s['void']}张"
            f"（全部未标记（空白票）1张），空白{s['blank']}张。") in text
    assert "本次会议未进行民主评议" not in text


def test_q4_minute_counts_and_proposed_grades(demo, q4_minute):
    pages = read_pdf(q4_minute)
    text = "\n".join(pages)
    assert "序号 姓名 优秀 合格 基本合格 不合格 评议分 拟定等次" in text
    counts = demo.store.ratings_of_quarter(QuarterRef(YEAR, 4))[1]
    board = demo.store.board(YEAR, explain=False, upto=4)
    graded = demo.store.graded_members(YEAR)
    assert len(graded) == 24 and [m.name for m in graded] == [m.name for m in demo.store.members()]
    grades = set()
    for seq, m in enumerate(graded, 1):
        r = board.member(str(m.id))
        c = counts[m.id]
        grade = r.grade or ("不定等次" if m.status == "probationary" else "—")
        grades.add(grade)
        expected = [str(seq), m.name, *[str(c.get(label, 0)) for label in RATING_LABELS], show(r.evaluation), grade]
        rows = [t for t in row_tokens(pages, m.name) if len(t) == 8]  # the evaluation table, not the figures
        assert rows == [expected], m.name
        assert sum(c.values()) == 20  # one mark per valid ballot
    assert {"优秀", "合格", "不定等次"} <= grades
    # 罗志刚 (20th on the roll, j = 19 in _hold_q4) was on every ballot though excused from the meeting:
    # 优秀 where (19 + k) % 4 == 0, i.e. k = 1, 5, 9, 13, 17: 5 times, 合格 the other 15;
    # 评议分 (5 × 95 + 15 × 85) / 20 = (475 + 1275) / 20 = 87.5. His year is the base 80 (no entries);
    # 优秀 needs the top third of the 21 full members (7), and more than 7 full members have more than
    # 80, so he is 合格 (70 or more).
    assert sum(r.status == "full" and r.points > 80 for r in board.members) > 7
    assert [t for t in row_tokens(pages, "罗志刚") if len(t) == 8] == [
        ["20", "罗志刚", "5", "15", "0", "0", "87.5", "合格"]]


def test_q4_minute_leaves_an_exempt_member_out_of_the_evaluation(college):
    """jsit's branch: 王瑞 (免于积分管理) is not rated; the others from the three valid ballots, by hand:
    周明 优秀 2, 合格 1: (2 × 95 + 85) / 3 = 275 / 3 = 91.67; 102 ≥ 90, no 减分项目, first of the 3 full
    members (a third: 1) -> 优秀.  吴芳 合格 2, 基本合格 1: (2 × 85 + 70) / 3 = 80; 98 -> 合格.
    郑磊 合格 3: 85; probationary -> 不定等次.  冯涛 优秀 1, 合格 2: (95 + 2 × 85) / 3 = 265 / 3 = 88.33;
    100 but second -> 合格."""
    pages = read_pdf(college.minute)
    rows = [t for page in pages for t in (line.split() for line in lines(page)) if len(t) == 8 and t[0].isdigit()]
    assert rows == [["1", "周明", "2", "1", "0", "0", "91.67", "优秀"],
                    ["2", "吴芳", "0", "2", "1", "0", "80", "合格"],
                    ["3", "郑磊", "0", "3", "0", "0", "85", "不定等次"],
                    ["4", "冯涛", "1", "2", "0", "0", "88.33", "合格"]]
    assert "发出测评票4张，收回4张，有效3张，无效1张" in flat("\n".join(pages))


def test_q4_minute_chains_to_q3(demo, q4_minute):
    text = "\n".join(read_pdf(q4_minute))
    lock = demo.store.lock_of(QuarterRef(YEAR, 4))
    assert lock.previous_digest == demo.store.lock_of(QuarterRef(YEAR, 3)).digest
    assert flat(f"本记录校验码为：{lock.digest}") in flat(text)
    assert flat(f"上一季度校验码：{lock.previous_digest}") in flat(text)
    assert "本季度记录已于2026年12月18日 14:30锁定" in text
    assert flat("4. 开展年度民主评议党员") in flat(text)


# --------------------------------------------------------------------------------- publicity forms

QUARTER_HEADINGS = ["序号", "党员姓名", "性别", "年龄", "职务", "基础分", "加分", "减分", "合计"]


def test_q3_publicity_headings_and_members(demo, q3_publicity):
    pages = read_pdf(q3_publicity)
    text = "\n".join(pages)
    assert "“党员积分制管理”季度公示表" in text and "（2026年第三季度）" in text
    assert f"党支部（盖章）：{BRANCH}" in text and "填表时间：2026年9月25日" in text
    assert " ".join(QUARTER_HEADINGS) in text
    board = demo.store.board(YEAR, explain=False, upto=3)
    body = flat(text)
    for m in board.members:
        assert body.count(m.name) == 1, m.name
        if not m.exempt:
            p = m.parts[2]
            at = body.index(m.name)
            assert f"{show(p.base)}{show(p.bonus)}{show(p.deduction)}{show(p.figure)}" in body[at:at + 40], m.name


def test_q3_publicity_period_in_working_days(demo, q3_publicity):
    text = "\n".join(read_pdf(q3_publicity))
    process = demo.store.scheme(YEAR).process
    assert (process.publicity_days, process.answer_days, process.review_days) == (5, 3, 3)  # xinmi's
    held = demo.store.meeting(QuarterRef(YEAR, 3)).held_at.date()
    assert held == date(2026, 9, 25)
    # Fri 9-25: Mon 9-28, 9-29, 9-30, [10-1..10-7 国庆/中秋], Thu 10-8, Fri 10-9.
    p = WorkCalendar().publicity(process.publicity_days, held)
    assert p.window.dates == tuple(date(2026, m, d) for m, d in ((9, 28), (9, 29), (9, 30), (10, 8), (10, 9)))
    assert flat("公示期为5个工作日，自2026年9月28日至2026年10月9日。") in flat(text)
    assert p.note is None and "预计" not in text
    # The seed's procedure: answer deadlines, not windows after the publicity.
    assert "申诉期" not in text and "复议期" not in text
    assert flat("可向党支部提出申诉，党支部应自收到申诉之日起3个工作日内作出答复；"
                "对党支部的答复不满意的，可向医院党委申请复议，医院党委应自收到复议申请之日起3个工作日内作出答复。") \
        in flat(text)


def test_publicity_honours_a_holidays_file(demo, tmp_path):
    extra = tmp_path / "holidays.toml"
    extra.write_text("holidays = [2026-09-28]\n", encoding="utf-8")
    out = write_publicity(demo.store, YEAR, 3, tmp_path / "公示表.pdf", extra)
    text = "\n".join(read_pdf(out))
    p = WorkCalendar.from_file(extra).publicity(5, date(2026, 9, 25))
    assert p.window.first == date(2026, 9, 29) and p.window.last == date(2026, 10, 10)  # Sat 10-10: 调休
    assert flat("自2026年9月29日至2026年10月10日") in flat(text)


def test_year_publicity_has_rank_and_grade(demo, year_publicity):
    pages = read_pdf(year_publicity)
    text = "\n".join(pages)
    assert "“党员积分制管理”年度公示表" in text and "（2026年度）" in text
    assert " ".join([*QUARTER_HEADINGS, "名次", "拟定等次"]) in text
    board = demo.store.board(YEAR, explain=False)
    body, _, conversions = flat(text).partition("预备党员按期转正")  # the table, then the 预备党员 named again
    for m in board.members:
        assert body.count(m.name) == 1, m.name
        assert (m.name in conversions) is (m.status == "probationary"), m.name
        if m.exempt:
            continue
        y = m.year_parts
        grade = m.grade or ("不定等次" if m.status == "probationary" else "")
        at = body.index(m.name)
        tail = f"{show(y.base)}{show(y.bonus)}{show(y.deduction)}{show(m.points)}{m.rank}{grade}"
        assert tail in body[at:at + 50], m.name
    # Q4 met Fri 12-18: Mon 12-21 .. Fri 12-25.
    assert flat("现将新密市中医院第一党支部2026年度党员积分情况在一定范围内予以公示，"
                "公示期为5个工作日，自2026年12月21日至2026年12月25日。") in flat(text)


def test_year_publicity_closing_stays_together(year_publicity):
    pages = read_pdf(year_publicity)
    procedure = [k for k, t in enumerate(pages) if "有异议的" in t]
    contact = [k for k, t in enumerate(pages) if "联系电话" in t]
    signature = [k for k, t in enumerate(pages) if "联系电话" in t and flat(f"{BRANCH}2026年12月18日") in
                 flat(t.split("联系电话")[-1])]
    assert len(procedure) == 1 and procedure == contact == signature


def test_blended_scheme_adds_its_own_columns(tmp_path):
    store = Store(open_engine(tmp_path / "linyi.db"), "测试")
    store.init_branch("临沂地质公园党支部", "linyi-geopark-2021", builtin_text("linyi-geopark-2021"), YEAR)
    store.add_members([dict(name="甲党员", gender="女", birth_month="1980-05", post="讲解员"),
                       dict(name="乙党员", gender="男", birth_month="1975-10", post="科长")])
    table = publicity_table(store, YEAR, 1, draft=True)  # the quarter is not locked: a draft
    scheme = store.scheme(YEAR)
    assert table.headings == ["序号", "党员姓名", "性别", "年龄", "职务", "基础分", "奉献分", "扣减分", "合计",
                              scheme.evaluation.label, "总分"]
    assert [r[1] for r in table.rows] == ["甲党员", "乙党员"]


def test_publicity_without_appeal_step_cites_no_deadline(tmp_path):
    store = Store(open_engine(tmp_path / "linyi.db"), "测试")
    store.init_branch("临沂地质公园党支部", "linyi-geopark-2021", builtin_text("linyi-geopark-2021"), YEAR)
    store.add_members([dict(name="甲党员", gender="女", birth_month="1980-05", post="讲解员")])
    assert store.scheme(YEAR).process.answer_days is None
    text = "\n".join(read_pdf(write_publicity(store, YEAR, 1, tmp_path / "公示表.pdf", tmp_path / "none.toml",
                                                   draft=True)))
    assert flat("公示期为5个工作日，自张贴之日起计算。") in flat(text)
    assert "申诉" not in text and "复议" not in text and "个工作日内" not in text
    assert flat("党员对公示的积分情况有异议的，可向党支部反映。") in flat(text)


# --------------------------------------------------------------------------------- other forms


def test_personal_list_of_one_member(demo, tmp_path):
    out = write_personal(demo.store, YEAR, tmp_path / "张伟.pdf", member="张伟")
    pages = read_pdf(out)
    assert len(pages) == 1
    text = pages[0]
    assert "“党员积分制管理”个人清单" in text and "（2026年度）" in text
    assert flat(f"所在党支部：{BRANCH}党员姓名：张伟") in flat(text)
    assert text.count("党员姓名：") == 1
    others = [m.name for m in demo.store.members() if m.name != "张伟"]
    assert not [n for n in others if n in text]
    mid = _ids(demo.store)["张伟"]
    shown = [e for e in demo.store.entries(YEAR, member_id=mid) if e.status in ("申报", "已确认", "表决通过")]
    hidden = [e for e in demo.store.entries(YEAR, member_id=mid) if e not in shown]
    assert shown and any(e.status == "表决未通过" for e in hidden)  # his contested Q3 deduction failed
    body = flat(text)
    for e in shown:
        assert flat(e.note) in body
    for e in hidden:
        assert e.note not in {s.note for s in shown}
        assert flat(e.note) not in body
    points = demo.store.board(YEAR, explain=False).member(str(mid)).points
    assert f"积分制分值（积分制分值＝基础分＋加分项－减分项）：{show(points)}" in text
    for role in ("党员确认意见", "支部审核意见", "党委审核意见"):
        assert f"{role}（签字）" in text


def test_personal_list_of_everyone_one_page_each(demo, personal_all):
    pages = read_pdf(personal_all)
    graded = [m.name for m in demo.store.members() if not m.exempt]
    assert len(graded) == 24 and len(pages) == 24  # nobody is exempt under xinmi
    for k, (text, name) in enumerate(zip(pages, graded, strict=True), 1):
        assert text.count("党员姓名：") == 1
        assert re.search(f"党员姓名：{name}\\s", text), (k, name)
        assert f"第 {k} 页 共 24 页" in text
    # 罗志刚 (excused from the meetings, scored) has his page, the 20th: no entries, so base 80 alone.
    luo = pages[graded.index("罗志刚")]
    assert graded.index("罗志刚") == 19 and "第 20 页 共 24 页" in luo
    assert "积分制分值（积分制分值＝基础分＋加分项－减分项）：80" in luo


def test_personal_list_leaves_out_an_exempt_member(college):
    out = write_personal(college.store, YEAR, college.folder / "个人清单.pdf")
    pages = read_pdf(out)
    assert len(pages) == 4
    for k, (text, name) in enumerate(zip(pages, ["周明", "吴芳", "郑磊", "冯涛"], strict=True), 1):
        assert re.search(f"党员姓名：{name}\\s", text), (k, name)
        assert f"第 {k} 页 共 4 页" in text
    assert EXEMPT not in "".join(pages)


def test_personal_list_of_an_unknown_member_is_refused(demo, tmp_path):
    from db.errors import StoreError

    with pytest.raises(StoreError, match="名册中没有需要积分的“张三”"):
        write_personal(demo.store, YEAR, tmp_path / "张三.pdf", member="张三")
    assert not (tmp_path / "张三.pdf").exists()


def test_personal_list_of_an_exempt_or_unknown_member_is_refused(college, tmp_path):
    from db.errors import StoreError

    for who in (EXEMPT, "张三"):
        with pytest.raises(StoreError, match=f"名册中没有需要积分的“{who}”"):
            write_personal(college.store, YEAR, tmp_path / f"{who}.pdf", member=who)
        assert not (tmp_path / f"{who}.pdf").exists()


def test_personal_list_of_the_member_excused_from_meetings(demo, tmp_path):
    """罗志刚 is only excused from the meetings (免于参会), not exempt: his own list is written."""
    pages = read_pdf(write_personal(demo.store, YEAR, tmp_path / "罗志刚.pdf", member="罗志刚"))
    assert len(pages) == 1 and re.search("党员姓名：罗志刚\\s", pages[0])


def test_personal_list_dates_are_not_broken(demo, personal_all):
    pages = read_pdf(personal_all)
    mid = _ids(demo.store)["王建国"]
    for e in demo.store.entries(YEAR, member_id=mid):
        if e.status in ("申报", "已确认", "表决通过"):
            day = f"{e.entered_at:%Y-%m-%d}"  # on one line, never split across two
            assert any(day in line for line in lines(pages[0])), day
    assert any("加分分值" in line and "减分分值" in line for line in lines(pages[0]))


def test_ledger_pdf(demo, ledger_pdf):
    reader = PdfReader(ledger_pdf)
    assert all(p.mediabox.width > p.mediabox.height for p in reader.pages)  # landscape, every page
    pages = read_pdf(ledger_pdf)
    text = "\n".join(pages)
    assert "“党员积分制管理”工作台账" in text and "（2026年度）" in text
    table = ledger_table(demo.store, YEAR)
    for page in pages:
        assert " ".join(table.headings) in page  # the heading row on each page
    body = flat(text)
    board = demo.store.board(YEAR, explain=False)
    for m in board.members:
        assert body.count(m.name) == 1, m.name
        if not m.exempt:
            at = body.index(m.name)
            assert "".join(show(q) for q in m.quarters) in body[at:at + 60], m.name


@pytest.mark.parametrize("doc", ["q3_minute", "q4_minute", "q3_publicity", "year_publicity", "personal_all",
                                 "ledger_pdf"])
def test_every_page_keeps_its_text_on_the_page(doc, request, widths):
    assert_on_the_page(request.getfixturevalue(doc), widths)


# --------------------------------------------------------------------------------- spreadsheets


def _figure_columns(headings: list[str]) -> list[int]:
    first = headings.index("一季度累计") if "一季度累计" in headings else headings.index("基础分")
    return [i for i, h in enumerate(headings) if i >= first and h != "拟定等次"]


SHEETS = {
    "ledger": lambda store: ledger_table(store, YEAR),
    "quarter": lambda store: publicity_table(store, YEAR, 3),
    "year": lambda store: publicity_table(store, YEAR, None),
}


def _xlsx_rows(table, out: Path) -> tuple[list[str], list[tuple]]:
    """The sheet's headings and rows, read back, after the checks every sheet passes."""
    ws = load_workbook(write_table(table, out)).active
    assert ws["A1"].value.startswith(table.title)
    assert ws["A2"].value.startswith(f"党支部：{table.branch}")  # whose and when (test_sheets.py)
    headers = [c.value for c in ws[3]]
    assert headers == table.headings
    assert all(re.search("[\u4e00-\u9fff]", h) for h in headers)
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert len(rows) == ws.max_row - 3
    for r in rows:
        assert isinstance(r[0], int) and isinstance(r[3], int)  # 序号, 年龄
    return headers, rows


@pytest.mark.parametrize("which", sorted(SHEETS))
def test_xlsx_has_chinese_headers_and_numbers(demo, tmp_path, which):
    headers, rows = _xlsx_rows(SHEETS[which](demo.store), tmp_path / f"{which}.xlsx")
    assert len(rows) == len(demo.store.members()) == 24
    assert not [r for r in rows if "免于积分管理" in r]  # xinmi has no exemption: every row has its figures
    figures = _figure_columns(headers)
    for r in rows:
        for i in figures:
            assert type(r[i]) in (int, float), (r[1], headers[i], r[i])
    # 罗志刚 (no entries all year): base 80, nothing added or taken, 80 at every quarter's end.
    luo = next(r for r in rows if r[1] == "罗志刚")
    named = dict(zip(headers, luo, strict=True))
    assert [named[h] for h in ("基础分", "加分", "减分", "合计")] == [80, 0, 0, 80]
    if which == "ledger":  # xinmi adds up: each quarter's column is the year to date at its end
        assert [named[h] for h in ("一季度累计", "二季度累计", "三季度累计", "四季度累计")] == [80, 80, 80, 80]
        assert "总分" not in headers  # xinmi reports the evaluation apart: 总分 would be 合计 again


# The same sheets of jsit's branch; its quarter is the one it held, 2026Q4.
COLLEGE_SHEETS = {
    "ledger": lambda store: ledger_table(store, YEAR),
    "quarter": lambda store: publicity_table(store, YEAR, 4),
    "year": lambda store: publicity_table(store, YEAR, None),
}


@pytest.mark.parametrize("which", sorted(COLLEGE_SHEETS))
def test_xlsx_shows_an_exempt_member_without_figures(college, tmp_path, which):
    headers, rows = _xlsx_rows(COLLEGE_SHEETS[which](college.store), tmp_path / f"{which}.xlsx")
    assert [r[1] for r in rows] == ["周明", "吴芳", "郑磊", EXEMPT, "冯涛"]
    figures = _figure_columns(headers)
    exempt = [r for r in rows if "免于积分管理" in r]
    assert [r[1] for r in exempt] == [EXEMPT]
    # 免于积分管理 in the first figure column, every other figure (and 等次) left empty.
    assert exempt[0][figures[0]] == "免于积分管理"
    assert all(v is None for v in exempt[0][figures[0] + 1:])
    for r in rows:
        if r in exempt:
            continue
        for i in figures:
            assert type(r[i]) in (int, float), (r[1], headers[i], r[i])
    # 周明: jsit's base 100, J2 +2 in 2026Q4.
    zhou = dict(zip(headers, rows[0], strict=True))
    assert [zhou[h] for h in ("基础分", "加分项目", "减分项目", "合计")] == [100, 2, 0, 102]


def test_xlsx_figures_match_the_board(demo, tmp_path):
    out = write_table(publicity_table(demo.store, YEAR, 3), tmp_path / "q3.xlsx")
    ws = load_workbook(out).active
    headers = [c.value for c in ws[3]]
    board = demo.store.board(YEAR, explain=False, upto=3)
    by_name = {m.name: m for m in board.members}
    for r in ws.iter_rows(min_row=4, values_only=True):
        m = by_name[r[1]]
        if m.exempt:
            continue
        p = m.parts[2]
        got = [r[headers.index(h)] for h in ("基础分", "加分", "减分", "合计")]
        assert got == [float(p.base), float(p.bonus), float(p.deduction), float(p.figure)], m.name


@pytest.mark.parametrize("which", sorted(SHEETS))
def test_csv_opens_as_utf8_sig_and_its_numbers_parse(demo, tmp_path, which):
    table = SHEETS[which](demo.store)
    out = write_table(table, tmp_path / f"{which}.csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel in China opens it as UTF-8
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == table.headings and rows[0][0] == "序号"
    assert len(rows) - 1 == len(demo.store.members())
    figures = _figure_columns(rows[0])
    for r, original in zip(rows[1:], table.rows, strict=True):
        assert int(r[0]) == original[0]
        if "免于积分管理" in r:
            continue
        for i in figures:
            assert float(r[i]) == original[i], (r[1], rows[0][i])


# --------------------------------------------------------------------------------- long names, many members

LONG_BRANCH = "中共新密市中医院门诊医技联合党总支第一党支部"
LONG_POST = "门诊部综合服务中心医患关系协调办公室副主任"  # 21 characters
LONG_NAMES = {5: "买买提江·阿卜杜克热木·吐尔逊托合提", 40: "欧阳司马上官慕容端木皇甫诸葛轩辕"}


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    """A branch of 80: two very long names, three 21-character posts, one quarter held and locked."""
    folder = tmp_path_factory.mktemp("crowd")
    store = Store(open_engine(folder / "crowd.db"), "测试", clock=lambda: datetime(2026, 3, 20, 9, 0))
    store.init_branch(LONG_BRANCH, "xinmi-hospital-2023", builtin_text("xinmi-hospital-2023"), YEAR)
    names, rows = [], []
    for i in range(80):
        # Three characters each, so no name is part of another; the long ones share no character with them.
        name = LONG_NAMES.get(i, "王李张刘陈杨赵黄周吴"[i % 10] + "嘉俊浩宇子涵雨欣"[i // 10]
                              + "甲乙丙丁戊己庚辛壬癸"[i % 10])
        names.append(name)
        rows.append(dict(name=name, gender="男" if i % 2 else "女", birth_month=f"{1960 + i % 35}-{1 + i % 12:02d}",
                         post=LONG_POST if i in (3, 41, 77) else "内科医师",
                         status="probationary" if i % 17 == 0 else "full",
                         status_since="2026-01-08" if i % 17 == 0 else ""))
    assert all(a == b or a not in b for a in names for b in names)
    ids = store.add_members(rows)
    store.add_entries(YEAR, [dict(quarter=1, member_id=ids[i], kind="bonus", points=1, item="J6.5")
                             for i in range(0, 80, 3)])
    store.clock = lambda: datetime(2026, 3, 27, 14, 30)
    store.open_meeting(QuarterRef(YEAR, 1), MeetingFacts(datetime(2026, 3, 27, 14, 30), "会议室", names[0], names[1],
                                                         "",
                                             "通报积分"))
    store.roll_call(QuarterRef(YEAR, 1), ids[7], False, "病假")
    store.roll_call_rest(QuarterRef(YEAR, 1))
    store.lock(QuarterRef(YEAR, 1))
    minute = write_minutes(store, YEAR, 1, folder / "会议记录.pdf")
    publicity = write_publicity(store, YEAR, 1, folder / "公示表.pdf", folder / "none.toml")
    return SimpleNamespace(store=store, names=names, minute=minute, publicity=publicity)


def _table_pages(pages: list[str], start: str, end: str, names: list[str]) -> tuple[str, list[int]]:
    """The table's text (from its heading `start` to `end`, running heads and footers removed) and the
    pages it runs over."""
    joined = flat("\n".join(pages))
    body = joined[joined.index(flat(start)):joined.index(flat(end))]
    # only the pages from the table's heading to `end`, and on the last of them only the text
    # before `end`: names printed later in the document (the follow-ups) are not the table
    first = next(k for k, t in enumerate(pages) if flat(start) in flat(t))
    last = next(k for k, t in enumerate(pages) if flat(end) in flat(t))
    spread = [k for k in range(first, last + 1)
              if any(n in flat(pages[k]).split(flat(end))[0] for n in names)]
    return body, list(range(spread[0], spread[-1] + 1))


@pytest.mark.parametrize("doc,heading,start,end", [
    ("minute", "序号 姓名 基础分 加分 减分 合计 名次", "二、党员积分情况（截至本季度末累计）",
     "按积分方案需跟进的事项"),
    ("publicity", " ".join(QUARTER_HEADINGS), "序号党员姓名性别年龄职务", "党员对公示的积分情况有异议的"),
])
def test_many_members_break_across_pages_cleanly(crowd, widths, doc, heading, start, end):
    path = getattr(crowd, doc)
    pages = read_pdf(path)
    assert len(pages) > 1
    body, spread = _table_pages(pages, start, end, crowd.names)
    assert len(spread) > 1
    for name in crowd.names:
        assert body.count(name) == 1, name
    for k in spread:
        assert flat(heading) in flat(pages[k]), k + 1  # the heading row repeats on every table page
        assert pages[k].count(heading) == 1
    if doc == "publicity":
        assert body.count(LONG_POST) == 3
    assert_on_the_page(path, widths)


def test_many_members_rows_are_in_roll_order(crowd):
    body = flat("\n".join(read_pdf(crowd.publicity)))
    at = [body.index(n) for n in crowd.names]
    assert at == sorted(at)


# --------------------------------------------------------------------------------- the command line


def jifen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(JIFEN), *args], capture_output=True, text=True, env=env)


@pytest.fixture
def cli_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("JIFEN_FONT", "JIFEN_DB")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # no user holidays.toml
    return env


@pytest.mark.parametrize("args,out", [
    (["minutes", "--quarter", "2026Q3"], "会议记录.pdf"),
    (["publicity", "--quarter", "2026Q3"], "季度公示表.pdf"),
    (["publicity", "--quarter", "2026Q3"], "季度公示表.xlsx"),
    (["publicity", "--quarter", "2026Q3"], "季度公示表.csv"),
    (["publicity", "--year", "2026"], "年度公示表.pdf"),
    (["personal", "--year", "2026", "--member", "张伟"], "个人清单-张伟.pdf"),
    (["personal", "--year", "2026"], "个人清单.pdf"),
    (["ledger", "--year", "2026"], "工作台账.pdf"),
    (["ledger", "--year", "2026"], "工作台账.xlsx"),
    (["ledger", "--year", "2026"], "工作台账.csv"),
    (["ballots", "--year", "2026", "--copies", "2"], "测评票.pdf"),
])
def test_cli_export_writes_the_file(demo, tmp_path, cli_env, args, out):
    target = tmp_path / "导出" / out
    done = jifen("export", args[0], "--db", str(demo.db), *args[1:], "--out", str(target), env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "已生成" in done.stdout and str(target) in done.stdout
    assert target.is_file()
    if out.startswith("测评票"):  # identical secret ballots: two copies, no page numbers
        pages = read_pdf(target)
        assert len(pages) == 2 and pages[0] == pages[1] and "页" not in pages[0]
    elif out.endswith(".pdf"):
        pages = read_pdf(target)
        assert pages and has_folio(pages[0], 1, len(pages))
    elif out.endswith(".xlsx"):
        assert load_workbook(target).active["A3"].value == "序号"  # under the title and whose/when rows
    else:
        assert target.read_text(encoding="utf-8-sig").startswith("序号,党员姓名")


def test_cli_publicity_takes_a_holidays_file(demo, tmp_path, cli_env):
    extra = tmp_path / "holidays.toml"
    extra.write_text("holidays = [2026-09-28]\n", encoding="utf-8")
    target = tmp_path / "公示表.pdf"
    done = jifen("export", "publicity", "--db", str(demo.db), "--quarter", "2026Q3", "--holidays", str(extra),
                 "--out", str(target), env=cli_env)
    assert done.returncode == 0, done.stderr
    assert flat("公示期为5个工作日，自2026年9月29日至2026年10月10日。") in flat("\n".join(read_pdf(target)))
    # No contact is stored in the demo: the secretary is told how to store one.
    assert "jifen branch contact --name 姓名 --phone 电话" in done.stdout


@pytest.mark.parametrize("args,message", [
    (["minutes", "--year", "2026", "--out", "x.pdf"], "会议记录按季度生成：请用 --quarter 指明季度"),
    (["minutes", "--out", "x.pdf"], "请用 --quarter 2026Q3 或 --year 2026 指明季度或年度"),
    (["minutes", "--quarter", "2026Q3", "--out", "x.doc"], "输出文件的扩展名应为 .pdf，不是“.doc”"),
    (["publicity", "--quarter", "2026Q3", "--out", "x.doc"], "输出文件的扩展名应为 .pdf / .xlsx / .csv，不是“.doc”"),
    (["ledger", "--year", "2026", "--out", "x"], "不是“（无）”"),
    (["minutes", "--quarter", "2026-3", "--out", "x.pdf"], "季度“2026-3”的写法不对，应写成 2026Q3 这样"),
    (["publicity", "--quarter", "2026Q5", "--out", "x.pdf"], "写法不对"),
    (["personal", "--year", "2026", "--member", "张三", "--out", "x.pdf"], "名册中没有需要积分的“张三”"),
    (["ballots", "--year", "2026", "--copies", "0", "--out", "x.pdf"], "份数应在1到500之间"),
    (["ledger", "--year", "2027", "--out", "x.pdf"], "2027年还没有指定积分方案"),
])
def test_cli_refuses_bad_input_and_writes_nothing(demo, tmp_path, cli_env, args, message):
    out = tmp_path / "out"
    out.mkdir()
    args = [a if a not in ("x.pdf", "x.doc", "x") else str(out / a) for a in args]
    done = jifen("export", args[0], "--db", str(demo.db), *args[1:], env=cli_env)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert list(out.iterdir()) == []


def test_cli_missing_configured_font_is_refused(demo, tmp_path, cli_env):
    cli_env["JIFEN_FONT"] = str(tmp_path / "没有这个字体.ttf")
    target = tmp_path / "x.pdf"
    done = jifen("export", "minutes", "--db", str(demo.db), "--quarter", "2026Q3", "--out", str(target), env=cli_env)
    assert done.returncode == 1
    assert f"指定的字体文件不存在：{tmp_path / '没有这个字体.ttf'}" in done.stderr
    assert not target.exists()


@pytest.mark.parametrize("name,content", [("坏字体.ttf", b"not a font"), ("名册.csv", "姓名\n".encode())],
                         ids=["broken-ttf", "csv-file"])
def test_cli_unusable_configured_font_gets_a_chinese_message(demo, tmp_path, cli_env, name, content):
    (tmp_path / name).write_bytes(content)
    cli_env["JIFEN_FONT"] = str(tmp_path / name)
    target = tmp_path / "x.pdf"
    done = jifen("export", "minutes", "--db", str(demo.db), "--quarter", "2026Q3", "--out", str(target), env=cli_env)
    assert done.returncode == 1 and not target.exists()
    assert "Traceback" not in done.stderr
    assert "字体" in done.stderr


def test_cli_export_from_a_missing_database_writes_nothing(tmp_path, cli_env):
    db = tmp_path / "打错的名字.db"
    target = tmp_path / "x.pdf"
    done = jifen("export", "minutes", "--db", str(db), "--quarter", "2026Q3", "--out", str(target), env=cli_env)
    assert done.returncode == 1 and "数据库文件不存在" in done.stderr
    assert not target.exists()
    assert not db.exists()


# --------------------------------------------------------------------------------- the meeting's record


def test_q3_minute_prints_the_meetings_record(demo, q3_minute):
    from core.demo import DISSENT, OBJECTIONS, RESOLUTIONS, SPEECHES

    text = flat(body_text(q3_minute))  # an item may run on over a page break
    assert flat("时间：2026年9月25日 14:30开始，16:10散会") in text
    assert demo.store.meeting(QuarterRef(YEAR, 3)).ended_at == datetime(2026, 9, 25, 16, 10)
    for i, (speeches, resolution) in enumerate(zip(SPEECHES, RESOLUTIONS, strict=False), 1):
        assert flat(f"（{'一二三'[i - 1]}）{AGENDA[i - 1]}发言要点：") in text
        for speaker, points in speeches:
            assert flat(f"{speaker}：{points}。") in text
        assert flat(f"决议：{resolution}。") in text
    assert flat(f"不同意见：{DISSENT[0]}{DISSENT[1]}。") in text  # DISSENT[1] begins 认为
    for who, why in OBJECTIONS[3]:
        assert flat(f"异议：{who}提出，理由是{why}。") in text
    methods = [v.method for v in demo.store.votes(QuarterRef(YEAR, 3))]
    assert methods == ["举手", "无记名投票"]
    for m in methods:
        assert flat(f"表决：以{m}方式表决") in text


def test_q4_minute_names_objections_and_void_ballots(demo, q4_minute):
    text = flat("\n".join(read_pdf(q4_minute)))
    from core.demo import OBJECTIONS

    for who, why in OBJECTIONS[4]:  # raised before the meeting, put to the vote at it
        assert flat(f"异议：{who}提出，理由是{why}。") in text
    assert "无效1张（全部未标记（空白票）1张）" in text
