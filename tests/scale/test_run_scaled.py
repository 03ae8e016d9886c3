"""`make run-scaled` as a person runs it: two replicas behind nginx answer on RASA_PORT (REST and the widget's
socket.io), the web page and the inbox are served, and Ctrl-C stops everything it started."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import ROOT
from tests.servers import free_port, free_ports_in_a_row, fresh_dir, project_env

LOGS = ROOT / "results" / "scale-run"
READY = "Press Ctrl-C to stop."


@pytest.fixture(scope="module")
def scaled(postgres, redis_server):
    logs = fresh_dir(LOGS)
    # the second action server takes the port after ACTIONS_PORT; the replicas take the two after RASA_PORT (nginx)
    ports = {"RASA_PORT": str(free_ports_in_a_row(3)), "ACTIONS_PORT": str(free_ports_in_a_row(2))}
    ports.update(WEB_PORT=str(free_port()), INBOX_PORT=str(free_port()))
    env = project_env(logs, DATABASE_URL=postgres.create_database("run_scaled"), REDIS_URL=redis_server.url, **ports)
    out = (logs / "run_scaled.out").open("w")
    process = subprocess.Popen([sys.executable, "-m", "scripts.run_scaled", "--replicas", "2"], cwd=ROOT, env=env,
                               stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 240
    while READY not in (logs / "run_scaled.out").read_text() and process.poll() is None:
        assert time.monotonic() < deadline, "make run-scaled did not start in 240 s"
        time.sleep(1)
    assert process.poll() is None, (logs / "run_scaled.out").read_text()
    yield process, ports, logs
    if process.poll() is None:
        process.kill()


def test_run_scaled_serves_the_assistant_through_nginx_and_stops_on_ctrl_c(scaled):
    process, ports, logs = scaled
    rasa = f"http://127.0.0.1:{ports['RASA_PORT']}"
    printed = (logs / "run_scaled.out").read_text()
    assert f"http://localhost:{ports['WEB_PORT']}/" in printed and "behind nginx" in printed
    for number in range(4):  # least_conn spreads them over both replicas
        reply = requests.post(f"{rasa}/webhooks/rest/webhook", json={"sender": f"run-{number}", "message": "hello"})
        assert reply.status_code == 200 and reply.json(), reply.text
    handshake = requests.get(f"{rasa}/socket.io/?EIO=4&transport=polling", headers={"Origin": "http://localhost:8080"})
    assert handshake.status_code == 200 and '"sid"' in handshake.text
    assert "assistant" in requests.get(f"http://127.0.0.1:{ports['WEB_PORT']}/").text
    assert requests.get(f"http://127.0.0.1:{ports['INBOX_PORT']}/health").ok
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    for port in (ports["RASA_PORT"], ports["WEB_PORT"], ports["INBOX_PORT"], ports["ACTIONS_PORT"]):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
