"""Soak: many long conversations in a row; latency and memory at the start against the end (drift)."""

from __future__ import annotations

from typing import Any, Dict

from bench import progress
from bench.servers import Assistant
from bench.speed import load, median_ms

CLIENTS = 4  # conversations at once: enough to keep both cores busy, few enough that the queue does not dominate


def drift(start: float, end: float) -> float:
    return 100 * (end - start) / start


def soak(assistant: Assistant, messages: int, conversations: int) -> Dict[str, Any]:
    """`messages` spread evenly over `conversations` (a new sender each); p50 of the first and last tenth."""
    rss_start = assistant.rss()
    progress("soak", f"{messages} messages in {conversations} conversations, {CLIENTS} clients at once")
    run = load(assistant.url, CLIENTS, "soak", messages=messages, turns=max(1, messages // conversations), seed=99)
    rss_end = assistant.rss()
    tenth = max(1, len(run.latencies) // 10)
    p50_start, p50_end = median_ms(run.latencies[:tenth]), median_ms(run.latencies[-tenth:])
    return {
        "messages": messages,
        "conversations": conversations,
        "clients": CLIENTS,
        "errors": run.errors,
        "p50_start_ms": p50_start,
        "p50_end_ms": p50_end,
        "p50_drift_pct": drift(p50_start, p50_end),
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_end,
        "rss_drift_pct": {role: drift(rss_start[role], rss_end[role]) for role in rss_start},
    }
