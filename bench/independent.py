"""Understanding measured on text nobody on the team wrote for it: the frozen independent NLU and urgent-symptom
sets (tests/nlu/independent.yml, tests/urgent/independent.yml) and real health questions from MedQuAD.

MedQuAD (Ben Abacha and Demner-Fushman, BMC Bioinformatics 20:511, 2019; CC BY 4.0) is read from
../shared/datasets/medquad/ (MEDQUAD_PATH) and never trained on. Its questions are labelled by their `focus` column:
- `immunotherapy`: cancer immunotherapy drugs (checkpoint inhibitors, aldesleukin, T-VEC, sipuleucel-T, imiquimod,
  peginterferon alfa-2b for melanoma) and the page "Immunotherapy: questions to ask your doctor": these should get
  a topic answer, and are scored apart;
- `borderline`: drugs that are immunotherapy for some uses and not others (BCG, rituximab, alemtuzumab,
  interferon alfa-2b, lenalidomide and its relatives, the targeted monoclonal antibodies): left out of both rates;
- `other`: everything else, including interferons for hepatitis and multiple sclerosis: these must not get a topic
  answer. The test sample is `MEDQUAD_SIZE` of them, shuffled with seed 7; the dev sample (for tuning) is the next
  `MEDQUAD_SIZE` of the same shuffle, so the two never overlap.

Usage: python -m bench.independent MODEL OUT.json [--dev]  (--dev: all the tuning sets instead of the frozen ones)
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import random
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

from bench import ROOT
from service.settings import medquad_file

NLU_TEST = ROOT / "tests" / "nlu" / "independent.yml"
NLU_DEV = ROOT / "tests" / "nlu" / "dev.yml"
NLU_DEV3 = ROOT / "tests" / "nlu" / "dev3.yml"
URGENT_TEST = ROOT / "tests" / "urgent" / "independent.yml"
# a second frozen set, written after the first one's misses had been read during tuning (tests/nlu/README.md)
URGENT_TEST2 = ROOT / "tests" / "urgent" / "independent2.yml"
# the tuning sets, each by a different writer (tests/nlu/README.md)
NLU_DEVS = [NLU_DEV, NLU_DEV3]
URGENT_DEVS = sorted((ROOT / "tests" / "urgent").glob("dev*.yml"))
MEDQUAD_SEED, MEDQUAD_SIZE = 7, 2000
OUT_OF_SCOPE, FALLBACK, URGENT = "out_of_scope", "nlu_fallback", "report_urgent_symptom"
TOPIC_PREFIX = "ask_"

IMMUNOTHERAPY_FOCUS = re.compile(
    r"pembrolizumab|nivolumab|ipilimumab|aldesleukin|talimogene|sipuleucel|imiquimod|sylatron|"
    r"immunotherapy: questions",
    re.I,
)
BORDERLINE_FOCUS = re.compile(
    r"bacillus calmette|\bbcg\b|rituximab|alemtuzumab|interferon alfa-2b injection|lenalidomide|thalidomide|"
    r"pomalidomide|trastuzumab|cetuximab|bevacizumab",
    re.I,
)


def nlu_examples(path: Path) -> List[Tuple[str, str]]:
    """(intent, text) of every example in a Rasa NLU file, entity annotations removed."""
    rows = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        for line in (item.get("examples") or "").splitlines() if "intent" in item else []:
            if line.strip().startswith("- "):
                text = re.sub(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})", r"\1", line.strip()[2:])
                rows.append((item["intent"], text))
    return rows


def normalised(text: str) -> str:
    """A message's words, without case or punctuation, to tell whether two messages are the same."""
    return re.sub(r"\W+", " ", text.lower()).strip()


def training_texts() -> set:
    """Every training example of data/nlu, normalised."""
    return {normalised(t) for path in sorted((ROOT / "data" / "nlu").glob("*.yml")) for _, t in nlu_examples(path)}


