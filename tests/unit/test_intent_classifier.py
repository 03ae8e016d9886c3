"""The intent classifier learns from the embedding and the letter groups, ranks every intent with confidences that
add up to one, and comes back the same after it is saved and loaded."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.intent_classifier import EmbeddingAndLettersClassifier
from nlu_components.sentence_embeddings import MiniLMFeaturizer

EXAMPLES = {
    "ask_side_effects": [
        "what side effects does keytruda have",
        "can immunotherapy give you a rash",
        "will i feel sick after the infusion",
        "does opdivo make you tired",
        "side effects of checkpoint inhibitors?",
        "my mom wants to know about side effects",
    ],
    "ask_how_given": [
        "how is immunotherapy given",
        "is it a pill or an iv",
        "do they inject it",
        "how do you get car t cells",
        "is keytruda given through a drip",
        "how will my husband get his treatment",
    ],
}


def messages(texts):
    featurizer = MiniLMFeaturizer(MiniLMFeaturizer.get_default_config(), "embeddings")
    return featurizer.process([Message(data={"text": t}) for t in texts])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    classifier = EmbeddingAndLettersClassifier.create({"calibration_folds": 3}, storage, resource, context)
    examples = []
    for intent, texts in EXAMPLES.items():
        for message in messages(texts):
            message.set("intent", intent)
            examples.append(message)
    classifier.train(TrainingData(training_examples=examples))
    return classifier, storage, resource, context


def test_it_ranks_every_intent_with_confidences_that_add_up_to_one(trained):
    classifier = trained[0]
    [message] = classifier.process(messages(["does immunotherapy cause side effects like a rash"]))
    assert message.get("intent")["name"] == "ask_side_effects"
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking][0] == "ask_side_effects"
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_a_misspelt_message_still_finds_its_intent(trained):
    [message] = trained[0].process(messages(["how is immuno therpy givn, iv or pil"]))
    assert message.get("intent")["name"] == "ask_how_given"


def test_it_is_the_same_after_saving_and_loading(trained):
    classifier, storage, resource, context = trained
    loaded = EmbeddingAndLettersClassifier.load({"calibration_folds": 3}, storage, resource, context)
    text = ["is it given by iv"]
    assert loaded.process(messages(text))[0].get("intent_ranking") == classifier.process(messages(text))[0].get(
        "intent_ranking"
    )


def test_it_needs_two_intents(tmp_path):
    classifier = EmbeddingAndLettersClassifier.create(
        {}, LocalModelStorage(tmp_path), Resource("c"), ExecutionContext(GraphSchema({}), "t")
    )
    only = messages(EXAMPLES["ask_how_given"])
    for message in only:
        message.set("intent", "ask_how_given")
    with pytest.raises(ValueError, match="two intents"):
        classifier.train(TrainingData(training_examples=only))
