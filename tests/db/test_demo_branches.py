"""Demo branches from a name and a seed (`jifen demo --branch NAME --seed N --db FILE`): each its own
roster, entries and meetings; the same pair gives the same database, digest for digest; the fixed
demo stays exactly as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.demo import BRANCH, ROSTER
from core.demo_branches import branch_facts
from core.quarter import QuarterRef
from db.demo import build_demo
from db.engine import open_engine
from db.errors import StoreError
from db.store import Store

JIFEN = Path(sys.executable).parent / "jifen"
Q3 = QuarterRef(2026, 3)
# The fixed demo's 2026Q3 digest as it has been since the demo existed: other branches must not move it.
FIXED_Q3 = "c01437d416011d5b4da1f8066cfd12232278c29ac53b1a8bd8e42bd550181a92"


def jifen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(JIFEN), *args], capture_output=True, text=True)


def digests(store: Store) -> list[str]:
    return [lock.digest for n in (1, 2, 3) if (lock := store.lock_of(QuarterRef(2026, n))) is not None]


def test_the_fixed_demo_is_unchanged(tmp_path):
    st = build_demo(tmp_path / "fixed.db")
    lock = st.lock_of(Q3)
    assert lock is not None and lock.digest == FIXED_Q3
    assert st.branch_name() == BRANCH
    assert [m.name for m in st.members()] == [d.name for d in ROSTER]


def test_two_seeds_give_different_rosters_and_each_verifies(tmp_path):
    a = build_demo(tmp_path / "a.db", branch="新密市中医院第二党支部", seed=1)
    b = build_demo(tmp_path / "b.db", branch="新密市中医院第二党支部", seed=2)
    names_a, names_b = [m.name for m in a.members()], [m.name for m in b.members()]
    assert names_a != names_b
    for st, names in ((a, names_a), (b, names_b)):
        assert st.branch_name() == "新密市中医院第二党支部"
        assert 15 <= len(names) <= 40 and len(set(names)) == len(names)
        assert st.verify() == []
        assert len(digests(st)) == 3
        assert st.quarter(QuarterRef(2026, 4)).state == "open"
        posts = [m.post for m in st.members()]
        assert posts[0].startswith("党支部书记、")
        assert any(m.status == "probationary" for m in st.members())
        assert st.meeting(Q3) is not None and st.meeting(Q3).host == names[0]
    assert digests(a) != digests(b)


def test_same_name_and_seed_give_the_same_digests(db_target, tmp_path):
    first = build_demo(db_target, branch="新密市中医院第三党支部", seed=5)
    again = build_demo(tmp_path / "again.db", branch="新密市中医院第三党支部", seed=5)
    assert digests(first) == digests(again) and len(digests(first)) == 3
    assert [m.name for m in first.members()] == [m.name for m in again.members()]
    first.engine.dispose()


def test_another_name_same_seed_is_another_branch():
    a, b = branch_facts("新密市中医院第四党支部", 3), branch_facts("新密市中医院第五党支部", 3)
    assert [d.name for d in a.roster] != [d.name for d in b.roster]
    assert branch_facts(BRANCH, 0).roster == ROSTER  # the fixed demo's name and seed 0: the fixed demo


def test_the_loop_builds_without_a_console_and_refusals_change_nothing(tmp_path):
    for i, b in enumerate("一二三", 1):
        out = tmp_path / f"{b}.db"
        r = jifen("demo", "--branch", f"新密市中医院第{b}党支部", "--seed", str(i), "--db", str(out))
        assert r.returncode == 0, r.stderr
        assert f"示范支部：新密市中医院第{b}党支部" in r.stdout and str(out) in r.stdout
        engine = open_engine(out)
        assert Store(engine).branch_name() == f"新密市中医院第{b}党支部"
        engine.dispose()
    before = (tmp_path / "一.db").read_bytes()
    again = jifen("demo", "--branch", "新密市中医院第一党支部", "--seed", "1", "--db", str(tmp_path / "一.db"))
    assert again.returncode == 1 and "已存在" in again.stderr and "Traceback" not in again.stderr
    assert (tmp_path / "一.db").read_bytes() == before
    no_db = jifen("demo", "--branch", "新密市中医院第九党支部")
    assert no_db.returncode == 2 and "--db" in no_db.stderr
    lone_seed = jifen("demo", "--seed", "3", "--db", str(tmp_path / "x.db"))
    assert lone_seed.returncode == 2 and "--branch" in lone_seed.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_member_count_can_be_asked_for_and_the_seed_still_draws_the_rest(tmp_path):
    drawn = branch_facts("新密市中医院第六党支部", 4)
    for size in (15, 40):
        asked = branch_facts("新密市中医院第六党支部", 4, members=size)
        assert len(asked.roster) == size
        assert len({d.name for d in asked.roster}) == size
        assert any(d.status == "probationary" for d in asked.roster)
    # Asking for the count the seed draws anyway gives the very same branch.
    assert branch_facts("新密市中医院第六党支部", 4, members=len(drawn.roster)) == drawn
    st = build_demo(tmp_path / "forty.db", branch="新密市中医院第六党支部", seed=4, members=40)
    assert len(st.members()) == 40 and st.verify() == [] and len(digests(st)) == 3
    st.engine.dispose()


def test_a_member_count_out_of_range_or_without_a_branch_is_refused(tmp_path):
    for bad in (14, 41):
        with pytest.raises(StoreError, match="15—40"):
            build_demo(tmp_path / f"bad{bad}.db", branch="新密市中医院第七党支部", members=bad)
        assert not (tmp_path / f"bad{bad}.db").exists()
    with pytest.raises(StoreError, match="示范支部名称"):
        build_demo(tmp_path / "fixed.db", members=30)
    assert not (tmp_path / "fixed.db").exists()
