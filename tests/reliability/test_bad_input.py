"""Bad input on the REST and socket.io entry points: a clear 4xx (REST) or `error` event (socket.io) for what
cannot be a message, a helpful reply for odd but readable messages, never a 500, and the server keeps answering.
(The Twilio webhook's bad input is in tests/sms/.)"""

from __future__ import annotations

import asyncio
import json

import pytest
import requests
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.guard import replies
from tests.reliability.conftest import WEB_ORIGIN, new_sender, texts

ONE_MEGABYTE = json.dumps({"sender": "big", "message": "a" * 1_000_000}).encode()


def raw_post(stack, body: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(
        f"{stack.rasa.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": content_type}, timeout=30
    )


@pytest.mark.parametrize(
    "body,status,says",
    [
        (b"", 400, "empty"),
        (b"   ", 400, "empty"),
        (b"{not json", 400, "not valid JSON"),
        (b'{"sender": "a", "message": "hi"', 400, "not valid JSON"),
        (b'{"sender": "a", "message": "caf\xe9"}', 400, "UTF-8"),
        (b"\xff\xfe\x00", 400, "UTF-8"),
        (b'["sender", "message"]', 400, "JSON object"),
        (b'"just a string"', 400, "JSON object"),
        (b"null", 400, "JSON object"),
        (b'{"message": "hi"}', 400, "sender"),
        (b'{"sender": "a"}', 400, "message"),
        (b'{"sender": 12, "message": "hi"}', 400, "sender"),
        (b'{"sender": "a", "message": 12}', 400, "message"),
        (b'{"sender": "a", "message": ["hi"]}', 400, "message"),
        (b'{"sender": "a", "message": {"text": "hi"}}', 400, "message"),
        (b'{"sender": "a", "message": null}', 400, "message"),
        (b'{"sender": "", "message": "hi"}', 400, "sender"),
        (b'{"sender": "a\\nb", "message": "hi"}', 400, "sender"),
        (json.dumps({"sender": "x" * 10_000, "message": "hi"}).encode(), 400, "sender"),
        (b'{"sender": "a", "message": "hi", "metadata": "not an object"}', 400, "metadata"),
        (ONE_MEGABYTE, 413, "larger"),
    ],
)
def test_what_cannot_be_a_message_gets_a_clear_4xx(stack, body, status, says):
    response = raw_post(stack, body)
    assert response.status_code == status, response.text
    assert says in response.json()["error"]


def test_a_form_body_is_refused_clearly(stack):
    response = raw_post(stack, b"sender=a&message=hi", "application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_wrong_methods_and_paths_are_4xx(stack):
    assert requests.get(f"{stack.rasa.url}/webhooks/rest/webhook", timeout=10).status_code in (404, 405)
    assert requests.post(f"{stack.rasa.url}/webhooks/nope/webhook", json={}, timeout=10).status_code == 404


@pytest.mark.parametrize(
    "message",
    [
        "what\x00 is\x07 immunotherapy\x1b[31m",  # control characters are dropped, the question answered
        "what is immunotherapy 🙏🙏",
        "¿qué es la inmunoterapia?",
        "???",
        "a",
        "   what is immunotherapy   ",
    ],
)
def test_odd_but_readable_messages_get_a_reply(stack, message):
    response = stack.post({"sender": new_sender(), "message": message})
    assert response.status_code == 200
    assert texts(response.json())


@pytest.mark.parametrize("message", ["", "   ", " \x00\x07 \n"])
def test_an_empty_message_gets_asked_for_words(stack, message):
    assert texts(stack.send(message, new_sender())) == replies()["empty"]


def test_a_very_long_message_gets_asked_to_be_shorter(stack):
    reply = stack.send("tell me about immunotherapy please " * 100, new_sender())
    assert texts(reply) == replies()["too_long"]


def test_a_very_long_message_about_an_emergency_gets_the_urgent_guidance(stack):
    message = "so much has happened this week. " * 80 + "now my dad cant breathe after his infusion"
    assert "911" in texts(stack.send(message, new_sender()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_text_gets_an_answer_or_a_clear_400_never_a_500(stack, text):
    response = stack.post({"sender": new_sender(), "message": text})
    assert response.status_code == 200, response.text
    assert texts(response.json())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.sampled_from(["sender", "message", "metadata", "x"]), children)
        ),
        max_leaves=8,
    )
)
def test_any_json_gets_an_answer_or_a_4xx_never_a_500(stack, payload):
    response = stack.post(payload)
    assert response.status_code in (200, 400), response.text


async def socketio_exchange(url: str, events: list, wait: float = 10.0) -> tuple[list, list]:
    """Emit `user_uttered` events as a (possibly broken) client would; the errors and replies that come back."""
    client = socketio.AsyncClient()
    errors, answers = [], []
    client.on("error", lambda data: errors.append(data))
    client.on("bot_uttered", lambda data: answers.append(data))
    await client.connect(url, headers={"Origin": WEB_ORIGIN}, transports=["polling"])
    try:
        session = new_sender()
        await client.emit("session_request", {"session_id": session})
        await client.sleep(0.5)
        for data in events:
            await client.emit("user_uttered", data)
        await client.emit("user_uttered", {"session_id": session, "message": "what is immunotherapy"})
        for _ in range(int(wait * 10)):
            if answers:
                break
            await client.sleep(0.1)
        return errors, answers
    finally:
        await client.disconnect()


def test_socketio_messages_it_cannot_read_get_an_error_event_and_the_next_one_an_answer(stack):
    broken = [
        "just a string",
        ["a", "list"],
        None,
        12,
        {},
        {"message": "no session id"},
        {"session_id": "s", "message": 12},
        {"session_id": "s", "message": None},
        {"session_id": 12, "message": "hi"},
        {"session_id": "x" * 10_000, "message": "hi"},
    ]
    errors, answers = asyncio.run(socketio_exchange(stack.rasa.url, broken))
    assert len(errors) == len(broken)
    assert all(error["error"] for error in errors)
    assert answers, "a good message after the broken ones is still answered"


def test_after_a_1_mb_socketio_message_the_server_keeps_answering(stack):
    async def send_huge() -> None:
        client = socketio.AsyncClient()
        await client.connect(stack.rasa.url, headers={"Origin": WEB_ORIGIN}, transports=["polling"])
        try:
            await client.emit("user_uttered", {"session_id": new_sender(), "message": "a" * 1_000_000})
            await client.sleep(2)
        finally:
            await client.disconnect()

    asyncio.run(send_huge())
    errors, answers = asyncio.run(socketio_exchange(stack.rasa.url, []))
    assert answers and not errors


def test_socketio_refuses_an_origin_it_does_not_know(stack):
    async def connect() -> None:
        client = socketio.AsyncClient()
        await client.connect(stack.rasa.url, headers={"Origin": "https://evil.example"}, transports=["polling"])

    with pytest.raises(socketio.exceptions.ConnectionError):
        asyncio.run(connect())


def test_the_server_still_answers_after_the_bad_input(stack):
    assert stack.send("what is immunotherapy", new_sender())
