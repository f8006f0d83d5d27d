"""tomllib's syntax errors said in Chinese, with the line and column kept: a secretary who
edits a scheme file in Notepad must find the place, and tomllib only speaks English."""

from __future__ import annotations

import ast
import re

# tomllib (and tomli) end each message with "(at line L, column C)" or "(at end of document)".
_WHERE = re.compile(r"^(?P<msg>.*?)\s*\(at (?:line (?P<line>\d+), column (?P<col>\d+)|(?P<end>end of document))\)$",
                    re.DOTALL)

# tomllib's messages, as patterns over its English text, and what they say in Chinese. A quoted
# part ('x' or a key) is carried over as it stands: it is what the user typed.
_SAYS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), zh) for p, zh in (
    (r"Invalid statement", "无法识别的语句（中文键名要加英文引号）"),
    (r"Expected newline or end of document after a statement", "一行只能写一项，此处应换行"),
    (r"Expected '=' after a key in a key/value pair", "键的后面缺少“=”"),
    (r"Expected '\]' at the end of a table declaration", "表头末尾缺少“]”"),
    (r"Expected '\]\]' at the end of an array declaration", "数组表头末尾缺少“]]”"),
    (r"Expected (?P<x>.+)", "此处应为 {x}"),
    (r"Found invalid character (?P<x>.+)", "有无效的字符 {x}"),
    (r"Cannot declare (?P<x>.+) twice", "表 [{x}] 重复出现"),
    (r"Cannot overwrite a value", "同一个键赋值了两次"),
    (r"Cannot mutate immutable namespace (?P<x>.+)", "不能再向已写完的 {x} 添加内容"),
    (r"Cannot redefine namespace (?P<x>.+)", "不能重新定义 {x}"),
    (r"Invalid initial character for a key part", "键的第一个字符无效（含中文的键请加引号）"),
    (r"Unclosed array", "数组缺少结尾的“]”"),
    (r"Unclosed inline table", "内联表缺少结尾的“}}”"),
    (r"Duplicate inline table key (?P<x>.+)", "内联表中的键 {x} 重复"),
    (r"Unescaped '\\' in a string", "字符串中的“\\”没有转义（请写成“\\\\”）"),
    (r"Invalid hex value", "无效的十六进制转义"),
    (r"Escaped character is not a Unicode scalar value", "转义得到的不是有效的 Unicode 字符"),
    (r"Unterminated string", "字符串缺少结尾的引号"),
    (r"Illegal character '\\n'", "字符串到行末还没有结束，缺少结尾的引号"),  # a one-line string runs to the line's end
    (r"Illegal character (?P<x>.+)", "字符串中有不允许的字符 {x}"),
    (r"Invalid date or datetime", "无效的日期或时间"),
    (r"Invalid value", "无效的值"),
    (r"arrays or tables are nested too deeply", "数组或表嵌套太深"),  # core.toml's own
))


def toml_problem(exc: Exception) -> str:
    """What is wrong and where, in Chinese: "第3行第5列：无效的值". A message this table does
    not know keeps tomllib's English in brackets rather than losing it."""
    text = str(exc).strip()
    m = _WHERE.match(text)
    msg = m.group("msg") if m else text
    if m is None:
        where = ""
    elif m.group("end"):
        where = "文件末尾："
    else:
        where = f"第{m.group('line')}行第{m.group('col')}列："
    for pattern, zh in _SAYS:
        said = pattern.fullmatch(msg)
        if said:
            return where + zh.format(**{k: _key(v) for k, v in said.groupdict().items()})
    return f"{where}语法错误（{msg}）"


def _key(text: str) -> str:
    """A key as tomllib shows it, ('a', 'b'), written the way the file writes it: a.b."""
    if text.startswith("("):
        try:
            parts = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        if isinstance(parts, tuple) and all(isinstance(p, str) for p in parts):
            return ".".join(parts)
    return text
