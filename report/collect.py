"""Reads the conversations in the configured tracker store (Rasa's `events` table) and finds the messages editors
should see: fell back, out of scope, a declined "Did you mean", "not helpful" with what came next, and a handoff
right after an answer; and counts answers and feedback per topic."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func, inspect, select
from sqlalchemy.engine import make_url

from service.clock import iso_utc, now
from service.privacy import mask_all
from service.storage import Store

# Rasa's own table, made by its SQL tracker store: described here, never created
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

FELL_BACK = "fell_back"
OUT_OF_SCOPE = "out_of_scope"
DECLINED = "declined_suggestion"
NOT_HELPFUL = "not_helpful"
HANDOFF = "handoff_after_answer"
REASONS = (FELL_BACK, OUT_OF_SCOPE, DECLINED, NOT_HELPFUL, HANDOFF)

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = {"action_default_fallback", "utter_ask_rephrase"}
SUGGESTING_ACTIONS = {"action_two_stage_fallback", "action_default_ask_affirmation"}
ANSWER_ACTIONS = {"action_answer_topic", "action_tell_more"}
HELPFUL, UNHELPFUL = "feedback_helpful", "feedback_not_helpful"
SOMETHING_ELSE = "/out_of_scope"  # the "Something else" button of "Did you mean" (actions/fallback.py)
KINDS = ("user", "action", "slot")


@dataclass(frozen=True)
class Row:
    """One message an editor should read: its text is already masked."""

    time: str
    channel: str
    text: str
    topic: str
    confidence: float
    reason: str
    answer_topic: str = ""  # the answer it is about (not helpful, handoff after an answer)


@dataclass
class TopicCounts:
    answers: int = 0
    helpful: int = 0
    not_helpful: int = 0

    @property
    def helpful_share(self) -> Optional[float]:
        rated = self.helpful + self.not_helpful
        return self.helpful / rated if rated else None


@dataclass
class Findings:
    since: str
    until: str
    days: int
    conversations: int = 0
    messages: int = 0
    rows: List[Row] = field(default_factory=list)
    topics: Dict[str, TopicCounts] = field(default_factory=lambda: defaultdict(TopicCounts))

    def reasons(self) -> Counter:
        return Counter(row.reason for row in self.rows)


@dataclass
class _Message:
    """A user message on its way through the walk, with what followed it."""

    time: float
    channel: str
    text: str
    intent: str
    topic: str
    confidence: float
    after_answer: Optional[str]  # the topic answered just before it, if the last turn was an answer
    actions: List[str] = field(default_factory=list)


def likeliest(parse: Dict[str, Any]) -> Tuple[str, float]:
    """The likeliest intent other than nlu_fallback, and its confidence."""
    for ranked in parse.get("intent_ranking") or []:
        if ranked.get("name") and ranked.get("name") != FALLBACK_INTENT:
            return str(ranked["name"]), round(float(ranked.get("confidence") or 0), 3)
    intent = parse.get("intent") or {}
    return str(intent.get("name") or ""), round(float(intent.get("confidence") or 0), 3)


def _entity(parse: Dict[str, Any], name: str) -> Optional[str]:
    return next((str(e.get("value")) for e in parse.get("entities") or [] if e.get("entity") == name), None)


class Walk:
    """Goes through one conversation's events in order and adds what it finds to `findings`."""

    def __init__(self, findings: Findings, since: float) -> None:
        self.findings, self.since = findings, since
        self.last_topic: Optional[str] = None
        self.answered: Optional[str] = None  # topic of the answer given to the latest message
        self.previous: Optional[_Message] = None
        self.pending_gap: Optional[Tuple[_Message, str]] = None  # "not helpful", waiting for what comes next

    def user(self, time: float, data: Dict[str, Any]) -> None:
        parse = data.get("parse_data") or {}
        text = str(data.get("text") or "")
        intent = str((parse.get("intent") or {}).get("name") or "")
        topic, confidence = likeliest(parse)
        message = _Message(time, str(data.get("input_channel") or ""), text, intent, topic, confidence, self.answered)
        self._close(self.previous, message)
        self.answered = None
        if time >= self.since and not text.startswith("/"):
            self.findings.messages += 1
        if intent in (HELPFUL, UNHELPFUL):
            rated = _entity(parse, "feedback_topic") or self.last_topic
            if rated and time >= self.since:
                counts = self.findings.topics[rated]
                if intent == HELPFUL:
                    counts.helpful += 1
                else:
                    counts.not_helpful += 1
                    self.pending_gap = (message, rated)
        elif self.pending_gap is not None:
            feedback, rated = self.pending_gap
            self.pending_gap = None
            if not text.startswith("/"):
                self._add(message, NOT_HELPFUL, rated, when=feedback.time)
        self.previous = message

    def action(self, time: float, name: str) -> None:
        if self.previous is not None:
            self.previous.actions.append(name)

    def slot(self, time: float, data: Dict[str, Any]) -> None:
        if data.get("name") == "last_topic" and data.get("value"):
            self.last_topic = str(data["value"])
            self.answered = self.last_topic
            if time >= self.since:
                self.findings.topics[self.last_topic].answers += 1

    def finish(self) -> None:
        self._close(self.previous, None)
        if self.pending_gap is not None:
            feedback, rated = self.pending_gap
            self._add(feedback, NOT_HELPFUL, rated, text="")

    def _close(self, message: Optional[_Message], following: Optional[_Message]) -> None:
        """Decides what `message` was, now that what followed it is known."""
        if message is None or message.text.startswith("/"):
            if message is not None and message.text.strip() == "/request_human" and message.after_answer:
                self._add(message, HANDOFF, message.after_answer)
            return
        suggested = bool(SUGGESTING_ACTIONS & set(message.actions))
        if suggested and following is not None and following.text.strip() == SOMETHING_ELSE:
            self._add(message, DECLINED)
        elif suggested and following is not None and following.text.startswith("/"):
            return  # a suggestion was taken: understood after all
        elif message.intent == FALLBACK_INTENT or FALLBACK_ACTIONS & set(message.actions):
            self._add(message, FELL_BACK)
        elif message.intent == "out_of_scope":
            self._add(message, OUT_OF_SCOPE)
        elif message.intent == "request_human" and message.after_answer:
            self._add(message, HANDOFF, message.after_answer)

    def _add(
        self, message: _Message, reason: str, answer_topic: str = "", when: Optional[float] = None, text=None
    ) -> None:
        moment = message.time if when is None else when
        if moment < self.since:
            return
        shown = mask_all(message.text if text is None else text)
        self.findings.rows.append(
            Row(
                time=iso_utc(datetime.fromtimestamp(moment, timezone.utc)),
                channel=message.channel,
                text=shown,
                topic=message.topic if text is None else "",
                confidence=message.confidence if text is None else 0.0,
                reason=reason,
                answer_topic=answer_topic,
            )
        )


