"""Helpers for the triage inbox tests: the real service started as a subprocess on a free loopback port, and
tickets built to the schema the assistant sends. The fixtures that start it are in conftest.py."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, Optional

import requests

from tests.conftest import ROOT
from tests.servers import free_port, wait_until_up

LOGS = ROOT / "results" / "inbox"
TOKEN = "test-triage-token-not-a-secret"
START_TIMEOUT = 20  # seconds
ENV_NAMES = ("INBOX_HOST", "INBOX_PORT", "INBOX_DB", "TRIAGE_WEBHOOK_TOKEN")


class Inbox:
    """One run of `python -m inbox.server` with its own port, database and log; restartable on the same database."""

    def __init__(self, name: str, db: Path, token: Optional[str] = TOKEN) -> None:
        self.name, self.db, self.token = name, db, token
        self.log = LOGS / f"{name}.log"
        self.log.unlink(missing_ok=True)  # from an earlier run; a restart appends
        self.process: Optional[subprocess.Popen] = None
        self.url = ""

    def start(self) -> Inbox:
        LOGS.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
        env["INBOX_DB"] = str(self.db)  # the environment variable here, the --port flag below: both ways are used
        if self.token:
            env["TRIAGE_WEBHOOK_TOKEN"] = self.token
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "inbox.server", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_up(f"{self.url}/health", self.process, self.log, timeout=START_TIMEOUT, interval=0.1)
        return self

    def stop(self) -> int:
        """Stops it with SIGTERM, as a service manager would; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self.process = None
        return code

    def post(self, ticket: Dict[str, Any], token: Optional[str] = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or self.token}", "Idempotency-Key": ticket["idempotency_key"]}
        headers.update(kwargs.pop("headers", {}))
        return requests.post(f"{self.url}/tickets", json=ticket, headers=headers, timeout=10, **kwargs)

    def tickets(self, status: str = "open") -> list:
        response = requests.get(f"{self.url}/tickets", params={"status": status}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def references(self, status: str = "open") -> list:
        return [ticket["reference"] for ticket in self.tickets(status)]

    def page(self) -> requests.Response:
        response = requests.get(f"{self.url}/", timeout=10)
        assert response.status_code == 200
        return response

    def answers(self) -> bool:
        return requests.get(f"{self.url}/health", timeout=5).json() == {"status": "ok"}


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
