"""The triage inbox service: stores the hand-over tickets the assistant POSTs to /tickets in SQLite and shows the
open ones to contact-center staff, urgent first. Standard library only.

Run: `python -m inbox.server` (settings: INBOX_HOST, INBOX_PORT, INBOX_DB, TRIAGE_WEBHOOK_TOKEN; see `--help`).
"""

from __future__ import annotations

import argparse
import hmac
import html
import ipaddress
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import parse_qs, quote, unquote, urlsplit

logger = logging.getLogger("inbox")

HERE = Path(__file__).resolve().parent
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8090
DEFAULT_DB = HERE.parent / "data_store" / "inbox.db"

MAX_BODY = 64 * 1024  # bytes in one ticket request
DRAIN_LIMIT = 1024 * 1024  # refused bodies up to this size are read and dropped, so the client gets the answer
REQUEST_TIMEOUT = 15  # seconds a client may take to send its request
REFRESH_SECONDS = 15
RECENTLY_HANDLED = 20  # handled tickets listed under the open ones

PRIORITIES = ("urgent", "routine")
REASONS = ("requested_human", "urgent_symptom", "not_understood", "out_of_scope")
STATUSES = ("open", "handled", "all")
FIELDS = (
    "reference",
    "created_at",
    "channel",
    "sender",
    "priority",
    "reason",
    "topics",
    "last_messages",
    "next_step",
    "idempotency_key",
)
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")  # it is part of the "Mark handled" address
MAX_MESSAGES, MAX_MESSAGE_CHARS = 20, 2000
MAX_TOPICS, MAX_TOPIC_CHARS = 50, 100
MAX_CHANNEL_CHARS, MAX_SENDER_CHARS, MAX_KEY_CHARS, MAX_NEXT_STEP_CHARS = 64, 128, 128, 2000

# Staff-facing labels (not patient wording).
REASON_LABELS = {
    "requested_human": "Asked for a person",
    "urgent_symptom": "May describe an urgent symptom",
    "not_understood": "The assistant did not understand",
    "out_of_scope": "Outside what the assistant covers",
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",  # tickets hold health information
    # not no-referrer: with it, browsers send "Origin: null" on form posts and the same-origin check would fail
    "Referrer-Policy": "same-origin",
}
PAGE_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"


# ---- settings --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Everything the service needs from outside, read in one place."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db: Path = DEFAULT_DB
    token: str = ""  # empty: only loopback clients may post tickets