class TrackerReader(Store):
    """Rasa's tracker store, read only: the conversations still within retention, event by event."""

    metadata = MetaData()  # nothing of ours to create

    def missing(self) -> bool:
        """An SQLite file that does not exist yet (no conversation stored): not created just to be read."""
        url = make_url(self.url)
        return url.get_backend_name() == "sqlite" and bool(url.database) and not Path(str(url.database)).exists()

    def events(self, since: float, kept_after: float) -> Iterator[Tuple[str, str, float, Optional[str], str]]:
        """(sender, kind, time, action name, data) of the user, action and slot events of every conversation whose
        last event is newer than `kept_after`, from the first event of the window on, in order."""
        if self.missing() or not inspect(self.engine).has_table("events"):
            return
        kept = select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id)
        kept = kept.having(func.max(EVENTS.c.timestamp) >= kept_after)
        columns = (EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.action_name, EVENTS.c.data)
        query = (
            select(*columns)
            .where(EVENTS.c.type_name.in_(KINDS), EVENTS.c.timestamp >= kept_after, EVENTS.c.sender_id.in_(kept))
            .order_by(EVENTS.c.sender_id, EVENTS.c.id)
        )
        with self.engine.connect() as db:
            yield from db.execution_options(stream_results=True).execute(query)


def collect(location: Union[str, Any], days: int, retention_days: int, moment: Optional[datetime] = None) -> Findings:
    """What the last `days` days (never more than the retention period) hold for editors."""
    moment = moment or now()
    days = min(days, retention_days)
    since = moment - timedelta(days=days)
    findings = Findings(since=iso_utc(since), until=iso_utc(moment), days=days)
    kept_after = (moment - timedelta(days=retention_days)).timestamp()
    reader = location if isinstance(location, TrackerReader) else TrackerReader(location)
    walk: Optional[Walk] = None
    sender = None
    for row in reader.events(since.timestamp(), kept_after):
        if row[0] != sender:
            if walk is not None:
                walk.finish()
            sender, walk = row[0], Walk(findings, since.timestamp())
            findings.conversations += 1
        _feed(walk, row[1], row[2], row[3], row[4])
    if walk is not None:
        walk.finish()
    findings.rows.sort(key=lambda r: r.time)
    return findings


def _feed(walk: Walk, kind: str, time: float, action: Optional[str], data: str) -> None:
    if kind == "action":
        walk.action(time, str(action or ""))
        return
    try:
        parsed = json.loads(data or "{}")
    except ValueError:
        return
    if kind == "user":
        walk.user(time, parsed)
    elif kind == "slot":
        walk.slot(time, parsed)


def themes(rows: Iterable[Row], top: int = 10) -> List[Tuple[str, int, str]]:
    """The commonest words in what went unanswered, with how often and one example each."""
    counts: Counter = Counter()
    example: Dict[str, str] = {}
    for row in rows:
        for word in set(_words(row.text)):
            counts[word] += 1
            example.setdefault(word, row.text)
    return [(word, n, example[word]) for word, n in counts.most_common(top)]


STOP = set(
    """a about after again all also am an and any are as at be been but by can could did do does doing for from get
    had has have how i if in into is it its just me more my no not of on or our should so some than that the their
    them then there these they this to too up us was we were what when where which who why will with would you your
    im dont cant ive please thanks thank hi hello name email phone ok okay yes much many one whether like know want
    need really still even""".split()
)


def _words(text: str) -> Iterator[str]:
    for raw in text.lower().replace("[", " ").replace("]", " ").split():
        word = "".join(ch for ch in raw if ch.isalnum())
        if len(word) > 2 and word not in STOP and not word.isdigit():
            yield word
