"""The A4 page every document shares, set as official documents (公文) are set where it serves.

Three layouts. "official" follows GB/T 9704 for notices: margins 37 mm top, 35 bottom, 28 left,
26 right (a 版心 of 156 x 225 mm), the body in 3号 (16 pt) on a fixed pitch of 22 lines to the
版心 and 28 characters to the line, the title in 2号 (22 pt) in the bold face, headings in 3号
bold, and the page number "— 1 —" 7 mm below the 版心, right on odd pages and left on even ones.
"record" is the same page for a record of several loose sheets (the minute): its pages are
counted 第 x 页 共 y 页, so that a missing sheet shows, and carry the title as a running head.
"form" keeps the narrower margins and 小四 (12 pt) body of the wide tables (the ledger,
the personal lists, the ballots), counted 第 x 页 共 y 页 as forms are.

Paragraphs are broken by this module, not by fpdf2: by character, justified (each full line
spread to the measure, the last line of a paragraph left), with 避头尾 (no line starts with
closing punctuation, none ends with an opening mark), a run of digits or Latin letters kept with
the two Chinese characters before it and the one after (至少11票, 附件1, 2026年9月25日; a date
parts after 年 or 月 only where it would leave a line loose), no
last line of one or two characters, at least two lines of a paragraph on each side of a page
break, a heading kept with what follows it and the signature lines with the text before them.
Tables wrap Chinese by character and repeat their header row on each page. fpdf2 is imported
here only, when a document is made."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, TextMode, WrapMode
from fpdf.fonts import FontFace

from exports.fonts import CjkFont, FontMissing, FontSet, find_fonts, font_set

FONT = "cjk"
FONT_HEADING = "cjk-heading"
FONT_TITLE = "cjk-title"
PT = 25.4 / 72  # millimetres per point
ASCENT = 0.88  # where a CJK em box puts the baseline, from its top (Noto CJK, SimSun, SimHei alike)


def cn_date(d: date | datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def cn_datetime(d: datetime) -> str:
    return f"{cn_date(d)} {d:%H:%M}"


# 避头尾: these never begin a line; the character before them moves down with them.
NO_LINE_START = set("，。、；：？！）》」』】〕”’%）,.;:?!)]}…—")
# and these never end one: an opening mark goes down with what it opens.
NO_LINE_END = set("（《「『【〔“‘([{")
# A run of digits or Latin letters (11, SHA-256, 14:30, 2026-03-15, 50%, --expect): never broken inside.
RUN = re.compile(r"-*[0-9A-Za-z]+(?:[.:/_\-+][0-9A-Za-z]+)*%?")
SPACES = (" ", "　")
LONG_RUN = 20  # longer runs are codes (a digest): broken where the line ends
# Justified lines are spread at most this much between characters (em); a line that would need
# more (before a long unbreakable piece) is set flush left instead.
MAX_SPREAD = 0.5


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def units(text: str) -> list[str]:
    """The pieces a line may break between. Inside a piece there is no break: a run of digits or
    Latin letters with the two Chinese characters before it (a word: 附件, 至少, 赞成) and the
    one after it (its unit: 票, 人, 日); closing punctuation with what it closes; an opening mark
    with what it opens."""
    n = len(text)
    if n < 2:
        return [text] if text else []
    glue = [False] * (n - 1)  # glue[i]: no break between text[i] and text[i + 1]
    for m in RUN.finditer(text):
        a, b = m.start(), m.end()
        if b - a > LONG_RUN:
            continue  # a code (a digest) is no number with a unit: it breaks where the line ends
        for i in range(a, b - 1):
            glue[i] = True
        if a >= 1 and _is_han(text[a - 1]):
            glue[a - 1] = True
            # the second character before is the word's (附件1) unless it ends a figure of its
            # own (28日至2026年: the break may come before 至, or dates would chain)
            if a >= 2 and _is_han(text[a - 2]) and not (a >= 3 and text[a - 3].isascii() and text[a - 3].isalnum()):
                glue[a - 2] = True
        if b < n and _is_han(text[b]):
            glue[b - 1] = True
    for i, ch in enumerate(text):
        if ch in NO_LINE_START and i > 0:
            glue[i - 1] = True
        if ch in NO_LINE_END and i < n - 1:
            glue[i] = True
    out, start = [], 0
    for i, g in enumerate(glue):
        if not g:
            out.append(text[start:i + 1])
            start = i + 1
    out.append(text[start:])
    return out


# 标点挤压: the full-width marks whose glyph sits in one half of the em, the other half blank.
CLOSING = set("，。、；：）》」』】〕”’")
OPENING = set("（《「『【〔“‘")
# Where two blank halves meet (“）；” “；（” “（《”) this much of an em is taken out between them.
# Not the whole half: a reader that sees a character step back more than a fifth of an em over
# the one before (poppler's pdftotext, and the viewers built on it) takes it for the start of
# another line, and copied text would break there.
SQUEEZE = 0.18


def _squeeze(text: str, natural: Callable[[str], float], half: float) -> list[float]:
    """What is taken out after each character but the last (mm), `half` being half an em."""
    out = [0.0] * max(len(text) - 1, 0)
    for i in range(len(text) - 1):
        a, b = text[i], text[i + 1]
        if ((a in CLOSING and (b in CLOSING or b in OPENING)) or (a in OPENING and b in OPENING)) \
                and natural(a) > 1.9 * half and natural(b) > 1.9 * half:
            out[i] = 2 * half * SQUEEZE
    return out


def _blank(piece: str) -> bool:
    return bool(piece) and not piece.strip(" 　")


FIELD_GAP = re.compile("(　{2,})")


def _pieces(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """`units`, except that fields set off by two full-width spaces or more (“党支部：某某”,
    four spaces, “填表时间：某日”) are each kept whole when they fit on a line: the line breaks at the gap."""
    if not FIELD_GAP.search(text.strip("　")):
        return units(text)
    out: list[str] = []
    for chunk in FIELD_GAP.split(text):
        if not chunk:
            continue
        out += [chunk] if _blank(chunk) or measure(chunk) <= width else units(chunk)
    return out


# Inside a date a line may break after 年 or 月 (2026年 | 9月28日), but only where keeping the
# date whole would leave more than this many characters' room at the end of the line: a justified
# line would be spread thin (况 在 一 定 范 围 …) before 自2026年9月28日至2026年10月9日.
DATE_ROOM = 2.0
DATE_BREAK = re.compile(r"(?<=[0-9][年月])(?=[0-9])")


def _date_head(piece: str, line: str, width: float, measure: Callable[[str], float]) -> tuple[str, str]:
    """The longest part of `piece` up to a break inside a date that still fits after `line`, and
    the rest; ("", piece) when the line is nearly full or nothing fits."""
    if width - measure(line) <= DATE_ROOM * measure("中"):
        return "", piece
    head = ""
    for m in DATE_BREAK.finditer(piece):
        if measure(line + piece[:m.start()]) > width:
            break
        head = piece[:m.start()]
    return head, piece[len(head):]


def _visible(line: Sequence[str]) -> int:
    return sum(1 for u in line for ch in u if ch not in SPACES)


def _break(text: str, first: float, rest: float, measure: Callable[[str], float], widow: bool) -> list[str]:
    """One paragraph's lines: the first no wider than `first`, the others than `rest`."""
    lines: list[list[str]] = [[]]

    def limit() -> float:
        return first if len(lines) == 1 else rest

    def joined(line: list[str]) -> str:
        return "".join(line)

    for u in _pieces(text, rest, measure):
        line = lines[-1]
        if not line and len(lines) > 1 and _blank(u):
            continue  # a space at a break is dropped, not carried to the next line
        if measure(joined(line) + u) <= limit():
            line.append(u)
            continue
        if measure(u) > rest:  # longer than a line (a digest): split by character where it falls
            for ch in u:
                if lines[-1] and measure(joined(lines[-1]) + ch) > limit():
                    lines.append([])
                lines[-1].append(ch)
            continue
        if not line:
            line.append(u)  # wider than the first line only: it starts there all the same
            continue
        head, u = _date_head(u, joined(line), limit(), measure)
        if head:
            line.append(head)
        lines.append([] if _blank(u) else [u])
    for line in lines:
        while len(line) > 1 and _blank(line[-1]):
            line.pop()
    # No last line of one or two characters ("准。" alone): pull pieces down from the line above.
    if widow and len(lines) >= 2 and 0 < _visible(lines[-1]) < 3:
        above, last = lines[-2], lines[-1]
        while _visible(last) < 3 and len(above) > 1:
            moved = above.pop()
            if _blank(moved):
                continue
            if measure(joined([moved, *last])) > rest:
                above.append(moved)
                break
            last.insert(0, moved)
        while len(above) > 1 and _blank(above[-1]):
            above.pop()
    return [joined(line) for line in lines if line or len(lines) == 1]


