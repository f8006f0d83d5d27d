"""Working-day deadlines for the publicity form: 公示期, 申诉期 and 复议期.

After a meeting the branch posts the publicity form for N Chinese working days,
members may then appeal within M working days and the review answers within K
(the scheme's ``process.publicity_days``, ``appeal_days`` and ``review_days``).

Working days come from chinesecalendar, which knows the State Council's holidays
and make-up working days (调休) for the years it was released with. For a later
year it has no data, so that year is counted Monday to Friday and reported in
``assumed_years``, so the form and the console can say the dates may move.

A small user-editable ``holidays.toml`` overrides both, for a year not yet
published or for a unit's own arrangement::

    # 本单位补充的节假日与调休上班日
    holidays = [2027-01-01, 2027-02-08]
    workdays = [2027-02-14]

Everything here is pure except `WorkCalendar.from_file` and the module-level
`publicity_and_appeal`, which read that file.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import chinese_calendar
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
    return holidays, workdays


@dataclass(frozen=True, slots=True)
class Window:
    """A run of working days: `first` to `last`, `days` of them (`dates`)."""

    first: dt.date
    last: dt.date
    days: int
    dates: tuple[dt.date, ...]
    assumed_years: frozenset[int]  # counted Monday-Friday: official holidays not known

    def text(self, label: str) -> str:
        """公示期：2026年10月9日至2026年10月15日（5个工作日）"""
        span = chinese_date(self.first)
        if self.last != self.first:
            span += f"至{chinese_date(self.last)}"
        return f"{label}：{span}（{self.days}个工作日）"


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The windows after one meeting and the sentences the form prints for them."""

    meeting_day: dt.date
    publicity: Window
    appeal: Window | None
    review: Window | None
    publicity_text: str
    appeal_text: str | None
    review_text: str | None
    assumed_years: frozenset[int]
    note: str | None  # set when any year was counted Monday-Friday

    def lines(self) -> list[str]:
        """The sentences in form order, the note last."""
        out = [self.publicity_text, self.appeal_text, self.review_text, self.note]
        return [line for line in out if line]


class WorkCalendar:
    """Chinese working days: chinesecalendar, overridden by the extra days given."""

    def __init__(self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = (),
                 source: Path | None = None) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.source = source  # the holidays.toml these came from, for messages
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"{min(both).isoformat()} 同时是节假日和工作日")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None = None) -> WorkCalendar:
        """Read holidays.toml at `path` (default: `default_holidays_path()`); missing is fine."""
        path = default_holidays_path() if path is None else Path(path)
        holidays, workdays = load_extra_days(path)
        return cls(holidays, workdays, path)

    def _decide(self, day: dt.date) -> tuple[bool, bool]:
        """(is a working day, counted by the Monday-Friday assumption for its year)."""
        try:
            official = chinese_calendar.is_workday(day)
            assumed = False
        except NotImplementedError:
            # chinesecalendar has no data for this year: the holidays are not yet published.
            official = day.weekday() < 5
            assumed = True
        if day in self.workdays:
            return True, assumed
        if day in self.holidays:
            return False, assumed
        return official, assumed

    def is_workday(self, day: dt.date) -> bool:
        return self._decide(day)[0]

    def is_assumed(self, day: dt.date) -> bool:
        """Whether `day`'s year has no official data, so is counted Monday-Friday."""
        return self._decide(day)[1]

    def _count(self, start: dt.date, n: int) -> tuple[list[dt.date], set[int]]:
        """The first `n` working days on or after `start`, and the years assumed on the way."""
        found: list[dt.date] = []
        assumed: set[int] = set()
        day = start
        while len(found) < n:
            work, guess = self._decide(day)
            if guess:
                # Skipped days count too: a guessed weekday could have moved the window.
                assumed.add(day.year)
            if work:
                found.append(day)
            day += _ONE_DAY
        return found, assumed

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (`start` itself not counted); n = 0 gives `start`."""
        if n < 0:
            raise ValueError(f"工作日数不能为负：{n}")
        if n == 0:
            return start
        return self._count(start + _ONE_DAY, n)[0][-1]

    def window(self, start_day: dt.date, n: int) -> Window:
        """n working days from the first working day on or after `start_day` (`start_day` counts).

        For a window that follows an event, pass the day after it: `publicity_and_appeal`
        passes the day after the meeting.
        """
        if n < 1:
            raise ValueError(f"期限至少为1个工作日：{n}")
        dates, assumed = self._count(start_day, n)
        return Window(dates[0], dates[-1], n, tuple(dates), frozenset(assumed))

    def assumed_note(self, years: Iterable[int]) -> str | None:
        """The sentence saying which years were counted Monday-Friday, or None."""
        years = sorted(set(years))
        if not years:
            return None
        name = self.source.name if self.source is not None else HOLIDAYS_FILE
        which = "、".join(f"{y}年" for y in years)
        if any(d.year in years for d in self.holidays | self.workdays):
            return f"{which}法定节假日尚未公布，除 {name} 中补充的日期外，暂按周一至周五计算工作日。"
        return f"{which}法定节假日尚未公布，暂按周一至周五计算工作日；可在 {name} 中补充。"

    def publicity_and_appeal(self, meeting_day: dt.date, publicity_days: int,
                             appeal_days: int | None, review_days: int | None = None) -> Deadlines:
        """Publicity from the first working day after the meeting day; then appeal, then review.

        Each window starts on the first working day after the previous one's last day.
        `appeal_days` may be None for a scheme without an appeal step; a review needs one.
        """
        if review_days is not None and appeal_days is None:
            raise ValueError("有复议期必须先有申诉期")
        publicity = self.window(meeting_day + _ONE_DAY, publicity_days)
        appeal = review = None
        if appeal_days is not None:
            appeal = self.window(publicity.last + _ONE_DAY, appeal_days)
        if review_days is not None and appeal is not None:
            review = self.window(appeal.last + _ONE_DAY, review_days)
        windows = [w for w in (publicity, appeal, review) if w is not None]
        assumed = frozenset().union(*(w.assumed_years for w in windows))
        return Deadlines(
            meeting_day=meeting_day,
            publicity=publicity,
            appeal=appeal,
            review=review,
            publicity_text=publicity.text("公示期"),
            appeal_text=appeal.text("申诉期") if appeal else None,
            review_text=review.text("复议期") if review else None,
            assumed_years=assumed,
            note=self.assumed_note(assumed),
        )


def publicity_and_appeal(meeting_day: dt.date, publicity_days: int, appeal_days: int | None,
                         review_days: int | None = None, *,
                         calendar: WorkCalendar | None = None) -> Deadlines:
    """`WorkCalendar.publicity_and_appeal` on `calendar`, or on the user's holidays.toml."""
    calendar = WorkCalendar.from_file() if calendar is None else calendar
    return calendar.publicity_and_appeal(meeting_day, publicity_days, appeal_days, review_days)
