"""Scale-out: throughput at 16 clients through nginx on PostgreSQL and Redis with one replica and with two (the same
run, the same servers), and a replica killed with kill -9 mid-run: acknowledged messages whose events are missing
from PostgreSQL (`lost_events`) and messages that got neither a reply nor an error (`unanswered`)."""

from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

import aiohttp

from bench import RESULTS, progress
from bench.speed import conversation, load, load_mix
from channels.guard import replies
from scripts.local_servers import LocalNginx, LocalPostgres, LocalRedis
from tests.scale.cluster import Cluster, user_texts
from tests.scale.conftest import server_folder
from tests.servers import free_port, fresh_dir

CLIENTS = 16
ANSWERED, ERROR, UNANSWERED = "answered", "error", "unanswered"


def throughput(url: str, label: str, seconds: float, warmup: int) -> Dict[str, float]:
    load(url, 4, f"warm-up {label}", messages=warmup, seed=11)
    run = load(url, CLIENTS, f"scale {label}", seconds=seconds, seed=12)
    summary = run.summary()
    progress(f"scale {label}", f"{summary['throughput_per_s']:.1f} msg/s, p95 {summary['p95_ms']:.0f} ms, "
                               f"{run.errors} errors")  # fmt: skip
    return summary


async def _post(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> str:
    """What the person saw: an answer, an error (a status, a refused connection, the apology sent when the reply
    deadline passed), or nothing at all within the client's timeout."""
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            if response.status != 200:
                return ERROR
            body = await response.json(content_type=None)
    except asyncio.TimeoutError:
        return UNANSWERED
    except (aiohttp.ClientError, ValueError):
        return ERROR
    if not isinstance(body, list) or not body:
        return UNANSWERED
    if any(isinstance(r, dict) and r.get("text") == replies()["service_trouble"] for r in body):
        return ERROR
    return ANSWERED


async def _failover(cluster: Cluster, url: str, messages: int, kill_after: int) -> List[Tuple[str, str, str]]:
    """16 clients, one conversation after another, until `messages` are sent; replica 1 is killed once `kill_after`
    of them have an outcome. Returns (sender, text, outcome) for every message."""
    mix, outcomes, sent = load_mix(), [], 0
    timeout = aiohttp.ClientTimeout(total=120)  # well over the lock lifetime a dead replica's conversation waits

    async def client(number: int) -> None:
        nonlocal sent
        rng = random.Random(7000 + number)
        while sent < messages:
            sender = f"failover-{uuid.uuid4().hex[:12]}"
            for text in conversation(rng, 6, mix):
                if sent >= messages:
                    return
                sent += 1
                outcomes.append((sender, text, await _post(session, url, sender, text)))

    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        clients = asyncio.gather(*(client(n) for n in range(CLIENTS)))
        while len(outcomes) < kill_after and not clients.done():
            await asyncio.sleep(0.01)
        cluster.rasa[1].kill()  # kill -9: what is in flight on it is cut off
        progress("scale failover", f"replica 1 killed after {len(outcomes)} messages")
        await clients
    return outcomes


def failover(cluster: Cluster, messages: int) -> Dict[str, Any]:
    started = time.monotonic()
    outcomes = asyncio.run(_failover(cluster, cluster.nginx.url + "/webhooks/rest/webhook", messages, messages // 3))
    counts = Counter(outcome for _, _, outcome in outcomes)
    lost = duplicated = 0
    for sender in {sender for sender, _, _ in outcomes}:
        stored = Counter(user_texts(cluster.events(sender)))
        acknowledged = Counter(text for who, text, outcome in outcomes if who == sender and outcome == ANSWERED)
        lost += sum((acknowledged - stored).values())
        sent = Counter(text for who, text, _ in outcomes if who == sender)
        duplicated += sum((stored - sent).values())
    result = {
        "messages": len(outcomes),
        "answered": counts[ANSWERED],
        "errors": counts[ERROR],
        "unanswered": counts[UNANSWERED],
        "lost_events": lost,
        "duplicated_events": duplicated,
        "seconds": time.monotonic() - started,
    }
    progress("scale failover", ", ".join(f"{key} {value}" for key, value in result.items() if key != "seconds"))
    return result


def scale(model: str, seconds: float, warmup: int, failover_messages: int) -> Dict[str, Any]:
    """The `scale` section of summary.json. Servers on free ports, data in temporary folders, logs in
    bench/results/scale/; tickets go to a closed local port."""
    logs = fresh_dir(RESULTS / "scale")
    pg_folder, redis_folder = server_folder("bench-pg-"), Path(tempfile.mkdtemp(prefix="bench-redis-"))
    postgres, redis = LocalPostgres(pg_folder, free_port()), LocalRedis(redis_folder, free_port())
    one_replica = None
    cluster = None
    try:
        postgres.start()
        redis.start()
        cluster = Cluster(logs, Path(model), postgres, redis, f"http://127.0.0.1:{free_port()}/tickets")
        progress("scale", "starting PostgreSQL, Redis, 2 replicas with an action server each, nginx")
        cluster.start()
        one_replica = LocalNginx(logs / "nginx-1", free_port(), [cluster.rasa[0].port]).start()
        runs = {
            "1": throughput(one_replica.url + "/webhooks/rest/webhook", "1 replica", seconds, warmup),
            "2": throughput(cluster.nginx.url + "/webhooks/rest/webhook", "2 replicas", seconds, warmup),
        }
        rates = {count: run["throughput_per_s"] for count, run in runs.items()}
        return {
            "clients": CLIENTS,
            "replicas": rates,
            "ratio": rates["2"] / rates["1"] if rates["1"] else float("nan"),
            "p95_ms": {count: run["p95_ms"] for count, run in runs.items()},
            "errors": {count: run["errors"] for count, run in runs.items()},
            "failover": failover(cluster, failover_messages),
        }
    finally:
        if one_replica is not None:
            one_replica.stop()
        if cluster is not None:
            cluster.stop()
        redis.stop()
        postgres.stop("immediate")
        shutil.rmtree(pg_folder, ignore_errors=True)
        shutil.rmtree(redis_folder, ignore_errors=True)
