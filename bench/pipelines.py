"""The three pipelines compared (ours, the DIET pipeline it replaced, stock `rasa init`) and their timed training."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from bench import BIN, RESULTS, ROOT, progress

PIPELINES = ["ours", "diet", "stock"]
WORK = RESULTS / "work"
TRAINED_COMPONENTS = {"DIETClassifier", "ResponseSelector", "TEDPolicy", "UnexpecTEDIntentPolicy"}
# Offline for good: nothing may be fetched from a model hub.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _ours() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "config.yml").read_text())


def _diet() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "bench" / "configs" / "diet.yml").read_text())


def _stock_text() -> str:
    return (ROOT / "bench" / "configs" / "stock.yml").read_text()


def _short_epochs(config: Dict[str, Any], epochs: int) -> Dict[str, Any]:
    config = copy.deepcopy(config)
    for part in ("pipeline", "policies"):
        for component in config.get(part) or []:
            if component["name"] in TRAINED_COMPONENTS:
                component["epochs"] = epochs
    return config


def _stock_explicit() -> Dict[str, Any]:
    """The stock config with Rasa's default pipeline and policies filled in, as Rasa itself does at training (needed
    to shorten its epochs)."""
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    config = yaml.safe_load(_stock_text())
    missing = {key for key in ("pipeline", "policies") if not config.get(key)}
    return DefaultV1Recipe.complete_config(config, missing)


def write_config(name: str, epochs: Optional[int]) -> Path:
    """The config file a pipeline trains with; `epochs` shortens every trained component (quick runs only)."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"{name}.yml"
    if name == "stock" and epochs is None:
        path.write_text(_stock_text())  # verbatim: Rasa fills in its defaults itself
        return path
    config = {"ours": _ours, "diet": _diet, "stock": _stock_explicit}[name]()
    if epochs is not None:
        config = _short_epochs(config, epochs)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _training_inputs() -> List[Path]:
    files = [ROOT / "domain.yml", *sorted((ROOT / "data").rglob("*.yml"))]
    components = sorted((ROOT / "nlu_components").glob("*.py")) + sorted((ROOT / "nlu_components").glob("*.yml"))
    return files + components + [ROOT / "spacy_pipeline" / "build.py"]


def _fingerprint(config: Path) -> str:
    digest = hashlib.sha256(config.read_bytes())
    for path in _training_inputs():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def env() -> Dict[str, str]:
    return {**os.environ, **OFFLINE_ENV}


def train(name: str, config: Path) -> Dict[str, Any]:
    """Train a full model (NLU and dialogue: it is also served) with `rasa train` and time it; a model already
    trained from exactly this config and data is reused, with the training time measured when it was made."""
    kind = "full"
    stem = f"{name}-{kind}-{_fingerprint(config)}"
    model, record = WORK / f"{stem}.tar.gz", WORK / f"{stem}.json"
    if model.exists() and record.exists():
        progress(
            f"train {name} ({kind})",
            f"reusing {model.name} (trained in {json.loads(record.read_text())['seconds']:.0f}s)",
        )
        return {**json.loads(record.read_text()), "model": str(model), "reused": True}
    command = [
        str(BIN / "rasa"),
        "train",
        "--domain",
        "domain.yml",
        "--config",
        str(config),
        "--data",
        "data",
        "--out",
        str(WORK),
        "--fixed-model-name",
        stem,
    ]
    progress(f"train {name} ({kind})", "started; log in " + str(WORK / f"{stem}.log"))
    started = time.monotonic()
    # an empty cache of Rasa's own: a cold training, as on a fresh clone, not one restored from .rasa/cache
    with (WORK / f"{stem}.log").open("w") as log, tempfile.TemporaryDirectory() as cache:
        run_env = {**env(), "RASA_CACHE_DIRECTORY": cache}
        process = subprocess.Popen(command, cwd=ROOT, env=run_env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own CPU time, whatever else runs meanwhile
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"training {name} failed; see {WORK / f'{stem}.log'}")
    # CPU seconds, unlike wall time, are not inflated by other work on the machine
    result = {"seconds": time.monotonic() - started, "cpu_seconds": usage.ru_utime + usage.ru_stime, "kind": kind}
    record.write_text(json.dumps(result))
    progress(f"train {name} ({kind})", f"done in {result['seconds']:.0f}s ({result['cpu_seconds']:.0f}s of CPU)")
    return {**result, "model": str(model), "reused": False}


def made_by_make() -> Dict[str, Any]:
    """models/immuno.tar.gz as `make train` built it, with the training time the Makefile recorded."""
    model, record = ROOT / "models" / "immuno.tar.gz", ROOT / "models" / "immuno.train.json"
    if not (model.exists() and record.exists()):
        raise RuntimeError("models/immuno.tar.gz or its training time is missing: run `make train`")
    progress("train ours (full)", f"reusing {model.relative_to(ROOT)} from `make train`")
    return {**json.loads(record.read_text()), "kind": "full", "model": str(model), "reused": True}


def sample_nlu(per_intent: int) -> Path:
    """The first `per_intent` examples of every intent in data/nlu: small data for a quick cross-validation."""
    items = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text()).get("nlu") or []:
            if "intent" in item:
                lines = [line for line in item["examples"].splitlines() if line.strip().startswith("- ")]
                items.append({"intent": item["intent"], "examples": "\n".join(lines[:per_intent]) + "\n"})
    path = WORK / f"nlu-sample-{per_intent}.yml"
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": items}, sort_keys=False, width=1000))
    return path
