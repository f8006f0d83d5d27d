"""The installed `jifen` console script, run as a subprocess: compute against the worked cases,
bad input (exit 2, nothing on stdout, one `path: problem` line each on stderr), --explain,
`schemes list/show` and `demo`."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

JIFEN = Path(sys.executable).parent / "jifen"
# The worked cases travel with the tests; ../shared/cases (beside a checkout) is the spec they copy.
CASES = Path(__file__).resolve().parents[1] / "cases"
SPEC_CASES = Path(__file__).resolve().parents[3] / "shared" / "cases"
CASE_FILES = sorted(p for p in CASES.glob("*.json") if not p.name.endswith(".expected.json"))
BUILTIN_IDS = [
    "xinmi-hospital-2023",
    "municipal-bureau",
    "xingping-medical-insurance-2022",
    "jsit-college-2020",
    "linyi-geopark-2021",
]


def jifen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUTF8="1", COLUMNS="200")
    return subprocess.run([str(JIFEN), *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=60)


def test_console_script_is_installed():
    assert JIFEN.is_file(), f"no console script at {JIFEN}"
    assert CASE_FILES, f"no cases in {CASES}"


def test_cases_are_the_specs_copies():
    """The copies under tests/ agree with the spec's cases, when the spec is beside the checkout."""
    if not SPEC_CASES.is_dir():
        pytest.skip(f"no spec folder beside the checkout ({SPEC_CASES}): the copies under tests/cases are used")
    spec = {p.name: p.read_bytes() for p in SPEC_CASES.glob("*.json")}
    ours = {p.name: p.read_bytes() for p in CASES.glob("*.json")}
    assert sorted(ours) == sorted(spec)
    for name, data in spec.items():
        assert json.loads(ours[name]) == json.loads(data), f"tests/cases/{name} differs from the spec's copy"


