"""The minute of record (会议记录) as a 党委 files it, read back page by page.

The demo's Q3 meeting was held through the store (db.demo): agenda notes under each item, one
differing opinion, two objections put to the vote (one by show of hands, one by secret ballot),
one absent member's written opinion, the end time, an observer; the quarter locked as the
meeting closed. A Q4 meeting is held here through the store as well, with an agenda item that
has nothing recorded, an objection withdrawn and raised again, and the year's evaluation. A small
branch's first quarter has no vote and no evaluation. Every expectation below is worked out from
the data put in, not read back from the writer.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from core.demo import DISSENT, MEETING_LENGTH_MINUTES, OBJECTIONS, RESOLUTIONS, SPEECHES
from core.quarter import QuarterRef
from core.schemes import builtin, builtin_text
from db.demo import ABSENT, AGENDA, HOST, OBSERVERS, PLACE, RECORDER, build_demo
from db.engine import open_engine
from db.store import MeetingFacts, Store
from exports.finality import NotFinal
from exports.minutes import write_minutes
from tests.exports.test_documents import JIFEN, assert_on_the_page, flat, jifen, lines, read_pdf, widths  # noqa: F401

YEAR = 2026
BRANCH = "新密市中医院第一党支部"
SCHEME = "xinmi-hospital-2023"
TITLE = "《关于开展“党员积分制管理”工作实施方案》"  # the title in xinmi's `document` line
RULE = "《中国共产党支部工作条例（试行）》第十一条"
Q4_DAY = datetime(2026, 12, 18, 14, 30)
Q4_END = datetime(2026, 12, 18, 16, 20)
Q4_AGENDA = (*AGENDA, "开展年度民主评议党员")
HEX64 = re.compile(r"[0-9a-f]{64}")


def _body(pages: list[str]) -> list[str]:
    """The minute without its attached 签到表 (the page headed 附件 on a line of its own)."""
    return [p for p in pages if "附件" not in lines(p)]


def _signin(pages: list[str]) -> list[str]:
    return [p for p in pages if "附件" in lines(p)]


def _rows(pages: list[str]) -> list[list[str]]:
    """Table rows on the pages: lines that start with a number."""
    return [line.split() for p in pages for line in lines(p) if line.split()[0].isdigit()]


def _code(text: str, label: str) -> str:
    """The 64 hex digits printed after `label`, in whatever groups they were printed."""
    after = flat(text).split(flat(label), 1)[1]
    found = HEX64.match(after)
    assert found, after[:80]
    return found.group(0)


# --------------------------------------------------------------------------------- the data


def _hold_q4(store: Store) -> dict[str, int]:
    """2026Q4 held through the store: four agenda items (the fourth with nothing recorded),
    谢德明 absent on 病假 with a written opinion, 黄晓明 on 事假 without one; the three objections
    raised before the meeting: the first voted by show of hands and passed, the second by secret
    ballot and failed, the third withdrawn, raised again by 何丽 and then voted by show of hands;
    five ballots all 合格; ended 16:20, locked at the end."""
    store.clock = lambda: Q4_DAY
    quarter = QuarterRef(YEAR, 4)
    store.open_meeting(quarter, MeetingFacts(Q4_DAY, PLACE, HOST, RECORDER, OBSERVERS, "\n".join(Q4_AGENDA)))
    for m in store.members():
        if m.meeting_exempt:
            continue
        if m.name == "谢德明":
            store.roll_call(quarter, m.id, False, "病假", "同意支部对本季度积分的意见")
        elif m.name == "黄晓明":
            store.roll_call(quarter, m.id, False, "事假")
        else:
            store.roll_call(quarter, m.id, True)
    contested = [e for e in store.entries(quarter) if e.status == "有异议"]
    assert len(contested) == 3
    first, second, third = (e.id for e in contested)
    store.add_agenda_note(quarter, 1, "speech", "通报第四季度积分登记情况", "王建国")
    store.set_resolution(quarter, 1, "第四季度积分情况予以确认")
    store.add_agenda_note(quarter, 2, "speech", "介绍三项异议的核实情况", "陈志强")
    store.add_agenda_note(quarter, 2, "dissent", "建议第三项待材料补齐后再议", "杨静")
    store.set_resolution(quarter, 2, "三项有异议事项按表决结果处理")
    store.add_agenda_note(quarter, 3, "speech", "明年一季度开展积分申报培训", "王建国")
    store.set_resolution(quarter, 3, "由组织委员安排申报培训")
    store.vote(first, 15, 2, 1, method="举手")
    store.vote(second, 6, 10, 2, method="无记名投票")
    store.drop_objection(third)
    store.contest_entry(third, "何丽", "加分材料为复印件")
    store.vote(third, 12, 4, 2, method="举手")
    graded = store.graded_members(YEAR)
    store.set_ballots_issued(quarter, 5)
    for _ in range(5):
        store.add_ballot(quarter, {m.id: "合格" for m in graded})
    store.end_meeting(quarter, Q4_END)
    store.clock = lambda: Q4_END
    assert store.lock_problems(quarter) == []
    store.lock(quarter)
    return {"first": first, "second": second, "third": third}


@pytest.fixture(scope="module")
def held(tmp_path_factory):
    folder = tmp_path_factory.mktemp("minute")
    db = folder / "demo.db"
    store = build_demo(db)
    q3 = write_minutes(store, YEAR, 3, folder / "2026Q3-会议记录.pdf")
    ids = _hold_q4(store)
    q4 = write_minutes(store, YEAR, 4, folder / "2026Q4-会议记录.pdf")
    return SimpleNamespace(store=store, db=db, folder=folder, q3=q3, q4=q4, ids=ids,
                           names={m.id: m.name for m in store.members()})


@pytest.fixture(scope="module")
def quiet(tmp_path_factory):
    """A branch of three whose 2026Q1 meeting heard one speech, voted on nothing and held no
    evaluation: 甲 +1 (J2.1 市级), 乙 and 丙 (预备党员) nothing."""
    folder = tmp_path_factory.mktemp("quiet")
    store = Store(open_engine(folder / "q.db"), "测试", clock=lambda: datetime(2026, 3, 2, 9, 0))
    store.init_branch("测试第二党支部", SCHEME, builtin_text(SCHEME), YEAR)
    ids = store.add_members([dict(name="甲", status="full"), dict(name="乙", status="full"),
                             dict(name="丙", status="probationary", status_since="2026-01-08")])
    store.add_entries(YEAR, [dict(quarter=1, member_id=ids[0], kind="bonus", points=1, item="J2.1", level="市级")])
    day = datetime(2026, 3, 27, 9, 0)
    store.clock = lambda: day
    quarter = QuarterRef(YEAR, 1)
    agenda = "通报本季度党员积分情况\n部署下季度工作"
    store.open_meeting(quarter, MeetingFacts(day, "支部活动室", "甲", "乙", "", agenda))
    store.roll_call_rest(quarter)
    store.add_agenda_note(quarter, 1, "speech", "通报一季度积分", "甲")
    for e in store.entries(quarter):
        store.confirm_entry(e.id)
    ended = store.end_meeting(quarter, day + timedelta(minutes=40))
    store.clock = lambda: ended
    store.lock(quarter)
    return SimpleNamespace(store=store, minute=write_minutes(store, YEAR, 1, folder / "会议记录.pdf"))


# --------------------------------------------------------------------------------- Q3: the whole meeting


def test_q3_meeting_facts_attendance_and_end_time(held):
    text = flat("\n".join(_body(read_pdf(held.q3))))
    # 14:30 + 100 minutes (MEETING_LENGTH_MINUTES[2]) = 16:10
    assert MEETING_LENGTH_MINUTES[2] == 100
    assert flat("时间：2026年9月25日 14:30开始，16:10散会") in text
    assert flat(f"列席：{OBSERVERS}") in text
    # absentees with their reasons, and the written opinion of the one who sent it
    assert ABSENT[3] == {"谢德明": ("病假", "同意"), "黄晓明": ("其他", "")}
    assert "缺席：2人：黄晓明（其他）、谢德明（病假，书面意见：同意）" in text
    assert "会议议题：1.通报本季度党员积分情况2.对有异议的积分事项进行表决3.部署下季度工作" in text


def test_q3_every_agenda_item_with_speeches_dissent_and_resolution(held):
    text = flat("\n".join(_body(read_pdf(held.q3))))
    assert "一、议题讨论和决议" in text
    at = [text.index(flat(f"（{n}）{item}")) for n, item in zip("一二三", AGENDA, strict=True)]
    assert at == sorted(at)  # in the agenda's order
    for k, (speeches, resolution) in enumerate(zip(SPEECHES, RESOLUTIONS, strict=True)):
        part = text[at[k]:at[k + 1] if k + 1 < len(at) else text.index("二、党员积分情况")]
        assert part.count("发言要点：") == 1
        for speaker, points in speeches:
            assert flat(f"{speaker}：{points}。") in part
        assert flat(f"决议：{resolution}。") in part
        # the one differing opinion was recorded under the second item (db.demo)
        if k == 1:
            assert flat(f"不同意见：{DISSENT[0]}{DISSENT[1]}。") in part
        else:
            assert "不同意见：无。" in part


def test_q3_figures_are_labelled_year_to_date(held):
    text = flat("\n".join(read_pdf(held.q3)))
    assert "二、党员积分情况（截至本季度末累计）" in text
    assert "表中各项为2026年1月1日至2026年第三季度末的累计值。" in text


def test_q3_contested_items_in_full(held):
    """李秀英's J2.1 bonus (省级, 2 points) passed by show of hands 15-2-1; 张伟's K5.1 deduction
    (1 point) failed by secret ballot 6-10-2; 20 voting members should attend (23 minus the three
    probationary members), so more than half is at least 11; 18 were there."""
    text = flat("\n".join(_body(read_pdf(held.q3))))
    scheme = builtin(SCHEME)
    j21, k51 = scheme.item("J2.1"), scheme.item("K5.1")
    (raised1, why1), (raised2, why2) = OBJECTIONS[3]
    first = text.index("1.李秀英，加分2分（J2.1，省级）")
    second = text.index("2.张伟，减分1分（K5.1）")
    end = text.index("四、民主评议")
    one, two = text[first:second], text[second:end]
    assert flat(f"事项：{j21.label}。") in one
    assert flat(f"依据：{TITLE}{j21.place}“") in one and flat(j21.clause.replace("“", "‘").replace("”", "’")) in one
    assert flat(f"异议：{raised1}提出，理由是{why1}。") in one
    assert flat(f"表决：以举手方式表决，到会有表决权的党员18人，赞成15票，反对2票，弃权1票。按{RULE}，"
                "赞成票须超过应到会有表决权党员20人的半数，即至少11票；本事项通过。") in one
    assert flat(f"依据：{TITLE}{k51.place}“") in two
    assert flat(f"异议：{raised2}提出，理由是{why2}。") in two
    assert flat(f"表决：以无记名投票方式表决，到会有表决权的党员18人，赞成6票，反对10票，弃权2票。按{RULE}，"
                "赞成票须超过应到会有表决权党员20人的半数，即至少11票；本事项未通过。") in two
    assert "中国共产党支部工作条例（试行）第十一条" not in text  # always in 《》


def test_q3_without_evaluation_says_so_once_and_proposes_no_grades(held):
    text = flat("\n".join(_body(read_pdf(held.q3))))
    assert "四、民主评议本次会议未进行民主评议。五、记录核验" in text
    assert "拟定等次" not in text


def test_q3_integrity_section_prints_the_lock_as_a_code_to_read_aloud(held):
    pages = _body(read_pdf(held.q3))
    text = "\n".join(pages)
    lock = held.store.lock_of(QuarterRef(YEAR, 3))
    q2 = held.store.lock_of(QuarterRef(YEAR, 2))
    assert "五、记录核验" in text and "数字摘要" not in text
    assert "本季度记录已于2026年9月25日 16:10锁定" in text
    assert _code(text, "本记录校验码为：") == lock.digest
    assert _code(text, "上一季度校验码：") == q2.digest == lock.previous_digest
    # in groups of 8, as printed
    groups = " ".join(lock.digest[i:i + 8] for i in range(0, 64, 8))
    assert groups in text
    # the check a 党委 runs, with the code's first 16 hex
    assert f"jifen verify --expect {lock.digest[:16]}" in text


def test_q3_code_is_accepted_by_verify(held, tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": ""}
    text = "\n".join(read_pdf(held.q3))
    typed = re.search(r"jifen verify --expect ([0-9a-f]+)", text).group(1)
    done = jifen("verify", "--db", str(held.db), "--expect", typed, env=env)
    assert done.returncode == 0, done.stderr
    assert "核验通过：已锁定 4 个季度，校验码链完整" in done.stdout
    assert ("与会议记录上的校验码相符：它是 2026Q3 的校验码（校验码链第 3 个，共 4 个）；"
            "其后锁定的 1 个季度不在这个校验码的担保之内") in done.stdout
    # the code as printed, in its groups, typed as one argument
    grouped = " ".join(held.store.lock_of(QuarterRef(YEAR, 3)).digest[i:i + 8] for i in range(0, 64, 8))
    assert grouped in text
    done = jifen("verify", "--db", str(held.db), "--expect", grouped, env=env)
    assert done.returncode == 0 and "它是 2026Q3 的校验码" in done.stdout
    # a code copied wrong is not accepted
    wrong = ("0" if typed[0] != "0" else "1") + typed[1:]
    done = jifen("verify", "--db", str(held.db), "--expect", wrong, env=env)
    assert done.returncode == 1 and "请核对会议记录上的校验码" in done.stderr


def test_q3_signatures_close_the_text_on_the_same_page(held):
    pages = read_pdf(held.q3)
    body = _body(pages)
    last = body[-1]
    assert pages.index(last) == len(body) - 1  # the body first, then the attachment
    # the signatures share their page with the end of the minute, after the attachment's name
    assert "主持人（签字）" in last and "记录人（签字）" in last
    assert "五、记录核验" in last and "附件：党员大会签到表" in last
    assert flat(last).index("附件：党员大会签到表") < flat(last).index("主持人（签字）")
    for p in pages[:-2]:
        assert "（签字）" not in p


def test_q3_signin_sheet_is_an_attachment_with_a_row_per_member(held):
    pages = read_pdf(held.q3)
    sheet = _signin(pages)
    assert len(sheet) == 1 and sheet[0] is pages[-1]  # on a page of its own, after the minute
    page = sheet[0]
    assert lines(page)[lines(page).index("附件") + 1] == f"{BRANCH}党员大会签到表"
    assert "序号 姓名 身份 签到情况 本人签名" in page
    assert "五、记录核验" not in page and "（签字）" not in page
    rows = _rows(sheet)
    members = held.store.members_at(QuarterRef(YEAR, 3))
    assert len(members) == 24
    assert len(rows) == 24 + 1  # every member, then the observer
    for k, f in enumerate(members):
        row = rows[k]
        assert row[:3] == [str(k + 1), f["name"], "预备党员" if f["status"] == "probationary" else "正式党员"]
        if f["name"] == "罗志刚":
            assert row[3:] == ["经批准不参加", "／"]
        elif f["name"] == "谢德明":
            assert row[3:] == ["缺席（病假，提交书面意见）", "／"]
        elif f["name"] == "黄晓明":
            assert row[3:] == ["缺席（其他）", "／"]
        else:
            assert row[3:] == ["出席"], row  # the signature cell left blank, to sign by hand
    assert rows[-1] == ["25", "张志宏", "列席（医院党委委员）", "列席"]
    assert "应到23人，实到21人，缺席2人；列席1人。" in flat(page)


def test_q3_minute_keeps_to_the_page(held, widths):  # noqa: F811
    assert_on_the_page(held.q3, widths)


# --------------------------------------------------------------------------------- Q4: held here


def test_q4_item_with_nothing_recorded_is_one_sentence(held):
    text = flat("\n".join(_body(read_pdf(held.q4))))
    fourth = text.index("（四）开展年度民主评议党员")
    assert text[fourth:].startswith("（四）开展年度民主评议党员本议题未记录发言和决议。二、党员积分情况")
    assert flat("不同意见：杨静认为建议第三项待材料补齐后再议。") not in text
    assert flat("不同意见：杨静建议第三项待材料补齐后再议。") in text
    assert "时间：2026年12月18日14:30开始，16:20散会" in text


def test_q4_objection_withdrawn_and_raised_again(held):
    """The third entry: 郭建军's objection withdrawn, 何丽's raised, voted 12-4-2 by show of hands:
    12 > 10 (half of 20), passed; 21 present, 2 absent (both full members): 18 voting present."""
    text = flat("\n".join(_body(read_pdf(held.q4))))
    who, why = OBJECTIONS[4][2]
    assert flat(f"异议：{who}提出，理由是{why}（后撤回）；何丽提出，理由是加分材料为复印件。") in text
    assert flat("表决：以举手方式表决，到会有表决权的党员18人，赞成12票，反对4票，弃权2票。") in text
    assert "缺席：2人：黄晓明（事假）、谢德明（病假，书面意见：同意支部对本季度积分的意见）" in text


def test_q4_evaluation_has_the_proposed_grade_sentence(held):
    text = flat("\n".join(_body(read_pdf(held.q4))))
    assert "发出测评票5张，收回5张，有效5张，无效0张，空白0张。" in text
    assert "拟定等次按积分方案的等次规则计算；预备党员不评定等次；最终等次以党组织审定为准。" in text
    lock = held.store.lock_of(QuarterRef(YEAR, 4))
    assert _code(text, "本记录校验码为：") == lock.digest
    assert _code(text, "上一季度校验码：") == held.store.lock_of(QuarterRef(YEAR, 3)).digest


# --------------------------------------------------------------------------------- a quiet quarter


def test_meeting_without_votes_or_evaluation_says_so_plainly(quiet):
    pages = read_pdf(quiet.minute)
    text = flat("\n".join(_body(pages)))
    assert "三、有异议事项的表决本次会议没有需要表决的有异议事项。" in text
    assert "四、民主评议本次会议未进行民主评议。" in text
    assert "拟定等次" not in text and "等次" not in text
    assert "（一）通报本季度党员积分情况发言要点：甲：通报一季度积分。不同意见：无。决议：本议题未作决议。" in text
    assert "（二）部署下季度工作本议题未记录发言和决议。" in text
    assert "缺席：无" in text and "列席：无" in text
    assert "时间：2026年3月27日09:00开始，09:40散会" in text
    lock = quiet.store.lock_of(QuarterRef(YEAR, 1))
    assert _code(text, "本记录校验码为：") == lock.digest
    assert "本季度记录已于2026年3月27日09:40锁定" in text
    assert "上一季度校验码：无（本支部首次锁定）" in text
    assert list(_rows(_signin(pages))) == [["1", "甲", "正式党员", "出席"], ["2", "乙", "正式党员", "出席"],
                                                   ["3", "丙", "预备党员", "出席"]]


# --------------------------------------------------------------------------------- drafts


@pytest.fixture(scope="module")
def draft(tmp_path_factory):
    """The demo with 2026Q4's meeting opened, everyone called, one speech: not locked."""
    folder = tmp_path_factory.mktemp("draft")
    store = build_demo(folder / "d.db")
    store.clock = lambda: Q4_DAY
    quarter = QuarterRef(YEAR, 4)
    store.open_meeting(quarter, MeetingFacts(Q4_DAY, PLACE, HOST, RECORDER, OBSERVERS, "\n".join(AGENDA)))
    store.roll_call_rest(quarter)
    store.add_agenda_note(quarter, 1, "speech", "通报第四季度积分登记情况", "王建国")
    return SimpleNamespace(store=store, folder=folder)


def test_q4_draft_is_marked_on_every_page_and_has_no_code(draft):
    path = write_minutes(draft.store, YEAR, 4, draft.folder / "草稿.pdf", draft=True)
    pages = read_pdf(path)
    assert len(pages) >= 2
    for k, page in enumerate(pages, 1):
        assert page.count("草稿（未锁定）") >= 2, k  # at the head and beside the page number
    text = flat("\n".join(pages))
    assert "五、记录核验本季度尚未锁定，锁定后生成校验码。" in text
    assert "校验码为" not in text and "上一季度校验码" not in text
    assert not HEX64.search(text)
    assert "本件为草稿：2026年第四季度尚未锁定" in text
    assert "散会时间未记录" in text
    # the three objections raised before the meeting wait for their vote
    assert "三、有异议事项的表决本次会议未对有异议事项进行表决。" in text
    assert len(_rows(_signin(pages))) == 24 + 1


def test_q4_without_draft_is_refused(draft):
    target = draft.folder / "正式.pdf"
    with pytest.raises(NotFinal):
        write_minutes(draft.store, YEAR, 4, target)
    assert not target.exists()
