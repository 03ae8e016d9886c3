"""The triage inbox as a Sanic app, in the shape of rasa-sdk's `create_app`: the ticket webhook the assistant posts
to (bearer token), and the staff page behind a sign-in, urgent tickets first."""

from __future__ import annotations

import hmac
import json
import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, List, NamedTuple, Optional
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader
from pydantic import ValidationError
from sanic import Sanic
from sanic.exceptions import PayloadTooLarge, SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, empty, html, redirect
from sanic.response import json as json_response

from inbox.content_report import add_content_report
from inbox.staff import parse_accounts, verify
from inbox.store import TicketStore
from service.clock import now, shown
from service.privacy import is_loopback
from service.settings import Settings
from service.tickets import Reason, Ticket, problems

logger = logging.getLogger("inbox")

HERE = Path(__file__).resolve().parent
MAX_BODY = 64 * 1024  # bytes in one ticket request
REFRESH_SECONDS = 15
STATUSES = ("open", "handled", "all")
COOKIE = "inbox_session"
SESSION_LIFETIME = timedelta(hours=12)  # one shift; then staff sign in again
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = {"name": 5, "client": 20}  # failed sign-ins per window: per staff name, and per client address
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",  # tickets hold health information
    # not no-referrer: with it, browsers send "Origin: null" on form posts and the same-origin check would fail
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
CHARSET = re.compile(r"charset\s*=\s*\"?([\w-]+)", re.IGNORECASE)


class Refused(SanicException):
    """A request answered with an error status and a JSON {"error": ..., "details": [...]} body."""

    def __init__(self, status: int, error: str, details: Optional[List[str]] = None) -> None:
        super().__init__(error, status_code=status)
        self.details = details


class Staff(NamedTuple):
    name: str
    csrf: str


