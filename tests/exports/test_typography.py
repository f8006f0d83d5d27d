"""公文 typography, read back from real PDFs: the faces embedded (a serif body face and a real bold
face, with this machine's fonts), the page and its margins measured from where poppler finds the
text, justified lines, figures kept with their words and units, 避头尾, no one- or two-character
last line, no line alone on a page, headings and signatures kept with their text, and the page
numbers of each layout.

Measurements are in millimetres from the page's top left. The official and record layouts are
GB/T 9704's: margins 37 top, 35 bottom, 28 left, 26 right, a 版心 of 156 x 225 mm holding 22 lines of
28 characters of 3号 (16 pt)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from db.demo import build_demo
from exports.document import CLOSING, NO_LINE_END, NO_LINE_START, Document
from exports.fonts import find_fonts
from exports.forms import write_ballots, write_publicity
from exports.minutes import write_minutes
from tests.support import MM, PdfLine, missing, pdf_lines

TOP, BOTTOM, LEFT, RIGHT = 37.0, 297.0 - 35.0, 28.0, 210.0 - 26.0
PITCH = 225 / 22  # mm from one body line to the next
FOLIO = re.compile(r"^(第 \d+ 页 共 \d+ 页|— \d+ —)$")


def mm(points: float) -> float:
    return points / MM


def text_of(line: PdfLine) -> str:
    """A line's characters without the spaces poppler puts between words of a spread line."""
    return "".join(t for _, _, t in line.words)


def em_box(line: PdfLine) -> tuple[float, float]:
    """The top and bottom of the line's em box (mm): poppler's box runs from the Noto CJK
    ascender (1.16 em) to the descender (0.288 em); the em box from 0.88 above the baseline to
    0.12 below."""
    size = (line.bottom - line.top) / 1.448
    return mm(line.baseline - 0.88 * size), mm(line.baseline + 0.12 * size)


def right_end(line: PdfLine) -> float:
    """Where the line's text ends (mm): a closing mark at the end of a full line is set half wide,
    its blank half in the margin, which poppler counts in its box."""
    return mm(line.x1) - (16 * 25.4 / 72 / 2 if text_of(line)[-1] in CLOSING else 0)


def body(lines: list[PdfLine], title: str = "") -> list[PdfLine]:
    """The lines of the pages' text: not the page numbers, not the running head."""
    return [ln for ln in lines if not FOLIO.match(ln.text) and ln.text.replace(" ", "") != title.replace(" ", "")]


def serif_fonts():
    fonts = find_fonts()
    if "Serif" not in fonts.regular.path.name or fonts.bold is None:
        missing("Debian's fonts-noto-cjk (Noto Serif CJK Regular and Bold) is not installed")
    return fonts


def font_names(path: Path) -> set[str]:
    """The /FontName of every font a PDF embeds, without the subset tag (ABCDEF+)."""
    names = set()
    for page in PdfReader(path).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", []):
                name = str(descendant.get_object()["/FontDescriptor"].get_object()["/FontName"])
                names.add(name.lstrip("/").split("+", 1)[-1])
    return names


# --------------------------------------------------------------------------------- paragraphs of a test's own


def paragraphs_of(lines: list[PdfLine], paras: list[str]) -> list[list[PdfLine]]:
    """The lines of each paragraph, in order: lines are consumed until they spell the paragraph."""
    out, i = [], 0
    for text in paras:
        got: list[PdfLine] = []
        while "".join(text_of(ln) for ln in got) != text.replace(" ", ""):
            assert i < len(lines), (text, [text_of(ln) for ln in got])
            got.append(lines[i])
            i += 1
        out.append(got)
    return out


def write(tmp_path: Path, build, layout: str = "official", name: str = "t.pdf") -> tuple[Path, list[PdfLine]]:
    doc = Document("排版测试", layout=layout)
    doc.add_page()
    build(doc)
    path = doc.save(tmp_path / name)
    return path, body(pdf_lines(path), "排版测试")


FILLER = "党支部按照积分制管理办法组织党员学习"


