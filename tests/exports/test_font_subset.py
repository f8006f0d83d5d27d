"""What a document embeds of a CJK face when the subset is written without fontTools recomputing
bounds in fpdf2's discarded whole-font save (exports.document._skip_bounds_in_save): the CFF program
in the PDF still carries the subset's own FontBBox, the bounds of exactly the glyphs it keeps, and
the face is usable for the next document."""

from __future__ import annotations

import io

from fontTools.cffLib import CFFFontSet
from pypdf import PdfReader

from exports.document import Document
from exports.fonts import find_fonts
from tests.support import missing


def embedded_cff(pdf) -> dict[str, bytes]:
    """Each embedded CFF font program of the first page, by its BaseFont."""
    out = {}
    for ref in PdfReader(pdf).pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        if "/FontFile3" in descriptor:
            out[str(font["/BaseFont"])] = descriptor["/FontFile3"].get_object().get_data()
    return out


def write(tmp_path, name: str) -> object:
    doc = Document("测试", font=find_fonts(packaged=True))
    doc.add_page()
    doc.heading("一、党员积分情况")  # the bold face
    doc.para("党支部党员大会会议记录：出席党员二十三名，列席一名。")
    return doc.save(tmp_path / name)


def test_the_embedded_subsets_carry_their_own_bounds(tmp_path):
    programs = embedded_cff(write(tmp_path, "a.pdf"))
    if not programs:
        missing("this machine's CJK face is not a CFF font: nothing here to check")
    for base, data in programs.items():
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(data), None)
        top = cff.topDictIndex[0]
        embedded = list(top.FontBBox)
        assert len(top.CharStrings) < 200, base  # a subset, not the collection's 65,000 glyphs
        top.recalcFontBBox()  # the bounds of the glyphs the subset holds
        assert [round(v) for v in top.FontBBox] == [round(v) for v in embedded], base


def test_a_second_document_embeds_the_same_programs(tmp_path):
    first, second = embedded_cff(write(tmp_path, "a.pdf")), embedded_cff(write(tmp_path, "b.pdf"))
    assert first and first == second
