"""Finding a scheme by built-in id or by file path, for the command line."""

from __future__ import annotations

import errno
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
        raise SchemeError([f"{name}: 不是 UTF-8 编码的文本（请用记事本“另存为”UTF-8 编码）"]) from None
    except OSError as exc:
        raise SchemeError([f"{name}: 无法读取：{_why_unreadable(exc)}"]) from None
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
    raise SchemeError([f"没有名为“{ref}”的内置积分方案，也没有这个文件；内置方案：{'、'.join(builtin_ids())}"])


# The operating system's reasons are English (strerror); the common ones in Chinese.
_UNREADABLE = {errno.ENOENT: "文件不存在", errno.EACCES: "没有读取权限", errno.EISDIR: "这是一个文件夹，不是文件"}


def _why_unreadable(exc: OSError) -> str:
    return _UNREADABLE.get(exc.errno or 0, f"系统报告“{exc.strerror or exc}”")