def tricky_paragraphs() -> list[str]:
    """Paragraphs in which 至少11票, 附件1 and 2026年9月25日 fall at every offset of a line, and
    some that end one or two characters past a full line (“准。” alone, unless pulled down)."""
    paras = []
    for offset in range(28):
        lead = (FILLER * 3)[:offset]
        paras.append(f"{lead}赞成须超过半数即至少11票，详见附件1和附件12；会议于2026年9月25日召开，"
                     f"到会{offset}人（其中预备党员2人）。{FILLER}，最终以党组织审定为准。")
    for extra in (1, 2, 3):
        paras.append((FILLER * 4)[:28 - 2 + extra] + "准。")  # the last line would be 准。 or 为准。 or 审为准。
    paras.append("《中国共产党支部工作条例（试行）》第十一条、第十二条规定：“党员大会议题提交表决前，应当经过充分讨论。”"
                 "（见附件2）" * 3)
    return paras


@pytest.fixture(scope="module")
def tricky(tmp_path_factory):
    paras = tricky_paragraphs()
    path, lines = write(tmp_path_factory.mktemp("tricky"), lambda doc: [doc.para(p) for p in paras])
    return SimpleNamespace(path=path, paras=paras, lines=lines, grouped=paragraphs_of(lines, paras))


def test_no_figure_is_parted_from_its_words_and_units(tricky):
    texts = [text_of(ln) for ln in tricky.lines]
    for token, each in (("至少11票", 1), ("附件1和", 1), ("附件12；", 1), ("到会", 1), ("党员2人", 1)):
        assert sum(t.count(token) for t in texts) == each * 28, token
    # a date is whole, or parted after 年 or 月 at the end of a line that is then full
    whole = sum(t.count("于2026年9月25日") for t in texts)
    parted = [(a, b) for a, b in itertools.pairwise(tricky.lines) if text_of(a).endswith(("于2026年", "于2026年9月"))]
    for a, b in parted:
        assert (text_of(a) + text_of(b)).count("于2026年9月25日召开") == 1, (text_of(a), text_of(b))
        assert abs(mm(a.x1) - RIGHT) < 0.3, text_of(a)
    assert whole + len(parted) == 28 and whole >= 20
    for k in range(28):
        assert sum(t.count(f"到会{k}人") for t in texts) == 1, k


def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(tricky):
    for ln in tricky.lines:
        t = text_of(ln)
        assert t[0] not in NO_LINE_START and t[-1] not in NO_LINE_END, t


def test_no_last_line_of_one_or_two_characters(tricky):
    for para, lines in zip(tricky.paras, tricky.grouped, strict=True):
        assert len(lines) >= 2, para  # each is longer than a line
        assert len(text_of(lines[-1])) >= 3, [text_of(ln) for ln in lines]
    assert not any(text_of(ln) in ("准。", "。") for ln in tricky.lines)


def test_full_lines_are_justified_to_the_measure_and_the_last_set_left(tricky):
    for lines in tricky.grouped:
        for ln in lines:
            assert abs(mm(ln.x0) - LEFT) < 0.2, text_of(ln)
        for ln in lines[:-1]:
            # the end of the last glyph's advance (a closing mark at the end may be set half wide)
            assert abs(mm(ln.x1) - RIGHT) < 0.3 or abs(right_end(ln) - RIGHT) < 0.3, (text_of(ln), mm(ln.x1))
        if len(text_of(lines[-1])) < 26:
            assert mm(lines[-1].x1) < RIGHT - 2, text_of(lines[-1])  # the last line is not spread


def test_a_date_parts_rather_than_leave_a_line_loose():
    """The publicity's lead-in: kept whole, 自2026年9月28日 would leave five characters' room on
    the line before and spread it thin; it parts after 年 or 月 instead."""
    from exports.document import wrap_lines

    def measure(s):  # a character an em, a digit half
        return sum(0.5 if c.isascii() else 1.0 for c in s)

    text = "况在一定范围内予以公示，公示期为5个工作日，自2026年9月28日至2026年10月9日。公示期间接受群众监督。"
    lines = wrap_lines(text, 28, measure)
    assert "".join(lines) == text
    assert measure(lines[0]) >= 26 and lines[0].endswith(("自2026年", "自2026年9月")), lines
    for lead in range(28):  # wherever the dates fall, no line but the last has four characters' room
        lines = wrap_lines("党" * lead + text, 28, measure)
        assert all(measure(ln) > 24 for ln in lines[:-1]), (lead, lines)
        assert "".join(lines) == "党" * lead + text


