"""The console's safety net: an unexpected exception in a handler never ends the meeting.

Textual ends the app on any exception a handler raises (`App._handle_exception`), and the
message loop of the widget or screen that raised it stops (`MessagePump._process_messages_loop`
breaks). Our own pumps (the app, every screen and dialog) therefore catch what their handlers
raise where Textual dispatches to them (`_dispatch_message`, and the callbacks run after a
message, `_flush_next_callbacks`); the app's `_handle_exception` is the backstop for the rest
(Textual's widgets, timers, workers). Each failure becomes a short Chinese notice, a line in the
log file and an entry in `app.failures`, so tests can fail on it.
"""

from __future__ import annotations

import contextlib
import datetime
import traceback
from pathlib import Path
from typing import Any

from textual.message import Message

NOTICE = "这一步没有完成，数据未改变。请重试；如再次出现，请联系管理员（详情已记入日志）。"


def log_folder() -> Path:
    from platformdirs import user_log_path

    return user_log_path("jifen", appauthor=False)


def write_log(error: BaseException) -> Path | None:
    """Append the traceback to the console's log file; None when the folder cannot be written."""
    path = log_folder() / "console.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"--- {datetime.datetime.now().isoformat(timespec='seconds')}\n")
            f.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
    except OSError:
        return None
    return path


class Failures:
    """Mixed into the app: records, logs and shows a failure instead of exiting."""

    failures: list[BaseException]
    # Set once the first page is up: before that a failure ends the app as Textual does
    # (a console that cannot start must say so, not sit empty).
    safety_net = False

    def report_failure(self, error: Exception) -> bool:
        """Record, log and show `error`; False (nothing done) while the console is starting."""
        if not self.safety_net:
            return False
        self.failures.append(error)
        write_log(error)
        notify: Any = getattr(self, "notify")  # noqa: B009 - a mixin: the app provides it
        with contextlib.suppress(Exception):  # the notice itself must never raise again
            notify(NOTICE, title=f"出错（{error.__class__.__name__}）", severity="error", timeout=10, markup=False)
        return True


class SafeHandlers:
    """Mixed into our screens, dialogs and the app (before the Textual class): a handler's
    exception is reported, the pump goes on with its next message."""

    async def _dispatch_message(self, message: Message) -> None:
        try:
            await super()._dispatch_message(message)  # type: ignore[misc]
        except Exception as error:
            _report(self, error)


def _report(pump: Any, error: Exception) -> None:
    app = pump if isinstance(pump, Failures) else pump.app
    if not (isinstance(app, Failures) and app.report_failure(error)):
        raise error
