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
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Collection, Dict, Iterator, List, NamedTuple, Optional, Tuple

import requests
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func, select, update
from sqlalchemy.engine import Connection

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

    @contextmanager
    def claim(self, due_only: bool = True, skip: Collection[str] = ()) -> Iterator[Optional[Claim]]:
        """The oldest waiting ticket not in `skip`, locked for this transaction: on PostgreSQL another deliverer
        (`FOR UPDATE SKIP LOCKED`) passes it by until this one has recorded the outcome, so each ticket is posted
        once however many action servers deliver. None when nothing is waiting. SQLite (one process) has no row
        locks; the receiver drops a repeat by its idempotency key."""
        query = select(OUTBOX.c.idempotency_key, OUTBOX.c.ticket, OUTBOX.c.attempts)
        query = query.where(OUTBOX.c.delivered_at.is_(None))
        if due_only:
            query = query.where(OUTBOX.c.next_attempt_at <= time.time())
        if skip:
            query = query.where(OUTBOX.c.idempotency_key.notin_(list(skip)))
        query = query.order_by(OUTBOX.c.created_at).limit(1).with_for_update(skip_locked=True)
        with self.engine.begin() as db:
            row = db.execute(query).first()
            yield Claim(db, row.idempotency_key, json.loads(row.ticket), row.attempts) if row else None

    def delivered(self, key: str) -> None:
        with self.engine.begin() as db:
            _delivered(db, key)

    def failed(self, key: str, error: str, retry_after: Optional[float] = None) -> None:
        with self.engine.begin() as db:
            attempts = db.execute(select(OUTBOX.c.attempts).where(OUTBOX.c.idempotency_key == key)).scalar_one()
            _failed(db, key, attempts, error, retry_after)

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


class Claim(NamedTuple):
    """A waiting ticket, locked in the open transaction `db` until its outcome is recorded there."""

    db: Connection
    key: str
    ticket: Dict[str, Any]
    attempts: int


def _delivered(db: Connection, key: str) -> None:
    db.execute(update(OUTBOX).where(OUTBOX.c.idempotency_key == key).values(delivered_at=time.time(), last_error=None))


def _failed(db: Connection, key: str, attempts: int, error: str, retry_after: Optional[float]) -> None:
    delay = min(FIRST_RETRY * 2**attempts, MAX_BACKOFF) if retry_after is None else retry_after
    db.execute(
        update(OUTBOX)
        .where(OUTBOX.c.idempotency_key == key)
        .values(attempts=OUTBOX.c.attempts + 1, next_attempt_at=time.time() + delay, last_error=error[:200])
    )


def deliver(outbox: Outbox, settings: Settings, due_only: bool = True) -> Dict[str, int]:
    """Try to deliver each waiting ticket once, one claimed (locked) ticket at a time; the receiver drops
    duplicates by their idempotency key."""
    result = {"delivered": 0, "failed": 0}
    tried: List[str] = []
    while True:
        with outbox.claim(due_only, skip=tried) as claim:
            if claim is None:
                return result
            tried.append(claim.key)
            result[_post(claim, settings)] += 1


def _post(claim: Claim, settings: Settings) -> str:
    """Posts the claimed ticket and records the outcome in its transaction: "delivered" or "failed"."""
    key, ticket = claim.key, claim.ticket
    token = settings.triage_webhook_token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
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
        _delivered(claim.db, key)
        logger.info("Triage ticket %s delivered.", ticket["reference"])
        return "delivered"
    if status is not None and 400 <= status < 500 and status not in (408, 429):
        # refused for good: retrying will not help, so keep it for a person to look at (flush retries it)
        _failed(claim.db, key, claim.attempts, f"refused: {problem}", REFUSED_RETRY)
        logger.error("Triage ticket %s was refused by the webhook (%s).", ticket["reference"], problem)
    else:
        _failed(claim.db, key, claim.attempts, problem, None)
        logger.warning("Triage ticket %s not delivered yet (%s); will retry.", ticket["reference"], problem)
    return "failed"


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
