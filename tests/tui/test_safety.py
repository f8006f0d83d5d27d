"""The console's safety net: an unexpected exception in a handler becomes a Chinese notice and
a line in the log file, is recorded on the app, and the console goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.demo import build_demo
from tui.app import JifenApp
from tui.safety import log_folder
from tui.screens.overview import OverviewScreen

pytestmark = pytest.mark.asyncio


async def test_an_exception_in_a_handler_is_a_notice_not_the_end(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # the user's log folder, here
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "state"))
    path = tmp_path / "demo.db"
    build_demo(path)

    def broken(self: OverviewScreen, delta: int) -> None:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(OverviewScreen, "action_quarter", broken)
    app = JifenApp(path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("left")
        await pilot.pause()
        assert [type(e) for e in app.failures] == [RuntimeError]
        notices = "\n".join(str(t.render()) for t in app.screen.query("Toast"))
        assert "数据未改变" in notices and "RuntimeError" in notices
        # The console goes on: the same screen still takes keys.
        await pilot.press("left", "f3")
        await pilot.pause()
        assert type(app.screen).__name__ == "MembersScreen"
        assert len(app.failures) == 2 and app.is_running
    assert app.return_code in (None, 0)
    log = (log_folder() / "console.log").read_text(encoding="utf-8")
    assert log_folder().is_relative_to(tmp_path)
    assert log.count("RuntimeError: a bug in a handler") == 2 and ", in broken" in log