def test_a_chain_of_kept_lines_goes_over_together(tmp_path):
    """一、 heading, （一） item, 发言要点： and the first speech: none is left at a page's foot."""
    for before in range(15, 22):
        def build(doc, before=before):
            doc.para("党" * (28 * before - 10) + "准。")
            doc.heading("一、议题讨论和决议")
            doc.para("（一）通报本季度党员积分情况", keep_with_next=True)
            doc.para("　　发言要点：", keep_with_next=True)
            doc.para("　　王建国：" + "员" * 40 + "。")

        _, lines = write(tmp_path, build)
        at = next(k for k, ln in enumerate(lines) if text_of(ln) == "一、议题讨论和决议")
        assert len({ln.page for ln in lines[at:at + 5]}) == 1, (before, [(ln.page, text_of(ln)) for ln in lines[at:]])


def test_a_heading_goes_over_with_what_is_kept_together(tmp_path):
    for before in range(12, 22):
        def build(doc, before=before):
            doc.para("党" * (28 * before - 10) + "准。")
            doc.heading("五、记录核验")
            doc.kept_together(lambda d: [d.para("员" * 28 * 3 + "止。"), d.signatures(["主持人", "记录人"])])

        _, lines = write(tmp_path, build)
        at = next(k for k, ln in enumerate(lines) if text_of(ln) == "五、记录核验")
        assert lines[at + 1].page == lines[at].page, before


def test_twenty_eight_characters_to_a_line_and_twenty_two_lines_to_a_page(tmp_path):
    text = "党" * (28 * 30)
    _, lines = write(tmp_path, lambda doc: doc.para(text))
    first = [ln for ln in lines if ln.page == 1]
    assert len(first) == 22 and all(text_of(ln) == "党" * 28 for ln in first)
    assert abs(mm(first[0].x0) - LEFT) < 0.1 and abs(mm(first[0].x1) - RIGHT) < 0.1
    top, _ = em_box(first[0])
    _, bottom = em_box(first[-1])
    assert TOP < top < TOP + 3 and BOTTOM - 3 < bottom < BOTTOM  # the 22 lines fill the 版心
    pitches = {round(mm(b.baseline - a.baseline), 2) for a, b in itertools.pairwise(first)}
    assert pitches == {round(PITCH, 2)}


def test_a_page_break_leaves_two_lines_or_more_on_each_side(tmp_path):
    """Paragraphs of 1 to 5 lines after 19 to 21 lines of another: none is split one and the rest,
    none leaves one line alone on either page."""
    for before in (19, 20, 21):
        for lines_after in (2, 3, 4, 5):
            paras = ["党" * (28 * before - 10) + "准。", "员" * (28 * lines_after - 10) + "止。"]
            _, lines = write(tmp_path, lambda doc, paras=paras: [doc.para(p) for p in paras])
            first, second = paragraphs_of(lines, paras)
            pages = [ln.page for ln in second]
            assert all(pages.count(p) >= 2 for p in set(pages)), (before, lines_after, pages)
            pages = [ln.page for ln in first]
            assert all(pages.count(p) >= 2 for p in set(pages)), (before, lines_after, pages)
            for p in {ln.page for ln in lines}:
                assert sum(1 for ln in lines if ln.page == p) >= 2, (before, lines_after, p)


