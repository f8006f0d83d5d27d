"""App-wide messages, named as past events."""

from textual.message import Message


class MeetingChanged(Message):
    """The meeting's data changed (or a screen came into view): redraw from the store."""
