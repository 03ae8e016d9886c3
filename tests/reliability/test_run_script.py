"""`make run`'s script, started as a person would (scripts/run.sh): Rasa's HTTP API is closed unless asked for and
then needs a token; the action server listens on loopback only; and the logs of a whole run, at the default level,
hold no message text, phone number or email address."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterator

import pytest
import requests

from tests.conftest import ROOT
from tests.reliability.conftest import new_sender, texts
from tests.servers import free_port, project_env

SECRET_TOKEN = "test-token-not-a-secret"
PHONE, EMAIL = "(312) 555-0147", "maria.lopez1961@example.com"
PRIVATE = "my neighbour Bartholomew Quince"  # words that must stay out of the logs


class Run:
    def __init__(self, process: subprocess.Popen, ports: Dict[str, int], logs: Path, output: Path) -> None:
        self.process, self.ports, self.logs, self.output = process, ports, logs, output
        self.rasa = f"http://127.0.0.1:{ports['RASA_PORT']}"


def start_run(tmp: Path, **settings: str) -> Run:
    ports = {name: free_port() for name in ("RASA_PORT", "ACTIONS_PORT", "WEB_PORT", "INBOX_PORT")}
    logs = tmp / "logs"
    env = project_env(tmp, **{name: str(port) for name, port in ports.items()}, LOG_DIR=str(logs), **settings)
    if "TRIAGE_WEBHOOK_URL" not in settings:
        del env["TRIAGE_WEBHOOK_URL"]  # the default: the inbox run.sh starts, on INBOX_PORT
    output = tmp / "run.out"
    process = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=output.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Run(process, ports, logs, output)


def wait_ready(run: Run, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "Press Ctrl-C to stop." in run.output.read_text():
            return
        if run.process.poll() is not None:
            raise RuntimeError(f"run.sh exited with {run.process.returncode}:\n{run.output.read_text()}")
        time.sleep(1)
    raise RuntimeError(f"run.sh did not get ready:\n{run.output.read_text()}")


def stop_run(run: Run) -> None:
    if run.process.poll() is None:
        os.killpg(run.process.pid, signal.SIGTERM)
        try:
            run.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(run.process.pid, signal.SIGKILL)
            run.process.wait()


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> Iterator[Run]:
    run = start_run(tmp_path_factory.mktemp("run-default"))
    try:
        wait_ready(run)
        yield run
    finally:
        stop_run(run)


def listening_addresses(port: int) -> set:
    """The local addresses a TCP port listens on, read from the kernel's own table."""
    found = set()
    for table, size in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address if size == 32 else ".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_rasas_http_api_is_closed_by_default(default_run):
    assert requests.get(f"{default_run.rasa}/conversations/someone/tracker", timeout=10).status_code == 404
    assert requests.put(f"{default_run.rasa}/model", json={}, timeout=10).status_code in (404, 405)
    assert requests.get(f"{default_run.rasa}/status", timeout=10).status_code == 404
    assert "Rasa HTTP API:         closed" in default_run.output.read_text()


def test_the_inbox_is_behind_a_sign_in_page(default_run):
    inbox = f"http://127.0.0.1:{default_run.ports['INBOX_PORT']}"
    page = requests.get(f"{inbox}/", timeout=10)
    assert page.url == f"{inbox}/sign-in" and 'type="password"' in page.text
    assert "Triage inbox (staff):  http://localhost:" in default_run.output.read_text()


def test_the_action_server_and_rasa_listen_on_loopback_only(default_run):
    assert listening_addresses(default_run.ports["ACTIONS_PORT"]) == {"127.0.0.1"}
    assert listening_addresses(default_run.ports["RASA_PORT"]) == {"127.0.0.1"}


def test_a_whole_run_logs_no_message_text_phone_number_or_email(default_run):
    sender = new_sender()
    webhook = f"{default_run.rasa}/webhooks/rest/webhook"
    messages = [
        f"hi, I'm asking for {PRIVATE}, call me at {PHONE} or write to {EMAIL}",
        f"what are the side effects of immunotherapy for {PRIVATE}",
        f"{PRIVATE} has chest pain after his infusion, my number is {PHONE}",  # urgent: a ticket goes to the inbox
        "can I talk to a real person",
    ]
    for message in messages:
        response = requests.post(webhook, json={"sender": sender, "message": message}, timeout=60)
        assert response.status_code == 200 and texts(response.json())
    inbox = f"http://127.0.0.1:{default_run.ports['INBOX_PORT']}/tickets"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(requests.get(inbox, timeout=10).json()) < 2:
        time.sleep(1)
    assert len(requests.get(inbox, timeout=10).json()) >= 2, "the handoffs reached the inbox"
    stop_run(default_run)  # every service writes its last lines
    logs = sorted(default_run.logs.glob("*.log"))
    assert {"rasa.log", "actions.log", "inbox.log", "web.log"} <= {path.name for path in logs}
    assert (default_run.logs / "actions.log").read_text().count("Triage ticket") >= 2, "the logs cover the handoffs"
    digits = "".join(ch for ch in PHONE if ch.isdigit())
    for path in logs + [default_run.output]:
        text = path.read_text(encoding="utf-8", errors="replace")
        flat = "".join(ch for ch in text if ch.isdigit())
        assert PRIVATE not in text and "Bartholomew" not in text, path
        assert EMAIL not in text and "maria.lopez" not in text, path
        assert "555-0147" not in text and digits not in flat, path


def test_asking_for_the_api_without_a_token_is_refused(tmp_path):
    run = start_run(tmp_path, ENABLE_API="true")
    try:
        assert run.process.wait(timeout=60) == 2
        assert "needs RASA_API_TOKEN or RASA_JWT_SECRET" in run.output.read_text()
    finally:
        stop_run(run)


def test_the_api_opened_on_request_answers_401_without_the_token(tmp_path):
    run = start_run(tmp_path, ENABLE_API="true", RASA_API_TOKEN=SECRET_TOKEN)
    try:
        wait_ready(run)
        sender = new_sender()
        assert requests.put(f"{run.rasa}/model", json={"model_file": "x.tar.gz"}, timeout=10).status_code == 401
        assert requests.get(f"{run.rasa}/conversations/{sender}/tracker", timeout=10).status_code == 401
        wrong = {"token": "not-it"}
        assert requests.get(f"{run.rasa}/conversations/{sender}/tracker", params=wrong, timeout=10).status_code == 401
        right = {"token": SECRET_TOKEN}
        assert requests.get(f"{run.rasa}/conversations/{sender}/tracker", params=right, timeout=30).status_code == 200
    finally:
        stop_run(run)
