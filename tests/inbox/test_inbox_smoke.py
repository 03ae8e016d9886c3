"""The real inbox process (`python -m inbox.server`) over real HTTP: a ticket in, sent ten times at once, the staff
page after a sign-in, a restart on the same database, clean stops on SIGTERM and SIGINT, a log without the
tickets' text, and an error exit when its port is taken."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import ROOT
from tests.inbox.support import STAFF, InboxProcess, make_ticket
from tests.servers import project_env


def test_tickets_arrive_staff_see_them_and_a_restart_keeps_them(tmp_path):
    inbox = InboxProcess(tmp_path).start()
    secret_text = "my oncologist Dr Zebediah said pembrolizumab"
    urgent = make_ticket(priority="urgent", reason="urgent_symptom", last_messages=[secret_text])
    routine = make_ticket()
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(lambda _: inbox.post(urgent).status_code, range(10)))
    assert statuses == [200] * 9 + [201]
    assert inbox.post(routine).status_code == 201
    assert inbox.post(make_ticket(priority="loud", last_messages=[secret_text])).status_code == 400

    assert requests.get(f"{inbox.url}/", timeout=10).url == f"{inbox.url}/sign-in"
    session, csrf = inbox.signed_in()
    page = session.get(f"{inbox.url}/", timeout=10).text
    assert page.index(urgent["reference"]) < page.index(routine["reference"]) and secret_text in page
    handled = session.post(
        f"{inbox.url}/tickets/{routine['reference']}/handled", data={"csrf": csrf}, headers={"Origin": inbox.url}
    )
    assert handled.status_code == 200 and handled.url == f"{inbox.url}/"

    assert inbox.stop() == 0
    inbox.start()
    assert session.get(f"{inbox.url}/", timeout=10).url == f"{inbox.url}/", "the session outlived the restart"
    listed = session.get(f"{inbox.url}/tickets", params={"status": "all"}, timeout=10).json()
    assert [(t["reference"], t["status"], t["handled_by"]) for t in listed] == [
        (urgent["reference"], "open", None),
        (routine["reference"], "handled", STAFF),
    ]
    assert inbox.stop(signal.SIGINT) == 0

    log = inbox.log.read_text()
    assert f"Ticket {urgent['reference']} received: priority urgent" in log
    assert f"Ticket {routine['reference']} marked handled by {STAFF}" in log
    assert log.count("Stopping.") == 2 and log.count("Stopped.") == 2 and "Traceback" not in log
    for private in ("Zebediah", "pembrolizumab", urgent["sender"], urgent["idempotency_key"]):
        assert private not in log


def test_without_a_token_it_warns_and_takes_tickets_from_this_machine(tmp_path):
    inbox = InboxProcess(tmp_path, token=None).start()
    try:
        assert inbox.post(make_ticket()).status_code == 201
    finally:
        assert inbox.stop() == 0
    assert "TRIAGE_WEBHOOK_TOKEN is not set" in inbox.log.read_text()
    # clients elsewhere are refused: see test_inbox_units.py and the proxy test, since this client is on loopback


def test_a_port_in_use_stops_it_with_an_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        env = project_env(tmp_path, INBOX_PORT=port)
        result = subprocess.run(
            [sys.executable, "-m", "inbox.server"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1 and f"could not listen on 127.0.0.1 port {port}" in result.stderr
