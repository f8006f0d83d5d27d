"""Exact decimal arithmetic for figures.

Points are kept as `Decimal` so that sums and thresholds behave as on paper
(0.1 + 0.2 is 0.3, and 90 is not 89.99999). Figures are reported and compared
rounded half-up to two places, the way a form shows them.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction

ZERO = Decimal(0)
CENT = Decimal("0.01")


def dec(value: int | float | str | Decimal) -> Decimal:
    """A Decimal from an input number; floats go through their shortest repr (0.1 -> 0.1)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def mean(values: list[Decimal]) -> Decimal:
    return sum(values, ZERO) / len(values)


def share_count(share: Fraction, population: int) -> int:
    """How many places a top share covers: max(1, floor(share x N))."""
    return max(1, int((share * population).__floor__()))


def fraction_of(text: str | int | float) -> Fraction:
    """A share such as "1/3", 0.2 or "20%" as an exact fraction."""
    if isinstance(text, str):
        s = text.strip()
        if s.endswith("%"):
            return Fraction(s[:-1].strip()) / 100
        return Fraction(s)
    if isinstance(text, float):
        return Fraction(repr(text))
    return Fraction(text)


def show(value: Decimal | None) -> str:
    """A figure as the screen and forms print it: 85, 90.42, 0.5."""
    if value is None:
        return "—"
    if not value.is_finite() or value.adjusted() >= 20:
        # Refused on entry; one that got in (an old database, a hand edit) is printed, not rounded:
        # quantize cannot give 1E+400 two places.
        return str(value)
    text = format(value.quantize(CENT, rounding=ROUND_HALF_UP), "f")
    # "85.00" -> "85", "84.50" -> "84.5"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text == "-0" else text


def floor_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))
