"""Every custom action, run with a real rasa-sdk Tracker and CollectingDispatcher."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerTopic, ActionTellMore
from actions.content import load_content
from tests.conftest import make_tracker

CONTENT = load_content()


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


@pytest.mark.parametrize("intent", sorted(CONTENT.topics))
def test_each_topic_is_answered_with_its_source_and_follow_ups(intent):
    topic = CONTENT.topics[intent]
    messages, events = run(ActionAnswerTopic(), make_tracker(intent, "a question"))
    assert len(messages) == (2 if topic.advice else 1)
    text = messages[0]["text"]
    assert text.startswith(topic.answer.web)
    assert topic.answer.source.url in text and topic.answer.source.section in text
    assert [b["payload"] for b in messages[-1]["buttons"]] == [f"/{f}" for f in topic.follow_ups]
    assert SlotSet("last_topic", intent) in events


@pytest.mark.parametrize("channel", ["rest", "socketio", "twilio"])
@pytest.mark.parametrize("intent", [i for i, t in sorted(CONTENT.topics.items()) if t.advice])
def test_our_own_advice_comes_after_the_nci_source_as_a_message_of_its_own(intent, channel):
    topic = CONTENT.topics[intent]
    for name in [None, *topic.variants]:
        entities = [{"entity": "therapy_type", "value": name}] if name else []
        messages, _ = run(ActionAnswerTopic(), make_tracker(intent, "a question", entities, channel=channel))
        answer, advice = messages
        source = topic.variants[name].source if name else topic.answer.source
        assert source.url in answer["text"] and answer["buttons"] == []
        words = topic.advice.sms if channel == "twilio" else topic.advice.web
        assert words in advice["text"] and words not in answer["text"]
        assert advice["text"].startswith("From this assistant, not")
        assert "National Cancer Institute" not in advice["text"] and source.url not in advice["text"]


def test_every_side_effects_answer_says_to_call_the_care_team_for_a_symptom_now():
    advice = CONTENT.topics["ask_side_effects"].advice
    for words in (advice.web, advice.sms):
        assert "now" in words and "care team right away" in words and "911" in words


def test_a_named_therapy_type_gets_its_own_answer():
    text = "what side effects does car t have"
    tracker = make_tracker(
        "ask_side_effects", text, [{"entity": "therapy_type", "value": "CAR T-cell therapy", "start": 26, "end": 31}]
    )
    messages, events = run(ActionAnswerTopic(), tracker)
    variant = CONTENT.topics["ask_side_effects"].variants["CAR T-cell therapy"]
    assert messages[0]["text"].startswith(variant.web)
    assert SlotSet("therapy_context", "CAR T-cell therapy") in events


def test_a_follow_up_stays_on_the_therapy_just_discussed():
    _, events = run(ActionAnswerTopic(), make_tracker("ask_checkpoint_inhibitors", "what are checkpoint inhibitors"))
    assert SlotSet("therapy_context", "checkpoint inhibitor") in events
    tracker = make_tracker(
        "ask_side_effects", "what about side effects?", slots={"therapy_context": "checkpoint inhibitor"}
    )
    messages, _ = run(ActionAnswerTopic(), tracker)
    assert messages[0]["text"].startswith(CONTENT.topics["ask_side_effects"].variants["checkpoint inhibitor"].web)


def test_a_general_question_after_a_general_answer_has_no_therapy_context():
    _, events = run(ActionAnswerTopic(), make_tracker("ask_where_given", "where do i go for it"))
    assert SlotSet("therapy_context", None) in events


def test_a_named_drug_without_nci_content_says_so_honestly_in_the_persons_words():
    text = "does Keytruda cause side effects"
    entities = [{"entity": "drug", "value": "pembrolizumab", "start": 5, "end": 13}]
    messages, _ = run(ActionAnswerTopic(), make_tracker("ask_side_effects", text, entities))
    general = CONTENT.topics["ask_side_effects"].answer.web
    assert "Keytruda" in messages[0]["text"].split(general)[0]
    assert general in messages[0]["text"]


def test_by_sms_too_a_named_drug_without_nci_content_is_said_in_a_short_message_of_its_own():
    text = "does Keytruda cause side effects"
    entities = [{"entity": "drug", "value": "pembrolizumab", "start": 5, "end": 13}]
    messages, _ = run(ActionAnswerTopic(), make_tracker("ask_side_effects", text, entities, channel="twilio"))
    assert "Keytruda" in messages[0]["text"] and len(messages[0]["text"]) < 160
    assert messages[1]["text"].startswith(CONTENT.topics["ask_side_effects"].answer.sms)


def test_a_named_cancer_with_a_variant_gets_it():
    text = "is immunotherapy used for bladder cancer"
    tracker = make_tracker(
        "ask_cancers_treated", text, [{"entity": "cancer_type", "value": "bladder cancer", "start": 26, "end": 40}]
    )
    messages, _ = run(ActionAnswerTopic(), tracker)
    assert messages[0]["text"].startswith(CONTENT.topics["ask_cancers_treated"].variants["bladder cancer"].web)


def test_sms_gets_the_short_answer_with_its_link_and_follow_ups():
    topic = CONTENT.topics["ask_how_given"]
    messages, _ = run(ActionAnswerTopic(), make_tracker("ask_how_given", "how is it given", channel="twilio"))
    assert messages[0]["text"].startswith(topic.answer.sms)
    assert topic.answer.source.url in messages[0]["text"]
    assert len(messages[0]["text"]) <= 320
    # the SMS channel (channels/sms.py) turns these into a numbered list
    assert [b["payload"] for b in messages[0]["buttons"]] == [f"/{f}" for f in topic.follow_ups]


def test_after_urgent_guidance_the_question_asked_with_it_is_answered():
    tracker = make_tracker(
        "report_urgent_symptom",
        "can't breathe, is this a side effect?",
        extra={"red_flag": {"group": "breathing", "classified_intent": "ask_side_effects"}},
    )
    messages, _ = run(ActionAnswerTopic(), tracker)
    assert messages[0]["text"].startswith(CONTENT.topics["ask_side_effects"].answer.web)


@pytest.mark.parametrize("red_flag", [None, {"group": "heart", "classified_intent": "report_urgent_symptom"}])
def test_an_urgent_message_without_a_question_adds_nothing(red_flag):
    tracker = make_tracker("report_urgent_symptom", "chest pain", extra={"red_flag": red_flag} if red_flag else {})
    messages, events = run(ActionAnswerTopic(), tracker)
    assert messages == [] and events == []


def test_an_unknown_intent_asks_for_a_topic():
    messages, _ = run(ActionAnswerTopic(), make_tracker("greet", "hi"))
    assert messages[0]["response"] == "utter_ask_topic"


def test_tell_more_gives_the_fuller_answer_with_its_source():
    topic = CONTENT.topics["ask_how_it_works"]
    assert topic.answer.more
    messages, _ = run(
        ActionTellMore(), make_tracker("request_more_info", "tell me more", slots={"last_topic": topic.intent})
    )
    assert messages[0]["text"].startswith(topic.answer.more)
    assert topic.answer.source.url in messages[0]["text"]


def test_tell_more_without_more_content_points_to_the_source_page():
    topic = next(t for t in CONTENT.topics.values() if not t.answer.more)
    messages, _ = run(ActionTellMore(), make_tracker("request_more_info", "more", slots={"last_topic": topic.intent}))
    assert topic.answer.source.url in messages[0]["text"]
    assert "1-800-4-CANCER" in messages[0]["text"]


def test_tell_more_with_no_topic_yet_asks_which():
    messages, _ = run(ActionTellMore(), make_tracker("request_more_info", "tell me more"))
    assert messages[0]["response"] == "utter_ask_topic"


def test_tell_more_after_a_variant_gives_the_topics_fuller_answer_with_its_own_source():
    topic = CONTENT.topics["ask_side_effects"]
    assert topic.answer.more and not topic.variants["checkpoint inhibitor"].more
    slots = {"last_topic": topic.intent, "therapy_context": "checkpoint inhibitor"}
    messages, _ = run(ActionTellMore(), make_tracker("request_more_info", "tell me more", slots=slots))
    assert messages[0]["text"].startswith(topic.answer.more)
    assert topic.answer.source.url in messages[0]["text"]


def test_the_web_widget_gets_a_clickable_markdown_source_link():
    answer = CONTENT.topics["ask_where_given"].answer
    messages, _ = run(ActionAnswerTopic(), make_tracker("ask_where_given", "where do i go", channel="socketio"))
    assert f"[{answer.source.section}]({answer.source.url})" in messages[0]["text"]


def test_tell_more_by_sms_points_to_the_page_instead_of_a_long_text():
    topic = CONTENT.topics["ask_how_it_works"]
    tracker = make_tracker("request_more_info", "more", slots={"last_topic": topic.intent}, channel="twilio")
    messages, _ = run(ActionTellMore(), tracker)
    assert topic.answer.source.url in messages[0]["text"]
    assert not messages[0]["text"].startswith(topic.answer.more)


@pytest.mark.parametrize("intent", sorted(CONTENT.topics))
def test_every_sms_as_sent_with_its_numbered_menu_fits_three_segments(intent):
    from channels.sms.wording import load_messages, render_menu
    from service.segments import is_gsm, segments

    topic = CONTENT.topics[intent]
    for name in [None, *topic.variants]:
        entities = [{"entity": "therapy_type", "value": name}] if name else []
        messages, _ = run(ActionAnswerTopic(), make_tracker(intent, "q", entities, channel="twilio"))
        for message in messages:
            body, _ = render_menu(message["text"], message["buttons"], load_messages())
            assert is_gsm(body) and segments(body) <= 3, f"{intent} / {name}: {segments(body)} segments"


def test_the_sms_responses_of_the_domain_fit_three_segments():
    import yaml

    from service.segments import is_gsm, segments
    from tests.conftest import ROOT

    responses = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
    for name, variations in responses.items():
        for variation in variations:
            if variation.get("channel") == "twilio":
                text = variation["text"]
                assert is_gsm(text) and segments(text) <= 3, name


def test_a_how_question_after_talk_of_a_therapy_says_when_the_answer_is_the_general_one():
    tracker = make_tracker("ask_how_often", "how often is it given?", slots={"therapy_context": "CAR T-cell therapy"})
    messages, _ = run(ActionAnswerTopic(), tracker)
    assert "CAR T-cell therapy" in messages[0]["text"].split(CONTENT.topics["ask_how_often"].answer.web)[0]
    sms = make_tracker("ask_how_often", "how often?", slots={"therapy_context": "CAR T-cell therapy"}, channel="twilio")
    messages, _ = run(ActionAnswerTopic(), sms)
    assert "CAR T-cell therapy" in messages[0]["text"] and len(messages) == 2


def test_how_car_t_is_given_comes_from_the_t_cell_transfer_page():
    tracker = make_tracker("ask_how_given", "how is it given?", slots={"therapy_context": "CAR T-cell therapy"})
    messages, _ = run(ActionAnswerTopic(), tracker)
    assert "needle in a vein" in messages[0]["text"] and "t-cell-transfer-therapy" in messages[0]["text"]
