"""The intent classifier: a linear SVM on the sentence embedding and on the message's letter groups.

The embedding knows what a message means; the letter groups (2 to 5 characters, TF-IDF) know the words people
misspell and the drug names the embedding never saw ("keytrooda", "car t", "opdivo"). Together they scored higher
on the independent development set than the embedding alone (Rasa's SklearnIntentClassifier). The confidences come
from sklearn's cross-validated calibration, so that the FallbackClassifier's threshold means the same on every
retraining."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import joblib
import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from nlu_components.sentence_embeddings import MiniLMFeaturizer

FILE = "classifier.joblib"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class EmbeddingAndLettersClassifier(IntentClassifier, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "C": 3.0,  # the SVM's regularisation (smaller: smoother)
            "embedding_weight": 2.0,  # how much the embedding counts against the letter groups
            "ngram_range": [3, 5],
            "calibration_folds": 5,
            "ranking_length": 10,
        }

    @staticmethod
    def required_components() -> List[type]:
        return [MiniLMFeaturizer]

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmbeddingAndLettersClassifier:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        letters: Optional[TfidfVectorizer] = None,
        model: Optional[CalibratedClassifierCV] = None,
    ) -> None:
        self.config = config
        self._model_storage, self._resource = model_storage, resource
        self.letters, self.model = letters, model

    def _features(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        embeddings = np.vstack([m.get_dense_features(TEXT)[1].features for m in messages])
        letters = self.letters.transform([m.get(TEXT) for m in messages])
        return scipy.sparse.hstack(
            [letters, scipy.sparse.csr_matrix(embeddings * self.config["embedding_weight"])]
        ).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        intents = [m.get(INTENT) for m in examples]
        if len(set(intents)) < 2:
            raise ValueError("EmbeddingAndLettersClassifier needs examples of at least two intents")
        low, high = self.config["ngram_range"]
        self.letters = TfidfVectorizer(analyzer="char_wb", ngram_range=(low, high), sublinear_tf=True, lowercase=True)
        self.letters.fit([m.get(TEXT) for m in examples])
        fewest = min(intents.count(i) for i in set(intents))
        self.model = CalibratedClassifierCV(
            LinearSVC(C=self.config["C"], class_weight="balanced", random_state=42),
            cv=max(2, min(self.config["calibration_folds"], fewest)),
            method="sigmoid",
        )
        self.model.fit(self._features(examples), np.array(intents))  # sklearn 1.1 counts classes only in an array
        with self._model_storage.write_to(self._resource) as folder:
            joblib.dump({"letters": self.letters, "model": self.model}, folder / FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EmbeddingAndLettersClassifier:
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as folder:
                saved = joblib.load(folder / FILE)
        except ValueError:  # not trained: no intents in the training data
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, saved["letters"], saved["model"])

    def process(self, messages: List[Message]) -> List[Message]:
        todo = [m for m in messages if m.get(TEXT)]
        if self.model is None or not todo:
            return messages
        probabilities = self.model.predict_proba(self._features(todo))
        for message, row in zip(todo, probabilities, strict=True):
            order = np.argsort(row)[::-1][: self.config["ranking_length"]]
            ranking = [{"name": str(self.model.classes_[i]), "confidence": float(row[i])} for i in order]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
