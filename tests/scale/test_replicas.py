"""Two Rasa replicas on PostgreSQL and Redis: a conversation whose messages alternate between them keeps every event
in order; concurrent conversations through nginx lose and repeat nothing; PostgreSQL restarted mid-conversation
and a replica killed with kill -9 under load are both survived."""

from __future__ import annotations

import asyncio
import random
import subprocess
import uuid
from typing import Dict, Iterator, List

import aiohttp
import pytest
import socketio

from channels.sms.wording import load_messages
from tests.conftest import ROOT
from tests.receiver import Receiver
from tests.reliability.test_load import QUESTIONS
from tests.scale.cluster import Cluster, check_whole, user_texts
from tests.servers import fresh_dir, snapshot_model
from tests.sms.support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER_ID_KEY,
    TWILIO_NUMBER,
    WEBHOOK_URL,
    FakeTwilio,
    Phone,
)

LOGS = ROOT / "results" / "scale"
WEB_ORIGIN = "http://localhost:8080"  # allowed by the project's credentials.yml


def new_sender() -> str:
    return f"scale-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def cluster(start_postgres, redis_server, fake_twilio: FakeTwilio) -> Iterator[Cluster]:
    logs = fresh_dir(LOGS)
    model = snapshot_model(logs / "immuno.tar.gz")
    sms = dict(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_NUMBER=TWILIO_NUMBER)
    sms.update(TWILIO_WEBHOOK_URL=WEBHOOK_URL, TWILIO_API_BASE_URL=fake_twilio.url, SMS_SENDER_ID_KEY=SENDER_ID_KEY)
    with Receiver() as receiver:
        cluster = Cluster(logs, model, start_postgres(), redis_server, receiver.url, **sms)
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()


def redis_commands(port: int) -> int:
    info = subprocess.run(["redis-cli", "-p", str(port), "info", "stats"], capture_output=True, text=True).stdout
    return int(next(line for line in info.splitlines() if line.startswith("total_commands_processed:")).split(":")[1])


def test_a_conversation_alternating_between_the_replicas_keeps_every_event_in_order(cluster, redis_server):
    sender, sent = new_sender(), QUESTIONS[:10]
    before = redis_commands(redis_server.port)
    for number, message in enumerate(sent):
        cluster.send(cluster.rasa[number % 2].url, sender, message)
    events = cluster.events(sender)
    assert user_texts(events) == sent  # exactly these, in this order
    check_whole(events, sent, sender)
    assert redis_commands(redis_server.port) - before >= 2 * len(sent)  # each message locked its conversation there


async def converse(session: aiohttp.ClientSession, urls: List[str], sender: str, messages: List[str]) -> None:
    """Two messages at once, one to each replica, without waiting: only the shared lock keeps them apart."""
    for start in range(0, len(messages), 2):

        async def post(url: str, message: str) -> None:
            async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}) as r:
                assert r.status == 200, await r.text()
                assert await r.json(), f"no answer to {message!r}"

        await asyncio.gather(*(post(url, m) for url, m in zip(urls, messages[start : start + 2], strict=False)))


async def load(urls: List[str], conversations: Dict[str, List[str]]) -> None:
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(converse(session, urls, sender, sent) for sender, sent in conversations.items()))


def test_messages_of_one_conversation_sent_to_both_replicas_at_once_are_all_kept(cluster):
    conversations = {new_sender(): QUESTIONS[:8] for _ in range(6)}
    asyncio.run(load([rasa.url for rasa in cluster.rasa], conversations))
    for sender, sent in conversations.items():
        check_whole(cluster.events(sender), sent, sender)


def test_a_stop_by_sms_on_one_replica_is_honoured_by_the_other(cluster, fake_twilio):
    replies = load_messages().replies
    phone = Phone(cluster.rasa[0], fake_twilio)
    assert phone.ask("what is immunotherapy")
    assert phone.ask("STOP") == [replies["stop"]]
    phone.server = cluster.rasa[1]
    phone.text("what is immunotherapy")
    assert phone.new_replies(expect=False) == []
    assert phone.ask("start") == [replies["start"]]
    phone.server = cluster.rasa[0]
    assert phone.ask("what is immunotherapy")
    for log in LOGS.rglob("*.log"):  # the phone number never reaches a log in clear
        assert phone.number not in log.read_text(encoding="utf-8", errors="replace"), log


