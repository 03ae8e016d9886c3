"""The two frozen independent urgent-symptom sets (tests/urgent/independent.yml and independent2.yml), end to end over
REST and SMS on one real Rasa server: the urgent guidance comes first for at least 98% of the urgent messages of each
(a floor against regressions: the issue's target is every one, and `make bench` reports how far we are from it); at
most 5% of the ordinary side-effect questions get it. Each written by a helper who never saw the red-flag phrases or
the training data; never tuned on."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List

import pytest
import requests
import yaml

from bench.independent import URGENT_TEST, URGENT_TEST2, urgent_examples
from tests.conftest import ROOT
from tests.sms.support import REPLY_TIMEOUT, Phone

MIN_RECALL = 0.98  # a floor; the target, 100%, is in bench/targets.py
MAX_FALSE_ALARMS = 0.05
AT_ONCE = 6
SETS = {path.stem: urgent_examples(path) for path in (URGENT_TEST, URGENT_TEST2)}
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
# the misses the urgent-check issue quotes, as a person would type them (the browser test uses them too)
QUOTED_WARNING_SIGNS = [
    "my throat feels like its closing up and im still hooked up to the infusion",
    "my husband's eyes are yellow and his pee is dark, he's on nivolumab",
    "diarrhea 10 times today and i feel dizzy when i stand",
    "i've hardly peed at all today and my ankles are swollen",
    "my eyelid is drooping and i'm seeing double",
    "the weakness and numbness started in my feet and is climbing up my legs",
    "way more poops than usual today and really bad cramps",
    "my heart is pounding and it keeps skipping",
]
NOT_AN_EMERGENCY = "what side effects should I watch for?"


def _openings(channel: str) -> List[str]:
    """The first words of every variation of the urgent guidance for a channel."""
    chosen = [v for v in RESPONSES["utter_urgent_guidance"] if v.get("channel") == channel] or [
        v for v in RESPONSES["utter_urgent_guidance"] if not v.get("channel")
    ]
    return [" ".join(v["text"].split())[:40] for v in chosen]


def _is_urgent(first_reply: str, channel: str) -> bool:
    return any(" ".join(first_reply.split()).startswith(opening) for opening in _openings(channel))


def first_reply_by_rest(server) -> Callable[[str], str]:
    def ask(text: str) -> str:
        body = {"sender": f"urgent-{uuid.uuid4().hex[:12]}", "message": text}
        replies = requests.post(f"{server.url}/webhooks/rest/webhook", json=body, timeout=60).json()
        return replies[0].get("text", "") if replies else ""

    return ask


def first_reply_by_sms(server, fake_twilio) -> Callable[[str], str]:
    def ask(text: str) -> str:
        phone = Phone(server, fake_twilio)
        phone.text(text)
        deadline = time.monotonic() + REPLY_TIMEOUT
        while time.monotonic() < deadline and not fake_twilio.sent_to(phone.number):
            time.sleep(0.1)
        sent = fake_twilio.sent_to(phone.number)
        return sent[0] if sent else ""

    return ask


def _rates(ask: Callable[[str], str], channel: str, name: str):
    urgent, ordinary = SETS[name]
    texts = [t for _, t in urgent] + ordinary
    with ThreadPoolExecutor(AT_ONCE) as pool:
        flagged = [_is_urgent(reply, channel) for reply in pool.map(ask, texts)]
    caught, alarms = flagged[: len(urgent)], flagged[len(urgent) :]
    missed = [f"{category}: {text}" for (category, text), hit in zip(urgent, caught, strict=True) if not hit]
    recall, false_alarms = sum(caught) / len(caught), sum(alarms) / len(alarms)
    print(f"{name}, {channel}: urgent recall {recall:.3f} ({len(missed)} missed), false alarms {false_alarms:.3f}")
    return recall, false_alarms, missed


@pytest.mark.parametrize("name", sorted(SETS))
@pytest.mark.parametrize("channel", ["rest", "twilio"])
def test_every_warning_sign_gets_the_urgent_guidance_first_and_few_ordinary_questions_do(
    sms_server, fake_twilio, channel, name
):
    ask = first_reply_by_rest(sms_server) if channel == "rest" else first_reply_by_sms(sms_server, fake_twilio)
    recall, false_alarms, missed = _rates(ask, channel, name)
    assert recall >= MIN_RECALL, "missed:\n" + "\n".join(missed)
    assert false_alarms <= MAX_FALSE_ALARMS


@pytest.mark.parametrize("channel", ["rest", "twilio"])
def test_what_to_watch_for_is_a_question_not_an_emergency(sms_server, fake_twilio, channel):
    ask = first_reply_by_rest(sms_server) if channel == "rest" else first_reply_by_sms(sms_server, fake_twilio)
    assert not _is_urgent(ask(NOT_AN_EMERGENCY), channel)


@pytest.mark.parametrize("text", QUOTED_WARNING_SIGNS)
def test_the_warning_signs_the_issue_quotes_get_the_urgent_guidance_first_by_sms(sms_server, fake_twilio, text):
    reply = first_reply_by_sms(sms_server, fake_twilio)(text)
    assert _is_urgent(reply, "twilio"), reply
