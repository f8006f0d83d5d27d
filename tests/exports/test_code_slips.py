"""测评码纸条, read back: every code on the pages once, each slip's QR decoding (zbarimg) to the
address of the code printed beside it, and nothing else telling one slip or one page from
another: the text of every slip the same once its code is masked, and the page images the same
pixel for pixel once each slip's QR and code are masked."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from db.ballots import new_code, shown_code
from exports.code_slips import COLUMNS, PAD, ROWS, write_code_slips
from tests.support import MM, missing, pdf_lines
from web.addresses import ballot_address, code_address

HOST, PORT = "192.168.1.5", 8765
ADDRESS = ballot_address(HOST, PORT)
TITLE = "中共某某支部 2026年第四季度民主测评（第1轮）"
SHOWN = re.compile(r"[2-9A-Z]{5}-[2-9A-Z]{5}")
MASK = "#####-#####"
# Rendered so that each slip is a whole number of pixels: 2 x 420 across, 5 x 238 down.
CELL_W, CELL_H = 420, 238
PX = CELL_W / (210 / COLUMNS)  # pixels per mm across (4.0; down it is 238 / 59.4 = 4.007)


@pytest.fixture(scope="module")
def slips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slips")
    codes = [new_code() for _ in range(23)]  # two full pages and three slips on the third
    out = folder / "测评码.pdf"
    write_code_slips(out, [(c, code_address(HOST, PORT, c)) for c in codes], title=TITLE, address=ADDRESS)
    return out, codes


def _cell(line) -> tuple[int, int, int]:
    """(page, row, column) of the slip a line of text lies on."""
    w, h = line.width / COLUMNS, line.height / ROWS
    return line.page, int(line.top // h), int(line.x0 // w)


def _slip_texts(path: Path) -> dict[tuple[int, int, int], list[tuple[float, float, str]]]:
    """Each slip's lines: position within the slip (pt, rounded) and text."""
    out: dict[tuple[int, int, int], list[tuple[float, float, str]]] = {}
    for line in pdf_lines(path):
        page, row, col = _cell(line)
        x, y = line.x0 - col * line.width / COLUMNS, line.top - row * line.height / ROWS
        out.setdefault((page, row, col), []).append((round(x, 1), round(y, 1), line.text))
    return {k: sorted(v, key=lambda t: (t[1], t[0])) for k, v in out.items()}


def test_every_code_once_and_the_slips_identical_but_for_it(slips):
    path, codes = slips
    texts = _slip_texts(path)
    assert len(texts) == len(codes)  # one slip a code, no other text on the pages
    assert {k[0] for k in texts} == {1, 2, 3}
    assert sorted(k for k in texts if k[0] == 3) == [(3, 0, 0), (3, 0, 1), (3, 1, 0)]
    printed = []
    masked = set()
    for key in sorted(texts):
        found = [m for _, _, t in texts[key] for m in SHOWN.findall(t)]
        assert len(found) == 1, (key, texts[key])
        printed.append(found[0])
        masked.add(tuple((x, y, SHOWN.sub(MASK, t)) for x, y, t in texts[key]))
    assert sorted(printed) == sorted(shown_code(c) for c in codes)
    assert len(masked) == 1, masked  # position and text of every line the same on every slip
    (lines,) = masked
    body = "".join(t for _, _, t in lines).replace(" ", "")
    assert TITLE.replace(" ", "") in body and ADDRESS in body
    for said in ("扫码，或在浏览器打开", "输入测评码", "每个码只能用一次，提交后不能修改", "测评码"):
        assert said in body
    assert "页" not in body and not re.search(r"第\d+张|No\.|#\d", body)
    # The printed order is not the issued one (23! orders: a false alarm is out of reach).
    assert printed != [shown_code(c) for c in codes]


