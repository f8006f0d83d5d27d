"""What tests share beyond fixtures: skipping for a missing binary, and reading a console frame."""

from __future__ import annotations

import html
import os
import re

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
