"""The triage inbox over real HTTP: tickets in, duplicates, refusals, the order, the staff page, Mark handled, and a
restart on the same database."""

from __future__ import annotations

import json
import re
import signal
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Tuple

import pytest
import requests

from tests.inbox.support import Inbox, make_ticket

ATTACKS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"]


# ---- tickets in ----


def test_a_new_ticket_is_created_and_the_same_key_again_is_a_duplicate(inbox: Inbox):
    ticket = make_ticket(priority="urgent", reason="urgent_symptom")

    created = inbox.post(ticket)
    assert created.status_code == 201, created.text
    assert created.json() == {"status": "created", "reference": ticket["reference"]}

    again = inbox.post(ticket)
    assert again.status_code == 200, again.text
    assert again.json() == {"status": "duplicate", "reference": ticket["reference"]}

    # a retry that differs (a sender bug) still changes nothing: the key decides
    changed = inbox.post({**ticket, "reference": "CIS-OTHER1", "priority": "routine"})
    assert changed.json() == {"status": "duplicate", "reference": ticket["reference"]}

    stored = [t for t in inbox.tickets("all") if t["reference"] in (ticket["reference"], "CIS-OTHER1")]
    assert len(stored) == 1
    assert stored[0]["priority"] == "urgent" and stored[0]["status"] == "open"
    assert stored[0]["last_messages"] == ticket["last_messages"]


def test_the_same_ticket_sent_ten_times_at_once_is_stored_once(inbox: Inbox):
    ticket = make_ticket()
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(lambda _: inbox.post(ticket).status_code, range(10)))
    assert statuses == [200] * 9 + [201]
    assert inbox.references("all").count(ticket["reference"]) == 1


