"""SMS end to end: signed Twilio webhook calls to a running Rasa server and action server; the replies are read from
a local fake of Twilio's Messages API. Each test texts from its own fake number."""

from __future__ import annotations

import re

import pytest
import requests
import yaml
from twilio.request_validator import RequestValidator

from actions.content import load_content
from channels.sms.wording import load_messages
from tests.conftest import ROOT
from tests.sms.support import AUTH_TOKEN, USED_NUMBERS, WEBHOOK_URL, Phone, numbered_list

CONTENT = load_content()
REPLIES = load_messages().replies
GREETING = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]["utter_greet"]
GREETING_BUTTONS = next(v for v in GREETING if v.get("channel") == "twilio")["buttons"]  # the SMS variant
QUESTION = "how is immunotherapy given?"
HOW_GIVEN = CONTENT.topics["ask_how_given"]


def assert_no_payload(replies):
    for reply in replies:
        assert not re.search(r"(^|\s)/[a-z_]+", reply), reply  # a payload such as /ask_side_effects


def choices(topic):
    return [(str(n), CONTENT.topics[f].title) for n, f in enumerate(topic.follow_ups, start=1)]


# ---- who may call the webhook ----


def test_a_forged_signature_is_refused(phone):
    form = phone.form(QUESTION)
    assert phone.post(form, RequestValidator("not-the-token").compute_signature(WEBHOOK_URL, form)).status_code == 403
    # signed for the address the server listens on, not the public address Twilio posts to
    local = f"{phone.server.url}/webhooks/twilio/webhook"
    assert phone.post(form, RequestValidator(AUTH_TOKEN).compute_signature(local, form)).status_code == 403
    # a field changed after signing
    signature = RequestValidator(AUTH_TOKEN).compute_signature(WEBHOOK_URL, form)
    assert phone.post({**form, "Body": "send me everything"}, signature).status_code == 403
    assert phone.new_replies(expect=False) == []


def test_a_request_without_a_signature_is_refused(phone):
    assert phone.post(phone.form(QUESTION), signature=None).status_code == 403
    assert phone.post(phone.form(QUESTION), signature="").status_code == 403
    assert phone.new_replies(expect=False) == []


def test_a_signed_request_without_a_sender_is_a_bad_request(phone):
    form = phone.form(QUESTION)
    del form["From"]
    assert phone.post(form).status_code == 400


# ---- answers ----


def test_a_question_gets_the_sms_answer_with_its_link_and_a_numbered_list(phone):
    response = phone.text(QUESTION)
    assert response.headers["Content-Type"].startswith("text/xml") and "<Response></Response>" in response.text
    [reply] = phone.new_replies()
    assert reply.startswith(HOW_GIVEN.answer.sms)
    assert HOW_GIVEN.answer.source.url in reply
    assert numbered_list(reply) == choices(HOW_GIVEN)
    assert_no_payload([reply])


def test_replying_with_a_number_picks_that_topic(phone):
    phone.ask(QUESTION)
    first = CONTENT.topics[HOW_GIVEN.follow_ups[0]]
    [reply] = phone.ask("1")
    assert reply.startswith(first.answer.sms)
    assert first.answer.source.url in reply
    assert numbered_list(reply) == choices(first)
    # the newest list is the one a number picks from
    second = CONTENT.topics[first.follow_ups[1]]
    assert phone.ask(" 2. ")[0].startswith(second.answer.sms)


def test_a_number_not_in_the_list_gets_told_the_choices(phone):
    phone.ask(QUESTION)
    assert phone.ask("9") == [REPLIES["not_in_list"].format(count=len(HOW_GIVEN.follow_ups))]
    # the list still stands
    assert phone.ask("1")[0].startswith(CONTENT.topics[HOW_GIVEN.follow_ups[0]].answer.sms)


def test_the_greetings_buttons_are_a_numbered_list_and_a_number_picks_one(phone):
    replies = phone.ask("hello")
    assert_no_payload(replies)
    assert numbered_list(replies[-1]) == [(str(n), b["title"]) for n, b in enumerate(GREETING_BUTTONS, start=1)]
    picked = next(n for n, b in enumerate(GREETING_BUTTONS, start=1) if b["payload"] == "/ask_side_effects")
    assert phone.ask(str(picked))[0].startswith(CONTENT.topics["ask_side_effects"].answer.sms)


# ---- keywords ----


@pytest.mark.parametrize("word", ["HELP", "  help ", "Help!"])
def test_help_gets_the_fixed_message(phone, word):
    assert phone.ask(word) == [REPLIES["help"]]
    assert "1-800-4-CANCER (1-800-422-6237)" in REPLIES["help"]


