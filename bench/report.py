"""bench/results/report.md and its charts (confusion matrix, latency distribution, throughput against concurrency)."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from bench import RESULTS, ROOT  # noqa: E402
from bench.understanding import predictions  # noqa: E402

FINDINGS = ROOT / "bench" / "findings.md"  # what the missed targets come from, kept by hand

LABELS = {"ours": "ours (config.yml)", "diet": "DIET (bench/configs/diet.yml)", "stock": "stock rasa init"}


def confusion_chart(name: str) -> str:
    rows = predictions(RESULTS / name / "held_out")
    labels = sorted({r["intent"] for r in rows} | {r["predicted"] for r in rows})
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for r in rows:
        matrix[index[r["intent"]], index[r["predicted"]]] += 1
    fig, ax = plt.subplots(figsize=(11, 10))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=6, color="white" if i == j else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"Held-out confusion matrix: {LABELS[name]}")
    fig.tight_layout()
    file = f"confusion_{name}.png"
    fig.savefig(RESULTS / file, dpi=110)
    plt.close(fig)
    return file


def latency_chart(names: List[str]) -> str:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name in names:
        latencies = 1000 * np.array(json.loads((RESULTS / name / "latencies_one_client.json").read_text()))
        ax.hist(latencies, bins=40, histtype="step", linewidth=1.5, label=LABELS[name])
    ax.set_xlabel("latency, one client (ms)")
    ax.set_ylabel("messages")
    ax.set_title("Latency distribution, one client, end to end over HTTP")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "latency.png", dpi=110)
    plt.close(fig)
    return "latency.png"


def throughput_chart(summary: Dict[str, Any]) -> str:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, pipeline in summary["pipelines"].items():
        levels = sorted(pipeline["speed"]["concurrency"], key=int)
        ax.plot(
            [int(c) for c in levels],
            [pipeline["speed"]["concurrency"][c]["throughput_per_s"] for c in levels],
            marker="o",
            label=LABELS[name],
        )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("concurrent clients")
    ax.set_ylabel("messages answered per second")
    ax.set_title("Throughput against concurrency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "throughput.png", dpi=110)
    plt.close(fig)
    return "throughput.png"


def scale_chart(scale: Dict[str, Any]) -> str:
    """Throughput with one replica and with two behind nginx, each bar labelled with its p95."""
    counts = sorted(scale["replicas"], key=int)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    bars = ax.bar([f"{c} replica{'s' if c != '1' else ''}" for c in counts], [scale["replicas"][c] for c in counts])
    for bar, count in zip(bars, counts, strict=True):
        ax.annotate(f"p95 {scale['p95_ms'][count]:.0f} ms", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom")  # fmt: skip
    ax.set_ylabel("messages answered per second")
    ax.set_title(f"Scale-out: {scale['clients']} clients, nginx, PostgreSQL (x{scale['ratio']:.2f})")
    fig.tight_layout()
    fig.savefig(RESULTS / "scale.png", dpi=110)
    plt.close(fig)
    return "scale.png"


def _scale_lines(scale: Dict[str, Any]) -> List[str]:
    failover = scale["failover"]
    return [
        "## Scale-out (ours: replicas behind nginx, PostgreSQL tracker store and stores, Redis lock store)",
        "",
        "| replicas | msg/s | p95 ms | errors |",
        "| --- | --- | --- | --- |",
        *[
            f"| {count} | {scale['replicas'][count]:.1f} | {scale['p95_ms'][count]:.0f} | {scale['errors'][count]} |"
            for count in sorted(scale["replicas"], key=int)
        ],
        "",
        f"{scale['clients']} clients, the same servers in the same run (one replica: an nginx in front of replica 0 "
        f"only). Ratio 2 / 1: **{scale['ratio']:.2f}**.",
        "",
        f"Failover: replica 1 killed with kill -9 a third of the way through {failover['messages']} messages: "
        f"{failover['answered']} answered, {failover['errors']} errors the client saw, **{failover['unanswered']} "
        f"unanswered**; **{failover['lost_events']} acknowledged messages missing** from PostgreSQL, "
        f"{failover['duplicated_events']} stored twice.",
        "",
    ]


def _f(value: Any, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _understanding_table(summary: Dict[str, Any], part: str) -> List[str]:
    lines = [
        "| pipeline | accuracy | macro-F1 | out-of-scope recall | in-scope fallback | entity F1 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, p in summary["pipelines"].items():
        u = p[part]
        if "skipped" in u:
            lines.append(f"| {LABELS[name]} | skipped: {u['skipped']} | | | | |")
            continue
        lines.append(
            f"| {LABELS[name]} | {u['accuracy']:.1%} | {u['macro_f1']:.3f} | {u['out_of_scope_recall']:.1%} | "
            f"{u['in_scope_fallback_rate']:.1%} | {_f(u['entities']['f1'], 3)} |"
        )
    return lines


def _independent_lines(pipelines: Dict[str, Any]) -> List[str]:
    """The frozen independent sets and MedQuAD (bench/independent.py), for the pipelines the run scored on them."""
    lines = [
        "Frozen independent sets, written by helpers who never saw the training data (tests/nlu/independent.yml on "
        "messages not also in the training data; tests/urgent/independent.yml), and MedQuAD questions that are not "
        "about immunotherapy (labelled by their focus, see bench/independent.py):",
        "",
        "| pipeline | accuracy | macro-F1 | out-of-scope recall | in-scope fallback | urgent recall | urgent false "
        "alarms | MedQuAD topic answers |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, p in pipelines.items():
        if not p.get("independent"):
            lines.append(f"| {LABELS[name]} | not scored in a quick run | | | | | | |")
            continue
        nlu, urgent, medquad = p["independent"]["nlu"], p["independent"]["urgent"], p["independent"].get("medquad")
        lines.append(
            f"| {LABELS[name]} | {nlu['accuracy']:.1%} | {nlu['macro_f1']:.3f} | {nlu['out_of_scope_recall']:.1%} | "
            f"{nlu['in_scope_fallback_rate']:.1%} | {urgent['recall']:.1%} | {urgent['false_alarm_rate']:.1%} | "
            f"{_f(medquad and medquad['other_given_topic_answer'], 3)} |"
        )
    ours = pipelines["ours"].get("independent") or {}
    if ours:
        per_category = ours["urgent"]["per_category_recall"]
        below = ", ".join(f"{k} {v:.0%}" for k, v in sorted(per_category.items()) if v < 1) or "none"
        lines += ["", f"Urgent categories below 100% recall (ours): {below}."]
        second = ours.get("urgent2")
        if second:
            lines += [
                "",
                f"Second frozen urgent set (tests/urgent/independent2.yml, ours): recall {second['recall']:.1%}, "
                f"false alarms {second['false_alarm_rate']:.1%}.",
            ]
    return [*lines, ""]


def _entity_lines(pipelines: Dict[str, Any]) -> List[str]:
    """Entity scores on the held-out file's hand annotations (same type over the same characters)."""
    held = {name: p["held_out"]["entities"] for name, p in pipelines.items()}
    if not any(e.get("annotated") for e in held.values()):
        return ["Entity F1: " + held["ours"].get("note", "not measured") + ".", ""]
    lines = [
        "Entities on the held-out file's hand annotations (bench/entities.py: same type over the same characters):",
        "",
    ]
    for name, e in held.items():
        per_type = ", ".join(f"{k} {v['f1']:.2f}" for k, v in e.get("per_type", {}).items())
        lines.append(
            f"- {LABELS[name]}: precision {e['precision']:.3f}, recall {e['recall']:.3f}, F1 {e['f1']:.3f} "
            f"({e['annotated']} annotated, {e['predicted']} found; per type: {per_type or 'none found'})"
        )
    return [*lines, ""]


