"""Working-day deadlines against the real chinesecalendar and real holidays.toml files.

Every expected date is worked by hand from the official arrangement; each test first
asserts the calendar facts it relies on, so a change in chinesecalendar's data shows
up as a failed fact rather than a puzzling date.
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
    publicity_and_appeal,
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

    d = CAL.publicity_and_appeal(date(2026, 9, 30), 5, 3, 3)
    # Meeting Wed 9-30; 10-1..10-7 are the holiday, so publicity starts Thu 10-8:
    # Thu 10-8, Fri 10-9, Sat 10-10 (make-up), [Sun 10-11 off], Mon 10-12, Tue 10-13.
    assert d.publicity.dates == dates("2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13")
    assert d.publicity_text == "公示期：2026年10月8日至2026年10月13日（5个工作日）"
    # Appeal from the next working day, Wed 10-14: 10-14, 10-15, 10-16.
    assert d.appeal.dates == dates("2026-10-14", "2026-10-15", "2026-10-16")
    assert d.appeal_text == "申诉期：2026年10月14日至2026年10月16日（3个工作日）"
    # Review after the weekend: Mon 10-19 .. Wed 10-21.
    assert d.review.dates == dates("2026-10-19", "2026-10-20", "2026-10-21")
    assert d.review_text == "复议期：2026年10月19日至2026年10月21日（3个工作日）"
    assert d.assumed_years == set() and d.note is None
    assert d.lines() == [d.publicity_text, d.appeal_text, d.review_text]


def test_window_starting_on_the_sunday_make_up_day_before_mid_autumn():
    assert detail(date(2026, 9, 19)) == (True, None)  # Saturday
    assert detail(date(2026, 9, 20)) == (False, "National Day")  # Sunday, 调休上班
    assert [detail(date(2026, 9, d)) for d in (25, 26, 27)] == [(True, "Mid-autumn Festival")] * 3

    d = CAL.publicity_and_appeal(date(2026, 9, 18), 5, 3, 3)
    # Meeting Fri 9-18; Sat 9-19 is off, Sun 9-20 is a working day, so publicity is 9-20..9-24.
    assert d.publicity.dates == dates("2026-09-20", "2026-09-21", "2026-09-22", "2026-09-23", "2026-09-24")
    # 中秋 9-25..9-27, so the appeal is Mon 9-28 .. Wed 9-30.
    assert d.appeal.dates == dates("2026-09-28", "2026-09-29", "2026-09-30")
    # 国庆 10-1..10-7, so the review is Thu 10-8, Fri 10-9, Sat 10-10 (make-up).
    assert d.review.dates == dates("2026-10-08", "2026-10-09", "2026-10-10")


def test_spring_festival_2026():
    # 春节 2月15日(Sun)-23日(Mon); Saturdays 2月14日 and 2月28日 are make-up working days.
    assert [detail(date(2026, 2, d)) for d in range(15, 24)] == [(True, "Spring Festival")] * 9
    assert detail(date(2026, 2, 14)) == (False, "Spring Festival")
    assert detail(date(2026, 2, 28)) == (False, "Spring Festival")
    assert detail(date(2026, 2, 24)) == (False, None)

    d = CAL.publicity_and_appeal(date(2026, 2, 11), 5, 3, 3)
    # Meeting Wed 2-11: Thu 2-12, Fri 2-13, Sat 2-14 (make-up), holiday 2-15..2-23, Tue 2-24, Wed 2-25.
    assert d.publicity.dates == dates("2026-02-12", "2026-02-13", "2026-02-14", "2026-02-24", "2026-02-25")
    assert d.publicity_text == "公示期：2026年2月12日至2026年2月25日（5个工作日）"
    # Appeal: Thu 2-26, Fri 2-27, Sat 2-28 (make-up).
    assert d.appeal.dates == dates("2026-02-26", "2026-02-27", "2026-02-28")
    # Review: Sun 3-1 off; Mon 3-2 .. Wed 3-4.
    assert d.review.dates == dates("2026-03-02", "2026-03-03", "2026-03-04")
    assert d.note is None


def test_ordinary_week_and_across_a_weekend():
    # November 2026 has no holiday and no make-up day: Monday-Friday only.
    for n in range(1, 31):
        day = date(2026, 11, n)
        assert detail(day) == (day.weekday() >= 5, None)

    # Meeting Fri 11-6: the weekend is skipped, publicity is the whole week Mon 11-9 .. Fri 11-13.
    d = CAL.publicity_and_appeal(date(2026, 11, 6), 5, 3)
    assert d.publicity.dates == dates("2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13")
    assert d.publicity_text == "公示期：2026年11月9日至2026年11月13日（5个工作日）"
    assert d.appeal.dates == dates("2026-11-16", "2026-11-17", "2026-11-18")
    assert d.review is None and d.review_text is None

    # Meeting Wed 11-11: Thu 11-12, Fri 11-13, [weekend], Mon 11-16 .. Wed 11-18.
    w = CAL.publicity_and_appeal(date(2026, 11, 11), 5, 3).publicity
    assert (w.first, w.last, w.days) == (date(2026, 11, 12), date(2026, 11, 18), 5)
    assert w.dates == dates("2026-11-12", "2026-11-13", "2026-11-16", "2026-11-17", "2026-11-18")


def test_the_brief_example_is_one_day_short_of_the_official_calendar():
    # The form example "公示期：2026年10月9日至2026年10月15日" ignores the Saturday make-up
    # day 10-10: a meeting on Thu 10-8 gives 10-9, 10-10, 10-12, 10-13, 10-14.
    d = CAL.publicity_and_appeal(date(2026, 10, 8), 5, 3)
    assert d.publicity_text == "公示期：2026年10月9日至2026年10月14日（5个工作日）"


# ---------------------------------------------------------------- the calendar's pieces


def test_window_starts_on_the_day_itself_when_it_is_a_working_day():
    assert CAL.window(date(2026, 11, 11), 1).dates == (date(2026, 11, 11),)
    assert CAL.window(date(2026, 11, 11), 1).text("申诉期") == "申诉期：2026年11月11日（1个工作日）"
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
        CAL.publicity_and_appeal(date(2026, 10, 3), 5, None, 3)


def test_scheme_without_appeal():
    d = CAL.publicity_and_appeal(date(2026, 11, 6), 5, None)
    assert d.appeal is None and d.review is None
    assert d.lines() == ["公示期：2026年11月9日至2026年11月13日（5个工作日）"]


def test_chinese_date_has_no_leading_zeros():
    assert chinese_date(date(2027, 1, 4)) == "2027年1月4日"
    assert chinese_date(date(2026, 10, 15)) == "2026年10月15日"


# ---------------------------------------------------------------- a year not yet published


@pytest.fixture
def no_2027():
    # chinesecalendar 1.11.0 stops at 2026; when it learns 2027 these tests must move to a later year.
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))
    assert detail(date(2026, 12, 31)) == (False, None)  # 2026 itself is known, up to Thu 12-31


def test_window_into_2027_counts_monday_to_friday(no_2027):
    d = CAL.publicity_and_appeal(date(2026, 12, 28), 5, 3, 3)
    # Meeting Mon 12-28: Tue 12-29, Wed 12-30, Thu 12-31 (official), then 2027 guessed:
    # Fri 1-1 counts as a working day (元旦 not known), [weekend], Mon 1-4.
    assert d.publicity.dates == dates("2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01", "2027-01-04")
    assert d.publicity.assumed_years == {2027}
    assert d.publicity_text == "公示期：2026年12月29日至2027年1月4日（5个工作日）"
    assert d.appeal.dates == dates("2027-01-05", "2027-01-06", "2027-01-07")
    # Fri 1-8, [Sat 1-9, Sun 1-10], Mon 1-11, Tue 1-12.
    assert d.review.dates == dates("2027-01-08", "2027-01-11", "2027-01-12")
    assert d.assumed_years == {2027}
    assert d.note == "2027年法定节假日尚未公布，暂按周一至周五计算工作日；可在 holidays.toml 中补充。"
    assert d.lines()[-1] == d.note
    assert CAL.is_assumed(date(2027, 1, 1)) and not CAL.is_assumed(date(2026, 12, 31))


def test_window_wholly_in_2026_before_the_new_year_assumes_nothing(no_2027):
    w = CAL.window(date(2026, 12, 28), 4)
    assert w.last == date(2026, 12, 31) and w.assumed_years == set()


def test_holidays_toml_fills_in_2027(tmp_path, no_2027):
    path = write(tmp_path, """\
