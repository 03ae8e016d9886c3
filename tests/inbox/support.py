"""Helpers for the triage inbox tests: settings for an inbox of its own, a staff account, tickets built to the
schema the assistant sends, a signed-in client of Sanic's test client, and the real service as a subprocess on a
free loopback port (for the smoke and browser tests). The fixtures are in conftest.py."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import uuid
from functools import cache
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import requests
from sanic import Sanic

from inbox.app import COOKIE
from inbox.staff import encode
from service.settings import Settings
from tests.conftest import ROOT
from tests.servers import free_port, project_env, wait_until_up

TOKEN = "test-triage-token-not-a-secret"
STAFF, PASSWORD = "dana", "a long test password, not a secret"
START_TIMEOUT = 20  # seconds


@cache
def staff_entry() -> str:
    """INBOX_STAFF for the test account (hashing takes a moment: once per run)."""
    return f"{STAFF}:{encode(PASSWORD)}"


def inbox_settings(folder: Path, **changes: Any) -> Settings:
    values = dict(inbox_db=str(folder / "inbox.db"), inbox_staff=staff_entry(), triage_webhook_token=TOKEN)
    return Settings(**{**values, **changes})


class Client:
    """Sanic's test client for one app, with a staff member's session when signed in."""

    def __init__(self, app: Sanic) -> None:
        self.app = app
        self.cookies: Dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, **kwargs: Any):
        kwargs.setdefault("cookies", self.cookies)
        kwargs.setdefault("allow_redirects", False)  # the tests look at the redirects themselves
        _, response = getattr(self.app.test_client, method)(path, **kwargs)
        return response

    def post_ticket(self, ticket: Dict[str, Any], token: Optional[str] = TOKEN, **headers: str):
        headers = {"Content-Type": "application/json", "Idempotency-Key": ticket["idempotency_key"], **headers}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("post", "/tickets", json=ticket, headers=headers)

    def sign_in(self, name: str = STAFF, password: str = PASSWORD, **headers: str):
        response = self.request("post", "/sign-in", data={"name": name, "password": password}, headers=headers)
        if response.status == 303:
            self.cookies = {COOKIE: response.cookies[COOKIE]}
            page = self.request("get", "/")
            self.csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        return response

    def mark_handled(self, reference: str, csrf: Optional[str] = None, **headers: str):
        form = {"csrf": self.csrf if csrf is None else csrf}
        return self.request("post", f"/tickets/{reference}/handled", data=form, headers=headers)

    def tickets(self, status: str = "open") -> list:
        response = self.request(
            "get", "/tickets", params={"status": status}, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert response.status == 200, response.text
        return response.json

    def references(self, status: str = "open") -> list:
        return [ticket["reference"] for ticket in self.tickets(status)]


class InboxProcess:
    """One run of `python -m inbox.server` with its own port, database and log; restartable on the same database."""

    def __init__(self, folder: Path, token: Optional[str] = TOKEN) -> None:
        self.folder, self.token = folder, token
        self.log = folder / "inbox.log"
        self.process: Optional[subprocess.Popen] = None
        self.url = ""

    def start(self) -> InboxProcess:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = project_env(self.folder, INBOX_STAFF=staff_entry(), INBOX_PORT=str(port))  # the port from settings
        if self.token:
            env["TRIAGE_WEBHOOK_TOKEN"] = self.token
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "inbox.server", "--host", "127.0.0.1"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_up(f"{self.url}/health", self.process, self.log, timeout=START_TIMEOUT, interval=0.1)
        return self

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Stops it as a service manager would; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self.process = None

    def post(self, ticket: Dict[str, Any]) -> requests.Response:
        headers = {"Idempotency-Key": ticket["idempotency_key"]}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return requests.post(f"{self.url}/tickets", json=ticket, headers=headers, timeout=10)

    def signed_in(self) -> Tuple[requests.Session, str]:
        """A browser-like session signed in as the test staff member, and its CSRF token."""
        session = requests.Session()
        response = session.post(
            f"{self.url}/sign-in", data={"name": STAFF, "password": PASSWORD}, headers={"Origin": self.url}, timeout=10
        )
        assert response.status_code == 200 and response.url == f"{self.url}/", response.text
        return session, response.text.split('name="csrf" value="')[1].split('"')[0]


def new_reference() -> str:
    return "CIS-" + "".join(secrets.choice("ABCDEFGHJKMNPQRSTVWXYZ23456789") for _ in range(6))


def make_ticket(**changes: Any) -> Dict[str, Any]:
    """A valid ticket with a new reference and idempotency key; `changes` replace fields."""
    ticket = {
        "reference": new_reference(),
        "created_at": "2026-11-26T15:04:05Z",
        "channel": "rest",
        "sender": secrets.token_hex(8),
        "priority": "routine",
        "reason": "requested_human",
        "topics": ["ask_side_effects", "ask_checkpoint_inhibitors"],
        "last_messages": ["what are the side effects of checkpoint inhibitors?", "can I talk to a person?"],
        "next_step": "Call back about checkpoint inhibitor side effects.",
        "idempotency_key": str(uuid.uuid4()),
    }
    ticket.update(changes)
    return ticket
