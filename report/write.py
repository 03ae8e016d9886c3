"""Writes what report.collect found for editors: reports/unanswered.csv, reports/summary.md and
reports/nlu-candidates.yml (Rasa's NLU format, for an editor to check: never added to the training data)."""

from __future__ import annotations

import csv
import html
import io
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Mapping, Optional

import yaml

from report.collect import REASONS, Findings, themes

COLUMNS = ("time", "channel", "text", "topic", "confidence", "reason", "answer_topic")
REASON_WORDS = {
    "fell_back": "not understood (fell back)",
    "out_of_scope": "out of scope",
    "declined_suggestion": 'declined "Did you mean"',
    "not_helpful": '"not helpful", then what they were looking for',
    "handoff_after_answer": "asked for a person right after an answer",
}


def unanswered_csv(findings: Findings) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in findings.rows:
        text = row.text
        if text[:1] in ("=", "+", "-", "@"):  # a spreadsheet would run it as a formula
            text = "'" + text
        writer.writerow([row.time, row.channel, text, row.topic, f"{row.confidence:.3f}", row.reason, row.answer_topic])
    return out.getvalue()


def topic_table(findings: Findings, titles: Mapping[str, str]) -> List[Dict[str, object]]:
    """Per topic: answers, helpful, not helpful, helpful share, and unanswered messages likeliest to be about it."""
    unanswered: Dict[str, int] = defaultdict(int)
    for row in findings.rows:
        unanswered[row.answer_topic or row.topic] += 1
    names = sorted(set(findings.topics) | {t for t in unanswered if t in titles})
    table = []
    for name in names:
        counts = findings.topics.get(name)
        share = counts.helpful_share if counts else None
        table.append(
            {
                "topic": name,
                "title": titles.get(name, name),
                "answers": counts.answers if counts else 0,
                "helpful": counts.helpful if counts else 0,
                "not_helpful": counts.not_helpful if counts else 0,
                "helpful_share": "" if share is None else f"{share:.0%}",
                "unanswered": unanswered.get(name, 0),
            }
        )
    return sorted(table, key=lambda t: (-int(t["answers"]), str(t["topic"])))


def summary_md(findings: Findings, titles: Mapping[str, str]) -> str:
    reasons = findings.reasons()
    lines = [
        "# Content report",
        "",
        f"From {findings.since} to {findings.until} ({findings.days} days): {findings.conversations} conversations,"
        f" {findings.messages} messages, {len(findings.rows)} for editors to read (reports/unanswered.csv).",
        "Texts are masked (phone numbers, email addresses, names).",
        "",
        "## Why messages went unanswered",
        "",
        "| reason | messages |",
        "|---|---|",
        *[f"| {REASON_WORDS[r]} | {reasons.get(r, 0)} |" for r in REASONS],
        "",
        "## Per topic",
        "",
        "| topic | answers | helpful | not helpful | helpful share | unanswered, likeliest this topic |",
        "|---|---|---|---|---|---|",
    ]
    for t in topic_table(findings, titles):
        lines.append(
            f"| {t['title']} (`{t['topic']}`) | {t['answers']} | {t['helpful']} | {t['not_helpful']} |"
            f" {t['helpful_share'] or '-'} | {t['unanswered']} |"
        )
    lines += ["", "## Top unanswered themes", "", "| word | messages | example |", "|---|---|---|"]
    for word, count, example in themes(r for r in findings.rows if r.text):
        lines.append(f"| {word} | {count} | {_cell(example)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str, limit: int = 120) -> str:
    """A person's text for a Markdown table cell: one line, no column break, and never read as HTML."""
    text = " ".join(text.split()).replace("|", "/")
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text, quote=False)


def nlu_candidates(findings: Findings) -> str:
    groups: Dict[str, List[str]] = defaultdict(list)
    for row in findings.rows:
        text = " ".join(row.text.split())
        intent = row.topic or "out_of_scope"
        if text and text not in groups[intent]:
            groups[intent].append(text)
    header = (
        "# Candidates for the NLU training data, grouped by the likeliest intent, from `make report`.\n"
        "# For an editor: check each one (the intent may be wrong, and the assistant may have no answer yet), then\n"
        "# move it by hand into data/nlu/. Nothing here is ever added automatically. Texts are masked.\n"
    )
    nlu = [
        {"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)} for intent, texts in sorted(groups.items())
    ]
    body = yaml.dump({"version": "3.1", "nlu": nlu}, sort_keys=False, allow_unicode=True, Dumper=_Literal)
    return header + body


class _Literal(yaml.SafeDumper):
    """Writes the examples as a `|` block, as Rasa's own NLU files do."""


def _literal(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Literal.add_representer(str, _literal)


def write_all(findings: Findings, folder: Path, titles: Optional[Mapping[str, str]] = None) -> List[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    titles = titles or {}
    files = {
        "unanswered.csv": unanswered_csv(findings),
        "summary.md": summary_md(findings, titles),
        "nlu-candidates.yml": nlu_candidates(findings),
    }
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