def urgent_examples(path: Path) -> Tuple[List[Tuple[str, str]], List[str]]:
    """(category, text) of the urgent messages, and the texts of the ordinary ones."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    urgent = [(category, str(text)) for category, texts in data["urgent"].items() for text in texts]
    return urgent, [str(text) for text in data["not_urgent"]]


def medquad_label(focus: str) -> str:
    if IMMUNOTHERAPY_FOCUS.search(focus):
        return "immunotherapy"
    return "borderline" if BORDERLINE_FOCUS.search(focus) else "other"


def medquad_samples(path: Optional[Path] = None) -> Dict[str, List[str]]:
    """The test and dev samples of questions about other things, and every cancer immunotherapy question."""
    with (path or medquad_file()).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    by_label: Dict[str, List[str]] = {"immunotherapy": [], "borderline": [], "other": []}
    seen = set()
    for row in rows:
        question = " ".join(row["question"].split())
        if question.lower() not in seen:
            seen.add(question.lower())
            by_label[medquad_label(row["focus"])].append(question)
    other = sorted(by_label["other"])
    random.Random(MEDQUAD_SEED).shuffle(other)
    return {
        "test": other[:MEDQUAD_SIZE],
        "dev": other[MEDQUAD_SIZE : 2 * MEDQUAD_SIZE],
        "immunotherapy": by_label["immunotherapy"],
        "borderline": by_label["borderline"],
    }


def outcome(parse: Dict[str, Any]) -> str:
    """What the assistant does with a parsed message: the intent its rules act on."""
    return str((parse.get("intent") or {}).get("name"))


def is_topic_answer(intent: str) -> bool:
    return intent.startswith(TOPIC_PREFIX)


async def _parse_all(model: str, texts: Iterable[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return [await agent.parse_message(text) for text in texts]


def parse_all(model: str, texts: Iterable[str]) -> List[Dict[str, Any]]:
    import structlog

    logging.getLogger("rasa").setLevel(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))  # Rasa's debug lines
    return asyncio.run(_parse_all(model, list(texts)))


def _f1(truth: List[str], predicted: List[str], label: str) -> float:
    hits = sum(t == p == label for t, p in zip(truth, predicted, strict=False))
    said, real = predicted.count(label), truth.count(label)
    return 2 * hits / (said + real) if said + real else 0.0


def intent_metrics(truth: List[str], predicted: List[str], texts: List[str]) -> Dict[str, Any]:
    labels = sorted(set(truth))
    in_scope = [p for t, p in zip(truth, predicted, strict=False) if t != OUT_OF_SCOPE]
    oos = [p for t, p in zip(truth, predicted, strict=False) if t == OUT_OF_SCOPE]
    per_intent = {label: round(_f1(truth, predicted, label), 4) for label in labels}
    confused = Counter((t, p) for t, p in zip(truth, predicted, strict=False) if t != p)
    return {
        "messages": len(truth),
        "accuracy": sum(t == p for t, p in zip(truth, predicted, strict=False)) / len(truth),
        "macro_f1": sum(per_intent.values()) / len(per_intent),
        "per_intent_f1": per_intent,
        "out_of_scope_recall": sum(p in (OUT_OF_SCOPE, FALLBACK) for p in oos) / max(len(oos), 1),
        "out_of_scope_f1": per_intent.get(OUT_OF_SCOPE, 0.0),
        "in_scope_fallback_rate": sum(p == FALLBACK for p in in_scope) / max(len(in_scope), 1),
        "most_confused": [{"intent": a, "predicted": b, "count": n} for (a, b), n in confused.most_common(8)],
        "errors": [
            {"text": x, "intent": t, "predicted": p} for t, p, x in zip(truth, predicted, texts, strict=False) if t != p
        ],
    }


def topic_rate(parses: List[Dict[str, Any]]) -> float:
    return sum(is_topic_answer(outcome(p)) for p in parses) / max(len(parses), 1)


def urgent_metrics(categories: List[str], urgent: List[Dict[str, Any]], ordinary: List[Dict[str, Any]]) -> Dict:
    caught = [outcome(p) == URGENT for p in urgent]
    per_category: Dict[str, List[bool]] = {}
    for category, hit in zip(categories, caught, strict=False):
        per_category.setdefault(category, []).append(hit)
    return {
        "urgent_messages": len(urgent),
        "recall": sum(caught) / max(len(caught), 1),
        "per_category_recall": {c: sum(v) / len(v) for c, v in sorted(per_category.items())},
        "ordinary_messages": len(ordinary),
        "false_alarm_rate": sum(outcome(p) == URGENT for p in ordinary) / max(len(ordinary), 1),
        "missed": [p["text"] for p, hit in zip(urgent, caught, strict=False) if not hit],
        "false_alarms": [p["text"] for p in ordinary if outcome(p) == URGENT],
    }


def dev_nlu() -> List[Tuple[str, str]]:
    return [row for path in NLU_DEVS for row in nlu_examples(path)]


def dev_urgent() -> Tuple[List[Tuple[str, str]], List[str]]:
    """(category, text) of every urgent message and the ordinary messages of all the urgent tuning sets."""
    urgent: List[Tuple[str, str]] = []
    ordinary: List[str] = []
    for path in URGENT_DEVS:
        more_urgent, more_ordinary = urgent_examples(path)
        urgent += more_urgent
        ordinary += more_ordinary
    return urgent, ordinary


def evaluate(model: str, dev: bool = False) -> Dict[str, Any]:
    """Every figure of the understanding issue, for one trained model."""
    nlu = dev_nlu() if dev else nlu_examples(NLU_TEST)
    urgent, ordinary = dev_urgent() if dev else urgent_examples(URGENT_TEST)
    samples = medquad_samples()
    urgent2, ordinary2 = ([], []) if dev else urgent_examples(URGENT_TEST2)
    texts = [t for _, t in nlu] + [t for _, t in urgent] + ordinary + [t for _, t in urgent2] + ordinary2
    if samples:
        texts += samples["dev" if dev else "test"] + samples["immunotherapy"]
    parses = parse_all(model, texts)
    at = 0

    def take(n: int) -> List[Dict[str, Any]]:
        nonlocal at
        at += n
        return parses[at - n : at]

    nlu_parses = take(len(nlu))
    # Two writers who never saw each other's work still both write "hi" and "what is immunotherapy": such messages
    # are scored apart, so the figures are on messages the model has never seen.
    seen = training_texts()
    unseen = [k for k, (_, text) in enumerate(nlu) if normalised(text) not in seen]
    everything = intent_metrics([i for i, _ in nlu], [outcome(p) for p in nlu_parses], [t for _, t in nlu])
    result: Dict[str, Any] = {
        "set": "dev" if dev else "frozen test",
        "nlu": {
            **intent_metrics(
                [nlu[k][0] for k in unseen], [outcome(nlu_parses[k]) for k in unseen], [nlu[k][1] for k in unseen]
            ),
            "left_out_as_also_in_training": len(nlu) - len(unseen),
            "accuracy_with_those": everything["accuracy"],
        },
        "urgent": urgent_metrics([c for c, _ in urgent], take(len(urgent)), take(len(ordinary))),
        "raw": {"nlu": nlu_parses},
    }
    if urgent2:
        result["urgent2"] = urgent_metrics([c for c, _ in urgent2], take(len(urgent2)), take(len(ordinary2)))
    if samples:
        other, immuno = take(len(samples["dev" if dev else "test"])), take(len(samples["immunotherapy"]))
        result["medquad"] = {
            "labelling": "by focus: see bench/independent.py",
            "other_questions": len(other),
            "other_given_topic_answer": topic_rate(other),
            "immunotherapy_questions": len(immuno),
            "immunotherapy_given_topic_answer": topic_rate(immuno),
            "borderline_left_out": len(samples["borderline"]),
            "other_given_urgent_guidance": sum(outcome(p) == URGENT for p in other) / max(len(other), 1),
            "other_answered_as": Counter(outcome(p) for p in other if is_topic_answer(outcome(p))).most_common(),
            "examples_answered": [p["text"] for p in other if is_topic_answer(outcome(p))][:40],
        }
        result["raw"]["medquad"] = other
    return result


def main(argv: List[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    result = evaluate(argv[0], dev="--dev" in argv)
    Path(argv[1]).write_text(json.dumps({k: v for k, v in result.items() if k != "raw"}, indent=2))
    nlu, urgent, medquad = result["nlu"], result["urgent"], result.get("medquad") or {}
    print(
        f"{result['set']}: intent accuracy {nlu['accuracy']:.3f}, macro-F1 {nlu['macro_f1']:.3f}, out-of-scope recall "
        f"{nlu['out_of_scope_recall']:.3f}, in-scope fallback {nlu['in_scope_fallback_rate']:.3f}; urgent recall "
        f"{urgent['recall']:.3f}, false alarms {urgent['false_alarm_rate']:.3f}; MedQuAD other questions given a "
        f"topic answer {medquad.get('other_given_topic_answer', float('nan')):.3f} (urgent guidance "
        f"{medquad.get('other_given_urgent_guidance', float('nan')):.3f}), immunotherapy questions "
        f"{medquad.get('immunotherapy_given_topic_answer', float('nan')):.3f}"
    )
    if "urgent2" in result:
        print(
            f"second frozen urgent set: recall {result['urgent2']['recall']:.3f}, false alarms "
            f"{result['urgent2']['false_alarm_rate']:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
