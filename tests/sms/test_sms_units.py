"""The SMS channel's parts on their own: settings, wording, keywords, numbered lists, hashing, the store, sending."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import stat
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from channels.sms.sending import SmsOutput, make_client
from channels.sms.settings import SmsSettings
from channels.sms.store import SmsStore
from channels.sms.webhook import WebhookForm, hashed_sender_id
from channels.sms.wording import chosen_number, keyword, load_messages, render_menu, split_for_sms
from service.settings import Settings
from tests.conftest import ROOT

MESSAGES = load_messages()
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
NUMBER = "+12025550199"
FULL_ENV = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "token", "TWILIO_NUMBER": "+12025550100"}


def settings_from(environment: dict) -> Settings:
    """The project's settings as these environment variables would give them."""
    return Settings(**{name.lower(): value for name, value in environment.items()})


# ---- settings ----


def test_settings_come_from_the_environment_with_defaults():
    settings = SmsSettings.load(None, settings_from(FULL_ENV))
    assert (settings.account_sid, settings.auth_token, settings.twilio_number) == ("AC1", "token", "+12025550100")
    assert settings.api_base_url == "https://api.twilio.com"
    assert settings.store_path == "data_store/sms.db"  # beside the other stores, outside the training data
    assert settings.webhook_url == settings.sender_id_key == ""
    assert settings.problems() == []


def test_none_set_names_every_missing_variable():
    problems = SmsSettings.load({}, Settings()).problems()
    assert problems == [f"{name} is not set" for name in FULL_ENV]


def test_credentials_win_over_the_environment_and_a_quoted_unexpanded_variable_is_ignored():
    settings = SmsSettings.load({"account_sid": "AC2", "auth_token": "${TWILIO_AUTH_TOKEN}"}, settings_from(FULL_ENV))
    assert settings.account_sid == "AC2"
    assert settings.auth_token == "token"


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://api.twilio.com", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080/", True),
        ("http://api.example.org", False),
        ("ftp://127.0.0.1", False),
        ("not a url", False),
    ],
)
def test_the_api_address_must_be_https_except_on_loopback(url, ok):
    settings = SmsSettings.load(None, settings_from({**FULL_ENV, "TWILIO_API_BASE_URL": url}))
    assert (settings.problems() == []) is ok


# ---- wording ----


def test_help_says_what_the_service_is_and_gives_the_cancer_information_service():
    help_text = MESSAGES.replies["help"]
    assert "immunotherapy" in help_text and "not medical advice" in help_text
    assert "1-800-4-CANCER (1-800-422-6237)" in help_text
    assert "STOP" in help_text and "911" in help_text


def test_every_reply_is_plain_text_without_a_payload():
    for name, text in MESSAGES.replies.items():
        assert text.strip() or name == "stop", name
        assert "/ask_" not in text and "{" not in text.replace("{count}", ""), name


def test_a_wording_file_with_parts_missing_says_which(tmp_path):
    broken = tmp_path / "sms.yml"
    broken.write_text("replies:\n  help: hi\nkeywords:\n  help: [HELP]\n")
    with pytest.raises(ValueError, match="`stop` is missing.*`start` needs a list.*`header` is missing"):
        load_messages.__wrapped__(broken)


# ---- keywords and numbers ----


@pytest.mark.parametrize(
    "text,expected",
    [
        ("HELP", "help"),
        ("  help ", "help"),
        ("Help!", "help"),
        ("info", "help"),
        ("STOP", "stop"),
        ("stop.", "stop"),
        ("Unsubscribe", "stop"),
        ("cancel", "stop"),
        ("End", "stop"),
        ("QUIT", "stop"),
        ("start", "start"),
        ("UNSTOP", "start"),
        ("stop sending me these", None),
        ("help me understand side effects", None),
        ("yes", None),
        ("starting treatment soon", None),
        ("", None),
    ],
)
def test_keywords_are_the_whole_message_in_any_case(text, expected):
    assert keyword(text, MESSAGES) == expected


@pytest.mark.parametrize(
    "text,expected",
    [("1", 1), (" 2 ", 2), ("3.", 3), ("4)", 4), ("#2", 2), ("12", 12)]
    + [(t, None) for t in ("", "one", "1 2", "100", "1st", "-1", "2 please")],
)
def test_a_choice_is_a_message_that_is_only_a_number(text, expected):
    assert chosen_number(text) == expected


