"""Handoffs over REST with the real servers: urgent guidance first for every urgent phrasing (and in the web widget
for the warning signs the urgent-check issue quotes), never for ordinary side-effect questions, and exactly one
triage ticket per handoff, delivered to a real local webhook."""

from __future__ import annotations

import re
import time

import pytest
import yaml
from playwright.sync_api import Page, expect

from actions.triage import pseudonym
from nlu_components.red_flags import SELF_HARM, RedFlags
from tests.conftest import ROOT
from tests.e2e.conftest import SENDER_HASH_KEY
from tests.e2e.test_web_widget import BOT_MESSAGES, TIMEOUT, ask, page  # noqa: F401  (the page fixture)
from tests.receiver import wait_for
from tests.sms.test_urgent_sets import NOT_AN_EMERGENCY, QUOTED_WARNING_SIGNS
from tests.unit.test_red_flags import NOT_URGENT, URGENT

GUIDANCE = [
    v
    for v in yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]["utter_urgent_guidance"]
    if not v.get("channel")
]
# the guidance for a symptom (the variation with no condition); thoughts of self-harm get the 988 one first
URGENT_GUIDANCE = next(v["text"] for v in GUIDANCE if not v.get("condition"))
SELF_HARM_GUIDANCE = next(v["text"] for v in GUIDANCE if v.get("condition"))
SIDE_EFFECT_QUESTIONS = [q for q in NOT_URGENT if "cause" in q or "side effect" in q] + [
    "how long do the side effects of immunotherapy last",
    "can keytruda make you tired",
    "will i lose my hair on immunotherapy",
]


def texts(replies):
    return [r.get("text", "") for r in replies]


@pytest.mark.parametrize("message", URGENT)
def test_every_urgent_phrasing_gets_the_urgent_guidance_first(bot, message):
    replies = texts(bot.send(message, bot.new_sender()))
    expected = SELF_HARM_GUIDANCE if RedFlags().match(message) == SELF_HARM else URGENT_GUIDANCE
    assert replies[0] == expected


@pytest.mark.parametrize("message", QUOTED_WARNING_SIGNS)
def test_in_the_widget_the_quoted_warning_signs_get_the_urgent_guidance_first(page: Page, message):  # noqa: F811
    assert first_reply_in_widget(page, message).startswith(first_words(URGENT_GUIDANCE))


def test_in_the_widget_what_to_watch_for_gets_an_answer_not_the_urgent_guidance(page: Page):  # noqa: F811
    reply = first_reply_in_widget(page, NOT_AN_EMERGENCY)
    assert not reply.startswith(first_words(URGENT_GUIDANCE)) and reply


def first_words(text: str) -> str:
    return " ".join(text.split())[:40]


def first_reply_in_widget(page: Page, message: str) -> str:  # noqa: F811
    """The first bot message after the person's, in the web widget (a new conversation each time)."""
    expect(page.locator(BOT_MESSAGES).first).to_contain_text("not medical advice", timeout=TIMEOUT)
    page.wait_for_timeout(500)  # the rest of the welcome
    before = page.locator(BOT_MESSAGES).count()
    ask(page, message)
    reply = page.locator(BOT_MESSAGES).nth(before)
    expect(reply).to_have_text(re.compile(r"\w"), timeout=TIMEOUT)  # past the typing indicator
    return " ".join(reply.inner_text().split())


@pytest.mark.parametrize("question", SIDE_EFFECT_QUESTIONS)
def test_side_effect_questions_are_answered_not_treated_as_emergencies(bot, question):
    replies = texts(bot.send(question, bot.new_sender()))
    assert replies and replies[0] != URGENT_GUIDANCE


def tickets_for(servers, sender):
    key = pseudonym(sender, SENDER_HASH_KEY)
    return [t for t in servers.receiver.tickets.values() if t["sender"] == key]


@pytest.mark.parametrize(
    "messages,reason,priority",
    [
        (["i want to talk to a real person"], "requested_human", "routine"),
        (["my husband fainted after his infusion"], "urgent_symptom", "urgent"),
        # what the FallbackClassifier makes of messages it is unsure of, and "Something else" twice
        (["/nlu_fallback", "/out_of_scope", "/nlu_fallback", "/out_of_scope"], "not_understood", "routine"),
        (["can you recommend a good pizza place near me", "yes please"], "out_of_scope", "routine"),
    ],
)
def test_each_handoff_files_exactly_one_ticket(bot, servers, messages, reason, priority):
    sender = bot.new_sender()
    bot.send("what are the side effects of immunotherapy? im jo@example.org, 202-555-0143", sender)
    for message in messages:
        replies = texts(bot.send(message, sender))
    code = re.search(r"CIS-[2-9A-HJ-NP-Z]{8}", " ".join(replies)).group(0)
    assert wait_for(lambda: len(tickets_for(servers, sender)) == 1, timeout=15)
    time.sleep(1.5)  # the outbox's retry loop runs again: still exactly one ticket
    [ticket] = tickets_for(servers, sender)
    assert (ticket["reference"], ticket["reason"], ticket["priority"]) == (code, reason, priority)
    assert ticket["channel"] == "rest" and "ask_side_effects" in ticket["topics"]
    joined = " ".join(ticket["last_messages"])
    assert "[email]" in joined and "[phone]" in joined
    assert "jo@example.org" not in joined and "555-0143" not in joined
