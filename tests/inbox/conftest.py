"""Fixtures for the triage inbox tests: the app on a database of its own, through Sanic's test client, and the real
service as a process for the smoke and browser tests."""

from __future__ import annotations

import pytest

from inbox.app import create_app
from tests.inbox.support import Client, InboxProcess, inbox_settings


@pytest.fixture
def client(tmp_path) -> Client:
    """A new inbox (token and one staff account set) and a client that is not signed in yet."""
    return Client(create_app(inbox_settings(tmp_path)))


@pytest.fixture
def staff(client: Client) -> Client:
    """The same client, signed in."""
    assert client.sign_in().status == 303
    return client


@pytest.fixture(scope="module")
def inbox_process(tmp_path_factory):
    """`python -m inbox.server` for a test module, token and staff account set."""
    server = InboxProcess(tmp_path_factory.mktemp("inbox")).start()
    yield server
    if server.process is not None:
        server.stop()
