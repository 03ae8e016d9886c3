"""The deterministic red-flag check catches messages that may describe an emergency, and lets questions be."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from nlu_components.red_flags import URGENT_INTENT, RedFlagDetector, RedFlags

URGENT = [
    "I can't breathe",
    "cant breath after my infusion",
    "my mom is having trouble breathing",
    "i'm so short of breath i can barely talk",
    "can't catch my breath since this morning",
    "he is gasping for air",
    "my chest feels tight",
    "chest pian since last night",
    "I have pain in my chest after keytruda",
    "there's pressure on my chest",
    "my husband fainted after his infusion",
    "she passed out in the kitchen",
    "dad collapsed and is unresponsive",
    "he had a seizure an hour ago",
    "i think im having a bad allergic reaction",
    "her throat is swelling up",
    "my lips and tongue are swollen",
    "anaphylaxis?? after the drip",
    "fever of 104 and shaking",
    "high fever and chills after the car t",
    "she's really confused and not making sense",
    "his speech is slurred all of a sudden",
    "i'm coughing up blood",
    "throwing up blood",
    "bleeding that wont stop",
    "severe diarrhea with blood all day",
    "I want to end it all",
    "i dont want to live anymore",
    "thinking about killing myself",
    "i want to kill myself",
    "sometimes I think about suicide",
    "i feel like hurting myself",
    "i'd be better off dead",
    "I want to die",
    "this is an emergency",
    "should i call 911",
    "I think I'm dying",
    "my wife's face is swelling after treatment",
    "im wheezing really bad",
    "can my dad get chest pain from this? he has it right now",
    "does keytruda cause trouble breathing? i cant breathe",
    "i feel like i'm going to pass out",
]

NOT_URGENT = [
    "does it cause a rash?",
    "what are the side effects of immunotherapy",
    "can immunotherapy cause breathing problems",
    "does keytruda cause chest pain",
    "is fever a side effect of car t",
    "can checkpoint inhibitors lead to shortness of breath",
    "how is immunotherapy given",
    "what is BCG",
    "I have a mild itchy rash where the needle went in",
    "how often do I get infusions",
    "is immunotherapy right for my dad",
    "what are checkpoint inhibitors",
    "thanks, that helps",
]


@pytest.fixture(scope="module")
def red_flags():
    return RedFlags()


def test_the_lists_are_long_enough():
    assert len(URGENT) >= 40


@pytest.mark.parametrize("text", URGENT)
def test_urgent_messages_are_caught(red_flags, text):
    assert red_flags.match(text) is not None


@pytest.mark.parametrize("text", NOT_URGENT)
def test_questions_and_mild_symptoms_are_not_flagged(red_flags, text):
    assert red_flags.match(text) is None


def test_the_detector_overrides_any_intent_and_remembers_it(red_flags):
    message = Message(data={"text": "my husband fainted after his infusion"})
    message.set("intent", {"name": "ask_side_effects", "confidence": 0.99})
    [processed] = RedFlagDetector(red_flags).process([message])
    assert processed.get("intent") == {"name": URGENT_INTENT, "confidence": 1.0}
    assert processed.get("red_flag") == {"group": "consciousness", "classified_intent": "ask_side_effects"}


def test_the_detector_leaves_other_messages_alone(red_flags):
    message = Message(data={"text": "how is immunotherapy given"})
    message.set("intent", {"name": "ask_how_given", "confidence": 0.95})
    [processed] = RedFlagDetector(red_flags).process([message])
    assert processed.get("intent")["name"] == "ask_how_given"
    assert processed.get("red_flag") is None