def test_a_heading_stays_with_what_follows(tmp_path):
    for before in (19, 20, 21):
        paras = ["党" * (28 * before - 10) + "准。", "员" * (28 * 3 - 10) + "止。"]

        def build(doc, paras=paras):
            doc.para(paras[0])
            doc.heading("二、有异议事项的表决")
            doc.para(paras[1])

        _, lines = write(tmp_path, build)
        at = next(k for k, ln in enumerate(lines) if text_of(ln) == "二、有异议事项的表决")
        head, after = lines[at], lines[at + 1:at + 3]
        assert all(ln.page == head.page for ln in after), before  # with the first two lines after it


def test_signatures_stay_with_the_text_before_them(tmp_path):
    for before in (17, 18, 19, 20, 21):
        text = "党" * (28 * before - 10) + "准。"

        def build(doc, text=text):
            doc.para(text)
            doc.signatures(["主持人", "记录人"])

        _, lines = write(tmp_path, build)
        sign = [k for k, ln in enumerate(lines) if "（签字）" in text_of(ln)]
        assert len(sign) == 2
        first = lines[sign[0]]
        assert lines[sign[-1]].page == first.page
        above = [ln for ln in lines if ln.page == first.page and ln.bottom <= first.top and "党" in text_of(ln)]
        assert len(above) >= 2, before  # two lines of the text before them, on their page


def test_a_long_code_breaks_where_the_line_ends(tmp_path):
    digest = "a21a176086322b04eb94b7d35ec5eef2012c713274db9020bd624c0233ad4f6e"
    _, lines = write(tmp_path, lambda doc: doc.para(f"本季度数字摘要（SHA-256）：{digest}"))
    assert "".join(text_of(ln) for ln in lines) == f"本季度数字摘要（SHA-256）：{digest}"
    assert digest[:8] in text_of(lines[0])  # begun on the first line, not pushed down leaving it spread


def test_fields_in_two_full_width_gaps_break_at_the_gap(tmp_path):
    text = "党支部（盖章）：新密市中医院第一党支部　　　　填表时间：2026年9月25日"
    _, lines = write(tmp_path, lambda doc: doc.para(text))
    assert [text_of(ln) for ln in lines] == ["党支部（盖章）：新密市中医院第一党支部", "填表时间：2026年9月25日"]


# --------------------------------------------------------------------------------- faces


def test_documents_embed_the_serif_face_and_a_real_bold_face(tmp_path):
    fonts = serif_fonts()
    assert fonts.regular.index == 2 and fonts.bold.index == 2  # the Simplified Chinese faces

    def build(doc):
        doc.title_block("党员大会会议记录", "（2026年第三季度）")
        doc.heading("一、会议议题")
        doc.para("通报本季度党员积分情况。")

    path, _ = write(tmp_path, build)
    assert font_names(path) == {"NotoSerifCJKSC", "NotoSerifCJKSCBold"}


def test_without_a_bold_face_the_outline_is_stroked(tmp_path):
    import noto_cjk

    from exports.fonts import CjkFont

    doc = Document("测试", font=CjkFont(Path(noto_cjk.otc_path("sans")), 2))
    assert doc.fake_bold
    doc.add_page()
    doc.title_block("党员大会会议记录")
    out = doc.save(tmp_path / "t.pdf")
    assert font_names(out) == {"NotoSansCJKSC"}
    assert b" 2 Tr" in b"".join(p.get_contents().get_data() for p in PdfReader(out).pages)  # fill and stroke


# --------------------------------------------------------------------------------- the demo's documents


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    store = build_demo(folder / "demo.db")
    return SimpleNamespace(
        minute=write_minutes(store, 2026, 3, folder / "会议记录.pdf"),
        publicity=write_publicity(store, 2026, 3, folder / "季度公示表.pdf", folder / "none.toml"),
        ballots=write_ballots(store, 2026, folder / "测评票.pdf", copies=2))


