"""Throwaway PostgreSQL and Redis servers for the scale-out tests, each on a free loopback port in a temporary
folder, stopped and removed at the end; each test that asks for `database_url` gets a fresh, empty database."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from scripts.local_servers import PG_USER, LocalPostgres, LocalRedis
from tests.servers import free_port


def server_folder(prefix: str) -> Path:
    """A temporary folder the postgres user can reach and own (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(folder, PG_USER, PG_USER)
    return folder


@pytest.fixture(scope="session")
def start_postgres() -> Iterator:
    """Starts a PostgreSQL of its own for a test that stops or restarts it; every one is removed at the end."""
    started = []

    def start() -> LocalPostgres:
        server = LocalPostgres(server_folder("immuno-pg-"), free_port()).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop("immediate")
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(start_postgres) -> LocalPostgres:
    return start_postgres()


@pytest.fixture
def database_url(postgres: LocalPostgres) -> str:
    return postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[LocalRedis]:
    folder = Path(tempfile.mkdtemp(prefix="immuno-redis-"))
    server = LocalRedis(folder, free_port()).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)
