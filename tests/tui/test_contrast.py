"""Every text/background colour pair of the console's looks reads at a contrast ratio of at
least 4.5:1 (WCAG 2 formula), computed from the themes' colours (as Textual derives its
variables from them) and the pairs tui/app.tcss declares — not from screenshots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.color import Color

import tui
from tui.themes import THEMES

STYLESHEET = Path(tui.__file__).with_name("app.tcss").read_text(encoding="utf-8")
MINIMUM = 4.5
# Text the screens colour through markup ([$text-success]✔ …) or Textual's widgets, on the grounds they sit on.
MARKUP_TEXT = ["$text-success", "$text-error", "$text-warning", "$text-muted", "$text-primary", "$text-accent",
               "$foreground"]
GROUNDS = ["$background", "$surface", "$panel", "$boost"]
THEME_PAIRS = [("$footer-key-foreground", "$footer-background"),
               ("$footer-description-foreground", "$footer-background"),
               ("$block-cursor-foreground", "$block-cursor-background"), ("$foreground", "$input-selection-background")]


def luminance(c: Color) -> float:
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)


def ratio(a: Color, b: Color) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def resolve(value: str, variables: dict[str, str], under: Color) -> Color:
    """A colour as drawn over `under`: variables followed, `auto` chosen against `under`, alpha blended."""
    value = value.strip()
    alpha = 1.0
    m = re.fullmatch(r"(.+?)\s+(\d+)%", value)
    if m:
        value, alpha = m.group(1), int(m.group(2)) / 100
    if value.startswith("$"):
        value = variables[value[1:]]
        inner = resolve(value, variables, under)
    elif value == "auto":
        inner = under.get_contrast_text(1.0)
    else:
        inner = Color.parse(value)
    inner = inner.with_alpha(inner.a * alpha)
    return under + inner


def rules() -> list[tuple[str, dict[str, str]]]:
    text = re.sub(r"/\*.*?\*/", "", STYLESHEET, flags=re.S)
    out = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        props = {k.strip(): v.strip() for k, v in re.findall(r"([\w-]+)\s*:\s*([^;]+);", body)}
        out.append((selector.strip(), props))
    return out


def pairs(variables: dict[str, str]) -> list[tuple[str, Color, Color]]:
    page = Color.parse(variables["background"])
    out = []
    for selector, props in rules():
        color, background = props.get("color"), props.get("background")
        if background and "%" in background and not color:
            continue  # a see-through overlay (behind a dialog): no text of its own
        grounds = [background] if background else GROUNDS
        for ground in grounds:
            bg = resolve(ground, variables, page)
            fg = resolve(color or "$foreground", variables, bg)
            out.append((f"{selector} on {ground}", fg, bg))
    for text in MARKUP_TEXT:
        for ground in GROUNDS:
            bg = resolve(ground, variables, page)
            out.append((f"{text} on {ground}", resolve(text, variables, bg), bg))
    for text, ground in THEME_PAIRS:
        bg = resolve(ground, variables, page)
        out.append((f"{text} on {ground}", resolve(text, variables, bg), bg))
    return out


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_every_colour_pair_reads_at_4_5_to_1(theme) -> None:  # type: ignore[no-untyped-def]
    variables = theme.to_color_system().generate()
    found = pairs(variables)
    assert len(found) > 40
    weak = [f"{what}: {ratio(fg, bg):.2f} ({fg.hex} on {bg.hex})" for what, fg, bg in found if ratio(fg, bg) < MINIMUM]
    assert weak == [], "\n".join(weak)


def test_the_formula() -> None:
    assert ratio(Color(0, 0, 0), Color(255, 255, 255)) == pytest.approx(21.0)
    assert ratio(Color(118, 118, 118), Color(255, 255, 255)) == pytest.approx(4.54, abs=0.01)
