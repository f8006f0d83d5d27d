"""A QR code drawn in the terminal, large enough for phones to read it off the projector.

Each terminal cell holds two pixels, one above the other (the upper half block "▀" in the top
pixel's colour on the bottom pixel's colour). At scale k a module is k columns wide and k
pixels (k/2 rows) high, which is square on a terminal whose cells are twice as high as wide.
The widget picks the largest whole scale that fits its size; black modules on white, with a
white quiet zone of at least two modules (four when there is room: readers find it sooner).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

DARK = Style(color="#000000", bgcolor="#000000")
LIGHT = Style(color="#ffffff", bgcolor="#ffffff")
UPPER = "▀"
MIN_QUIET, MAX_QUIET = 2, 4


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of `text`'s QR code, true for dark, without the quiet zone."""
    import segno  # pure Python; imported when a code is first drawn

    # A Chinese hotspot name: say UTF-8 (ECI), or readers guess Shift-JIS. ASCII stays plain,
    # which every reader takes.
    code = segno.make(text, error="m", micro=False, eci=not text.isascii())
    return [[bool(v) for v in row] for row in code.matrix]


def fit(modules: int, width: int, height: int) -> tuple[int, int]:
    """(scale, quiet zone) for a code of `modules` modules in `width` columns and `height` rows;
    scale 0 when even scale 1 with the smallest quiet zone does not fit."""
    def fits(scale: int, quiet: int) -> bool:
        side = (modules + 2 * quiet) * scale
        return side <= width and (side + 1) // 2 <= height

    scale = 0
    while fits(scale + 1, MIN_QUIET):
        scale += 1
    if scale == 0:
        return 0, MIN_QUIET
    quiet = MIN_QUIET
    while quiet < MAX_QUIET and fits(scale, quiet + 1):
        quiet += 1
    return scale, quiet


def qr_lines(matrix: list[list[bool]], scale: int, quiet: int) -> list[list[Segment]]:
    """The code as rows of cells: two pixel rows per terminal row, centred by the caller."""
    n = len(matrix) + 2 * quiet

    def dark(px: int, py: int) -> bool:
        mx, my = px // scale - quiet, py // scale - quiet
        return 0 <= mx < len(matrix) and 0 <= my < len(matrix) and matrix[my][mx]

    side = n * scale
    lines: list[list[Segment]] = []
    for row in range(0, side, 2):
        cells: list[Segment] = []
        for px in range(side):
            top = dark(px, row)
            bottom = dark(px, row + 1) if row + 1 < side else False
            if top == bottom:
                cells.append(Segment(" ", DARK if top else LIGHT))
            else:
                cells.append(Segment(UPPER, Style(color="#000000" if top else "#ffffff",
                                                  bgcolor="#000000" if bottom else "#ffffff")))
        lines.append(list(Segment.simplify(cells)))
    return lines


class QRCode(Widget):
    """The QR code of `text`, as large as the widget allows, centred."""

    DEFAULT_CSS = """
    QRCode { width: 1fr; height: 1fr; }
    """

    text: reactive[str] = reactive("", layout=False)

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._matrix: list[list[bool]] = []
        self._drawn: tuple[str, int, int] | None = None
        self._lines: list[list[Segment]] = []
        self.set_reactive(QRCode.text, text)
        self.scale = 0
        self.quiet = MIN_QUIET

    def watch_text(self, text: str) -> None:
        self._matrix = []
        self._drawn = None
        self.refresh()

    def _layout_lines(self, size: Size) -> list[list[Segment]]:
        key = (self.text, size.width, size.height)
        if self._drawn == key:
            return self._lines
        self._drawn = key
        self._lines = []
        self.scale = 0
        if not self.text:
            return self._lines
        if not self._matrix:
            self._matrix = qr_matrix(self.text)
        self.scale, self.quiet = fit(len(self._matrix), size.width, size.height)
        if self.scale:
            self._lines = qr_lines(self._matrix, self.scale, self.quiet)
        return self._lines

    def render_line(self, y: int) -> Strip:
        size = self.content_size
        lines = self._layout_lines(size)
        blank = Strip.blank(size.width, self.rich_style)
        if not lines:
            if self.text and y == size.height // 2:
                note = "窗口太小，无法显示二维码：按 F 全屏显示"
                return Strip([Segment(note[: max(size.width // 2, 0)], self.rich_style)]).adjust_cell_length(
                    size.width, self.rich_style)
            return blank
        top = (size.height - len(lines)) // 2
        if not 0 <= y - top < len(lines):
            return blank
        row = lines[y - top]
        left = (size.width - (len(self._matrix) + 2 * self.quiet) * self.scale) // 2
        pad = Segment(" " * left, self.rich_style)
        return Strip([pad, *row]).adjust_cell_length(size.width, self.rich_style)
