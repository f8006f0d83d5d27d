"""`jifen year open`: start the next year (db.years.YearOps.open_year) from the command line."""

from __future__ import annotations

import argparse

from tui.cli import _err, _member_id, _refused, _store


def _scheme_of(ref: str) -> tuple[str, str]:
    """A built-in scheme's id and text, or a scheme file's, checked as `jifen schemes check` does."""
    from core.schemes import builtin_ids, builtin_text
    from tui.schemefile import read_scheme_file

    if ref in builtin_ids():
        return ref, builtin_text(ref)
    scheme_id = read_scheme_file(ref).id
    with open(ref, encoding="utf-8-sig") as fh:
        return scheme_id, fh.read()


def cmd_year_open(args: argparse.Namespace) -> int:
    from core.problems import capped
    from core.scheme import SchemeError
    from db.errors import StoreError

    try:
        scheme_id, text = _scheme_of(args.scheme) if args.scheme else (None, None)
    except SchemeError as exc:
        _err(f"积分方案“{args.scheme}”不能使用：")
        for line in capped(exc.problems):
            _err(line)
        return 1
    try:
        store = _store(args, write=True)
        keep = [_member_id(store, name) for name in args.keep_exempt or ()]
        done = store.open_year(args.year, scheme_id, text, keep_exempt=keep)
    except StoreError as exc:
        return _refused(exc)
    print(f"已开始{done.year}年度：四个季度已建立，积分方案 {done.scheme_id}"
          + ("（与上一年度不同）" if done.scheme_changed else "（沿用上一年度）"))
    print(f"名册：{done.members} 人转入新年度（已转出的不在其中）")
    print(f"{done.year - 1}年度结果 {done.past_results} 人，供{done.year}年度的两年规则使用")
    if done.exemptions_cleared:
        names = "、".join(f"{n}（{r}）" if r else n for n, r in done.exemptions_cleared)
        print(f"免于积分管理按年度决定，{done.year - 1}年度的已取消：{names}；"
              "如本年度仍需免于积分管理，请按积分方案规定的程序重新决定后登记")
    if done.exemptions_kept:
        print(f"免于积分管理保留：{'、'.join(done.exemptions_kept)}")
    return 0
