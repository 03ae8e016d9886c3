"""Starts the real action server, Rasa server and demo web page on free local ports for the end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import uuid
from typing import Dict, List

import pytest
import requests
import yaml

from tests.conftest import ROOT
from tests.receiver import Receiver
from tests.servers import BIN, free_port, snapshot_model, stop, wait_until_up

LOGS = ROOT / "results" / "e2e"
SENDER_HASH_KEY = "e2e-test-key"


class Bot:
    """A client of the REST channel: one conversation per sender id."""

    def __init__(self, base_url: str) -> None:
        self.webhook = f"{base_url}/webhooks/rest/webhook"

    def post(self, payload) -> requests.Response:
        return requests.post(self.webhook, json=payload, timeout=30)

    def send(self, text: str, sender: str) -> List[Dict]:
        response = self.post({"sender": sender, "message": text})
        assert response.status_code == 200, response.text
        return response.json()

    @staticmethod
    def new_sender() -> str:
        return f"e2e-{uuid.uuid4().hex[:12]}"


class Servers:
    """Addresses of the servers started for the end-to-end tests."""

    def __init__(self, rasa_url: str, web_url: str, receiver: Receiver) -> None:
        self.receiver = receiver  # the contact-center webhook the triage tickets go to
        self.rasa_url = rasa_url
        self.web_url = web_url


def credentials_allowing(web_origin: str) -> str:
    """The project's credentials.yml, with the test page's origin allowed to use the web widget."""
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text()) or {}
    credentials["channels.web.WebChatInput"]["cors_allowed_origins"] = web_origin
    return yaml.safe_dump(credentials)


@pytest.fixture(scope="session")
def servers():
    LOGS.mkdir(parents=True, exist_ok=True)
    model = snapshot_model(LOGS / "immuno.tar.gz")
    action_port, rasa_port, web_port = free_port(), free_port(), free_port()
    endpoints = LOGS / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n")
    credentials = LOGS / "credentials.yml"
    credentials.write_text(credentials_allowing(f"http://127.0.0.1:{web_port}"))
    outbox = LOGS / "outbox.db"
    outbox.unlink(missing_ok=True)
    receiver = Receiver()
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "TRIAGE_WEBHOOK_URL": receiver.url,
        "TRIAGE_OUTBOX_PATH": str(outbox),
        "TRIAGE_RETRY_SECONDS": "1",
        "SENDER_HASH_KEY": SENDER_HASH_KEY,
    }
    commands = {
        "actions": [str(BIN / "rasa"), "run", "actions", "--port", str(action_port)],
        "rasa": [
            str(BIN / "rasa"),
            "run",
            "--model",
            str(model),
            "--port",
            str(rasa_port),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(credentials),
        ],
        "web": [str(BIN / "python"), "-m", "http.server", str(web_port), "--bind", "127.0.0.1", "--directory", "web"],
    }
    processes = {}
    try:
        receiver.__enter__()
        for name, command in commands.items():
            log = (LOGS / f"{name}.log").open("w")
            processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_until_up(f"http://127.0.0.1:{action_port}/health", processes["actions"], LOGS / "actions.log")
        wait_until_up(f"http://127.0.0.1:{web_port}/", processes["web"], LOGS / "web.log")
        wait_until_up(f"http://127.0.0.1:{rasa_port}/", processes["rasa"], LOGS / "rasa.log")
        yield Servers(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{web_port}", receiver)
    finally:
        receiver.__exit__(None, None, None)
        for process in processes.values():
            stop(process)


@pytest.fixture(scope="session")
def bot(servers):
    return Bot(servers.rasa_url)