# 本单位补充的节假日与调休上班日
holidays = [2027-01-01]
workdays = [2027-01-09]   # a Saturday
""")
    cal = WorkCalendar.from_file(path)
    assert not cal.is_workday(date(2027, 1, 1)) and cal.is_workday(date(2027, 1, 9))
    d = cal.publicity_and_appeal(date(2026, 12, 28), 5, 3, 3)
    # 1-1 is now a holiday, so publicity moves by a day: 12-29, 12-30, 12-31, Mon 1-4, Tue 1-5.
    assert d.publicity.dates == dates("2026-12-29", "2026-12-30", "2026-12-31", "2027-01-04", "2027-01-05")
    # Appeal Wed 1-6 .. Fri 1-8; review Sat 1-9 (make-up), Mon 1-11, Tue 1-12.
    assert d.appeal.dates == dates("2027-01-06", "2027-01-07", "2027-01-08")
    assert d.review.dates == dates("2027-01-09", "2027-01-11", "2027-01-12")
    # Still only partly known: the rest of 2027 is counted Monday-Friday.
    assert d.assumed_years == {2027}
    assert d.note == "2027年法定节假日尚未公布，除 holidays.toml 中补充的日期外，暂按周一至周五计算工作日。"


def test_holidays_toml_overrides_chinesecalendar(tmp_path):
    # A unit's own day off on Mon 10-12 and work on Sun 10-11 (both ordinary days officially).
    path = write(tmp_path, "holidays = [2026-10-12]\nworkdays = [2026-10-11]\n")
    d = WorkCalendar.from_file(path).publicity_and_appeal(date(2026, 9, 30), 5, 3)
    assert d.publicity.dates == dates("2026-10-08", "2026-10-09", "2026-10-10", "2026-10-11", "2026-10-13")
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
    d = publicity_and_appeal(date(2026, 11, 6), 5, 3)
    # Mon 11-9 is off by the file: Tue 11-10 .. Mon 11-16.
    assert d.publicity.first == date(2026, 11, 10) and d.publicity.last == date(2026, 11, 16)
