"""Print the held-out intent accuracy from `rasa test nlu` and fail under the threshold.

Usage: python tests/check_intent_accuracy.py results/nlu/intent_report.json 0.90
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(report_path: str, threshold: float) -> int:
    report = json.loads(Path(report_path).read_text())
    accuracy = float(report["accuracy"])
    macro_f1 = float(report["macro avg"]["f1-score"])
    weak = sorted(
        (name, scores["f1-score"])
        for name, scores in report.items()
        if isinstance(scores, dict)
        and "f1-score" in scores
        and name not in ("macro avg", "weighted avg", "micro avg")
        and scores["f1-score"] < 0.9
    )
    print(f"Held-out intent accuracy: {accuracy:.1%} (threshold {threshold:.0%}), macro-F1: {macro_f1:.3f}")
    for name, f1 in weak:
        print(f"  weaker intent: {name} F1 {f1:.2f}")
    if accuracy < threshold:
        print("FAILED: held-out intent accuracy is under the threshold")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