def authorized(header: Optional[str], token: str, client: str) -> bool:
    """With a token: the request must carry `Authorization: Bearer <token>`. Without one: loopback clients only."""
    if not token:
        return is_loopback(client)
    scheme, _, given = (header or "").strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def same_origin(request: Request) -> bool:
    """Browsers send Origin with form posts: refuse one from another site (cross-site request forgery)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
    return origin != "null" and urlsplit(origin).netloc.lower() == (request.headers.get("Host") or "").lower()


def client_of(request: Request) -> str:
    """The client's address: the proxy's word for it only when INBOX_TRUSTED_PROXIES says there is one."""
    return request.remote_addr or request.ip


def templates() -> Environment:
    environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    environment.filters.update(shown=shown, reason_label=lambda value: Reason(value).label)
    return environment


def create_app(settings: Settings, store: Optional[TicketStore] = None) -> Sanic:
    """A new inbox app on `store` (default: INBOX_DB), ready to run. The handlers call the store directly: a
    SQLite query takes milliseconds and a handful of staff use the page, so no thread pool is worth its cost."""
    store = store or TicketStore(settings.inbox_db)
    accounts = parse_accounts(settings.inbox_staff)
    token = settings.triage_webhook_token
    pages = templates()
    app = Sanic("triage_inbox", configure_logging=False)
    app.config.update(
        REQUEST_MAX_SIZE=MAX_BODY,
        REQUEST_TIMEOUT=15,  # seconds a client may take to send its request
        PROXIES_COUNT=settings.inbox_trusted_proxies,  # then X-Forwarded-For/-Proto count (client, https)
        MOTD=False,
    )
    app.static("/inbox.css", str(HERE / "static" / "inbox.css"), content_type="text/css; charset=utf-8")
    app.static("/refresh.js", str(HERE / "static" / "refresh.js"), content_type="text/javascript; charset=utf-8")

    def page(template: str, status: int = 200, **values: Any) -> HTTPResponse:
        response = html(pages.get_template(template).render(**values), status=status)
        response.headers["Content-Security-Policy"] = PAGE_CSP
        return response

    def signed_in(request: Request) -> Optional[Staff]:
        cookie = request.cookies.get(COOKIE)
        found = store.session(cookie) if cookie else None
        return Staff(*found) if found else None

    def form_sender(request: Request) -> Optional[Staff]:
        """The signed-in staff member who sent a form (None: not signed in); 403 for a forged one."""
        staff = signed_in(request)
        if staff and (not same_origin(request) or not hmac.compare_digest(request.form.get("csrf", ""), staff.csrf)):
            raise Refused(403, "cross-site request refused")
        return staff

    @app.middleware("response")
    async def security_headers(request: Request, response: HTTPResponse) -> None:
        response.headers.update({k: v for k, v in SECURITY_HEADERS.items() if k not in response.headers})
        if response.status == 401 and response.content_type == "application/json":
            response.headers["WWW-Authenticate"] = "Bearer"

    @app.exception(Exception)
    async def error(request: Request, exception: Exception) -> HTTPResponse:
        if not isinstance(exception, SanicException):
            logger.exception("Failed to answer %s %s", request.method, request.path)  # never the body: it is private
            return json_response({"error": "internal error"}, status=500)
        status = exception.status_code
        payload = {"error": f"the body must be at most {MAX_BODY} bytes"}
        if not isinstance(exception, PayloadTooLarge):
            payload["error"] = str(exception)
        details = getattr(exception, "details", None)
        if details:
            payload["details"] = details
        if status not in (404, 405):  # the details name fields and limits, never a ticket's text
            logger.warning(
                "%s %s from %s: %d %s%s",
                request.method,
                request.path,
                client_of(request),
                status,
                payload["error"],
                f" ({'; '.join(details)})" if details else "",
            )
        return json_response(payload, status=status)

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        store.ping()
        return json_response({"status": "ok"})

    @app.get("/favicon.ico")
    async def favicon(_: Request) -> HTTPResponse:
        return empty()

    # ---- staff: sign-in, the page, Mark handled ----

    @app.get("/sign-in")
    async def sign_in_page(_: Request) -> HTTPResponse:
        return page("sign_in.html", no_accounts=not accounts, name="")

    @app.post("/sign-in")
    async def sign_in(request: Request) -> HTTPResponse:
        if not same_origin(request):
            raise Refused(403, "cross-site request refused")
        name, password = request.form.get("name", "").strip()[:64], request.form.get("password", "")
        who = {"name": f"name {name}", "client": f"client {client_of(request)}"}
        since = now() - FAILURE_WINDOW
        if any(store.failures_since(who[kind], since) >= most for kind, most in MAX_FAILURES.items()):
            logger.warning("Sign-in refused: too many failed attempts (from %s).", client_of(request))
            minutes = int(FAILURE_WINDOW.total_seconds() // 60)
            problem = f"Too many failed sign-ins: wait {minutes} minutes."
            response = page("sign_in.html", 429, name=name, problem=problem)
            response.headers["Retry-After"] = str(int(FAILURE_WINDOW.total_seconds()))
            return response
        if not verify(accounts, name, password):
            store.failed_sign_in(list(who.values()))
            logger.warning("Failed sign-in from %s.", client_of(request))  # not the name: it may be a password
            return page("sign_in.html", 401, name=name, problem="Wrong name or password.", no_accounts=not accounts)
        session, _ = store.open_session(name, SESSION_LIFETIME)
        logger.info("Staff member %s signed in.", name)
        response = redirect("/", status=303)
        response.cookies[COOKIE] = session
        cookie = response.cookies[COOKIE]
        cookie["httponly"], cookie["samesite"], cookie["path"] = True, "Strict", "/"
        cookie["max-age"] = int(SESSION_LIFETIME.total_seconds())
        cookie["secure"] = request.scheme == "https"  # behind TLS (a proxy: see INBOX_TRUSTED_PROXIES)
        return response

    @app.post("/sign-out")
    async def sign_out(request: Request) -> HTTPResponse:
        if form_sender(request):
            store.close_session(request.cookies[COOKIE])
        response = redirect("/sign-in", status=303)
        del response.cookies[COOKIE]
        return response

    @app.get("/")
    async def inbox_page(request: Request) -> HTTPResponse:
        staff = signed_in(request)
        if staff is None:
            return redirect("/sign-in", status=303)
        return page(
            "inbox.html",
            refresh=None if request.args.get("refresh") == "off" else REFRESH_SECONDS,  # WCAG 2.2.1: can be stopped
            every=REFRESH_SECONDS,
            open_tickets=store.tickets("open"),
            handled=store.recently_handled(),
            staff=staff.name,
            csrf=staff.csrf,
        )

    @app.post("/tickets/<reference>/handled")
    async def mark_handled(request: Request, reference: str) -> HTTPResponse:
        staff = form_sender(request)
        if staff is None:  # signed out meanwhile (the session ended): sign in, then mark it again
            return redirect("/sign-in", status=303)
        outcome = store.mark_handled(reference, staff.name)
        if outcome == "unknown":
            raise Refused(404, "no ticket with that reference")
        if outcome == "handled":
            logger.info("Ticket %s marked handled by %s.", reference, staff.name)
        return redirect("/", status=303)

    add_content_report(app, settings, page, signed_in)

    # ---- machines: the ticket webhook and the list ----

    @app.get("/tickets")
    async def list_tickets(request: Request) -> HTTPResponse:
        if not authorized(request.headers.get("Authorization"), token, client_of(request)) and not signed_in(request):
            raise Refused(401, "missing or wrong bearer token")
        status = request.args.get("status", "open")
        if status not in STATUSES:
            raise Refused(400, f"status must be one of: {', '.join(STATUSES)}")
        return json_response(store.tickets(status))

    @app.post("/tickets")
    async def receive_ticket(request: Request) -> HTTPResponse:
        if not authorized(request.headers.get("Authorization"), token, client_of(request)):
            raise Refused(401, "missing or wrong bearer token")
        media_type, _, parameters = (request.headers.get("Content-Type") or "").partition(";")
        charset = CHARSET.search(parameters)
        if media_type.strip().lower() != "application/json" or (charset and charset.group(1).lower() != "utf-8"):
            raise Refused(415, "the body must be JSON: Content-Type: application/json")
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            reason = error.msg if isinstance(error, json.JSONDecodeError) else type(error).__name__
            raise Refused(400, f"the body is not valid JSON ({reason})") from None
        if not isinstance(data, dict):
            raise Refused(400, "the body must be a JSON object")
        try:
            ticket = Ticket(**data).dict()
        except ValidationError as invalid:
            raise Refused(400, "invalid ticket", problems(invalid)) from None
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if not key:
            raise Refused(400, "the Idempotency-Key header is required")
        if key != ticket["idempotency_key"]:
            raise Refused(400, "the Idempotency-Key header and idempotency_key in the body differ")
        outcome, reference = store.add(ticket)
        if outcome == "conflict":
            raise Refused(409, "another ticket already has this reference")
        if outcome == "duplicate":
            logger.info("Ticket %s sent again (same idempotency key): nothing changed.", reference)
            return json_response({"status": "duplicate", "reference": reference})
        logger.info("Ticket %s received: priority %s, reason %s.", reference, ticket["priority"], ticket["reason"])
        return json_response({"status": "created", "reference": reference}, status=201)

    return app
