"""The inbox pages (sign-in, tickets, Content report) in real Chromium: no serious or critical axe-core
violations."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.a11y.axe import blocking
from tests.inbox.support import PASSWORD, STAFF, make_ticket

TIMEOUT = 10_000


def test_the_inbox_pages_have_no_serious_violations(browser, inbox_process):
    assert inbox_process.post(make_ticket(priority="urgent", reason="urgent_symptom")).status_code == 201
    # the pages allow no scripts (Content-Security-Policy): axe is let in for the test only
    context = browser.new_context(viewport={"width": 1000, "height": 1200}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(inbox_process.url + "/sign-in")
        assert blocking(page) == [], "sign-in"
        page.get_by_label("Name").fill(STAFF)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("article.ticket")).to_have_count(1, timeout=TIMEOUT)
        # the tickets page reloads itself (urgent tickets must not wait for a click) by a script staff can stop
        # (WCAG 2.2.1), not by a <meta> refresh, which nobody could stop
        assert blocking(page) == [], "tickets"
        page.get_by_role("link", name="stop refreshing").click()
        expect(page.get_by_role("link", name="refresh every 15 seconds")).to_be_visible(timeout=TIMEOUT)
        assert blocking(page) == [], "tickets, refresh stopped"
        page.get_by_role("link", name="Content report").click()
        expect(page.get_by_role("heading", name="Content report")).to_be_visible(timeout=TIMEOUT)
        assert blocking(page) == [], "content report"
    finally:
        context.close()