# --- the worked cases -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_gives_its_expected_output(case: Path, tmp_path):
    expected = json.loads(case.with_name(case.stem + ".expected.json").read_text(encoding="utf-8"))
    r = jifen("compute", str(case), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert json.loads(r.stdout) == expected


@pytest.mark.parametrize("case", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_explain_adds_reasons(case: Path, tmp_path):
    expected = json.loads(case.with_name(case.stem + ".expected.json").read_text(encoding="utf-8"))
    r = jifen("compute", str(case), "--explain", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert len(out["members"]) == len(expected["members"])
    for got, want in zip(out["members"], expected["members"], strict=True):
        reasons = got.pop("reasons")
        assert got == want  # the figures are the same with and without --explain
        assert isinstance(reasons, list) and reasons, f"{got['id']}: no reasons"
        for reason in reasons:
            # 依据 (the seed's words, with their place) and 说明 (the scheme's reading) come apart;
            # every reason rests on at least one of them
            assert set(reason) == {"topic", "text", "clause", "reading"}
            assert isinstance(reason["topic"], str) and reason["topic"]
            assert isinstance(reason["text"], str) and reason["text"]
            assert isinstance(reason["clause"], str) and isinstance(reason["reading"], str)
            assert reason["clause"] or reason["reading"], reason


def test_no_reasons_without_explain(tmp_path):
    r = jifen("compute", str(CASES / "xinmi-basic.json"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert all("reasons" not in m for m in json.loads(r.stdout)["members"])


# --- bad input ------------------------------------------------------------------------------------

GOOD: dict[str, Any] = {
    "scheme": "xinmi-hospital-2023",
    "year": 2026,
    "members": [
        {"id": "m1", "name": "张三", "status": "full"},
        {"id": "m2", "name": "李四", "status": "probationary"},
        {"id": "m3", "name": "王五", "status": "full"},
    ],
    "entries": [
        {"member": "m1", "quarter": 1, "kind": "bonus", "points": 3, "note": "市级会议发言"},
        {"member": "m1", "month": 5, "kind": "deduction", "points": 1},
        {"member": "m2", "quarter": 3, "kind": "veto", "note": "受到党纪处分"},
    ],
    "evaluations": [
        {"member": "m1", "round": 1, "ratings": {"优秀": 20, "合格": 3, "基本合格": 0, "不合格": 0}},
    ],
    "history": [{"member": "m1", "year": 2025, "total": 65.0, "bottom": True}],
}


def write_case(tmp_path: Path, data: Any, name: str = "case.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def bad(tmp_path: Path, change: Callable[[dict[str, Any]], Any]) -> list[str]:
    """Run compute on GOOD after `change`; assert the bad-input contract; the stderr lines."""
    data = copy.deepcopy(GOOD)
    change(data)
    r = jifen("compute", str(write_case(tmp_path, data)), cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines, "nothing on stderr"
    assert "Traceback" not in r.stderr
    return lines


def one_line(lines: list[str], path: str, *words: str) -> str:
    """The single problem line: it starts with `path: ` and holds each of `words`; its message."""
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: "), lines[0]
    message = lines[0][len(path) + 2:]
    assert message.strip(), lines[0]
    for word in words:
        assert word in message, (word, lines[0])
    return message


def test_the_good_case_is_good(tmp_path):
    r = jifen("compute", str(write_case(tmp_path, GOOD)), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [m["id"] for m in out["members"]] == ["m1", "m2", "m3"]


def test_malformed_json(tmp_path):
    path = tmp_path / "truncated.json"
    path.write_text('{"scheme": "xinmi-hospital-2023", "year": 2026,\n  "members": [\n', encoding="utf-8")
    r = jifen("compute", str(path), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: not valid JSON")
    assert "line" in lines[0]


def test_case_file_that_does_not_exist(tmp_path):
    r = jifen("compute", "nothere.json", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.splitlines()[0].startswith("nothere.json: cannot be read")


def test_case_that_is_not_an_object(tmp_path):
    r = jifen("compute", str(write_case(tmp_path, [1, 2])), cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.splitlines() == ["(top level): must be an object"]


def test_unknown_scheme(tmp_path):
    lines = bad(tmp_path, lambda d: d.update(scheme="nosuch-scheme"))
    # names the scheme and lists the built-ins
    one_line(lines, "scheme", "没有名为“nosuch-scheme”的内置积分方案", "xinmi-hospital-2023")


def test_unknown_member_in_entries(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][1].update(member="m9"))
    assert lines == ["entries[1].member: no member with id 'm9'"]


def test_exempt_member_under_a_scheme_without_exemption(tmp_path):
    # xinmi's seed has no 免于积分管理; jsit's has (本人申请，支委会审核，党员大会通过，公示无异议)
    lines = bad(tmp_path, lambda d: d["members"][2].update(exempt=True))
    assert lines == ["members[2].exempt: scheme xinmi-hospital-2023 provides no exemption from points management"]


def test_veto_under_a_scheme_without_one(tmp_path):
    def change(d):
        d["scheme"] = "jsit-college-2020"
        d["entries"] = [e for e in d["entries"] if e["kind"] != "veto"] + [
            {"member": "m1", "quarter": 2, "kind": "veto", "note": "受到党内警告处分"}]
    lines = bad(tmp_path, change)
    assert lines == ["entries[2].kind: scheme jsit-college-2020 has no 一票否决 (veto)"]


def test_unknown_member_in_evaluations_and_history(tmp_path):
    def change(d):
        d["evaluations"][0]["member"] = "m8"
        d["history"][0]["member"] = "m7"
    lines = bad(tmp_path, change)
    assert lines == ["evaluations[0].member: no member with id 'm8'", "history[0].member: no member with id 'm7'"]


def test_unknown_category(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][1].update(category="文体活动"))
    one_line(lines, "entries[1].category", "no category '文体活动'", "xinmi-hospital-2023")


def test_unknown_category_lists_the_schemes_categories(tmp_path):
    def change(d):
        d["scheme"] = "jsit-college-2020"
        d["entries"].pop(2)  # jsit has no 一票否决: its veto entry would be a second problem
        d["entries"][1]["category"] = "党费"
    lines = bad(tmp_path, change)
    one_line(lines, "entries[1].category", "no category '党费'", "缴纳党费")


def test_quarter_5(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][0].update(quarter=5))
    one_line(lines, "entries[0].quarter", "<= 4")


def test_quarter_0(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][0].update(quarter=0))
    one_line(lines, "entries[0].quarter", ">= 1")


def test_month_13(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][1].update(month=13))
    one_line(lines, "entries[1].month", "<= 12")


def test_both_quarter_and_month(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][0].update(month=2))
    one_line(lines, "entries[0]", "exactly one of", "quarter", "month")


def test_neither_quarter_nor_month(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][0].pop("quarter"))
    one_line(lines, "entries[0]", "exactly one of", "quarter", "month")


def test_negative_points(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][1].update(points=-2))
    one_line(lines, "entries[1].points", ">= 0")


def test_history_total_as_a_string(tmp_path):
    lines = bad(tmp_path, lambda d: d.update(history=[{"member": d["members"][0]["id"], "year": 2025, "total": "65"}]))
    one_line(lines, "history[0].total", "must be a number")


def test_points_as_a_string(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][0].update(points="3"))
    one_line(lines, "entries[0].points", "number")


def test_points_missing_on_a_bonus(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][0].pop("points"))
    one_line(lines, "entries[0].points", "required")


def test_veto_with_points(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][2].update(points=5))
    one_line(lines, "entries[2].points", "veto", "no points")


def test_unknown_kind(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][0].update(kind="award"))
    one_line(lines, "entries[0].kind", "must be one of", "'bonus'", "'deduction'", "'score'", "'veto'")


def test_unknown_rating_label(tmp_path):
    lines = bad(tmp_path, lambda d: d["evaluations"][0]["ratings"].update({"良好": 2}))
    message = one_line(lines, "evaluations[0].ratings.良好", "unknown rating label")
    assert "优秀/合格/基本合格/不合格" in message


def test_negative_rating_count(tmp_path):
    lines = bad(tmp_path, lambda d: d["evaluations"][0]["ratings"].update({"合格": -1}))
    one_line(lines, "evaluations[0].ratings.合格", ">= 0")


