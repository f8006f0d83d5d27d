"""The locked quarter's two PDFs written by a child process (exports/quarter_documents.py), as
the console's lock does: on the demo's locked 2026Q3, while this process holds the console's
writer lock (the child never asks for it), and refusals as Chinese sentences."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from db.demo import build_demo
from db.engine import database_url, open_engine
from db.store import Store
from db.writer import WriterLock
from exports.quarter_documents import MINUTE, PUBLICITY, DocumentFailed, DocumentWriter


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    build_demo(path)
    return path


def test_both_documents_from_a_child_while_the_writer_lock_is_held(demo_db: Path) -> None:
    seat = WriterLock(demo_db)
    assert seat.try_acquire()
    before = Store(open_engine(demo_db)).change_stamp()
    try:
        with DocumentWriter() as writer:
            minute = writer.write(database_url(demo_db), MINUTE, 2026, 3, demo_db.parent / "m.pdf")
            publicity = writer.write(database_url(demo_db), PUBLICITY, 2026, 3, demo_db.parent / "p.pdf")
        assert seat.held
    finally:
        seat.release()
    assert (minute, publicity) == (demo_db.parent / "m.pdf", demo_db.parent / "p.pdf")
    assert "党员大会会议记录" in PdfReader(minute).metadata.title
    assert "公示" in PdfReader(publicity).metadata.title
    assert Store(open_engine(demo_db)).change_stamp() == before  # the child wrote nothing to the database


def test_an_unusable_font_is_a_chinese_sentence(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = demo_db.parent / "bad.ttf"
    bad.write_bytes(b"no font")
    monkeypatch.setenv("JIFEN_FONT", str(bad))
    with DocumentWriter() as writer, pytest.raises(DocumentFailed, match="字体文件无法使用"):
        writer.write(database_url(demo_db), MINUTE, 2026, 3, demo_db.parent / "m.pdf")
    assert not (demo_db.parent / "m.pdf").exists()


def test_a_place_that_cannot_hold_the_file(demo_db: Path) -> None:
    """The folder named is a file: the OSError comes back as DocumentFailed, not as a crash."""
    with DocumentWriter() as writer, pytest.raises(DocumentFailed):
        writer.write(database_url(demo_db), MINUTE, 2026, 3, demo_db / "m.pdf")
