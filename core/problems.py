"""Long lists of problems, shown capped: a file with 300,000 bad rows says the first 50 and how
many more, not 300,000 lines."""

from __future__ import annotations

from collections.abc import Sequence

SHOWN = 50  # problems listed before the count of the rest


def capped(lines: Sequence[str], limit: int = SHOWN) -> list[str]:
    """The first `limit` lines, then one line saying how many were left out."""
    if len(lines) <= limit:
        return list(lines)
    return [*lines[:limit], f"……另有 {len(lines) - limit} 处问题未列出"]
