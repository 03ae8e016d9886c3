"""Durable outbox for triage tickets: each is written to SQLite before any delivery attempt, then delivered in the
background with retries, so a slow or stopped contact-center webhook never delays or loses a handoff.

Deliver what is waiting now: `python -m actions.outbox flush` (or `make flush-outbox`); `... status` counts.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import sys
import threading
import time
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import requests

from actions.config import TriageSettings

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    idempotency_key TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    ticket TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    delivered_at REAL,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
FIRST_RETRY = 2.0  # seconds; doubles after every failed attempt
MAX_BACKOFF = 300.0
REFUSED_RETRY = 24 * 3600.0  # a ticket the webhook refused (4xx) waits a day, or a `flush`


class Outbox:
    """The tickets waiting for delivery, in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            with db:  # commits, or rolls back on error
                yield db

    def add(self, ticket: Dict[str, Any]) -> None:
        now = time.time()
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO outbox (idempotency_key, reference, ticket, created_at, next_attempt_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (ticket["idempotency_key"], ticket["reference"], json.dumps(ticket), now, now),
            )

    def waiting(self, due_only: bool = True) -> List[Tuple[str, Dict[str, Any]]]:
        query = "SELECT idempotency_key, ticket FROM outbox WHERE delivered_at IS NULL"
        params: Tuple[Any, ...] = ()
        if due_only:
            query += " AND next_attempt_at <= ?"
            params = (time.time(),)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY created_at", params).fetchall()
        return [(key, json.loads(ticket)) for key, ticket in rows]

    def delivered(self, key: str) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE outbox SET delivered_at = ?, last_error = NULL WHERE idempotency_key = ?", (time.time(), key)
            )

    def failed(self, key: str, error: str, retry_after: Optional[float] = None) -> None:
        with self._db() as db:
            (attempts,) = db.execute("SELECT attempts FROM outbox WHERE idempotency_key = ?", (key,)).fetchone()
            delay = min(FIRST_RETRY * 2**attempts, MAX_BACKOFF) if retry_after is None else retry_after
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
                " WHERE idempotency_key = ?",
                (time.time() + delay, error[:200], key),
            )

    def counts(self) -> Dict[str, int]:
        with self._db() as db:
            delivered, waiting = db.execute(
                "SELECT COUNT(delivered_at), COUNT(*) - COUNT(delivered_at) FROM outbox"
            ).fetchone()
        return {"delivered": delivered, "waiting": waiting}

    def secret(self, name: str) -> str:
        """A random secret generated once and kept here (for when no key is configured)."""
        with self._db() as db:
            db.execute("INSERT OR IGNORE INTO secrets VALUES (?, ?)", (name, secrets.token_hex(32)))
            (value,) = db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return value


def deliver(outbox: Outbox, settings: TriageSettings, due_only: bool = True) -> Dict[str, int]:
    """Try to deliver the waiting tickets once; the receiver drops duplicates by their idempotency key."""
    result = {"delivered": 0, "failed": 0}
    headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
    for key, ticket in outbox.waiting(due_only):
        try:
            response = requests.post(
                settings.webhook_url,
                json=ticket,
                headers={**headers, "Idempotency-Key": key},
                timeout=settings.timeout,
            )
        except requests.RequestException as error:
            status, problem = None, type(error).__name__
        else:
            status, problem = response.status_code, f"HTTP {response.status_code}"
        if status in (200, 201):  # 200: the receiver already had it
            outbox.delivered(key)
            logger.info("Triage ticket %s delivered.", ticket["reference"])
            result["delivered"] += 1
            continue
        result["failed"] += 1
        if status is not None and 400 <= status < 500 and status not in (408, 429):
            # refused for good: retrying will not help, so keep it for a person to look at (flush retries it)
            outbox.failed(key, f"refused: {problem}", retry_after=REFUSED_RETRY)
            logger.error("Triage ticket %s was refused by the webhook (%s).", ticket["reference"], problem)
        else:
            outbox.failed(key, problem)
            logger.warning("Triage ticket %s not delivered yet (%s); will retry.", ticket["reference"], problem)
    return result


class OutboxWorker(threading.Thread):
    """Delivers tickets in the background: at once when woken, and every few seconds while any wait."""

    def __init__(self, outbox: Outbox, settings: TriageSettings) -> None:
        super().__init__(name="triage-outbox", daemon=True)
        self.outbox = outbox
        self.settings = settings
        self._wake = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def run(self) -> None:
        while True:
            self._wake.wait(self.settings.retry_seconds)
            self._wake.clear()
            try:
                deliver(self.outbox, self.settings)
            except Exception:  # keep the loop alive whatever happens; the tickets stay in the outbox
                logger.exception("Triage outbox delivery failed; will retry.")


_worker: Optional[OutboxWorker] = None
_worker_lock = threading.Lock()


def outbox_worker() -> OutboxWorker:
    """The process's one background worker, started on first use (tickets from before a restart go out then)."""
    global _worker
    with _worker_lock:
        if _worker is None:
            settings = TriageSettings.from_env()
            _worker = OutboxWorker(Outbox(settings.outbox_path), settings)
            _worker.start()
        return _worker


def main(argv: List[str]) -> int:
    settings = TriageSettings.from_env()
    outbox = Outbox(settings.outbox_path)
    command = argv[1] if len(argv) > 1 else "status"
    if command == "flush":
        result = deliver(outbox, settings, due_only=False)
        print(f"delivered {result['delivered']}, still waiting {outbox.counts()['waiting']}")
        return 0 if result["failed"] == 0 else 1
    if command == "status":
        counts = outbox.counts()
        print(f"delivered {counts['delivered']}, waiting {counts['waiting']} ({settings.outbox_path})")
        return 0
    print("usage: python -m actions.outbox [flush|status]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    sys.exit(main(sys.argv))
