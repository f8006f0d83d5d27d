"""Blank 民主评议测评表: secret ballots are identical sheets. Every copy is read back from the PDF
(its text and its page content stream); the 优秀 limit printed on it is the one the store applies
when a filled ballot comes back."""

from __future__ import annotations

from datetime import datetime

import pytest
from pypdf import PdfReader

from core.labels import RATING_LABELS
from core.quarter import QuarterRef
from core.schemes import builtin_text
from db.demo import build_demo
from db.engine import open_engine
from db.store import MeetingFacts, Store
from exports.forms import RATING_MEANINGS, write_ballots
from tests.exports.test_documents import MM, _Widths, flat, lines, placed_text, read_pdf

YEAR = 2026


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ballots")
    return build_demo(folder / "demo.db"), folder


@pytest.fixture(scope="module")
def widths() -> _Widths:
    return _Widths()


def branch(folder, names: int, probationary: int = 0, exempt: int = 0, scheme: str = "xinmi-hospital-2023",
           name: str = "测试党支部") -> Store:
    """A branch of `names` members: the first `probationary` probationary, the last `exempt` exempt."""
    store = Store(open_engine(folder / f"{names}-{probationary}-{exempt}.db"), "测试",
                  clock=lambda: datetime(2026, 12, 1, 9, 0))
    store.init_branch(name, scheme, builtin_text(scheme), YEAR)
    # Two characters from different lists: no name is part of another.
    first, second = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许", "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳"
    store.add_members([dict(name=first[i % 20] + second[i // 20],
                            status="probationary" if i < probationary else "full",
                            status_since="2026-01-08" if i < probationary else "",
                            exempt=i >= names - exempt, exempt_reason="长期病休" if i >= names - exempt else "")
                       for i in range(names)])
    return store


def contents(path) -> list[bytes]:
    return [page.get_contents().get_data() for page in PdfReader(path).pages]


def test_copies_are_identical_sheets(demo):
    store, folder = demo
    out = write_ballots(store, YEAR, folder / "测评票.pdf", copies=3)
    pages = read_pdf(out)
    assert len(pages) == 3
    # Byte for byte: the same text and the same page content stream on every copy.
    assert pages[0] == pages[1] == pages[2]
    streams = contents(out)
    assert streams[0] == streams[1] == streams[2]
    text = pages[0]
    # No page number, no running head, no copy number.
    assert "页" not in text and "份" not in text.replace("身份", "")
    assert text.count("民主评议党员测评表") == 1


def test_a_ballot_of_the_demo(demo):
    store, folder = demo
    text = read_pdf(write_ballots(store, YEAR, folder / "一份.pdf"))[0]
    members = store.graded_members(YEAR)
    assert len(members) == 24
    probationary = [m.name for m in members if m.status == "probationary"]
    assert probationary == ["郑雨欣", "梁宇航", "宋佳琪"]
    body = flat(text)
    # 21 full members, a third of them: 7 (the store's rule, worked by hand: floor(21 / 3)).
    assert "评为“优秀”的不超过7人，超过的本票无效。" in body
    assert flat("预备党员参加评议，不评定等次，备注栏注“不定等次”；对其评为“优秀”的不计入上述人数。") in body
    assert "不记名，不在票上作任何记号。填写后折叠，投入票箱。" in body
    for label, meaning in RATING_MEANINGS:
        assert flat(f"{label}：{meaning}") in body
    assert f"序号 评议对象 {' '.join(RATING_LABELS)} 备注" in text
    rows = [line.split() for line in lines(text)]
    for seq, m in enumerate(members, 1):
        want = [str(seq), m.name] + (["不定等次"] if m.status == "probationary" else [])
        assert want in rows, (seq, m.name)  # the four boxes blank
        assert body.count(m.name) == 1


def test_a_ballot_without_probationary_members_has_no_remarks(tmp_path):
    store = branch(tmp_path, 9)
    text = read_pdf(write_ballots(store, YEAR, tmp_path / "b.pdf"))[0]
    assert "评为“优秀”的不超过3人" in flat(text) and "预备党员" not in text and "备注" not in text
    assert f"序号 评议对象 {' '.join(RATING_LABELS)}" in text


def test_an_exempt_member_is_not_on_the_ballot(tmp_path):
    # jsit provides exemption: five members, one probationary, one exempt -> three full: at most 1.
    store = branch(tmp_path, 5, probationary=1, exempt=1, scheme="jsit-college-2020")
    text = read_pdf(write_ballots(store, YEAR, tmp_path / "b.pdf", copies=2))[1]
    names = [m.name for m in store.members()]
    assert names[-1] not in text
    rows = [line.split() for line in lines(text)]
    assert [["1", names[0], "不定等次"], ["2", names[1]], ["3", names[2]], ["4", names[3]]] == \
        [r for r in rows if r[:1] in (["1"], ["2"], ["3"], ["4"])]
    assert "评为“优秀”的不超过1人" in flat(text)


@pytest.mark.parametrize("names,pages", [(40, 1), (60, 2)])
def test_forty_names_fit_one_page(tmp_path, names, pages):
    store = branch(tmp_path, names)
    out = write_ballots(store, YEAR, tmp_path / "b.pdf", copies=2)
    got = read_pdf(out)
    assert len(got) == 2 * pages  # each copy starts on a page of its own
    assert got[:pages] == got[pages:]
    assert contents(out)[:pages] == contents(out)[pages:]
    rows = [line.split() for text in got[:pages] for line in lines(text)]
    for seq, m in enumerate(store.members(), 1):
        assert [str(seq), m.name] in rows
    # The heading row on each page of a copy.
    for text in got:
        assert f"序号 评议对象 {' '.join(RATING_LABELS)}" in text


def test_the_ballot_stays_inside_its_margins(tmp_path, widths):
    store = branch(tmp_path, 40)
    for k, x, y, end, width, height, text in placed_text(write_ballots(store, YEAR, tmp_path / "b.pdf"), widths):
        assert x >= 15 * MM and end <= width - 15 * MM, (k, text)
        assert 15 * MM <= y <= height - 15 * MM, (k, text)


def test_five_hundred_copies(demo):
    store, folder = demo
    out = write_ballots(store, YEAR, folder / "500.pdf", copies=500)
    streams = contents(out)
    assert len(streams) == 500 and len(set(streams)) == 1


def test_ballot_copies_are_bounded(demo, tmp_path):
    from db.errors import StoreError

    store, _ = demo
    for copies in (0, 501):
        with pytest.raises(StoreError, match="份数应在1到500之间"):
            write_ballots(store, YEAR, tmp_path / "b.pdf", copies=copies)
    assert not (tmp_path / "b.pdf").exists()


def test_the_store_voids_a_ballot_by_the_printed_limit(tmp_path):
    """Eight names, two probationary: six full, at most two 优秀 as printed; 优秀 given to a
    probationary member does not count against it."""
    store = branch(tmp_path, 8, probationary=2)
    assert "评为“优秀”的不超过2人" in flat(read_pdf(write_ballots(store, YEAR, tmp_path / "b.pdf"))[0])
    when = datetime(2026, 12, 18, 14, 30)
    store.clock = lambda: when
    q = QuarterRef(YEAR, 4)
    store.open_meeting(q, MeetingFacts(when, "会议室", "赵甲", "钱甲", "", "开展年度民主评议党员"))
    store.roll_call_rest(q)
    ids = [m.id for m in store.members()]
    probationary, full = ids[:2], ids[2:]
    assert store.add_ballot(q, {full[0]: "优秀", full[1]: "优秀", **dict.fromkeys(probationary, "优秀")}) == ""
    assert store.add_ballot(q, dict.fromkeys(full[:3], "优秀")) == "评为优秀3人，超过正式党员6人的1/3（至多2人）"
    assert store.add_ballot(q, dict.fromkeys(probationary, "合格")) == ""  # marks on probationary only: not blank
