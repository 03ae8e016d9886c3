"""The real action server and Rasa server (project credentials, SQLite tracker store in a file) for the fault,
load and bad-input tests, logging to results/reliability/. Faults are real: processes are killed, paused and
restarted."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import pytest
import requests

from tests.conftest import ROOT
from tests.receiver import Receiver
from tests.servers import ActionServer, RasaServer, fresh_dir, project_env, snapshot_model

LOGS = ROOT / "results" / "reliability"
WEB_ORIGIN = "http://localhost:8080"  # allowed by the project's credentials.yml
CIS_LINE = "1-800-4-CANCER"


class Stack:
    """An action server and a Rasa server in front of it."""

    def __init__(self, actions: ActionServer, rasa: RasaServer) -> None:
        self.actions, self.rasa = actions, rasa

    def post(self, payload: object, **kwargs: object) -> requests.Response:
        return requests.post(f"{self.rasa.url}/webhooks/rest/webhook", json=payload, timeout=30, **kwargs)

    def send(self, text: str, sender: str) -> List[Dict]:
        response = self.post({"sender": sender, "message": text})
        assert response.status_code == 200, response.text
        return response.json()


def new_sender() -> str:
    return f"rel-{uuid.uuid4().hex[:12]}"


def texts(replies: List[Dict]) -> str:
    return " ".join(reply.get("text", "") for reply in replies)


@pytest.fixture(scope="session")
def logs() -> Path:
    return fresh_dir(LOGS)


@pytest.fixture(scope="session")
def model(logs: Path) -> Path:
    return snapshot_model(logs / "immuno.tar.gz")


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def start_stack(logs: Path, model: Path, receiver: Receiver) -> Iterator[Callable[..., Stack]]:
    """Starts a stack named `name` with extra environment settings; every one is stopped at the end."""
    started: List[RasaServer | ActionServer] = []

    def start(name: str, **settings: str) -> Stack:
        env = project_env(
            fresh_dir(logs / name),
            TRIAGE_WEBHOOK_URL=receiver.url,
            SENDER_HASH_KEY="reliability-test-key",
            **settings,
        )
        actions = ActionServer(f"{name}-actions", logs, env)
        rasa = RasaServer(f"{name}-rasa", logs, env, model, ROOT / "credentials.yml", actions)
        started.extend([rasa, actions])
        actions.start()
        rasa.start()
        return Stack(actions, rasa)

    yield start
    for server in started:
        if server.process is not None:
            server.resume()  # a paused process would not stop
            server.stop()


@pytest.fixture(scope="module")
def stack(start_stack: Callable[..., Stack], request: pytest.FixtureRequest) -> Stack:
    return start_stack(request.module.__name__.rsplit(".", 1)[-1])
