"""Reading a `.jifen` file that may be hostile: anything but a well-formed bundle ends in a
BundleError naming the file and what is wrong, never a traceback and never a large allocation.

The ZIP's own sizes are claims, not facts: every member is read through a counter that stops at
the cap whatever the header says, so a ZIP bomb costs at most MAX_TOTAL bytes of memory. Names
are compared with the three the format has (a path such as ../x or /etc/x is named and refused:
nothing is ever extracted to disk). JSON nesting is bounded before json parses it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

from committee.bundle_format import DOCUMENTS, MANIFEST, MEMBERS, Bundle, BundleError, records_of_manifest

MAX_FILE = 64 * 1024 * 1024  # the file itself
MAX_TOTAL = 64 * 1024 * 1024  # all members uncompressed
MAX_MANIFEST = 32 * 1024 * 1024
MAX_MEMBERS = 16  # entries in the ZIP's directory (three are expected)
MAX_DEPTH = 32  # JSON nesting: the manifest's own is 4
CHUNK = 1024 * 1024


def _label(path: Path) -> str:
    return f"报送文件 {path.name}"


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


def _deeper_than(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than limit (json would recurse that deep).
    The strings go first by a regular expression, then only the brackets are walked: a manifest
    is megabytes of canonical text, and a walk over every character costs a quarter of an import.
    An unterminated string leaves its brackets counted: such a text is no JSON anyway."""
    depth = 0
    for ch in _BRACKET.findall(_STRING.sub("", text)):
        if ch in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _unsafe(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or ":" in name or len(parts) > 1


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, label: str) -> bytes:
    """The member's bytes, never more than budget whatever its header claims."""
    out = bytearray()
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            out += chunk
            if len(out) > budget:
                raise BundleError(f"{label}：解压后超过 {MAX_TOTAL // (1024 * 1024)} MB，"
                                  "不是正常的报送文件（可能是压缩炸弹），已拒绝")
    return bytes(out)


def read_bundle(path: str | os.PathLike[str]) -> Bundle:
    """The bundle in the file, its manifest checked for shape (not yet verified: verify_bundle)."""
    p = Path(path)
    label = _label(p)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise BundleError(f"{label}：不是文件")
        if size > MAX_FILE:
            raise BundleError(f"{label}：文件有 {size // (1024 * 1024)} MB，超过报送文件的上限 "
                              f"{MAX_FILE // (1024 * 1024)} MB，已拒绝")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise BundleError(f"{label}：文件不存在（{p}）") from None
    except OSError as exc:
        raise BundleError(f"{label}：无法读取（{exc.strerror or exc}）") from None
    whole = hashlib.sha256(raw).hexdigest()
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise BundleError(f"{label}：不是 jifen 报送文件（不是 ZIP 格式，或文件不完整、已被截断）") from None
    with zf:
        try:
            infos = zf.infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            raise BundleError(f"{label}：ZIP 目录已损坏，文件可能不完整") from None
        if len(infos) > MAX_MEMBERS:
            raise BundleError(f"{label}：含有 {len(infos)} 个成员，报送文件只应有 {len(MEMBERS)} 个，已拒绝")
        names = [i.filename for i in infos]
        for name in names:
            if _unsafe(name):
                raise BundleError(f"{label}：含有不安全的路径“{name[:60]}”，已拒绝（报送文件中不应有目录或上级路径）")
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise BundleError(f"{label}：成员“{'、'.join(twice)}”出现了不止一次，已拒绝")
        missing = [m for m in MEMBERS if m not in names]
        if missing:
            raise BundleError(f"{label}：缺少 {'、'.join(missing)}：不是完整的 jifen 报送文件")
        extra = [n for n in names if n not in MEMBERS]
        if extra:
            raise BundleError(f"{label}：含有报送文件不应有的成员：{'、'.join(n[:40] for n in extra[:5])}")
        budget = MAX_TOTAL
        content: dict[str, bytes] = {}
        for info in infos:
            if info.flag_bits & 0x1:
                raise BundleError(f"{label}：成员 {info.filename} 已加密，不是 jifen 生成的报送文件")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise BundleError(f"{label}：成员 {info.filename} 的压缩方式不是 jifen 所用的，已拒绝")
            if info.file_size > budget:
                raise BundleError(f"{label}：解压后超过 {MAX_TOTAL // (1024 * 1024)} MB，"
                                  "不是正常的报送文件（可能是压缩炸弹），已拒绝")
            try:
                data = _read_member(zf, info, budget, label)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, RuntimeError):
                raise BundleError(f"{label}：成员 {info.filename} 已损坏（校验不符或文件不完整）") from None
            budget -= len(data)
            content[info.filename] = data
    manifest = content[MANIFEST]
    if len(manifest) > MAX_MANIFEST:
        raise BundleError(f"{label}：清单（{MANIFEST}）过大，已拒绝")
    try:
        text = manifest.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{label}：清单（{MANIFEST}）不是 UTF-8 文字") from None
    if _deeper_than(text, MAX_DEPTH):
        raise BundleError(f"{label}：清单（{MANIFEST}）嵌套过深，不是 jifen 生成的清单，已拒绝")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BundleError(f"{label}：清单（{MANIFEST}）不是有效的 JSON（{str(exc)[:80]}）") from None
    records, quarter, hashes, fmt = records_of_manifest(label, data)
    documents = {name: content[name] for name in DOCUMENTS}
    return Bundle(records, quarter, documents, hashes, whole, p.name, fmt)
