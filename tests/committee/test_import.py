"""The committee database on SQLite and a real PostgreSQL: three branches x three quarters
imported, the same bundle twice, and every refusal (tampered, fork, gap, truncated, bomb, hostile
names and manifests) leaving every table exactly as it was."""

from __future__ import annotations

import json
import re
import threading
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text as sa_text

from committee.store import IMPORTED, REFUSED, UNCHANGED, CommitteeStore
from core.quarter import QuarterRef
from db.engine import open_engine
from db.errors import StoreError
from tests.committee.conftest import NAMES, Q3, ROSTERS, edited, members_of, rezip, snapshot


def test_three_branches_three_quarters(made, committee):
    # Out of order on purpose: 乙's Q3 brings its whole chain; its Q1 and Q2 then add their documents.
    order = ["甲1", "甲2", "甲3", "乙3", "乙1", "乙2", "丙1", "丙2", "丙3"]
    results = [committee.import_file(made.files[k]) for k in order]
    assert [r.status for r in results] == [IMPORTED] * 9, [r.lines for r in results]
    assert "导入锁定记录 3 个（2026Q1—2026Q3）" in results[3].lines[0]

    assert [(b.name, b.last_quarter, b.quarters) for b in committee.branches()] == sorted(
        (name, "2026Q3", 3) for name in NAMES.values())
    held = {r.branch: r for r in committee.branch_records(Q3)}
    for key, name in NAMES.items():
        assert held[name] == made.records[key]  # exactly the branch's own records, canonical texts verbatim
    at_q2 = committee.branch_records(QuarterRef(2026, 2))
    assert [len(r.locks) for r in at_q2] == [2, 2, 2]
    assert committee.branch_records(QuarterRef(2025, 4)) == []
    minute = committee.document(NAMES["乙"], QuarterRef(2026, 1), "minute.pdf")
    assert minute == members_of(made.files["乙1"])["minute.pdf"]

    # The report from what this database holds: every branch, its members, ranks across the three
    # (one scheme), nobody missing.
    from committee.report import committee_report

    report = committee_report(committee.branch_records(Q3), Q3, [b.name for b in committee.branches()])
    assert report.missing == () and [b.branch for b in report.branches] == sorted(NAMES.values())
    assert sum(len(b.members) for b in report.branches) == sum(len(r) for r in ROSTERS.values())
    ranks = sorted(m.shared_rank for b in report.branches for m in b.members)
    assert ranks[0] == 1 and not any(b.alone for b in report.branches)


def test_the_same_bundle_twice_is_a_no_op(made, committee):
    assert committee.import_file(made.files["甲2"]).status == IMPORTED
    before = snapshot(committee)
    again = committee.import_file(made.files["甲2"])
    assert again.status == UNCHANGED and "重复导入" in again.lines[0]
    assert committee.import_file(made.files["甲1"]).status == IMPORTED  # Q1's own documents are new
    after_q1 = snapshot(committee)
    assert after_q1["committee_lock"] == before["committee_lock"]
    assert committee.import_file(made.files["甲1"]).status == UNCHANGED
    assert snapshot(committee) == after_q1


