"""What the triage inbox keeps: the tickets (urgent first, then oldest), who marked each handled and when, staff
sessions, and recent failed sign-ins."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, case, delete, func, inspect, select, text
from sqlalchemy.engine import Engine, Row

from service.clock import iso_utc, now
from service.storage import Store, delete_older, insert_new

METADATA = MetaData()
TICKETS = Table(
    "tickets",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("created_at", String(20), nullable=False),  # UTC (service.clock): sorts as text
    Column("received_at", String(20), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("sender", String(128), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("topics", Text, nullable=False),  # JSON list
    Column("last_messages", Text, nullable=False),  # JSON list
    Column("next_step", Text, nullable=False),
    Column("handled_at", String(20)),  # NULL while the ticket is open
    Column("handled_by", String(64)),  # the staff member who marked it handled
)
Index("tickets_by_state", TICKETS.c.handled_at, TICKETS.c.priority, TICKETS.c.created_at)
SESSIONS = Table(
    "staff_sessions",
    METADATA,
    Column("token_hash", String(64), primary_key=True),  # the cookie's SHA-256: a copied database opens no session
    Column("name", String(64), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", String(20), nullable=False),
)
FAILURES = Table(
    "sign_in_failures",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("who", String(200), nullable=False, index=True),  # "client <address>" or "name <staff name>"
    Column("at", String(20), nullable=False),
)
URGENT_FIRST = (case((TICKETS.c.priority == "urgent", 0), else_=1), TICKETS.c.created_at, TICKETS.c.id)
WHERE_STATUS = {"open": TICKETS.c.handled_at.is_(None), "handled": TICKETS.c.handled_at.isnot(None), "all": None}
RECENTLY_HANDLED = 20  # handled tickets listed under the open ones


class TicketStore(Store):
    metadata = METADATA

    def upgrade(self, engine: Engine) -> None:
        if "handled_by" not in {column["name"] for column in inspect(engine).get_columns("tickets")}:
            with engine.begin() as db:  # a tickets table from before sign-in
                db.execute(text("ALTER TABLE tickets ADD COLUMN handled_by VARCHAR(64)"))

    # ---- tickets ----

    def add(self, ticket: Dict[str, Any]) -> Tuple[str, str]:
        """("created" | "duplicate" | "conflict", reference). A known idempotency key changes nothing."""
        row = {**ticket, "topics": json.dumps(ticket["topics"]), "last_messages": json.dumps(ticket["last_messages"])}
        if insert_new(self.engine, TICKETS, **row, received_at=iso_utc()):
            return "created", ticket["reference"]
        with self.engine.connect() as db:
            query = select(TICKETS.c.reference).where(TICKETS.c.idempotency_key == ticket["idempotency_key"])
            stored = db.execute(query).scalar()
        if stored:
            return "duplicate", stored
        return "conflict", ticket["reference"]  # the reference is taken by another ticket

    def tickets(self, status: str = "open") -> List[Dict[str, Any]]:
        """Urgent first, then oldest first."""
        query = select(TICKETS).order_by(*URGENT_FIRST)
        if WHERE_STATUS[status] is not None:
            query = query.where(WHERE_STATUS[status])
        with self.engine.connect() as db:
            return [_ticket(row) for row in db.execute(query)]

    def recently_handled(self, limit: int = RECENTLY_HANDLED) -> List[Dict[str, Any]]:
        latest = (TICKETS.c.handled_at.desc(), TICKETS.c.id.desc())
        query = select(TICKETS).where(WHERE_STATUS["handled"]).order_by(*latest)
        with self.engine.connect() as db:
            return [_ticket(row) for row in db.execute(query.limit(limit))]

    def mark_handled(self, reference: str, by: str) -> str:
        """One of "handled", "already handled" (nothing changes) or "unknown"."""
        with self.engine.begin() as db:
            changed = db.execute(
                TICKETS.update()
                .where(TICKETS.c.reference == reference, TICKETS.c.handled_at.is_(None))
                .values(handled_at=iso_utc(), handled_by=by)
            ).rowcount
            if changed:
                return "handled"
            known = db.execute(select(TICKETS.c.id).where(TICKETS.c.reference == reference)).first()
        return "already handled" if known else "unknown"

    # ---- staff sessions and failed sign-ins ----

    def open_session(self, name: str, lifetime: timedelta) -> Tuple[str, str]:
        """A new session for a staff member: (the cookie's token, the CSRF token for their forms)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as db:
            row = dict(token_hash=_sha256(token), name=name, csrf=csrf, expires_at=iso_utc(now() + lifetime))
            db.execute(SESSIONS.insert().values(**row))
        return token, csrf

    def session(self, token: str) -> Optional[Tuple[str, str]]:
        """(name, csrf) of an unexpired session, else None."""
        query = select(SESSIONS.c.name, SESSIONS.c.csrf).where(
            SESSIONS.c.token_hash == _sha256(token), SESSIONS.c.expires_at > iso_utc()
        )
        with self.engine.connect() as db:
            row = db.execute(query).first()
        return (row.name, row.csrf) if row else None

    def close_session(self, token: str) -> None:
        with self.engine.begin() as db:
            db.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == _sha256(token)))

    def failed_sign_in(self, who: Sequence[str]) -> None:
        with self.engine.begin() as db:
            db.execute(FAILURES.insert(), [{"who": one, "at": iso_utc()} for one in who])

    def failures_since(self, who: str, since: datetime) -> int:
        query = select(func.count()).where(FAILURES.c.who == who, FAILURES.c.at >= iso_utc(since))
        with self.engine.connect() as db:
            return db.execute(query).scalar_one()

    # ---- retention ----

    def purge(self, before: datetime, dry_run: bool = False) -> int:
        """Tickets created before `before`; expired sessions and failures older than a day go too."""
        with self.engine.begin() as db:
            count = delete_older(db, TICKETS.c.created_at, iso_utc(before), dry_run)
            if not dry_run:
                delete_older(db, SESSIONS.c.expires_at, iso_utc(), dry_run)
                delete_older(db, FAILURES.c.at, iso_utc(now() - timedelta(days=1)), dry_run)
        return count


def _ticket(row: Row) -> Dict[str, Any]:
    ticket = {name: value for name, value in row._mapping.items() if name not in ("id", "idempotency_key")}
    ticket.update(topics=json.loads(row.topics), last_messages=json.loads(row.last_messages))
    ticket["status"] = "handled" if row.handled_at else "open"
    return ticket


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
