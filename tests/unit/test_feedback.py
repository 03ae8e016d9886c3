"""Feedback on answers: only the web widget is offered it (never SMS), the topic it is about is recorded, and names
are masked in what editors read."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerTopic, ActionTellMore
from actions.feedback import ActionRecordFeedback
from service.privacy import mask_all
from tests.conftest import make_tracker


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


@pytest.mark.parametrize("action", [ActionAnswerTopic(), ActionTellMore()])
@pytest.mark.parametrize("channel,offered", [("socketio", True), ("twilio", False), ("rest", False)])
def test_only_the_web_widget_is_offered_feedback_on_an_answer(action, channel, offered):
    tracker = make_tracker(
        "ask_side_effects", "side effects?", channel=channel, slots={"last_topic": "ask_side_effects"}
    )
    messages, _ = run(action, tracker)
    last = messages[-1]
    assert ("feedback" in last) is offered
    if offered:
        assert last["feedback"] == {"topic": "ask_side_effects", "title": "Side effects"}
        assert all("feedback" not in m for m in messages[:-1])  # once per answer, with its last message


@pytest.mark.parametrize(
    "entities,slots,topic",
    [
        ([{"entity": "feedback_topic", "value": "ask_how_given"}], {"last_topic": "ask_side_effects"}, "ask_how_given"),
        (
            [{"entity": "feedback_topic", "value": "not_a_topic"}],
            {"last_topic": "ask_side_effects"},
            "ask_side_effects",
        ),
        ([], {"last_topic": "ask_types"}, "ask_types"),
        ([], {}, None),
    ],
)
def test_the_feedback_is_recorded_with_its_topic(entities, slots, topic):
    messages, events = run(ActionRecordFeedback(), make_tracker("feedback_helpful", "/x", entities, slots))
    assert messages == [] and events == [SlotSet("feedback_topic", topic)]


@pytest.mark.parametrize(
    "text,masked",
    [
        ("my name is Ann Lee, mail ann@example.org", "my name is [name], mail [email]"),
        ("I'm Tom and my number is 202 555 0143", "I'm [name] and my number is [phone]"),
        ("my husband John has melanoma", "my husband [name] has melanoma"),
        ("Dr. Patel said Keytruda", "Dr. [name] said Keytruda"),
        ("I am on Keytruda", "I am on Keytruda"),
        ("What about Opdivo for Melanoma?", "What about Opdivo for Melanoma?"),
    ],
)
def test_phone_numbers_emails_and_introduced_names_are_masked(text, masked):
    assert mask_all(text) == masked
