"""The inbox's Content report page: staff only, the same figures as `make report`, read from the configured
tracker store (a real SQLite file written by Rasa's SQL tracker store), texts masked and shown as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox.app import create_app
from inbox.content_report import chosen_days
from tests.inbox.support import Client, inbox_settings
from tests.report.support import Conversation, save


@pytest.fixture
def report_client(tmp_path: Path) -> Client:
    asked = Conversation("asked").says("side effects?", "ask_side_effects").answers("ask_side_effects")
    asked.feedback(False, "ask_side_effects").says(
        "<b>rash</b> on my arms, mail me at a.b@example.com", "ask_side_effects"
    )
    asked.answers("ask_side_effects")
    lost = Conversation("lost").says("blorp zanq fimble", "nlu_fallback").does("action_default_fallback")
    old = Conversation("old", days_ago=45).says("too old to show", "out_of_scope")
    db = save(tmp_path / "trackers.db", asked, lost, old)
    return Client(create_app(inbox_settings(tmp_path, tracker_db=str(db))))


def test_the_content_report_is_for_signed_in_staff_only(report_client: Client):
    response = report_client.request("get", "/content-report")
    assert response.status == 303 and response.headers["location"] == "/sign-in"


def test_the_content_report_shows_reasons_feedback_per_topic_and_masked_messages(report_client: Client):
    assert report_client.sign_in().status == 303
    page = report_client.request("get", "/content-report", params={"days": "30"})
    assert page.status == 200
    text = page.text
    assert '<tr data-topic="ask_side_effects"><td>Side effects</td><td>2</td><td>0</td><td>1</td><td>0%</td>' in text
    assert "blorp zanq fimble" in text and "not understood (fell back)" in text
    assert "a.b@example.com" not in text and "[email]" in text
    assert "<b>rash</b>" not in text and "&lt;b&gt;rash&lt;/b&gt;" in text  # shown as text, never as HTML
    assert "too old to show" not in text  # beyond retention
    assert "<script" not in text  # no script on the report (only the tickets page reloads itself, from a file)
    assert "unsafe-inline" not in page.headers["content-security-policy"]


@pytest.mark.parametrize("value,days", [(None, 7), ("3", 3), ("0", 1), ("900", 30), ("x", 7)])
def test_the_days_stay_within_retention(value, days):
    assert chosen_days(value, 30) == days
