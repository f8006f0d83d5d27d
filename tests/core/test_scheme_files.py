"""Scheme files: the five built-ins load, broken copies are refused with the file, the key path
and what is wrong, nothing half-loads, and a changed copy really changes the scoring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.scheme import Scheme, SchemeError, parse_scheme
from core.schemes import builtin, builtin_ids, builtin_text
from tui.schemefile import read_scheme_file

BUILTIN_IDS = [
    "xinmi-hospital-2023",
    "municipal-bureau",
    "xingping-medical-insurance-2022",
    "jsit-college-2020",
    "linyi-geopark-2021",
]

JIFEN = Path(sys.executable).parent / "jifen"


def jifen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUTF8="1")
    return subprocess.run([str(JIFEN), *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=60)


def edit(text: str, old: str, new: str, *, after: str | None = None) -> str:
    """Replace one occurrence of `old`: the only one in the text, or the first after `after`."""
    if after is None:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        start = 0
    else:
        assert text.count(after) == 1, f"anchor {after!r} occurs {text.count(after)} times"
        start = text.index(after)
    i = text.index(old, start)
    return text[:i] + new + text[i + len(old):]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    result = None
    with pytest.raises(SchemeError) as info:
        result = read_scheme_file(str(path))
    assert result is None
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def load_problems(path: Path) -> list[str]:
    """The problems reading `path` reports; [] when it loads."""
    try:
        read_scheme_file(str(path))
    except SchemeError as exc:
        return exc.problems
    return []


# --- the built-ins --------------------------------------------------------------------------------


def test_builtin_ids_are_exactly_the_five():
    assert sorted(builtin_ids()) == sorted(BUILTIN_IDS)


@pytest.mark.parametrize("sid", BUILTIN_IDS)
def test_builtin_loads_and_its_catalogue_is_sound(sid):
    s = builtin(sid)
    assert isinstance(s, Scheme)
    assert s.id == sid
    assert s.items, f"{sid} has no catalogue"
    codes = [i.code for i in s.items]
    assert len(codes) == len(set(codes)), f"duplicate codes in {sid}"
    for item in s.items:
        assert item.label.strip(), f"{sid} {item.code}: empty label"
        assert item.clause.strip(), f"{sid} {item.code}: empty clause"
        assert s.item(item.code) is item
    kinds = {i.kind for i in s.items}
    # veto items exactly where the seed has a 一票否决 (jsit has none: SCHEMES.md v2)
    assert ("veto" in kinds) == (s.veto is not None)
    assert "bonus" in kinds
    if sid != "xingping-medical-insurance-2022":
        assert "deduction" in kinds


@pytest.mark.parametrize("sid", BUILTIN_IDS)
def test_builtin_text_parses_the_same_from_a_copied_file(sid, tmp_path):
    path = write(tmp_path, f"copy-of-{sid}.toml", builtin_text(sid))
    s = read_scheme_file(str(path))
    assert s == builtin(sid)


def test_unknown_builtin_text_is_an_error():
    with pytest.raises(SchemeError) as info:
        builtin_text("nosuch")
    assert "nosuch" in info.value.problems[0]


# --- broken files ---------------------------------------------------------------------------------

XINMI = "xinmi-hospital-2023"
JSIT = "jsit-college-2020"
XINGPING = "xingping-medical-insurance-2022"

# (test id, scheme to copy, file name, [(old, new, anchor)], the one expected problem after "<file>: ")
BROKEN = [
    ("negative-bonus-cap", JSIT, "jsit-college-2020.toml",
     [("cap = 10\n", "cap = -1\n", "[bonus]")],
     "bonus.cap: 应为不小于 0 的数"),
    ("unknown-top-level-key", XINMI, "xinmi-with-version.toml",
     [("\n[points]\n", '\nversion = "2023"\n\n[points]\n', None)],
     "version: 未知的键（请检查拼写）"),
    ("unknown-item-key", XINMI, "typo-pionts.toml",
     [("max = 5\n", "pionts = 5\n", 'code = "J1.4"')],
     "items[3].pionts: 未知的键（请检查拼写）"),
    ("string-for-number", XINMI, "quoted-base.toml",
     [("base = 80\n", 'base = "80"\n', None)],
     "points.base: 应为数字"),
    ("negative-category-max", JSIT, "negative-max.toml",
     [('name = "思想汇报"\nmax = 4\n', 'name = "思想汇报"\nmax = -4\n', None)],
     "categories[4].max: 应为大于 0 的数"),
    ("grade-not-in-grades", XINMI, "grade-liangHao.toml",
     [('grade = "基本合格"\nwhen', 'grade = "良好"\nwhen', None)],
     "grading.rules[2].grade: “良好”不在 grading.grades（优秀/合格/基本合格/不合格）之中"),
    ("last-rule-with-conditions", XINMI, "last-rule-when.toml",
     [('grade = "不合格"\nplace = "三（六）1"',
       'grade = "不合格"\nwhen = { total_below = 60 }\nplace = "三（六）1"', None)],
     "grading.rules[3].when: 最后一条规则不能有条件，这样每名党员都有结论"),
    ("two-points-specs", XINMI, "two-specs.toml",
     [("max = 5\n", "max = 5\npoints = 3\n", 'code = "J1.4"')],
     "items[3]: points、levels、range、choice、max、open = true 应给出且只给出一个"),
    ("no-points-spec", XINMI, "no-spec.toml",
     [("max = 5\n", "", 'code = "J1.4"')],
     "items[3]: points、levels、range、choice、max、open = true 应给出且只给出一个"),
    ("duplicate-code", XINMI, "dup-code.toml",
     [('code = "J1.4"', 'code = "J1.3"', None)],
     "items[3].code: 编号“J1.3”重复使用"),
    ("item-category-not-a-category", JSIT, "bad-item-category.toml",
     [('category = "缴纳党费"', 'category = "党费"', 'code = "C3"')],
     "items[2].category: “党费”不是本方案的分类"),
    ("weights-not-adding-to-one", XINGPING, "weights-0.8-0.3.toml",
     [("evaluation_weight = 0.2", "evaluation_weight = 0.3", None)],
     "evaluation.evaluation_weight: 两个权重之和应为 1"),
    ("choice-given-twice", JSIT, "choice-5-5.toml",
     [("choice = [5, 12]", "choice = [5, 5]", 'code = "C1"')],
     "items[0].choice: 有分值重复"),
    ("top-share-above-one", XINMI, "top-share-1.5.toml",
     [('when = { total_min = 80, top_share = "1/3" }', "when = { total_min = 80, top_share = 1.5 }", None)],
     "grading.rules[0].when.top_share: 比例应大于 0 且不超过 1"),
    ("unknown-rating-label", XINMI, "rating-liangHao.toml",
     [('"不合格" = 50\n', '"不合格" = 50\n"良好" = 90\n', "[evaluation.values]")],
     "evaluation.values.良好: 未知的评议等次；等次为 优秀/合格/基本合格/不合格"),
    ("cap-per-month-on-cumulative", JSIT, "cap-per-month.toml",
     [('cap_per = "year"', 'cap_per = "month"', None)],
     "bonus.cap_per: 'month' 需要 points.method = 'monthly'"),
    ("string-level-value", XINMI, "quoted-level.toml",
     [('"全国" = 8', '"全国" = "8"', None)],
     "items[0].levels.全国: 应为数字"),
    ("range-upside-down", XINMI, "range-2-1.toml",
     [("range = [1, 2]", "range = [2, 1]", 'code = "J6.4"')],
     "items[13].range: 下限高于上限"),
]


@pytest.mark.parametrize("sid,name,edits,expected", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_scheme_file_is_refused_with_file_key_and_fault(tmp_path, sid, name, edits, expected):
    text = builtin_text(sid)
    for old, new, after in edits:
        text = edit(text, old, new, after=after)
    path = write(tmp_path, name, text)
    assert problems_of(path) == [f"{name}: {expected}"]


def test_required_example_jsit_negative_cap(tmp_path):
    text = edit(builtin_text(JSIT), "cap = 10\n", "cap = -1\n", after="[bonus]")
    path = write(tmp_path, "jsit-college-2020.toml", text)
    with pytest.raises(SchemeError) as info:
        read_scheme_file(str(path))
    assert "jsit-college-2020.toml: bonus.cap: 应为不小于 0 的数" in str(info.value).splitlines()


def test_toml_syntax_error_names_the_file(tmp_path):
    # an unterminated string on line 5 (name = "...)
    text = edit(builtin_text(XINMI), 'name = "新密市中医院党员积分制管理"', 'name = "新密市中医院党员积分制管理')
    path = write(tmp_path, "unterminated.toml", text)
    # tomllib's line and column, said in Chinese: column 22 is where the line ends unclosed
    assert problems_of(path) == [
        "unterminated.toml: 不是有效的 TOML：第5行第22列：字符串到行末还没有结束，缺少结尾的引号"]


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "gbk-encoded.toml"
    path.write_bytes(builtin_text(XINMI).encode("gb18030"))
    assert problems_of(path) == ["gbk-encoded.toml: 不是 UTF-8 编码的文本（请用记事本“另存为”UTF-8 编码）"]


def test_missing_file(tmp_path):
    assert problems_of(tmp_path / "not-there.toml") == ["not-there.toml: 无法读取：文件不存在"]


def test_messages_name_the_base_name_not_the_directory(tmp_path):
    sub = tmp_path / "branch-files"
    sub.mkdir()
    text = edit(builtin_text(XINMI), "base = 80\n", "base = -80\n")
    path = write(sub, "negative-base.toml", text)
    assert problems_of(path) == ["negative-base.toml: points.base: 应为不小于 0 的数"]


def test_several_faults_one_line_each(tmp_path):
    text = builtin_text(XINMI)
    text = edit(text, 'code = "J1.4"', 'code = "J1.3"')
    text = edit(text, "range = [1, 2]", "range = [2, 1]", after='code = "J6.4"')
    text = edit(text, "when = { total_min = 70 }", 'when = { total_min = 70 }\ngrade_note = "x"')
    path = write(tmp_path, "three-faults.toml", text)
    # a shape fault (unknown key) is reported alone: the cross-checks need a well-formed scheme
    assert problems_of(path) == ["three-faults.toml: grading.rules[1].grade_note: 未知的键（请检查拼写）"]
    text = edit(text, 'when = { total_min = 70 }\ngrade_note = "x"', "when = { total_min = 70 }")
    path = write(tmp_path, "two-faults.toml", text)
    assert problems_of(path) == [
        "two-faults.toml: items[3].code: 编号“J1.3”重复使用",
        "two-faults.toml: items[13].range: 下限高于上限",
    ]


# --- strings where whole numbers and true/false go ---------------------------------------------


def test_string_for_whole_number_is_refused(tmp_path):
    text = edit(builtin_text(XINMI), "publicity_days = 5", 'publicity_days = "5"')
    path = write(tmp_path, "quoted-days.toml", text)
    assert load_problems(path) == ["quoted-days.toml: process.publicity_days: 应为整数"]


def test_string_for_true_false_is_refused(tmp_path):
    text = edit(builtin_text(XINMI), "each = true", 'each = "yes"', after='code = "J1.1"')
    path = write(tmp_path, "each-yes.toml", text)
    assert load_problems(path) == ["each-yes.toml: items[0].each: 应为 true 或 false"]


# --- nothing half-loads ---------------------------------------------------------------------------


def _one_bad_item_of_42() -> str:
    text = builtin_text(XINMI)
    assert len(builtin(XINMI).items) == 42
    # K6.2 is items[39]: 17 加分 lines, then 23 减分 lines
    return edit(text, "points = 3\n", "points = -3\n", after='code = "K6.2"')


def test_one_bad_item_of_many_fails_the_whole_file(tmp_path):
    path = write(tmp_path, "one-bad-item.toml", _one_bad_item_of_42())
    assert problems_of(path) == ["one-bad-item.toml: items[39].points: 应为大于 0 的数"]


def test_one_bad_item_of_many_fails_parse_scheme_too():
    result = None
    with pytest.raises(SchemeError) as info:
        result = parse_scheme(_one_bad_item_of_42(), "inline.toml")
    assert result is None
    assert info.value.problems == ["inline.toml: items[39].points: 应为大于 0 的数"]


def test_one_bad_item_stops_compute(tmp_path):
    write(tmp_path, "one-bad-item.toml", _one_bad_item_of_42())
    case = {"scheme": str(tmp_path / "one-bad-item.toml"), "year": 2026,
            "members": [{"id": "m1", "status": "full"}],
            "entries": [{"member": "m1", "quarter": 1, "kind": "bonus", "points": 1}]}
    (tmp_path / "case.json").write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    r = jifen("compute", str(tmp_path / "case.json"), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == ["scheme: one-bad-item.toml: items[39].points: 应为大于 0 的数"]


# --- jifen schemes check --------------------------------------------------------------------------


@pytest.mark.parametrize("sid", BUILTIN_IDS)
def test_schemes_check_good_copy(tmp_path, sid):
    path = write(tmp_path, f"our-{sid}.toml", builtin_text(sid))
    r = jifen("schemes", "check", str(path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout == f"our-{sid}.toml: 检查通过 — {sid}，清单共 {len(builtin(sid).items)} 项\n"


def test_schemes_check_bad_copy(tmp_path):
    text = edit(builtin_text(JSIT), "cap = 10\n", "cap = -1\n", after="[bonus]")
    text = edit(text, 'category = "缴纳党费"', 'category = "党费"', after='code = "C3"')
    path = write(tmp_path, "jsit-college-2020.toml", text)
    r = jifen("schemes", "check", str(path), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.splitlines() == ["jsit-college-2020.toml: bonus.cap: 应为不小于 0 的数"]
    # fix the cap: the cross-check fault shows next
    path.write_text(edit(text, "cap = -1\n", "cap = 10\n", after="[bonus]"), encoding="utf-8")
    r = jifen("schemes", "check", str(path), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        "jsit-college-2020.toml: items[2].category: “党费”不是本方案的分类"]


def test_schemes_check_toml_error(tmp_path):
    path = write(tmp_path, "broken.toml", builtin_text(XINMI).replace("base = 80", "base = = 80"))
    r = jifen("schemes", "check", str(path), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.splitlines() == ["broken.toml: 不是有效的 TOML：第15行第8列：无效的值"]


# --- the engine is general: a changed copy changes the result -------------------------------------


def test_veto_items_need_the_veto_section(tmp_path):
    # [veto] is optional (jsit has none), but a veto item under a scheme without it cannot work
    text = builtin_text(XINMI)
    start = text.index("[veto]\n")
    text = text[:start] + text[text.index("[evaluation]\n"):]
    path = write(tmp_path, "no-veto.toml", text)
    assert problems_of(path) == ["no-veto.toml: items[40].kind: 本方案没有 [veto]（一票否决），不能有否决项",
                                 "no-veto.toml: items[41].kind: 本方案没有 [veto]（一票否决），不能有否决项"]


def test_a_rule_needs_the_seeds_words_or_a_reading_and_a_quotation_its_place(tmp_path):
    text = edit(builtin_text(XINMI), 'place = "三（六）1"\nclause = "年积分在60分以下的，应评为不合格"\n'
                'reading = "60分按“（含60分）”评为基本合格，“60分以下”指低于60分"\n', "")
    path = write(tmp_path, "bare-rule.toml", text)
    assert problems_of(path) == ["bare-rule.toml: grading.rules[3]: 请给出 clause（原文，并写明 place）"
                                 "或 reading（本方案自己的理解）"]
    text = edit(builtin_text(XINMI), 'place = "三（六）1"\nclause = "年积分在60分以下', 'clause = "年积分在60分以下')
    path = write(tmp_path, "no-place.toml", text)
    assert problems_of(path) == [
        "no-place.toml: grading.rules[3].place: 引用了原文（clause），请写明它在原文中的位置"]


def _base90_text() -> str:
    text = edit(builtin_text(XINMI), "base = 80\n", "base = 90\n")
    return edit(text, "when = { total_min = 70 }", "when = { total_min = 85 }")


CASE_MEMBERS = [
    {"id": "a1", "name": "甲", "status": "full"},
    {"id": "a2", "name": "乙", "status": "full"},
    {"id": "a3", "name": "丙", "status": "full"},
    {"id": "a4", "name": "丁", "status": "full"},
    {"id": "a5", "name": "戊", "status": "full"},
    {"id": "a6", "name": "己", "status": "probationary"},
    {"id": "a7", "name": "庚", "status": "full"},
    {"id": "a8", "name": "辛", "status": "full"},
]
CASE_ENTRIES = [
    {"member": "a1", "quarter": 1, "kind": "bonus", "points": 3},
    {"member": "a2", "quarter": 2, "kind": "bonus", "points": 1},
    {"member": "a3", "quarter": 2, "kind": "deduction", "points": 4},
    {"member": "a4", "month": 8, "kind": "deduction", "points": 8},
    {"member": "a5", "quarter": 1, "kind": "deduction", "points": 12},
    {"member": "a5", "quarter": 4, "kind": "bonus", "points": 1},
    {"member": "a6", "month": 11, "kind": "deduction", "points": 25},
    {"member": "a7", "quarter": 2, "kind": "veto", "note": "受到党纪处分"},
]
CASE_EVALUATIONS = [{"member": "a1", "ratings": {"优秀": 3, "合格": 1}}]


def _compute(tmp_path: Path, scheme: str) -> dict:
    case = {"scheme": scheme, "year": 2026, "members": CASE_MEMBERS, "entries": CASE_ENTRIES,
            "evaluations": CASE_EVALUATIONS}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    r = jifen("compute", str(path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return json.loads(r.stdout)


def test_changed_copy_base_90_and_pass_mark_85(tmp_path):
    path = write(tmp_path, "xinmi-base90.toml", _base90_text())
    out = _compute(tmp_path, str(path))
    assert out["year"] == 2026
    # Hand-worked: points = max(0, 90 + bonus - deduction), year to date at each quarter's end.
    # Totals: a1 93, a2 91, a8 90, a3 86, a4 82, a5 79, a6 65 (probationary), a7 0 (veto): ranks 1-8.
    # Top third among the 7 full members: k = max(1, floor(7/3)) = 2 -> a1 and a2 (a8 has 2 above).
    # 优秀: >= 80 and inside; 合格: >= 85 (was 70); 基本合格: >= 60; else 不合格.
    # Flags: excellent_eligible / priority_commendation inside the top third; a list deduction or
    # the bottom place asks for a talk (talk_required); the bottom is barred from commendation.
    expected = [
        # 90 + 3 (Q1) = 93 throughout; evaluation (3x95 + 85) / 4 = 92.5, reported only
        {"id": "a1", "quarters": [93, 93, 93, 93], "points": 93, "evaluation": 92.5, "total": 93,
         "rank": 1, "grade": "优秀", "flags": ["excellent_eligible", "priority_commendation"]},
        # 90, then + 1 in Q2 = 91; one above it: 1 + 1 <= 2, inside
        {"id": "a2", "quarters": [90, 91, 91, 91], "points": 91, "evaluation": None, "total": 91,
         "rank": 2, "grade": "优秀", "flags": ["excellent_eligible", "priority_commendation"]},
        # 90 - 4 = 86: outside the top 2, 86 >= 85 -> 合格; a list deduction -> talk
        {"id": "a3", "quarters": [90, 86, 86, 86], "points": 86, "evaluation": None, "total": 86,
         "rank": 4, "grade": "合格", "flags": ["talk_required"]},
        # month 8 is Q3: 90 - 8 = 82 < 85 -> 基本合格 (合格 under the built-in's 70)
        {"id": "a4", "quarters": [90, 90, 82, 82], "points": 82, "evaluation": None, "total": 82,
         "rank": 5, "grade": "基本合格", "flags": ["talk_required"]},
        # 90 - 12 = 78, + 1 in Q4 = 79
        {"id": "a5", "quarters": [78, 78, 78, 79], "points": 79, "evaluation": None, "total": 79,
         "rank": 6, "grade": "基本合格", "flags": ["talk_required"]},
        # probationary, month 11 is Q4: 90 - 25 = 65 < 70 -> no grade, probation_at_risk
        {"id": "a6", "quarters": [90, 90, 90, 65], "points": 65, "evaluation": None, "total": 65,
         "rank": 7, "grade": None, "flags": ["probation_at_risk", "talk_required"]},
        # veto in Q2: Q1 keeps 90, then 0; year 0, 不合格, last place (7 rank better)
        {"id": "a7", "quarters": [90, 0, 0, 0], "points": 0, "evaluation": None, "total": 0,
         "rank": 8, "grade": "不合格", "flags": ["bottom_ranked", "commendation_barred", "talk_required",
                                                 "vetoed"]},
        # no entries: 90 all year; two full members above it -> outside the top 2; 90 >= 85 -> 合格
        {"id": "a8", "quarters": [90, 90, 90, 90], "points": 90, "evaluation": None, "total": 90,
         "rank": 3, "grade": "合格", "flags": []},
    ]
    assert out["members"] == expected


def test_same_case_with_the_builtin_differs(tmp_path):
    by_id = {m["id"]: m for m in _compute(tmp_path, XINMI)["members"]}
    # base 80: a3 76 and a4 72 are both 合格 (>= 70) under the unchanged scheme
    assert (by_id["a3"]["total"], by_id["a3"]["grade"]) == (76, "合格")
    assert (by_id["a4"]["total"], by_id["a4"]["grade"]) == (72, "合格")
    assert by_id["a1"]["quarters"] == [83, 83, 83, 83]


def test_changed_copy_found_next_to_the_case_file(tmp_path):
    write(tmp_path, "xinmi-base90.toml", _base90_text())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    case = {"scheme": "xinmi-base90.toml", "year": 2026, "members": CASE_MEMBERS[:1],
            "entries": CASE_ENTRIES[:1]}
    (tmp_path / "case.json").write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    r = jifen("compute", str(tmp_path / "case.json"), cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["members"][0]["total"] == 93


def test_deeply_nested_file_is_one_line_not_a_traceback(tmp_path):
    # 5,000 nested arrays exceed the TOML parser's recursion: a bad file like any other
    text = builtin_text(XINMI).replace("\n[points]\n", "\nx = " + "[" * 5000 + "]" * 5000 + "\n\n[points]\n", 1)
    path = write(tmp_path, "nested.toml", text)
    assert problems_of(path) == ["nested.toml: 不是有效的 TOML：数组或表嵌套太深"]
    r = jifen("schemes", "check", str(path), cwd=tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.splitlines() == ["nested.toml: 不是有效的 TOML：数组或表嵌套太深"]
