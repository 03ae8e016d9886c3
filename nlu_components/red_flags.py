"""The urgent check: a message that may describe an emergency becomes `report_urgent_symptom`, whatever the other
components said. Two detectors, either one enough to flag:
- the warning-sign phrases of red_flags.yml, by category (never depends on a model);
- the sentence embeddings: the message, and each of its sentences (a warning sign buried in a long message), is
  closer to an urgent training example than to any other, or the intent classifier gives `report_urgent_symptom`
  a fair chance.

Runs last in the NLU pipeline, so it overrides the classifiers, the FallbackClassifier and the scope gate. It adds
a `urgent_kind` entity (`self_harm` or `symptom`) so the urgent guidance can put the 988 lifeline first.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Pattern, Tuple

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

URGENT_INTENT = "report_urgent_symptom"
RED_FLAGS_FILE = Path(__file__).with_name("red_flags.yml")
# Where the detector records what it overrode, for the action server (it is part of the parse data).
OVERRIDE_KEY = "red_flag"
SCORES_KEY = "urgent_scores"
KIND_ENTITY = "urgent_kind"
SELF_HARM = "self_harm"
EXAMPLES_FILE = "examples.npz"
# a message splits into sentences at these; a sentence shorter than this many characters is judged with the next
SENTENCE_END = re.compile(r"(?<=[.!?;\n])\s+|\s+(?:but|and now|now|then)\s+(?=\w)")
SHORTEST_SENTENCE = 12


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("'", "")
    return re.sub(r"\s+", " ", text).strip()


def sentences(text: str) -> List[str]:
    """The message's sentences, short bits joined to the next, when it has more than one."""
    parts, pending = [], ""
    for part in SENTENCE_END.split(text.strip()):
        pending = f"{pending} {part}".strip() if pending else part.strip()
        if len(pending) >= SHORTEST_SENTENCE:
            parts.append(pending)
            pending = ""
    if pending:
        parts.append(pending)
    return parts if len(parts) > 1 else []


