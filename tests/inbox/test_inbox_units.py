"""The triage inbox's parts without a server: who may post, staff accounts, the store (an older database, purge,
sessions), and the templates' escaping."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone

import pytest

from inbox.app import authorized, templates
from inbox.staff import encode, parse_accounts, verify
from inbox.store import TicketStore
from service.privacy import is_loopback
from service.tickets import Ticket
from tests.inbox.support import TOKEN, make_ticket


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
        (None, "", "::ffff:203.0.113.9", False),
        (None, "", "192.168.1.20", False),
        (f"Bearer {TOKEN}", "", "10.0.0.5", False),
    ],
)
def test_who_may_post(header, token, client, allowed):
    assert authorized(header, token, client) is allowed


@pytest.mark.parametrize(
    "host, loopback",
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("::ffff:127.0.0.1", True)]
    + [("localhost", True), ("0.0.0.0", False), ("::ffff:10.0.0.1", False), ("example.org", False), ("", False)],
)
def test_one_rule_for_this_machine_ipv4_mapped_addresses_included(host, loopback):
    assert is_loopback(host) is loopback


def test_staff_accounts_are_argon2_hashes_without_dollar_signs():
    entry = encode("correct horse battery staple")
    assert "$" not in entry and "," not in entry and ":" not in entry
    accounts = parse_accounts(f"dana:{entry}, sam.lee:{encode('another password 123')}")
    assert accounts["dana"].startswith("$argon2id$")
    assert verify(accounts, "dana", "correct horse battery staple")
    assert not verify(accounts, "dana", "correct horse battery stapl")
    assert not verify(accounts, "sam.lee", "correct horse battery staple")
    assert not verify(accounts, "nobody", "correct horse battery staple")
    assert parse_accounts("") == {}


@pytest.mark.parametrize("value", ["dana", "dana:", "da na:abc", "dana:%%%"])
def test_a_malformed_account_is_refused_naming_its_place_not_its_hash(value):
    with pytest.raises(ValueError, match="INBOX_STAFF entry 1") as error:
        parse_accounts(value)
    assert "%%%" not in str(error.value)


def test_a_tickets_table_from_before_sign_in_gets_its_handled_by_column(tmp_path):
    path = tmp_path / "inbox.db"
    with closing(sqlite3.connect(path)) as db, db:  # the table as the sqlite3 inbox made it
        db.execute(
            "CREATE TABLE tickets (id INTEGER PRIMARY KEY, reference TEXT NOT NULL UNIQUE, idempotency_key TEXT NOT "
            "NULL UNIQUE, created_at TEXT NOT NULL, received_at TEXT NOT NULL, channel TEXT NOT NULL, sender TEXT NOT "
            "NULL, priority TEXT NOT NULL, reason TEXT NOT NULL, topics TEXT NOT NULL, last_messages TEXT NOT NULL, "
            "next_step TEXT NOT NULL, handled_at TEXT)"
        )
        db.execute(
            "INSERT INTO tickets VALUES (1, 'CIS-OLD', 'k', '2026-11-01T10:00:00Z', '2026-11-01T10:00:01Z', 'rest', "
            "'s', 'routine', 'requested_human', '[]', '[]', '', NULL)"
        )
    store = TicketStore(path)
    assert store.mark_handled("CIS-OLD", "dana") == "handled"
    [ticket] = store.tickets("handled")
    assert ticket["handled_by"] == "dana" and ticket["reference"] == "CIS-OLD"


def test_purge_removes_old_tickets_and_ended_sessions(tmp_path):
    store = TicketStore(tmp_path / "inbox.db")
    for created in ("2026-01-01T00:00:00Z", "2026-11-26T15:04:05Z"):
        assert store.add(Ticket(**make_ticket(created_at=created)).dict())[0] == "created"
    ended, _ = store.open_session("dana", timedelta(seconds=-1))
    current, csrf = store.open_session("dana", timedelta(hours=1))
    assert store.session(ended) is None and store.session(current) == ("dana", csrf)
    cutoff = datetime(2026, 6, 1, tzinfo=timezone.utc)
    assert store.purge(cutoff, dry_run=True) == 1 and len(store.tickets("all")) == 2
    assert store.purge(cutoff) == 1
    assert [t["created_at"] for t in store.tickets("all")] == ["2026-11-26T15:04:05Z"]
    assert store.session(current) == ("dana", csrf)


def test_every_ticket_field_is_escaped_on_the_page():
    attack = "<img src=x onerror=alert(1)>\"'"
    ticket = {
        **make_ticket(reference="CIS-ABC123"),
        **{field: attack for field in ("channel", "sender", "next_step", "created_at")},
        "topics": [attack],
        "last_messages": [attack],
        "status": "open",
    }
    page = templates().get_template("inbox.html").render(
        refresh=15, open_tickets=[ticket], handled=[{**ticket, "handled_at": attack, "handled_by": attack}],
        staff=attack, csrf=attack,
    )  # fmt: skip
    assert "<img" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;&#34;&#39;") >= 10