# ---- numbered lists ----

BUTTONS = [
    {"title": "Side effects", "payload": "/ask_side_effects"},
    {"title": "How it's given", "payload": "/ask_how_given"},
    {"title": "Yes, please", "payload": "/affirm"},
]


def test_buttons_become_a_numbered_list_after_the_text():
    body, payloads = render_menu("The answer.", BUTTONS, MESSAGES)
    assert body == "The answer.\n\nReply with a number:\n1. Side effects\n2. How it's given\n3. Yes, please"
    assert payloads == ["/ask_side_effects", "/ask_how_given", "/affirm"]


def test_no_buttons_leaves_the_text_alone_and_buttons_without_a_payload_are_left_out():
    assert render_menu("Text.", [], MESSAGES) == ("Text.", [])
    body, payloads = render_menu("", [{"title": "Web page"}, BUTTONS[0]], MESSAGES)
    assert body == "Reply with a number:\n1. Side effects" and payloads == ["/ask_side_effects"]


def test_a_message_too_long_for_twilio_is_split_at_sentence_ends():
    text = " ".join(f"Sentence number {n} is here." for n in range(200))
    parts = split_for_sms(text)
    assert len(parts) > 1 and all(len(p) <= 1600 for p in parts)
    assert all(p.endswith(".") for p in parts)
    assert " ".join(parts) == text
    assert split_for_sms("short") == ["short"]


# ---- sender ids ----


def test_the_sender_id_is_a_keyed_hash_of_the_number():
    sender = hashed_sender_id(NUMBER, b"key")
    assert sender == hashed_sender_id(f" {NUMBER}\n", b"key")
    assert sender != hashed_sender_id(NUMBER, b"other key")
    assert sender != hashed_sender_id("+12025550198", b"key")
    assert sender.startswith("sms-") and len(sender) == 36
    assert NUMBER[2:] not in sender and "5550199" not in sender


# ---- the webhook form ----


def test_the_form_keeps_blank_fields_so_twilios_signature_checks_out():
    fields = {"Body": "", "From": NUMBER, "FromCity": "", "NumMedia": "1"}
    url = "https://sms.example.test/webhooks/twilio/webhook"
    signature = RequestValidator("token").compute_signature(url, fields)
    form = WebhookForm.parse(urlencode(fields).encode())
    assert form.first("FromCity") == "" and form.first("From") == NUMBER and form.first("Missing") == ""
    assert RequestValidator("token").validate(url, form, signature)
    assert not RequestValidator("token").validate(url, WebhookForm.parse(b"From=%2B12025550199&NumMedia=1"), signature)


# ---- the store ----


def test_opt_outs_and_lists_survive_reopening_the_store(tmp_path):
    path = tmp_path / "nested" / "sms.db"
    store = SmsStore(str(path))
    store.opt_out("sms-a")
    store.opt_out("sms-a")
    store.set_menu("sms-b", ["/ask_types", "/ask_side_effects"])
    again = SmsStore(path)
    assert again.is_opted_out("sms-a") and not again.is_opted_out("sms-b")
    assert again.menu("sms-b") == ["/ask_types", "/ask_side_effects"] and again.menu("sms-a") == []
    again.opt_in("sms-a")
    again.clear_menu("sms-b")
    assert not SmsStore(path).is_opted_out("sms-a") and SmsStore(path).menu("sms-b") == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_generated_sender_id_key_is_made_once_and_kept(tmp_path):
    path = str(tmp_path / "sms.db")
    key = SmsStore(path).sender_id_key()
    assert len(key) == 64 and SmsStore(path).sender_id_key() == key
    assert SmsStore(str(tmp_path / "other.db")).sender_id_key() != key


def test_a_key_kept_by_the_earlier_store_is_carried_over_so_opt_outs_hold(tmp_path):
    path = tmp_path / "sms.db"
    with closing(sqlite3.connect(path)) as db, db:  # what the sqlite3 store of before left behind
        db.execute("CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO settings VALUES ('sender_id_key', 'the-old-key')")
    assert SmsStore(str(path)).sender_id_key() == b"the-old-key"


