"""What tests share beyond fixtures: skipping for a missing binary, and reading a console frame."""

from __future__ import annotations

import html
import os
import re
from typing import NamedTuple

import pytest


def missing(reason: str) -> None:
    """Skip a test that needs something this machine lacks, with the reason printed; under
    JIFEN_REQUIRE_ALL=1 (set by .ci/run, which installs everything) the skip is a failure."""
    if os.environ.get("JIFEN_REQUIRE_ALL") == "1":
        pytest.fail(f"JIFEN_REQUIRE_ALL=1 but {reason}")
    pytest.skip(reason)


def screen_text(svg: str) -> str:
    """The characters of a console frame exported as SVG (Textual's export_screenshot)."""
    rows = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(rows)).replace("\xa0", " ")


# --------------------------------------------------------------------------------- where text sits on a page

MM = 72 / 25.4  # PDF points per millimetre


class PdfLine(NamedTuple):
    """A line of text as poppler's pdftotext -bbox-layout finds it: its page (from 1), its box in
    points from the page's top left, the page's size, its words with their boxes, and its text
    (the words joined by spaces)."""

    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    width: float
    height: float
    words: tuple[tuple[float, float, str], ...]  # (x0, x1, text)
    text: str

    @property
    def baseline(self) -> float:
        """The baseline, from the page's top: poppler's boxes run from the face's ascender to its
        descender, which in the Noto CJK faces are 1.16 and 0.288 em (the baseline at 80 %)."""
        return self.top + 0.8 * (self.bottom - self.top)


def pdf_lines(path: str | os.PathLike) -> list[PdfLine]:
    """Every line of text of a PDF with its position (pdftotext, from poppler-utils)."""
    import shutil
    import subprocess
    import xml.etree.ElementTree as ET

    if not shutil.which("pdftotext"):
        missing("pdftotext (poppler-utils) is not installed")
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    ns = "{http://www.w3.org/1999/xhtml}"
    out = []
    for k, page in enumerate(ET.fromstring(xml).iter(f"{ns}page"), 1):
        w, h = float(page.get("width", 0)), float(page.get("height", 0))
        for line in page.iter(f"{ns}line"):
            words = tuple((float(x.get("xMin", 0)), float(x.get("xMax", 0)), x.text or "")
                          for x in line.iter(f"{ns}word"))
            out.append(PdfLine(k, float(line.get("xMin", 0)), float(line.get("yMin", 0)), float(line.get("xMax", 0)),
                               float(line.get("yMax", 0)), w, h, words, " ".join(t for _, _, t in words)))
    return out
