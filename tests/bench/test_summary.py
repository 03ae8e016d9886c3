"""The benchmark's summary (bench/results/summary.json, from `make bench-quick` or `make bench`) is complete and well
formed: every section, pipeline and concurrency level, every target judged, every number finite. Not the values."""

from __future__ import annotations

import copy
import json
import math
from typing import Any, Dict, List

import pytest

from tests.conftest import ROOT

RESULTS = ROOT / "bench" / "results"
PIPELINES = ["ours", "diet", "stock"]
LEVELS = ["1", "4", "16", "64"]
LOAD_KEYS = ["messages", "errors", "seconds", "throughput_per_s", "p50_ms", "p95_ms", "p99_ms"]
UNDERSTANDING_KEYS = ["accuracy", "macro_f1", "out_of_scope_recall", "in_scope_fallback_rate"]
CHARTS = ["latency.png", "throughput.png", "scale.png", *[f"confusion_{name}.png" for name in PIPELINES]]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def problems(summary: Dict[str, Any]) -> List[str]:
    """Everything missing or malformed in a summary; empty when it is complete."""
    found: List[str] = []

    def need(ok: bool, what: str) -> None:
        if not ok:
            found.append(what)

    for section in ("meta", "pipelines", "soak", "scale", "targets", "adopted"):
        need(section in summary, f"section {section}")
    if found:
        return found
    need(isinstance(summary["meta"].get("quick"), bool), "meta.quick")
    need(_number(summary["meta"].get("seconds")), "meta.seconds")
    for name in PIPELINES:
        p = summary["pipelines"].get(name)
        if not isinstance(p, dict):
            found.append(f"pipeline {name}")
            continue
        need(_number(p.get("training", {}).get("seconds")), f"{name}.training.seconds")
        for part in ("held_out", "cross_validation"):
            u = p.get(part, {})
            if part == "cross_validation" and name != "ours" and summary["meta"].get("quick") and "skipped" in u:
                continue  # a quick run cross-validates ours only
            for key in UNDERSTANDING_KEYS:
                need(_number(u.get(key)) and 0 <= u[key] <= 1, f"{name}.{part}.{key}")
            need(
                bool(u.get("per_intent_f1")) and all(map(_number, u["per_intent_f1"].values())),
                f"{name}.{part}.per_intent_f1",
            )
            need(isinstance(u.get("most_confused"), list), f"{name}.{part}.most_confused")
            f1 = u.get("entities", {}).get("f1", "missing")
            # the held-out file annotates entities: every pipeline's entity F1 on it must be scored
            scored = part == "held_out"
            need(_number(f1) or (f1 is None and not scored), f"{name}.{part}.entities")
        independent = p.get("independent")
        if name == "ours" or not summary["meta"].get("quick"):  # a quick run scores ours only on the frozen sets
            independent = independent or {}
            for key in UNDERSTANDING_KEYS:
                value = independent.get("nlu", {}).get(key)
                need(_number(value) and 0 <= value <= 1, f"{name}.independent.nlu.{key}")
            for key in ("recall", "false_alarm_rate"):
                need(_number(independent.get("urgent", {}).get(key)), f"{name}.independent.urgent.{key}")
            need(
                _number(independent.get("medquad", {}).get("other_given_topic_answer")),
                f"{name}.independent.medquad.other_given_topic_answer",
            )
        for role in ("actions", "rasa"):
            need(_number(p.get("ready_seconds", {}).get(role)), f"{name}.ready_seconds.{role}")
            for moment in ("after_warmup", "end"):
                need(
                    _number(p.get("speed", {}).get("rss_mb", {}).get(moment, {}).get(role)),
                    f"{name}.speed.rss_mb.{moment}.{role}",
                )
        speed = p.get("speed", {})
        runs = {"one_client": speed.get("one_client", {})}
        runs.update({f"concurrency.{c}": speed.get("concurrency", {}).get(c, {}) for c in LEVELS})
        for label, run in runs.items():
            for key in LOAD_KEYS:
                need(_number(run.get(key)), f"{name}.speed.{label}.{key}")
            need(run.get("messages", 0) > 0, f"{name}.speed.{label} answered nothing")
    soak = summary["soak"]
    for key in ("messages", "conversations", "errors", "p50_start_ms", "p50_end_ms", "p50_drift_pct"):
        need(_number(soak.get(key)), f"soak.{key}")
    for key in ("rss_start_mb", "rss_end_mb", "rss_drift_pct"):
        need(all(_number(soak.get(key, {}).get(role)) for role in ("actions", "rasa")), f"soak.{key}")
    scale = summary["scale"]
    for count in ("1", "2"):
        need(_number(scale.get("replicas", {}).get(count)), f"scale.replicas.{count}")
        need(_number(scale.get("p95_ms", {}).get(count)), f"scale.p95_ms.{count}")
    need(_number(scale.get("ratio")), "scale.ratio")
    failover = scale.get("failover", {})
    for key in ("messages", "answered", "errors", "unanswered", "lost_events"):
        need(_number(failover.get(key)), f"scale.failover.{key}")
    need(failover.get("messages", 0) > 0, "scale.failover sent nothing")
    targets = summary["targets"]
    need(isinstance(targets, list) and len(targets) >= 15, "targets: one per target of the issues")
    for target in targets if isinstance(targets, list) else []:
        need(isinstance(target.get("met"), bool), f"target {target.get('name')}: met true/false")
        need(_number(target.get("value")), f"target {target.get('name')}: value")
    need(summary["adopted"].get("pipeline") in PIPELINES and bool(summary["adopted"].get("why")), "adopted")
    return found


@pytest.fixture(scope="module")
def summary() -> Dict[str, Any]:
    path = RESULTS / "summary.json"
    if not path.exists():
        pytest.fail("no bench/results/summary.json: run `make bench-quick` first")
    return json.loads(path.read_text())


def test_summary_is_complete_and_well_formed(summary):
    assert problems(summary) == []


def test_report_and_charts_are_written():
    report = (RESULTS / "report.md").read_text()
    assert "## Targets" in report and "Adopted pipeline" in report
    for chart in CHARTS:
        assert (RESULTS / chart).stat().st_size > 1000, chart


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda s: s["pipelines"].pop("stock"), "pipeline stock"),
        (lambda s: s["pipelines"]["ours"].update(cross_validation={"skipped": "x"}), "ours.cross_validation.accuracy"),
        (lambda s: s["pipelines"]["ours"]["speed"]["concurrency"].pop("64"), "ours.speed.concurrency.64.p95_ms"),
        (lambda s: s["pipelines"]["diet"]["held_out"].update(accuracy=float("nan")), "diet.held_out.accuracy"),
        (lambda s: s["pipelines"]["ours"]["independent"]["urgent"].pop("recall"), "ours.independent.urgent.recall"),
        (lambda s: s["pipelines"]["ours"].pop("independent"), "ours.independent.nlu.accuracy"),
        (lambda s: s["targets"][0].update(met="yes"), "met true/false"),
        (lambda s: s["soak"].pop("p50_end_ms"), "soak.p50_end_ms"),
        (lambda s: s.pop("adopted"), "section adopted"),
        (lambda s: s["scale"]["replicas"].pop("2"), "scale.replicas.2"),
        (lambda s: s["scale"]["failover"].pop("lost_events"), "scale.failover.lost_events"),
    ],
)
def test_the_check_finds_what_is_missing(summary, damage, expected):
    damaged = copy.deepcopy(summary)
    damage(damaged)
    assert any(expected in problem for problem in problems(damaged)), problems(damaged)
