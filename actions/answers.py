"""Answers to topic questions, from the curated content, with their source and follow-up topics."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.content import Answer, Content, Topic, load_content, sms_answer

SMS_CHANNELS = {"twilio"}
MARKDOWN_CHANNELS = {"socketio"}  # rasa-webchat renders Markdown (and escapes HTML)
FEEDBACK_CHANNELS = {"socketio"}  # the widget's helpful / not helpful control
URGENT_INTENT = "report_urgent_symptom"
RED_FLAG_KEY = "red_flag"  # set in the parse data by nlu_components.red_flags.RedFlagDetector
THERAPY_ENTITIES = ("therapy_type", "drug")


def is_sms(tracker: Tracker) -> bool:
    return tracker.get_latest_input_channel() in SMS_CHANNELS


def follow_up_buttons(content: Content, topic: Topic) -> List[Dict[str, str]]:
    return [{"title": content.topics[f].title, "payload": f"/{f}"} for f in topic.follow_ups]


def with_source(content: Content, text: str, answer: Answer, tracker: Tracker) -> str:
    """The answer text with its source: a bare link by SMS, a clickable link in the web widget."""
    if is_sms(tracker):
        return sms_answer(text, answer.source.url, content.templates)
    template = "source_markdown" if tracker.get_latest_input_channel() in MARKDOWN_CHANNELS else "source"
    source = content.templates[template].format(url=answer.source.url, section=answer.source.section)
    return f"{text}\n\n{source}"


def utter_with_advice(
    dispatcher: CollectingDispatcher, tracker: Tracker, content: Content, topic: Topic, text: str
) -> None:
    """The answer (NCI's information and its source), then the assistant's own advice for the topic as a message of
    its own, so nobody takes it for NCI's; the follow-up topics come with the last message."""
    buttons = follow_up_buttons(content, topic)  # the SMS channel shows them as a numbered list
    extra = feedback_for(tracker, topic)
    if topic.advice is None:
        dispatcher.utter_message(text=text, buttons=buttons, **extra)
        return
    dispatcher.utter_message(text=text)
    template, advice = ("sms_advice", topic.advice.sms) if is_sms(tracker) else ("advice", topic.advice.web)
    dispatcher.utter_message(text=content.templates[template].format(advice=advice), buttons=buttons, **extra)


def feedback_for(tracker: Tracker, topic: Topic) -> Dict[str, Any]:
    """For the web widget only: which topic the answer is about, so it can offer its feedback control (SMS never:
    a prompt would cost the person a message; channels/web.py passes it on)."""
    if tracker.get_latest_input_channel() not in FEEDBACK_CHANNELS:
        return {}
    return {"feedback": {"topic": topic.intent, "title": topic.title}}


def _named(tracker: Tracker, entity: str) -> List[Dict[str, Any]]:
    return [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity]


def _spoken(tracker: Tracker, entity: Dict[str, Any]) -> str:
    """The words the person used for an entity (their spelling), falling back to its canonical value."""
    text = tracker.latest_message.get("text") or ""
    start, end = entity.get("start"), entity.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return text[start:end]
    return str(entity.get("value"))


def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str) -> List[EventType]:
    """Utter the answer for `intent`, fitted to a therapy or cancer type the person named, if any."""
    content = load_content()
    topic = content.topics.get(intent)
    if topic is None:
        dispatcher.utter_message(response="utter_ask_topic")
        return []
    therapies = [e for name in THERAPY_ENTITIES for e in _named(tracker, name)]
    cancers = _named(tracker, "cancer_type")
    context: Optional[str] = tracker.get_slot("therapy_context")
    candidates = [str(e.get("value")) for e in therapies + cancers] + [context]
    answer, variant = topic.answer_for(candidates)

    sms = is_sms(tracker)
    text = answer.sms if sms else answer.web
    uncovered = [e for e in therapies if str(e.get("value")) not in (variant, topic.therapy_type)]
    if topic.intent == "ask_cancers_treated":
        uncovered += [e for e in cancers if str(e.get("value")) != variant]
    name = _spoken(tracker, uncovered[0]) if uncovered else None
    if name is None and topic.depends_on_therapy and context and context != topic.therapy_type and not cancers:
        name = context  # the therapy the conversation is about, which this answer has nothing specific on
    if variant is None and name:
        if sms:  # a message of its own: the answer with its source already fills one text
            dispatcher.utter_message(text=content.templates["sms_named_not_covered"].format(name=name))
        else:
            text = f"{content.templates['named_not_covered'].format(name=name)}\n\n{text}"
    utter_with_advice(dispatcher, tracker, content, topic, with_source(content, text, answer, tracker))
    next_context = _next_context(topic, variant, therapies, context)
    return [SlotSet("last_topic", intent), SlotSet("therapy_context", next_context)]


def _next_context(
    topic: Topic, variant: Optional[str], therapies: List[Dict[str, Any]], context: Optional[str]
) -> Optional[str]:
    """The therapy type a follow-up question should stay on: the one just answered about, if any."""
    if variant is not None and (variant == context or variant in {str(e.get("value")) for e in therapies}):
        return variant
    if therapies:
        return str(therapies[0].get("value"))
    return topic.therapy_type


def asked_topic(tracker: Tracker) -> Optional[str]:
    """The topic intent of the latest message; for an urgent message, the question asked along with it."""
    message = tracker.latest_message
    intent = (message.get("intent") or {}).get("name")
    if intent == URGENT_INTENT:
        return (message.get(RED_FLAG_KEY) or {}).get("classified_intent")
    return intent


class ActionAnswerTopic(Action):
    """Answers the topic question the person asked, from the curated content.

    After the urgent guidance it answers the question the red-flag check overrode, if there was one.
    """

    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        intent = asked_topic(tracker)
        urgent = (tracker.latest_message.get("intent") or {}).get("name") == URGENT_INTENT
        if urgent and intent not in load_content().topics:
            return []  # the urgent guidance already sent is the whole answer
        return answer_topic(dispatcher, tracker, str(intent))


class ActionTellMore(Action):
    """Gives the fuller answer on the last topic, or points to the source page for more."""

    def name(self) -> str:
        return "action_tell_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        content = load_content()
        topic = content.topics.get(tracker.get_slot("last_topic") or "")
        if topic is None:
            dispatcher.utter_message(response="utter_ask_topic")
            return []
        answer, _ = topic.answer_for([tracker.get_slot("therapy_context")])
        if not answer.more:
            answer = topic.answer  # a variant without more to say: the topic's own fuller answer, with its source
        if answer.more and not is_sms(tracker):  # a fuller answer is too long for a text message
            text = with_source(content, answer.more, answer, tracker)
        else:
            text = content.templates["more_on_page"].format(url=answer.source.url)
        utter_with_advice(dispatcher, tracker, content, topic, text)
        return []
