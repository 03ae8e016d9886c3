"""The triage inbox through Sanic's test client: tickets in, duplicates, refusals, the order, the staff page behind
its sign-in, Mark handled with who and when, and the security headers."""

from __future__ import annotations

import json
import re
from typing import Dict, Tuple

import pytest

from inbox.app import COOKIE, create_app
from tests.inbox.support import STAFF, TOKEN, Client, inbox_settings, make_ticket

ATTACKS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"]


# ---- tickets in ----


def test_a_new_ticket_is_created_and_the_same_key_again_is_a_duplicate(client: Client):
    ticket = make_ticket(priority="urgent", reason="urgent_symptom")

    created = client.post_ticket(ticket)
    assert created.status == 201, created.text
    assert created.json == {"status": "created", "reference": ticket["reference"]}

    again = client.post_ticket(ticket)
    assert again.status == 200, again.text
    assert again.json == {"status": "duplicate", "reference": ticket["reference"]}

    # a retry that differs (a sender bug) still changes nothing: the key decides
    changed = client.post_ticket({**ticket, "reference": "CIS-OTHER1", "priority": "routine"})
    assert changed.json == {"status": "duplicate", "reference": ticket["reference"]}

    [stored] = client.tickets("all")
    assert stored["reference"] == ticket["reference"]
    assert stored["priority"] == "urgent" and stored["status"] == "open" and stored["handled_by"] is None
    assert stored["last_messages"] == ticket["last_messages"]