def test_a_long_title_shrinks_and_wraps_to_stay_on_its_slip(tmp_path):
    title = "中共某某市某某区卫生健康委员会机关第二党支部委员会 2026年第四季度民主测评（第2轮）"
    code = new_code()
    out = tmp_path / "long.pdf"
    write_code_slips(out, [(code, code_address(HOST, PORT, code))], title=title, address=ADDRESS)
    lines = pdf_lines(out)
    assert title.replace(" ", "") in "".join("".join(ln.text.split()) for ln in lines[:2])
    for ln in lines:
        assert ln.x0 >= PAD * MM - 1 and ln.x1 <= ln.width / COLUMNS - PAD * MM + 1, ln


def _render(path: Path, tmp: Path, **how: str) -> list[Path]:
    if not shutil.which("pdftoppm"):
        missing("pdftoppm (poppler-utils) is not installed")
    args = [a for k, v in how.items() for a in (f"-{k.replace('_', '-')}", v)]
    subprocess.run(["pdftoppm", "-gray", "-png", *args, str(path), str(tmp / "page")], check=True)
    return sorted(tmp.glob("page-*.png"))


def _zbar(image: Path) -> list[str]:
    if not shutil.which("zbarimg"):
        missing("zbarimg (zbar-tools) is not installed")
    r = subprocess.run(["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
                       capture_output=True, text=True)
    return r.stdout.split()


def test_every_qr_decodes_to_the_address_of_the_code_beside_it(slips, tmp_path):
    path, codes = slips
    texts = _slip_texts(path)
    pages = _render(path, tmp_path, r="150")
    assert len(pages) == 3
    px = 150 / 25.4
    for k, page in enumerate(pages, 1):
        on_page = {key: v for key, v in texts.items() if key[0] == k}
        shown = {SHOWN.search(t).group(0) for v in on_page.values() for _, _, t in v if SHOWN.search(t)}
        # the whole page: what zbar finds on it are addresses of its codes, each once (zbar may
        # miss one of ten symbols side by side on a page; a phone sees one slip, as below)
        found = _zbar(page)
        assert found and len(set(found)) == len(found)
        assert set(found) <= {code_address(HOST, PORT, s.replace("-", "")) for s in shown}
        # slip by slip: the QR is the address of the code printed on the same slip
        image = Image.open(page)
        for (_, row, col), lines in on_page.items():
            box = (round(col * 105 * px), round(row * 59.4 * px), round((col + 1) * 105 * px),
                   round((row + 1) * 59.4 * px))
            crop = tmp_path / f"slip-{k}-{row}-{col}.png"
            image.crop(box).save(crop)
            code = next(SHOWN.search(t).group(0) for _, _, t in lines if SHOWN.search(t)).replace("-", "")
            assert _zbar(crop) == [code_address(HOST, PORT, code)]
    assert len(codes) == 23


def test_pages_identical_pixel_for_pixel_but_for_the_codes_and_their_qr(slips, tmp_path):
    """The slips' images, and the pages' with their cut lines, with each slip's QR (left of the
    text, below the title) and its code blanked: no slip or page carries a mark of its own."""
    path, codes = slips
    pages = [Image.open(p).convert("L") for p in _render(path, tmp_path, scale_to_x="840", scale_to_y="1190")]
    assert pages[0].size == (COLUMNS * CELL_W, ROWS * CELL_H)
    lines = pdf_lines(path)
    sx, sy = CELL_W / (lines[0].width / COLUMNS), CELL_H / (lines[0].height / ROWS)  # pixels per point
    # The masked parts of a slip, in its own pixels: the same box on every slip.
    code_boxes, text_left, title_bottom = [], [], []
    for ln in lines:
        _, row, col = _cell(ln)
        ox, oy = col * ln.width / COLUMNS, row * ln.height / ROWS
        if SHOWN.search(ln.text):
            code_boxes.append(((ln.x0 - ox) * sx, (ln.top - oy) * sy, (ln.x1 - ox) * sx, (ln.bottom - oy) * sy))
        if TITLE.split()[0] in ln.text.replace(" ", ""):
            title_bottom.append((ln.bottom - oy) * sy)
        else:
            text_left.append((ln.x0 - ox) * sx)
    left, below = min(text_left) - 2, max(title_bottom) + 2
    cx0, cy0 = min(b[0] for b in code_boxes) - 4, min(b[1] for b in code_boxes) - 4  # the glyphs overhang a little
    cx1, cy1 = max(b[2] for b in code_boxes) + 4, max(b[3] for b in code_boxes) + 4
    assert left > 25 * PX  # the QR takes the slip's left ~38 mm: the mask covers no text

    def masked(page: Image.Image, slots: int) -> Image.Image:
        out = page.copy()
        draw = ImageDraw.Draw(out)
        for k in range(slots):
            x, y = (k % COLUMNS) * CELL_W, (k // COLUMNS) * CELL_H
            draw.rectangle((x + 2, y + below, x + left, y + CELL_H - 2), fill=255)  # the QR
            draw.rectangle((x + cx0, y + cy0, x + cx1, y + cy1), fill=255)  # the code
        return out

    full = COLUMNS * ROWS
    first = masked(pages[0], full)
    assert ImageChops.difference(first, masked(pages[1], full)).getbbox() is None
    # one slip against another, cut lines left out (a dash falls differently along a line)
    slip = first.crop((3, 3, CELL_W - 3, CELL_H - 3))
    for k in range(1, full):
        x, y = (k % COLUMNS) * CELL_W, (k // COLUMNS) * CELL_H
        other = first.crop((x + 3, y + 3, x + CELL_W - 3, y + CELL_H - 3))
        assert ImageChops.difference(slip, other).getbbox() is None, k
    # the last page: its three slips as the others, its empty places blank, the same cut lines
    last = masked(pages[2], full)
    assert ImageChops.difference(first, last).getbbox() is not None  # it has empty places ...
    blank = Image.new("L", (CELL_W - 6, CELL_H - 6), 255)
    for k in range(3, full):
        x, y = (k % COLUMNS) * CELL_W, (k // COLUMNS) * CELL_H
        assert ImageChops.difference(last.crop((x + 3, y + 3, x + CELL_W - 3, y + CELL_H - 3)), blank).getbbox() is None
    for k in range(3):
        x, y = (k % COLUMNS) * CELL_W, (k // COLUMNS) * CELL_H
        assert ImageChops.difference(last.crop((x + 3, y + 3, x + CELL_W - 3, y + CELL_H - 3)), slip).getbbox() is None
    inner = Image.new("L", pages[0].size, 0)
    draw = ImageDraw.Draw(inner)  # everything but the cut lines
    for k in range(full):
        x, y = (k % COLUMNS) * CELL_W, (k // COLUMNS) * CELL_H
        draw.rectangle((x + 3, y + 3, x + CELL_W - 4, y + CELL_H - 4), fill=255)
    white = Image.new("L", pages[0].size, 255)
    lines_only = [Image.composite(white, p, inner) for p in (first, last)]
    assert ImageChops.difference(*lines_only).getbbox() is None
    assert lines_only[0].getextrema()[0] < 200  # ... and the cut lines are there to compare
    assert len(codes) == 23


def test_written_whole_or_not_at_all(tmp_path):
    out = tmp_path / "codes.pdf"
    out.write_bytes(b"the slips printed before")
    code = new_code()
    write_code_slips(out, [(code, code_address(HOST, PORT, code))], title=TITLE, address=ADDRESS)
    assert out.read_bytes().startswith(b"%PDF") and [p.name for p in tmp_path.iterdir()] == ["codes.pdf"]
    before = out.read_bytes()
    # A QR cannot hold this much: the writer fails, the file before stays, no temporary file left.
    with pytest.raises(Exception):  # noqa: B017 - segno's own overflow error
        write_code_slips(out, [(code, "http://x/?c=" + "A" * 8000)], title=TITLE, address=ADDRESS)
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["codes.pdf"]