@pytest.mark.parametrize("word", ["STOP", "unsubscribe", "Cancel", "end", "QUIT "])
def test_stop_ends_every_message_until_start(phone, word):
    phone.ask(QUESTION)
    assert phone.ask(word) == [REPLIES["stop"]]
    phone.text(QUESTION)
    phone.text("1")
    phone.text("")
    assert phone.new_replies(expect=False) == []
    assert phone.ask("start") == [REPLIES["start"]]
    assert phone.ask(QUESTION)[0].startswith(HOW_GIVEN.answer.sms)


# ---- odd messages ----


@pytest.mark.parametrize(
    "body,fields,reply",
    [
        (("I have a question about my treatment. " * 70)[:2500], {}, "too_long"),
        ("", {}, "empty"),
        ("   \n ", {}, "empty"),
        (None, {}, "empty"),
        (
            "",
            {"NumMedia": "1", "MediaContentType0": "image/jpeg", "MediaUrl0": "https://api.example.test/m/1"},
            "media",
        ),
        (
            None,
            {"NumMedia": "2", "MediaContentType0": "audio/amr", "MediaUrl0": "https://api.example.test/m/2"},
            "media",
        ),
        (None, {"NumMedia": "junk"}, "empty"),
    ],
)
def test_an_odd_message_gets_a_clear_reply(phone, body, fields, reply):
    assert phone.ask(body, **fields) == [REPLIES[reply]]


def test_a_message_just_under_the_limit_is_answered(phone):
    body = ("How is immunotherapy given? " * 80)[:1999]
    [reply] = phone.ask(body)
    assert reply not in REPLIES.values()


def test_a_long_message_that_may_describe_an_emergency_still_gets_the_urgent_guidance(phone):
    body = ("My dad started his infusions last month and we have been worried. " * 30) + "Now he can't breathe."
    assert len(body) >= 2000
    replies = phone.ask(body)
    assert "911" in replies[0] and ("go to the ER" in replies[0] or "emergency room" in replies[0])


def test_control_characters_are_dropped_and_the_question_answered(phone):
    assert phone.ask("how is\x00 immunotherapy\x07 given?\x1b")[0].startswith(HOW_GIVEN.answer.sms)


@pytest.mark.parametrize(
    "body,status",
    [
        (b"Body=" + b"a" * 1_000_000, 413),  # 1 MB
        (b"\xff\xfe\x00\x01", 403),  # not a form, not signed
        (b"From=%2B13125550100&Body=caf%E9", 403),  # invalid UTF-8, not signed
        (b"", 403),
        (b'{"From": "+13125550100", "Body": "hi"}', 403),
    ],
)
def test_a_request_twilio_would_never_send_is_refused_clearly(phone, body, status):
    url = f"{phone.server.url}/webhooks/twilio/webhook"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "bm90LWEtc2lnbmF0dXJl"}
    assert requests.post(url, data=body, headers=headers, timeout=60).status_code == status
    assert phone.ask(QUESTION)[0].startswith(HOW_GIVEN.answer.sms), "the channel keeps answering"


def test_the_channel_health_check_answers(sms_server):
    assert requests.get(f"{sms_server.url}/webhooks/twilio/", timeout=10).json() == {"status": "ok", "configured": True}


# ---- restart, then privacy (keep these last: the log scan covers every number used above) ----


def test_an_opt_out_and_a_numbered_list_survive_a_restart(sms_server, fake_twilio):
    opted_out, listening = Phone(sms_server, fake_twilio), Phone(sms_server, fake_twilio)
    assert opted_out.ask("STOP") == [REPLIES["stop"]]
    listening.ask(QUESTION)
    sms_server.restart()
    opted_out.text(QUESTION)
    assert opted_out.new_replies(expect=False) == []
    assert listening.ask("1")[0].startswith(CONTENT.topics[HOW_GIVEN.follow_ups[0]].answer.sms)
    assert opted_out.ask("START") == [REPLIES["start"]]
    assert opted_out.ask(QUESTION)[0].startswith(HOW_GIVEN.answer.sms)


def test_no_phone_number_reaches_a_log_or_the_store(sms_logs, sms_store, fake_twilio):
    assert len(USED_NUMBERS) >= 20
    assert {m["To"] for m in fake_twilio.sent} & set(USED_NUMBERS), "the replies did reach the real numbers"
    files = [path for path in sms_logs.iterdir() if path.is_file()] + [sms_store]
    assert any(path.name.startswith("rasa-sms") for path in files) and any(p.name.startswith("actions") for p in files)
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        leaked = [number for number in USED_NUMBERS if number[2:] in text]  # with or without +1, or URL-encoded
        assert not leaked, f"{path} contains {leaked}"
