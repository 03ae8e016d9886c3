"""50 conversations x 20 messages at once, several messages of a conversation in flight together: every message
gets its answer, and every conversation in the tracker store (a real SQLite file) is complete, in order and
without duplicates."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from contextlib import closing
from typing import Dict, List, Tuple

import aiohttp
import pytest

from tests.reliability.conftest import new_sender

CONVERSATIONS = 50
MESSAGES = 20
BURST = 4  # messages of one conversation sent together, without waiting for the answers
# Twenty questions a person might send in one sitting; each conversation sends them in its own order.
QUESTIONS = [
    "what is immunotherapy",
    "how does it work",
    "what kinds of immunotherapy are there",
    "what are checkpoint inhibitors",
    "what is car t",
    "what do monoclonal antibodies do",
    "are there cancer vaccines",
    "what are immune system modulators",
    "which cancers does it treat",
    "what side effects can it cause",
    "how is it given",
    "where do i go for treatment",
    "how often is it given",
    "how do i know if its working",
    "whats new in the research",
    "how do i find a clinical trial",
    "hello",
    "thanks",
    "are you a bot",
    "ok",
]


@pytest.fixture(scope="module")
def loaded_stack(start_stack):
    # the deadline apology is tested in test_faults.py; here every reply must be Rasa's own answer
    return start_stack("load", REPLY_DEADLINE_SECONDS="60")


async def converse(session: aiohttp.ClientSession, url: str, sender: str) -> List[Tuple[List[str], List[int]]]:
    """Send the questions in bursts; per burst, the texts sent and the number of replies each got."""
    questions = random.Random(sender).sample(QUESTIONS, len(QUESTIONS))
    bursts = []
    for start in range(0, MESSAGES, BURST):
        burst = questions[start : start + BURST]

        async def post(text: str) -> int:
            async with session.post(url, json={"sender": sender, "message": text}) as response:
                assert response.status == 200, await response.text()
                replies = await response.json()
                assert replies and all(reply.get("text") for reply in replies), f"no answer to {text!r}"
                return len(replies)

        bursts.append((burst, list(await asyncio.gather(*(post(text) for text in burst)))))
    return bursts


async def run_load(url: str) -> Dict[str, List[Tuple[List[str], List[int]]]]:
    senders = [new_sender() for _ in range(CONVERSATIONS)]
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        results = await asyncio.gather(*(converse(session, url, sender) for sender in senders))
    return dict(zip(senders, results, strict=False))


def stored_events(db_path, sender: str) -> List[Tuple[str, float, dict]]:
    with closing(sqlite3.connect(db_path)) as db:
        rows = db.execute(
            "SELECT type_name, timestamp, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()
    return [(kind, timestamp, json.loads(data)) for kind, timestamp, data in rows]


def replies_sent(bot: dict) -> int:
    """How many REST replies one stored bot message made: Rasa sends a text without buttons one paragraph at a time."""
    text, buttons = bot.get("text") or "", (bot.get("data") or {}).get("buttons")
    return 1 if buttons or not text.strip() else len(text.strip().split("\n\n"))


def test_every_message_is_answered_and_every_conversation_is_stored_whole(loaded_stack):
    results = asyncio.run(run_load(f"{loaded_stack.rasa.url}/webhooks/rest/webhook"))
    assert len(results) == CONVERSATIONS
    for sender, bursts in results.items():
        events = stored_events(loaded_stack.rasa.tracker_db, sender)
        user_texts = [data["text"] for kind, _, data in events if kind == "user"]
        # complete and not duplicated: each message sent is stored exactly once
        assert sorted(user_texts) == sorted(QUESTIONS), sender
        # in order: a burst's messages all come before the next burst's, timestamps never go back
        position = 0
        for burst, _ in bursts:
            assert set(user_texts[position : position + len(burst)]) == set(burst), sender
            position += len(burst)
        timestamps = [timestamp for _, timestamp, _ in events]
        assert timestamps == sorted(timestamps), sender
        # every reply a person got is a stored bot event, and no more
        sent = sum(replies_sent(data) for kind, _, data in events if kind == "bot")
        assert sent == sum(sum(counts) for _, counts in bursts), sender
        # each message was handled to the end: Rasa went back to listening after every one
        turns = [kind for kind, _, data in events if kind == "user" or data.get("name") == "action_listen"]
        assert turns.count("user") == MESSAGES
        for index, kind in enumerate(turns):
            if kind == "user":
                assert index + 1 < len(turns) and turns[index + 1] != "user", f"{sender}: a message was not finished"


def test_the_stack_still_answers_after_the_load(loaded_stack):
    assert loaded_stack.send("what is immunotherapy", new_sender())
