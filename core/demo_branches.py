"""Demo branches beside the fixed one: a hospital branch drawn from a name and a seed.

A committee demo needs several branches that differ: each gets its own roster (common Chinese
surnames and given names, hospital posts, 15-40 members with a few 预备党员), its own meeting
facts (days, place, host, recorder, absences, who raised which objection) and its own entries
(core.demo.demo_branch_year with its own seed). Everything comes from one random.Random seeded
with the name and the seed, so the same pair gives the same branch (and digests) everywhere.
The fixed demo (core.demo's constants) is `FIXED`, untouched.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.demo import BRANCH, DISSENT, OBJECTIONS, ROSTER, SPEECHES, DemoMember

# The fixed demo's meeting facts (db.demo keeps its own names for them; these are the same).
_PLACE = "门诊楼五楼党员活动室"
_OBSERVERS = "张志宏（医院党委委员）"
_DAYS = {1: datetime(2026, 3, 27, 14, 30), 2: datetime(2026, 6, 26, 14, 30), 3: datetime(2026, 9, 25, 14, 30)}
_ABSENT = {1: {"谢德明": ("病假", ""), "周晓梅": ("事假", "同意支部对本季度积分的意见")},
           2: {"谢德明": ("病假", ""), "吴国华": ("公差", "")},
           3: {"谢德明": ("病假", "同意"), "黄晓明": ("其他", "")}}
FIXED_SEED = 20260101  # the fixed demo's entries


@dataclass(frozen=True)
class BranchFacts:
    """Who a demo branch is and what its meetings were."""

    name: str
    roster: tuple[DemoMember, ...]
    entry_seed: int | str
    place: str
    host: str
    recorder: str
    observers: str
    meeting_days: dict[int, datetime]
    absent: dict[int, dict[str, tuple[str, str]]]  # quarter -> name -> (reason, opinion)
    objections: dict[int, tuple[tuple[str, str], ...]]  # quarter -> (raised by, why)
    speeches: tuple[tuple[tuple[str, str], ...], ...]
    dissent: tuple[str, str]


FIXED = BranchFacts(BRANCH, ROSTER, FIXED_SEED, _PLACE, "王建国", "刘丽娟", _OBSERVERS, _DAYS, _ABSENT,
                    OBJECTIONS, SPEECHES, DISSENT)

SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
            "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
            "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛")
GIVEN = {
    "男": ("建国", "伟", "志强", "海涛", "磊", "军", "勇", "国华", "立新", "俊杰", "建军", "志刚", "宇航",
          "德明", "浩", "鹏飞", "明辉", "晓东", "文博", "振华", "卫东", "子豪", "家豪", "永刚", "少华", "红军"),
    "女": ("秀英", "丽娟", "静", "海燕", "晓梅", "敏", "文静", "晓燕", "丽", "雪梅", "雨欣", "佳琪", "婷",
          "玉兰", "桂芳", "红梅", "慧", "颖", "思雨", "欣怡", "淑华", "春梅", "艳", "琳", "晓丽", "梦瑶"),
}
# The branch committee's posts come first, each held beside a post in the hospital.
COMMITTEE = ("党支部书记", "党支部副书记", "组织委员", "宣传委员", "纪检委员")
DEPARTMENTS = ("内科", "外科", "儿科", "妇产科", "急诊科", "针灸科", "骨伤科", "康复科", "放射科", "检验科",
               "药剂科", "中药房", "心内科", "麻醉科", "门诊部", "护理部", "医务科", "信息科", "财务科",
               "后勤保障科", "脑病科", "肛肠科", "推拿科", "超声科")
TITLES = {"科室": ("主任", "副主任医师", "主治医师", "住院医师", "护士长", "主管护师", "护师", "主管技师"),
          "部门": ("科长", "副科长", "主管", "干事", "会计", "工程师")}
JUNIOR = ("住院医师", "护士", "药师", "技师", "治疗师")
_ADMIN = {"医务科", "信息科", "财务科", "后勤保障科", "护理部", "门诊部"}
PLACES = ("门诊楼五楼党员活动室", "住院部三楼会议室", "行政楼二楼党员活动室", "医技楼四楼会议室",
          "综合楼一楼党建活动室")
OBSERVER_NAMES = ("张志宏", "李国栋", "王红霞", "刘建华", "陈卫平")
ABSENCE_REASONS = ("病假", "事假", "公差", "其他")
OPINIONS = ("", "同意", "同意支部对本季度积分的意见")
WHY = ("加分证明只有科室签字，请支部核实后再定", "该项已在上年度计分，不应重复计入",
       "获奖证书级别与申报级别不一致", "减分事实有出入，本人已作说明", "发言交流的会议级别需核实",
       "扣分依据的通报未下发到本人", "申报材料缺少主办单位证明", "同一项工作已按其他条目加分",
       "减分情节轻微，建议从轻")
# Weekdays of each quarter's last weeks that the fixed demo's days move to (days before its Friday).
_SHIFTS = (0, 1, 3, 7)
_HOURS = ((14, 30), (15, 0), (9, 0), (8, 30))


MEMBERS = (15, 40)  # the sizes a seed draws from, and the sizes one may ask for


def branch_facts(name: str, seed: int = 0, members: int | None = None) -> BranchFacts:
    """The demo branch called `name` under `seed`: FIXED for the fixed demo's name and seed 0,
    else a branch of its own. `members` asks for that many members (a benchmark's branches of
    one size) instead of the count the seed draws; the rest of the branch is drawn as before."""
    if members is not None and not MEMBERS[0] <= members <= MEMBERS[1]:
        raise ValueError(f"示范支部的党员人数须在 {MEMBERS[0]}—{MEMBERS[1]} 人之间")
    if name == BRANCH and seed == 0 and members is None:
        return FIXED
    rng = random.Random(f"{name}\n{seed}")
    roster = _roster(rng, members)
    names = [d.name for d in roster]
    voters = [d.name for d in roster if d.status == "full" and not d.excused]
    hour, minute = rng.choice(_HOURS)
    days = {q: (d - timedelta(days=rng.choice(_SHIFTS))).replace(hour=hour, minute=minute) for q, d in _DAYS.items()}
    absent: dict[int, dict[str, tuple[str, str]]] = {}
    for q in (1, 2, 3):
        away = rng.sample(names[5:], 2)  # the committee holds the meeting
        absent[q] = {n: (rng.choice(ABSENCE_REASONS), rng.choice(OPINIONS)) for n in away}
    objections = {q: tuple((rng.choice(voters), rng.choice(WHY)) for _ in range(3 if q == 4 else 2))
                  for q in (1, 2, 3, 4)}
    host, deputy, organiser, publicist, inspector = names[:5]
    speeches = (((host, SPEECHES[0][0][1]), (deputy, SPEECHES[0][1][1])),
                ((inspector, SPEECHES[1][0][1]), (organiser, SPEECHES[1][1][1])),
                ((host, SPEECHES[2][0][1]),))
    observer = f"{rng.choice(OBSERVER_NAMES)}（医院党委委员）"
    return BranchFacts(name, roster, f"entries\n{name}\n{seed}", rng.choice(PLACES), host, publicist, observer,
                       days, absent, objections, speeches, (rng.choice(voters[5:]), DISSENT[1]))


def _roster(rng: random.Random, members: int | None = None) -> tuple[DemoMember, ...]:
    drawn = rng.randint(*MEMBERS)  # drawn even when the size is asked for: the same stream follows
    size = drawn if members is None else members
    probationary = rng.randint(1, 3)
    excused = rng.random() < 0.5
    taken: set[str] = set()
    out: list[DemoMember] = []
    for i in range(size):
        gender = rng.choice(("男", "女"))
        name = _name(rng, gender, taken)
        young = i >= size - probationary
        birth = f"{rng.randint(1994, 2001) if young else rng.randint(1962, 1995)}-{rng.randint(1, 12):02d}"
        dept = rng.choice(DEPARTMENTS)
        if young:
            post = f"{dept}{rng.choice(JUNIOR)}"
        else:
            post = f"{dept}{rng.choice(TITLES['部门' if dept in _ADMIN else '科室'])}"
            if i < len(COMMITTEE):
                post = f"{COMMITTEE[i]}、{post}"
        away = "长期病休" if excused and i == size - probationary - 1 else ""
        out.append(DemoMember(name, gender, birth, post, "probationary" if young else "full", away))
    return tuple(out)


def _name(rng: random.Random, gender: str, taken: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN[gender])
        if name not in taken:
            taken.add(name)
            return name
