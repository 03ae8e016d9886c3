"""Deletes what people told the assistant once it is older than RETENTION_DAYS: whole conversations from Rasa's
tracker store whose last event is older, and what each of our stores purges (outbox, inbox, SMS lists).

    python -m scripts.retention [--days N] [--dry-run] [--db TRACKERS] [--outbox ...] [--inbox ...] [--sms ...]
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from typing import Dict, List, Optional

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, delete, func, inspect, select

from actions.outbox import Outbox
from channels.sms.store import SmsStore
from inbox.store import TicketStore
from service.clock import now
from service.settings import settings
from service.storage import Store

# Rasa's own table, made by Rasa's SQL tracker store: described here, never created
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("timestamp", Float),
)


class Conversations(Store):
    """Rasa's tracker store, as far as retention needs it: a conversation goes whole, once its last event is old."""

    metadata = MetaData()  # nothing of ours to create

    def purge(self, before: datetime, dry_run: bool = False) -> int:
        if not inspect(self.engine).has_table("events"):
            return 0  # Rasa has not stored a conversation yet
        old = select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id)
        old = old.having(func.max(EVENTS.c.timestamp) < before.timestamp())
        with self.engine.begin() as db:
            count = db.execute(select(func.count()).select_from(old.subquery())).scalar_one()
            if count and not dry_run:
                db.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(old)))
        return count


def days_arg(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if days < 1:
        raise argparse.ArgumentTypeError("the number of days must be 1 or more")
    return days


def purge(days: int, stores: Dict[str, Store], dry_run: bool = False) -> Dict[str, int]:
    before = now() - timedelta(days=days)
    return {what: store.purge(before, dry_run) for what, store in stores.items()}


def main(argv: Optional[List[str]] = None) -> int:
    current = settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=days_arg, default=current.retention_days, help="RETENTION_DAYS (%(default)s)")
    parser.add_argument("--db", default=current.tracker_db, help="the tracker store: TRACKER_DB (%(default)s)")
    parser.add_argument("--outbox", default=current.triage_outbox_path, help="TRIAGE_OUTBOX_PATH (%(default)s)")
    parser.add_argument("--inbox", default=current.inbox_db, help="INBOX_DB (%(default)s)")
    parser.add_argument("--sms", default=current.sms_store_path, help="SMS_STORE_PATH (%(default)s)")
    parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    args = parser.parse_args(argv)
    stores: Dict[str, Store] = {
        "conversations": Conversations(args.db),
        "outbox tickets": Outbox(args.outbox),
        "inbox tickets": TicketStore(args.inbox),
        "SMS lists": SmsStore(args.sms),
    }
    counts = purge(args.days, stores, args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"Older than {args.days} days: {verb} " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
