"""A real browser on a phone-sized screen: Debian's chromium, headless, driven by Playwright.
It opens the address a slip's QR code encodes, rates, confirms and sees 已提交; a second test
types the code by hand. Screenshots go to /tmp/web-shots/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from db.ballots import shown_code
from tests.support import missing
from tests.web.conftest import Q
from web.addresses import code_address

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path("/tmp/web-shots")


@pytest.fixture
def page():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing("Debian's chromium is not installed (/usr/bin/chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (the test extra)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True, locale="zh-CN")
        pg = context.new_page()
        yield pg
        context.close()
        browser.close()


def rate(page, name: str, label: str) -> None:
    page.locator(".member", has_text=name).get_by_role("button", name=label, exact=True).click()


def test_a_phone_fills_a_ballot_from_the_qr_address(meeting, server, page):
    code = meeting.codes[0]
    page.goto(code_address("127.0.0.1", server.port, code))
    page.get_by_text("优秀 已选").wait_for()
    assert "?c=" not in page.url  # the code left the address bar
    assert page.locator(".member").count() == len(meeting.ids)
    assert page.locator(".member", has_text="预备甲").locator(".tag").inner_text() == "预备党员"
    page.screenshot(path=str(SHOTS / "1-list.png"))
    for name in ("党员00", "党员01", "党员02", "党员03"):
        rate(page, name, "优秀")
    assert "4 / 最多 4" in page.locator("#limit").inner_text()
    rate(page, "党员04", "优秀")  # a fifth: refused with a message
    assert "最多只能评 4 人" in page.locator("#limit-msg").inner_text()
    fifth = page.locator(".member", has_text="党员04").get_by_role("button", name="优秀")
    assert "on" not in (fifth.get_attribute("class") or "").split()
    page.screenshot(path=str(SHOTS / "2-limit.png"))
    rate(page, "党员04", "合格")
    rate(page, "党员05", "基本合格")
    rate(page, "党员06", "不合格")
    rate(page, "预备甲", "优秀")  # a probationary member's 优秀 is outside the limit
    rate(page, "党员07", "合格")
    rate(page, "党员07", "合格")  # tapped again: unrated
    page.screenshot(path=str(SHOTS / "2b-rated-full.png"), full_page=True)
    page.get_by_role("button", name="提交", exact=True).click()
    page.get_by_text("请确认您的测评票").wait_for()
    summary = page.locator("#sum").inner_text()
    assert "优秀\t5 人（含预备党员 1 人）" in summary and "未评\t5 人" in summary
    assert "未评：党员07、党员08" in page.locator("#unrated-names").inner_text()
    page.screenshot(path=str(SHOTS / "3-confirm.png"))
    page.get_by_role("button", name="确认提交").click()
    page.locator("#done-big").get_by_text("已提交").wait_for()
    page.screenshot(path=str(SHOTS / "4-done.png"))
    # Nothing stays on the phone: no cookie, no stored item, the code gone from the history entry.
    assert page.context.cookies() == []
    assert page.evaluate("window.localStorage.length + window.sessionStorage.length") == 0
    assert "?c=" not in page.evaluate("window.location.href")
    state = meeting.store.round_state(Q)
    assert (state.returned, state.spent) == (1, 1)
    meeting.store.close_round(Q)
    counts = meeting.store.ratings_of_quarter(Q)[1]
    assert counts[meeting.ids[0]] == {"优秀": 1} and counts[meeting.ids[-1]] == {"优秀": 1}
    assert meeting.ids[7] not in counts
    # The same slip again: the page says it is spent.
    page.goto(code_address("127.0.0.1", server.port, code))
    page.locator("#msg").get_by_text("本轮测评已结束").wait_for()


def test_a_phone_types_the_code_by_hand(meeting, server, page):
    page.goto(server.ballot_url("127.0.0.1"))
    page.locator("#code").fill("zzzzz zzzzz")
    page.get_by_role("button", name="开始测评").click()
    page.locator("#msg").get_by_text("测评码无效").wait_for()
    page.screenshot(path=str(SHOTS / "5-unknown.png"))
    page.locator("#code").fill(shown_code(meeting.codes[1]).lower().replace("-", " - "))
    page.get_by_role("button", name="开始测评").click()
    page.get_by_text("优秀 已选").wait_for()
    rate(page, "党员03", "不合格")
    page.get_by_role("button", name="提交", exact=True).click()
    page.get_by_role("button", name="确认提交").click()
    page.locator("#done-big").get_by_text("已提交").wait_for()
    page.screenshot(path=str(SHOTS / "6-typed-done.png"))
    assert meeting.store.round_state(Q).returned == 1
    # The spent code typed again on another phone: refused in Chinese.
    page.goto(server.ballot_url("127.0.0.1"))
    page.locator("#code").fill(shown_code(meeting.codes[1]))
    page.get_by_role("button", name="开始测评").click()
    page.locator("#msg").get_by_text("已经提交过").wait_for()
    page.screenshot(path=str(SHOTS / "7-spent.png"))


def test_a_code_typed_in_full_width_is_taken(meeting, server, page):
    """A Chinese input method left in full-width mode types ＡＢＣＤＥ－２３４５６."""
    wide = "".join(chr(ord(ch) + 0xFEE0) for ch in shown_code(meeting.codes[2]).lower())
    page.goto(server.ballot_url("127.0.0.1"))
    page.locator("#code").fill(wide)
    page.get_by_role("button", name="开始测评").click()
    page.get_by_text("优秀 已选").wait_for()
    rate(page, "党员04", "合格")
    page.get_by_role("button", name="提交", exact=True).click()
    page.get_by_role("button", name="确认提交").click()
    page.locator("#done-big").get_by_text("已提交").wait_for()
    assert meeting.store.round_state(Q).returned == 1