def load_settings(argv: Optional[Sequence[str]] = None, environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Environment variables, each overridden by its command-line flag."""
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="python -m inbox.server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=environ.get("INBOX_HOST") or DEFAULT_HOST, help="INBOX_HOST (%(default)s)")
    parser.add_argument(
        "--port", default=environ.get("INBOX_PORT") or str(DEFAULT_PORT), help="INBOX_PORT (%(default)s)"
    )
    parser.add_argument("--db", default=environ.get("INBOX_DB") or str(DEFAULT_DB), help="INBOX_DB (%(default)s)")
    parser.add_argument(
        "--token",
        default=environ.get("TRIAGE_WEBHOOK_TOKEN", ""),
        help="TRIAGE_WEBHOOK_TOKEN, the shared secret senders present as 'Authorization: Bearer <token>'. Prefer the "
        "environment variable: a command line is visible to other users. Unset: only loopback clients may post.",
    )
    args = parser.parse_args(argv)
    try:
        port = int(args.port)
        if not 0 <= port <= 65535:
            raise ValueError
    except ValueError:
        parser.error(f"the port must be a number from 0 to 65535, not {args.port!r}")
    return Settings(host=args.host.strip(), port=port, db=Path(args.db).expanduser(), token=args.token.strip())


# ---- the ticket ------------------------------------------------------------------------------------------------


class TicketError(ValueError):
    """A ticket that does not follow the schema; `problems` says why, naming fields, never quoting their values."""

    def __init__(self, problems: List[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_ticket(data: Any) -> Dict[str, Any]:
    """The ticket in `data` (decoded JSON), checked against the schema, with created_at normalised to UTC."""
    if not isinstance(data, dict):
        raise TicketError(["the body must be a JSON object"])
    missing = [name for name in FIELDS if name not in data]
    if missing:
        raise TicketError([f"missing field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"])
    problems: List[str] = []

    def text(label: str, value: Any, limit: int, required: bool = True) -> bool:
        """Whether `value` is acceptable text; notes the problem when it is not."""
        if not isinstance(value, str):
            problems.append(f"{label} must be a string")
        elif not _encodable(value):
            problems.append(f"{label} is not valid Unicode text")
        elif len(value) > limit:
            problems.append(f"{label} must be at most {limit} characters")
        elif required and not value.strip():
            problems.append(f"{label} must not be empty")
        else:
            return True
        return False

    def texts(name: str, most: int, limit: int) -> None:
        values = data[name]
        if not isinstance(values, list):
            problems.append(f"{name} must be a list of strings")
        elif len(values) > most:
            problems.append(f"{name} must have at most {most} items")
        else:
            for index, value in enumerate(values):
                text(f"{name}[{index}]", value, limit, required=False)

    if text("reference", data["reference"], 32) and not REFERENCE.match(data["reference"]):
        problems.append("reference may only hold letters, digits, '-' and '_'")
    created_at = _utc(data["created_at"]) if text("created_at", data["created_at"], 40) else ""
    if created_at is None:
        problems.append("created_at must be an ISO 8601 time with a time zone, e.g. 2026-11-26T15:04:05Z")
    text("channel", data["channel"], MAX_CHANNEL_CHARS)
    text("sender", data["sender"], MAX_SENDER_CHARS)
    for name, allowed in (("priority", PRIORITIES), ("reason", REASONS)):
        if not isinstance(data[name], str) or data[name] not in allowed:
            problems.append(f"{name} must be one of: {', '.join(allowed)}")
    texts("topics", MAX_TOPICS, MAX_TOPIC_CHARS)
    texts("last_messages", MAX_MESSAGES, MAX_MESSAGE_CHARS)
    text("next_step", data["next_step"], MAX_NEXT_STEP_CHARS, required=False)
    key = data["idempotency_key"]
    if text("idempotency_key", key, MAX_KEY_CHARS) and any(c.isspace() or not c.isprintable() for c in key):
        problems.append("idempotency_key must not contain spaces or control characters")
    if problems:
        raise TicketError(problems)
    ticket = {name: data[name] for name in FIELDS}  # unknown fields are dropped: a newer sender still gets through
    ticket["created_at"] = created_at
    return ticket


def _encodable(value: str) -> bool:
    """False for lone surrogates (JSON allows "\\ud800"), which SQLite and the page could not encode."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _utc(value: str) -> Optional[str]:
    """2026-11-26T16:04:05+01:00 -> 2026-11-26T15:04:05Z; None for a time without a zone or not ISO 8601."""
    iso = value.strip()
    if iso[-1:] in ("Z", "z"):
        iso = iso[:-1] + "+00:00"  # Python 3.10's fromisoformat does not read "Z"
    try:
        moment = datetime.fromisoformat(iso)
        if moment.tzinfo is None:
            return None
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError):
        return None


def authorized(header: Optional[str], token: str, client_host: str) -> bool:
    """With a token: the request must carry `Authorization: Bearer <token>`. Without one: loopback clients only."""
    if not token:
        return _is_loopback(client_host)
    scheme, _, given = (header or "").strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


