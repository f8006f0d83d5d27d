"""The minute prints what the scheme asks the branch to do (需谈心谈话, 并列待定 …) with each
reason, its 依据 (the seed's words) and 说明 (the scheme's reading) apart; written to a real PDF
and read back."""

from __future__ import annotations

from core.labels import FLAG_LABELS
from core.schemes import builtin
from db.demo import build_demo
from exports.minutes import write_minutes
from tests.exports.test_documents import flat, read_pdf

YEAR = 2026


def test_the_minute_lists_the_follow_ups_with_their_basis(tmp_path):
    store = build_demo(tmp_path / "demo.db")
    board = store.board(YEAR, upto=3)
    talk = [m for m in board.members if "talk_required" in m.flags]
    # the demo draws list deductions (K items) for some members: xinmi asks for 谈心谈话 then
    assert talk, "the demo should have members with list deductions by Q3"
    text = flat("".join(read_pdf(write_minutes(store, YEAR, 3, tmp_path / "m.pdf"))))
    assert flat("按积分方案需跟进的事项") in text
    scheme = builtin("xinmi-hospital-2023")
    rules = [f for f in scheme.flags if f.flag == "talk_required"]
    for m in talk:
        assert flat(f"{m.name}（{m.why('flag:talk_required')[0].text}）") in text
    # the rule's own words are printed after 依据 and the scheme document's title, as quoted
    # (place + “words”), once per rule
    title = "《关于开展“党员积分制管理”工作实施方案》"
    assert title in scheme.document
    assert any(text.count(flat(f"{FLAG_LABELS['talk_required']}（依据：{title}{rule.cite}")) == 1 for rule in rules)
    # a member without any follow-up flag is not listed there
    calm = [m for m in board.members if not set(m.flags) & {"talk_required", "disposal_review", "tie_at_limit",
                                                            "month_unscored"}]
    follow = text[text.index(flat("按积分方案需跟进的事项")):text.index(flat("三、有异议事项的表决"))]
    for m in calm:
        assert flat(f"{m.name}（") not in follow


def test_no_line_starts_with_a_closing_mark_even_when_two_meet_at_the_break():
    from exports.document import wrap_lines

    # width 4 by character count: “甲（一）” fits, “；” would start the next line, and so would
    # the “）” before it: both go down with “一”, and the “（” it would leave at the line's end too
    assert wrap_lines("甲（一）；乙", 4, len) == ["甲", "（一）；", "乙"]
    assert wrap_lines("甲乙丙丁，戊", 4, len) == ["甲乙丙", "丁，戊"]
    assert wrap_lines("甲乙丙（丁）", 4, len) == ["甲乙丙", "（丁）"]  # no line ends with an opening mark
    text = "依据：三（五）“党支部对积分出现减分项目的党员，要及时谈心谈话、教育整改。”）；说明：按（一）。"
    for width in range(6, 14):  # the longest run of closing marks here is four
        for line in wrap_lines(text, width, len)[1:]:
            assert line[0] not in "，。、；：？！）》」』”’", (width, line)
        for line in wrap_lines(text, width, len)[:-1]:
            assert line[-1] not in "（《“", (width, line)
