"""Small helpers for the wording of the minute."""

from __future__ import annotations

# Closing punctuation: a note that ends without one gets a 。 when the minute prints it.
_ENDS = "。！？；…”）"


def sentence(text: str) -> str:
    """The text as a sentence: stripped, with a closing 。 unless it has closing punctuation."""
    text = text.strip()
    return text if not text or text[-1] in _ENDS else text + "。"
