"""The 公示期 in working days against the real chinesecalendar, the statutory holiday rules for
a year not yet published, and real holidays.toml files.

Every expected date is worked by hand from the official arrangement or the rules; each test
first asserts the calendar facts it relies on, so a change in chinesecalendar's data shows
up as a failed fact rather than a puzzling date. Objections and 复议 have answer deadlines
counted from the member's act (the seeds' words): there are no dated windows after the
publicity to test.
"""

from __future__ import annotations

import sys
from datetime import date

import chinese_calendar
import platformdirs
import pytest

from exports.deadlines import (
    HolidaysFileError,
    WorkCalendar,
    chinese_date,
    default_holidays_path,
    estimated_days,
    publicity,
    statutory_holidays,
)

CAL = WorkCalendar()  # chinesecalendar alone: reads no file


def detail(day: date) -> tuple[bool, str | None]:
    return chinese_calendar.get_holiday_detail(day)


def dates(*days: str) -> tuple[date, ...]:
    return tuple(date.fromisoformat(d) for d in days)


def write(tmp_path, text: str):
    path = tmp_path / "holidays.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- official calendar


def test_national_day_2026():
    # The 2026 arrangement as chinesecalendar has it: 中秋 9月25日-27日, 国庆 10月1日-7日,
    # make-up working days Sunday 9月20日 and Saturday 10月10日.
    assert [detail(date(2026, 10, d)) for d in range(1, 8)] == [(True, "National Day")] * 7
    assert detail(date(2026, 10, 10)) == (False, "National Day")  # Saturday, 调休上班
    assert detail(date(2026, 10, 11)) == (True, None)  # an ordinary Sunday
    assert detail(date(2026, 10, 8)) == (False, None) and detail(date(2026, 10, 9)) == (False, None)

    d = CAL.publicity(5, date(2026, 9, 30))
    # Meeting Wed 9-30; 10-1..10-7 are the holiday, so publicity starts Thu 10-8:
    # Thu 10-8, Fri 10-9, Sat 10-10 (make-up), [Sun 10-11 off], Mon 10-12, Tue 10-13.
    assert d.start == date(2026, 10, 1)
    assert d.window.dates == dates("2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13")
    assert d.sentence() == "公示期为5个工作日，自2026年10月8日至2026年10月13日"
    assert d.window.text("公示期") == "公示期：2026年10月8日至2026年10月13日（5个工作日）"
    assert d.note is None and d.console_note is None
    assert d.estimated_years == set()


def test_posting_date_starts_the_period():
    # Posted on the make-up Sunday 9-20 itself: it counts. 9-20, 9-21 .. 9-24 (Mon-Thu).
    d = CAL.publicity(5, date(2026, 9, 18), posted=date(2026, 9, 20))
    assert d.window.dates == dates("2026-09-20", "2026-09-21", "2026-09-22", "2026-09-23", "2026-09-24")
    # Posted on a holiday: from the next working day. 10-3 -> Thu 10-8, 10-9, Sat 10-10, Mon 10-12, Tue 10-13.
    d = CAL.publicity(5, date(2026, 9, 30), posted=date(2026, 10, 3))
    assert d.window.first == date(2026, 10, 8) and d.window.last == date(2026, 10, 13)
    with pytest.raises(ValueError, match="早于党员大会"):
        CAL.publicity(5, date(2026, 9, 30), posted=date(2026, 9, 29))
    with pytest.raises(ValueError):
        CAL.publicity(5)


def test_spring_festival_2026():
    # 春节 2月15日(Sun)-23日(Mon); Saturdays 2月14日 and 2月28日 are make-up working days.
    assert [detail(date(2026, 2, d)) for d in range(15, 24)] == [(True, "Spring Festival")] * 9
    assert detail(date(2026, 2, 14)) == (False, "Spring Festival")
    assert detail(date(2026, 2, 28)) == (False, "Spring Festival")
    assert detail(date(2026, 2, 24)) == (False, None)

    d = CAL.publicity(5, date(2026, 2, 11))
    # Meeting Wed 2-11: Thu 2-12, Fri 2-13, Sat 2-14 (make-up), holiday 2-15..2-23, Tue 2-24, Wed 2-25.
    assert d.window.dates == dates("2026-02-12", "2026-02-13", "2026-02-14", "2026-02-24", "2026-02-25")
    assert d.sentence() == "公示期为5个工作日，自2026年2月12日至2026年2月25日"
    assert d.note is None


