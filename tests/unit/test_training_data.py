"""Test sentences stay unseen: none of the held-out NLU, conversation test or benchmark messages is in the training
data."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT


def _norm(text: str) -> str:
    """The words of a message, without Rasa's entity annotations ([CAR T](therapy_type)), case or punctuation."""
    text = re.sub(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})", r"\1", text)
    return re.sub(r"\W+", " ", text.lower()).strip()


def _examples(path):
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        if "intent" in item:
            for line in item["examples"].splitlines():
                if line.strip().startswith("- "):
                    yield item["intent"], line.strip()[2:]


def _training():
    return {_norm(text) for path in (ROOT / "data/nlu").glob("*.yml") for _, text in _examples(path)}


def test_held_out_examples_are_not_in_training_data_and_suffice_per_intent():
    held_out = list(_examples(ROOT / "tests/nlu/heldout.yml"))
    assert not {_norm(t) for _, t in held_out} & _training()
    intents = yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]
    for intent in intents:
        assert sum(1 for i, _ in held_out if i == intent) >= 8, intent


def test_benchmark_messages_are_neither_training_nor_held_out_data():
    mix = yaml.safe_load((ROOT / "bench/messages.yml").read_text())
    messages = {_norm(text) for kind in mix.values() for text in kind["texts"]}
    held_out = {_norm(text) for _, text in _examples(ROOT / "tests/nlu/heldout.yml")}
    assert len(messages) >= 30
    assert not messages & (_training() | held_out)


def test_conversation_test_messages_are_not_in_training_data():
    stories = yaml.safe_load((ROOT / "tests/test_conversations.yml").read_text())["stories"]
    messages = {_norm(step["user"]) for story in stories for step in story["steps"] if "user" in step}
    assert not messages & _training()


def test_every_intent_is_covered_by_the_conversation_tests():
    stories = yaml.safe_load((ROOT / "tests/test_conversations.yml").read_text())["stories"]
    covered = {step["intent"] for story in stories for step in story["steps"] if "intent" in step}
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
    assert intents <= covered, intents - covered


def test_answer_intents_have_at_least_forty_training_examples():
    counts = {}
    for path in (ROOT / "data/nlu").glob("*.yml"):
        for intent, _ in _examples(path):
            counts[intent] = counts.get(intent, 0) + 1
    answer_intents = [i for i in yaml.safe_load((ROOT / "domain.yml").read_text())["intents"] if i.startswith("ask_")]
    assert all(counts.get(i, 0) >= 40 for i in answer_intents), counts


SHORT = 4  # words: "yes please" or "what is car t" is written by everyone; the measure leaves such twins out


def test_no_sentence_of_the_independent_sets_is_in_the_training_data_or_the_red_flag_phrases():
    """Twins of a few words happen between writers who never met (bench/independent.py scores them apart); a
    longer sentence in both is a copy."""
    nlu = [t for name in ("independent.yml", "dev.yml") for _, t in _examples(ROOT / "tests/nlu" / name)]
    urgent = []
    # dev3.yml shares a few common questions with the training data: its own test below
    for path in sorted(p for p in (ROOT / "tests/urgent").glob("*.yml") if p.name != "dev3.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        urgent += [str(t) for texts in data["urgent"].values() for t in texts] + [str(t) for t in data["not_urgent"]]
    copies = {_norm(t) for t in nlu + urgent if len(_norm(t).split()) > SHORT} & _training()
    assert not copies, sorted(copies)
    phrases = _norm((ROOT / "nlu_components/red_flags.yml").read_text(encoding="utf-8"))
    assert not [t for t in urgent if len(_norm(t).split()) > SHORT and _norm(t) in phrases]


def test_the_third_tuning_sets_share_only_a_few_common_questions_with_the_training_data():
    """tests/nlu/dev3.yml and tests/urgent/dev3.yml were written after the training data, by writers who could not
    see it, and share some common questions of five to twelve words with it ("what cancers does immunotherapy
    treat"); the bench scores those apart. Copying either set into the training data would raise the share."""
    texts = [t for _, t in _examples(ROOT / "tests/nlu/dev3.yml")]
    data = yaml.safe_load((ROOT / "tests/urgent/dev3.yml").read_text(encoding="utf-8"))
    texts += [str(t) for group in data["urgent"].values() for t in group] + [str(t) for t in data["not_urgent"]]
    long = [_norm(t) for t in texts if len(_norm(t).split()) > SHORT]
    trained = _training()
    twins = [t for t in long if t in trained]
    assert len(twins) <= 0.06 * len(long), sorted(twins)
