"""A Rasa featurizer that gives each message its all-MiniLM-L6-v2 sentence embedding as dense sentence features
(for the intent classifier and the scope gate)."""

from __future__ import annotations

from functools import cache
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.minilm import MiniLM


@cache
def shared_model(threads: int) -> MiniLM:
    """One model per process, however many graph nodes ask for it."""
    return MiniLM(threads=threads)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the message's sentence embedding (384 numbers, unit length) as its dense sentence features."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "threads": 1}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        return cls(config, execution_context.node_name)

    def __init__(self, config: Dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self.model = shared_model(int(config["threads"]))

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        if int(config.get("threads", 1)) < 1:
            raise ValueError("MiniLMFeaturizer: `threads` must be 1 or more")

    @staticmethod
    def required_packages() -> List[str]:
        return ["onnxruntime", "onnx", "tokenizers", "safetensors"]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process([m for m in training_data.training_examples if m.get(TEXT)])
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text is None:
                continue
            self.add_features_to_message(None, self.model.embed(text)[None, :], TEXT, message)
        return messages