def wrap_lines(text: str, width: float, measure: Callable[[str], float], first: float | None = None,
               widow: bool = True) -> list[str]:
    """Break Chinese text into lines no wider than `width` (the first no wider than `first`), by
    the pieces of `units`, so that no line starts with closing punctuation, none ends with an
    opening mark, no run of digits is parted from its words, and (with `widow`) no paragraph
    ends in a line of one or two characters. Each "\\n" starts a paragraph."""
    out: list[str] = []
    for k, para in enumerate(text.split("\n")):
        out += _break(para, first if first is not None and k == 0 else width, width, measure, widow)
    return out


# --- layouts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    name: str
    top: float  # margins, mm
    bottom: float
    left: float
    right: float
    body: float  # pt
    pitch: float  # mm from one body line to the next
    chars: int  # characters to a body line (0: the face's own widths)
    title: float  # pt
    subtitle: float
    heading: float
    table: float
    folio: str  # "dash" (— 1 —) or "count" (第 1 页 共 2 页)
    running: bool  # the title as a running head on the pages after the first


OFFICIAL = Layout("official", 37, 35, 28, 26, body=16, pitch=225 / 22, chars=28, title=22, subtitle=16,
                  heading=16, table=10.5, folio="dash", running=False)
RECORD = Layout("record", 37, 35, 28, 26, body=16, pitch=225 / 22, chars=28, title=22, subtitle=16,
                heading=16, table=10.5, folio="count", running=True)
