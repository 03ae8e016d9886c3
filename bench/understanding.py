"""Understanding: `rasa test nlu` on the held-out file and by cross-validation, reduced to the numbers we report."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

from bench import BIN, ROOT, progress
from bench.pipelines import env

HELD_OUT = ROOT / "tests" / "nlu" / "heldout.yml"
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
NOT_INTENTS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def _rasa_test_nlu(arguments: List[str], out: Path, label: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    command = [str(BIN / "rasa"), "test", "nlu", *arguments, "--out", str(out), "--successes", "--no-plot"]
    progress(label, "started; log in " + str(out / "rasa.log"))
    with (out / "rasa.log").open("w") as log:
        subprocess.run(command, cwd=ROOT, env=env(), stdout=log, stderr=subprocess.STDOUT, check=True)
    progress(label, "done")


def predictions(out: Path) -> List[Dict[str, str]]:
    """Every tested message with its true and predicted intent."""
    rows = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.exists():
            for item in json.loads(path.read_text()):
                rows.append(
                    {"text": item["text"], "intent": item["intent"], "predicted": item["intent_prediction"]["name"]}
                )
    return rows


def _annotated_entities(path: Path) -> int:
    return len(re.findall(r"\]\(|\]\{", path.read_text())) if path.is_file() else 0


def _entities(out: Path, annotated: int) -> Dict[str, Any]:
    """Micro-averaged entity F1 per extractor from Rasa's `<Extractor>_report.json` (cross-validation), when there is
    anything to score."""
    extractors = {}
    for path in sorted(out.glob("*_report.json")):
        name = path.name.removesuffix("_report.json")
        if name in ("intent", "response_selection"):
            continue
        report = json.loads(path.read_text())
        extractors[name] = report.get("micro avg", {}).get("f1-score")
    if not annotated:
        return {"annotated": 0, "f1": None, "extractors": extractors, "note": "the data annotates no entities"}
    return {
        "annotated": annotated,
        "f1": max((v for v in extractors.values() if v is not None), default=None),
        "extractors": extractors,
    }


def _held_out_entities(model: str, out: Path) -> Dict[str, Any]:
    """Entity scores of `model` on the held-out file's hand annotations (bench/entities.py)."""
    if not _annotated_entities(HELD_OUT):
        return {"annotated": 0, "f1": None, "note": "the data annotates no entities"}
    command = [str(BIN / "python"), "-m", "bench.entities", model, str(HELD_OUT), str(out / "entities.json")]
    with (out / "entities.log").open("w") as log:
        subprocess.run(command, cwd=ROOT, env=env(), stdout=log, stderr=subprocess.STDOUT, check=True)
    return json.loads((out / "entities.json").read_text())


def metrics(out: Path) -> Dict[str, Any]:
    """Accuracy, macro-F1, per-intent F1, confused pairs, out-of-scope recall, in-scope fallback."""
    report = json.loads((out / "intent_report.json").read_text())
    rows = predictions(out)
    oos = [r for r in rows if r["intent"] == OUT_OF_SCOPE]
    in_scope = [r for r in rows if r["intent"] != OUT_OF_SCOPE]
    confused = Counter((r["intent"], r["predicted"]) for r in rows if r["intent"] != r["predicted"])
    return {
        "messages": len(rows),
        "accuracy": float(report["accuracy"]),
        "macro_f1": float(report["macro avg"]["f1-score"]),
        "per_intent_f1": {k: float(v["f1-score"]) for k, v in report.items() if k not in NOT_INTENTS and k != FALLBACK},
        "most_confused": [{"intent": a, "predicted": b, "count": n} for (a, b), n in confused.most_common(5)],
        "out_of_scope_recall": sum(r["predicted"] in (OUT_OF_SCOPE, FALLBACK) for r in oos) / max(len(oos), 1),
        "in_scope_fallback_rate": sum(r["predicted"] == FALLBACK for r in in_scope) / max(len(in_scope), 1),
    }


def held_out(name: str, model: str, out: Path) -> Dict[str, Any]:
    _rasa_test_nlu(["--model", model, "--nlu", str(HELD_OUT)], out, f"held-out test {name}")
    return {**metrics(out), "entities": _held_out_entities(model, out)}


def cross_validation(name: str, config: Path, folds: int, data: Path, out: Path) -> Dict[str, Any]:
    arguments = ["--nlu", str(data), "--config", str(config), "--cross-validation", "--folds", str(folds)]
    _rasa_test_nlu(arguments, out, f"{folds}-fold cross-validation {name}")
    files = sorted(data.glob("*.yml")) if data.is_dir() else [data]
    annotated = sum(_annotated_entities(p) for p in files)
    return {"folds": folds, **metrics(out), "entities": _entities(out, annotated)}