class RedFlags:
    """The warning-sign patterns by category, loaded from YAML."""

    def __init__(self, path: Path = RED_FLAGS_FILE) -> None:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        pieces = {str(k): f"(?:{v})" for k, v in (spec.get("pieces") or {}).items()}

        def compile_(pattern: str) -> Pattern[str]:
            def piece(m: re.Match) -> str:
                if m.group(1) not in pieces:
                    raise ValueError(f"{path.name}: pattern names an unknown piece {{{m.group(1)}}}: {pattern}")
                return pieces[m.group(1)]

            return re.compile(re.sub(r"\{([a-z_]+)\}", piece, pattern))

        self.symptoms: Dict[str, List[Pattern[str]]] = {
            group: [compile_(p) for p in patterns] for group, patterns in spec["symptoms"].items()
        }
        self.general_question = re.compile(spec["general_question"])
        self.not_now, self.now = re.compile(spec["not_now"]), re.compile(spec["now"])
        self.over_now = re.compile(spec["over_now"])
        self.fine_now, self.episode = re.compile(spec["fine_now"]), re.compile(spec["episode"])
        self.personal, self.implied_person = re.compile(spec["personal"]), re.compile(spec["implied_person"])
        self.hypothetical, self.anyone = re.compile(spec["hypothetical"]), re.compile(spec["anyone"])
        figures = spec.get("figures_of_speech") or []
        self.figures = re.compile("|".join(f"(?:{f})" for f in figures)) if figures else None
        self.spellings = {str(k): str(v) for k, v in (spec.get("spellings") or {}).items()}
        self._misspelt = (
            re.compile(r"\b(" + "|".join(map(re.escape, self.spellings)) + r")\b") if self.spellings else None
        )

    def _forms(self, text: str) -> List[str]:
        """The message as written; with common misspellings put right; and with dropped g's ("shakin") put back too.
        The last is a guess that can spoil a word ("carboplatin"), so the spellings are also tried without it.
        Figures of speech are left out of all of them."""
        norm = normalise(text)
        if self.figures:
            norm = re.sub(r"\s+", " ", self.figures.sub(" ", norm)).strip()
        spelt = self._misspelt.sub(lambda m: self.spellings[m.group(1)], norm) if self._misspelt else norm
        g_back = re.sub(r"\b(\w{2,}[bcdfgklmnprstvwxyz])in\b", r"\1ing", spelt)
        return list(dict.fromkeys([norm, spelt, g_back]))

    def match(self, text: str) -> Optional[str]:
        """Return the category of warning sign a message matches, or None."""
        for norm in self._forms(text):
            for group, patterns in self.symptoms.items():
                if any(p.search(norm) for p in patterns):
                    return None if group != SELF_HARM and self.is_not_happening(text) else group
        return None

    def is_not_happening(self, text: str) -> bool:
        """A question about what treatment can cause or what counts as a warning sign, about nobody in particular;
        or about a sign that is over or hypothetical, with nothing said to be happening now: not an emergency."""
        norm = normalise(text)
        happening_now = bool(self.now.search(self.over_now.sub(" ", norm)))
        if happening_now:
            return False
        about_someone = self.personal.search(self.anyone.sub(" ", norm)) or self.implied_person.search(norm)
        if self.general_question.search(norm) and not about_someone:
            return True
        not_now = self.not_now.search(norm) or self.hypothetical.search(norm)
        if not not_now and self.fine_now.search(norm):
            not_now = not self.episode.search(norm)  # "I passed out, I think I'm ok now" still needs a call now
        return bool(not_now)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class RedFlagDetector(GraphComponent):
    """Sets the intent to `report_urgent_symptom` when a message may describe an emergency."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # tuned on tests/urgent/dev.yml by `python -m bench tune`
        # sure_probability: the classifier is so sure of `report_urgent_symptom` that no wording exempts the message
        return {"min_similarity": 0.5, "margin": -0.02, "min_probability": 0.2, "sure_probability": 0.7, "threads": 1}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagDetector:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> RedFlagDetector:
        with model_storage.read_from(resource) as folder:
            stored = np.load(folder / EXAMPLES_FILE)
            words = stored["vocabulary"].tolist() if "vocabulary" in stored else []
            return cls(
                config, model_storage, resource, stored["urgent"], stored["other"], list(stored["self_harm"]), words
            )

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        urgent: Optional[np.ndarray] = None,
        other: Optional[np.ndarray] = None,
        self_harm: Optional[List[bool]] = None,
        words: Optional[List[str]] = None,
        red_flags: Optional[RedFlags] = None,
    ) -> None:
        from nlu_components.scope import Vocabulary

        self.config = config
        self.model_storage, self.resource = model_storage, resource
        self.urgent = urgent if urgent is not None else np.zeros((0, 1), np.float32)
        self.other = other if other is not None else np.zeros((0, 1), np.float32)
        self.self_harm = self_harm or []  # for each urgent example: is it about self-harm?
        self.vocabulary = Vocabulary(words or [])  # the words of all the training examples
        self.red_flags = red_flags or RedFlags()

    def train(self, training_data: TrainingData) -> Resource:
        from nlu_components.scope import sentence_embedding

        urgent, other, self_harm = [], [], []
        words = sorted({t.text.lower() for m in training_data.intent_examples for t in m.get(TOKENS_NAMES[TEXT]) or []})
        for message in training_data.intent_examples:
            embedding = sentence_embedding(message)
            if embedding is None:
                continue
            if message.get(INTENT) == URGENT_INTENT:
                if sentences(message.get(TEXT) or ""):
                    continue  # a warning sign buried in talk of parking or the weather would make those look urgent
                urgent.append(embedding)
                self_harm.append(self.red_flags.match(message.get(TEXT) or "") == SELF_HARM)
            else:
                other.append(embedding)
        if not urgent or not other:
            # a pipeline without sentence embeddings (the DIET one the bench compares): phrases and classifier only
            logger.warning("RedFlagDetector: no sentence features or no urgent examples; nearest-example check off")
            urgent, other, self_harm = [np.zeros((0, 1), np.float32)], [np.zeros((0, 1), np.float32)], []
        with self.model_storage.write_to(self.resource) as folder:
            np.savez(
                folder / EXAMPLES_FILE,
                urgent=np.vstack(urgent),
                other=np.vstack(other),
                self_harm=self_harm,
                vocabulary=np.array(words),
            )
        return self.resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._check(message)
        return messages

    def _scores(self, message: Message) -> Tuple[Dict[str, Any], bool]:
        """How close the message, or its closest sentence, is to the urgent examples; and is that one self-harm?"""
        from nlu_components.scope import sentence_embedding
        from nlu_components.sentence_embeddings import shared_model

        ranking = message.get(INTENT_RANKING_KEY) or []
        probability = next((r[PREDICTED_CONFIDENCE_KEY] for r in ranking if r[INTENT_NAME_KEY] == URGENT_INTENT), 0.0)
        whole = sentence_embedding(message)
        rows = [] if whole is None else [whole]
        parts = sentences(message.get(TEXT) or "")
        if parts and self.urgent.shape[0]:
            rows += list(shared_model(int(self.config["threads"])).embed_all(parts))
        if not rows or not self.urgent.shape[0]:
            return {"similarity": 0.0, "nearest_other": 0.0, "probability": round(float(probability), 3)}, False
        embeddings = np.vstack(rows)
        to_urgent, to_other = embeddings @ self.urgent.T, embeddings @ self.other.T
        margins = to_urgent.max(axis=1) - to_other.max(axis=1)
        best = int(np.argmax(margins))
        nearest = int(np.argmax(to_urgent[best]))
        scores = {
            "similarity": round(float(to_urgent[best].max()), 3),
            "nearest_other": round(float(to_other[best].max()), 3),
            "probability": round(float(probability), 3),
            "sentence": best,  # 0: the whole message
        }
        return scores, bool(self.self_harm[nearest]) if nearest < len(self.self_harm) else False

    def _no_word_known(self, message: Message) -> bool:
        """Not one of the message's content words (misspelt ones aside) is in the training examples: keyboard
        mashing, maybe with a name or a title ("zanq blorp fimble, Dr. Patel")."""
        if not self.vocabulary.words:
            return False
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        content = self.vocabulary.content_words(tokens)
        return bool(content) and len(self.vocabulary.unknown(tokens)) == len(content)

    @staticmethod
    def _not_understood(message: Message) -> None:
        """Unsure: Rasa's two-stage fallback offers the likeliest topics ("Did you mean ...?"). Not the classifier's
        second choice: the scope gate and the FallbackClassifier judged only its first, the urgent one."""
        message.set(INTENT, {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: 1.0})

    def _check(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        classified = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        group, how = self.red_flags.match(text), "phrases"
        scores, nearest_is_self_harm = self._scores(message)
        close = (
            scores["similarity"] >= self.config["min_similarity"]
            and scores["similarity"] - scores["nearest_other"] >= self.config["margin"]
        )
        # "over" or "hypothetical" never exempts what is nearest to thoughts of self-harm, nor what the classifier is
        # sure is urgent: the wording rules are guesses, and missing an emergency is far worse than a false alarm
        sure = scores["probability"] >= self.config["sure_probability"]
        not_happening = (
            group is None
            and not (close and nearest_is_self_harm)
            and not sure
            and self.red_flags.is_not_happening(text)
        )
        scores["not_happening"] = not_happening  # for `python -m bench tune`, which replays the two model checks
        message.set(SCORES_KEY, scores, add_to_output=True)
        if not_happening and classified == URGENT_INTENT:
            # the classifier's own urgent label on a question about a sign that is over or hypothetical
            self._not_understood(message)
            return
        if group is None and not not_happening:
            if close:
                group, how = (SELF_HARM if nearest_is_self_harm else "symptom"), "similarity"
            elif scores["probability"] >= self.config["min_probability"] or classified == URGENT_INTENT:
                if self._no_word_known(message):
                    # keyboard mashing ("blorp zanq") lands in the classifier's biggest class: not understood
                    if classified == URGENT_INTENT:
                        self._not_understood(message)
                    return
                group, how = (SELF_HARM if nearest_is_self_harm else "symptom"), "classifier"
        if group is None:
            return
        override = {"group": group, "how": how, "classified_intent": classified}
        message.set(OVERRIDE_KEY, override, add_to_output=True)
        message.set(INTENT, {INTENT_NAME_KEY: URGENT_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
        kind = {"entity": KIND_ENTITY, "value": SELF_HARM if group == SELF_HARM else "symptom"}
        kind.update(start=0, end=len(text), extractor=type(self).__name__, confidence=1.0)
        message.set(ENTITIES, [*(message.get(ENTITIES) or []), kind], add_to_output=True)
