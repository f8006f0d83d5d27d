"""The console's two looks: a light, high-contrast one for projectors (the default: a
projected dark background washes out in a lit room) and a dark one for screens, on a key.

Textual derives the coloured text ($text-success …) from these colours itself. Every colour
pair the stylesheet uses reads at a contrast ratio of at least 4.5:1 (WCAG);
tests/tui/test_contrast.py computes it from these colours and tui/app.tcss.
"""

from __future__ import annotations

from textual.theme import Theme

PROJECTOR = Theme(
    name="jifen-projector",
    primary="#0B3D91",     # deep blue: the title line
    secondary="#5B2A86",
    accent="#9E0B0F",      # party red: the member's name
    warning="#8A4B00",     # dark amber, readable on white
    error="#A4001D",
    success="#00642A",
    foreground="#000000",
    background="#FFFFFF",
    surface="#F3F3F3",
    panel="#E4E8EF",
    boost="#E9EEF6",
    dark=False,
    variables={
        "text-muted": "#3B3B3B",
        "footer-key-foreground": "#0B3D91",
        "footer-description-foreground": "#000000",
        "footer-background": "#E4E8EF",
        "footer-foreground": "#000000",
        "block-cursor-background": "#0B3D91",
        "block-cursor-foreground": "#FFFFFF",
        "block-cursor-text-style": "bold",
        "input-cursor-background": "#000000",
        "input-cursor-foreground": "#FFFFFF",
        "input-selection-background": "#9DB8E8",
    },
)

DARK = Theme(
    name="jifen-dark",
    primary="#2F6FD0",
    secondary="#9B7BD4",
    accent="#FF8A80",
    warning="#FFC857",
    error="#FF6B6B",
    success="#5DD39E",
    foreground="#F5F5F5",
    background="#101418",
    surface="#1A2027",
    panel="#24303C",
    boost="#1E2833",
    dark=True,
    variables={
        "text-muted": "#C4CCD4",
        "footer-key-foreground": "#8FB8FF",
        "footer-description-foreground": "#F5F5F5",
        "footer-background": "#24303C",
        "footer-foreground": "#F5F5F5",
        "block-cursor-background": "#8FB8FF",
        "block-cursor-foreground": "#000000",
        "block-cursor-text-style": "bold",
        "input-selection-background": "#245BAE",
    },
)

THEMES = (PROJECTOR, DARK)
