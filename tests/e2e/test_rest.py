"""End to end over HTTP: questions sent to POST /webhooks/rest/webhook of a running Rasa server and action server."""

from __future__ import annotations

import pytest

from actions.content import load_content

CONTENT = load_content()
ADVICE = CONTENT.templates["advice"].split("{advice}")[0]  # "From this assistant, not from NCI: "

# One fresh question per topic, as a person might write it (not in the training data).
QUESTIONS = {
    "ask_what_is_immunotherapy": "can someone explain what immunotherapy even is",
    "ask_how_it_works": "how does immunotherapy get my immune system to fight the tumor",
    "ask_types": "what are all the different types of immunotherapy",
    "ask_checkpoint_inhibitors": "what do checkpoint inhibitor drugs do",
    "ask_t_cell_transfer": "how does t cell transfer therapy work",
    "ask_monoclonal_antibodies": "what are monoclonal antibodies used for in cancer",
    "ask_treatment_vaccines": "how do cancer treatment vaccines work",
    "ask_immune_modulators": "what do immune system modulators do",
    "ask_cancers_treated": "what cancers can immunotherapy treat",
    "ask_side_effects": "what side effects can immunotherapy cause",
    "ask_how_given": "how is immunotherapy given to patients",
    "ask_where_given": "where will i go to get my immunotherapy treatment",
    "ask_how_often": "how often will i need immunotherapy treatments",
    "ask_is_it_working": "how can i tell if my immunotherapy is working",
    "ask_research": "what new research is being done on immunotherapy",
    "ask_clinical_trials": "how do i find a clinical trial testing immunotherapy",
    "ask_if_right_for_me": "is immunotherapy the right treatment for me",
}


def texts(replies):
    return [r.get("text", "") for r in replies]


def split_answer(replies):
    """NCI's part of an answer, up to its source line (a message without buttons reaches REST one paragraph at a
    time), and what follows it: the assistant's own advice, apart, with the follow-up buttons on the last message."""
    [at] = [k for k, r in enumerate(replies) if "Source:" in r.get("text", "")]
    return "\n\n".join(texts(replies[: at + 1])), replies[at + 1 :]


def test_there_is_a_question_for_every_topic():
    assert set(QUESTIONS) == set(CONTENT.topics)


@pytest.mark.parametrize("intent,question", sorted(QUESTIONS.items()))
def test_each_topic_gets_its_answer_with_the_source_link(bot, intent, question):
    answer = CONTENT.topics[intent].answer
    replies = bot.send(question, bot.new_sender())
    assert replies, "no reply"
    nci, after = split_answer(replies)
    assert answer.web in nci and answer.source.url in nci
    assert ADVICE not in nci  # our own advice is never shown as NCI's
    if CONTENT.topics[intent].advice:
        assert after and after[0]["text"].startswith(ADVICE)
    else:
        assert not after
    buttons = replies[-1].get("buttons", [])
    assert [b["payload"] for b in buttons] == [f"/{f}" for f in CONTENT.topics[intent].follow_ups]


def test_how_given_mentions_the_iv_route(bot):
    reply = " ".join(texts(bot.send("how do they give immunotherapy?", bot.new_sender())))
    assert "intravenous (iv)" in reply.lower()


@pytest.mark.parametrize(
    "message",
    ["i cant breathe after my infusion", "my wife fainted after her keytruda", "i want to end it all"],
)
def test_urgent_messages_get_the_urgent_guidance_first(bot, message):
    replies = texts(bot.send(message, bot.new_sender()))
    assert "911" in replies[0] and "emergency room" in replies[0]
    assert any("not an emergency line" in r for r in replies[1:])


def test_a_follow_up_question_stays_on_the_therapy_and_tell_me_more_goes_deeper(bot):
    sender = bot.new_sender()
    bot.send("what are checkpoint inhibitors", sender)
    reply, _ = split_answer(bot.send("what about side effects?", sender))
    assert CONTENT.topics["ask_side_effects"].variants["checkpoint inhibitor"].web in reply
    more, _ = split_answer(bot.send("tell me more", sender))
    assert more.startswith(CONTENT.topics["ask_side_effects"].answer.more)


def test_a_named_drug_is_acknowledged_honestly(bot):
    reply, _ = split_answer(bot.send("what side effects does Keytruda have", bot.new_sender()))
    assert "Keytruda" in reply
    assert CONTENT.topics["ask_side_effects"].answer.web in reply


def test_asking_for_a_person_gives_every_way_to_reach_the_cis(bot):
    reply = " ".join(texts(bot.send("i want to talk to a real person", bot.new_sender())))
    for detail in ("1-800-4-CANCER", "1-800-422-6237", "LiveHelp", "NCIinfo@nih.gov", "9:00 a.m. to 9:00 p.m."):
        assert detail in reply


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "a" * 10000,
        "how is it given " * 600,
        "😀😀😀",
        "¿Qué es la inmunoterapia y cómo funciona?",
        "https://example.com/some/page?x=1",
        "<img src=x onerror=alert(1)>",
        "<script>alert('hi')</script>",
    ],
    ids=["empty", "whitespace", "10k-chars", "long-repeat", "emoji", "spanish", "url", "img-tag", "script-tag"],
)
def test_odd_input_gets_a_helpful_reply(bot, message):
    replies = bot.send(message, bot.new_sender())
    assert replies and all(r.get("text") for r in replies)


def test_the_server_keeps_answering_after_odd_input(bot):
    sender = bot.new_sender()
    bot.send("😀😀😀", sender)
    reply = texts(bot.send("how is immunotherapy given", sender))[-1]
    assert CONTENT.topics["ask_how_given"].answer.source.url in reply


@pytest.mark.parametrize("question", ["what is cytokine release syndrome?", "what is CRS"])
def test_a_side_effect_named_by_its_name_gets_its_side_effects_answer(bot, question):
    # cytokines are also immune system modulators: the name of the syndrome must not get their answer
    reply, _ = split_answer(bot.send(question, bot.new_sender()))
    assert CONTENT.topics["ask_side_effects"].variants["CAR T-cell therapy"].web in reply
