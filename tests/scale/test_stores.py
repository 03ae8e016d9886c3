"""Our stores on a real PostgreSQL: DATABASE_URL holds them all, two action servers post each triage ticket exactly
once, a STOP recorded by one process is honoured by another, and a database restart does not break them."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from actions.outbox import Outbox, deliver
from actions.triage import build_ticket
from channels.sms.store import SmsStore
from inbox.store import TicketStore
from scripts.endpoints import shared_variables
from service.settings import Settings
from tests.conftest import ROOT
from tests.inbox.support import make_ticket
from tests.receiver import Receiver
from tests.servers import project_env

TICKETS = 30


def outbox_ticket(number: int) -> dict:
    return build_ticket([], f"sender-{number}", "rest", "requested_human", "test-key", datetime.now(timezone.utc))


def test_database_url_holds_every_store_and_unset_keeps_the_sqlite_files(database_url):
    shared = Settings(database_url=database_url, redis_url="redis://127.0.0.1:6379/0")
    assert {shared.tracker_db, shared.inbox_db, shared.triage_outbox_path, shared.sms_store_path} == {database_url}
    assert shared_variables(shared, shared.tracker_db) == {
        "database_variable": "DATABASE_URL",
        "redis_variable": "REDIS_URL",
    }
    alone = Settings()
    assert alone.tracker_db == "data_store/trackers.db" and alone.sms_store_path == "data_store/sms.db"
    assert shared_variables(alone, alone.tracker_db) == {}
    assert Settings(database_url="postgres://u@h/d").database_url == "postgresql://u@h/d"


def test_the_stores_work_on_postgresql_side_by_side_in_one_database(database_url):
    outbox, sms, inbox = Outbox(database_url), SmsStore(database_url), TicketStore(database_url)
    outbox.add(outbox_ticket(1))
    assert outbox.counts() == {"delivered": 0, "waiting": 1}
    assert outbox.secret("sender_hash_key") == Outbox(database_url).secret("sender_hash_key")
    assert sms.sender_id_key() == SmsStore(database_url).sender_id_key() != outbox.secret("sender_hash_key").encode()
    sms.opt_out("sms-a")
    sms.set_menu("sms-b", ["/ask_side_effects", "/ask_clinical_trials"])
    assert sms.is_opted_out("sms-a") and not sms.is_opted_out("sms-b")
    assert sms.menu("sms-b") == ["/ask_side_effects", "/ask_clinical_trials"]
    ticket = make_ticket()
    assert inbox.add(ticket)[0] == "created" and inbox.add(ticket)[0] == "duplicate"
    assert inbox.mark_handled(ticket["reference"], "dana") == "handled"
    assert inbox.tickets("handled")[0]["handled_by"] == "dana"
    later = datetime.now(timezone.utc) + timedelta(days=1)
    assert outbox.purge(later) == 1 and inbox.purge(later) == 1 and sms.purge(later) == 1
    assert sms.is_opted_out("sms-a")  # a STOP holds until START, whatever its age


def test_two_action_servers_post_each_ticket_exactly_once(database_url, tmp_path):
    outbox = Outbox(database_url)
    for number in range(TICKETS):
        outbox.add(outbox_ticket(number))
    with Receiver(delay=0.05) as receiver:  # slow enough that the two deliverers overlap all along
        env = project_env(tmp_path, DATABASE_URL=database_url, TRIAGE_WEBHOOK_URL=receiver.url)
        command = [sys.executable, "-m", "actions.outbox", "flush"]
        flushes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [flush.communicate(timeout=120)[0] for flush in flushes]
    assert [flush.returncode for flush in flushes] == [0, 0], outputs
    keys = [request["headers"]["Idempotency-Key"] for request in receiver.requests]
    assert len(keys) == TICKETS and len(set(keys)) == TICKETS
    shares = sorted(int(output.split()[1].rstrip(",")) for output in outputs)  # "delivered N, still waiting 0"
    assert sum(shares) == TICKETS and shares[0] > 0, outputs  # both took part
    assert outbox.counts() == {"delivered": TICKETS, "waiting": 0}


def test_a_stop_recorded_by_one_process_is_honoured_by_another(database_url):
    record = "from channels.sms.store import SmsStore; import sys; SmsStore(sys.argv[1]).opt_out('sms-stop')"
    here = SmsStore(database_url)
    assert not here.is_opted_out("sms-stop")
    subprocess.run([sys.executable, "-c", record, database_url], cwd=ROOT, check=True, timeout=60)
    assert here.is_opted_out("sms-stop")
    here.opt_in("sms-stop")
    check = (
        "from channels.sms.store import SmsStore; import sys; sys.exit(SmsStore(sys.argv[1]).is_opted_out('sms-stop'))"
    )
    assert subprocess.run([sys.executable, "-c", check, database_url], cwd=ROOT, timeout=60).returncode == 0


def test_the_stores_keep_working_when_postgresql_restarts(start_postgres):
    server = start_postgres()
    url = server.create_database("restarted")
    outbox, sms = Outbox(url), SmsStore(url)
    outbox.add(outbox_ticket(1))
    sms.opt_out("sms-a")
    server.restart("immediate")  # as a crash would: every pooled connection is now broken
    assert sms.is_opted_out("sms-a")
    outbox.add(outbox_ticket(2))
    assert outbox.counts() == {"delivered": 0, "waiting": 2}
    with Receiver() as receiver:
        server.restart("fast")
        assert deliver(outbox, Settings(triage_webhook_url=receiver.url), due_only=False)["delivered"] == 2
