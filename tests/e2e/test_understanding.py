"""Understanding end to end, over REST and in the web widget: the wordings the understanding issue quotes get the
right topic, a health question about something else gets the kind out-of-scope reply, and "Did you mean ...?"
offers the likeliest topics, then a rephrase, then a person."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from actions.content import load_content
from tests.e2e.test_web_widget import BOT_MESSAGES, TIMEOUT, ask, page  # noqa: F401  (the page fixture)

CONTENT = load_content()
OUT_OF_SCOPE = "I only answer questions about cancer immunotherapy"
# the in-scope misses quoted in the understanding issue, and the topic each one asks about
QUOTED = {
    "is immunotherapy basically chemo?": "ask_what_is_immunotherapy",
    "tell me about anti-PD-1 drugs": "ask_checkpoint_inhibitors",
    "the team mentioned car t for my son's leukemia, what is it": "ask_t_cell_transfer",
    "rash on immunotherapy, normal?": "ask_side_effects",
    "do you get immunotherapy every day?": "ask_how_often",
}
NOT_OURS = [
    "can birth control cause blood clots?",
    "what time is it in sydney right now",
    "whats the best way to lose weight after the holidays",
    "What are the side effects or risks of Warfarin?",
]


def first_words(text: str) -> str:
    return re.split(r"[.:\n]", text)[0]


def opening(intent: str) -> str:
    return first_words(CONTENT.topics[intent].answer.web)


def openings(intent: str) -> str:
    """A pattern for the first words of the topic's answer or any of its variants."""
    topic = CONTENT.topics[intent]
    return "|".join(re.escape(first_words(a.web)) for a in [topic.answer, *topic.variants.values()])


@pytest.mark.parametrize("text,intent", sorted(QUOTED.items()))
def test_the_quoted_wordings_get_their_topic(bot, text, intent):
    replies = bot.send(text, bot.new_sender())
    first = replies[0]["text"]
    assert re.match(openings(intent), first), first


@pytest.mark.parametrize("text", NOT_OURS)
def test_other_questions_get_the_kind_out_of_scope_reply_not_an_answer(bot, text):
    replies = bot.send(text, bot.new_sender())
    assert OUT_OF_SCOPE in replies[0]["text"] and "MedlinePlus" in replies[0]["text"]
    assert "Cancer Information Service" in replies[0]["text"]
    assert not any("Source: National Cancer Institute" in r.get("text", "") for r in replies)


def test_did_you_mean_offers_topics_and_picking_one_answers_it(bot):
    sender = bot.new_sender()
    replies = bot.send("/nlu_fallback", sender)  # what the FallbackClassifier makes of a message it is unsure of
    assert "Did you mean" in replies[0]["text"] or "not sure" in replies[0]["text"]
    titles = [b["title"] for b in replies[0]["buttons"]]
    assert titles[-1] == CONTENT.templates["something_else"]
    replies = bot.send("/ask_side_effects", sender)
    assert opening("ask_side_effects") in replies[0]["text"]


def test_something_else_asks_to_rephrase_then_hands_over_to_a_person(bot, servers):
    sender = bot.new_sender()
    bot.send("/nlu_fallback", sender)
    replies = bot.send("/out_of_scope", sender)  # "Something else"
    assert "say it another way" in replies[0]["text"]
    bot.send("/nlu_fallback", sender)  # still not understood: the likeliest topics once more
    replies = bot.send("/out_of_scope", sender)
    texts = " ".join(r.get("text", "") for r in replies)
    assert "1-800-4-CANCER" in texts and "reference code" in texts


def test_an_unclear_message_in_its_own_words_is_never_met_with_silence(bot):
    for text in ("blorp zanq fimble", "the thing they said", "hmm"):
        replies = bot.send(text, bot.new_sender())
        assert replies and replies[0].get("text")


def test_in_the_widget_birth_control_gets_the_out_of_scope_reply_and_the_quoted_questions_their_topic(
    page: Page,  # noqa: F811
):
    expect(page.locator(BOT_MESSAGES).first).to_contain_text("not medical advice", timeout=TIMEOUT)
    ask(page, "can birth control cause blood clots?")
    expect(page.locator(BOT_MESSAGES, has_text=OUT_OF_SCOPE)).to_be_visible(timeout=TIMEOUT)
    for text, intent in sorted(QUOTED.items()):
        ask(page, text)
        answer = page.locator(BOT_MESSAGES, has_text=re.compile(openings(intent))).last
        expect(answer).to_be_visible(timeout=TIMEOUT)
