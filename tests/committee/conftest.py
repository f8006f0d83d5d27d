"""Bundles made once for the session: three branches x three locked quarters, and a fourth
database that copies branch 甲 after its first lock and locks a different 2026Q2 (a fork)."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from committee.bundle import write_bundle
from committee.records import BranchRecords, records_of
from committee.store import CommitteeStore
from core.quarter import QuarterRef
from tests.committee.branches import copy_branch, hold, new_branch

NAMES = {"甲": "机关第一党支部", "乙": "机关第二党支部", "丙": "后勤党支部"}
ROSTERS = {"甲": ["张一", "李二", "王三", "赵四"], "乙": ["钱五", "孙六", "周七"],
           "丙": ["吴八", "郑九", "冯十", "陈十一", "褚十二"]}
Q3 = QuarterRef(2026, 3)


@dataclass
class Made:
    files: dict[str, Path]  # "甲2" -> the bundle of 甲's 2026Q2; "甲2x" -> the fork's 2026Q2
    records: dict[str, BranchRecords]  # "甲" -> its records up to 2026Q3, read from its own database
    folder: Path


@pytest.fixture(scope="session")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    folder = tmp_path_factory.mktemp("bundles")
    files: dict[str, Path] = {}
    records = {}
    for key, name in NAMES.items():
        st = new_branch(folder / f"{key}.db", name, ROSTERS[key])
        for n in (1, 2, 3):
            hold(st, n, n + len(key))
            files[f"{key}{n}"] = write_bundle(st, QuarterRef(2026, n), folder / f"{key}{n}.jifen")
            if key == "甲" and n == 1:
                fork = copy_branch(st, folder / "甲-copy.db")
                hold(fork, 2, 0)  # another member's deduction: another 2026Q2
                files["甲2x"] = write_bundle(fork, QuarterRef(2026, 2), folder / "甲2x.jifen")
                fork.engine.dispose()
        records[key] = records_of(st, Q3)
        st.engine.dispose()
    return Made(files, records, folder)


def snapshot(store: CommitteeStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for 'nothing kept'."""
    with store.engine.connect() as conn:
        return {name: sorted((tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
                for name in sorted(inspect(conn).get_table_names())}


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(members: dict[str, bytes], out: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    out.write_bytes(buf.getvalue())
    return out


def edited(path: Path, out: Path, change: Any) -> Path:
    """The bundle with its manifest changed by `change(manifest dict)`."""
    members = members_of(path)
    manifest = json.loads(members["manifest.json"])
    change(manifest)
    members["manifest.json"] = json.dumps(manifest, ensure_ascii=False).encode()
    return rezip(members, out)


@pytest.fixture
def committee(db_target: str) -> CommitteeStore:
    store = CommitteeStore.open(db_target, create=True)
    yield store
    store.engine.dispose()
