"""Understanding on text nobody on the team wrote for it, with the trained model: the frozen independent NLU set
and real health questions from MedQuAD (bench/independent.py says how they are labelled). The floors of the
understanding issue; `make bench` reports the same figures against the higher targets."""

from __future__ import annotations

import json

import pytest

from bench.independent import evaluate
from tests.conftest import ROOT

MIN_ACCURACY = 0.93
MAX_MEDQUAD_TOPIC_ANSWERS = 0.05
MODEL = ROOT / "models" / "immuno.tar.gz"
OUT = ROOT / "results" / "understanding.json"


@pytest.fixture(scope="module")
def figures():
    if not MODEL.exists():
        pytest.fail("no trained model: `make train` first (make test does it)")
    result = evaluate(str(MODEL))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({k: v for k, v in result.items() if k != "raw"}, indent=2))
    nlu, medquad = result["nlu"], result["medquad"]
    print(
        f"\nindependent set: intent accuracy {nlu['accuracy']:.3f}, macro-F1 {nlu['macro_f1']:.3f}, out-of-scope "
        f"recall {nlu['out_of_scope_recall']:.3f}, in-scope fallback {nlu['in_scope_fallback_rate']:.3f}; MedQuAD: "
        f"{medquad['other_given_topic_answer']:.3f} of {medquad['other_questions']} other questions got a topic answer"
    )
    return result


def test_intent_accuracy_on_the_independent_set(figures):
    assert figures["nlu"]["accuracy"] >= MIN_ACCURACY


def test_real_health_questions_about_other_things_rarely_get_an_immunotherapy_answer(figures):
    medquad = figures["medquad"]
    assert medquad["other_questions"] >= 2000
    assert medquad["other_given_topic_answer"] <= MAX_MEDQUAD_TOPIC_ANSWERS, medquad["examples_answered"][:20]
