"""The web chat widget in a real browser (Debian's Chromium, driven by Playwright) against the running servers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from actions.content import load_content
from tests.conftest import ROOT

SCREENSHOTS = ROOT / "test-output"
CONTENT = load_content()
BOT_MESSAGES = ".rw-response"
USER_MESSAGES = ".rw-client"
TIMEOUT = 30_000


@pytest.fixture
def page(browser, servers):
    context = browser.new_context(viewport={"width": 1000, "height": 1100})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{servers.web_url}/?server={servers.rasa_url}")
    yield page
    context.close()


def ask(page: Page, text: str) -> None:
    box = page.get_by_label("Type your question")
    box.fill(text)
    box.press("Enter")


def test_the_widget_answers_with_sources_follow_ups_and_keeps_the_history(page: Page):
    greeting = page.locator(BOT_MESSAGES).first
    expect(greeting).to_contain_text("not medical advice", timeout=TIMEOUT)
    expect(greeting).to_contain_text("1-800-4-CANCER")

    ask(page, "how is immunotherapy given?")
    how_given = CONTENT.topics["ask_how_given"]
    answer = page.locator(BOT_MESSAGES, has_text="Intravenous (IV)")
    expect(answer).to_be_visible(timeout=TIMEOUT)
    # Rasa's socketio channel sends each paragraph as its own message: the source comes after the answer
    link = page.locator(f'{BOT_MESSAGES} a[href="{how_given.answer.source.url}"]').last
    expect(link).to_have_attribute("target", "_blank", timeout=TIMEOUT)

    follow_up = CONTENT.topics[how_given.follow_ups[0]]
    page.locator(".rw-reply", has_text=follow_up.title).last.click()
    first_words = follow_up.answer.web.split(".")[0]
    expect(page.locator(BOT_MESSAGES, has_text=first_words)).to_be_visible(timeout=TIMEOUT)

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget.png"), full_page=True)

    page.reload()
    expect(page.locator(BOT_MESSAGES, has_text="Intravenous (IV)")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(BOT_MESSAGES, has_text=first_words)).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "widget-after-reload.png"), full_page=True)


def test_the_widget_works_with_the_keyboard_alone(page: Page):
    expect(page.locator(BOT_MESSAGES).first).to_contain_text("not medical advice", timeout=TIMEOUT)
    page.keyboard.press("Tab")
    for _ in range(30):  # tab through the page until the question box has the focus
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Type your question":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("what are the side effects")
    page.keyboard.press("Enter")
    side_effects = CONTENT.topics["ask_side_effects"]
    expect(page.locator(BOT_MESSAGES, has_text="revved up")).to_be_visible(timeout=TIMEOUT)

    expect(page.locator(".rw-reply", has_text=CONTENT.topics[side_effects.follow_ups[0]].title)).to_be_visible()
    for _ in range(30):  # shift-tab back from the question box to the first follow-up and press Enter
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.textContent") == CONTENT.topics[side_effects.follow_ups[0]].title:
            break
    page.keyboard.press("Enter")
    follow_up = CONTENT.topics[side_effects.follow_ups[0]]
    expect(page.locator(BOT_MESSAGES, has_text=follow_up.answer.web.split(".")[0])).to_be_visible(timeout=TIMEOUT)


def test_what_a_person_types_is_never_rendered_as_html(page: Page):
    expect(page.locator(BOT_MESSAGES).first).to_be_visible(timeout=TIMEOUT)
    attack = "<img src=x onerror=alert(1)>"
    ask(page, attack)
    expect(page.locator(USER_MESSAGES, has_text=attack)).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(BOT_MESSAGES)).to_have_count(2, timeout=TIMEOUT)
    assert page.locator(".rw-messages-container img[src='x']").count() == 0
    assert page.dialogs == []
    assert re.search(re.escape(attack), page.locator(USER_MESSAGES).last.inner_text())