def _tampered(made, tmp_path: Path) -> dict[str, Path]:
    src = made.files["甲3"]

    def canonical(m):
        m["locks"][1]["canonical"] = m["locks"][1]["canonical"].replace('"quarter":2', '"quarter":2 ')

    def digest(m):
        m["locks"][2]["digest"] = "0" * 64

    def renamed(m):
        m["branch"] = "别的党支部"

    def gap(m):
        del m["locks"][1]  # 2026Q2 left out: Q3 follows Q1

    def future(m):
        m["format"] = 99

    def wrong_type(m):
        m["locks"] = {"a": 1}

    pdf = members_of(src)
    pdf["minute.pdf"] = pdf["minute.pdf"].replace(b"%PDF-1.", b"%PDF-1.", 1) + b"\n% appended\n"
    raw = src.read_bytes()
    bomb = dict(members_of(src))
    bomb["publicity.pdf"] = b"%PDF-" + b"\0" * (80 * 1024 * 1024)
    traversal = dict(members_of(src))
    traversal["../../etc/cron.d/x"] = b"x"
    deep = dict(members_of(src))
    deep["manifest.json"] = b"[" * 100000 + b"]" * 100000
    not_json = dict(members_of(src))
    not_json["manifest.json"] = b"{not json"
    missing = {k: v for k, v in members_of(src).items() if k != "publicity.pdf"}
    extra = dict(members_of(src))
    extra["notes.txt"] = b"x"
    (tmp_path / "truncated.jifen").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "empty.jifen").write_bytes(b"")
    return {
        "canonical": edited(src, tmp_path / "canonical.jifen", canonical),
        "digest": edited(src, tmp_path / "digest.jifen", digest),
        "renamed": edited(src, tmp_path / "renamed.jifen", renamed),
        "gap": edited(src, tmp_path / "gap.jifen", gap),
        "future": edited(src, tmp_path / "future.jifen", future),
        "wrong_type": edited(src, tmp_path / "wrong_type.jifen", wrong_type),
        "pdf": rezip(pdf, tmp_path / "pdf.jifen"),
        "bomb": rezip(bomb, tmp_path / "bomb.jifen"),
        "traversal": rezip(traversal, tmp_path / "traversal.jifen"),
        "deep": rezip(deep, tmp_path / "deep.jifen"),
        "not_json": rezip(not_json, tmp_path / "not_json.jifen"),
        "missing": rezip(missing, tmp_path / "missing.jifen"),
        "extra": rezip(extra, tmp_path / "extra.jifen"),
        "truncated": tmp_path / "truncated.jifen",
        "empty": tmp_path / "empty.jifen",
        "absent": tmp_path / "absent.jifen",
        "fork": made.files["甲2x"],
    }


REASONS = {
    "canonical": "2026Q2：校验码不符：锁定记录在锁定后被改动",
    "digest": "2026Q3：校验码不符",
    "renamed": "与报送文件所写的“别的党支部”不符",
    "gap": "缺少中间季度的锁定记录",
    "future": "由更新版本的 jifen 生成（格式 99",
    "wrong_type": "锁定记录应为列表",
    "pdf": "会议记录（minute.pdf）与清单所记的 SHA-256 不符",
    "bomb": "可能是压缩炸弹",
    "traversal": "不安全的路径“../../etc/cron.d/x”",
    "deep": "嵌套过深",
    "not_json": "不是有效的 JSON",
    "missing": "缺少 publicity.pdf",
    "extra": "不应有的成员：notes.txt",
    "truncated": "不是 ZIP 格式，或文件不完整、已被截断",
    "empty": "不是 ZIP 格式",
    "absent": "文件不存在",
}


def test_every_refusal_keeps_nothing(made, committee, tmp_path):
    assert committee.import_file(made.files["甲1"]).status == IMPORTED
    assert committee.import_file(made.files["甲2"]).status == IMPORTED
    before = snapshot(committee)
    bad = _tampered(made, tmp_path)
    for what, path in bad.items():
        result = committee.import_file(path)
        assert result.status == REFUSED, what
        said = "\n".join(result.lines)
        assert "Traceback" not in said
        if what == "fork":
            ours = made.records["甲"].locks[1].digest
            theirs = json.loads(members_of(path)["manifest.json"])["locks"][1]["digest"]
            assert "分叉" in said and ours in said and theirs in said, said
        else:
            assert REASONS[what] in said, (what, said)
            assert path.name in said, (what, said)  # the file is named
        assert snapshot(committee) == before, what


def test_fork_of_a_quarter_already_imported_either_way_round(made, committee):
    assert committee.import_file(made.files["甲2x"]).status == IMPORTED  # the copy came first
    before = snapshot(committee)
    refused = committee.import_file(made.files["甲3"])  # a chain through the other 2026Q2
    assert refused.status == REFUSED and "分叉" in refused.lines[0] and "2026Q2" in refused.lines[0]
    assert snapshot(committee) == before
    assert committee.import_file(made.files["甲1"]).status == IMPORTED  # the shared first quarter is fine


