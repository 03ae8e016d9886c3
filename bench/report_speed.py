"""How long `make report` takes over many stored conversations (target: 10,000 in under 30 s).

    python -m bench.report_speed [--conversations 10000] [--keep FOLDER]

Builds a tracker store the way Rasa writes one (its SQL tracker store makes the table; the events are Rasa's own,
serialised by Rasa) in a temporary folder, runs the report on it, and prints the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import insert

from report.collect import EVENTS, collect
from report.write import write_all
from service.storage import create, database_url

TARGET_SECONDS = 30.0
TOPICS = ["ask_side_effects", "ask_how_given", "ask_types", "ask_clinical_trials", "ask_what_is_immunotherapy"]
DAY = 24 * 3600


def _user(text: str, intent: str, confidence: float, channel: str, entities: Optional[List[Dict]] = None) -> Event:
    ranking = [{"name": intent, "confidence": confidence}, {"name": random.choice(TOPICS), "confidence": 0.1}]
    parse = {"text": text, "intent": ranking[0], "entities": entities or [], "intent_ranking": ranking}
    return UserUttered(text, ranking[0], entities or [], parse, input_channel=channel)


def conversation(number: int) -> List[Event]:
    """One conversation of 3 to 5 turns: answers, sometimes feedback, a fallback, out of scope or a handoff."""
    channel = "socketio" if number % 3 else "rest"
    events: List[Event] = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]

    def turn(user: Event, *after: Event) -> None:
        events.extend([user, *after, ActionExecuted("action_listen")])

    for _ in range(random.randint(2, 4)):
        topic = random.choice(TOPICS)
        answer = (
            ActionExecuted("action_answer_topic"),
            BotUttered("An answer. Source: NCI"),
            SlotSet("last_topic", topic),
        )
        turn(_user(f"question {number} about {topic}", topic, 0.9, channel), *answer)
        if random.random() < 0.2:
            helpful = random.random() < 0.6
            intent = "feedback_helpful" if helpful else "feedback_not_helpful"
            entities = [{"entity": "feedback_topic", "value": topic}]
            turn(_user(f"/{intent}", intent, 1.0, channel, entities), ActionExecuted("action_record_feedback"))
    roll = random.random()
    if roll < 0.15:
        text = f"blorp {number} write to me at person{number}@example.org"
        turn(_user(text, "nlu_fallback", 0.15, channel), ActionExecuted("action_two_stage_fallback"))
    elif roll < 0.25:
        turn(_user(f"best pizza near me {number}", "out_of_scope", 0.8, channel), ActionExecuted("utter_out_of_scope"))
    elif roll < 0.3:
        turn(_user("can i talk to a person", "request_human", 0.95, channel), ActionExecuted("utter_cis_contact"))
    return events


def build(db: Path, conversations: int) -> int:
    """The tracker store with `conversations` conversations over the last week; returns the number of events."""
    SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))  # Rasa makes its table
    asyncio.run(SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db)).save(DialogueStateTracker("x", [])))
    engine = create(database_url(db))
    now, total, batch = time.time(), 0, []
    with engine.begin() as connection:
        for number in range(conversations):
            at = now - random.uniform(0, 6.5 * DAY)
            for event in conversation(number):
                at += 2
                event.timestamp = at
                batch.append(_row(f"bench-{number}", event))
            if len(batch) > 20_000:
                connection.execute(insert(EVENTS), batch)
                total, batch = total + len(batch), []
        if batch:
            connection.execute(insert(EVENTS), batch)
            total += len(batch)
    return total


def _row(sender: str, event: Event) -> Dict[str, Any]:
    data = event.as_dict()
    return {
        "sender_id": sender,
        "type_name": event.type_name,
        "timestamp": event.timestamp,
        "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
        "action_name": data.get("name") if event.type_name == "action" else None,
        "data": json.dumps(data),
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--keep", help="build the store in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    random.seed(15)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(args.keep or temporary)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "trackers.db"
        db.unlink(missing_ok=True)
        started = time.monotonic()
        events = build(db, args.conversations)
        built = time.monotonic() - started
        started = time.monotonic()
        findings = collect(db, days=7, retention_days=30)
        read = time.monotonic() - started
        write_all(findings, folder / "reports")
        seconds = time.monotonic() - started
        size = db.stat().st_size
    rated = sum(c.helpful + c.not_helpful for c in findings.topics.values())
    print(
        f"Report over {findings.conversations} conversations ({events} events, {size / 1e6:.0f} MB;"
        f" store built in {built:.1f} s):"
    )
    print(
        f"  read and analysed in {read:.2f} s, files written in {seconds - read:.2f} s: {seconds:.2f} s in all"
        f" (target < {TARGET_SECONDS:.0f} s)"
    )
    print(
        f"  {findings.messages} messages, {len(findings.rows)} for editors, {rated} feedback ratings;"
        f" {dict(findings.reasons())}"
    )
    return 0 if seconds < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
