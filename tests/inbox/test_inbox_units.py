"""The triage inbox's parts without a server: the ticket schema, who may post, settings, and the page's escaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox.server import (
    DEFAULT_DB,
    Settings,
    TicketError,
    TicketStore,
    authorized,
    load_settings,
    parse_ticket,
    render_page,
)
from tests.inbox.support import TOKEN, make_ticket


def test_a_valid_ticket_is_kept_with_its_time_in_utc_and_unknown_fields_dropped():
    ticket = make_ticket(created_at="2026-11-26T10:04:05-05:00", last_messages=[], topics=[], next_step="")
    parsed = parse_ticket({**ticket, "added_by_a_newer_sender": 1})
    assert parsed == {**ticket, "created_at": "2026-11-26T15:04:05Z"}


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"priority": True}, "priority must be one of"),
        ({"reference": ""}, "reference must not be empty"),
        ({"reference": "CIS <1>"}, "reference may only hold"),
        ({"last_messages": ["x" * 2000] * 20}, None),  # the limits themselves are fine
        ({"last_messages": [None]}, "last_messages[0] must be a string"),
        ({"topics": ["t" * 101]}, "topics[0] must be at most 100 characters"),
        ({"idempotency_key": "a\tb"}, "idempotency_key must not contain spaces"),
        ({"created_at": "0001-01-01T00:00:00+01:00"}, "created_at must be"),
    ],
)
def test_the_schema(changes, problem):
    ticket = make_ticket(**changes)
    if problem is None:
        parse_ticket(ticket)
        return
    with pytest.raises(TicketError) as error:
        parse_ticket(ticket)
    assert any(p.startswith(problem) for p in error.value.problems), error.value.problems


def test_problems_name_the_field_never_its_text():
    with pytest.raises(TicketError) as error:
        parse_ticket(make_ticket(last_messages=["I have chest pain " * 200], priority="I have chest pain"))
    assert "chest" not in str(error.value)


@pytest.mark.parametrize(
    "header, token, client, allowed",
    [
        (f"Bearer {TOKEN}", TOKEN, "203.0.113.9", True),
        (f"bearer   {TOKEN} ", TOKEN, "203.0.113.9", True),
        ("Bearer wrong", TOKEN, "127.0.0.1", False),  # with a token, loopback needs it too
        (None, TOKEN, "127.0.0.1", False),
        ("Bearer ünïcode", TOKEN, "127.0.0.1", False),
        (None, "", "127.0.0.1", True),  # no token: this machine only
        (None, "", "::1", True),
        (None, "", "::ffff:127.0.0.1", True),
        (None, "", "203.0.113.9", False),
        (None, "", "192.168.1.20", False),
        (f"Bearer {TOKEN}", "", "10.0.0.5", False),
    ],
)
def test_who_may_post(header, token, client, allowed):
    assert authorized(header, token, client) is allowed


def test_settings_come_from_the_environment_and_flags_win():
    assert load_settings([], {}) == Settings(db=DEFAULT_DB)
    environ = {"INBOX_HOST": "0.0.0.0", "INBOX_PORT": "9000", "INBOX_DB": "/tmp/x.db", "TRIAGE_WEBHOOK_TOKEN": " s "}
    assert load_settings([], environ) == Settings("0.0.0.0", 9000, Path("/tmp/x.db"), "s")
    assert load_settings(["--port", "9100", "--host", "::1"], environ).port == 9100
    with pytest.raises(SystemExit):
        load_settings([], {"INBOX_PORT": "http"})


def test_the_store_creates_its_folder(tmp_path):
    store = TicketStore(tmp_path / "new" / "folder" / "inbox.db")
    store.open()
    assert store.add(parse_ticket(make_ticket()))[0] == "created"


def test_every_ticket_field_is_escaped_on_the_page():
    attack = "<img src=x onerror=alert(1)>\"'"
    ticket = {
        **make_ticket(reference="CIS-ABC123"),
        **{field: attack for field in ("channel", "sender", "next_step", "created_at", "reason")},
        "topics": [attack],
        "last_messages": [attack],
        "status": "open",
    }
    page = render_page([ticket], [{**ticket, "handled_at": attack}])
    assert "<img" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;") >= 8
