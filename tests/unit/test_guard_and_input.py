"""The reply guard (an apology with the CIS line instead of silence) and the REST channel's input checks, with
property-based tests over arbitrary bodies and content files."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from actions.content import Content, ContentError, parse_content
from channels.guard import GuardSettings, ReplyGuard, WatchedOutput, clean_text, never_sent, replies, too_long
from channels.rest import BadRequest, RestMessage, parse_body

FAST = GuardSettings(reply_deadline=0.2, action_timeout=5)


def run_guard(handler) -> list:
    collector = CollectingOutputChannel()
    asyncio.run(ReplyGuard(FAST).answer(handler, UserMessage("hi", collector, "someone")))
    return [message["text"] for message in collector.messages]


async def answers(message: UserMessage) -> None:
    await message.output_channel.send_response(message.sender_id, {"text": "An answer."})


async def silent(message: UserMessage) -> None:
    return None


async def hangs(message: UserMessage) -> None:
    await asyncio.sleep(30)


async def fails(message: UserMessage) -> None:
    raise RuntimeError("the tracker store is gone")


def test_an_answer_goes_through_untouched():
    assert run_guard(answers) == ["An answer."]


@pytest.mark.parametrize("handler", [silent, hangs, fails], ids=["silent", "hangs", "fails"])
def test_silence_a_hang_or_a_failure_gets_the_apology_with_the_cis_line(handler):
    sent = run_guard(handler)
    assert sent == [replies()["service_trouble"]]
    assert "1-800-4-CANCER" in sent[0] and "911" in sent[0]


def test_the_watched_output_keeps_the_channel_name_for_channel_specific_responses():
    class Sms(CollectingOutputChannel):
        @classmethod
        def name(cls) -> str:
            return "twilio"

    assert WatchedOutput(Sms()).name() == "twilio"


def test_the_action_timeout_must_stay_well_under_the_lock_lifetime():
    with pytest.raises(ValueError, match="lock lifetime"):
        ReplyGuard(GuardSettings(reply_deadline=4, action_timeout=45))


def test_control_characters_are_dropped_and_long_emergencies_kept():
    assert clean_text("\x00what\x07 is\u2028it\x1b ") == "what is it"
    assert too_long("tell me about it " * 200)
    assert not too_long("tell me about it " * 200 + "my dad cant breathe")


def test_a_good_body_is_read():
    message = parse_body(json.dumps({"sender": "abc", "message": " hi\x00 ", "metadata": {"a": 1}}).encode())
    assert message == RestMessage("abc", "hi", {"a": 1})


@settings(max_examples=300)
@given(body=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_body_is_a_message_or_a_clear_bad_request(body):
    try:
        message = parse_body(body)
    except BadRequest as error:
        assert error.status in (400, 413) and str(error)
    else:
        assert message.text == clean_text(message.text) and message.sender


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300)
@given(data=JSONISH | st.fixed_dictionaries({"templates": JSONISH, "topics": JSONISH}))
def test_the_content_loader_accepts_good_content_or_says_what_is_wrong(data):
    try:
        content = parse_content(data)
    except ContentError as error:
        assert str(error)
    else:
        assert isinstance(content, Content) and content.topics


def test_only_calls_that_never_reached_the_action_server_are_tried_again():
    closing = aiohttp.ClientOSError("Cannot write to closing transport")
    refused = aiohttp.ClientConnectorError(None, OSError(111, "Connection refused"))  # type: ignore[arg-type]
    body = aiohttp.ClientOSError(None, "Can not write request body for http://127.0.0.1:5055/webhook")
    assert never_sent(closing) and never_sent(refused) and never_sent(body)
    assert not never_sent(aiohttp.ServerDisconnectedError())
    assert not never_sent(aiohttp.ClientOSError(104, "Connection reset by peer"))
    assert not never_sent(asyncio.TimeoutError())
    assert not never_sent(None)


def test_action_server_responses_are_still_checked_after_the_validator_is_built_once():
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    from channels.guard import check_action_results_with_one_validator

    check_action_results_with_one_validator()
    assert getattr(RemoteAction._validate_action_result, "one_validator", False)
    action = RemoteAction("action_answer_topic", None)
    good = {"events": [{"event": "slot", "name": "topic", "value": "car_t"}], "responses": [{"text": "An answer."}]}
    assert action._validate_action_result(good) is True
    assert action._validate_action_result({}) is True
    for bad in ({"events": "not a list"}, {"events": [{"event": "no_such_event"}]}, {"responses": ["text"]}):
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(bad)