# ---- the store -------------------------------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,      -- UTC, 2026-11-26T15:04:05Z: sorts as text
    received_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    sender TEXT NOT NULL,
    priority TEXT NOT NULL,
    reason TEXT NOT NULL,
    topics TEXT NOT NULL,          -- JSON list
    last_messages TEXT NOT NULL,   -- JSON list
    next_step TEXT NOT NULL,
    handled_at TEXT                -- NULL while the ticket is open
);
CREATE INDEX IF NOT EXISTS tickets_by_state ON tickets (handled_at, priority, created_at);
"""
URGENT_FIRST = "CASE priority WHEN 'urgent' THEN 0 ELSE 1 END, created_at, id"
WHERE_STATUS = {"open": "WHERE handled_at IS NULL", "handled": "WHERE handled_at IS NOT NULL", "all": ""}


class TicketStore:
    """The tickets in one SQLite file; one connection per call, so request threads share nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            with db:  # commits, or rolls back on an error
                yield db
        finally:
            db.close()

    def add(self, ticket: Dict[str, Any]) -> Tuple[str, str]:
        """("created" | "duplicate" | "conflict", reference). A known idempotency key changes nothing."""
        row = {**ticket, "topics": json.dumps(ticket["topics"]), "last_messages": json.dumps(ticket["last_messages"])}
        row["received_at"] = _now()
        try:
            with self._connection() as db:
                db.execute(
                    "INSERT INTO tickets (reference, idempotency_key, created_at, received_at, channel, sender, "
                    "priority, reason, topics, last_messages, next_step) VALUES (:reference, :idempotency_key, "
                    ":created_at, :received_at, :channel, :sender, :priority, :reason, :topics, :last_messages, "
                    ":next_step)",
                    row,
                )
            return "created", ticket["reference"]
        except sqlite3.IntegrityError:
            with self._connection() as db:
                stored = db.execute(
                    "SELECT reference FROM tickets WHERE idempotency_key = ?", (ticket["idempotency_key"],)
                ).fetchone()
            if stored:
                return "duplicate", stored["reference"]
            return "conflict", ticket["reference"]  # the reference is taken by another ticket

    def tickets(self, status: str = "open") -> List[Dict[str, Any]]:
        """Urgent first, then oldest first."""
        with self._connection() as db:
            rows = db.execute(f"SELECT * FROM tickets {WHERE_STATUS[status]} ORDER BY {URGENT_FIRST}").fetchall()
        return [_ticket(row) for row in rows]

    def recently_handled(self, limit: int = RECENTLY_HANDLED) -> List[Dict[str, Any]]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT * FROM tickets WHERE handled_at IS NOT NULL ORDER BY handled_at DESC, id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_ticket(row) for row in rows]

    def mark_handled(self, reference: str) -> str:
        """One of "handled", "already handled" (nothing changes) or "unknown"."""
        with self._connection() as db:
            changed = db.execute(
                "UPDATE tickets SET handled_at = ? WHERE reference = ? AND handled_at IS NULL", (_now(), reference)
            ).rowcount
            if changed:
                return "handled"
            known = db.execute("SELECT 1 FROM tickets WHERE reference = ?", (reference,)).fetchone()
        return "already handled" if known else "unknown"

    def ping(self) -> None:
        with self._connection() as db:
            db.execute("SELECT COUNT(*) FROM tickets").fetchone()


def _ticket(row: sqlite3.Row) -> Dict[str, Any]:
    ticket = {name: row[name] for name in FIELDS if name != "idempotency_key"}
    ticket.update(topics=json.loads(row["topics"]), last_messages=json.loads(row["last_messages"]))
    ticket.update(
        received_at=row["received_at"],
        status="handled" if row["handled_at"] else "open",
        handled_at=row["handled_at"],
    )
    return ticket


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- the staff page --------------------------------------------------------------------------------------------


@cache
def _page_template() -> Template:
    return Template((HERE / "page.html").read_text(encoding="utf-8"))


@cache
def _stylesheet() -> bytes:
    return (HERE / "inbox.css").read_bytes()


def render_page(open_tickets: List[Dict[str, Any]], handled: List[Dict[str, Any]]) -> str:
    """The staff page. Every value from a ticket goes through html.escape."""
    urgent = sum(1 for ticket in open_tickets if ticket["priority"] == "urgent")
    return _page_template().substitute(
        refresh=REFRESH_SECONDS,
        title_count=f"({len(open_tickets)}) " if open_tickets else "",
        open_count=len(open_tickets),
        urgent_count=f", {urgent} urgent" if urgent else "",
        open_tickets="\n".join(_open_ticket(ticket) for ticket in open_tickets)
        or '<p class="empty">No open tickets.</p>',
        handled=_handled_table(handled),
    )


