"""The issue's targets, each judged met or not from the summary, and the choice of pipeline to adopt."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple

P50_MS, P95_MS = 20.0, 40.0


def _target(name: str, goal: str, value: Optional[float], met: bool, note: str = "") -> Dict[str, Any]:
    ok = value is not None and math.isfinite(value) and met
    return {"name": name, "target": goal, "value": value, "met": bool(ok), **({"note": note} if note else {})}


def meets_latency(speed: Dict[str, Any]) -> bool:
    one = speed["one_client"]
    return one["p50_ms"] <= P50_MS and one["p95_ms"] <= P95_MS


def judge(summary: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Every target of issue #5 for our assistant (config.yml), with the measured value."""
    ours = summary["pipelines"]["ours"]
    held, speed = ours["held_out"], ours["speed"]
    stock16 = summary["pipelines"]["stock"]["speed"]["concurrency"]["16"]
    ours16 = speed["concurrency"]["16"]
    ratio = ours16["throughput_per_s"] / stock16["throughput_per_s"] if stock16["throughput_per_s"] else float("nan")
    soak = summary["soak"]
    rss_peak = max(speed["rss_mb"]["after_warmup"]["rasa"], soak["rss_end_mb"]["rasa"])
    return [
        _target("held-out intent accuracy", ">= 0.95", held["accuracy"], held["accuracy"] >= 0.95),
        _target("held-out macro-F1", ">= 0.93", held["macro_f1"], held["macro_f1"] >= 0.93),
        _target("out-of-scope recall", ">= 0.85", held["out_of_scope_recall"], held["out_of_scope_recall"] >= 0.85),
        _target(
            "in-scope fallback rate", "<= 0.03", held["in_scope_fallback_rate"], held["in_scope_fallback_rate"] <= 0.03
        ),
        _target(
            "one client p50 (ms)",
            f"<= {P50_MS:.0f}",
            speed["one_client"]["p50_ms"],
            speed["one_client"]["p50_ms"] <= P50_MS,
        ),
        _target(
            "one client p95 (ms)",
            f"<= {P95_MS:.0f}",
            speed["one_client"]["p95_ms"],
            speed["one_client"]["p95_ms"] <= P95_MS,
        ),
        _target(
            "throughput at 16 clients / stock",
            ">= 2.0 with no errors",
            ratio,
            ratio >= 2.0 and ours16["errors"] == 0,
            f"{ours16['errors']} errors",
        ),
        _target("Rasa server RSS (MB, peak of warm-up and soak end)", "<= 1024", rss_peak, rss_peak <= 1024),
        _target(
            "Rasa server ready after start (s)",
            "<= 15",
            ours["ready_seconds"]["rasa"],
            ours["ready_seconds"]["rasa"] <= 15,
        ),
        _target("training (s)", "<= 120", ours["training"]["seconds"], ours["training"]["seconds"] <= 120),
        _target("soak p50 drift (%)", "< 10", soak["p50_drift_pct"], soak["p50_drift_pct"] < 10),
        _target(
            "soak Rasa server RSS drift (%)", "< 10", soak["rss_drift_pct"]["rasa"], soak["rss_drift_pct"]["rasa"] < 10
        ),
    ]


def adopt(pipelines: Dict[str, Any]) -> Tuple[str, str]:
    """The best held-out macro-F1 among pipelines whose one-client latency meets the targets; if none does, the
    fastest (lowest p95), since no gain in understanding can buy back a missed latency target."""
    fast = [n for n, p in pipelines.items() if meets_latency(p["speed"])]
    if fast:
        best = max(fast, key=lambda n: (pipelines[n]["held_out"]["macro_f1"], pipelines[n]["held_out"]["accuracy"]))
        others = sorted(set(pipelines) - set(fast))
        why = f"best held-out macro-F1 among those meeting the latency targets ({', '.join(sorted(fast))})"
        return best, why + (f"; {', '.join(others)} miss them" if others else "")
    best = min(pipelines, key=lambda n: pipelines[n]["speed"]["one_client"]["p95_ms"])
    return best, "no pipeline meets the latency targets; this one is the fastest (lowest one-client p95)"
