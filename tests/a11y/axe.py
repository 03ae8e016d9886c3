"""axe-core (tests/a11y/package.json, pinned; `make test-a11y` installs it) run in the page under test."""

from __future__ import annotations

from typing import Dict, List

from playwright.sync_api import Page

from tests.conftest import ROOT

AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def violations(page: Page) -> List[Dict]:
    """axe's violations on the page as it is now (WCAG 2.x A and AA rules and best practices)."""
    assert AXE.exists(), f"{AXE} is missing: `make test-a11y` installs it (npm ci in tests/a11y)"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary)}))"""
    )


def blocking(page: Page) -> List[Dict]:
    return [v for v in violations(page) if v["impact"] in BLOCKING]
