"""Shared test helpers: the project root on sys.path, a real rasa-sdk Tracker built from a few facts, a real
headless browser (Debian's Chromium, driven by Playwright, which downloads nothing), and a check that no test
wrote into data_store/."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rasa_sdk import Tracker  # noqa: E402

from service.settings import Settings  # noqa: E402

# make exports .env to every verb: the tests start from the defaults instead, and set what each needs
for _name in [name for name in os.environ if name.lower() in Settings.__fields__]:
    del os.environ[_name]


def make_tracker(
    intent: str,
    text: str = "",
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    channel: str = "rest",
    extra: Optional[Dict[str, Any]] = None,
) -> Tracker:
    latest = {"intent": {"name": intent, "confidence": 0.9}, "entities": entities or [], "text": text}
    latest.update(extra or {})
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel}]
    return Tracker(
        sender_id="test-user",
        slots=slots or {},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def _data_store() -> Dict[str, tuple]:
    folder = ROOT / "data_store"
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")} if folder.exists() else {}


@pytest.fixture(scope="session", autouse=True)
def data_store_untouched():
    """Tests use temporary folders only: a run that created or changed anything in data_store/ fails."""
    before = _data_store()
    yield
    assert _data_store() == before, "a test wrote into data_store/"


@pytest.fixture
def tracker_factory():
    return make_tracker


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",  # this machine's network is closed: no background connections
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# per module: Playwright's sync API keeps an event loop running while it is open, which would break the asyncio
# tests of other modules in the same pytest run
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
