"""Columns for the command line's tables. Chinese characters take two cells of a terminal, so
padding counts display cells (rich's cell_len), never characters: f"{name:<6}" puts a
three-character name two cells past a two-character one."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.cells import cell_len

GAP = "  "


def columns(rows: Sequence[Sequence[str]], right: Collection[int] = ()) -> list[str]:
    """The rows (the heading first) as lines, each column as wide as its widest cell; the
    columns numbered in `right` aligned right (figures). The last column is not padded."""
    if not rows:
        return []
    count = max(len(r) for r in rows)
    widths = [max((cell_len(r[i]) for r in rows if i < len(r)), default=0) for i in range(count)]
    out = []
    for r in rows:
        cells = []
        for i, text in enumerate(r):
            room = " " * (widths[i] - cell_len(text)) if i < len(r) - 1 or i in right else ""
            cells.append(room + text if i in right else text + room)
        out.append(GAP.join(cells).rstrip())
    return out
