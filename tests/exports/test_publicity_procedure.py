"""The publicity notice states each scheme's own procedure, its contact and its 落款.

For each built-in scheme a branch is made in a real SQLite file and its 季度公示表 written and
read back (text per page). The expected sentences are written out by hand from each seed's
procedure text; the facts they carry (days, bodies) are checked against the scheme file too.
The demo (xinmi, Q1-Q3 locked) gives the dated forms, the contact and the 2027 estimate.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from core.quarter import QuarterRef
from core.scheme import parse_scheme
from core.schemes import builtin_text
from db.demo import build_demo
from db.engine import SCHEMA_REVISIONS, open_engine
from db.errors import StoreError
from db.store import Store
from exports.forms import write_publicity
from tests.exports.test_documents import flat, read_pdf

YEAR = 2026
JIFEN = Path(sys.executable).parent / "jifen"
ESTIMATE = "2027年法定节假日安排尚未公布，以上日期按节假日规则预计，如有调整以国务院公布为准。"

# scheme -> (lead-in after the period, the procedure sentence), by hand from each seed.
EXPECTED = {
    # 000 三（三）（四）: 5 days; the branch answers within 3; 复议 to the 医院党委, which answers within 3.
    "xinmi-hospital-2023": (
        "党员积分情况在一定范围内予以公示，公示期为5个工作日，自张贴之日起计算。公示期间接受群众监督。",
        "党员对公示的积分情况有异议的，可向党支部提出申诉，党支部应自收到申诉之日起3个工作日内作出答复；"
        "对党支部的答复不满意的，可向医院党委申请复议，医院党委应自收到复议申请之日起3个工作日内作出答复。"),
    # 001: 3 days; 复议 to the 机关党委.
    "municipal-bureau": (
        "党员积分情况在一定范围内予以公示，公示期为3个工作日，自张贴之日起计算。公示期间接受党员干部监督。",
        "党员对公示的积分情况有异议的，可向党支部提出申诉，党支部应自收到申诉之日起3个工作日内作出答复；"
        "对党支部的答复不满意的，可向机关党委申请复议，机关党委应自收到复议申请之日起3个工作日内作出答复。"),
    # 002: no days (5 a reading), no procedure: the branch hears objections.
    "xingping-medical-insurance-2022": (
        "党员积分情况予以公示，公示期为5个工作日，自张贴之日起计算。公示期间接受党员、群众监督。",
        "党员对公示的积分情况有异议的，可向党支部反映。"),
    # 003: to the branch or the higher organisation, checked and reported; no deadline, no 复议.
    "jsit-college-2020": (
        "党员积分情况予以公示，公示期为5个工作日，自张贴之日起计算。公示期间接受党员和师生及服务对象监督。",
        "党员对公示的积分情况有异议的，可向党支部或上级党组织提出申诉，党支部或上级党组织应调查核实，"
        "核实情况及时向党员反馈，并在下一次党支部大会上通报。"),
    # 004: posted on screens and boards; no procedure.
    "linyi-geopark-2021": (
        "党员积分情况通过电子屏幕、党务公开栏、积分考评榜等予以公示，公示期为5个工作日，自张贴之日起计算。"
        "公示期间接受党员群众监督。",
        "党员对公示的积分情况有异议的，可向党支部反映。"),
}


def draft_notice(tmp_path: Path, scheme_id: str, contact: tuple[str, str] | None = None) -> str:
    store = Store(open_engine(tmp_path / f"{scheme_id}.db"), "测试")
    store.init_branch("测试党支部", scheme_id, builtin_text(scheme_id), YEAR)
    store.add_members([dict(name="甲党员", gender="女", birth_month="1980-05", post="干事")])
    if contact:
        store.set_contact(*contact)
    out = write_publicity(store, YEAR, 1, tmp_path / f"{scheme_id}.pdf", tmp_path / "none.toml", draft=True)
    return "\n".join(read_pdf(out))


@pytest.mark.parametrize("scheme_id", list(EXPECTED))
def test_each_scheme_states_its_own_procedure(tmp_path, scheme_id):
    text = draft_notice(tmp_path, scheme_id)
    lead, procedure = EXPECTED[scheme_id]
    body = flat(text)
    assert flat(f"现将测试党支部2026年第一季度{lead}") in body
    assert flat(procedure) in body
    assert "申诉期" not in text and "复议期" not in text  # no invented windows after the publicity
    p = parse_scheme(builtin_text(scheme_id), scheme_id).process
    assert f"公示期为{p.publicity_days}个工作日" in body
    if p.answer_days is not None:
        assert f"{p.objection_to}应自收到申诉之日起{p.answer_days}个工作日内作出答复" in body
    if p.review_days is not None:
        assert p.review_body and f"可向{p.review_body}申请复议" in body
        assert f"{p.review_body}应自收到复议申请之日起{p.review_days}个工作日内作出答复" in body
    else:
        assert "复议" not in text
    # A draft: no dates for the window, and its 落款 date is left to be written in by hand.
    assert "至2026年" not in body and "预计" not in text
    assert "联系人：________" in body and "联系电话：______________" in body
    assert flat("测试党支部年月日") in body


def test_scheme_files_carry_the_bodies_the_seeds_name():
    xinmi = parse_scheme(builtin_text("xinmi-hospital-2023"), "x").process
    bureau = parse_scheme(builtin_text("municipal-bureau"), "m").process
    for p, body in ((xinmi, "医院党委"), (bureau, "机关党委")):
        assert (p.objection_to, p.answer_days, p.review_body, p.review_days) == ("党支部", 3, body, 3)
    for sid in ("jsit-college-2020", "linyi-geopark-2021", "xingping-medical-insurance-2022"):
        p = parse_scheme(builtin_text(sid), sid).process
        assert p.answer_days is None and p.review_days is None and not p.review_body, sid
        assert "未规定" in p.reading, sid


def test_a_stored_scheme_with_the_old_appeal_key_still_loads():
    # A year created before answer_days existed stores its text as it was: appeal_days, bare review_days.
    old = builtin_text("xinmi-hospital-2023")
    old = old.replace('answer_days = 3\nreview_body = "医院党委"\n', "appeal_days = 3\n")
    assert "appeal_days = 3" in old and "review_body" not in old
    p = parse_scheme(old, "old.toml").process
    assert (p.answer_days, p.review_days, p.review_body, p.appeal_days) == (3, 3, "", 3)
    from exports.notice import procedure

    assert procedure(p).endswith("可向上级党组织申请复议，上级党组织应自收到复议申请之日起3个工作日内作出答复。")
    both = old.replace("appeal_days = 3", "appeal_days = 3\nanswer_days = 3")
    with pytest.raises(ValueError, match="appeal_days 是 answer_days 的旧名称，两者只写一个"):
        parse_scheme(both, "both.toml")


# --------------------------------------------------------------------------------- the demo (dated)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notice")
    db = folder / "demo.db"
    build_demo(db)
    return db


def test_a_locked_quarter_dates_its_period_and_signs_with_the_meeting_day(demo, tmp_path):
    store = Store(open_engine(demo))
    store.set_contact("", "")
    pages = read_pdf(write_publicity(store, YEAR, 3, tmp_path / "q3.pdf", tmp_path / "none.toml"))
    body = flat("\n".join(pages))
    branch = store.branch_name()
    # Met Fri 9-25: Mon 9-28, 9-29, 9-30, [国庆/中秋], Thu 10-8, Fri 10-9.
    assert flat(f"现将{branch}2026年第三季度党员积分情况在一定范围内予以公示，"
                "公示期为5个工作日，自2026年9月28日至2026年10月9日。") in body
    assert "预计" not in body
    last = flat(pages[-1])
    assert flat(f"{branch}2026年9月25日") in last  # the 落款: branch and the meeting day
    assert last.index("联系人：________") < last.rindex(flat(f"{branch}2026年9月25日"))


def test_the_stored_contact_is_printed(demo, tmp_path):
    store = Store(open_engine(demo))
    store.set_contact("王建国", "0371-69881234")  # after Q1-Q3 were locked: allowed
    text = flat("\n".join(read_pdf(write_publicity(store, YEAR, 3, tmp_path / "q3.pdf", tmp_path / "none.toml"))))
    assert "联系人：王建国联系电话：0371-69881234" in text and "____" not in text
    assert store.branch_contact() == ("王建国", "0371-69881234")
    store.set_contact("", "")
    assert store.branch_contact() == ("", "")


def test_a_posting_date_into_2027_is_marked_estimated(demo, tmp_path):
    store = Store(open_engine(demo))
    # Posted Mon 12-28: 12-28 .. 12-31, 1-1 is 元旦 (never a working day), Mon 2027-1-4.
    out = write_publicity(store, YEAR, 3, tmp_path / "q3.pdf", tmp_path / "none.toml", posted=date(2026, 12, 28))
    text = "\n".join(read_pdf(out))
    body = flat(text)
    assert "自2026年12月28日至2027年1月4日（预计）" in body
    assert ESTIMATE in body
    assert "holidays.toml" not in text and "toml" not in text
    assert "2027年1月1日" not in body


def test_contact_refusals(demo):
    store = Store(open_engine(demo))
    with pytest.raises(StoreError, match="一起填写"):
        store.set_contact("张三", "")
    with pytest.raises(StoreError, match="无法识别"):
        store.set_contact("张三", "电话号码")


def test_the_branch_name_stays_sealed_after_a_lock(demo):
    # The contact may change after a lock; the name (on every locked minute and digest) may not.
    con = sqlite3.connect(demo)
    con.execute("UPDATE branch SET contact_name = '李四', contact_phone = '13800000000'")
    con.commit()
    with pytest.raises(sqlite3.IntegrityError, match="locked"):
        con.execute("UPDATE branch SET name = '另一个党支部'")
    con.rollback()
    con.execute("UPDATE branch SET contact_name = '', contact_phone = ''")
    con.commit()
    con.close()
    done = subprocess.run([str(JIFEN), "verify", "--db", str(demo)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "核验通过" in done.stdout, done.stderr


def test_a_database_of_revision_0004_gets_the_contact_columns_and_keeps_its_digests(tmp_path):
    # Build at 0004, lock a quarter, then open with this program: 0005 adds the columns, the
    # chain still verifies (the contact is not in any lock's content), and the contact can be set.
    from alembic import command

    from db.engine import _alembic_config, make_engine

    db = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{db}")
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    con = sqlite3.connect(db)
    assert "contact_name" not in [r[1] for r in con.execute("PRAGMA table_info(branch)")]
    con.execute("INSERT INTO branch (name, created_at) VALUES ('旧党支部', '2026-01-05 09:00:00')")
    con.execute("INSERT INTO quarter (branch_id, year, number, state) VALUES (1, 2026, 1, 'open')")
    con.commit()
    con.close()
    store = Store(open_engine(db))
    head = sqlite3.connect(db).execute("SELECT version_num FROM alembic_version").fetchall()
    assert head == [(SCHEMA_REVISIONS[-1],)]
    assert store.branch_name() == "旧党支部" and store.branch_contact() == ("", "")
    store.set_contact("赵六", "0371-12345678")
    assert store.branch_contact() == ("赵六", "0371-12345678")


def test_cli_sets_shows_and_clears_the_contact(demo):
    def jifen(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(JIFEN), *args], capture_output=True, text=True, timeout=120)

    shown = jifen("branch", "contact", "--db", str(demo))
    assert shown.returncode == 0 and "jifen branch contact --name 姓名 --phone 电话" in shown.stdout
    done = jifen("branch", "contact", "--db", str(demo), "--name", "张三", "--phone", "0371-12345678")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "已登记公示表联系人：张三，0371-12345678"
    assert jifen("branch", "contact", "--db", str(demo)).stdout.strip() == "公示表联系人：张三，联系电话：0371-12345678"
    half = jifen("branch", "contact", "--db", str(demo), "--name", "张三")
    assert half.returncode == 1 and half.stderr.strip() == "联系人和联系电话请一起填写（清除时两项都留空）"
    assert "Traceback" not in half.stderr
    cleared = jifen("branch", "contact", "--db", str(demo), "--clear")
    assert cleared.returncode == 0 and cleared.stdout.strip() == "已清除公示表联系人"
    assert Store(open_engine(demo)).branch_contact() == ("", "")


def test_old_name_update_through_the_store_is_still_refused(demo):
    store = Store(open_engine(demo))
    from sqlmodel import Session, select

    from db.tables import Branch

    with pytest.raises(DBAPIError), Session(store.engine) as s:
        b = s.exec(select(Branch)).first()
        b.name = "改名党支部"
        s.add(b)
        s.commit()
    assert store.branch_name() != "改名党支部"
    assert store.lock_of(QuarterRef(YEAR, 1)) is not None