def _open_ticket(ticket: Dict[str, Any]) -> str:
    e = html.escape
    reference = e(ticket["reference"])
    priority = ticket["priority"]
    label = (
        '<strong class="label urgent">URGENT</strong>' if priority == "urgent" else '<span class="label">Routine</span>'
    )
    messages = "".join(f"<li>{e(message)}</li>" for message in ticket["last_messages"])
    topics = ", ".join(e(topic) for topic in ticket["topics"])
    return f"""<article class="ticket {e(priority)}" id="ticket-{reference}" aria-labelledby="ref-{reference}">
  <header>
    {label}
    <h3 id="ref-{reference}" class="reference">{reference}</h3>
    <p class="meta"><time datetime="{e(ticket["created_at"])}">{e(_shown(ticket["created_at"]))}</time>
      · channel <b>{e(ticket["channel"])}</b> · sender <code>{e(ticket["sender"])}</code>
      · priority <b>{e(priority)}</b></p>
  </header>
  <dl>
    <dt>Reason</dt><dd>{e(REASON_LABELS.get(ticket["reason"], ticket["reason"]))}</dd>
    <dt>Suggested next step</dt><dd class="next-step">{e(ticket["next_step"]) or "—"}</dd>
    <dt>Topics discussed</dt><dd>{topics or "—"}</dd>
    <dt>Last messages from the person</dt>
    <dd>{f'<ol class="messages">{messages}</ol>' if messages else "—"}</dd>
  </dl>
  <form method="post" action="/tickets/{e(quote(ticket["reference"], safe=""))}/handled">
    <button type="submit">Mark handled</button>
  </form>
</article>"""


def _handled_table(tickets: List[Dict[str, Any]]) -> str:
    if not tickets:
        return '<p class="empty">No handled tickets yet.</p>'
    e = html.escape
    rows = "".join(
        f"<tr><td class=\"reference\">{e(t['reference'])}</td><td>{e(t['priority'])}</td>"
        f"<td>{e(REASON_LABELS.get(t['reason'], t['reason']))}</td><td>{e(t['channel'])}</td>"
        f"<td>{e(_shown(t['created_at']))}</td><td>{e(_shown(t['handled_at']))}</td></tr>"
        for t in tickets
    )
    return (
        "<table><thead><tr><th>Reference</th><th>Priority</th><th>Reason</th><th>Channel</th><th>Created</th>"
        f"<th>Handled</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _shown(moment: str) -> str:
    """2026-11-26T15:04:05Z -> 2026-11-26 15:04 UTC"""
    return f"{moment[:10]} {moment[11:16]} UTC" if len(moment) == 20 else moment


# ---- HTTP ------------------------------------------------------------------------------------------------------

HANDLED_PATH = re.compile(r"^/tickets/([^/]+)/handled$")
LENGTH = re.compile(r"[0-9]{1,15}")  # ASCII digits only: str.isdigit() accepts "²", and int() refuses 5,000 digits


class Refused(Exception):
    """A request answered with an error status and a JSON {"error": ...} body."""

    def __init__(self, status: HTTPStatus, error: str, details: Optional[List[str]] = None) -> None:
        super().__init__(error)
        self.status, self.error, self.details = status, error, details


class InboxServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: Tuple[str, int], store: TicketStore, token: str) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.store, self.token = store, token
        super().__init__(address, InboxHandler)