def test_ordinary_week_and_across_a_weekend():
    # November 2026 has no holiday and no make-up day: Monday-Friday only.
    for n in range(1, 31):
        day = date(2026, 11, n)
        assert detail(day) == (day.weekday() >= 5, None)

    # Meeting Fri 11-6: the weekend is skipped, publicity is the whole week Mon 11-9 .. Fri 11-13.
    d = CAL.publicity(5, date(2026, 11, 6))
    assert d.window.dates == dates("2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13")
    assert d.sentence() == "公示期为5个工作日，自2026年11月9日至2026年11月13日"

    # Meeting Wed 11-11: Thu 11-12, Fri 11-13, [weekend], Mon 11-16 .. Wed 11-18.
    w = CAL.publicity(5, date(2026, 11, 11)).window
    assert (w.first, w.last, w.days) == (date(2026, 11, 12), date(2026, 11, 18), 5)
    assert w.dates == dates("2026-11-12", "2026-11-13", "2026-11-16", "2026-11-17", "2026-11-18")


def test_the_brief_example_is_one_day_short_of_the_official_calendar():
    # The form example "公示期：2026年10月9日至2026年10月15日" ignores the Saturday make-up
    # day 10-10: a meeting on Thu 10-8 gives 10-9, 10-10, 10-12, 10-13, 10-14.
    d = CAL.publicity(5, date(2026, 10, 8))
    assert d.window.text("公示期") == "公示期：2026年10月9日至2026年10月14日（5个工作日）"


# ---------------------------------------------------------------- the calendar's pieces


def test_window_starts_on_the_day_itself_when_it_is_a_working_day():
    assert CAL.window(date(2026, 11, 11), 1).dates == (date(2026, 11, 11),)
    assert CAL.window(date(2026, 11, 11), 1).text("公示期") == "公示期：2026年11月11日（1个工作日）"
    # From the first day of the National Day holiday it moves on to Thu 10-8.
    assert CAL.window(date(2026, 10, 1), 2).dates == dates("2026-10-08", "2026-10-09")


def test_is_workday_and_add_workdays():
    assert CAL.is_workday(date(2026, 10, 10))  # Saturday make-up day
    assert not CAL.is_workday(date(2026, 10, 1))
    assert not CAL.is_workday(date(2026, 10, 11))
    # add_workdays does not count the start: one working day after Wed 9-30 is Thu 10-8.
    assert CAL.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert CAL.add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert CAL.add_workdays(date(2026, 9, 30), 4) == date(2026, 10, 12)
    assert CAL.add_workdays(date(2026, 10, 3), 0) == date(2026, 10, 3)
    with pytest.raises(ValueError):
        CAL.add_workdays(date(2026, 10, 3), -1)
    with pytest.raises(ValueError):
        CAL.window(date(2026, 10, 3), 0)
    with pytest.raises(ValueError):
        CAL.publicity(0, date(2026, 10, 3))


def test_chinese_date_has_no_leading_zeros():
    assert chinese_date(date(2027, 1, 4)) == "2027年1月4日"
    assert chinese_date(date(2026, 10, 15)) == "2026年10月15日"


# ---------------------------------------------------------------- a year not yet published


