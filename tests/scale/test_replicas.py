"""Two Rasa replicas on PostgreSQL and Redis: a conversation whose messages alternate between them keeps every event
in order; concurrent conversations through nginx lose and repeat nothing; PostgreSQL restarted mid-conversation
and a replica killed with kill -9 under load are both survived."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from typing import Dict, Iterator, List

import aiohttp
import pytest

from tests.conftest import ROOT
from tests.receiver import Receiver
from tests.reliability.test_load import QUESTIONS
from tests.scale.cluster import Cluster, check_whole
from tests.servers import fresh_dir, snapshot_model

LOGS = ROOT / "results" / "scale"


def new_sender() -> str:
    return f"scale-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def cluster(start_postgres, redis_server) -> Iterator[Cluster]:
    logs = fresh_dir(LOGS)
    model = snapshot_model(logs / "immuno.tar.gz")
    with Receiver() as receiver:
        cluster = Cluster(logs, model, start_postgres(), redis_server, receiver.url)
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
    assert [data["text"] for kind, _, data in events if kind == "user"] == sent  # exactly these, in this order
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


def test_the_conversation_goes_on_when_postgresql_restarts(cluster):
    sender = new_sender()
    cluster.send(cluster.nginx.url, sender, "what is immunotherapy")
    cluster.postgres.restart("immediate")  # as a crash would: every replica's pooled connections are broken
    cluster.send(cluster.rasa[0].url, sender, "how does it work")
    cluster.send(cluster.rasa[1].url, sender, "what side effects can it cause")
    check_whole(cluster.events(sender), ["what is immunotherapy", "how does it work", "what side effects can it cause"],
                sender)  # fmt: skip


def test_concurrent_conversations_through_nginx_lose_and_repeat_nothing(cluster):
    conversations = {new_sender(): QUESTIONS[:6] for _ in range(8)}
    asyncio.run(load([cluster.nginx.url, cluster.nginx.url], conversations))
    for sender, sent in conversations.items():
        check_whole(cluster.events(sender), sent, sender)
