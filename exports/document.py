"""The A4 page every document shares: a CJK font, headings in the manner of an official
document, 第 x 页 共 y 页 on every page, tables that wrap Chinese by character and repeat
their header row on each page. fpdf2 is imported here only, when a document is made."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from exports.fonts import CjkFont, FontMissing, find_font

FONT = "cjk"


def cn_date(d: date | datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def cn_datetime(d: datetime) -> str:
    return f"{cn_date(d)} {d:%H:%M}"


# 避头尾: these never begin a line; the character before them moves down with them.
NO_LINE_START = set("，。、；：？！）》」』】〕”’%）,.;:?!)]}…—")
# and these never end one: an opening mark goes down with what it opens.
NO_LINE_END = set("（《「『【〔“‘([{")


def wrap_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Break Chinese text into lines no wider than `width`, by character, so that no line
    starts with closing punctuation and none ends with an opening mark (避头尾)."""
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for ch in para:
            if line and measure(line + ch) > width:
                # carry the last character down with the closing mark, and any closing marks
                # just before it (“一）；” stays together), leaving at least one on the line
                split = len(line)
                if ch in NO_LINE_START:
                    k = 1
                    while k < len(line) and line[-k] in NO_LINE_START:
                        k += 1
                    split = len(line) - k if len(line) > k else split
                # and an opening mark before the break goes down with what it opens
                while split > 1 and line[split - 1] in NO_LINE_END:
                    split -= 1
                out.append(line[:split])
                line = line[split:] + ch
            else:
                line += ch
        out.append(line)
    return out


class Document(FPDF):
    """An A4 document in Chinese; `title` names it in the PDF metadata and the running head.

    `mark` (草稿（未锁定）) is printed at the head and across every page, the first too; with
    `running=False` pages carry no running head and no page number, so that copies of a secret
    ballot are identical sheets."""

    def __init__(self, title: str, font: CjkFont | None = None, author: str = "", mark: str = "",
                 running: bool = True) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc_title = title
        self.mark = mark
        self.running = running
        font = font or find_font()
        try:
            self.add_font(FONT, fname=str(font.path), collection_font_number=font.index)
            self.add_font(FONT, style="B", fname=str(font.path), collection_font_number=font.index)
        except Exception as exc:  # not a font, or a face fpdf2 cannot embed
            raise FontMissing(f"字体文件无法使用：{font.path}（{exc.__class__.__name__}）。"
                              "请设置 JIFEN_FONT 指向一个 .ttf/.ttc/.otf 中文字体文件。") from None
        self.set_margins(22, 20, 22)
        self.set_auto_page_break(True, margin=20)
        self.set_title(title)
        self.set_author(author or "jifen")
        self.set_creator("jifen 党员积分制管理")
        self.set_subject(title)
        self.set_lang("zh-CN")
        self.set_creation_date(datetime.now().astimezone())
        self.set_font(FONT, size=11)

    # --- running head and foot -------------------------------------------------------------------

    def header(self) -> None:
        if self.mark:
            self._draft_mark()
        if self.running and self.page_no() > 1:
            self.set_font(FONT, size=8)
            self.set_text_color(110)
            self.cell(0, 5, self.doc_title, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0)
            self.ln(2)

    def footer(self) -> None:
        if not self.running:
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
        self.set_font(FONT, size=11)
        self.set_xy(x, y)

    # --- building blocks -------------------------------------------------------------------------

    def title_block(self, title: str, subtitle: str = "") -> None:
        self.set_font(FONT, "B", 18)
        # The CJK faces found have no bold weight: stroke the outline as well to make it heavier.
        with self.local_context(text_mode="FILL_STROKE", line_width=0.35):
            self.multi_cell(0, 10, title, align=Align.C, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN,
                            new_y=YPos.NEXT)
        if subtitle:
            self.set_font(FONT, size=12)
            self.multi_cell(0, 7, subtitle, align=Align.C, wrapmode=WrapMode.CHAR,
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)
        self.set_font(FONT, size=11)

    def heading(self, text: str) -> None:
        if self.will_page_break(20):
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", 13)
        with self.local_context(text_mode="FILL_STROKE", line_width=0.2):
            self.multi_cell(0, 8, text, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=11)

    def para(self, text: str, size: float = 11, height: float = 6.5, align: Align | str = Align.L) -> None:
        self.set_font(FONT, size=size)
        lines = wrap_lines(text, self.epw - 2 * self.c_margin - 0.5, self.get_string_width)
        self.multi_cell(0, height, "\n".join(lines), align=align, wrapmode=WrapMode.CHAR,
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=11)

    def fields(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Label：value lines, the value wrapping under itself."""
        for label, value in pairs:
            self.set_font(FONT, "B", 11)
            w = self.get_string_width(label + "：") + 1
            self.cell(w, 6.5, label + "：")
            self.set_font(FONT, size=11)
            lines = wrap_lines(value or "—", self.epw - w - 2 * self.c_margin - 0.5, self.get_string_width)
            self.multi_cell(0, 6.5, "\n".join(lines), wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float],
             size: float = 9.5, align: Sequence[str] | None = None) -> None:
        """A table with its heading row repeated on every page; cells wrap by character."""
        self.set_font(FONT, size=size)
        aligns = list(align or ["C"] * len(headings))
        with self.table(col_widths=tuple(widths), width=sum(widths), line_height=size * 0.55,
                        text_align=tuple(aligns), wrapmode=WrapMode.CHAR, repeat_headings=1,
                        headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 232)),
                        padding=(0.8, 1)) as table:
            head = table.row()
            for h in headings:
                head.cell(str(h), align=Align.C)
            for r in rows:
                row = table.row()
                for value in r:
                    row.cell("" if value is None else str(value))
        self.set_font(FONT, size=11)
        self.ln(2)

    def signatures(self, roles: Sequence[str]) -> None:
        if self.will_page_break(30):
            self.add_page()
        self.ln(8)
        for role in roles:
            self.cell(0, 9, f"{role}（签字）：______________________　　　　年　　月　　日",
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def save(self, out: str | os.PathLike) -> Path:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.output(str(path))
        return path
