"""When the assistant is unsure what someone means (Rasa's two-stage fallback): "Did you mean ...?" with the
likeliest topics, then a request to rephrase, then a person at the Cancer Information Service."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import THERAPY_ENTITIES
from actions.content import Content, load_content
from actions.handoff import hand_over
from service.tickets import Reason

SUGGESTIONS = 2  # topics offered at most
MIN_CONFIDENCE = 0.1  # a topic less likely than this is not worth a button
RANKS_LOOKED_AT = 3
KEPT_ENTITIES = (*THERAPY_ENTITIES, "cancer_type")  # so the chosen topic's answer still fits what was named
SOMETHING_ELSE = "/out_of_scope"  # Rasa's two-stage fallback reads this intent as "none of these"


def likeliest_topics(message: Dict[str, Any], content: Content) -> List[str]:
    """The answer topics among the classifier's first guesses that are likely enough to offer."""
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    return [
        r["name"]
        for r in ranking[:RANKS_LOOKED_AT]
        if r["name"] in content.topics and float(r.get("confidence") or 0) >= MIN_CONFIDENCE
    ][:SUGGESTIONS]


def _entities_json(message: Dict[str, Any]) -> str:
    named = {e["entity"]: e["value"] for e in message.get("entities") or [] if e.get("entity") in KEPT_ENTITIES}
    return json.dumps(named) if named else ""


class ActionDefaultAskAffirmation(Action):
    """Offers the likeliest one or two topics as buttons (numbered by SMS), and "Something else"."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        content = load_content()
        message = tracker.latest_message
        topics = likeliest_topics(message, content)
        entities = _entities_json(message)
        buttons = [{"title": content.topics[t].title, "payload": f"/{t}{entities}"} for t in topics]
        buttons.append({"title": content.templates["something_else"], "payload": SOMETHING_ELSE})
        dispatcher.utter_message(text=content.templates["did_you_mean" if topics else "not_sure"], buttons=buttons)
        return []


class ActionDefaultFallback(Action):
    """After "Something else" and a rephrasing that still was not understood: a person at the CIS, with a ticket."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_fallback_handoff")
        dispatcher.utter_message(response="utter_cis_contact")
        hand_over(dispatcher, tracker, Reason.NOT_UNDERSTOOD)
        return [UserUtteranceReverted()]