async def widget(url: str, session_id: str, replies: asyncio.Queue) -> socketio.AsyncClient:
    """A browser's widget connected to one replica, in the session `session_id` (long-polling: the engine.io client
    here needs a newer aiohttp for websockets than Rasa allows)."""
    client, confirmed = socketio.AsyncClient(), asyncio.Event()
    client.on("session_confirm", lambda *_: confirmed.set())
    client.on("bot_uttered", replies.put)
    await client.connect(url, headers={"Origin": WEB_ORIGIN}, transports=["polling"], wait_timeout=10)
    await client.emit("session_request", {"session_id": session_id})
    await asyncio.wait_for(confirmed.wait(), 10)
    return client


async def reply_across_replicas(cluster: Cluster) -> tuple:
    session_id = uuid.uuid4().hex
    on_first, on_second = asyncio.Queue(), asyncio.Queue()
    watching = await widget(cluster.rasa[0].url, session_id, on_first)  # this tab is on the first replica
    typing = await widget(cluster.rasa[1].url, session_id, on_second)  # the same person's other tab, on the second
    try:
        await typing.emit("user_uttered", {"message": "what is immunotherapy", "session_id": session_id})
        return await asyncio.wait_for(on_first.get(), 30), await asyncio.wait_for(on_second.get(), 30)
    finally:
        await asyncio.gather(watching.disconnect(), typing.disconnect())


def test_a_widget_reply_reaches_a_browser_connected_to_the_other_replica(cluster):
    first, second = asyncio.run(reply_across_replicas(cluster))
    assert first == second and "immune system" in first["text"]


def test_the_conversation_goes_on_when_postgresql_restarts(cluster):
    sender = new_sender()
    cluster.send(cluster.nginx.url, sender, "what is immunotherapy")
    cluster.postgres.restart("immediate")  # as a crash would: every replica's pooled connections are broken
    cluster.send(cluster.rasa[0].url, sender, "how does it work")
    cluster.send(cluster.rasa[1].url, sender, "what side effects can it cause")
    check_whole(cluster.events(sender), ["what is immunotherapy", "how does it work", "what side effects can it cause"],
                sender)  # fmt: skip


def test_50_conversations_of_20_messages_through_nginx_lose_and_repeat_nothing(cluster):
    conversations = {new_sender(): random.Random(n).sample(QUESTIONS, len(QUESTIONS)) for n in range(50)}
    asyncio.run(load([cluster.nginx.url, cluster.nginx.url], conversations))
    for sender, sent in conversations.items():
        check_whole(cluster.events(sender), sent, sender)


async def converse_through_a_crash(session, url: str, sender: str, messages: List[str], outcomes: list) -> None:
    """One message after another, as a person would; each outcome is an answer (200) or an error status."""
    for message in messages:
        async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}) as r:
            replies = await r.json() if r.status == 200 else None
            outcomes.append((sender, message, r.status, bool(replies)))


async def load_with_a_crash(cluster: Cluster, conversations: Dict[str, List[str]], kill_after: int) -> tuple:
    """The outcome of every message, and how many there were when the replica was killed (once `kill_after` had
    their outcome: mid-run however fast the replicas are)."""
    outcomes: list = []
    timeout = aiohttp.ClientTimeout(total=120)  # well over the lock lifetime a dead replica's conversation waits
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        talks = [converse_through_a_crash(session, cluster.nginx.url, s, m, outcomes) for s, m in conversations.items()]
        load = asyncio.gather(*talks)
        while len(outcomes) < kill_after:
            await asyncio.sleep(0.01)
        cluster.rasa[1].kill()  # kill -9: no clean shutdown, what is in flight on it is cut off
        at_kill = len(outcomes)
        await load
    return outcomes, at_kill


def test_kill_9_of_a_replica_under_load_loses_nothing_and_leaves_nobody_unanswered(cluster):
    conversations = {new_sender(): QUESTIONS for _ in range(8)}
    outcomes, at_kill = asyncio.run(load_with_a_crash(cluster, conversations, kill_after=24))
    assert at_kill < len(outcomes) == 160  # killed mid-run; every message got an outcome, none was left in silence
    answered = [(sender, message) for sender, message, status, replies in outcomes if status == 200]
    errors = [status for _, _, status, _ in outcomes if status != 200]
    assert all(replies for _, _, status, replies in outcomes if status == 200)
    assert all(status in (502, 503, 504) for status in errors), errors
    for sender in conversations:  # later messages are answered by the replica still alive
        cluster.send(cluster.nginx.url, sender, "thank you")
    for sender in conversations:
        stored = user_texts(cluster.events(sender))
        assert len(stored) == len(set(stored)), f"{sender}: a message was stored twice"
        acknowledged = {message for who, message in answered if who == sender}
        assert acknowledged <= set(stored), f"{sender}: an answered message is missing"
        assert stored[-1] == "thank you"
