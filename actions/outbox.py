"""Durable outbox for triage tickets: each is stored (SQLite by default) before any delivery attempt, then
delivered in the background with retries, so a slow or stopped contact-center webhook never delays or loses a
handoff.

Deliver what is waiting now: `python -m actions.outbox flush` (or `make flush-outbox`); `... status` counts.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

import requests
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func, select, update

from service.settings import Settings, settings
from service.storage import Store, delete_older, insert_new, kept_secret, secrets_table

logger = logging.getLogger(__name__)

METADATA = MetaData()
OUTBOX = Table(
    "outbox",
    METADATA,
    Column("idempotency_key", String(128), primary_key=True),
    Column("reference", String(32), nullable=False),
    Column("ticket", Text, nullable=False),  # the ticket as JSON
    Column("created_at", Float, nullable=False),  # seconds since the epoch, like the times below
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("delivered_at", Float),
    Column("last_error", Text),
)
SECRETS = secrets_table(METADATA)
FIRST_RETRY = 2.0  # seconds; doubles after every failed attempt
MAX_BACKOFF = 300.0
REFUSED_RETRY = 24 * 3600.0  # a ticket the webhook refused (4xx) waits a day, or a `flush`


class Outbox(Store):
    """The tickets waiting for delivery."""

    metadata = METADATA

    def add(self, ticket: Dict[str, Any]) -> None:
        """Keeps the ticket; one already kept under its idempotency key stays as it is."""
        now = time.time()
        row = dict(idempotency_key=ticket["idempotency_key"], reference=ticket["reference"], ticket=json.dumps(ticket))
        insert_new(self.engine, OUTBOX, **row, created_at=now, next_attempt_at=now, attempts=0)

    def waiting(self, due_only: bool = True) -> List[Tuple[str, Dict[str, Any]]]:
        query = select(OUTBOX.c.idempotency_key, OUTBOX.c.ticket).where(OUTBOX.c.delivered_at.is_(None))
        if due_only:
            query = query.where(OUTBOX.c.next_attempt_at <= time.time())
        with self.engine.connect() as db:
            rows = db.execute(query.order_by(OUTBOX.c.created_at)).all()
        return [(key, json.loads(ticket)) for key, ticket in rows]

    def delivered(self, key: str) -> None:
        with self.engine.begin() as db:
            db.execute(
                update(OUTBOX).where(OUTBOX.c.idempotency_key == key).values(delivered_at=time.time(), last_error=None)
            )

    def failed(self, key: str, error: str, retry_after: Optional[float] = None) -> None:
        with self.engine.begin() as db:
            attempts = db.execute(select(OUTBOX.c.attempts).where(OUTBOX.c.idempotency_key == key)).scalar_one()
            delay = min(FIRST_RETRY * 2**attempts, MAX_BACKOFF) if retry_after is None else retry_after
            db.execute(
                update(OUTBOX)
                .where(OUTBOX.c.idempotency_key == key)
                .values(attempts=OUTBOX.c.attempts + 1, next_attempt_at=time.time() + delay, last_error=error[:200])
            )

    def counts(self) -> Dict[str, int]:
        query = select(func.count(OUTBOX.c.delivered_at), func.count() - func.count(OUTBOX.c.delivered_at))
        with self.engine.connect() as db:
            delivered, waiting = db.execute(query.select_from(OUTBOX)).one()
        return {"delivered": delivered, "waiting": waiting}

    def secret(self, name: str) -> str:
        """A random secret generated once and kept here (for when no key is configured)."""
        return kept_secret(self.engine, SECRETS, name)

    def purge(self, before: datetime, dry_run: bool = False) -> int:
        with self.engine.begin() as db:
            return delete_older(db, OUTBOX.c.created_at, before.timestamp(), dry_run)


def deliver(outbox: Outbox, settings: Settings, due_only: bool = True) -> Dict[str, int]:
    """Try to deliver the waiting tickets once; the receiver drops duplicates by their idempotency key."""
    result = {"delivered": 0, "failed": 0}
    token = settings.triage_webhook_token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for key, ticket in outbox.waiting(due_only):
        try:
            response = requests.post(
                settings.triage_webhook_url,
                json=ticket,
                headers={**headers, "Idempotency-Key": key},
                timeout=settings.triage_webhook_timeout,
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

    def __init__(self, outbox: Outbox, settings: Settings) -> None:
        super().__init__(name="triage-outbox", daemon=True)
        self.outbox = outbox
        self.settings = settings
        self._wake = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def run(self) -> None:
        while True:
            self._wake.wait(self.settings.triage_retry_seconds)
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
            current = settings()
            _worker = OutboxWorker(Outbox(current.triage_outbox_path), current)
            _worker.start()
        return _worker


def main(argv: List[str]) -> int:
    current = settings()
    outbox = Outbox(current.triage_outbox_path)
    command = argv[1] if len(argv) > 1 else "status"
    if command == "flush":
        result = deliver(outbox, current, due_only=False)
        print(f"delivered {result['delivered']}, still waiting {outbox.counts()['waiting']}")
        return 0 if result["failed"] == 0 else 1
    if command == "status":
        counts = outbox.counts()
        print(f"delivered {counts['delivered']}, waiting {counts['waiting']} ({current.triage_outbox_path})")
        return 0
    print("usage: python -m actions.outbox [flush|status]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    sys.exit(main(sys.argv))
