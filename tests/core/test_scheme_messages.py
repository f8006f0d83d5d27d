"""A broken scheme file is told to the secretary in Chinese: the file, the key path as the file
spells it, and what is wrong; tomllib's line and column kept; from `jifen schemes check` and
`jifen init` as from the library, with no traceback and nothing made."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.scheme import Scheme, SchemeError, parse_scheme
from core.schemes import builtin, builtin_ids, builtin_text
from core.toml import loads, tomllib
from core.toml_errors import toml_problem

JIFEN = Path(sys.executable).parent / "jifen"
XINMI = "xinmi-hospital-2023"
CJK = re.compile(r"[\u4e00-\u9fff]")


def jifen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUTF8="1")
    return subprocess.run([str(JIFEN), *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=60)


def _broken_categories(tmp_path: Path) -> Path:
    """jsit with a category above the points limit and a base that no longer adds up."""
    text = builtin_text("jsit-college-2020")
    assert text.count('name = "思想汇报"\nmax = 4\n') == 1
    text = text.replace('name = "思想汇报"\nmax = 4\n', 'name = "思想汇报"\nmax = 120\n')
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_schemes_check_says_it_in_chinese_with_file_and_key(tmp_path):
    path = _broken_categories(tmp_path)
    r = jifen("schemes", "check", str(path), cwd=tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert "Traceback" not in r.stderr
    # the brief's own example, and the base that jsit leaves to the sum of its categories
    assert r.stderr.splitlines() == ["broken.toml: categories[4].max: 120 超过 points.limit（100）"]


def test_schemes_check_toml_syntax_error_keeps_line_and_column(tmp_path):
    text = builtin_text(XINMI)
    assert text.count("\npublicity_days = 5\n") == 1
    line = text[:text.index("\npublicity_days = 5\n")].count("\n") + 2  # its 1-based line number
    path = tmp_path / "方案-语法错误.toml"
    path.write_text(text.replace("\npublicity_days = 5\n", "\npublicity_days = 五\n"), encoding="utf-8")
    r = jifen("schemes", "check", str(path), cwd=tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines() == [f"方案-语法错误.toml: 不是有效的 TOML：第{line}行第18列：无效的值"]


def test_init_with_a_broken_scheme_file_makes_no_database(tmp_path):
    path = _broken_categories(tmp_path)
    db = tmp_path / "b.db"
    r = jifen("init", "--db", str(db), "--branch", "第一党支部", "--scheme", str(path), "--year", "2026", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines() == [f"积分方案“{path}”不能使用，未建立数据库：",
                                     "broken.toml: categories[4].max: 120 超过 points.limit（100）"]
    assert not db.exists()


def test_init_with_a_name_that_is_neither_builtin_nor_a_file_lists_the_builtins(tmp_path):
    db = tmp_path / "b.db"
    r = jifen("init", "--db", str(db), "--branch", "第一党支部", "--scheme", "xinmi", "--year", "2026", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.splitlines() == ["积分方案“xinmi”不能使用，未建立数据库：",
                                     f"没有名为“xinmi”的内置积分方案，也没有这个文件；内置方案：{'、'.join(builtin_ids())}"]
    assert not db.exists()


# --- tomllib's messages -------------------------------------------------------------------------

@pytest.mark.parametrize("text, said", [
    ('a = "x\n', "第1行第7列：字符串到行末还没有结束，缺少结尾的引号"),
    ("a = 1\na = 2\n", "第2行第6列：同一个键赋值了两次"),
    ("[t]\n[t]\n", "第2行第3列：表 [t] 重复出现"),
    ("[x.y]\n[x.y]\n", "第2行第5列：表 [x.y] 重复出现"),
    ("a = [1, 2\n", "文件末尾：数组缺少结尾的“]”"),
    ("a = {b = 1\n", "第1行第11列：内联表缺少结尾的“}”"),
    ("a = {b = 1, b = 2}\n", "第1行第18列：内联表中的键 'b' 重复"),
    ("优秀 = 95\n", "第1行第1列：无法识别的语句（中文键名要加英文引号）"),
    ("a = 1 b = 2\n", "第1行第7列：一行只能写一项，此处应换行"),
    ("a = 2026-02-30\n", "第1行第5列：无效的日期或时间"),
    ("[t\n", "第1行第3列：表头末尾缺少“]”"),
    ("a = tru\n", "第1行第5列：无效的值"),
    ("x = " + "[" * 5000 + "]" * 5000, "数组或表嵌套太深"),
])
def test_toml_syntax_errors_in_chinese(text, said):
    with pytest.raises(tomllib.TOMLDecodeError) as info:
        loads(text)
    assert toml_problem(info.value) == said


def test_a_toml_message_not_in_the_table_keeps_its_english_in_brackets():
    assert toml_problem(tomllib.TOMLDecodeError("Something new (at line 2, column 4)")) == \
        "第2行第4列：语法错误（Something new）"


# --- every shape fault is said in Chinese -------------------------------------------------------

WRONG: tuple[Any, ...] = ("x", "", -1, 1.5, True, [], ["a"], {}, {"a": 1}, float("nan"))


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _leaves(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _leaves(v, (*path, i))
    return out


def _put(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


@pytest.mark.parametrize("sid", ["jsit-college-2020", "linyi-geopark-2021"])
def test_every_fault_from_a_wrong_value_anywhere_is_chinese(sid):
    """Each key of a built-in given each wrong kind of value in turn: every message is Chinese,
    none falls back to pydantic's English, and each keeps the file name and a key path."""
    base = loads(builtin_text(sid))
    kinds_seen = 0
    for path in _leaves(base):
        for value in WRONG:
            data = copy.deepcopy(base)
            _put(data, path, value)
            text = _dumps(data)
            try:
                parse_scheme(text, "x.toml")
            except SchemeError as exc:
                kinds_seen += 1
                for line in exc.problems:
                    assert line.startswith("x.toml: "), line
                    message = line.split(": ", 2)[-1]
                    assert CJK.search(message) and "不符合要求" not in message, (path, value, line)
    assert kinds_seen > 1000  # the sweep really refused things


def _dumps(data: Any) -> str:
    """A TOML text of plain data (the sweep needs only what the schemes hold)."""
    lines: list[str] = []

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float) and v != v:
            return "nan"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return "{" + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + "}"

    for k, v in data.items():
        lines.append(f'"{k}" = {value(v)}')
    return "\n".join(lines) + "\n"


def test_the_sweeps_writer_round_trips_a_builtin():
    assert parse_scheme(_dumps(loads(builtin_text(XINMI))), f"{XINMI}.toml") == builtin(XINMI)
    assert isinstance(builtin(XINMI), Scheme)
