"""Entity precision, recall and F1 of a trained model on hand-annotated messages (a match is the same type over the
same characters). `rasa test nlu` cannot score our pipeline: it drops the entities of pretrained extractors (spaCy's),
and ours come from the project's spaCy entity ruler.

Usage: python -m bench.entities MODEL DATA OUT.json
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

Span = Tuple[int, int, int, str]  # message number, start, end, entity type


def scores(gold: Set[Span], predicted: Set[Span]) -> Dict[str, Any]:
    hits = len(gold & predicted)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"annotated": len(gold), "predicted": len(predicted), "precision": precision, "recall": recall, "f1": f1}


async def evaluate(model: str, data: str) -> Dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load(model)
    gold: Set[Span] = set()
    predicted: Set[Span] = set()
    misses: List[Dict[str, Any]] = []
    for number, example in enumerate(load_data(data).nlu_examples):
        text = example.get("text")
        truth = {(number, e["start"], e["end"], e["entity"]) for e in example.get("entities") or []}
        parsed = await agent.parse_message(text)
        found = {(number, e["start"], e["end"], e["entity"]) for e in parsed.get("entities") or []}
        gold |= truth
        predicted |= found
        if truth != found and len(misses) < 20:
            misses.append(
                {
                    "text": text,
                    "annotated": [f"{text[s:e]} ({kind})" for _, s, e, kind in sorted(truth)],
                    "found": [f"{text[s:e]} ({kind})" for _, s, e, kind in sorted(found)],
                }
            )
    kinds = sorted({span[3] for span in gold | predicted})
    return {
        **scores(gold, predicted),
        "per_type": {k: scores({g for g in gold if g[3] == k}, {p for p in predicted if p[3] == k}) for k in kinds},
        "misses": misses,
    }


def main(argv: List[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    model, data, out = argv
    Path(out).write_text(json.dumps(asyncio.run(evaluate(model, data)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
