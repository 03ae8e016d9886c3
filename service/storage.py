"""The one storage layer, on SQLAlchemy Core: an engine from a URL or a file path (SQLite by default, PostgreSQL
alike), a base for stores that own their tables and purge old rows, and secrets generated once and kept."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Optional, Union

from sqlalchemy import Column, MetaData, String, Table, create_engine, delete, func, insert, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError

from service.settings import ROOT

SQLITE_WAIT = 10  # seconds a write waits for another writer to finish


def database_url(location: Union[str, Path]) -> str:
    """A SQLAlchemy URL for a setting that holds either one (postgresql://...) or a file path (SQLite)."""
    location = str(location)
    if "://" in location:
        return location
    path = Path(location).expanduser()
    return f"sqlite:///{path if path.is_absolute() else ROOT / path}"


def create(url: str) -> Engine:
    """An engine that checks a pooled connection before use; a SQLite file and its folder are made, owner-only."""
    parsed = make_url(url)
    connect_args = {}
    if parsed.get_backend_name() == "sqlite":
        connect_args = {"timeout": SQLITE_WAIT}
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=True)  # people's messages and hashed numbers: not for other users
    return create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)


class Store:
    """A store owns its tables (`metadata`) and knows what is old in them (`purge`). Nothing is opened until first
    use, so building a store does no I/O."""

    metadata: MetaData

    def __init__(self, location: Union[str, Path]) -> None:
        self.url = database_url(location)
        self._engine: Optional[Engine] = None
        self._opening = threading.Lock()  # the outbox's delivery thread and a request may be first at once

    @property
    def engine(self) -> Engine:
        with self._opening:
            if self._engine is None:
                engine = create(self.url)
                self.metadata.create_all(engine)
                self.upgrade(engine)
                self._engine = engine
        return self._engine

    def upgrade(self, engine: Engine) -> None:
        """Brings tables made by an earlier version up to date (create_all makes missing tables only)."""

    def purge(self, before: datetime, dry_run: bool = False) -> int:
        """Deletes (or only counts, dry_run) what is older than `before`; returns how many."""
        raise NotImplementedError

    def ping(self) -> None:
        with self.engine.connect() as db:
            db.execute(select(1))


def delete_older(db: Connection, column: Column, before: Any, dry_run: bool) -> int:
    """Rows of column's table with column < before: counted, and deleted unless dry_run."""
    table = column.table
    count = db.execute(select(func.count()).select_from(table).where(column < before)).scalar_one()
    if count and not dry_run:
        db.execute(delete(table).where(column < before))
    return count


def insert_new(engine: Engine, table: Table, **row: Any) -> bool:
    """Inserts the row unless its key is taken (then nothing changes): True when it was inserted. One transaction
    of its own, because a failed insert ends a PostgreSQL transaction."""
    try:
        with engine.begin() as db:
            db.execute(insert(table).values(**row))
        return True
    except IntegrityError:
        return False


def secrets_table(metadata: MetaData) -> Table:
    """The table a store keeps its generated secrets in."""
    return Table(
        "secrets",
        metadata,
        Column("name", String(64), primary_key=True),
        Column("value", String(128), nullable=False),
    )


def kept_secret(engine: Engine, table: Table, name: str) -> str:
    """A random secret generated the first time it is asked for and the same ever after (for when none is set)."""
    insert_new(engine, table, name=name, value=secrets.token_hex(32))
    with engine.connect() as db:
        return db.execute(select(table.c.value).where(table.c.name == name)).scalar_one()