def test_another_chain_under_a_known_name_is_a_fork(made, committee, tmp_path):
    assert committee.import_file(made.files["乙1"]).status == IMPORTED
    before = snapshot(committee)
    # 甲's chain presented under 乙's name cannot verify (its canonicals name 甲); a real other branch of
    # the same name is one whose records all say so: 甲's own chain imported after a branch named like it.
    assert committee.import_file(edited(made.files["甲1"], tmp_path / "x.jifen",
                                        lambda m: m.update(branch=NAMES["乙"]))).status == REFUSED
    assert snapshot(committee) == before


def test_a_later_chain_continues_one_quarter_at_a_time(made, committee):
    for n in (1, 2, 3):
        result = committee.import_file(made.files[f"丙{n}"])
        assert result.status == IMPORTED and f"导入锁定记录 1 个（2026Q{n}）" in result.lines[0]
    assert [r.last.quarter for r in committee.branch_records(Q3)] == ["2026Q3"]


def test_branch_and_committee_databases_are_not_mistaken(made, committee, db_target, tmp_path):
    with pytest.raises(StoreError, match="是党委的汇总数据库"):
        open_engine(db_target)
    with pytest.raises(StoreError, match="是党支部的积分数据库，不是党委的汇总数据库"):
        CommitteeStore.open(made.folder / "甲.db")
    with pytest.raises(StoreError, match="不存在"):
        CommitteeStore.open(tmp_path / "none.db")
    with committee.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE committee_schema SET version = 9")
    with pytest.raises(StoreError, match="由更新版本的 jifen 建立"):
        CommitteeStore.open(db_target)


def _race(db_target: str, files: list[Path]) -> list[str]:
    """Importers started together on one committee database (made first: the race is the
    imports'). A thread that fails says how in its result and releases the others, so a failure
    shows as one, never as a test that waits forever."""
    CommitteeStore.open(db_target, create=True).engine.dispose()
    barrier = threading.Barrier(len(files))
    out: dict[int, str] = {}

    def run(i: int, path: Path) -> None:
        try:
            store = CommitteeStore.open(db_target)
            try:
                barrier.wait(timeout=120)
                out[i] = store.import_file(path).status
            finally:
                store.engine.dispose()
        except Exception as exc:
            barrier.abort()
            out[i] = f"failed: {exc!r}"

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(files)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [out[i] for i in range(len(files))]


def test_two_importers_at_once_make_no_fork_and_no_duplicate(made, db_target):
    same = _race(db_target, [made.files["甲2"], made.files["甲2"]])
    assert sorted(same) == [IMPORTED, UNCHANGED]
    forked = _race(db_target, [made.files["甲3"], made.files["甲2x"]])
    assert sorted(forked) == [IMPORTED, REFUSED] and forked[0] == IMPORTED  # 甲2 was there: the copy forks
    store = CommitteeStore.open(db_target)
    try:
        rows = snapshot(store)["committee_lock"]
        assert len(rows) == 3 and store.branch_records(Q3)[0] == made.records["甲"]
    finally:
        store.engine.dispose()


def test_the_bundle_file(made, tmp_path):
    from committee.bundle import read_bundle, verify_bundle
    from tests.exports.test_documents import read_pdf

    folder = tmp_path
    bundle = read_bundle(made.files["丙3"])
    assert verify_bundle(bundle) == []
    assert bundle.records == made.records["丙"] and bundle.quarter == "2026Q3"
    with zipfile.ZipFile(made.files["丙3"]) as zf:
        assert sorted(zf.namelist()) == ["manifest.json", "minute.pdf", "publicity.pdf"]
    # The minute inside names its quarter's digest (grouped by eight as printed).
    def text_of(data: bytes) -> str:
        kept = folder / "read.pdf"
        kept.write_bytes(data)
        return "".join(read_pdf(kept))

    minute = text_of(bundle.documents["minute.pdf"])
    digest = made.records["丙"].last.digest
    assert f"本记录校验码为：{digest}" in re.sub(r"\s+", "", minute)  # printed in groups of eight
    publicity = text_of(bundle.documents["publicity.pdf"])
    assert "公示" in publicity and "草稿" not in publicity


