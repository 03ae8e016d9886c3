"""Conversations for the report tests, stored the way Rasa stores them (its own SQL tracker store, real events)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

DAY = 24 * 3600


def user(text: str, intent: str, confidence: float = 0.9, entities=None, second: Optional[str] = None) -> dict:
    ranking = [{"name": intent, "confidence": confidence}]
    if second:
        ranking.append({"name": second, "confidence": confidence / 2})
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "intent_ranking": ranking,
    }


class Conversation:
    """Builds one conversation event by event, as Rasa stores it."""

    def __init__(self, sender: str, days_ago: float = 1, channel: str = "socketio") -> None:
        self.tracker = DialogueStateTracker(sender, slots=[])
        self.at = time.time() - days_ago * DAY
        self.channel = channel

    def _add(self, event) -> None:
        self.at += 1
        event.timestamp = self.at
        self.tracker.update(event)

    def says(self, text: str, intent: str, **parse: Any) -> Conversation:
        data = user(text, intent, **parse)
        self._add(ActionExecuted("action_listen"))
        self._add(UserUttered(text, data["intent"], data["entities"], data, input_channel=self.channel))
        return self

    def does(self, action: str, text: str = "...") -> Conversation:
        self._add(ActionExecuted(action))
        self._add(BotUttered(text))
        return self

    def answers(self, topic: str) -> Conversation:
        self.does("action_answer_topic", "An answer. Source: National Cancer Institute")
        self._add(SlotSet("last_topic", topic))
        return self

    def feedback(self, helpful: bool, topic: str) -> Conversation:
        intent = "feedback_helpful" if helpful else "feedback_not_helpful"
        entities = [{"entity": "feedback_topic", "value": topic}]
        self.says(f'/{intent}{{"feedback_topic": "{topic}"}}', intent, entities=entities, confidence=1.0)
        self._add(ActionExecuted("action_record_feedback"))
        self._add(SlotSet("feedback_topic", topic))
        return self.does("utter_feedback_thanks" if helpful else "utter_ask_what_was_missing")


def save(path: Path, *conversations: Conversation) -> Path:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    for conversation in conversations:
        asyncio.run(store.save(conversation.tracker))
    return path
