"""The demo page with the widget open, a conversation with follow-up buttons and the feedback control, in real
Chromium: no serious or critical axe-core violations, the feedback control used with the keyboard alone, new bot
messages in a live region, and the feedback counted per topic by the report."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from actions.content import load_content
from tests.a11y.axe import blocking
from tests.conftest import ROOT
from tests.e2e.conftest import LOGS
from tests.e2e.test_web_widget import BOT_MESSAGES, SCREENSHOTS, TIMEOUT, ask

CONTENT = load_content()
FEEDBACK = ".ia-feedback"


@pytest.fixture
def page(browser, servers):
    context = browser.new_context(viewport={"width": 1000, "height": 1100})
    page = context.new_page()
    page.goto(f"{servers.web_url}/?server={servers.rasa_url}")
    expect(page.locator(BOT_MESSAGES).first).to_contain_text("not medical advice", timeout=TIMEOUT)
    yield page
    context.close()


def tab_to(page: Page, name: str, limit: int = 60) -> None:
    """Press Tab until the element named `name` (its text or label) has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(document.activeElement.getAttribute('aria-label') || document.activeElement.textContent || '').trim()"
        )
        if focused == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_the_demo_page_with_a_conversation_and_feedback_has_no_serious_violations(page: Page):
    ask(page, "what are the side effects")
    expect(page.locator(BOT_MESSAGES, has_text="revved up")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".rw-reply").first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(FEEDBACK).get_by_role("button", name="Helpful", exact=True)).to_be_visible(timeout=TIMEOUT)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-feedback.png"), full_page=True)
    assert blocking(page) == []


def test_new_bot_messages_are_in_a_live_region(page: Page):
    log = page.locator(".rw-messages-container")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(log).to_have_attribute("role", "log")
    ask(page, "how is immunotherapy given?")
    expect(log.locator(BOT_MESSAGES, has_text="Intravenous (IV)")).to_be_visible(timeout=TIMEOUT)


def test_feedback_with_the_keyboard_alone_is_counted_per_topic(page: Page, servers, tmp_path):
    tab_to(page, "Type your question")
    page.keyboard.type("what are the side effects")
    page.keyboard.press("Enter")
    expect(page.locator(BOT_MESSAGES, has_text="revved up")).to_be_visible(timeout=TIMEOUT)
    bar = page.locator(FEEDBACK)
    expect(bar).to_contain_text(f"\u201c{CONTENT.topics['ask_side_effects'].title}\u201d", timeout=TIMEOUT)
    expect(bar.get_by_role("group", name="Was the answer")).to_be_visible()
    tab_to(page, "Not helpful")
    page.keyboard.press("Enter")
    expect(page.locator(BOT_MESSAGES, has_text="What were you looking for?")).to_be_visible(timeout=TIMEOUT)
    expect(bar.get_by_role("status")).to_contain_text("Thank you")
    # the focus went back to the question box: the person types what they were looking for
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Type your question"
    before = page.locator(BOT_MESSAGES).count()
    page.keyboard.type("whether the rash comes back after stopping")
    page.keyboard.press("Enter")
    expect(page.locator(".rw-client", has_text="rash comes back")).to_be_visible(timeout=TIMEOUT)
    # a reply came: the message is in the tracker store
    page.wait_for_function(f"document.querySelectorAll('{BOT_MESSAGES}').length > {before}", timeout=TIMEOUT)

    out = tmp_path / "reports"
    done = subprocess.run(
        [sys.executable, "-m", "report", "--db", str(LOGS / "rasa-trackers.db"), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = (out / "summary.md").read_text()
    row = next(line for line in summary.splitlines() if "(`ask_side_effects`)" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert int(cells[3]) >= 1, row  # not helpful
    unanswered = (out / "unanswered.csv").read_text()
    assert "whether the rash comes back after stopping" in unanswered
    line = next(x for x in unanswered.splitlines() if "rash comes back" in x)
    assert ",not_helpful,ask_side_effects" in line and ",socketio," in line


def test_the_feedback_control_is_never_among_the_follow_up_buttons(page: Page):
    ask(page, "what are the side effects")
    expect(page.locator(FEEDBACK).get_by_role("button", name="Helpful", exact=True)).to_be_visible(timeout=TIMEOUT)
    replies = page.locator(".rw-reply").all_inner_texts()
    assert "Helpful" not in replies and "Not helpful" not in replies
