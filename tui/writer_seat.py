"""The console's seat at the database: the writer, or a reader while another console writes.

A console that finds the writer lock (db.writer) taken opens read-only: its store refuses every
write with a sentence naming the holder, and the title line says who holds the database and
since when. Every few seconds a worker thread tries the lock again (a lock attempt is a system
call, or one query to the server, nothing is written to the database); once the holder has gone,
crashed or closed, this console becomes the writer and says so. Meanwhile it follows the writer:
when the audit log has grown, the page shown is redrawn (a second screen on the meeting stays live).
"""

from __future__ import annotations

import os

from textual.app import App

from db.store import Store
from db.writer import Holder, WriterLock, read_only_line, refusal


def poll_seconds() -> float:
    """How often a read-only console tries the lock (JIFEN_WRITER_POLL; tests make it short)."""
    try:
        return max(0.1, float(os.environ.get("JIFEN_WRITER_POLL", "2")))
    except ValueError:
        return 2.0


class WriterSeat:
    def __init__(self, store: Store, db: str | os.PathLike[str] | None) -> None:
        from db.engine import database_url

        self.store = store
        self.lock = WriterLock(database_url(db))
        self.holder: Holder | None = None
        self.take()
        self.stamp = store.change_stamp()

    @property
    def read_only(self) -> bool:
        return not self.lock.held

    @property
    def line(self) -> str:
        """The title line's words while read-only."""
        return read_only_line(self.holder) if self.read_only else ""

    def take(self) -> bool:
        """Try to become the writer; true when this console now is. Safe from a worker thread."""
        if self.lock.try_acquire():
            self.holder = None
            self.store.read_only = ""
            return True
        self.holder = self.lock.holder()
        self.store.read_only = refusal(self.holder)
        return False

    def release(self) -> None:
        self.lock.release()

    # --- in the app ---------------------------------------------------------------------------------

    def watch(self, app: App) -> None:
        """While read-only, try the lock every few seconds in a worker."""
        if not self.read_only:
            return
        timer = None

        def attempt() -> None:
            before = self.holder
            if self.take():
                app.call_from_thread(took_over)
                return
            stamp = self.store.change_stamp()
            if stamp != self.stamp:  # the writer changed the meeting: show it here too
                self.stamp = stamp
                changed = getattr(app, "changed", None)
                if changed is not None:
                    app.call_from_thread(changed)
            elif self.holder != before:  # another console took over meanwhile: name it
                app.call_from_thread(redraw)

        def redraw() -> None:
            refresh = getattr(app.screen, "refresh_all", None)
            if refresh is not None:
                refresh()

        def took_over() -> None:
            if timer is not None:
                timer.stop()
            app.notify("原来使用此数据库的控制台已关闭，本控制台已接管，现在可以修改", title="已接管", timeout=10)
            changed = getattr(app, "changed", None)
            if changed is not None:
                changed()

        def tick() -> None:
            app.run_worker(attempt, thread=True, exclusive=True, group="writer-seat", exit_on_error=False)

        timer = app.set_interval(poll_seconds(), tick)
