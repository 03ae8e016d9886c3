"""Starts the real action server and Rasa server on free local ports for the end-to-end tests."""

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

from tests.conftest import ROOT

MODEL = ROOT / "models" / "immuno.tar.gz"
BIN = ROOT / ".venv" / "bin"
LOGS = ROOT / "results" / "e2e"
START_TIMEOUT = 240


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


@pytest.fixture(scope="session")
def bot():
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first")
    LOGS.mkdir(parents=True, exist_ok=True)
    action_port, rasa_port = free_port(), free_port()
    endpoints = LOGS / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    processes = []
    try:
        actions_log = LOGS / "actions.log"
        actions = subprocess.Popen(
            [str(BIN / "rasa"), "run", "actions", "--port", str(action_port)],
            cwd=ROOT,
            env=env,
            stdout=actions_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        processes.append(actions)
        rasa_log = LOGS / "rasa.log"
        rasa = subprocess.Popen(
            [
                str(BIN / "rasa"),
                "run",
                "--model",
                str(MODEL),
                "--port",
                str(rasa_port),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(ROOT / "credentials.yml"),
            ],
            cwd=ROOT,
            env=env,
            stdout=rasa_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        processes.append(rasa)
        wait_until_up(f"http://127.0.0.1:{action_port}/health", actions, actions_log)
        wait_until_up(f"http://127.0.0.1:{rasa_port}/", rasa, rasa_log)
        yield Bot(f"http://127.0.0.1:{rasa_port}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