def test_a_reference_already_used_by_another_ticket_is_a_conflict(client: Client):
    first = make_ticket()
    assert client.post_ticket(first).status == 201
    response = client.post_ticket(make_ticket(reference=first["reference"]))
    assert response.status == 409
    assert "reference" in response.json["error"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", "Bearer", "Basic dGVzdDp0ZXN0", TOKEN],
    ids=["missing", "wrong", "empty", "basic", "no-scheme"],
)
def test_a_missing_or_wrong_token_is_refused(client: Client, authorization):
    ticket = make_ticket()
    headers = {"Content-Type": "application/json", "Idempotency-Key": ticket["idempotency_key"]}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = client.request("post", "/tickets", content=json.dumps(ticket), headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.tickets("all") == []
    assert client.request("get", "/tickets", headers=headers).status == 401  # the list needs the token too


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
    "missing field": (*_without("priority"), 400, "priority: field required"),
    "wrong priority": (*_body(priority="high"), 400, "priority: must be one of: urgent, routine"),
    "priority not a string": (*_body(priority=["urgent"]), 400, "priority: str type expected"),
    "wrong reason": (*_body(reason="other"), 400, "reason: value is not a valid enumeration member"),
    "topics not a list": (*_body(topics="ask_side_effects"), 400, "topics: value is not a valid list"),
    "a number as a message": (*_body(last_messages=["hi", 42]), 400, "last_messages[1]: str type expected"),
    "21 messages": (*_body(last_messages=["hi"] * 21), 400, "at most 20 items"),
    "a message of 2,001 characters": (*_body(last_messages=["x" * 2001]), 400, "at most 2000 characters"),
    "reference of 33 characters": (*_body(reference="CIS-" + "A" * 29), 400, "reference: ensure this value has at"),
    "reference with a slash": (*_body(reference="CIS/../x"), 400, "reference: string does not match regex"),
    "empty sender": (*_body(sender=" "), 400, "sender: must not be empty"),
    "null next step": (*_body(next_step=None), 400, "next_step: none is not an allowed value"),
    "time without a zone": (*_body(created_at="2026-11-26T15:04:05"), 400, "created_at: must be an ISO 8601"),
    "not a time": (*_body(created_at="yesterday"), 400, "created_at: must be"),
    "lone surrogate": (*_body(last_messages=["\ud800 hi"]), 400, "last_messages[0]: is not valid Unicode"),
    "over 64 KB": (*_body(next_step="x" * (64 * 1024)), 413, "at most 65536 bytes"),
    "text/plain": (_body()[0], {"Content-Type": "text/plain"}, 415, "application/json"),
    "a form": (b"reference=CIS-1", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"),
    "latin-1 JSON": (_body()[0], {"Content-Type": "application/json; charset=latin-1"}, 415, "application/json"),
    "no Idempotency-Key header": (_body()[0], {}, 400, "Idempotency-Key header is required"),
    "Idempotency-Key differs": (_body()[0], {"Idempotency-Key": "another-key"}, 400, "differ"),
}


def test_bad_input_gets_a_clear_4xx_naming_the_field_and_the_inbox_keeps_answering(client: Client):
    for case, (body, extra, status, words) in BAD_INPUT.items():
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", **extra}
        response = client.request("post", "/tickets", content=body, headers=headers)
        assert response.status == status, (case, response.text)
        assert words in json.dumps(response.json), (case, response.text)
    assert client.request("get", "/health").json == {"status": "ok"}
    assert client.tickets("all") == []


# ---- the list ----


def test_the_list_puts_urgent_first_then_oldest(client: Client):
    tickets = {
        "routine, oldest": make_ticket(priority="routine", created_at="2026-11-26T08:00:00Z"),
        "urgent, newest": make_ticket(priority="urgent", created_at="2026-11-26T12:00:00Z"),
        "routine, newer": make_ticket(priority="routine", created_at="2026-11-26T09:00:00Z"),
        # 10:30 UTC, written in another zone: ordered by the moment, not the text
        "urgent, older": make_ticket(priority="urgent", created_at="2026-11-26T11:30:00+01:00"),
    }
    for ticket in tickets.values():
        assert client.post_ticket(ticket).status == 201
    names = {ticket["reference"]: name for name, ticket in tickets.items()}
    listed = client.tickets("open")
    assert [names[t["reference"]] for t in listed] == [
        "urgent, older",
        "urgent, newest",
        "routine, oldest",
        "routine, newer",
    ]
    assert listed[0]["created_at"] == "2026-11-26T10:30:00Z"


def test_an_unknown_status_is_refused(client: Client):
    response = client.request(
        "get", "/tickets", params={"status": "closed"}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status == 400
    assert "status must be one of" in response.json["error"]


def test_an_unknown_address_is_a_json_404_with_the_security_headers(client: Client):
    response = client.request("get", "/nothing-here")
    assert response.status == 404 and "error" in response.json
    assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["Cache-Control"] == "no-store"


# ---- sign-in ----


def test_the_page_needs_a_sign_in_and_shows_the_sign_in_form(client: Client):
    assert client.post_ticket(make_ticket(last_messages=["private words"])).status == 201
    response = client.request("get", "/")
    assert response.status == 303 and response.headers["Location"] == "/sign-in"
    form = client.request("get", "/sign-in")
    assert form.status == 200 and 'action="/sign-in"' in form.text and 'type="password"' in form.text
    assert "private words" not in form.text and "No staff accounts" not in form.text


def test_signing_in_sets_a_session_cookie_only_scripts_and_other_sites_cannot_use(client: Client):
    response = client.sign_in()
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http on loopback: a Secure cookie would never come back
    page = client.request("get", "/")
    assert page.status == 200 and f'<b class="staff-name">{STAFF}</b>' in page.text


def test_behind_a_tls_proxy_the_cookie_is_secure_and_the_clients_address_counts(tmp_path):
    app = create_app(inbox_settings(tmp_path, inbox_trusted_proxies=1, triage_webhook_token=""))
    proxied = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    behind = Client(app)
    assert "Secure" in behind.sign_in(**proxied).headers["Set-Cookie"]
    # without a token only this machine may post: a client the proxy says is elsewhere is refused
    assert behind.post_ticket(make_ticket(), token=None, **proxied).status == 401
    assert behind.post_ticket(make_ticket(), token=None).status == 201


@pytest.mark.parametrize(
    "name, password", [(STAFF, "wrong password"), ("nobody", "a long test password, not a secret")]
)
def test_a_wrong_name_or_password_is_refused_without_a_session(client: Client, name, password):
    response = client.sign_in(name, password)
    assert response.status == 401 and "Wrong name or password." in response.text
    assert "Set-Cookie" not in response.headers
    assert client.request("get", "/", cookies={COOKIE: "made-up"}).status == 303


def test_failed_sign_ins_are_rate_limited_even_for_the_right_password(client: Client):
    for _ in range(5):
        assert client.sign_in(STAFF, "guess").status == 401
    limited = client.sign_in()
    assert limited.status == 429 and "Too many failed sign-ins" in limited.text
    assert int(limited.headers["Retry-After"]) > 0 and "Set-Cookie" not in limited.headers


def test_without_staff_accounts_the_sign_in_page_says_how_to_add_one(tmp_path):
    client = Client(create_app(inbox_settings(tmp_path, inbox_staff="")))
    assert "make staff-password" in client.request("get", "/sign-in").text
    assert client.sign_in().status == 401


def test_a_sign_in_from_another_site_is_refused(client: Client):
    assert client.sign_in(Origin="https://evil.example").status == 403


def test_signing_out_ends_the_session(staff: Client):
    session = dict(staff.cookies)
    response = staff.request("post", "/sign-out", data={"csrf": staff.csrf})
    assert response.status == 303 and response.headers["Location"] == "/sign-in"
    assert staff.request("get", "/", cookies=session).status == 303


# ---- the staff page ----


def test_the_page_shows_ticket_text_escaped_never_as_html(staff: Client):
    ticket = make_ticket(
        priority="urgent",
        reason="urgent_symptom",
        sender='<b onmouseover="alert(1)">x</b>',
        topics=["ask_side_effects", "<svg onload=alert(1)>"],
        last_messages=[*ATTACKS, "my chest hurts & I feel faint"],
        next_step='"><script>alert(2)</script>',
    )
    assert staff.post_ticket(ticket).status == 201
    page = staff.request("get", "/")
    text = page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in text
    assert "&lt;svg onload=alert(1)&gt;" in text
    assert "my chest hurts &amp; I feel faint" in text
    ours = '<script src="/refresh.js" data-seconds="15" defer></script>'  # the page's own reload, from a file
    assert text.count(ours) == 1
    for raw in ("<script", "<img", "<svg", 'onmouseover="', "<b onmouseover"):
        assert raw not in text.replace(ours, "")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src 'self';" in csp
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["X-Frame-Options"] == "DENY"


def test_the_page_lists_open_tickets_urgent_first_with_everything_staff_need(staff: Client):
    routine = make_ticket(priority="routine", created_at="2026-11-25T08:00:00Z", channel="twilio")
    urgent = make_ticket(priority="urgent", reason="urgent_symptom", created_at="2026-11-26T16:00:00Z")
    for ticket in (routine, urgent):
        assert staff.post_ticket(ticket).status == 201
    text = staff.request("get", "/").text
    open_part = text.split('id="handled"')[0]
    assert open_part.index(urgent["reference"]) < open_part.index(routine["reference"])
    article = re.search(rf'<article class="ticket urgent" id="ticket-{urgent["reference"]}".*?</article>', text, re.S)
    assert article, "the urgent ticket is not marked urgent"
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
        assert shown in article.group(0), shown
    assert '<script src="/refresh.js" data-seconds="15" defer></script>' in text
    script = staff.request("get", "/refresh.js")
    assert script.status == 200 and "location.reload" in script.text
    assert "<title>(2) Triage inbox" in text and "Open tickets: 2, 1 urgent" in text
    css = staff.request("get", "/inbox.css")
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css") and ".ticket.urgent" in css.text


# ---- Mark handled ----


def test_mark_handled_records_who_and_when_and_moves_the_ticket_down(staff: Client):
    ticket = make_ticket(priority="urgent")
    assert staff.post_ticket(ticket).status == 201
    response = staff.mark_handled(ticket["reference"])
    assert response.status == 303 and response.headers["Location"] == "/"

    assert ticket["reference"] not in staff.references("open")
    [handled] = staff.tickets("handled")
    assert handled["reference"] == ticket["reference"] and handled["status"] == "handled"
    assert handled["handled_by"] == STAFF and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", handled["handled_at"])
    open_part, handled_part = staff.request("get", "/").text.split('id="handled"')
    assert ticket["reference"] not in open_part
    assert ticket["reference"] in handled_part and f"<td>{STAFF}</td>" in handled_part

    assert staff.mark_handled(ticket["reference"]).status == 303  # again: no change, no error
    assert staff.tickets("handled")[0]["handled_at"] == handled["handled_at"]


def test_mark_handled_refuses_forged_requests_and_unknown_tickets(staff: Client):
    ticket = make_ticket()
    assert staff.post_ticket(ticket).status == 201
    assert staff.mark_handled(ticket["reference"], Origin="https://evil.example").status == 403
    assert staff.mark_handled(ticket["reference"], Origin="null").status == 403
    assert staff.mark_handled(ticket["reference"], csrf="not-the-token").status == 403
    assert staff.mark_handled(ticket["reference"], csrf="").status == 403
    assert ticket["reference"] in staff.references("open")
    assert staff.mark_handled("CIS-NOSUCH").status == 404


def test_mark_handled_without_a_session_sends_to_the_sign_in_and_changes_nothing(client: Client):
    ticket = make_ticket()
    assert client.post_ticket(ticket).status == 201
    response = client.mark_handled(ticket["reference"], csrf="anything")
    assert response.status == 303 and response.headers["Location"] == "/sign-in"
    assert ticket["reference"] in client.references("open")
