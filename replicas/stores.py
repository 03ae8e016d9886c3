"""Rasa's tracker and lock stores for several replicas. The tracker store is Rasa's SQL store on an engine from the
project's storage layer (pre-ping: a pooled connection that a database restart broke is replaced, not used); the
lock store is Rasa's Redis store, configured by one URL so no password is written into endpoints.yml."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Optional

import redis
import redis.lock
from rasa.core.lock import TicketLock
from rasa.core.lock_store import DEFAULT_SOCKET_TIMEOUT_IN_SECONDS, LOCK_LIFETIME, LockError, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.orm import sessionmaker

from service.storage import create, database_url

MUTEX_SECONDS = 5.0


class SharedSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store (the same `events` table) on service.storage's engine. `url` in endpoints.yml is the
    database URL, normally `${DATABASE_URL}`, which Rasa fills in from the environment."""

    def __init__(self, domain: Optional[Domain] = None, host: Optional[str] = None, **kwargs: Any) -> None:
        if not host:
            raise ValueError("SharedSQLTrackerStore needs `url:` (a database URL) in endpoints.yml")
        url = database_url(host)
        super().__init__(domain=domain, host=url, **kwargs)  # creates Rasa's table, waiting for the database
        self.engine.dispose()
        self.engine = create(url)
        self.sessionmaker = sessionmaker(bind=self.engine)


class RedisUrlLockStore(RedisLockStore):
    """Rasa's Redis lock store from `url: ${REDIS_URL}` (redis://[:password@]host:port/db, rediss:// for TLS), made
    safe for several replicas. Rasa 3.6's store changes a conversation's ticket queue by reading the whole queue
    and writing it back, so two replicas taking a ticket at once both get the same number and handle the
    conversation together, losing events (RasaHQ/rasa#9213; the fix, ConcurrentRedisLockStore, was reverted from
    Rasa Open Source in RasaHQ/rasa#11428). Here each change of a queue holds a short Redis mutex.

    A replica that dies (kill -9) leaves its ticket in the queue until it expires. Rasa gives a waiting ticket the
    same lifetime, counted from when it was issued, so it expires just after the dead one and its waiter then
    waits for a number that never comes up (until the reply deadline). Here a waiting ticket is kept alive while
    its replica waits, and a waiter whose ticket is gone anyway gets a LockError instead of waiting forever."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options = endpoint_config.kwargs
        super().__init__(key_prefix=options.get("key_prefix"))  # the client it makes is replaced before any use
        timeout = float(options.get("socket_timeout", DEFAULT_SOCKET_TIMEOUT_IN_SECONDS))
        self.red = redis.StrictRedis.from_url(endpoint_config.url, socket_timeout=timeout)

    def _mutex(self, conversation_id: str) -> redis.lock.Lock:
        # expires by itself if its holder dies; a change of the queue takes a few milliseconds
        name = f"mutex:{self.key_prefix}{conversation_id}"
        return self.red.lock(name, timeout=MUTEX_SECONDS, blocking_timeout=MUTEX_SECONDS, sleep=0.002)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        while True:
            with self._mutex(conversation_id):
                lock = self.get_lock(conversation_id)
                mine = lock._ticket_for_ticket_number(ticket) if lock else None  # expired tickets go first
                if lock is None or mine is None:
                    raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
                if not lock.is_locked(ticket):
                    return lock
                mine.expires = time.time() + LOCK_LIFETIME  # still waiting: the lifetime counts from now
                self.save_lock(lock)
            await asyncio.sleep(wait_time_in_seconds)

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):  # finishing and deleting together: a ticket taken between is kept
            super().cleanup(conversation_id, ticket_number)
