"""tomllib, or tomli on Python 3.10, with a loader that survives hostile nesting."""

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["loads", "tomllib"]


def loads(text: str) -> dict:
    """tomllib.loads, with arrays or tables nested past the parser's recursion limit reported as
    a TOMLDecodeError like any other bad file (tomllib itself raises RecursionError)."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError("arrays or tables are nested too deeply") from None