@pytest.mark.parametrize("doc", ["minute", "publicity"])
def test_notices_and_the_minute_are_set_on_the_gbt_9704_page(demo, doc):
    serif_fonts()
    path = getattr(demo, doc)
    reader = PdfReader(path)
    assert all((round(float(p.mediabox.width) / MM), round(float(p.mediabox.height) / MM)) == (210, 297)
               for p in reader.pages)
    placed = pdf_lines(path)
    attached = {ln.page for ln in placed if ln.text == "附件"}  # the 签到表: a form on the form's page
    lines = [ln for ln in body(placed, reader.metadata.title) if ln.page not in attached]
    assert font_names(path) == {"NotoSerifCJKSC", "NotoSerifCJKSCBold"}
    for ln in lines:
        top, bottom = em_box(ln)
        assert mm(ln.x0) >= LEFT - 0.2 and right_end(ln) <= RIGHT + 0.2, (ln.page, text_of(ln))
        if ln.bottom - ln.top > 10:  # text of 10 pt and more; table cells may sit closer to the rules
            assert top >= TOP - 0.2 and bottom <= BOTTOM + 0.2, (ln.page, text_of(ln), top, bottom)
    # the text reaches the margins (the minute's justified lines end at the right one)
    assert min(mm(ln.x0) for ln in lines) == pytest.approx(LEFT, abs=0.2)
    if doc == "minute":
        assert max(right_end(ln) for ln in lines) == pytest.approx(RIGHT, abs=0.3)
    # the body in 3号: the lines that start at the margin (not the tables' cells, set in from it)
    paragraphs = [ln for ln in lines if abs(mm(ln.x0) - LEFT) < 0.2]
    body_size = [ln for ln in paragraphs if abs((ln.bottom - ln.top) / 1.448 - 16) < 0.2]
    assert len(body_size) >= 0.8 * len(paragraphs) and len(body_size) >= 3


def test_the_minute_has_no_stray_last_line(demo):
    placed = pdf_lines(demo.minute)
    for ln in placed:
        t = text_of(ln)
        assert t[0] not in NO_LINE_START and t[-1] not in NO_LINE_END, t
        # no line of a paragraph (3号, from the margin or the indent) of one or two characters
        if abs((ln.bottom - ln.top) / 1.448 - 16) < 0.2 and mm(ln.x0) < LEFT + 2 * 16 * 25.4 / 72 + 0.2:
            assert len(t) >= 3, (ln.page, t)


def test_page_numbers_of_each_layout(demo):
    # the notice: — k —, 7 mm under the 版心, one character in from the right on odd pages, the left on even
    folios = [ln for ln in pdf_lines(demo.publicity) if re.fullmatch(r"— \d+ —", ln.text)]
    n = len(PdfReader(demo.publicity).pages)
    assert [ln.text for ln in folios] == [f"— {k} —" for k in range(1, n + 1)]
    for ln in folios:
        # the dashes stand 0.27 em over the baseline (Noto CJK): 7 mm under the 版心 (262 mm)
        assert mm(ln.baseline) - 0.27 * 14 * 25.4 / 72 == pytest.approx(BOTTOM + 7, abs=0.5)
        if ln.page % 2:
            assert mm(ln.x1) == pytest.approx(RIGHT - 14 * 25.4 / 72, abs=0.5)
        else:
            assert mm(ln.x0) == pytest.approx(LEFT + 14 * 25.4 / 72, abs=0.5)
    # the record: 第 k 页 共 N 页, so that a missing sheet shows
    pages = PdfReader(demo.minute).pages
    counted = [ln.text for ln in pdf_lines(demo.minute) if FOLIO.match(ln.text)]
    assert counted == [f"第 {k} 页 共 {len(pages)} 页" for k in range(1, len(pages) + 1)]


def test_ballots_keep_the_form_page(demo):
    """The ballot is a form with margins of its own (BALLOT_MARGIN, and 3 mm more at the sides):
    one sheet each, the title in the bold face."""
    from exports.forms import BALLOT_MARGIN

    serif_fonts()
    lines = pdf_lines(demo.ballots)
    assert len(PdfReader(demo.ballots).pages) == 2
    side = BALLOT_MARGIN + 3
    assert all(mm(ln.x0) >= side - 0.2 and mm(ln.x1) <= 210 - side + 0.2 for ln in lines)
    assert font_names(demo.ballots) == {"NotoSerifCJKSC", "NotoSerifCJKSCBold"}