FORM = Layout("form", 20, 20, 22, 22, body=12, pitch=7.0, chars=0, title=20, subtitle=14, heading=14,
              table=10.5, folio="count", running=True)
LAYOUTS = {x.name: x for x in (OFFICIAL, RECORD, FORM)}


@dataclass
class _Block:
    """Lines broken and waiting to be drawn: a paragraph, a heading, a field."""

    lines: list[str]
    size: float
    pitch: float
    face: tuple[str, str]  # fpdf2 family and style
    align: str  # J, L, C, R
    indents: list[float]  # each line's offset from the left margin, mm
    widths: list[float]  # each line's measure, mm
    tracking: float = 0.0  # mm added after each character (the 28-character grid)
    label: str = ""  # a field's label, drawn in the bold face before the first line
    keep_with_next: bool = False
    before: float = 0.0  # space above, mm (not at the top of a page)
    ends: set[int] = field(default_factory=set)  # the last lines of its paragraphs (not justified)

    def need(self) -> float:
        """The height that must stay on a page with what comes before: its first two lines, or
        all of it when it cannot be parted (three lines or fewer)."""
        n = len(self.lines)
        return self.before + (n if n <= 3 else 2) * self.pitch

    def height(self) -> float:
        return self.before + len(self.lines) * self.pitch


def _skip_bounds_in_save(font: Any) -> None:
    """For a CID-keyed CFF face (the Noto CJK collections), have fpdf2's subset skip the bounding
    boxes in its whole-font save: fpdf2 throws that save's output away for such a face and embeds
    the CFF table compiled once more, bounds and all. Recomputing bounds draws every kept glyph,
    and the save did it twice over (hhea, the CFF FontBBox): about a quarter of a CJK document's
    time. What is embedded is byte for byte what it was."""
    loaded = getattr(font, "ttfont", None)
    if loaded is None or not (getattr(font, "is_cff", False) and getattr(font, "is_cid_keyed", False)):
        return
    whole_save = loaded.save

    def save(*args: Any, **kwargs: Any) -> Any:
        loaded.recalcBBoxes = False
        try:
            return whole_save(*args, **kwargs)
        finally:
            loaded.recalcBBoxes = True

    loaded.save = save