def test_purge_drops_old_numbered_lists_but_never_an_opt_out(tmp_path):
    store = SmsStore(str(tmp_path / "sms.db"))
    store.opt_out("sms-a")
    store.set_menu("sms-b", ["/ask_types"])
    assert store.purge(datetime.now(timezone.utc) - timedelta(days=1)) == 0
    assert store.purge(datetime.now(timezone.utc) + timedelta(seconds=2)) == 1
    assert store.menu("sms-b") == [] and store.is_opted_out("sms-a")


# ---- sending ----


class StubMessages:
    """Stands in for the Twilio client's Messages resource."""

    def __init__(self, error: Exception | None = None) -> None:
        self.created: list = []
        self.error = error

    def create(self, **fields):
        if self.error:
            raise self.error
        self.created.append(fields)
        return object()


class StubClient:
    def __init__(self, error: Exception | None = None) -> None:
        self.messages = StubMessages(error)


def output(tmp_path: Path, client=None) -> SmsOutput:
    store = SmsStore(str(tmp_path / "s.db"))
    return SmsOutput(client or StubClient(), "+12025550100", {"sms-x": NUMBER}, store, MESSAGES)


def responses_with_buttons():
    return sorted(name for name, variants in DOMAIN["responses"].items() if any(v.get("buttons") for v in variants))


def test_the_domain_responses_with_buttons_are_the_expected_ones():
    assert {"utter_greet", "utter_out_of_scope", "utter_ask_topic"} <= set(responses_with_buttons())


@pytest.mark.parametrize("response", responses_with_buttons())
def test_a_domain_response_with_buttons_is_one_sms_with_a_numbered_list(tmp_path, response):
    channel = output(tmp_path)
    message = {"text": DOMAIN["responses"][response][0]["text"], "buttons": DOMAIN["responses"][response][0]["buttons"]}
    asyncio.run(channel.send_response("sms-x", dict(message)))
    [sent] = channel.client.messages.created
    assert sent["to"] == NUMBER and sent["from_"] == "+12025550100"
    assert sent["body"].startswith(message["text"].strip())
    for number, button in enumerate(message["buttons"], start=1):
        assert f"\n{number}. {button['title']}" in sent["body"]
    assert "/" not in sent["body"].split("Reply with a number:")[1]
    assert channel.store.menu("sms-x") == [b["payload"] for b in message["buttons"]]


def test_nothing_goes_to_a_number_that_opted_out_except_a_notice(tmp_path):
    channel = output(tmp_path)
    channel.store.opt_out("sms-x")
    asyncio.run(channel.send_response("sms-x", {"text": "An answer."}))
    assert channel.client.messages.created == []
    asyncio.run(channel.send_notice("sms-x", "You opted out."))
    assert [m["body"] for m in channel.client.messages.created] == ["You opted out."]


def test_a_sender_without_a_known_number_gets_nothing_and_nothing_breaks(tmp_path, caplog):
    channel = output(tmp_path)
    asyncio.run(channel.send_text_message("sms-unknown", "An answer."))
    assert channel.client.messages.created == []
    assert "sms-unknown" in caplog.text


def test_a_twilio_error_is_logged_without_the_phone_number(tmp_path, caplog):
    error = TwilioRestException(400, "https://api.twilio.com/x", f"The 'To' number {NUMBER} is not valid.", 21211)
    channel = output(tmp_path, StubClient(error))
    with caplog.at_level(logging.DEBUG):
        asyncio.run(channel.send_text_message("sms-x", "An answer."))
    assert "21211" in caplog.text and "sms-x" in caplog.text
    assert NUMBER[2:] not in caplog.text


def test_the_client_sends_to_the_configured_api_address(fake_twilio):
    account = {"TWILIO_ACCOUNT_SID": fake_twilio.account_sid, "TWILIO_AUTH_TOKEN": fake_twilio.auth_token}
    env = {**account, "TWILIO_NUMBER": "+12025550100"}
    client = make_client(SmsSettings.load(None, settings_from({**env, "TWILIO_API_BASE_URL": fake_twilio.url + "/"})))
    client.messages.create(to=NUMBER, from_="+12025550100", body="Hello from the unit test.")
    assert fake_twilio.sent_to(NUMBER)[-1] == "Hello from the unit test."
    assert make_client(SmsSettings.load(None, settings_from(env))).api.base_url == "https://api.twilio.com"
