"""The committee's import attacked as an adversary would: hand-made files whose digests are all
consistent (a digest proves only that a record was not changed after it was made). Each is
refused at the door with a Chinese reason and nothing kept, or, for the report, one branch's
fault never stops the others' figures."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from committee.bundle import BundleError, read_bundle, verify_bundle
from committee.report import committee_report
from committee.store import IMPORTED, REFUSED
from core.quarter import QuarterRef
from db.amendments import link_digest
from db.digest import scheme_sha256
from tests.committee.conftest import NAMES, edited, snapshot


def _canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def forge(path: Path, out: Path, change: Any) -> Path:
    """The bundle with its locks' records changed by `change(contents, manifest)` and the whole
    chain digested again, each record naming the one before: as consistent as a real one."""

    def redo(manifest: dict[str, Any]) -> None:
        contents = [json.loads(lock["canonical"]) for lock in manifest["locks"]]
        change(contents, manifest)
        previous = ""
        for lock, content in zip(manifest["locks"], contents, strict=True):
            content["previous"] = lock["previous_digest"] = previous
            lock["canonical"] = _canonical(content)
            lock["digest"] = previous = hashlib.sha256(lock["canonical"].encode("utf-8")).hexdigest()

    return edited(path, out, redo)


def _refused(committee: Any, path: Path, said: str, offline: bool = True) -> None:
    """Refused by the import naming the file and `said`, nothing kept; with `offline`, `jifen
    bundle verify` (no committee database) already finds it."""
    before = snapshot(committee)
    if offline:
        try:
            problems = verify_bundle(read_bundle(path))
        except BundleError as exc:
            problems = [str(exc)]
        assert any(said in p for p in problems), problems
    result = committee.import_file(path)
    assert result.status == REFUSED, result.lines
    assert any(said in line for line in result.lines), result.lines
    assert path.name in result.lines[0]
    assert snapshot(committee) == before


def test_an_earlier_quarter_that_cannot_be_figured_is_refused(made, committee, tmp_path):
    """The Q3 bundle figures Q3, but the report of Q1 figures Q1's own roster: a Q1 record
    without its members' fields would break every later report of Q1."""

    def nameless(contents: list[dict[str, Any]], _: dict[str, Any]) -> None:
        for m in contents[0]["members"]:
            del m["name"]

    _refused(committee, forge(made.files["乙3"], tmp_path / "b.jifen", nameless), "2026Q1")


def test_one_unfigurable_branch_does_not_stop_the_report(made, tmp_path):
    """Records that slipped in (say, from an older program) and cannot be figured: the report
    still comes out for every other branch and names the culprit."""

    def nameless(contents: list[dict[str, Any]], _: dict[str, Any]) -> None:
        for m in contents[0]["members"]:
            del m["name"]

    bad = read_bundle(forge(made.files["乙1"], tmp_path / "b.jifen", nameless)).records
    q1 = QuarterRef(2026, 1)
    good = read_bundle(made.files["甲1"]).records
    report = committee_report([good, bad], q1, [NAMES["甲"], NAMES["乙"]])
    assert [b.branch for b in report.branches] == [NAMES["甲"]]
    assert [name for name, _ in report.unfigured] == [NAMES["乙"]]
    assert "无法计算" in report.unfigured[0][1]
    assert NAMES["乙"] not in report.missing  # it reported: not 未报送


@pytest.mark.parametrize("name", ["机关第一党支部 ", " 机关第一党支部", "机关\u3000第一党支部", "机关第一\u200b党支部",
                                  "机关第一党支部\u202e", "机关第一党支部\n", "　", "机关第一党支部" * 20])
