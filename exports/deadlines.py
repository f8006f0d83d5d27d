"""Working days for the publicity notice: the 公示期 counted in Chinese working days.

The branch posts the figures for N working days (the scheme's ``process.publicity_days``)
from the posting: a given posting date, or else the first working day after the meeting.
Objections are answered within a number of working days of receiving them (and a 复议 within
its own): deadlines counted from a member's act, not windows with dates, so only the
publicity itself is dated here.

Working days come from chinesecalendar, which knows the State Council's holidays and make-up
working days (调休) for the years it was released with. A later year is estimated by the
statutory rules (《全国年节及纪念日放假办法》): 元旦 1 January, 春节 除夕 to 初三, 清明 (the
solar term), 劳动节 1-2 May, 端午 (5/5 lunar), 中秋 (8/15 lunar), 国庆 1-3 October, and a
holiday falling on a Saturday or Sunday given back on the next working day (补假); the lunar
dates and the solar term come from python-holidays. Such a year is reported in
``estimated_years`` so the form can say its dates are 预计. 1 January is never a working day.

A small user-editable ``holidays.toml`` overrides both, for a year not yet published or for a
unit's own arrangement::

    # 本单位补充的节假日与调休上班日
    holidays = [2027-02-04]
    workdays = [2027-02-20]

Everything here is pure except `WorkCalendar.from_file`, which reads that file.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import chinese_calendar
import holidays as holiday_rules
import platformdirs

from core.toml import loads as toml_loads
from core.toml import tomllib

HOLIDAYS_FILE = "holidays.toml"
_KEYS = ("holidays", "workdays")
_ONE_DAY = dt.timedelta(days=1)


class HolidaysFileError(ValueError):
    """holidays.toml cannot be used; the message names the file and the key."""

    def __init__(self, path: Path, key: str | None, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        super().__init__(f"{path}: {key}: {problem}" if key else f"{path}: {problem}")


def default_holidays_path() -> Path:
    """Where the console looks for holidays.toml: the user's jifen config folder."""
    return platformdirs.user_config_path("jifen", appauthor=False) / HOLIDAYS_FILE


def chinese_date(day: dt.date) -> str:
    """2026年10月9日 — no leading zeros, as written on the forms."""
    return f"{day.year}年{day.month}月{day.day}日"


def _read_days(path: Path, data: dict, key: str) -> frozenset[dt.date]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise HolidaysFileError(path, key, f"应为日期列表，如 {key} = [2027-01-01, 2027-02-08]")
    days = set()
    for i, item in enumerate(value):
        # A TOML datetime parses to datetime, a date subclass: refuse it rather than drop the time.
        if isinstance(item, dt.datetime) or not isinstance(item, dt.date):
            hint = "（日期不加引号，写作 2027-01-01）" if isinstance(item, str) else ""
            raise HolidaysFileError(path, f"{key}[{i}]", f"不是日期：{item!r}{hint}")
        days.add(item)
    return frozenset(days)


def load_extra_days(path: Path) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(holidays, workdays) from a holidays.toml; a missing file gives none of either."""
    try:
        with open(path, "rb") as f:
            data = toml_loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        return frozenset(), frozenset()
    except tomllib.TOMLDecodeError as e:
        raise HolidaysFileError(path, None, f"不是有效的 TOML（{e}）") from e
    except UnicodeDecodeError as e:
        raise HolidaysFileError(path, None, "不是 UTF-8 编码的文本文件") from e
    except OSError as e:
        raise HolidaysFileError(path, None, f"无法读取（{e.strerror or e}）") from e
    for key in data:
        if key not in _KEYS:
            # Most likely a misspelt key: ignoring it would silently drop the user's days.
            raise HolidaysFileError(path, key, "未知的键（只能是 holidays 或 workdays）")
    holidays = _read_days(path, data, "holidays")
    workdays = _read_days(path, data, "workdays")
    both = sorted(holidays & workdays)
    if both:
        raise HolidaysFileError(path, "workdays", f"{both[0].isoformat()} 同时列在 holidays 中")
    new_year = sorted(d for d in workdays if _is_new_year(d))
    if new_year:
        raise HolidaysFileError(path, "workdays",
                                f"{new_year[0].isoformat()} 是元旦，每年都是法定节假日，不能列为工作日")
    return holidays, workdays


def _is_new_year(day: dt.date) -> bool:
    return day.month == 1 and day.day == 1


@lru_cache(maxsize=16)
def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The statutory holidays of `year` by the rules alone, with their names (元旦, 春节 …),
    before any 补假: what every year's arrangement is built around."""
    return dict(holiday_rules.China(years=year, observed=False, language="zh_CN").items())


