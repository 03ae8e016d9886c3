"""End to end: messages sent over REST to a running Rasa server and action server, then `python -m report` on the
tracker store that server wrote (a real SQLite file): what fell back is listed with its e-mail address masked, and
feedback on an answer is counted per topic."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import LOGS

FELL_BACK = "blorp zanq fimble, write to me at jo.doe@example.org"
DECLINED = "zanq blorp fimble, Dr. Patel"  # not understood (an in-scope-looking name would be out of scope)


def run_report(out: Path) -> Dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "report", "--days", "7", "--db", str(LOGS / "rasa-trackers.db"), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}


def rows(files: Dict[str, str]) -> List[Dict[str, str]]:
    return list(csv.DictReader(files["unanswered.csv"].splitlines()))


@pytest.fixture(scope="module")
def conversations(bot):
    """A message that is not understood, and an answer rated twice (helpful once, not helpful once)."""
    lost = bot.new_sender()
    replies = bot.send(FELL_BACK, lost)
    assert replies, "no reply"
    declined = bot.new_sender()
    assert "Something else" in str(bot.send(DECLINED, declined))  # "Did you mean ...?" or "not sure"
    assert any(
        "say it another way" in r.get("text", "") for r in bot.send("/out_of_scope", declined)
    )  # "Something else"
    happy, unhappy = bot.new_sender(), bot.new_sender()
    for sender, intent in ((happy, "feedback_helpful"), (unhappy, "feedback_not_helpful")):
        bot.send("what side effects can immunotherapy cause", sender)
        reply = bot.send(f'/{intent}{{"feedback_topic": "ask_side_effects"}}', sender)
        if intent == "feedback_not_helpful":
            assert any("What were you looking for?" in r.get("text", "") for r in reply)
            bot.send("what to do about itching at night", sender)
        else:
            assert any("Thank you for telling us" in r.get("text", "") for r in reply)


def test_a_message_that_fell_back_is_listed_with_its_email_masked(conversations, tmp_path):
    files = run_report(tmp_path / "reports")
    listed = [r for r in rows(files) if r["text"].startswith("blorp zanq fimble")]
    assert len(listed) == 1, files["unanswered.csv"]
    row = listed[0]
    assert row["text"] == "blorp zanq fimble, write to me at [email]"
    assert row["reason"] in ("fell_back", "declined_suggestion") and row["channel"] == "rest"
    assert "jo.doe" not in "".join(files.values())


def test_a_declined_did_you_mean_is_listed_as_declined_with_the_name_masked(conversations, tmp_path):
    listed = [r for r in rows(run_report(tmp_path / "reports")) if r["text"].startswith("zanq blorp")]
    assert [(r["text"], r["reason"]) for r in listed] == [("zanq blorp fimble, Dr. [name]", "declined_suggestion")]


def test_feedback_on_an_answer_is_counted_per_topic(conversations, tmp_path):
    files = run_report(tmp_path / "reports")
    line = next(x for x in files["summary.md"].splitlines() if "(`ask_side_effects`)" in x)
    answers, helpful, not_helpful, share = [c.strip() for c in line.strip("|").split("|")][1:5]
    assert int(answers) >= 2 and int(helpful) >= 1 and int(not_helpful) >= 1
    assert share.endswith("%")
    gaps = [r for r in rows(files) if r["reason"] == "not_helpful"]
    assert [(r["text"], r["answer_topic"]) for r in gaps] == [("what to do about itching at night", "ask_side_effects")]


def test_answers_over_rest_carry_no_feedback_prompt(bot):
    replies = bot.send("how is immunotherapy given to patients", bot.new_sender())
    assert all(set(r) <= {"recipient_id", "text", "buttons", "image", "custom", "attachment"} for r in replies)
    assert not any("helpful" in r.get("text", "").lower() for r in replies)
