"""Rasa's tracker and lock stores for several replicas. The tracker store is Rasa's SQL store on an engine from the
project's storage layer (pre-ping: a pooled connection that a database restart broke is replaced, not used); the
lock store is Rasa's Redis store, configured by one URL so no password is written into endpoints.yml."""

from __future__ import annotations

from typing import Any, Optional

import redis
from rasa.core.lock_store import DEFAULT_SOCKET_TIMEOUT_IN_SECONDS, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.orm import sessionmaker

from service.storage import create, database_url


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
    """Rasa's Redis lock store from `url: ${REDIS_URL}` (redis://[:password@]host:port/db, rediss:// for TLS)."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options = endpoint_config.kwargs
        super().__init__(key_prefix=options.get("key_prefix"))  # the client it makes is replaced before any use
        timeout = float(options.get("socket_timeout", DEFAULT_SOCKET_TIMEOUT_IN_SECONDS))
        self.red = redis.StrictRedis.from_url(endpoint_config.url, socket_timeout=timeout)
