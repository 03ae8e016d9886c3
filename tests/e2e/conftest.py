"""Starts the real action server, Rasa server and demo web page on free local ports for the end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, List

import pytest
import requests
import yaml

from tests.conftest import ROOT
from tests.receiver import Receiver

MODEL = ROOT / "models" / "immuno.tar.gz"
BIN = ROOT / ".venv" / "bin"
LOGS = ROOT / "results" / "e2e"
START_TIMEOUT = 240
SENDER_HASH_KEY = "e2e-test-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}; see {log}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not come up in {START_TIMEOUT}s; see {log}")


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


def test_credentials(web_origin: str) -> str:
    """The project's credentials.yml, with the test page's origin allowed to use the web widget."""
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text()) or {}
    credentials["channels.web.WebChatInput"]["cors_allowed_origins"] = web_origin
    return yaml.safe_dump(credentials)


@pytest.fixture(scope="session")
def servers():
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    LOGS.mkdir(parents=True, exist_ok=True)
    action_port, rasa_port, web_port = free_port(), free_port(), free_port()
    endpoints = LOGS / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n")
    credentials = LOGS / "credentials.yml"
    credentials.write_text(test_credentials(f"http://127.0.0.1:{web_port}"))
    outbox = LOGS / "outbox.db"
    outbox.unlink(missing_ok=True)
    receiver = Receiver().__enter__()
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
            str(MODEL),
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
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def bot(servers):
    return Bot(servers.rasa_url)
