"""Handing a person over to NCI's Cancer Information Service: a reference code and the line's hours for them, a
triage ticket for the contact center (through the durable outbox, never delaying the reply)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.outbox import outbox_worker
from actions.triage import build_ticket, handoff_content, next_opening
from service.tickets import Reason

logger = logging.getLogger(__name__)

# the intent of the message that led to the handoff -> the reason on the ticket
REASON_OF_INTENT = {
    "request_human": Reason.REQUESTED_HUMAN,
    "report_urgent_symptom": Reason.URGENT_SYMPTOM,
    "nlu_fallback": Reason.NOT_UNDERSTOOD,
    "affirm": Reason.OUT_OF_SCOPE,  # accepting the offer made after an out-of-scope question
}


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: Reason) -> None:
    """Files a triage ticket and tells the person their reference code and when the line is open."""
    content = handoff_content()
    now = datetime.now(timezone.utc)
    lines = []
    try:
        worker = outbox_worker()
        key = worker.settings.sender_hash_key or worker.outbox.secret("sender_key")
        ticket = build_ticket(tracker.events, tracker.sender_id, tracker.get_latest_input_channel(), reason, key, now)
        worker.outbox.add(ticket)  # durable before any delivery attempt
        worker.wake()
        logger.info("Triage ticket %s filed (%s, %s).", ticket["reference"], ticket["priority"], reason.value)
        lines.append(content["messages"]["reference"].format(reference=ticket["reference"]))
    except Exception:  # the person still gets the CIS details, already sent; staff see the error in the log
        logger.exception("Could not file a triage ticket.")
    if reason is not Reason.URGENT_SYMPTOM:
        opens = next_opening(now, content["hours"])
        lines.append(
            content["messages"]["open_now"] if opens is None else content["messages"]["closed_now"].format(opens=opens)
        )
    if lines:
        dispatcher.utter_message(text=" ".join(lines))


class ActionHandOver(Action):
    """Hands the person over to the CIS, for the reason their last message gives."""

    def name(self) -> str:
        return "action_hand_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        hand_over(dispatcher, tracker, REASON_OF_INTENT.get(str(intent), Reason.REQUESTED_HUMAN))
        return []
