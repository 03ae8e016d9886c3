"""When the action server is down or hung, people still get an answer within 5 seconds with the CIS line, and a
restarted Rasa server carries on every conversation where it was (SQLite tracker store)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing

import socketio

from actions.content import load_content
from tests.reliability.conftest import CIS_LINE, WEB_ORIGIN, new_sender, texts

CONTENT = load_content()
HOW_GIVEN = CONTENT.topics["ask_how_given"]
QUESTION = "how do they give you immunotherapy"
DEADLINE = 5.0


def timed_send(stack, text, sender):
    started = time.monotonic()
    replies = stack.send(text, sender)
    return replies, time.monotonic() - started


def test_answers_normally_first(stack):
    replies, _ = timed_send(stack, QUESTION, new_sender())
    assert HOW_GIVEN.answer.web in texts(replies)


def test_a_crashed_action_server_still_gets_a_reply_with_the_cis_line(stack):
    stack.actions.kill()
    try:
        replies, seconds = timed_send(stack, QUESTION, new_sender())
        assert seconds < DEADLINE
        assert CIS_LINE in texts(replies)
        assert "technical problem" in texts(replies)
    finally:
        stack.actions.start()
    replies, _ = timed_send(stack, QUESTION, new_sender())
    assert HOW_GIVEN.answer.web in texts(replies), "answers again once the action server is back"


def test_a_hung_action_server_still_gets_a_reply_within_5_seconds(stack):
    sender = new_sender()
    stack.actions.pause()
    try:
        replies, seconds = timed_send(stack, QUESTION, sender)
        assert seconds < DEADLINE
        assert CIS_LINE in texts(replies)
    finally:
        stack.actions.resume()
    # the conversation is not stuck behind its lock: the action call timed out well before the lock's lifetime
    replies, seconds = timed_send(stack, "what are the side effects of immunotherapy", sender)
    assert texts(replies)
    assert seconds < 15


def test_an_emergency_still_gets_the_urgent_guidance_when_the_action_server_is_down(stack):
    stack.actions.kill()
    try:
        replies, seconds = timed_send(stack, "my husband cant breathe after his infusion", new_sender())
        assert seconds < DEADLINE
        assert "911" in texts(replies)
    finally:
        stack.actions.start()


def test_the_web_widget_gets_the_cis_line_when_the_action_server_is_down(stack):
    stack.actions.kill()
    try:
        replies = asyncio.run(ask_over_socketio(stack.rasa.url, QUESTION, DEADLINE))
    finally:
        stack.actions.start()
    assert replies, "no reply within 5 seconds"
    assert CIS_LINE in replies[0]["text"]


async def ask_over_socketio(url, text, seconds):
    """Send one message as the web widget does; the replies that arrive within `seconds`."""
    client = socketio.AsyncClient()
    replies = []
    client.on("bot_uttered", lambda data: replies.append(data))
    session = new_sender()
    await client.connect(url, headers={"Origin": WEB_ORIGIN}, transports=["polling"])
    try:
        await client.emit("session_request", {"session_id": session})
        await client.sleep(0.5)
        started = time.monotonic()
        await client.emit("user_uttered", {"session_id": session, "message": text})
        while not replies and time.monotonic() - started < seconds:
            await client.sleep(0.1)
        return replies
    finally:
        await client.disconnect()


def test_a_restarted_rasa_server_carries_on_the_conversation(stack):
    sender = new_sender()
    first = stack.send(QUESTION, sender)
    assert HOW_GIVEN.answer.web in texts(first)
    stack.rasa.restart()
    more = stack.send("tell me more", sender)
    assert HOW_GIVEN.answer.more and HOW_GIVEN.answer.more in texts(more), "it remembers the topic from before"
    with closing(sqlite3.connect(stack.rasa.tracker_db)) as db:
        users = db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,))
        assert users.fetchone()[0] == 2


def test_the_server_keeps_answering_after_the_faults(stack):
    assert HOW_GIVEN.answer.web in texts(stack.send(QUESTION, new_sender()))