def write_report(summary: Dict[str, Any]) -> None:
    pipelines = summary["pipelines"]
    meta = summary["meta"]
    stock = pipelines["stock"]["speed"]
    charts = [confusion_chart(name) for name in pipelines]
    lines = [
        f"# Benchmark{' (QUICK: shortened, not for quoting)' if meta['quick'] else ''}",
        "",
        f"Run {meta['started']} on {meta['machine']['cores']} cores, {meta['machine']['memory_gb']} GB, Python "
        f"{meta['machine']['python']}; took {meta['seconds'] / 60:.1f} min.",
        f"Settings: `{json.dumps(meta['settings'])}`.",
        "",
        "## Targets (our assistant, config.yml)",
        "",
        "| target | goal | measured | met |",
        "| --- | --- | --- | --- |",
        *[
            f"| {t['name']} | {t['target']} | {_f(t['value'], 3)} | {'yes' if t['met'] else '**no**'} |"
            for t in summary["targets"]
        ],
        "",
        f"**Adopted pipeline: {LABELS[summary['adopted']['pipeline']]}**: {summary['adopted']['why']}.",
        "",
        "## Understanding",
        "",
        *_independent_lines(pipelines),
        f"Held-out file (tests/nlu/heldout.yml, {pipelines['ours']['held_out']['messages']} messages; written by the "
        "same hand as the training data, so it flatters every pipeline):",
        "",
        *_understanding_table(summary, "held_out"),
        "",
        f"{meta['settings']['folds']}-fold cross-validation on {pipelines['ours']['cross_validation']['data']}:",
        "",
        *_understanding_table(summary, "cross_validation"),
        "",
        *_entity_lines(pipelines),
        "Most confused pairs on the held-out file (true -> predicted, count):",
        "",
    ]
    for name, p in pipelines.items():
        pairs = ", ".join(f"{c['intent']} -> {c['predicted']} ({c['count']})" for c in p["held_out"]["most_confused"])
        lines.append(f"- {LABELS[name]}: {pairs or 'none'}")
    lines += ["", "Weakest intents (held-out F1):", ""]
    for name, p in pipelines.items():
        weak = sorted(p["held_out"]["per_intent_f1"].items(), key=lambda kv: kv[1])[:5]
        lines.append(f"- {LABELS[name]}: " + ", ".join(f"{k} {v:.2f}" for k, v in weak))
    lines += [
        "",
        *[f"![confusion matrix {n}]({c})" for n, c in zip(pipelines, charts, strict=True)],
        "",
        "## Speed (end to end over HTTP, REST webhook, Rasa server + action server)",
        "",
        "| pipeline | p50 ms | p95 ms | p99 ms | errors | ratio p50 vs stock |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, p in pipelines.items():
        one = p["speed"]["one_client"]
        lines.append(
            f"| {LABELS[name]} | {one['p50_ms']:.1f} | {one['p95_ms']:.1f} | {one['p99_ms']:.1f} | "
            f"{one['errors']} | {one['p50_ms'] / stock['one_client']['p50_ms']:.2f} |"
        )
    lines += [
        "",
        "| pipeline | clients | msg/s | p95 ms | errors | throughput vs stock |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, p in pipelines.items():
        for clients, level in p["speed"]["concurrency"].items():
            ratio = level["throughput_per_s"] / stock["concurrency"][clients]["throughput_per_s"]
            lines.append(
                f"| {LABELS[name]} | {clients} | {level['throughput_per_s']:.1f} | {level['p95_ms']:.0f} | "
                f"{level['errors']} | {ratio:.2f} |"
            )
    lines += [
        "",
        f"![latency]({latency_chart(list(pipelines))}) ![throughput]({throughput_chart(summary)}) "
        f"![scale-out]({scale_chart(summary['scale'])})",
        "",
        *_scale_lines(summary["scale"]),
        "",
        "## Cost",
        "",
        "| pipeline | training s (wall) | training s (CPU) | action server ready s | Rasa server ready s | "
        "Rasa RSS MB after warm-up | action server RSS MB after warm-up | Rasa RSS MB at end |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, p in pipelines.items():
        rss = p["speed"]["rss_mb"]
        reused = " (reused)" if p["training"]["reused"] else ""
        lines.append(
            f"| {LABELS[name]} | {p['training']['seconds']:.0f}{reused} | {_f(p['training'].get('cpu_seconds'), 0)} | "
            f"{p['ready_seconds']['actions']:.1f} | "
            f"{p['ready_seconds']['rasa']:.1f} | {rss['after_warmup']['rasa']:.0f} | "
            f"{rss['after_warmup']['actions']:.0f} | {rss['end']['rasa']:.0f} |"
        )
    lines += [f"- {LABELS[n]}: {p['training']['note']}" for n, p in pipelines.items() if p["training"].get("note")]
    soak = summary["soak"]
    lines += [
        "",
        "## Soak (ours)",
        "",
        f"{soak['messages']} messages in {soak['conversations']} conversations, {soak['clients']} clients at once, "
        f"{soak['errors']} errors. p50 {soak['p50_start_ms']:.1f} ms (first tenth) -> {soak['p50_end_ms']:.1f} ms "
        f"(last tenth): {soak['p50_drift_pct']:+.1f}%. RSS Rasa server {soak['rss_start_mb']['rasa']:.0f} -> "
        f"{soak['rss_end_mb']['rasa']:.0f} MB ({soak['rss_drift_pct']['rasa']:+.1f}%), action server "
        f"{soak['rss_start_mb']['actions']:.0f} -> {soak['rss_end_mb']['actions']:.0f} MB "
        f"({soak['rss_drift_pct']['actions']:+.1f}%).",
        "",
    ]
    lines += _profile_lines()
    if FINDINGS.exists():  # what the misses come from, written by whoever last studied a full run
        lines += [FINDINGS.read_text(encoding="utf-8")]
    (RESULTS / "report.md").write_text("\n".join(lines))


def _profile_lines(top: int = 30) -> List[str]:
    """The hot spots of the last `python -m bench profile`, without the web framework's and event loop's frames."""
    path = RESULTS / "profile" / "hot_spots.txt"
    if not path.exists():
        return ["## Profile", "", "Not run: `.venv/bin/python -m bench profile` samples our servers with py-spy.", ""]
    plumbing = (
        "sanic/",
        "asyncio/",
        "dask/",
        "(rasa)",
        "rasa/__main__",
        "rasa/cli/",
        "rasa/api.py",
        "threading.py",
        "connection_task",
        "handle_request",
        "runners.py",
        "rasa_sdk/__main__",
        "concurrent/",
    )
    lines = ["## Profile (py-spy, one client; share of samples with the function on the stack)", ""]
    for block in path.read_text().split("\n\n"):
        heading, *rows = block.strip().splitlines()
        lines += [f"{heading.lstrip('# ')}:", "", "```"]
        lines += [row for row in rows if not any(p in row for p in plumbing)][:top] + ["```", ""]
    return lines
