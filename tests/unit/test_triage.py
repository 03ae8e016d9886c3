"""Triage tickets: masking, reference codes, hours, the durable outbox and the handoff action, with a real SQLite
file and a real HTTP receiver on loopback."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.outbox as outbox_module
from actions.handoff import REASON_OF_INTENT, ActionHandOver
from actions.outbox import Outbox, deliver
from actions.triage import build_ticket, handoff_content, next_opening, reference_code
from service.privacy import mask
from service.settings import Settings, settings
from service.tickets import Reason
from tests.conftest import make_tracker
from tests.receiver import Receiver, wait_for

ET = ZoneInfo("America/New_York")
HOURS = handoff_content()["hours"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("call me at 555-123-4567 please", "call me at [phone] please"),
        ("my number is +1 (202) 555 0143", "my number is [phone]"),
        ("call (202) 555-0143 after 5", "call [phone] after 5"),
        ("text 2025550143", "text [phone]"),
        ("email jane.doe+care@example.org thanks", "email [email] thanks"),
        ("stage 4 lung cancer, 3 cycles", "stage 4 lung cancer, 3 cycles"),
    ],
)
def test_phone_numbers_and_emails_are_masked(text, expected):
    assert mask(text) == expected


def test_reference_codes_are_short_and_easy_to_read_aloud():
    codes = {reference_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"CIS-[2-9A-HJ-NP-Z]{8}", c) for c in codes)


@pytest.mark.parametrize(
    "local,expected",
    [
        (datetime(2026, 11, 23, 10, 0), None),  # Monday morning: open
        (datetime(2026, 11, 27, 20, 59), None),  # Friday, a minute before closing
        (datetime(2026, 11, 27, 21, 0), "Monday at 9:00 a.m. Eastern Time"),  # Friday at closing
        (datetime(2026, 11, 28, 12, 0), "Monday at 9:00 a.m. Eastern Time"),  # Saturday
        (datetime(2026, 11, 24, 7, 30), "today at 9:00 a.m. Eastern Time"),  # Tuesday early
        (datetime(2026, 11, 25, 22, 15), "tomorrow at 9:00 a.m. Eastern Time"),  # Wednesday night
    ],
)
def test_the_next_opening_of_the_line(local, expected):
    assert next_opening(local.replace(tzinfo=ET), HOURS) == expected


def conversation():
    def user(text, intent):
        return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}

    return [
        user("hi", "greet"),
        user("what are the side effects of keytruda", "ask_side_effects"),
        user("how is it given", "ask_how_given"),
        user("my email is bob@example.com and phone 202-555-0143", "request_human"),
    ]


def test_a_ticket_has_every_field_masked_and_pseudonymous():
    now = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)
    ticket = build_ticket(conversation(), "+12025550143", "twilio", "requested_human", "k" * 32, now)
    assert ticket["created_at"] == "2026-11-26T15:00:00Z"
    assert ticket["priority"] == "routine" and ticket["reason"] == "requested_human"
    assert ticket["topics"] == ["ask_side_effects", "ask_how_given"]
    assert ticket["last_messages"][-1] == "my email is [email] and phone [phone]"
    assert "2025550143" not in str(ticket) and re.fullmatch(r"[0-9a-f]{16}", ticket["sender"])
    assert ticket["next_step"] and ticket["channel"] == "twilio"


def test_an_urgent_ticket_is_marked_urgent():
    ticket = build_ticket(conversation(), "s", "rest", "urgent_symptom", "k", datetime.now(timezone.utc))
    assert ticket["priority"] == "urgent" and ticket["next_step"].startswith("URGENT")


def settings_for(tmp_path, url, timeout=1.0):
    return Settings(
        triage_webhook_url=url,
        triage_webhook_token="test-token",
        triage_outbox_path=str(tmp_path / "outbox.db"),
        triage_webhook_timeout=timeout,
        triage_retry_seconds=0.2,
    )


def unused_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/tickets"


def test_tickets_wait_in_the_outbox_while_the_receiver_is_down_then_arrive_exactly_once(tmp_path):
    outbox = Outbox(str(tmp_path / "outbox.db"))
    tickets = [
        build_ticket(conversation(), f"s{i}", "rest", "requested_human", "k", datetime.now(timezone.utc))
        for i in range(3)
    ]
    for ticket in tickets:
        outbox.add(ticket)
    assert deliver(outbox, settings_for(tmp_path, unused_url()), due_only=False) == {"delivered": 0, "failed": 3}
    assert Outbox(str(tmp_path / "outbox.db")).counts() == {"delivered": 0, "waiting": 3}  # a new process sees them
    with Receiver() as receiver:
        settings = settings_for(tmp_path, receiver.url)
        assert deliver(outbox, settings, due_only=False)["delivered"] == 3
        assert deliver(outbox, settings, due_only=False)["delivered"] == 0
        assert sorted(receiver.tickets) == sorted(t["idempotency_key"] for t in tickets)
        assert len(receiver.requests) == 3
        assert all(r["headers"]["Authorization"] == "Bearer test-token" for r in receiver.requests)


def test_a_failed_delivery_backs_off(tmp_path):
    outbox = Outbox(str(tmp_path / "outbox.db"))
    outbox.add(build_ticket(conversation(), "s", "rest", "not_understood", "k", datetime.now(timezone.utc)))
    with Receiver(status=503) as receiver:
        settings = settings_for(tmp_path, receiver.url)
        assert deliver(outbox, settings) == {"delivered": 0, "failed": 1}
        assert deliver(outbox, settings) == {"delivered": 0, "failed": 0}  # not due again yet
        assert len(receiver.requests) == 1


@pytest.fixture
def handoff_env(tmp_path, monkeypatch):
    def configure(url, timeout="1"):
        monkeypatch.setenv("TRIAGE_WEBHOOK_URL", url)
        monkeypatch.setenv("TRIAGE_WEBHOOK_TOKEN", "test-token")
        monkeypatch.setenv("TRIAGE_OUTBOX_PATH", str(tmp_path / "outbox.db"))
        monkeypatch.setenv("TRIAGE_WEBHOOK_TIMEOUT", timeout)
        monkeypatch.setenv("TRIAGE_RETRY_SECONDS", "0.2")
        monkeypatch.setattr(outbox_module, "_worker", None)
        settings.cache_clear()  # read once per process: read these

    yield configure
    settings.cache_clear()


def hand_over(intent, channel="rest"):
    tracker = make_tracker(intent, "please help, call 202-555-0143", channel=channel)
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandOver().run(dispatcher, tracker, {}))
    return dispatcher.messages


@pytest.mark.parametrize(
    "intent,reason,priority",
    [
        ("request_human", "requested_human", "routine"),
        ("report_urgent_symptom", "urgent_symptom", "urgent"),
        ("nlu_fallback", "not_understood", "routine"),
        ("affirm", "out_of_scope", "routine"),
    ],
)
def test_every_handoff_reason_files_exactly_one_ticket(handoff_env, intent, reason, priority):
    with Receiver() as receiver:
        handoff_env(receiver.url)
        [message] = hand_over(intent)
        code = re.search(r"CIS-[2-9A-HJ-NP-Z]{8}", message["text"]).group(0)
        assert wait_for(lambda: len(receiver.tickets) == 1)
        time.sleep(0.5)  # the background loop runs again: still one ticket
        [ticket] = receiver.tickets.values()
        assert (ticket["reference"], ticket["reason"], ticket["priority"]) == (code, reason, priority)
        assert ticket["last_messages"] == ["please help, call [phone]"]


def test_a_slow_receiver_never_delays_the_reply(handoff_env):
    with Receiver(delay=3) as receiver:
        handoff_env(receiver.url, timeout="5")
        started = time.monotonic()
        hand_over("request_human")
        assert time.monotonic() - started < 1.0
        assert wait_for(lambda: len(receiver.tickets) == 1, timeout=10)


def test_the_reply_says_when_the_line_is_open_except_in_an_emergency(handoff_env):
    handoff_env(unused_url())
    [routine] = hand_over("request_human")
    assert "open now" in routine["text"] or "open again" in routine["text"]
    [urgent] = hand_over("report_urgent_symptom")
    assert "open" not in urgent["text"] and "CIS-" in urgent["text"]


def test_a_refused_ticket_is_not_retried_in_a_loop_but_kept(tmp_path):
    outbox = Outbox(str(tmp_path / "outbox.db"))
    outbox.add(build_ticket(conversation(), "s", "rest", "requested_human", "k", datetime.now(timezone.utc)))
    with Receiver(status=400) as receiver:
        settings = settings_for(tmp_path, receiver.url)
        assert deliver(outbox, settings) == {"delivered": 0, "failed": 1}
        assert deliver(outbox, settings) == {"delivered": 0, "failed": 0}
        assert outbox.counts() == {"delivered": 0, "waiting": 1}
        assert len(receiver.requests) == 1


def test_the_handoff_reasons_are_one_list_that_the_action_and_the_wording_share():
    assert set(REASON_OF_INTENT.values()) == set(Reason)
    assert set(handoff_content()["next_steps"]) == {reason.value for reason in Reason}
    assert [reason.priority for reason in Reason].count("urgent") == 1


def test_a_wording_file_without_a_next_step_for_every_reason_is_refused(tmp_path):
    broken = tmp_path / "handoff.yml"
    broken.write_text("next_steps:\n  requested_human: Call back.\n")
    with pytest.raises(ValueError, match="one entry for each of requested_human, urgent_symptom"):
        handoff_content.__wrapped__(broken)


def test_the_outbox_purges_tickets_older_than_the_cutoff(tmp_path):
    outbox = Outbox(str(tmp_path / "outbox.db"))
    outbox.add(build_ticket(conversation(), "s", "rest", "requested_human", "k", datetime.now(timezone.utc)))
    assert outbox.purge(datetime.now(timezone.utc) - timedelta(days=1)) == 0
    assert outbox.purge(datetime.now(timezone.utc) + timedelta(seconds=1), dry_run=True) == 1
    assert outbox.counts()["waiting"] == 1
    assert outbox.purge(datetime.now(timezone.utc) + timedelta(seconds=1)) == 1
    assert outbox.counts() == {"delivered": 0, "waiting": 0}


def test_broken_characters_are_made_valid():
    assert mask("bad \ud800 char") == "bad ? char"
