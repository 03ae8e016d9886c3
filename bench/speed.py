"""Speed over HTTP: conversations from bench/messages.yml posted to the REST webhook by 1 to 64 concurrent clients."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp
import yaml

from bench import ROOT, progress
from channels.guard import replies

MESSAGES = ROOT / "bench" / "messages.yml"
TIMEOUT = aiohttp.ClientTimeout(total=60)


def load_mix(path: Path = MESSAGES) -> Dict[str, Dict]:
    return yaml.safe_load(path.read_text())


def conversation(rng: random.Random, turns: int, mix: Dict[str, Dict]) -> List[str]:
    """An opener, then turns drawn by the kinds' weights: questions mostly, some follow-ups and closers."""
    kinds = [k for k in mix if k != "openers"]
    weights = [mix[k]["weight"] for k in kinds]
    texts = [rng.choice(mix["openers"]["texts"])]
    while len(texts) < turns:
        texts.append(rng.choice(mix[rng.choices(kinds, weights)[0]]["texts"]))
    return texts


@dataclass
class Run:
    """What one load run saw: each answered message's latency (s) and its finish time, and the errors."""

    latencies: List[float] = field(default_factory=list)
    finished_at: List[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def summary(self) -> Dict[str, float]:
        return {
            "messages": len(self.latencies),
            "errors": self.errors,
            "seconds": self.seconds,
            "throughput_per_s": len(self.latencies) / self.seconds if self.seconds else 0.0,
            "p50_ms": percentile(self.latencies, 50),
            "p95_ms": percentile(self.latencies, 95),
            "p99_ms": percentile(self.latencies, 99),
        }


def percentile(latencies: List[float], q: float) -> float:
    """The q-th percentile in milliseconds (nearest rank); NaN when nothing was answered."""
    if not latencies:
        return float("nan")
    ordered = sorted(latencies)
    return 1000 * ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def _post(session: aiohttp.ClientSession, url: str, sender: str, text: str, run: Run) -> None:
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            body = await response.json(content_type=None)
            ok = response.status == 200 and isinstance(body, list) and len(body) > 0
            # the apology sent when no answer came within the reply deadline is not an answer
            ok = ok and not any(isinstance(r, dict) and r.get("text") == replies()["service_trouble"] for r in body)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        ok = False
    if ok:
        run.latencies.append(time.perf_counter() - started)
        run.finished_at.append(time.monotonic())
    else:
        run.errors += 1


async def _load(
    url: str, clients: int, messages: Optional[int], seconds: Optional[float], turns: int, seed: int, label: str
) -> Run:
    """`clients` concurrent clients, each holding one conversation (a new sender) after another, until `messages`
    have been sent in all or `seconds` have passed."""
    mix, run, sent = load_mix(), Run(), 0
    deadline = time.monotonic() + seconds if seconds else None
    report_every = max(1, (messages or 0) // 10)

    def more() -> bool:
        nonlocal sent
        if (messages is not None and sent >= messages) or (deadline is not None and time.monotonic() >= deadline):
            return False
        sent += 1
        if messages and sent % report_every == 0:
            progress(label, f"{sent}/{messages} messages")
        return True

    async def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        while True:
            sender = f"bench-{uuid.uuid4().hex[:12]}"
            for text in conversation(rng, turns, mix):
                if not more():
                    return
                await _post(session, url, sender, text, run)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(timeout=TIMEOUT, connector=connector) as session:
        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        run.seconds = time.monotonic() - started
    return run


def load(
    url: str,
    clients: int,
    label: str,
    messages: Optional[int] = None,
    seconds: Optional[float] = None,
    turns: int = 6,
    seed: int = 5,
) -> Run:
    return asyncio.run(_load(url, clients, messages, seconds, turns, seed, label))


def sweep(url: str, levels: List[int], seconds: float, name: str) -> Dict[str, Dict[str, float]]:
    """Throughput and latency at each number of concurrent clients, each level run for `seconds`."""
    results = {}
    for clients in levels:
        run = load(url, clients, f"concurrency {name}", seconds=seconds, seed=clients)
        results[str(clients)] = run.summary()
        progress(
            f"concurrency {name}",
            f"{clients} clients: {results[str(clients)]['throughput_per_s']:.1f} msg/s, "
            f"p95 {results[str(clients)]['p95_ms']:.0f} ms, {run.errors} errors",
        )
    return results


def median_ms(latencies: List[float]) -> float:
    return 1000 * statistics.median(latencies) if latencies else float("nan")