class Document(FPDF):
    """An A4 document in Chinese; `title` names it in the PDF metadata and the running head.

    `layout`: "official" (notices), "record" (the minute), "form" (wide tables, ballots): see the
    module docstring. `font`: a FontSet, or one face (paired with its Bold sibling file if there
    is one); by default the system's (exports.fonts.find_fonts).

    `mark` (草稿（未锁定）) is printed at the head and across every page, the first too; with
    `running=False` pages carry no running head and no page number, so that copies of a secret
    ballot are identical sheets."""

    def __init__(self, title: str, font: CjkFont | FontSet | None = None, author: str = "", mark: str = "",
                 running: bool = True, layout: str | Layout = "official") -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc_title = title
        self.mark = mark
        self.running = running
        self.layout = layout if isinstance(layout, Layout) else LAYOUTS[layout]
        self.fonts_used = font_set(font) if font is not None else find_fonts()
        self._register_fonts(self.fonts_used)
        lay = self.layout
        self.set_margins(lay.left, lay.top, lay.right)
        self.set_auto_page_break(True, margin=lay.bottom)
        self._pending: list[_Block] = []
        self._widths: dict[tuple[str, str], dict[str, float]] = {}
        self.set_title(title)
        self.set_author(author or "jifen")
        self.set_creator("jifen 党员积分制管理")
        self.set_subject(title)
        self.set_lang("zh-CN")
        self.set_creation_date(datetime.now().astimezone())
        self.set_font(FONT, size=lay.body)

    def use_layout(self, layout: str | Layout) -> None:
        """Set the pages from the next one on in another layout (an attached form in a record:
        the 签到表 on the form's page); call it before add_page."""
        self._flush()
        self.layout = layout if isinstance(layout, Layout) else LAYOUTS[layout]
        lay = self.layout
        self.set_margins(lay.left, lay.top, lay.right)
        self.set_auto_page_break(True, margin=lay.bottom)

    def _register_fonts(self, fonts: FontSet) -> None:
        def add(family: str, style: str, face: CjkFont) -> None:
            try:
                self.add_font(family, style=style, fname=str(face.path), collection_font_number=face.index)
            except Exception as exc:  # not a font, or a face fpdf2 cannot embed
                raise FontMissing(f"字体文件无法使用：{face.path}（{exc.__class__.__name__}）。"
                                  "请设置 JIFEN_FONT 指向一个 .ttf/.ttc/.otf 中文字体文件。") from None
            _skip_bounds_in_save(self.fonts.get(f"{family.lower()}{style}"))

        add(FONT, "", fonts.regular)
        # Without a bold face, "B" is the regular face again and its outline is stroked.
        self.fake_bold = fonts.bold is None
        add(FONT, "B", fonts.bold or fonts.regular)
        self.heading_face = (FONT, "B")
        if fonts.heading_face is not None and fonts.heading_face != fonts.bold:
            add(FONT_HEADING, "", fonts.heading_face)
            self.heading_face = (FONT_HEADING, "")
        self.title_face = (FONT, "B")
        if fonts.title_face is not None and fonts.title_face != fonts.bold:
            add(FONT_TITLE, "", fonts.title_face)
            self.title_face = (FONT_TITLE, "")

    # --- pages -----------------------------------------------------------------------------------

    def add_page(self, *args: Any, **kwargs: Any) -> None:
        if self._pending:  # what a caller queued goes on the page it was meant for
            self._flush()
        super().add_page(*args, **kwargs)

    # A caller that draws or moves by itself (ln, cell, ...) does so after what it queued.

    def ln(self, h: float | None = None) -> None:
        if self._pending:
            self._flush()
        super().ln(h)

    def cell(self, *args: Any, **kwargs: Any) -> Any:
        if self._pending:
            self._flush()
        return super().cell(*args, **kwargs)

    def multi_cell(self, *args: Any, **kwargs: Any) -> Any:
        if self._pending:
            self._flush()
        return super().multi_cell(*args, **kwargs)

    def write(self, *args: Any, **kwargs: Any) -> Any:
        if self._pending:
            self._flush()
        return super().write(*args, **kwargs)

    def image(self, *args: Any, **kwargs: Any) -> Any:
        if self._pending:
            self._flush()
        return super().image(*args, **kwargs)

    def set_y(self, y: float) -> None:
        if self._pending:
            self._flush()
        super().set_y(y)

    def set_xy(self, x: float, y: float) -> None:
        if self._pending:
            self._flush()
        super().set_xy(x, y)

    def will_page_break(self, height: float) -> bool:
        if self._pending:
            self._flush()
        return bool(super().will_page_break(height))

    def kept_together(self, draw: Callable[[Document], None]) -> None:
        """Draw what `draw` draws on one page: tried on a copy first; if the copy turns the page,
        it starts on a new page (when it does not fill one)."""
        import copy

        if self._pending and not self._pending[-1].keep_with_next:
            self._flush()
        # a heading still waiting is tried with it, and goes over with it
        # the fonts are shared, not copied (the costly part of a copy): the trial sets the very
        # characters the document then prints, so what it adds to their subsets is needed anyway
        trial = copy.deepcopy(self, {id(self.fonts): self.fonts})
        start, top = trial.page_no(), trial._at_top()
        trial._flush()
        draw(trial)
        trial._flush()
        if trial.page_no() != start and not top:
            waiting, self._pending = self._pending, []
            self.add_page()
            self._pending = waiting
        self._flush()
        draw(self)
        self._flush()

    def header(self) -> None:
        if self.mark:
            self._draft_mark()
        if self.running and self.layout.running and self.page_no() > 1:
            self.set_font(FONT, size=8)
            with self.local_context(text_color=(110, 110, 110)):
                self.set_xy(self.l_margin, self.t_margin - (10 if self.t_margin > 30 else 7))
                self.cell(0, 5, self.doc_title, align=Align.R)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        if not self.running:
            return
        if self.layout.folio == "dash":
            # GB/T 9704: 4号 figures between two em dashes, 7 mm under the 版心, one character in
            # from the right edge on odd pages and from the left on even ones.
            size = 14
            self.set_font(FONT, size=size)
            text = f"— {self.page_no()} —"
            width = self.get_string_width(text)
            inset = size * PT
            x = self.w - self.r_margin - inset - width if self.page_no() % 2 else self.l_margin + inset
            self.text(x, self.h - self.b_margin + 7 + size * PT * 0.27, text)  # the dashes: 0.27 em up
            return
        self.set_y(-14)
        self.set_font(FONT, size=9)
        mark = f"{self.mark}　" if self.mark else ""
        self.cell(0, 6, f"{mark}第 {self.page_no()} 页 共 {{nb}} 页", align=Align.C)

    def _draft_mark(self) -> None:
        """The draft mark: in the top margin, and large and pale across the page (drawn first,
        so the page's text lies over it)."""
        x, y = self.get_x(), self.get_y()
        with self.local_context(text_color=(200, 60, 60)):
            self.set_font(FONT, "B", 10)
            self.set_xy(self.l_margin, 8)
            self.cell(0, 5, self.mark, align=Align.L)
        with self.local_context(text_color=(235, 235, 235)), self.rotation(35, self.w / 2, self.h / 2):
            self.set_font(FONT, "B", 60)
            word = self.mark.split("（")[0]
            self.text(self.w / 2 - self.get_string_width(word) / 2, self.h / 2 + 10, word)
        self.set_font(FONT, size=self.layout.body)
        self.set_xy(x, y)

    # --- measuring and drawing lines -------------------------------------------------------------

    def _measure(self, face: tuple[str, str], size: float, tracking: float) -> Callable[[str], float]:
        """The width of a string set as a line in `face` at `size` pt, mm: with `tracking` between
        characters, the blank halves of adjacent punctuation squeezed (标点挤压), and on the
        official page a closing mark at its end set half wide if need be, its blank half in the
        margin (so the width is the least the line can take)."""
        natural = self._natural(face, size)
        half = size * PT / 2
        hang = bool(self.layout.chars)  # the official page's right margin takes the blank half

        def width(s: str) -> float:
            gaps = _squeeze(s, natural, half)
            end = half if hang and s and s[-1] in CLOSING and natural(s[-1]) > 1.9 * half else 0.0
            return natural(s) + tracking * max(len(s) - 1, 0) - sum(gaps) - end

        return width

    def _natural(self, face: tuple[str, str], size: float) -> Callable[[str], float]:
        """The sum of the characters' advance widths, mm."""
        key = (face[0] + face[1], f"{size:.2f}")
        cache = self._widths.setdefault(key, {})

        def width(s: str) -> float:
            total = 0.0
            for ch in s:
                w = cache.get(ch)
                if w is None:
                    self.set_font(face[0], face[1], size)
                    w = cache[ch] = self.get_string_width(ch)
                total += w
            return total

        return width

    def _tracking(self, size: float) -> float:
        """The space added after each body character so that `chars` fill the measure (GB/T 9704:
        28 characters of 3号 to a 156 mm line), mm; 0 for other sizes."""
        lay = self.layout
        if not lay.chars or size != lay.body:
            return 0.0
        return (self.epw - lay.chars * size * PT) / (lay.chars - 1)

    def _pitch(self, size: float) -> float:
        return self.layout.pitch * size / self.layout.body

    def _at_top(self) -> bool:
        return self.y <= self.t_margin + 0.01

    def _draw_line(self, b: _Block, k: int, top: float) -> None:
        text = b.lines[k]
        size_mm = b.size * PT
        baseline = top + (b.pitch - size_mm) / 2 + ASCENT * size_mm
        x = self.l_margin + b.indents[k]
        if k == 0 and b.label:
            self.set_font(FONT, "B", b.size)
            with self._bold(FONT, "B", b.size):
                self.text(self.l_margin, baseline, b.label)
        natural = self._natural(b.face, b.size)
        # leading full-width spaces are an indent, not part of what is spread
        lead = len(text) - len(text.lstrip("　"))
        if lead:
            x += natural(text[:lead]) + b.tracking * lead
            text = text[lead:]
        n = len(text)
        if not n:
            return
        room = b.widths[k] - (x - self.l_margin - b.indents[k])
        half = size_mm / 2
        gaps = [*_squeeze(text, natural, half), 0.0]  # what is taken out after each character
        if natural(text) + b.tracking * (n - 1) - sum(gaps) > room + 1e-6 and text[-1] in CLOSING \
                and self.layout.chars:
            gaps[-1] = half  # the closing mark at the end is set half wide: the line needs it
        spacing = b.tracking
        if b.align == "J" and n > 1 and k not in b.ends:
            spread = (room - natural(text) + sum(gaps)) / (n - 1)
            if spread - b.tracking <= MAX_SPREAD * size_mm:
                spacing = spread
        width = natural(text) + spacing * (n - 1) - sum(gaps)
        if b.align == "C":
            x += (room - width) / 2
        elif b.align == "R":
            x += room - width
        self.set_font(b.face[0], b.face[1], b.size)
        self.set_char_spacing(spacing / PT if abs(spacing) > 1e-4 else 0)
        with self._bold(*b.face, b.size):
            self._show(x, baseline, text, gaps[:-1], b.size)
        self.set_char_spacing(0)

    def _show(self, x: float, y: float, text: str, gaps: Sequence[float], size: float) -> None:
        """fpdf2's text(), with the squeezed gaps as position adjustments of one TJ, so that the
        line stays one piece of text for whoever extracts it; outlined bold strokes with the
        line width of the graphics state."""
        font = self.current_font
        assert font is not None
        if not self.current_font_is_set_on_page:
            self._out(self._set_font_for_page(font, self.font_size_pt))
        parts, start = [], 0
        for i, gap in enumerate([*gaps, 0.0]):
            if gap > 0 or i == len(text) - 1:
                parts.append(font.encode_text(self.normalize_text(text[start:i + 1]))[:-3])  # "(...)" of "(...) Tj"
                if gap > 0:
                    parts.append(f"{gap / (size * PT) * 1000:.0f}")
                start = i + 1
        ops = [f"BT {x * self.k:.2f} {(self.h - y) * self.k:.2f} Td"]
        if self.text_mode != TextMode.FILL:
            ops.append(f"{int(self.text_mode)} Tr")  # the stroke's width is the graphics state's
        ops.append(f"[{' '.join(parts)}] TJ ET")
        if self.fill_color != self.text_color:
            assert self.text_color is not None
            ops = ["q", self.text_color.serialize().lower(), *ops, "Q"]
        self._out(" ".join(ops))

    def _bold(self, family: str, style: str, size: float) -> Any:
        """Stroke the outline too when bold has no face of its own."""
        if style == "B" and family == FONT and self.fake_bold:
            return self.local_context(text_mode="FILL_STROKE", line_width=size * 0.018)
        return self.local_context()

    def _draw(self, b: _Block, keep_after: float = 0.0) -> None:
        """Draw a block from the current position, keeping at least two of its lines on each side
        of a page break and `keep_after` (mm) of what follows with its last lines."""
        if b.before and not self._at_top():
            self.y += b.before
        n, i, eps = len(b.lines), 0, 1e-6
        while i < n:
            avail = self.page_break_trigger - self.y
            room = math.floor(avail / b.pitch + eps)
            rest = n - i
            at_top = self._at_top()
            if rest <= room and rest * b.pitch + keep_after <= avail + eps:
                k = rest
            else:
                # what is left of it on this page and what goes over both keep two lines or more
                k = (rest - 2 if rest >= 4 else 0) if rest <= room else min(room, rest - 2)
                if k < 2:
                    k = min(rest, max(room, 1)) if at_top else 0  # at a page's top: what fits
            for j in range(i, i + k):
                self._draw_line(b, j, self.y)
                self.y += b.pitch
            i += k
            if i < n:
                self.add_page()
        self.set_xy(self.l_margin, self.y)
        self.set_font(FONT, size=self.layout.body)

    def _queue(self, block: _Block) -> None:
        """A block waits until the next one comes, so that a heading can be kept with it and a
        paragraph with the signatures after it."""
        if self._pending and not self._pending[-1].keep_with_next:
            self._flush()
        self._pending.append(block)

    def _flush(self, keep_after: float = 0.0, force: bool = False) -> None:
        """Draw what waits; `keep_after` mm of what follows stays with a waiting heading (or with
        any last block, `force`)."""
        blocks, self._pending = self._pending, []
        for k, b in enumerate(blocks):
            # a chain of kept blocks ((一) 议题, 发言要点：, the first speech) goes over as one:
            # each keeps all of the kept ones after it and the start of the first that is not
            after = keep_after if force else 0.0
            if b.keep_with_next:
                after = 0.0
                for nxt in blocks[k + 1:]:
                    if not nxt.keep_with_next:
                        after += nxt.need()
                        break
                    after += nxt.height()
                else:
                    after += keep_after
                after = min(after, self.page_break_trigger - self.t_margin - b.height())
            self._draw(b, after)

    def _block(self, text: str, size: float, face: tuple[str, str], align: str, indent: float = 0.0,
               hang: float = 0.0, pitch: float | None = None, **kw: Any) -> _Block:
        """Break `text` for the measure: the first line indented `indent` mm, the others `hang` mm."""
        tracking = self._tracking(size) if face == (FONT, "") or face == self.heading_face else 0.0
        measure = self._measure(face, size, tracking)
        width = self.epw + 0.01  # a hair over, for the rounding of the widths summed
        lines: list[str] = []
        ends: set[int] = set()
        for seg in text.split("\n"):
            lines += wrap_lines(seg, width - hang, measure, first=width - (hang if lines else indent))
            ends.add(len(lines) - 1)
        indents = [indent] + [hang] * (len(lines) - 1)
        return _Block(lines, size, pitch or self._pitch(size), face, align, indents,
                      [self.epw - x for x in indents], tracking, ends=ends, **kw)

    # --- building blocks -------------------------------------------------------------------------

    def title_block(self, title: str, subtitle: str = "") -> None:
        """The title in 2号 bold, centred, a subtitle under it, then a line's space."""
        self._flush()
        lay = self.layout
        size_mm = lay.title * PT
        pitch = max(lay.pitch, size_mm * 1.45)
        self._draw(self._block(title, lay.title, self.title_face, "C", pitch=pitch))
        if subtitle:
            self._draw(self._block(subtitle, lay.subtitle, (FONT, ""), "C"))
        self.y += lay.pitch if lay.chars else 3

    def heading(self, text: str) -> None:
        """A heading in 3号 in the heading face, kept on a page with the start of what follows."""
        lay = self.layout
        self._queue(self._block(text, lay.heading, self.heading_face, "L", keep_with_next=True,
                                before=0 if lay.chars else 2, pitch=self._pitch(lay.body) if lay.chars else 8))

    def para(self, text: str, size: float | None = None, height: float | None = None,
             align: Align | str = "J", indent: float = 0, keep_with_next: bool = False) -> None:
        """A paragraph in the body face (`size` pt, the layout's body by default; `height` mm from
        line to line), justified (`align` J) or L, C, R; `indent` characters before its first line;
        `keep_with_next`: on the page of what follows it (a line that heads the paragraphs after it)."""
        size = size or self.layout.body
        a = str(align.value if isinstance(align, Align) else align).upper()[:1]
        self._queue(self._block(text, size, (FONT, ""), a if a in "JLCR" else "L", indent=indent * size * PT,
                                pitch=height, keep_with_next=keep_with_next))

    def fields(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Label：value lines, the label in the bold face, the value wrapping under itself."""
        size = self.layout.body
        for label, value in pairs:
            self.set_font(FONT, "B", size)
            w = self.get_string_width(label + "：") + 0.5
            self._queue(self._block(value or "—", size, (FONT, ""), "J", indent=w, hang=w, label=label + "："))

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float],
             size: float | None = None, align: Sequence[str] | None = None) -> None:
        """A table with its heading row repeated on every page; cells wrap by character. Widths
        wider than the measure are scaled down to it."""
        size = size or self.layout.table
        line = size * 0.55
        self._flush(keep_after=3 * (line + 1.6))  # a heading before it stays with its first rows
        if self.y > self.t_margin + 0.01:
            self.y += 1
        widths = self._fit(headings, rows, widths, size)
        self.set_font(FONT, size=size)
        aligns = list(align or ["C"] * len(headings))
        with self.table(col_widths=tuple(widths), width=sum(widths), line_height=line,
                        text_align=tuple(aligns), wrapmode=WrapMode.CHAR, repeat_headings=1,
                        headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 232)),
                        padding=(0.8, 1)) as table:
            head = table.row()
            for h in headings:
                head.cell(str(h), align=Align.C)
            for r in rows:
                row = table.row()
                for j, value in enumerate(r):
                    width = widths[min(j, len(widths) - 1)] - 2.2
                    row.cell(self._cell_lines("" if value is None else str(value), width, size))
        self.set_font(FONT, size=self.layout.body)
        self.ln(2)

    def _cell_lines(self, text: str, width: float, size: float) -> str:
        """A cell's text broken as paragraphs are (避头尾, figures with their units), for fpdf2 to
        set line by line."""
        if len(text) < 2 or not any(_is_han(c) for c in text):
            return text
        measure = self._natural((FONT, ""), size)
        return "\n".join(wrap_lines(text, width, measure))

    def _fit(self, headings: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float],
             size: float) -> list[float]:
        """Column widths for the measure: scaled down to it when wider, and then each column made
        wide enough for its heading of up to four characters, its figures and its words of up to
        six (免于积分管理) on one line (序号 not as 序/号), taking the room from the columns that
        have some to spare."""
        total = sum(widths)
        out = [w * min(1.0, self.epw / total) for w in widths] if total else list(widths)
        pad = 2 * 1 + 0.6  # the cells' padding, and a little over
        self.set_font(FONT, "B", size)
        least = [self.get_string_width(str(h)) + pad if len(str(h)) <= 4 else 0.0 for h in headings]
        self.set_font(FONT, size=size)
        for r in rows:
            for j, v in enumerate(r[:len(least)]):
                text = "" if v is None else str(v)
                if text and ((RUN.fullmatch(text.lstrip("-")) and len(text) <= LONG_RUN)
                             or (len(text) <= 6 and not any(c in SPACES for c in text))):
                    least[j] = max(least[j], self.get_string_width(text) + pad)
        # the room comes from columns of short cells (figures, names, grades), not from those of
        # running text (职务), which would only wrap into more lines
        donor = [all(len("" if r[j] is None else str(r[j])) <= 5 for r in rows if j < len(r))
                 for j in range(len(out))]
        short = sum(max(0.0, m - w) for m, w in zip(least, out, strict=True))
        if short <= 0:
            return out
        spare = sum(max(0.0, w - m) for m, w, d in zip(least, out, donor, strict=True) if d)
        if spare < short:  # not enough there: from every column with room to spare
            donor = [True] * len(out)
            spare = sum(max(0.0, w - m) for m, w in zip(least, out, strict=True))
            if spare < short:
                return out
        return [m if w < m else w - (w - m) * short / spare if d else w
                for m, w, d in zip(least, out, donor, strict=True)]

    def signatures(self, roles: Sequence[str]) -> None:
        """Signature lines (role（签字）：____ 年 月 日), kept on a page with the text before them."""
        lay = self.layout
        size = lay.body
        pitch = lay.pitch if lay.chars else 9
        gap = lay.pitch if lay.chars else 8
        need = gap + len(roles) * pitch
        self._flush(keep_after=need, force=True)
        if self.y + need > self.page_break_trigger + 1e-6 and not self._at_top():
            self.add_page()
        if not self._at_top():
            self.y += gap
        self.set_font(FONT, size=size)
        date_text = "　　　　年　　月　　日"
        date_w = self.get_string_width(date_text)
        size_mm = size * PT
        for role in roles:
            label = f"{role}（签字）："
            baseline = self.y + (pitch - size_mm) / 2 + ASCENT * size_mm
            self.text(self.l_margin, baseline, label)
            start = self.l_margin + self.get_string_width(label) + 1
            end = self.w - self.r_margin - date_w - size_mm
            with self.local_context(line_width=0.25):
                self.line(start, baseline + 1, end, baseline + 1)
            self.text(self.w - self.r_margin - date_w, baseline, date_text)
            self.y += pitch
        self.set_xy(self.l_margin, self.y)

    def output(self, *args: Any, **kwargs: Any) -> Any:
        if self._pending:
            self._flush()
        return super().output(*args, **kwargs)

    def save(self, out: str | os.PathLike) -> Path:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.output(str(path))
        return path
