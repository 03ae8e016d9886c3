"""Runs every step of the benchmark in order and writes bench/results/ (summary.json, report.md, charts)."""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import psutil

from bench import RESULTS, ROOT, progress
from bench.independent import evaluate
from bench.pipelines import PIPELINES, WORK, made_by_make, sample_nlu, train, write_config
from bench.profile import profile
from bench.report import write_report
from bench.scale import scale
from bench.servers import Assistant
from bench.soak import soak
from bench.speed import load, sweep
from bench.targets import adopt, judge
from bench.understanding import cross_validation, held_out


@dataclass(frozen=True)
class Settings:
    """How much the run does: the full benchmark of the issue, or a short check of the same steps."""

    quick: bool
    epochs: Optional[int]  # None: each pipeline's own epochs
    folds: int
    cv_per_intent: Optional[int]  # None: all of data/nlu; else the first examples of each intent
    parallel: int  # steps at once; 1 whenever timings matter
    warmup: int
    one_client: int
    levels: List[int]
    level_seconds: float
    soak_messages: int
    soak_conversations: int
    scale_seconds: float  # each replica count's throughput run
    failover_messages: int
    skip_cv: Tuple[str, ...] = ()  # pipelines not cross-validated


FULL = Settings(False, None, 5, None, 1, 30, 500, [1, 4, 16, 64], 20.0, 10_000, 200, 60.0, 1000)
# quick: ours is the model `make train` built, the others train for 1 epoch, only ours is cross-validated (2 folds, 6
# examples per intent), and steps run two at a time
QUICK = Settings(True, 1, 2, 6, 2, 10, 60, [1, 4, 16, 64], 3.0, 300, 10, 10.0, 200, ("diet", "stock"))


def _each(settings: Settings, step: Callable[[str], Dict[str, Any]], names: List[str]) -> Dict[str, Dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=settings.parallel) as pool:
        return dict(zip(names, pool.map(step, names), strict=True))


def understanding(summary: Dict[str, Any], configs: Dict[str, Path], settings: Settings) -> None:
    data = sample_nlu(settings.cv_per_intent) if settings.cv_per_intent else ROOT / "data" / "nlu"

    def held(name: str) -> Dict[str, Any]:
        return held_out(name, summary["pipelines"][name]["training"]["model"], RESULTS / name / "held_out")

    def cv(name: str) -> Dict[str, Any]:
        if name in settings.skip_cv:
            progress(f"cross-validation {name}", "skipped")
            return {"skipped": "quick run" if settings.quick else "not run (--skip-cv)"}
        return cross_validation(name, configs[name], settings.folds, data, RESULTS / name / "cross_validation")

    # one queue for both kinds of test, so a free core takes the next test whichever kind it is
    with ThreadPoolExecutor(max_workers=settings.parallel) as pool:
        held_outs = {name: pool.submit(held, name) for name in PIPELINES}
        cvs = {name: pool.submit(cv, name) for name in PIPELINES}
    for name in PIPELINES:
        summary["pipelines"][name]["held_out"] = held_outs[name].result()
        summary["pipelines"][name]["cross_validation"] = {**cvs[name].result(), "data": str(data.relative_to(ROOT))}


def independent(summary: Dict[str, Any], settings: Settings) -> None:
    """Understanding on text nobody on the team wrote for it (bench/independent.py): the frozen NLU and urgent sets
    and MedQuAD, for ours (every pipeline in a full run)."""
    for name in ["ours"] if settings.quick else PIPELINES:
        progress(f"independent {name}", "frozen sets and MedQuAD")
        result = evaluate(summary["pipelines"][name]["training"]["model"])
        summary["pipelines"][name]["independent"] = {k: v for k, v in result.items() if k != "raw"}


def speed(assistant: Assistant, settings: Settings) -> Dict[str, Any]:
    load(assistant.url, 1, f"warm-up {assistant.name}", messages=settings.warmup, seed=1)
    after_warmup = assistant.rss()
    one = load(assistant.url, 1, f"one client {assistant.name}", messages=settings.one_client, seed=2)
    (RESULTS / assistant.name).mkdir(parents=True, exist_ok=True)
    (RESULTS / assistant.name / "latencies_one_client.json").write_text(json.dumps(one.latencies))
    progress(
        f"one client {assistant.name}", f"p50 {one.summary()['p50_ms']:.1f} ms, p95 {one.summary()['p95_ms']:.1f} ms"
    )
    return {
        "one_client": one.summary(),
        "concurrency": sweep(assistant.url, settings.levels, settings.level_seconds, assistant.name),
        "rss_mb": {"after_warmup": after_warmup},
    }


