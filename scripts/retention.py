"""Deletes what people told the assistant once it is older than N days (default 30, RETENTION_DAYS): whole
conversations from the tracker store whose last event is older, and triage tickets from the outbox and the inbox.

    python -m scripts.retention [--days 30] [--dry-run] [--db data_store/trackers.db] [--outbox ...] [--inbox ...]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional

from scripts.endpoints import ROOT, tracker_db

DEFAULT_DAYS = 30
DAY = 24 * 3600


def days_arg(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if days < 1:
        raise argparse.ArgumentTypeError("the number of days must be 1 or more")
    return days


def _run(path: Path, count_sql: str, delete_sql: str, cutoff: object, dry_run: bool) -> int:
    """Rows matching the cutoff in one SQLite file (0 when the file or its table does not exist yet)."""
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path, timeout=30)) as db:
        try:
            (count,) = db.execute(count_sql, (cutoff,)).fetchone()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return 0
            raise
        if count and not dry_run:
            with db:
                db.execute(delete_sql, (cutoff,))
        return count


def purge(days: int, tracker_db: Path, outbox: Path, inbox: Path, dry_run: bool = False) -> Dict[str, int]:
    cutoff = time.time() - days * DAY
    iso_cutoff = datetime.fromtimestamp(cutoff, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    old_senders = "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < ?"
    return {
        "conversations": _run(
            tracker_db,
            f"SELECT COUNT(*) FROM ({old_senders})",
            f"DELETE FROM events WHERE sender_id IN ({old_senders})",
            cutoff,
            dry_run,
        ),
        "outbox tickets": _run(
            outbox,
            "SELECT COUNT(*) FROM outbox WHERE created_at < ?",
            "DELETE FROM outbox WHERE created_at < ?",
            cutoff,
            dry_run,
        ),
        "inbox tickets": _run(
            inbox,
            "SELECT COUNT(*) FROM tickets WHERE created_at < ?",
            "DELETE FROM tickets WHERE created_at < ?",
            iso_cutoff,
            dry_run,
        ),
    }


def main(argv: Optional[List[str]] = None) -> int:
    store = ROOT / "data_store"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=days_arg, default=days_arg(os.environ.get("RETENTION_DAYS", str(DEFAULT_DAYS))))
    parser.add_argument("--db", type=Path, default=tracker_db(), help="the tracker store's SQLite file")
    parser.add_argument("--outbox", type=Path, default=Path(os.environ.get("TRIAGE_OUTBOX_PATH", store / "outbox.db")))
    parser.add_argument("--inbox", type=Path, default=Path(os.environ.get("INBOX_DB", store / "inbox.db")))
    parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    args = parser.parse_args(argv)
    counts = purge(args.days, args.db, args.outbox, args.inbox, args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"Older than {args.days} days: {verb} " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
