"""Feedback on an answer (the widget's helpful / not helpful control): kept in the conversation with its topic, so
that `make report` can count it per topic."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.content import load_content

FEEDBACK_ENTITY = "feedback_topic"


def rated_topic(tracker: Tracker) -> Optional[str]:
    """The topic the widget named with the feedback, if it is one; else the topic of the last answer."""
    named = next(
        (
            str(e.get("value"))
            for e in tracker.latest_message.get("entities") or []
            if e.get("entity") == FEEDBACK_ENTITY
        ),
        None,
    )
    if named in load_content().topics:
        return named
    return tracker.get_slot("last_topic")


class ActionRecordFeedback(Action):
    """Records which topic the feedback is about (slot feedback_topic); the rule thanks or asks what was missing."""

    def name(self) -> str:
        return "action_record_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        return [SlotSet("feedback_topic", rated_topic(tracker))]