def test_a_branch_name_that_is_blank_hidden_or_a_lookalike_is_refused(made, committee, tmp_path, name):
    """A name that differs from another branch's only in spacing, width or invisible characters
    would stand beside it in the report as if a second branch; a blank or overlong one is no name."""
    assert committee.import_file(made.files["甲1"]).status == IMPORTED

    def rename(contents: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
        manifest["branch"] = name
        for c in contents:
            c["branch"] = name

    # A lookalike is such only beside the committee's names: offline, only a bad name shows.
    lookalike = name.strip() and name == name.strip() and "\u200b" not in name and "\u202e" not in name \
        and len(name) < 60
    _refused(committee, forge(made.files["乙1"], tmp_path / "b.jifen", rename), "党支部名称", offline=not lookalike)


def test_a_lookalike_of_an_expected_branch_is_refused(made, committee, tmp_path):
    """Full-width letters against a name the committee expects but has not yet heard from."""
    committee.expect(["ABC党支部"], [])

    def rename(contents: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
        manifest["branch"] = "ＡＢＣ党支部"
        for c in contents:
            c["branch"] = "ＡＢＣ党支部"

    _refused(committee, forge(made.files["乙1"], tmp_path / "b.jifen", rename), "ABC党支部", offline=False)


@pytest.mark.parametrize("name", ["钱五\u202e", "钱\x00五", "钱五\x1b[31m", "钱" * 200])
def test_a_member_name_with_control_characters_or_overlong_is_refused(made, committee, tmp_path, name):
    """Names are shown on the committee's console and PDF: bidi overrides reorder what the eye
    reads, control characters drive the terminal."""

    def rename(contents: list[dict[str, Any]], _: dict[str, Any]) -> None:
        contents[0]["members"][0]["name"] = name

    _refused(committee, forge(made.files["乙1"], tmp_path / "b.jifen", rename), "姓名")


def test_a_roster_that_repeats_a_member_is_refused(made, committee, tmp_path):
    def twice(contents: list[dict[str, Any]], _: dict[str, Any]) -> None:
        contents[0]["members"].append(copy.deepcopy(contents[0]["members"][0]))

    _refused(committee, forge(made.files["乙1"], tmp_path / "b.jifen", twice), "重复")


@pytest.mark.parametrize("count", [-5, 1.5, True, 10**9])
def test_rating_counts_that_are_not_plausible_counts_are_refused(made, committee, tmp_path, count):
    """A negative (or fractional, or absurd) count of ratings would make an evaluation score out
    of nothing."""

    def rate(contents: list[dict[str, Any]], _: dict[str, Any]) -> None:
        mid = str(contents[0]["members"][0]["id"])
        contents[0]["ratings"] = {"1": {mid: {"优秀": count}}}

    _refused(committee, forge(made.files["乙1"], tmp_path / "b.jifen", rate), "测评")


def test_too_many_members_is_refused(made, committee, tmp_path):
    """Within the 64 MB cap a file can hold a hundred thousand members: the engine's minutes."""

    def crowd(contents: list[dict[str, Any]], _: dict[str, Any]) -> None:
        first = contents[0]["members"][0]
        contents[0]["members"] = [dict(first, id=100000 + i, seq=i + 1, name=f"党员{i}") for i in range(5000)]

    _refused(committee, forge(made.files["乙1"], tmp_path / "b.jifen", crowd), "人数")


@pytest.mark.parametrize("year", [0, 1, 9999])
def test_a_year_out_of_range_is_refused(made, committee, tmp_path, year):
    def move(contents: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
        manifest["quarter"] = f"{year:04d}Q1"
        manifest["locks"][0]["quarter"] = f"{year:04d}Q1"
        manifest["schemes"][0]["year"] = year
        contents[0]["year"] = year

    _refused(committee, forge(made.files["乙1"], tmp_path / "b.jifen", move), "年度")


def test_a_correction_of_an_entry_of_another_quarter_is_refused(made, committee, tmp_path):
    """A correction chained on Q1's lock that changes an entry locked in Q2: every digest holds,
    yet Q2's figures would carry a change no Q2 record vouches for."""

    def correct(manifest: dict[str, Any]) -> None:
        q1, q2 = manifest["locks"][0], manifest["locks"][1]
        entry = json.loads(q2["canonical"])["entries"][0]
        content = {"format": 1, "appeal": {"number": 1, "member": entry["member"], "quarter_id": 1,
                                           "filed_on": "2026-04-01", "text": "申诉"},
                   "quarter": "2026Q1", "stage": "branch", "body": "党支部", "made_on": "2026-04-05",
                   "changes": [{"entry": entry["id"], "item": entry["item"], "was": entry["points"],
                                "points": "100", "withdrawn": False}]}
        canonical = _canonical(content)
        manifest["amendments"] = [{"quarter": "2026Q1", "previous_digest": q1["digest"],
                                   "digest": link_digest(q1["digest"], canonical), "canonical": canonical}]

    _refused(committee, edited(made.files["乙2"], tmp_path / "b.jifen", correct), "更正")


def test_ranks_are_shared_only_under_the_same_scheme_text(made, tmp_path):
    """A hand-made scheme under a shared scheme's id (with its own thresholds) is not the same
    scheme: its branch is not ranked among the others."""

    def own_scheme(contents: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
        text = manifest["schemes"][0]["text"] + "\n# changed\n"
        manifest["schemes"][0]["text"] = text
        contents[0]["scheme"]["sha256"] = scheme_sha256(text)

    odd = read_bundle(forge(made.files["乙1"], tmp_path / "b.jifen", own_scheme))
    assert verify_bundle(odd) == []
    records = [read_bundle(made.files["甲1"]).records, read_bundle(made.files["丙1"]).records, odd.records]
    report = committee_report(records, QuarterRef(2026, 1), list(NAMES.values()))
    by = {b.branch: b for b in report.branches}
    assert by[NAMES["乙"]].alone and all(m.shared_rank is None for m in by[NAMES["乙"]].members)
    assert not by[NAMES["甲"]].alone
    shared = sorted(m.shared_rank for b in (by[NAMES["甲"]], by[NAMES["丙"]]) for m in b.members
                    if m.shared_rank is not None)
    assert shared[-1] <= len(by[NAMES["甲"]].members) + len(by[NAMES["丙"]].members)


def _with_q4(grade: str) -> Any:
    """A change appending a hand-made 2026Q4 lock (Q3's record moved on) whose meeting decided
    `grade` for the first member."""

    def change(contents: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
        q4 = copy.deepcopy(contents[-1])
        q4["quarter"], q4["entries"] = 4, []
        q4["grade_decisions"] = [{"member": q4["members"][0]["id"], "grade": grade, "reason": "会议决定"}]
        contents.append(q4)
        manifest["locks"].append(dict(manifest["locks"][-1], quarter="2026Q4"))
        manifest["quarter"] = "2026Q4"

    return change


def test_a_decided_grade_the_scheme_does_not_have_is_refused(made, committee, tmp_path):
    """The report prints the meeting's decided grade as it is: 特等 is no grade of the scheme."""
    good = read_bundle(forge(made.files["乙3"], tmp_path / "good.jifen", _with_q4("合格")))
    assert verify_bundle(good) == []
    _refused(committee, forge(made.files["乙3"], tmp_path / "b.jifen", _with_q4("特等")), "不是积分方案的等次")


@pytest.mark.parametrize("field", ["state", "outcome"])
def test_an_appeal_statement_with_hidden_characters_is_refused(made, committee, tmp_path, field):
    def appeal(manifest: dict[str, Any]) -> None:
        manifest["appeals"] = [{"number": 1, "quarter": "2026Q1", "member": "钱五", "filed_on": "2026-04-01",
                                "state": "待党支部答复", "deadline": "2026-04-10", "overdue": False, "outcome": ""}]
        manifest["appeals"][0][field] = "已复议\u202e议复未"

    _refused(committee, edited(made.files["乙1"], tmp_path / "b.jifen", appeal), "申诉第1号")


def test_a_scheme_name_with_hidden_characters_is_refused(made, committee, tmp_path):
    def rename(contents: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
        text = manifest["schemes"][0]["text"].replace('name = "', 'name = "\\u202e', 1)
        manifest["schemes"][0]["text"] = text
        contents[0]["scheme"]["sha256"] = scheme_sha256(text)

    _refused(committee, forge(made.files["乙1"], tmp_path / "b.jifen", rename), "积分方案的名称")


def test_a_scheme_nested_too_deep_is_refused_not_a_crash(made, committee, tmp_path):
    def deep(contents: list[dict[str, Any]], manifest: dict[str, Any]) -> None:
        text = "x = " + "[" * 100000 + "]" * 100000
        manifest["schemes"][0]["text"] = text
        contents[0]["scheme"]["sha256"] = scheme_sha256(text)

    _refused(committee, forge(made.files["乙1"], tmp_path / "b.jifen", deep), "积分方案不能使用")


def test_the_report_files_name_an_unfigurable_branch(made, tmp_path):
    """The PDF, the XLSX and the CSV come out, and the first two name the branch not figured."""
    from openpyxl import load_workbook

    from committee.report_files import write_report
    from tests.db.test_grading import pdf_text

    def nameless(contents: list[dict[str, Any]], _: dict[str, Any]) -> None:
        for m in contents[0]["members"]:
            del m["name"]

    bad = read_bundle(forge(made.files["乙1"], tmp_path / "b.jifen", nameless)).records
    report = committee_report([read_bundle(made.files["甲1"]).records, bad], QuarterRef(2026, 1), [])
    pdf = write_report(report, tmp_path / "r.pdf")
    text = pdf_text(pdf)
    assert "无法计算" in text and NAMES["乙"] in text and NAMES["甲"] in text
    sheet = load_workbook(write_report(report, tmp_path / "r.xlsx"))["各支部汇总"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "无法计算的党支部" in cells and any(NAMES["乙"] in c and "无法计算" in c for c in cells)
    assert NAMES["甲"] in write_report(report, tmp_path / "r.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("key,value", [("seq", "一"), ("status", "boss"), ("id", None), ("exempt", "no")])
def test_a_member_record_of_another_shape_is_refused(made, committee, tmp_path, key, value):
    """The report sorts the members by their number and names their status: a string number
    would break the report of every branch."""

    def reshape(contents: list[dict[str, Any]], _: dict[str, Any]) -> None:
        for m in contents[0]["members"]:
            m[key] = value

    _refused(committee, forge(made.files["乙1"], tmp_path / "b.jifen", reshape), "党员名单")


def test_an_entry_id_used_twice_in_the_chain_is_refused(made, committee, tmp_path):
    def twice(contents: list[dict[str, Any]], _: dict[str, Any]) -> None:
        contents[1]["entries"].append(dict(contents[0]["entries"][0], month=4))

    _refused(committee, forge(made.files["乙2"], tmp_path / "b.jifen", twice), "事项编号重复")


def test_a_chain_of_thousands_of_locks_is_refused_unread(made, committee, tmp_path):
    def many(manifest: dict[str, Any]) -> None:
        manifest["locks"] = manifest["locks"] * 2000

    _refused(committee, edited(made.files["乙1"], tmp_path / "b.jifen", many), "超过上限")