def test_evaluation_round_beyond_the_scheme(tmp_path):
    lines = bad(tmp_path, lambda d: d["evaluations"][0].update(round=2))
    one_line(lines, "evaluations[0].round", "round 2")


def test_member_without_status(tmp_path):
    lines = bad(tmp_path, lambda d: d["members"][1].pop("status"))
    one_line(lines, "members[1].status", "required", "missing")


def test_member_with_unknown_status(tmp_path):
    lines = bad(tmp_path, lambda d: d["members"][1].update(status="candidate"))
    one_line(lines, "members[1].status", "must be one of", "'full'", "'probationary'")


def test_missing_year(tmp_path):
    lines = bad(tmp_path, lambda d: d.pop("year"))
    one_line(lines, "year", "required", "missing")


def test_misspelt_field(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][0].update(pionts=3))
    message = one_line(lines, "entries[0].pionts")
    assert "unknown" in message.lower() or "unexpected" in message.lower(), message


def test_member_id_given_twice(tmp_path):
    lines = bad(tmp_path, lambda d: d["members"][2].update(id="m1"))
    assert lines == ["members[2].id: member id 'm1' is given twice"]


def test_item_points_above_its_cap(tmp_path):
    # xinmi J1.4: 每次不超过5分
    lines = bad(tmp_path, lambda d: d["entries"][0].update(item="J1.4", points=6))
    one_line(lines, "entries[0].points", "J1.4", "at most 5", "not 6")


def test_item_points_at_its_cap_is_fine(tmp_path):
    data = copy.deepcopy(GOOD)
    data["entries"][0].update(item="J1.4", points=5)
    r = jifen("compute", str(write_case(tmp_path, data)), cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_unknown_item(tmp_path):
    lines = bad(tmp_path, lambda d: d["entries"][0].update(item="Z9"))
    one_line(lines, "entries[0].item", "no item 'Z9'")


def test_several_problems_one_line_each(tmp_path):
    def change(d):
        d["entries"][0]["member"] = "m7"
        d["entries"][1]["member"] = "m9"
        d["entries"][1]["category"] = "文体活动"
        d["evaluations"][0]["member"] = "m8"
    lines = bad(tmp_path, change)
    assert len(lines) == 4
    assert lines[0] == "entries[0].member: no member with id 'm7'"
    assert lines[1] == "entries[1].member: no member with id 'm9'"
    assert lines[2].startswith("entries[1].category: no category '文体活动'")
    assert lines[3] == "evaluations[0].member: no member with id 'm8'"


def test_several_shape_problems_one_line_each(tmp_path):
    def change(d):
        d["entries"][0]["quarter"] = 5
        d["entries"][1]["month"] = 13
        d["entries"][1]["points"] = -2
        d["members"][0].pop("status")
    lines = bad(tmp_path, change)
    assert len(lines) == 4, lines
    by_path = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in lines}
    assert set(by_path) == {"members[0].status", "entries[0].quarter", "entries[1].month", "entries[1].points"}
    assert "missing" in by_path["members[0].status"]
    assert "<= 4" in by_path["entries[0].quarter"]
    assert "<= 12" in by_path["entries[1].month"]
    assert ">= 0" in by_path["entries[1].points"]


# --- jifen schemes --------------------------------------------------------------------------------


def test_schemes_list(tmp_path):
    r = jifen("schemes", "list", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    listed = [line.split()[0] for line in r.stdout.splitlines() if line.strip()]
    assert sorted(listed) == sorted(BUILTIN_IDS)
    assert "新密市中医院" in r.stdout


def test_schemes_show_xinmi(tmp_path):
    r = jifen("schemes", "show", "xinmi-hospital-2023", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for text in ("新密市中医院党员积分制管理", "计分规则", "基础分", "80", "一票否决", "民主评议",
                 "优秀", "合格", "基本合格", "不合格", "J1.4", "每次不超过5分", "K3.2b", "F1"):
        assert text in out, text
    j14 = [line for line in out.splitlines() if "J1.4" in line]
    assert len(j14) == 1 and "每次不超过5分" in j14[0]


@pytest.mark.parametrize("sid", BUILTIN_IDS)
def test_schemes_show_each_builtin(tmp_path, sid):
    r = jifen("schemes", "show", sid, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"（{sid}）" in r.stdout


def test_schemes_show_a_file(tmp_path):
    from core.schemes import builtin_text

    path = tmp_path / "our-scheme.toml"
    path.write_text(builtin_text("jsit-college-2020"), encoding="utf-8")
    r = jifen("schemes", "show", str(path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "江苏信息职业技术学院" in r.stdout


def test_schemes_show_nosuch(tmp_path):
    r = jifen("schemes", "show", "nosuch", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert "nosuch" in r.stderr
    assert "Traceback" not in r.stderr


# --- jifen demo -----------------------------------------------------------------------------------


def test_demo_without_the_console(tmp_path):
    r = jifen("demo", "--db", str(tmp_path / "d.db"), "--no-tui", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert str(tmp_path / "d.db") in r.stdout
    assert (tmp_path / "d.db").stat().st_size > 0
