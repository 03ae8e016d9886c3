"""The staff page in a real browser (Debian's Chromium, driven by Playwright): the sign-in, urgent first, no
script runs, and Mark handled takes a ticket off the open list."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.conftest import ROOT
from tests.inbox.support import PASSWORD, STAFF, InboxProcess, make_ticket

SCREENSHOT = ROOT / "test-output" / "inbox.png"
TIMEOUT = 10_000


def test_staff_sign_in_see_the_urgent_ticket_first_and_mark_it_handled(browser, inbox_process: InboxProcess):
    inbox = inbox_process
    routine = make_ticket(priority="routine", created_at="2026-11-26T09:00:00Z")
    urgent = make_ticket(
        priority="urgent",
        reason="urgent_symptom",
        created_at="2026-11-26T15:00:00Z",  # newer than the routine one: urgency comes before age
        last_messages=["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "I can't breathe well"],
        next_step="Call back now; if no answer, follow the emergency procedure.",
    )
    for ticket in (routine, urgent):
        assert inbox.post(ticket).status_code == 201

    headers = {"Authorization": f"Bearer {inbox.token}"}
    context = browser.new_context(viewport={"width": 1000, "height": 1200})
    page = context.new_page()
    dialogs, console_errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    try:
        page.goto(inbox.url + "/")
        assert page.url == inbox.url + "/sign-in"
        page.get_by_label("Name").fill(STAFF)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("Wrong name or password.", timeout=TIMEOUT)
        assert [error for error in console_errors if "401" not in error] == []  # the refused sign-in's status
        console_errors.clear()
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".staff-name")).to_have_text(STAFF, timeout=TIMEOUT)
        open_tickets = page.locator("#open article.ticket")
        expect(open_tickets).to_have_count(2, timeout=TIMEOUT)
        first = open_tickets.first
        expect(first.locator("h3")).to_have_text(urgent["reference"])
        expect(first.locator(".label.urgent")).to_have_text("URGENT")
        expect(first.locator(".label.urgent")).to_have_css("background-color", "rgb(179, 0, 27)")  # the CSS loaded
        expect(first.locator(".messages li").first).to_have_text("<img src=x onerror=alert(1)>")
        expect(first.locator(".messages li").nth(1)).to_have_text("<script>alert(1)</script>")
        expect(open_tickets.nth(1).locator("h3")).to_have_text(routine["reference"])
        # nothing people wrote became an element: the one script is the page's own reload, from a file
        assert page.locator("img").count() == 0
        assert page.locator("script").count() == 1 and page.locator('script[src="/refresh.js"]').count() == 1
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        first.get_by_role("button", name="Mark handled").click()
        expect(page.locator("#open article.ticket")).to_have_count(1, timeout=TIMEOUT)
        expect(page.locator("#open article.ticket h3")).to_have_text(routine["reference"])
        expect(page.locator("#handled")).to_contain_text(urgent["reference"])
        assert page.url == inbox.url + "/"
        assert dialogs == []
        assert console_errors == []
    finally:
        context.close()
    listed = requests.get(f"{inbox.url}/tickets", params={"status": "handled"}, headers=headers, timeout=10).json()
    assert [(t["reference"], t["handled_by"]) for t in listed] == [(urgent["reference"], STAFF)]