def test_a_reference_already_used_by_another_ticket_is_a_conflict(inbox: Inbox):
    first = make_ticket()
    assert inbox.post(first).status_code == 201
    clash = make_ticket(reference=first["reference"])
    response = inbox.post(clash)
    assert response.status_code == 409
    assert "reference" in response.json()["error"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", "Bearer ", "Basic dGVzdDp0ZXN0", "test-triage-token-not-a-secret"],
    ids=["missing", "wrong", "empty", "basic", "no-scheme"],
)
def test_a_missing_or_wrong_token_is_refused(inbox: Inbox, authorization):
    ticket = make_ticket()
    headers = {"Content-Type": "application/json", "Idempotency-Key": ticket["idempotency_key"]}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = requests.post(f"{inbox.url}/tickets", data=json.dumps(ticket), headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert ticket["reference"] not in inbox.references("all")


def _body(**changes) -> Tuple[bytes, Dict[str, str]]:
    ticket = make_ticket(**changes)
    return json.dumps(ticket).encode(), {"Idempotency-Key": ticket["idempotency_key"]}


def _without(field: str) -> Tuple[bytes, Dict[str, str]]:
    ticket = make_ticket()
    del ticket[field]
    return json.dumps(ticket).encode(), {"Idempotency-Key": "some-key"}


BAD_INPUT = {
    # name: (body, extra headers, status, words the error must contain)
    "not JSON": (b'{"reference": ', {}, 400, "not valid JSON"),
    "not UTF-8": (b'{"reference": "\xff\xfe"}', {}, 400, "not valid JSON"),
    "a JSON list": (b"[1, 2, 3]", {}, 400, "JSON object"),
    "nested too deep": (b"[" * 60_000, {}, 400, "not valid JSON"),
    "empty body": (b"", {}, 400, "not valid JSON"),
    "missing field": (*_without("priority"), 400, "missing field: priority"),
    "wrong priority": (*_body(priority="high"), 400, "priority must be one of"),
    "priority not a string": (*_body(priority=["urgent"]), 400, "priority must be one of"),
    "wrong reason": (*_body(reason="other"), 400, "reason must be one of"),
    "topics not a list": (*_body(topics="ask_side_effects"), 400, "topics must be a list"),
    "a number as a message": (*_body(last_messages=["hi", 42]), 400, "last_messages[1] must be a string"),
    "21 messages": (*_body(last_messages=["hi"] * 21), 400, "at most 20 items"),
    "a message of 2,001 characters": (*_body(last_messages=["x" * 2001]), 400, "at most 2000 characters"),
    "reference of 33 characters": (*_body(reference="CIS-" + "A" * 29), 400, "reference must be at most 32"),
    "reference with a slash": (*_body(reference="CIS/../x"), 400, "reference may only hold"),
    "empty sender": (*_body(sender=" "), 400, "sender must not be empty"),
    "null next step": (*_body(next_step=None), 400, "next_step must be a string"),
    "time without a zone": (*_body(created_at="2026-11-26T15:04:05"), 400, "created_at must be"),
    "not a time": (*_body(created_at="yesterday"), 400, "created_at must be"),
    "lone surrogate": (*_body(last_messages=["\ud800 hi"]), 400, "last_messages[0] is not valid Unicode"),
    "over 64 KB": (*_body(next_step="x" * (64 * 1024)), 400, "at most 65536 bytes"),
    "text/plain": (_body()[0], {"Content-Type": "text/plain"}, 415, "application/json"),
    "a form": (b"reference=CIS-1", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"),
    "latin-1 JSON": (_body()[0], {"Content-Type": "application/json; charset=latin-1"}, 415, "application/json"),
    "no Idempotency-Key header": (_body()[0], {}, 400, "Idempotency-Key header is required"),
    "Idempotency-Key differs": (_body()[0], {"Idempotency-Key": "another-key"}, 400, "differ"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
def test_bad_input_gets_a_clear_4xx_and_the_server_keeps_answering(inbox: Inbox, case: str):
    body, extra, status, words = BAD_INPUT[case]
    headers = {"Authorization": f"Bearer {inbox.token}", "Content-Type": "application/json", **extra}
    response = requests.post(f"{inbox.url}/tickets", data=body, headers=headers, timeout=10)
    assert response.status_code == status, response.text
    assert words in json.dumps(response.json()), response.text
    assert inbox.answers()


def _raw(inbox: Inbox, request: bytes) -> str:
    """Sends bytes as they are (requests would fix the headers) and returns the status line."""
    host, port = inbox.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        return sock.makefile("rb").readline().decode()


@pytest.mark.parametrize(
    "headers, status",
    [
        (b"", "411"),
        (b"Content-Length: many\r\n", "400"),
        (b"Content-Length: -5\r\n", "400"),
        ("Content-Length: \u00b2\r\n".encode("latin-1"), "400"),  # a superscript 2: str.isdigit() says yes
        (b"Content-Length: " + b"9" * 5000 + b"\r\n", "400"),  # too many digits for int()
        (b"Transfer-Encoding: chunked\r\n", "411"),
    ],
    ids=["no length", "length not a number", "negative length", "superscript length", "huge length", "chunked"],
)
def test_a_body_without_a_usable_length_is_refused(inbox: Inbox, headers: bytes, status: str):
    request = (
        b"POST /tickets HTTP/1.1\r\nHost: inbox\r\nContent-Type: application/json\r\nIdempotency-Key: k\r\n"
        b"Authorization: Bearer " + inbox.token.encode() + b"\r\n" + headers + b"\r\n{}"
    )
    assert _raw(inbox, request).split()[1] == status
    assert inbox.answers()


def test_the_log_has_no_tracebacks_after_all_that(inbox: Inbox):
    assert inbox.answers()
    assert "Traceback" not in inbox.log.read_text()


# ---- the list ----


def test_the_list_puts_urgent_first_then_oldest(inbox: Inbox):
    tickets = {
        "routine, oldest": make_ticket(priority="routine", created_at="2026-11-26T08:00:00Z"),
        "urgent, newest": make_ticket(priority="urgent", created_at="2026-11-26T12:00:00Z"),
        "routine, newer": make_ticket(priority="routine", created_at="2026-11-26T09:00:00Z"),
        # 10:30 UTC, written in another zone: ordered by the moment, not the text
        "urgent, older": make_ticket(priority="urgent", created_at="2026-11-26T11:30:00+01:00"),
    }
    for ticket in tickets.values():
        assert inbox.post(ticket).status_code == 201
    names = {ticket["reference"]: name for name, ticket in tickets.items()}

    listed = inbox.tickets("open")
    assert [names[t["reference"]] for t in listed if t["reference"] in names] == [
        "urgent, older",
        "urgent, newest",
        "routine, oldest",
        "routine, newer",
    ]
    priorities = [t["priority"] for t in listed]
    assert priorities == sorted(priorities, key=lambda p: p != "urgent")
    assert (
        next(t for t in listed if names.get(t["reference"]) == "urgent, older")["created_at"] == "2026-11-26T10:30:00Z"
    )


def test_an_unknown_status_is_refused(inbox: Inbox):
    response = requests.get(f"{inbox.url}/tickets", params={"status": "closed"}, timeout=10)
    assert response.status_code == 400
    assert "status must be one of" in response.json()["error"]


def test_health(inbox: Inbox):
    response = requests.get(f"{inbox.url}/health", timeout=10)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


# ---- the staff page ----


def test_the_page_shows_ticket_text_escaped_never_as_html(inbox: Inbox):
    ticket = make_ticket(
        priority="urgent",
        reason="urgent_symptom",
        sender='<b onmouseover="alert(1)">x</b>',
        topics=["ask_side_effects", "<svg onload=alert(1)>"],
        last_messages=[*ATTACKS, "my chest hurts & I feel faint"],
        next_step='"><script>alert(2)</script>',
    )
    assert inbox.post(ticket).status_code == 201

    page = inbox.page()
    text = page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in text
    assert "&lt;svg onload=alert(1)&gt;" in text
    assert "my chest hurts &amp; I feel faint" in text
    for raw in ("<script", "<img", "<svg", 'onmouseover="', "<b onmouseover"):
        assert raw not in text

    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_lists_open_tickets_urgent_first_with_everything_staff_need(inbox: Inbox):
    routine = make_ticket(priority="routine", created_at="2026-11-25T08:00:00Z", channel="twilio")
    urgent = make_ticket(priority="urgent", reason="urgent_symptom", created_at="2026-11-26T16:00:00Z")
    for ticket in (routine, urgent):
        assert inbox.post(ticket).status_code == 201

    text = inbox.page().text
    open_part = text.split('id="handled"')[0]
    assert open_part.index(urgent["reference"]) < open_part.index(routine["reference"])
    urgent_article = re.search(
        rf'<article class="ticket urgent" id="ticket-{urgent["reference"]}".*?</article>', text, re.S
    )
    assert urgent_article, "the urgent ticket is not marked urgent"
    article = urgent_article.group(0)
    for shown in (
        "URGENT",
        "2026-11-26 16:00 UTC",
        urgent["channel"],
        urgent["sender"],
        "May describe an urgent symptom",
        "ask_checkpoint_inhibitors",
        urgent["last_messages"][1],
        urgent["next_step"],
        f'action="/tickets/{urgent["reference"]}/handled"',
        "Mark handled",
    ):
        assert shown in article, shown
    assert '<meta http-equiv="refresh" content="15">' in text


# ---- Mark handled ----


def _mark_handled(inbox: Inbox, reference: str, **headers: str) -> requests.Response:
    return requests.post(f"{inbox.url}/tickets/{reference}/handled", headers=headers, allow_redirects=False, timeout=10)


def test_mark_handled_moves_the_ticket_out_of_the_open_list(inbox: Inbox):
    ticket = make_ticket(priority="urgent")
    assert inbox.post(ticket).status_code == 201
    assert ticket["reference"] in inbox.references("open")

    response = _mark_handled(inbox, ticket["reference"], Origin=inbox.url)
    assert response.status_code == 303 and response.headers["Location"] == "/"

    assert ticket["reference"] not in inbox.references("open")
    handled = [t for t in inbox.tickets("handled") if t["reference"] == ticket["reference"]]
    assert len(handled) == 1 and handled[0]["status"] == "handled" and handled[0]["handled_at"]
    open_part, handled_part = inbox.page().text.split('id="handled"')
    assert ticket["reference"] not in open_part and ticket["reference"] in handled_part

    assert _mark_handled(inbox, ticket["reference"]).status_code == 303  # again: no change, no error


def test_mark_handled_refuses_another_site_and_unknown_tickets(inbox: Inbox):
    ticket = make_ticket()
    assert inbox.post(ticket).status_code == 201
    assert _mark_handled(inbox, ticket["reference"], Origin="https://evil.example").status_code == 403
    assert _mark_handled(inbox, ticket["reference"], Origin="null").status_code == 403
    assert ticket["reference"] in inbox.references("open")
    assert _mark_handled(inbox, "CIS-NOSUCH").status_code == 404


# ---- restarts, signals, the log ----


def test_tickets_survive_a_restart_and_the_log_never_holds_their_text(new_inbox):
    inbox = new_inbox()
    secret_text = "my oncologist Dr Zebediah said pembrolizumab"
    urgent = make_ticket(priority="urgent", last_messages=[secret_text], next_step="Call Zebediah's patient")
    routine = make_ticket(priority="routine")
    handled = make_ticket(priority="routine")
    for ticket in (urgent, routine, handled):
        assert inbox.post(ticket).status_code == 201
    assert inbox.post(make_ticket(priority="loud", last_messages=[secret_text])).status_code == 400
    assert _mark_handled(inbox, handled["reference"]).status_code == 303

    assert inbox.stop() == 0
    inbox.start()

    assert inbox.references("open") == [urgent["reference"], routine["reference"]]
    assert inbox.references("handled") == [handled["reference"]]
    assert inbox.tickets("open")[0]["last_messages"] == [secret_text]
    assert inbox.post(urgent).json() == {"status": "duplicate", "reference": urgent["reference"]}
    assert inbox.stop() == 0

    log = inbox.log.read_text()
    assert f"Ticket {urgent['reference']} received: priority urgent" in log
    assert f"Ticket {routine['reference']} received: priority routine" in log
    assert "SIGTERM: stopping." in log and "Stopped." in log
    for private in ("Zebediah", "pembrolizumab", urgent["sender"], urgent["idempotency_key"]):
        assert private not in log


def test_sigint_stops_it_cleanly(new_inbox):
    inbox = new_inbox()
    inbox.process.send_signal(signal.SIGINT)
    assert inbox.process.wait(timeout=10) == 0
    inbox.process = None
    assert "SIGINT: stopping." in inbox.log.read_text()


def test_without_a_token_it_warns_and_takes_tickets_from_this_machine_only(new_inbox):
    inbox = new_inbox(token=None)
    ticket = make_ticket()
    response = requests.post(
        f"{inbox.url}/tickets", json=ticket, headers={"Idempotency-Key": ticket["idempotency_key"]}, timeout=10
    )
    assert response.status_code == 201, response.text
    assert "TRIAGE_WEBHOOK_TOKEN is not set" in inbox.log.read_text()
    # clients elsewhere are refused: see test_inbox_units.py, since every test client is on loopback