@lru_cache(maxsize=16)
def estimated_days(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(days off, weekend working days) of `year` as estimated by the rules: the statutory
    holidays and, for one that falls on a Saturday or Sunday, a 补假 on the next working day.
    Where python-holidays already carries a published arrangement it gives that one (its
    make-up working days too)."""
    rules = holiday_rules.China(years=year, language="zh_CN")
    off = frozenset(d for d in rules if d.year == year)
    on = frozenset(d for d in getattr(rules, "weekend_workdays", ()) if d.year == year)
    return off, on - off


@dataclass(frozen=True, slots=True)
class Window:
    """A run of working days: `first` to `last`, `days` of them (`dates`)."""

    first: dt.date
    last: dt.date
    days: int
    dates: tuple[dt.date, ...]
    assumed_years: frozenset[int]  # estimated by the holiday rules: the arrangement is not yet published

    @property
    def estimated(self) -> bool:
        return bool(self.assumed_years)

    def span(self) -> str:
        """2026年9月28日至2026年10月9日, with （预计） when it rests on an estimate."""
        text = chinese_date(self.first)
        if self.last != self.first:
            text += f"至{chinese_date(self.last)}"
        return text + ("（预计）" if self.estimated else "")

    def text(self, label: str) -> str:
        """公示期：2026年10月9日至2026年10月15日（5个工作日）"""
        span = chinese_date(self.first)
        if self.last != self.first:
            span += f"至{chinese_date(self.last)}"
        return f"{label}：{span}（{self.days}个工作日{'，预计' if self.estimated else ''}）"


def estimate_note(years: Iterable[int]) -> str | None:
    """The sentence for the form's readers when dates rest on an estimate, or None."""
    years = sorted(set(years))
    if not years:
        return None
    which = "、".join(f"{y}年" for y in years)
    return f"{which}法定节假日安排尚未公布，以上日期按节假日规则预计，如有调整以国务院公布为准。"


@dataclass(frozen=True, slots=True)
class Publicity:
    """The 公示期 of one notice: posted from `start` (a working day or the next one) for
    `window.days` working days."""

    start: dt.date
    window: Window
    note: str | None  # for the form's readers: set when a date rests on an estimate
    console_note: str | None  # for the secretary: the same, and where to correct it

    @property
    def estimated_years(self) -> frozenset[int]:
        return self.window.assumed_years

    def sentence(self) -> str:
        """公示期为5个工作日，自2026年9月28日至2026年10月9日"""
        return f"公示期为{self.window.days}个工作日，自{self.window.span()}"


class WorkCalendar:
    """Chinese working days: chinesecalendar, the rules for unpublished years, overridden by
    the extra days given."""

    def __init__(self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = (),
                 source: Path | None = None) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.source = source  # the holidays.toml these came from, for messages
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"{min(both).isoformat()} 同时是节假日和工作日")
        new_year = sorted(d for d in self.workdays if _is_new_year(d))
        if new_year:
            raise ValueError(f"{new_year[0].isoformat()} 是元旦，每年都是法定节假日，不能列为工作日")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None = None) -> WorkCalendar:
        """Read holidays.toml at `path` (default: `default_holidays_path()`); missing is fine."""
        path = default_holidays_path() if path is None else Path(path)
        holidays, workdays = load_extra_days(path)
        return cls(holidays, workdays, path)

    def _decide(self, day: dt.date) -> tuple[bool, bool]:
        """(is a working day, rests on the estimate for its year)."""
        try:
            official = chinese_calendar.is_workday(day)
            estimated = False
        except NotImplementedError:
            # chinesecalendar has no data for this year: its arrangement is not yet published.
            off, on = estimated_days(day.year)
            official = day in on or (day.weekday() < 5 and day not in off)
            estimated = True
        if day in self.workdays:
            return True, estimated
        if day in self.holidays or _is_new_year(day):
            return False, estimated
        return official, estimated

    def is_workday(self, day: dt.date) -> bool:
        return self._decide(day)[0]

    def is_assumed(self, day: dt.date) -> bool:
        """Whether `day`'s year is not yet published, so its working days are estimated."""
        return self._decide(day)[1]

    def _count(self, start: dt.date, n: int) -> tuple[list[dt.date], set[int]]:
        """The first `n` working days on or after `start`, and the years estimated on the way."""
        found: list[dt.date] = []
        estimated: set[int] = set()
        day = start
        while len(found) < n:
            work, guess = self._decide(day)
            if guess:
                # Skipped days count too: an estimated holiday could have moved the window.
                estimated.add(day.year)
            if work:
                found.append(day)
            day += _ONE_DAY
        return found, estimated

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (`start` itself not counted); n = 0 gives `start`."""
        if n < 0:
            raise ValueError(f"工作日数不能为负：{n}")
        if n == 0:
            return start
        return self._count(start + _ONE_DAY, n)[0][-1]

    def window(self, start_day: dt.date, n: int) -> Window:
        """n working days from the first working day on or after `start_day` (`start_day` counts).

        For a window that follows an event, pass the day after it: `publicity` passes the day
        after the meeting.
        """
        if n < 1:
            raise ValueError(f"期限至少为1个工作日：{n}")
        dates, estimated = self._count(start_day, n)
        return Window(dates[0], dates[-1], n, tuple(dates), frozenset(estimated))

    def console_note(self, years: Iterable[int]) -> str | None:
        """For the secretary: which years were estimated, and where to put the real days."""
        years = sorted(set(years))
        if not years:
            return None
        name = self.source.name if self.source is not None else HOLIDAYS_FILE
        which = "、".join(f"{y}年" for y in years)
        if any(d.year in years for d in self.holidays | self.workdays):
            return f"{which}法定节假日尚未公布，除 {name} 中补充的日期外，按节假日规则预计。"
        return f"{which}法定节假日尚未公布，按节假日规则预计；国务院公布后可在 {name} 中补充。"

    def publicity(self, days: int, meeting_day: dt.date | None = None, posted: dt.date | None = None) -> Publicity:
        """The 公示期: `days` working days from `posted` (or the first working day after it), or
        from the first working day after `meeting_day` when no posting date is given."""
        if posted is None:
            if meeting_day is None:
                raise ValueError("公示期需要会议日期或张贴日期")
            start = meeting_day + _ONE_DAY
        else:
            if meeting_day is not None and posted < meeting_day:
                raise ValueError(f"张贴日期 {chinese_date(posted)} 早于党员大会 {chinese_date(meeting_day)}")
            start = posted
        window = self.window(start, days)
        return Publicity(start, window, estimate_note(window.assumed_years), self.console_note(window.assumed_years))


def publicity(days: int, meeting_day: dt.date | None = None, posted: dt.date | None = None, *,
              calendar: WorkCalendar | None = None) -> Publicity:
    """`WorkCalendar.publicity` on `calendar`, or on the user's holidays.toml."""
    calendar = WorkCalendar.from_file() if calendar is None else calendar
    return calendar.publicity(days, meeting_day, posted)
