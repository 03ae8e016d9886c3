"""Starts the real action server, Rasa server and demo web page on free local ports for the end-to-end tests."""

from __future__ import annotations

import subprocess
import uuid
from typing import Dict, List

import pytest
import requests
import yaml

from tests.conftest import ROOT
from tests.receiver import Receiver
from tests.servers import (
    BIN,
    ActionServer,
    RasaServer,
    free_port,
    fresh_dir,
    project_env,
    snapshot_model,
    stop,
    wait_until_up,
)

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
    fresh_dir(LOGS)
    model = snapshot_model(LOGS / "immuno.tar.gz")
    receiver = Receiver()
    env = project_env(
        LOGS,
        TRIAGE_WEBHOOK_URL=receiver.url,
        TRIAGE_RETRY_SECONDS="1",
        SENDER_HASH_KEY=SENDER_HASH_KEY,
    )
    web_port = free_port()
    credentials = LOGS / "credentials.yml"
    credentials.write_text(credentials_allowing(f"http://127.0.0.1:{web_port}"))
    actions = ActionServer("actions", LOGS, env)
    rasa = RasaServer("rasa", LOGS, env, model, credentials, actions)
    web_command = [str(BIN / "python"), "-m", "http.server", str(web_port), "--bind", "127.0.0.1", "--directory", "web"]
    web = None
    try:
        receiver.__enter__()
        actions.start()
        web = subprocess.Popen(web_command, cwd=ROOT, stdout=(LOGS / "web.log").open("w"), stderr=subprocess.STDOUT)
        wait_until_up(f"http://127.0.0.1:{web_port}/", web, LOGS / "web.log")
        rasa.start()
        yield Servers(rasa.url, f"http://127.0.0.1:{web_port}", receiver)
    finally:
        receiver.__exit__(None, None, None)
        rasa.stop()
        actions.stop()
        if web is not None:
            stop(web)


@pytest.fixture(scope="session")
def bot(servers):
    return Bot(servers.rasa_url)
