"""The report on real SQLite tracker stores written by Rasa's own SQL tracker store: each reason, feedback per
topic, masking, retention, and the three files."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from report.collect import collect, themes
from report.write import nlu_candidates, summary_md, unanswered_csv
from tests.conftest import ROOT
from tests.report.support import Conversation, save


@pytest.fixture
def trackers(tmp_path: Path) -> Path:
    fell_back = Conversation("fell-back").says("can I get it if I write to ann.lee@example.org?", "nlu_fallback")
    fell_back.does("action_two_stage_fallback", "Did you mean ...?")
    fell_back.says("do i qualify, call me on 202-555-0143", "nlu_fallback").does("action_default_fallback")
    declined = Conversation("declined").says(
        "my name is Ann Lee, what about the jab", "nlu_fallback", second="ask_how_given"
    )
    declined.does("action_two_stage_fallback", "Did you mean ...?").says("/out_of_scope", "out_of_scope")
    taken = Conversation("taken").says("the iv thing how", "nlu_fallback").does("action_two_stage_fallback")
    taken.says("/ask_how_given", "ask_how_given").answers("ask_how_given")
    scope = (
        Conversation("scope", channel="twilio").says("best pizza in town", "out_of_scope").does("utter_out_of_scope")
    )
    rated = Conversation("rated").says("side effects?", "ask_side_effects").answers("ask_side_effects")
    rated.feedback(True, "ask_side_effects").says("how is it given", "ask_how_given").answers("ask_how_given")
    rated.feedback(False, "ask_how_given").says("can I have it at home instead", "ask_where_given", confidence=0.4)
    rated.answers("ask_where_given")
    handoff = Conversation("handoff").says("what is a trial", "ask_clinical_trials").answers("ask_clinical_trials")
    handoff.says("let me talk to a person", "request_human").does("utter_cis_contact")
    old = Conversation("old", days_ago=40).says("an old question nobody answered", "nlu_fallback")
    before_window = Conversation("before-window", days_ago=10).says("a question from ten days ago", "out_of_scope")
    return save(tmp_path / "trackers.db", fell_back, declined, taken, scope, rated, handoff, old, before_window)


def rows_by_reason(findings) -> Dict[str, List[Any]]:
    grouped: Dict[str, List[Any]] = {}
    for row in findings.rows:
        grouped.setdefault(row.reason, []).append(row)
    return grouped


def test_each_reason_is_found_with_its_message_masked(trackers):
    found = rows_by_reason(collect(trackers, days=7, retention_days=30))
    assert [r.text for r in found["fell_back"]] == [
        "can I get it if I write to [email]?",
        "do i qualify, call me on [phone]",
    ]
    assert [r.text for r in found["declined_suggestion"]] == ["my name is [name], what about the jab"]
    assert found["declined_suggestion"][0].topic == "ask_how_given"  # the likeliest, not nlu_fallback
    assert [(r.text, r.channel) for r in found["out_of_scope"]] == [("best pizza in town", "twilio")]
    gap = found["not_helpful"]
    assert [(r.text, r.answer_topic, r.topic) for r in gap] == [
        ("can I have it at home instead", "ask_how_given", "ask_where_given")
    ]
    assert [(r.text, r.answer_topic) for r in found["handoff_after_answer"]] == [
        ("let me talk to a person", "ask_clinical_trials")
    ]


def test_a_taken_suggestion_and_payloads_are_not_listed(trackers):
    texts = [row.text for row in collect(trackers, days=7, retention_days=30).rows]
    assert "the iv thing how" not in texts
    assert not any(t.startswith("/") for t in texts)


def test_answers_and_feedback_are_counted_per_topic(trackers):
    topics = collect(trackers, days=7, retention_days=30).topics
    assert (topics["ask_side_effects"].answers, topics["ask_side_effects"].helpful) == (1, 1)
    assert topics["ask_side_effects"].helpful_share == 1.0
    assert (topics["ask_how_given"].answers, topics["ask_how_given"].not_helpful) == (2, 1)
    assert topics["ask_how_given"].helpful_share == 0.0
    assert topics["ask_where_given"].helpful_share is None  # not rated


def test_nothing_beyond_retention_and_the_window(trackers):
    week = [row.text for row in collect(trackers, days=7, retention_days=30).rows]
    assert "a question from ten days ago" not in week
    month = [row.text for row in collect(trackers, days=60, retention_days=30).rows]
    assert "a question from ten days ago" in month
    assert "an old question nobody answered" not in month  # older than retention: as if deleted


def test_an_empty_or_missing_store_gives_an_empty_report(tmp_path):
    findings = collect(tmp_path / "none.db", days=7, retention_days=30)
    assert (findings.conversations, findings.rows) == (0, [])
    assert not (tmp_path / "none.db").exists()  # reading creates no store
    assert "0 conversations" in summary_md(findings, {})


def test_the_files_editors_read(trackers):
    findings = collect(trackers, days=7, retention_days=30)
    rows = list(csv.DictReader(unanswered_csv(findings).splitlines()))
    assert list(rows[0]) == ["time", "channel", "text", "topic", "confidence", "reason", "answer_topic"]
    assert all(r["time"].endswith("Z") for r in rows)
    summary = summary_md(findings, {"ask_how_given": "How it's given"})
    assert "| How it's given (`ask_how_given`) | 2 | 0 | 1 | 0% |" in summary
    candidates = yaml.safe_load(nlu_candidates(findings))
    assert candidates["version"] == "3.1"
    grouped = {item["intent"]: item["examples"] for item in candidates["nlu"]}
    assert "- my name is [name], what about the jab\n" in grouped["ask_how_given"]
    assert "ann.lee" not in nlu_candidates(findings) and "0143" not in unanswered_csv(findings)


def test_a_formula_in_a_message_stays_text_in_the_csv(tmp_path):
    db = save(tmp_path / "t.db", Conversation("x").says("=HYPERLINK(1)", "out_of_scope"))
    assert "'=HYPERLINK(1)" in unanswered_csv(collect(db, days=7, retention_days=30))


def test_html_in_a_message_stays_text_in_the_summary(tmp_path):
    db = save(tmp_path / "t.db", Conversation("x").says("<img src=x onerror=alert(1)> | pizza", "out_of_scope"))
    summary = summary_md(collect(db, days=7, retention_days=30), {})
    assert "<img" not in summary and "&lt;img src=x onerror=alert(1)&gt; / pizza" in summary


def test_themes_count_words_once_per_message(trackers):
    words = {word: n for word, n, _ in themes(collect(trackers, days=7, retention_days=30).rows)}
    assert "pizza" in words and "the" not in words


def test_make_report_writes_the_three_files(trackers, tmp_path):
    out = tmp_path / "reports"
    done = subprocess.run(
        [sys.executable, "-m", "report", "--days", "7", "--db", str(trackers), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["nlu-candidates.yml", "summary.md", "unanswered.csv"]
    assert "[email]" in (out / "unanswered.csv").read_text()


def test_reports_are_not_committed():
    ignored = subprocess.run(["git", "check-ignore", "reports/unanswered.csv"], cwd=ROOT, capture_output=True)
    assert ignored.returncode == 0


def test_the_report_bench_runs_and_prints_its_numbers():
    done = subprocess.run(
        [sys.executable, "-m", "bench.report_speed", "--conversations", "300"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Report over 300 conversations" in done.stdout and "s in all (target < 30 s)" in done.stdout