def published(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@pytest.fixture
def no_2027():
    # chinesecalendar 1.11.0 stops at 2026; when it learns 2027 these tests must move to a later year.
    if published(2027):
        pytest.skip("the installed chinesecalendar has published 2027: see test_estimate_against_the_published_2027")
    assert detail(date(2026, 12, 31)) == (False, None)  # 2026 itself is known, up to Thu 12-31


# The statutory holidays of 2027 worked by hand from the rules (《全国年节及纪念日放假办法》, 2025):
# 元旦 1-1 (Fri); 春节 除夕 to 初三: 正月初一 is Sat 2-6, so Fri 2-5 .. Mon 2-8; 清明 (the solar
# term) Mon 4-5; 劳动节 Sat 5-1, Sun 5-2; 端午 (五月初五) Wed 6-9; 中秋 (八月十五) Wed 9-15;
# 国庆 Fri 10-1 .. Sun 10-3.
STATUTORY_2027 = {
    "元旦": dates("2027-01-01"),
    "农历除夕": dates("2027-02-05"),
    "春节": dates("2027-02-06", "2027-02-07", "2027-02-08"),
    "清明节": dates("2027-04-05"),
    "劳动节": dates("2027-05-01", "2027-05-02"),
    "端午节": dates("2027-06-09"),
    "中秋节": dates("2027-09-15"),
    "国庆节": dates("2027-10-01", "2027-10-02", "2027-10-03"),
}
# A holiday on a Saturday or Sunday is given back on the next working day (补假): 春节's Sat 2-6 and
# Sun 2-7 -> Tue 2-9, Wed 2-10 (Mon 2-8 is 初三 itself); 劳动节 -> Mon 5-3, Tue 5-4; 国庆's Sat 10-2
# and Sun 10-3 -> Mon 10-4, Tue 10-5.
MAKE_UP_2027 = dates("2027-02-09", "2027-02-10", "2027-05-03", "2027-05-04", "2027-10-04", "2027-10-05")


def test_statutory_holidays_of_2027_by_the_rules():
    rules = statutory_holidays(2027)
    by_name: dict[str, list[date]] = {}
    for day, name in sorted(rules.items()):
        by_name.setdefault(name, []).append(day)
    assert {k: tuple(v) for k, v in by_name.items()} == STATUTORY_2027
    assert sum(len(v) for v in STATUTORY_2027.values()) == 13  # 13 days a year since 2025


def test_estimated_days_off_of_2027(no_2027):
    off, on = estimated_days(2027)
    statutory = {d for days in STATUTORY_2027.values() for d in days}
    assert off == statutory | set(MAKE_UP_2027)
    assert on == set()  # make-up working days (调休) are the State Council's choice: not estimated
    for day in sorted(off):
        assert not CAL.is_workday(day) and CAL.is_assumed(day), day
    assert CAL.is_workday(date(2027, 2, 11)) and not CAL.is_workday(date(2027, 2, 13))  # Thu; a Saturday


@pytest.mark.skipif(not published(2027), reason="chinesecalendar has not published 2027 yet (the rules are tested)")
def test_estimate_against_the_published_2027():
    # Once published: every statutory day of the rules is a holiday in the real arrangement, and
    # the estimate's days off fall on the official holidays or on days that were weekends anyway.
    for day in statutory_holidays(2027):
        assert chinese_calendar.is_holiday(day), day
    off, _ = estimated_days(2027)
    wrong = [d for d in off if not chinese_calendar.is_holiday(d)]
    assert not wrong, wrong


def test_window_into_2027_skips_new_year_and_is_marked_estimated(no_2027):
    d = CAL.publicity(5, date(2026, 12, 28))
    # Meeting Mon 12-28: Tue 12-29, Wed 12-30, Thu 12-31 (official), then 2027 by the rules:
    # Fri 1-1 元旦, [weekend], Mon 1-4, Tue 1-5.
    assert d.window.dates == dates("2026-12-29", "2026-12-30", "2026-12-31", "2027-01-04", "2027-01-05")
    assert d.estimated_years == {2027}
    assert d.sentence() == "公示期为5个工作日，自2026年12月29日至2027年1月5日（预计）"
    assert d.note == "2027年法定节假日安排尚未公布，以上日期按节假日规则预计，如有调整以国务院公布为准。"
    assert "toml" not in d.note  # addressed to readers, not administrators
    assert d.console_note == "2027年法定节假日尚未公布，按节假日规则预计；国务院公布后可在 holidays.toml 中补充。"
    assert CAL.is_assumed(date(2027, 1, 4)) and not CAL.is_assumed(date(2026, 12, 31))


def test_no_window_ends_on_new_year_day(no_2027):
    # Four working days from Mon 12-28 end Thu 12-31; a fifth never lands on 1-1.
    for n in range(1, 8):
        for start in dates("2026-12-21", "2026-12-24", "2026-12-28", "2026-12-31"):
            assert CAL.window(start, n).last != date(2027, 1, 1)
    assert not CAL.is_workday(date(2027, 1, 1)) and not CAL.is_workday(date(2026, 1, 1))
    # Any year, published or not.
    assert not CAL.is_workday(date(2031, 1, 1))


def test_window_wholly_in_2026_before_the_new_year_assumes_nothing(no_2027):
    w = CAL.window(date(2026, 12, 28), 4)
    assert w.last == date(2026, 12, 31) and w.assumed_years == set()
    assert "预计" not in w.span()


def test_spring_festival_2027_by_the_rules(no_2027):
    # Meeting Wed 2-3: Thu 2-4, [2-5..2-10 off: 除夕..初三 and two 补假], Thu 2-11, Fri 2-12, [weekend],
    # Mon 2-15, Tue 2-16.
    d = CAL.publicity(5, date(2027, 2, 3))
    assert d.window.dates == dates("2027-02-04", "2027-02-11", "2027-02-12", "2027-02-15", "2027-02-16")


def test_holidays_toml_fills_in_2027(tmp_path, no_2027):
    path = write(tmp_path, """\
# 本单位补充的节假日与调休上班日
holidays = [2027-02-04]
workdays = [2027-02-20]   # a Saturday
""")
    cal = WorkCalendar.from_file(path)
    assert not cal.is_workday(date(2027, 2, 4)) and cal.is_workday(date(2027, 2, 20))
    d = cal.publicity(5, date(2027, 2, 3))
    # 2-4 is now off too: Thu 2-11, Fri 2-12, Mon 2-15, Tue 2-16, Wed 2-17.
    assert d.window.dates == dates("2027-02-11", "2027-02-12", "2027-02-15", "2027-02-16", "2027-02-17")
    # Still only partly known: the rest of 2027 rests on the rules.
    assert d.estimated_years == {2027}
    assert d.note == "2027年法定节假日安排尚未公布，以上日期按节假日规则预计，如有调整以国务院公布为准。"
    assert d.console_note == "2027年法定节假日尚未公布，除 holidays.toml 中补充的日期外，按节假日规则预计。"


def test_new_year_day_cannot_be_made_a_working_day(tmp_path):
    path = write(tmp_path, "workdays = [2027-01-01]\n")
    with pytest.raises(HolidaysFileError, match="元旦"):
        WorkCalendar.from_file(path)
    with pytest.raises(ValueError, match="元旦"):
        WorkCalendar(workdays=[date(2028, 1, 1)])


def test_holidays_toml_overrides_chinesecalendar(tmp_path):
    # A unit's own day off on Mon 10-12 and work on Sun 10-11 (both ordinary days officially).
    path = write(tmp_path, "holidays = [2026-10-12]\nworkdays = [2026-10-11]\n")
    d = WorkCalendar.from_file(path).publicity(5, date(2026, 9, 30))
    assert d.window.dates == dates("2026-10-08", "2026-10-09", "2026-10-10", "2026-10-11", "2026-10-13")
    assert d.note is None


# ---------------------------------------------------------------- holidays.toml problems


def test_missing_file_is_fine(tmp_path):
    cal = WorkCalendar.from_file(tmp_path / "holidays.toml")
    assert cal.holidays == set() and cal.workdays == set()
    assert cal.window(date(2026, 10, 1), 1).first == date(2026, 10, 8)


def test_empty_file_is_fine(tmp_path):
    assert WorkCalendar.from_file(write(tmp_path, "# 暂无\n")).holidays == set()


@pytest.mark.parametrize("text, key, problem", [
    ("holidays = [2027-01-01", None, "不是有效的 TOML"),
    ("x = " + "[" * 5000 + "]" * 5000, None, "不是有效的 TOML（arrays or tables are nested too deeply）"),
    ('holidays = [2027-01-01, 2027-02-08, "2027-02-09"]', "holidays[2]", "不是日期：'2027-02-09'（日期不加引号"),
    ("workdays = [2027-02-14T08:00:00]", "workdays[0]", "不是日期"),
    ("holidays = 2027-01-01", "holidays", "应为日期列表"),
    ("holiday = [2027-01-01]", "holiday", "未知的键"),
    ("holidays = [2027-01-01]\nworkdays = [2027-01-01]", "workdays", "2027-01-01 同时列在 holidays 中"),
])
def test_malformed_file_names_file_and_key(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(HolidaysFileError) as e:
        WorkCalendar.from_file(path)
    assert str(e.value).startswith(f"{path}: ")
    assert e.value.path == path and e.value.key == key
    assert problem in str(e.value)
    if key:
        assert str(e.value).startswith(f"{path}: {key}: ")


def test_not_utf8(tmp_path):
    path = tmp_path / "holidays.toml"
    path.write_bytes("# 节假日\n".encode("gbk"))
    with pytest.raises(HolidaysFileError, match="UTF-8"):
        WorkCalendar.from_file(path)


def test_exact_message(tmp_path):
    path = write(tmp_path, 'holidays = [2027-01-01, 2027-02-08, "x"]')
    with pytest.raises(HolidaysFileError) as e:
        WorkCalendar.from_file(path)
    assert str(e.value) == f"{path}: holidays[2]: 不是日期：'x'（日期不加引号，写作 2027-01-01）"


def test_default_location():
    assert default_holidays_path() == platformdirs.user_config_path("jifen", appauthor=False) / "holidays.toml"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG_CONFIG_HOME is honoured on Linux only")
def test_default_file_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "jifen").mkdir()
    (tmp_path / "jifen" / "holidays.toml").write_text("holidays = [2026-11-09]\n", encoding="utf-8")
    d = publicity(5, date(2026, 11, 6))
    # Mon 11-9 is off by the file: Tue 11-10 .. Mon 11-16.
    assert d.window.first == date(2026, 11, 10) and d.window.last == date(2026, 11, 16)