class InboxHandler(BaseHTTPRequestHandler):
    server: InboxServer
    server_version = "triage-inbox"
    sys_version = ""
    timeout = REQUEST_TIMEOUT

    # ---- routes ----

    def do_GET(self) -> None:
        self._answer(self._get)

    def do_POST(self) -> None:
        self._answer(self._post)

    def _get(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/":
            page = render_page(self.server.store.tickets("open"), self.server.store.recently_handled())
            self._send(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8", {"Content-Security-Policy": PAGE_CSP})
        elif url.path == "/inbox.css":
            self._send(HTTPStatus.OK, _stylesheet(), "text/css; charset=utf-8")
        elif url.path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        elif url.path == "/health":
            self.server.store.ping()
            self._send_json(HTTPStatus.OK, {"status": "ok"})
        elif url.path == "/tickets":
            status = parse_qs(url.query).get("status", ["open"])[-1]
            if status not in STATUSES:
                raise Refused(HTTPStatus.BAD_REQUEST, f"status must be one of: {', '.join(STATUSES)}")
            self._send_json(HTTPStatus.OK, self.server.store.tickets(status))
        else:
            raise Refused(HTTPStatus.NOT_FOUND, "not found")

    def _post(self) -> None:
        path = urlsplit(self.path).path
        if path == "/tickets":
            self._receive_ticket()
            return
        self._discard_body()  # a form post's body is empty; nothing else reads one
        handled = HANDLED_PATH.match(path)
        if not handled:
            raise Refused(HTTPStatus.NOT_FOUND, "not found")
        if not self._same_origin():
            raise Refused(HTTPStatus.FORBIDDEN, "cross-site request refused")
        reference = unquote(handled.group(1))
        outcome = self.server.store.mark_handled(reference)
        if outcome == "unknown":
            raise Refused(HTTPStatus.NOT_FOUND, "no ticket with that reference")
        if outcome == "handled":
            logger.info("Ticket %s marked handled.", reference)
        self._send(HTTPStatus.SEE_OTHER, b"", "text/plain", {"Location": "/"})

    def _receive_ticket(self) -> None:
        if not authorized(self.headers.get("Authorization"), self.server.token, self.client_address[0]):
            self._discard_body()
            raise Refused(HTTPStatus.UNAUTHORIZED, "missing or wrong bearer token")
        media_type, _, parameters = (self.headers.get("Content-Type") or "").partition(";")
        charset = re.search(r"charset\s*=\s*\"?([\w-]+)", parameters, re.IGNORECASE)
        if media_type.strip().lower() != "application/json" or (charset and charset.group(1).lower() != "utf-8"):
            self._discard_body()
            raise Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "the body must be JSON: Content-Type: application/json")
        length = self._content_length()
        if length > MAX_BODY:
            self._discard_body()
            raise Refused(HTTPStatus.BAD_REQUEST, f"the body must be at most {MAX_BODY} bytes")
        body = self._read(length)
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            reason = error.msg if isinstance(error, json.JSONDecodeError) else type(error).__name__
            raise Refused(HTTPStatus.BAD_REQUEST, f"the body is not valid JSON ({reason})") from None
        try:
            ticket = parse_ticket(data)
        except TicketError as error:
            raise Refused(HTTPStatus.BAD_REQUEST, "invalid ticket", error.problems) from None
        key = (self.headers.get("Idempotency-Key") or "").strip()
        if not key:
            raise Refused(HTTPStatus.BAD_REQUEST, "the Idempotency-Key header is required")
        if key != ticket["idempotency_key"]:
            raise Refused(HTTPStatus.BAD_REQUEST, "the Idempotency-Key header and idempotency_key in the body differ")

        outcome, reference = self.server.store.add(ticket)
        if outcome == "conflict":
            raise Refused(HTTPStatus.CONFLICT, "another ticket already has this reference")
        if outcome == "duplicate":
            logger.info("Ticket %s sent again (same idempotency key): nothing changed.", reference)
            self._send_json(HTTPStatus.OK, {"status": "duplicate", "reference": reference})
            return
        logger.info("Ticket %s received: priority %s, reason %s.", reference, ticket["priority"], ticket["reason"])
        self._send_json(HTTPStatus.CREATED, {"status": "created", "reference": reference})

    # ---- the request body ----

    def _content_length(self) -> int:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise Refused(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length, not chunked")
        value = self.headers.get("Content-Length")
        if value is None:
            raise Refused(HTTPStatus.LENGTH_REQUIRED, "the Content-Length header is required")
        if not LENGTH.fullmatch(value.strip()):
            self.close_connection = True
            raise Refused(HTTPStatus.BAD_REQUEST, "the Content-Length header must be a number of bytes")
        return int(value)

    def _read(self, length: int) -> bytes:
        try:
            body = self.rfile.read(length)
        except OSError:  # includes the socket timeout
            body = b""
        if len(body) != length:
            self.close_connection = True
            raise Refused(HTTPStatus.BAD_REQUEST, "the body is shorter than its Content-Length")
        return body

    def _discard_body(self) -> None:
        """Read and drop a body we refuse, so the client can read our answer (closing on unread data resets)."""
        try:
            remaining = self._content_length()
        except Refused:
            return
        if remaining > DRAIN_LIMIT:
            self.close_connection = True
            return
        try:
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:
            self.close_connection = True

    def _same_origin(self) -> bool:
        """Browsers send Origin with form posts: refuse one from another site (cross-site request forgery)."""
        origin = self.headers.get("Origin")
        if origin is None:
            return self.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
        host = (self.headers.get("Host") or "").lower()
        return origin != "null" and urlsplit(origin).netloc.lower() == host

    # ---- answers ----

    def _answer(self, route: Callable[[], None]) -> None:
        try:
            route()
        except Refused as refused:
            payload: Dict[str, Any] = {"error": refused.error}
            if refused.details:
                payload["details"] = refused.details
            if refused.status >= 400 and refused.status != HTTPStatus.NOT_FOUND:
                # the details name fields and limits, never a ticket's text
                logger.warning(
                    "%s %s from %s: %d %s%s",
                    self.command,
                    urlsplit(self.path).path,
                    self.client_address[0],
                    refused.status,
                    refused.error,
                    f" ({'; '.join(refused.details)})" if refused.details else "",
                )
            self._send_json(refused.status, payload)
        except Exception:
            logger.exception("Failed to answer %s %s", self.command, urlsplit(self.path).path)
            self.close_connection = True
            try:
                self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error"})
            except OSError:
                pass

    def _send_json(self, status: HTTPStatus, payload: Any) -> None:
        extra = {"WWW-Authenticate": "Bearer"} if status == HTTPStatus.UNAUTHORIZED else {}
        self._send(status, json.dumps(payload).encode(), "application/json", extra)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, extra: Optional[Dict[str, str]] = None) -> None:
        self.send_response(status)
        headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **SECURITY_HEADERS, **(extra or {})}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def version_string(self) -> str:
        return self.server_version  # without the Python version

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.client_address[0], format % args)


# ---- main ------------------------------------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings(argv)
    store = TicketStore(settings.db)
    try:
        store.open()
    except (OSError, sqlite3.Error) as error:
        logger.error("Cannot open the ticket database %s: %s", settings.db, error)
        return 1
    try:
        server = InboxServer((settings.host, settings.port), store, settings.token)
    except OSError as error:
        logger.error("Cannot listen on %s port %s: %s", settings.host, settings.port, error)
        return 1
    if not settings.token:
        logger.warning("TRIAGE_WEBHOOK_TOKEN is not set: only clients on this machine (loopback) may post tickets.")
    if not _is_loopback(settings.host):
        logger.warning(
            "Listening on %s: the staff page and 'Mark handled' have no login of their own. Put the inbox behind "
            "the contact center's authenticating proxy or VPN.",
            settings.host,
        )

    def stop(signum: int, _frame: Any) -> None:
        logger.info("%s: stopping.", signal.Signals(signum).name)
        threading.Thread(target=server.shutdown, daemon=True).start()  # shutdown() waits for serve_forever

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    logger.info("Triage inbox on http://%s:%s/ (tickets in %s).", host, port, settings.db)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    logger.info("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
