"""The bundle: one `.jifen` file a branch hands its committee for a locked quarter.

`write_bundle` reads the branch's records up to the quarter (committee.records.records_of: every
lock back to the first, corrections, approvals, the schemes' texts), writes the quarter's minute
and publicity PDFs with exports' own functions, and puts them in one ZIP beside a manifest
(committee.bundle_format). The file appears whole or not at all: it is written under a temporary
name in the same folder, synced, then renamed over the target.

Reading (`read_bundle`, committee.bundle_read) is safe against hostile files; checking
(`verify_bundle`, committee.bundle_check) needs nothing but the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from pathlib import Path

from committee.bundle_check import verify_bundle, vouched
from committee.bundle_format import DOCUMENTS, MANIFEST, MINUTE, PUBLICITY, Bundle, BundleError, manifest_of
from committee.bundle_read import read_bundle
from committee.records import records_of
from core.quarter import QuarterRef
from db.store import Store

__all__ = ["Bundle", "BundleError", "read_bundle", "verify_bundle", "vouched", "write_bundle"]

SUFFIX = ".jifen"
# Fixed member times: the ZIP adds no clock of its own to what the PDFs already carry.
MEMBER_TIME = (2020, 1, 1, 0, 0, 0)


def _documents(store: Store, quarter: QuarterRef, folder: Path,
               holidays: str | os.PathLike[str] | None) -> dict[str, bytes]:
    from exports.forms import write_publicity
    from exports.minutes import write_minutes

    minute = write_minutes(store, quarter.year, quarter.number, folder / MINUTE)
    publicity = write_publicity(store, quarter.year, quarter.number, folder / PUBLICITY, holidays)
    return {MINUTE: minute.read_bytes(), PUBLICITY: publicity.read_bytes()}


def write_bundle(store: Store, quarter: QuarterRef, out: str | os.PathLike[str],
                 holidays: str | os.PathLike[str] | None = None) -> Path:
    """Write the bundle of a locked quarter to `out` (refused, StoreError, for one not locked)."""
    records = records_of(store, quarter)
    target = Path(out)
    with tempfile.TemporaryDirectory(prefix="jifen-bundle-") as work:
        documents = _documents(store, quarter, Path(work), holidays)
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in documents.items()}
    manifest = manifest_of(records, quarter.label, hashes).encode("utf-8")
    folder = target.parent if str(target.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise BundleError(f"无法在 {folder} 写入报送文件：{exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, data in [(MANIFEST, manifest), *((n, documents[n]) for n in DOCUMENTS)]:
                    zf.writestr(zipfile.ZipInfo(name, MEMBER_TIME), data, zipfile.ZIP_DEFLATED)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise BundleError(f"无法写入报送文件 {target}：{exc.strerror or exc}") from None
        raise
    return target
