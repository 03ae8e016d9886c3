"""The scope gate: a topic answer only for a question about cancer immunotherapy. A message the classifiers gave a
topic (or were unsure about) becomes `out_of_scope` unless it names an immunotherapy term or reads like the
questions the assistant was trained to answer (cosine similarity of its sentence embedding to the nearest
training example of an answer intent).

It also lists the message's words that no in-scope training example uses (spelling slips of known words aside):
a drug or disease the assistant knows nothing about. The actions use that to tell a follow-up question from a
new subject.

Runs after the FallbackClassifier and before the red-flag check, which still overrides it. What it decided is
kept in the parse data under `scope`, for the actions and the content report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Pattern, Set

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.lang.en.stop_words import STOP_WORDS

OUT_OF_SCOPE = "out_of_scope"
SCOPE_KEY = "scope"
SCOPE_FILE = Path(__file__).with_name("scope.yml")
EMBEDDINGS_FILE = "answer_examples.npy"
VOCABULARY_FILE = "vocabulary.json"
SHORTEST_WORD = 4  # shorter words are too often slips or abbreviations to mean anything here


def sentence_embedding(message: Message) -> Optional[np.ndarray]:
    _, sentence = message.get_dense_features(TEXT)
    return None if sentence is None else np.asarray(sentence.features).reshape(-1)


class ScopeTerms:
    """The words that make a question explicitly about immunotherapy (scope.yml), plus the entity types that do."""

    def __init__(self, path: Path = SCOPE_FILE) -> None:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.entity_types = set(spec["immunotherapy_entities"])
        self.terms: Pattern[str] = re.compile("|".join(f"(?:{p})" for p in spec["immunotherapy_terms"]))
        self.not_immunotherapy: Pattern[str] = re.compile("|".join(f"(?:{p})" for p in spec["not_immunotherapy"]))

    def names_immunotherapy(self, message: Message) -> bool:
        text = (message.get(TEXT) or "").lower()
        if self.not_immunotherapy.search(text):
            return False
        named = any(e.get(ENTITY_ATTRIBUTE_TYPE) in self.entity_types for e in message.get(ENTITIES) or [])
        return named or bool(self.terms.search(text))


def _deletions(word: str, depth: int) -> Set[str]:
    """The word with up to `depth` letters left out (a symmetric-delete index finds slips in both directions)."""
    found, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _slips(word: str) -> int:
    return 1 if len(word) < 8 else 2


class Vocabulary:
    """The words of the in-scope training examples, and a quick test for a word that is none of them, misspelt."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = set(words)
        self.index: Set[str] = set()
        for word in self.words:
            self.index |= _deletions(word, _slips(word))

    @staticmethod
    def content_words(tokens: Iterable[Token]) -> List[Token]:
        """The words that can say what a message is about (not short, not a stop word): the ones `unknown` judges."""
        return [
            t for t in tokens if len(t.text) >= SHORTEST_WORD and t.text.isalpha() and t.text.lower() not in STOP_WORDS
        ]

    def unknown(self, tokens: Iterable[Token]) -> List[str]:
        unknown = []
        for token in self.content_words(tokens):
            word, lemma = token.text.lower(), str(token.lemma or "").lower()
            if not {word, lemma} & self.words and not _deletions(word, _slips(word)) & self.index:
                unknown.append(word)
        return unknown


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ScopeGate(GraphComponent):
    """Turns a topic (or an unsure guess at one) into `out_of_scope` when the message is not about immunotherapy."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "answer_intent_prefix": "ask_",
            # cosine similarity to the nearest answer-intent training example a message needs...
            "min_similarity": 0.55,
            # ...or this much, when it has words no in-scope example uses (both tuned by `python -m bench tune`)
            "min_similarity_with_unknown_words": 0.7,
        }

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ScopeGate:
        return cls(config, model_storage, resource, np.zeros((0, 0), np.float32), Vocabulary([]))

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ScopeGate:
        with model_storage.read_from(resource) as folder:
            examples = np.load(folder / EMBEDDINGS_FILE)
            words = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, examples, Vocabulary(words))

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        examples: np.ndarray,
        vocabulary: Vocabulary,
    ) -> None:
        self.prefix = str(config["answer_intent_prefix"])
        self.min_similarity = float(config["min_similarity"])
        self.min_similarity_unknown = float(config["min_similarity_with_unknown_words"])
        self.model_storage, self.resource = model_storage, resource
        self.examples = examples  # unit-length embeddings of the answer intents' training examples
        self.vocabulary = vocabulary
        self.terms = ScopeTerms()

    def train(self, training_data: TrainingData) -> Resource:
        rows = [
            sentence_embedding(m) for m in training_data.intent_examples if str(m.get(INTENT)).startswith(self.prefix)
        ]
        rows = [r for r in rows if r is not None]
        if not rows:
            raise ValueError("ScopeGate needs a featurizer with dense sentence features before it, and ask_ examples")
        words = {
            form.lower()
            for m in training_data.intent_examples
            if m.get(INTENT) != OUT_OF_SCOPE
            for token in m.get(TOKENS_NAMES[TEXT]) or []
            for form in (token.text, str(token.lemma or ""))
            if form
        }
        with self.model_storage.write_to(self.resource) as folder:
            np.save(folder / EMBEDDINGS_FILE, np.vstack(rows).astype(np.float32))
            (folder / VOCABULARY_FILE).write_text(json.dumps(sorted(words)), encoding="utf-8")
        return self.resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._gate(message)
        return messages

    def _gate(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        ranking = message.get(INTENT_RANKING_KEY) or []
        guess = intent.get(INTENT_NAME_KEY)
        if guess == DEFAULT_NLU_FALLBACK_INTENT_NAME:  # unsure: judge its best guess
            guess = next((r[INTENT_NAME_KEY] for r in ranking if r[INTENT_NAME_KEY] != guess), None)
        if not guess or not str(guess).startswith(self.prefix):
            return
        embedding = sentence_embedding(message)
        similarity = float(np.max(self.examples @ embedding)) if embedding is not None and self.examples.size else 0.0
        named = self.terms.names_immunotherapy(message)
        unknown = self.vocabulary.unknown(message.get(TOKENS_NAMES[TEXT]) or [])
        needed = self.min_similarity_unknown if unknown else self.min_similarity
        about = named or similarity >= needed
        decision = {
            "about_immunotherapy": about,
            "names_immunotherapy": named,
            "similarity": round(similarity, 3),
            "unknown_words": unknown,
            "classified_intent": guess,
        }
        message.set(SCOPE_KEY, decision, add_to_output=True)
        words = self.vocabulary.content_words(message.get(TOKENS_NAMES[TEXT]) or [])
        if intent.get(INTENT_NAME_KEY) == DEFAULT_NLU_FALLBACK_INTENT_NAME and words and len(unknown) == len(words):
            return  # unsure and not one word we know ("blorp zanq"): "I didn't understand", not "that's not our topic"
        if not about:
            message.set(INTENT, {INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
