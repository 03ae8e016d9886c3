"""Deterministic red-flag check: a message that may describe an emergency becomes `report_urgent_symptom`.

Runs after the intent classifiers and the FallbackClassifier, so it overrides them whatever their confidence.
The phrases live in red_flags.yml beside this file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Pattern

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

URGENT_INTENT = "report_urgent_symptom"
RED_FLAGS_FILE = Path(__file__).with_name("red_flags.yml")
# Where the detector records what it overrode, for the action server (it is part of the parse data).
OVERRIDE_KEY = "red_flag"


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("'", "")
    return re.sub(r"\s+", " ", text).strip()


class RedFlags:
    """The red-flag patterns, loaded from YAML."""

    def __init__(self, path: Path = RED_FLAGS_FILE) -> None:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.symptoms: Dict[str, List[Pattern[str]]] = {
            group: [re.compile(p) for p in patterns] for group, patterns in spec["symptoms"].items()
        }
        self.general_question = re.compile(spec["general_question"])
        self.personal = re.compile(spec["personal"])

    def match(self, text: str) -> Optional[str]:
        """Return the red-flag group a message matches, or None."""
        norm = normalise(text)
        for group, patterns in self.symptoms.items():
            if any(p.search(norm) for p in patterns):
                if group != "self_harm" and self._is_general_question(norm):
                    return None
                return group
        return None

    def _is_general_question(self, norm: str) -> bool:
        return bool(self.general_question.search(norm)) and not self.personal.search(norm)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagDetector(GraphComponent):
    """Sets the intent to `report_urgent_symptom` when a message matches a red-flag phrase."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagDetector:
        return cls(RedFlags())

    def __init__(self, red_flags: RedFlags) -> None:
        self.red_flags = red_flags

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            group = self.red_flags.match(text)
            if group is None:
                continue
            classified = message.get(INTENT) or {}
            message.set(
                OVERRIDE_KEY,
                {"group": group, "classified_intent": classified.get(INTENT_NAME_KEY)},
                add_to_output=True,
            )
            message.set(
                INTENT,
                {INTENT_NAME_KEY: URGENT_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0},
                add_to_output=True,
            )
        return messages
