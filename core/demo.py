"""The demo branch: a hospital's 第一党支部 under xinmi-hospital-2023, year 2026.

Deterministic (fixed seed), drawn from the scheme's own catalogue, so the same
branch appears on every machine. The store seeds its demo database from this.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from core.branch import BranchYear, Entry, Member, Status
from core.scheme import Item, Scheme

SCHEME_ID = "xinmi-hospital-2023"
YEAR = 2026
BRANCH = "新密市中医院第一党支部"


@dataclass(frozen=True, slots=True)
class DemoMember:
    name: str
    gender: str
    birth: str  # YYYY-MM
    post: str
    status: Status = "full"
    excused: str = ""  # excused from the meetings by the committee (免于参会), why; still scored


ROSTER: tuple[DemoMember, ...] = (
    DemoMember("王建国", "男", "1971-03", "党支部书记、内科主任"),
    DemoMember("李秀英", "女", "1978-11", "党支部副书记、护理部主任"),
    DemoMember("张伟", "男", "1983-06", "组织委员、外科副主任医师"),
    DemoMember("刘丽娟", "女", "1986-09", "宣传委员、药剂科主管药师"),
    DemoMember("陈志强", "男", "1975-01", "纪检委员、医务科科长"),
    DemoMember("杨静", "女", "1990-04", "儿科主治医师"),
    DemoMember("赵海燕", "女", "1988-12", "妇产科护士长"),
    DemoMember("黄晓明", "男", "1992-07", "急诊科医师"),
    DemoMember("周晓梅", "女", "1985-02", "检验科主管技师"),
    DemoMember("吴国华", "男", "1969-10", "针灸科主任医师"),
    DemoMember("徐敏", "女", "1994-05", "康复科治疗师"),
    DemoMember("孙立新", "男", "1980-08", "放射科副主任医师"),
    DemoMember("马文静", "女", "1991-03", "心内科护师"),
    DemoMember("朱俊杰", "男", "1987-11", "骨伤科主治医师"),
    DemoMember("胡晓燕", "女", "1982-06", "门诊部护士长"),
    DemoMember("郭建军", "男", "1973-09", "后勤保障科科长"),
    DemoMember("何丽", "女", "1989-01", "财务科会计"),
    DemoMember("高磊", "男", "1993-12", "信息科工程师"),
    DemoMember("林雪梅", "女", "1979-04", "中药房主管中药师"),
    DemoMember("罗志刚", "男", "1976-07", "麻醉科副主任医师", excused="长期病休"),
    DemoMember("郑雨欣", "女", "1997-02", "内科护士", status="probationary"),
    DemoMember("梁宇航", "男", "1996-10", "外科住院医师", status="probationary"),
    DemoMember("宋佳琪", "女", "1998-08", "药剂科药师", status="probationary"),
    DemoMember("谢德明", "男", "1964-05", "退休返聘 专家门诊"),
)

# Items the demo draws from, with how likely a member earns one in a quarter.
_BONUS = ("J6.2a", "J3.2", "J6.5", "J1.1", "J5.1", "J6.3", "J1.4", "J2.1", "J6.1")
_DEDUCTION = ("K3.2a", "K3.2b", "K3.1", "K3.2c", "K3.4", "K5.1")


def _item(scheme: Scheme, code: str) -> Item:
    item = scheme.item(code)
    assert item is not None, code
    return item


def _points(scheme: Scheme, code: str, rng: random.Random) -> tuple[Decimal, str | None]:
    item = _item(scheme, code)
    if item.levels:
        level = rng.choice(list(item.levels)[:2])
        return item.levels[level], level
    if item.points is not None:
        return item.points, None
    if item.range is not None:
        return item.range[1], None
    return item.max or Decimal(1), None


def demo_branch_year(scheme: Scheme, quarters: int = 4, roster: tuple[DemoMember, ...] | None = None,
                     seed: int | str = 20260101) -> BranchYear:
    """The demo year up to `quarters` quarters, every entry citing a catalogue item; another
    branch's (core.demo_branches) with its roster and seed."""
    rng = random.Random(seed)
    roster = ROSTER if roster is None else roster
    members = tuple(
        Member(f"m{i + 1:02d}", d.name, d.status) for i, d in enumerate(roster)
    )
    entries: list[Entry] = []
    for q in range(1, quarters + 1):
        for d, m in zip(roster, members, strict=True):
            if d.excused:  # away all year: nothing to record
                continue
            for _ in range(rng.choice((0, 1, 1, 2))):
                code = rng.choice(_BONUS)
                pts, level = _points(scheme, code, rng)
                entries.append(Entry(m.id, "bonus", q, points=pts, item=code, level=level,
                                     note=_item(scheme, code).label))
            if rng.random() < 0.3:
                code = rng.choice(_DEDUCTION)
                pts, level = _points(scheme, code, rng)
                entries.append(Entry(m.id, "deduction", q, points=pts, item=code, level=level,
                                     note=_item(scheme, code).label))
    return BranchYear(YEAR, members, tuple(entries))


# --- what the recorder wrote at each held meeting (the minute's record) -----------------------------

# Objections raised at the meetings: (who raised it, why); the first is put to the vote and
# passes, the second fails. Today's three were raised before the meeting.
OBJECTIONS: dict[int, tuple[tuple[str, str], ...]] = {
    1: (("陈志强", "加分证明只有科室签字，请支部核实后再定"), ("李秀英", "该项已在上年度计分，不应重复计入")),
    2: (("张伟", "获奖证书级别与申报级别不一致"), ("胡晓燕", "减分事实有出入，本人已作说明")),
    3: (("刘丽娟", "发言交流的会议级别需核实"), ("孙立新", "扣分依据的通报未下发到本人")),
    4: (("陈志强", "申报材料缺少主办单位证明"), ("杨静", "同一项工作已按其他条目加分"),
        ("郭建军", "减分情节轻微，建议从轻")),
}
# How each held meeting voted: the first vote by show of hands, the second by secret ballot.
VOTE_METHODS = ("举手", "无记名投票")
# 发言要点 under each agenda item: (speaker, points); one 不同意见 at the second item; the 决议.
SPEECHES: tuple[tuple[tuple[str, str], ...], ...] = (
    (("王建国", "通报本季度积分登记和公示情况，各项加减分均有材料和条款依据"),
     ("李秀英", "护理支部小组积分材料齐全，建议下季度提前一周报送")),
    (("陈志强", "说明异议事项的核实经过和材料来源"),
     ("张伟", "同意核实结论，建议今后申报时附原始证明")),
    (("王建国", "部署下季度党员积分申报、民主评议准备工作"),),
)
DISSENT = ("胡晓燕", "认为有异议事项应待上级复核后再表决")
RESOLUTIONS = (
    "本季度党员积分情况经党员大会通报，无异议事项予以确认",
    "有异议事项经表决，按表决结果计入或不计入积分",
    "下季度积分申报于季末前一周完成，由组织委员汇总",
)
MEETING_LENGTH_MINUTES = (95, 105, 100)  # how long each held meeting ran
