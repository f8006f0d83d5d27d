"""测评码纸条: one-time codes for the phone ballot, ten slips to an A4 page (two columns of five),
cut apart along dashed lines and handed one to each member present.

Every slip is the same sheet but for its code and the code's QR: no number, no page number,
nothing that tells one slip or page from another, and the codes in random order, so that a slip
cannot be traced back to the place it was printed or to whom it was handed. The QR is drawn as
filled rectangles (vector, sharp at any printer's resolution) with its quiet zone left blank."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from db.ballots import shown_code

if TYPE_CHECKING:
    from exports.document import Document

COLUMNS, ROWS = 2, 5
PAD = 5.0  # mm inside each slip's edges, left and right
TOP = 9.0  # mm above the title: the title and the QR sit in the middle of the slip
QR_SIDE = 30.0  # mm: the symbol without its quiet zone
QUIET = 4  # modules of blank border around the symbol, as ISO/IEC 18004 asks
CODE_FONT, CODE_SIZE = "Courier", 20  # a PDF base font: monospace, nothing embedded
TITLE_SIZE, TITLE_MIN = 10.5, 7.0  # pt: the title shrinks to fit one line, down to TITLE_MIN
NOTE_SIZE = 8.5
ADDRESS_SIZE = 9.0


def instructions(address: str) -> tuple[str, str, list[str]]:
    """What a slip says under its code: before the address, the address, the lines after it."""
    return "扫码，或在浏览器打开", address, ["输入测评码；", "每个码只能用一次，提交后不能修改。"]


def write_code_slips(out: Path, slips: Sequence[tuple[str, str]], *, title: str, address: str) -> None:
    """Slips for (code, url) pairs; `title` heads each slip, `address` is the ballot page's
    address as typed. Written to a temporary file beside `out`, then moved over it."""
    from exports.document import Document

    order = list(slips)
    secrets.SystemRandom().shuffle(order)  # the printed order says nothing of the issued one
    doc = Document(title, running=False, layout="form")
    doc.set_margins(0, 0, 0)
    doc.set_auto_page_break(False)  # everything is placed by hand
    w, h = doc.w / COLUMNS, doc.h / ROWS
    for start in range(0, max(len(order), 1), COLUMNS * ROWS):
        doc.add_page()
        _cut_lines(doc, w, h)
        for k, (code, url) in enumerate(order[start:start + COLUMNS * ROWS]):
            _slip(doc, (k % COLUMNS) * w, (k // COLUMNS) * h, w, h, code, url, title, address)
    data = bytes(doc.output())
    target = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=".slips-", suffix=".pdf", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _cut_lines(doc: Document, w: float, h: float) -> None:
    """Dashed lines between the slips, edge to edge (the page's own edges need no cut)."""
    with doc.local_context(line_width=0.2, draw_color=(150, 150, 150)):
        doc.set_dash_pattern(dash=2, gap=1.5)
        for c in range(1, COLUMNS):
            doc.line(c * w, 0, c * w, doc.h)
        for r in range(1, ROWS):
            doc.line(0, r * h, doc.w, r * h)
        doc.set_dash_pattern()


def _slip(doc: Document, x: float, y: float, w: float, h: float, code: str, url: str,
          title: str, address: str) -> None:
    from exports.document import FONT, PT, wrap_lines

    # The title on one line across the slip, smaller if it must; a very long one on two lines.
    size = TITLE_SIZE
    doc.set_font(FONT, "B", size)
    while doc.get_string_width(title) > w - 2 * PAD and size > TITLE_MIN:
        size -= 0.5
        doc.set_font(FONT, "B", size)
    heads = wrap_lines(title, w - 2 * PAD, doc.get_string_width)
    pitch = size * PT * 1.25
    line_y = y + TOP - (len(heads) - 1) * pitch + size * PT
    for head in heads[:2]:
        doc.text(x + (w - doc.get_string_width(head)) / 2, line_y, head)
        line_y += pitch
    top = line_y - pitch + 2.5
    module = _qr(doc, x + PAD, top, url)
    # Right of the QR: the code, large, then the instructions.
    left = x + PAD + QR_SIDE + 2 * QUIET * module + 1
    room = x + w - PAD - left
    doc.set_font(FONT, size=NOTE_SIZE)
    doc.text(left, top + 6, "测评码")
    doc.set_font(CODE_FONT, "B", CODE_SIZE)
    doc.text(left, top + 14, shown_code(code))
    before, typed, after = instructions(address)
    pitch = NOTE_SIZE * PT * 1.4
    doc.set_font(FONT, size=NOTE_SIZE)
    line_y = top + 20
    doc.text(left, line_y, before)
    # The address on a line of its own, in the monospace face (1 and l, 0 and O apart).
    size = ADDRESS_SIZE
    doc.set_font(CODE_FONT, "B", size)
    while doc.get_string_width(typed) > room and size > 6:
        size -= 0.5
        doc.set_font(CODE_FONT, "B", size)
    line_y += pitch
    doc.text(left, line_y, typed)
    doc.set_font(FONT, size=NOTE_SIZE)
    for line in (piece for para in after for piece in wrap_lines(para, room, doc.get_string_width)):
        line_y += pitch
        doc.text(left, line_y, line)


def _qr(doc: Document, x: float, y: float, url: str) -> float:
    """The QR of `url` with its top-left quiet-zone corner at (x, y); returns the module size."""
    import segno

    qr = segno.make(url, error="m", micro=False)
    matrix = qr.matrix
    n = len(matrix)
    module = QR_SIDE / n
    ox, oy = x + QUIET * module, y + QUIET * module
    with doc.local_context(fill_color=(0, 0, 0)):
        for r, row in enumerate(matrix):
            c = 0
            while c < n:
                if not row[c]:
                    c += 1
                    continue
                run = c
                while run < n and row[run]:
                    run += 1
                # A hair taller than a module: no pale seam between rows when rasterised.
                doc.rect(ox + c * module, oy + r * module, (run - c) * module, module + 0.02, style="F")
                c = run
    return module
