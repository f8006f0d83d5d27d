"""The store's refusals: a plain Chinese sentence for the screen, nothing changed."""


class StoreError(Exception):
    """An operation the store refused; `str(err)` is the message to show."""
