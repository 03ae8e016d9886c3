"""Fixtures for the triage inbox tests: the real service on a free loopback port with a database of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest

from tests.inbox.support import TOKEN, Inbox


@pytest.fixture(scope="module")
def inbox(tmp_path_factory, request) -> Inbox:
    """One service for a test module, with the shared-secret token set."""
    name = Path(request.module.__file__).stem
    server = Inbox(name, tmp_path_factory.mktemp(name) / "inbox.db").start()
    yield server
    if server.process is not None:
        server.stop()


@pytest.fixture
def new_inbox(tmp_path, request):
    """Starts services for one test on one database (no token, ...); stops what is still running afterwards."""
    started = []

    def start(token: Optional[str] = TOKEN) -> Inbox:
        server = Inbox(f"{request.node.name}-{len(started)}", tmp_path / "inbox.db", token).start()
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process is not None:
            server.stop()
