"""Finding a scheme by built-in id or by file path, for the command line."""

from __future__ import annotations

import os

from core.scheme import Scheme, SchemeError, parse_scheme
from core.schemes import builtin, builtin_ids


def read_scheme_file(path: str) -> Scheme:
    """Read and validate a scheme file; messages name the file by its base name."""
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8-sig") as fh:  # Notepad saves UTF-8 with a BOM
            text = fh.read()
    except UnicodeDecodeError:
        raise SchemeError([f"{name}: not UTF-8 text"]) from None
    except OSError as exc:
        raise SchemeError([f"{name}: cannot be read: {exc.strerror}"]) from None
    return parse_scheme(text, name)


def resolve_scheme(ref: str, *, near: str | None = None) -> Scheme:
    """A built-in id, or a path (as given, or relative to the folder `near`)."""
    if ref in builtin_ids():
        return builtin(ref)
    candidates = [ref]
    if near and not os.path.isabs(ref):
        candidates.append(os.path.join(near, ref))
    for path in candidates:
        if os.path.isfile(path):
            return read_scheme_file(path)
    raise SchemeError([f"no built-in scheme '{ref}' and no such file; built-in: {', '.join(builtin_ids())}"])
