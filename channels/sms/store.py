"""What the SMS channel keeps: opt-outs, each sender's last numbered list, and the generated sender-id key. It
holds hashed sender ids, never phone numbers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import List

from sqlalchemy import Column, MetaData, String, Table, Text, delete, inspect, select, text

from service.clock import iso_utc
from service.storage import Store, delete_older, insert_new, kept_secret, secrets_table

METADATA = MetaData()
SECRETS = secrets_table(METADATA)  # the generated sender-id key
OPT_OUTS = Table(
    "opt_outs",
    METADATA,
    Column("sender_id", String(64), primary_key=True),
    Column("since", String(32), nullable=False),
)
MENUS = Table(
    "sms_menus",
    METADATA,
    Column("sender_id", String(64), primary_key=True),
    Column("payloads", Text, nullable=False),  # JSON list, in the order of the numbers
    Column("saved_at", String(32), nullable=False),  # UTC, service.clock
)


class SmsStore(Store):
    """Opt-outs are never purged: a STOP holds until the person sends START."""

    metadata = METADATA

    def sender_id_key(self) -> bytes:
        """The key generated the first time it was asked for, the same ever after. A key kept by the earlier
        sqlite3 store (its `settings` table) is carried over: a new key would forget every opt-out."""
        if inspect(self.engine).has_table("settings"):
            with self.engine.connect() as db:
                old = db.execute(text("SELECT value FROM settings WHERE name = 'sender_id_key'")).scalar()
            if old:
                insert_new(self.engine, SECRETS, name="sender_id_key", value=old)
        return kept_secret(self.engine, SECRETS, "sender_id_key").encode("utf-8")

    def opt_out(self, sender_id: str) -> None:
        insert_new(self.engine, OPT_OUTS, sender_id=sender_id, since=iso_utc())

    def opt_in(self, sender_id: str) -> None:
        with self.engine.begin() as db:
            db.execute(delete(OPT_OUTS).where(OPT_OUTS.c.sender_id == sender_id))

    def is_opted_out(self, sender_id: str) -> bool:
        with self.engine.connect() as db:
            return db.execute(select(OPT_OUTS.c.sender_id).where(OPT_OUTS.c.sender_id == sender_id)).first() is not None

    def set_menu(self, sender_id: str, payloads: List[str]) -> None:
        with self.engine.begin() as db:  # replaces the sender's last list in one transaction
            db.execute(delete(MENUS).where(MENUS.c.sender_id == sender_id))
            db.execute(MENUS.insert().values(sender_id=sender_id, payloads=json.dumps(payloads), saved_at=iso_utc()))

    def menu(self, sender_id: str) -> List[str]:
        with self.engine.connect() as db:
            payloads = db.execute(select(MENUS.c.payloads).where(MENUS.c.sender_id == sender_id)).scalar()
        return json.loads(payloads) if payloads else []

    def clear_menu(self, sender_id: str) -> None:
        with self.engine.begin() as db:
            db.execute(delete(MENUS).where(MENUS.c.sender_id == sender_id))

    def purge(self, before: datetime, dry_run: bool = False) -> int:
        """Numbered lists older than `before` (a reply to one that old is read as text)."""
        with self.engine.begin() as db:
            return delete_older(db, MENUS.c.saved_at, iso_utc(before), dry_run)