def start_all(stack: contextlib.ExitStack, summary: Dict[str, Any], settings: Settings) -> Dict[str, Assistant]:
    """Every pipeline's assistant, side by side; stopped by `stack` whatever happens."""

    def start(name: str) -> Assistant:
        return Assistant(name, summary["pipelines"][name]["training"]["model"], RESULTS / "servers" / name).__enter__()

    with ThreadPoolExecutor(max_workers=settings.parallel) as pool:
        futures = {name: pool.submit(start, name) for name in PIPELINES}
    for future in futures.values():
        if future.exception() is None:
            stack.push(future.result().__exit__)
    for future in futures.values():
        if future.exception() is not None:
            raise future.exception()
    return {name: future.result() for name, future in futures.items()}


def run(settings: Settings) -> Dict[str, Any]:
    shutil.rmtree(RESULTS / "servers", ignore_errors=True)
    summary: Dict[str, Any] = {
        "meta": {
            "quick": settings.quick,
            "settings": asdict(settings),
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {
                "cores": psutil.cpu_count(),
                "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                "python": platform.python_version(),
            },
        },
        "pipelines": {name: {} for name in PIPELINES},
    }
    started = time.monotonic()
    configs = {name: write_config(name, settings.epochs) for name in PIPELINES}

    def training(name: str) -> Dict[str, Any]:
        return made_by_make() if settings.quick and name == "ours" else train(name, configs[name])

    for name, result in _each(settings, training, ["ours", "diet", "stock"]).items():  # the longest last
        summary["pipelines"][name]["training"] = result
    understanding(summary, configs, settings)
    independent(summary, settings)
    with contextlib.ExitStack() as stack:
        assistants = start_all(stack, summary, settings)
        for name, assistant in assistants.items():
            summary["pipelines"][name]["ready_seconds"] = assistant.ready_seconds
            summary["pipelines"][name]["speed"] = speed(assistant, settings)
        summary["soak"] = soak(assistants["ours"], settings.soak_messages, settings.soak_conversations)
        for name, assistant in assistants.items():
            summary["pipelines"][name]["speed"]["rss_mb"]["end"] = assistant.rss()
    # alone on the machine once the side-by-side assistants are stopped
    model = summary["pipelines"]["ours"]["training"]["model"]
    summary["scale"] = scale(model, settings.scale_seconds, settings.warmup, settings.failover_messages)
    summary["targets"] = judge(summary)
    adopted, why = adopt(summary["pipelines"])
    summary["adopted"] = {"pipeline": adopted, "why": why}
    summary["meta"]["seconds"] = time.monotonic() - started
    return summary


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "command",
        choices=["run", "report", "profile", "tune"],
        help="run: the benchmark; report: write report.md again from summary.json; profile: py-spy on ours; "
        "tune: the thresholds, on the dev sets",
    )
    parser.add_argument("--model", default=str(ROOT / "models" / "immuno.tar.gz"), help="the model `tune` replays")
    parser.add_argument("--quick", action="store_true", help="a short run of every step (results marked quick)")
    parser.add_argument("--skip-cv", action="append", default=[], choices=PIPELINES, help="no cross-validation for it")
    arguments = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    if arguments.command == "tune":
        from bench.tune import main as tune

        return tune(arguments.model)
    if arguments.command == "profile":
        profile(str(ROOT / "models" / "immuno.tar.gz"))
        return 0
    if arguments.command == "report":
        write_report(json.loads((RESULTS / "summary.json").read_text()))
        return 0
    settings = QUICK if arguments.quick else FULL
    summary = run(replace(settings, skip_cv=tuple(sorted({*settings.skip_cv, *arguments.skip_cv}))))
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2))
    write_report(summary)
    met = sum(t["met"] for t in summary["targets"])
    progress("done", f"{met}/{len(summary['targets'])} targets met; see {RESULTS / 'report.md'}")
    return 0