def _forged(made, out: Path, change) -> Path:
    """乙's 2026Q1 bundle with its one lock's record changed by `change(canonical dict)` and its
    digest made again: a chain as consistent as a hand-made file can be."""
    import hashlib

    def forge(manifest: dict) -> None:
        lock = manifest["locks"][0]
        content = json.loads(lock["canonical"])
        change(content, manifest)
        lock["canonical"] = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        lock["digest"] = hashlib.sha256(lock["canonical"].encode("utf-8")).hexdigest()

    return edited(made.files["乙1"], out, forge)


def test_a_forged_but_consistent_bundle_that_cannot_be_figured_is_refused(made, committee, tmp_path):
    """The digests prove only that the text is what was locked; a hand-made file can chain
    consistently and still be no jifen record. It is refused at the door with nothing kept, so it
    never breaks the committee's report."""
    from committee.bundle import read_bundle, verify_bundle
    from db.digest import scheme_sha256

    def no_fields(content: dict, _: dict) -> None:
        for e in content["entries"]:
            del e["kind"]

    def bad_points(content: dict, _: dict) -> None:
        content["entries"][0]["points"] = "1e999999"  # a Decimal, and no figure anyone should print

    def bad_scheme(content: dict, manifest: dict) -> None:
        text = "id = 1\n[[categories]]\nname = 3\n"
        manifest["schemes"][0]["text"] = text
        content["scheme"]["sha256"] = scheme_sha256(text)

    before = snapshot(committee)
    for what, change, said in (("fields", no_fields, "无法计算积分"), ("points", bad_points, "无法计算积分"),
                               ("scheme", bad_scheme, "积分方案不能使用")):
        path = _forged(made, tmp_path / f"{what}.jifen", change)
        problems = verify_bundle(read_bundle(path))
        assert problems and said in problems[0], (what, problems)
        result = committee.import_file(path)
        assert result.status == REFUSED and said in "\n".join(result.lines), what
        assert snapshot(committee) == before, what


def test_a_reader_opens_while_an_import_holds_the_write_lock(made, committee, db_target):
    """The committee's console opens (and reads) while an import is writing: opening a database
    that is already a committee one takes no write lock."""
    from db.engine import write_engine

    assert committee.import_file(made.files["甲1"]).status == IMPORTED
    with write_engine(committee.engine).connect() as conn, conn.begin():
        conn.execute(sa_text("SELECT 1"))  # the write lock is now held (BEGIN IMMEDIATE / advisory lock)
        reader = CommitteeStore.open(db_target)
        try:
            assert [b.name for b in reader.branches()] == [NAMES["甲"]]
        finally:
            reader.engine.dispose()


def test_branches_expected_and_an_older_database_upgraded(made, committee, db_target):
    """The list of branches expected to report (so one that never reported is 未报送 too), and a
    committee database of schema version 1 (before that list) upgraded when opened, keeping what
    it held."""
    assert committee.import_file(made.files["甲1"]).status == IMPORTED
    assert committee.expect(["后勤党支部", NAMES["甲"], "后勤党支部"], []) == (["后勤党支部", NAMES["甲"]], [])
    assert committee.known() == ["后勤党支部", NAMES["甲"]]
    with pytest.raises(StoreError, match="应报送名单中没有“无此支部”"):
        committee.expect([], ["无此支部"])
    with pytest.raises(StoreError, match="应为一行文字"):
        committee.expect(["第一\n第二"], [])
    assert committee.expect([], [NAMES["甲"]]) == ([], [NAMES["甲"]])
    assert committee.known() == ["后勤党支部", NAMES["甲"]]  # it reported: known by its records
    from committee.report import committee_report

    q1 = QuarterRef(2026, 1)
    assert committee_report(committee.branch_records(q1), q1, committee.known()).missing == ("后勤党支部",)

    # Version 1: no list of expected branches yet.
    with committee.engine.begin() as conn:
        conn.execute(sa_text("DROP TABLE committee_expected"))
        conn.execute(sa_text("UPDATE committee_schema SET version = 1"))
    again = CommitteeStore.open(db_target)
    try:
        assert again.known() == [NAMES["甲"]] and again.expected() == []
        assert [b.name for b in again.branches()] == [NAMES["甲"]]
        with again.engine.connect() as conn:
            assert conn.execute(sa_text("SELECT MAX(version) FROM committee_schema")).scalar() == 2
    finally:
        again.engine.dispose()
