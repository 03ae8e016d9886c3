"""Privacy: no secret in the repository, the greeting telling people how long their messages are kept, and the
retention command on real SQLite stores (Rasa's tracker store, the outbox, the inbox)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.outbox import Outbox
from inbox.store import TicketStore
from service.settings import Settings
from tests.conftest import ROOT
from tests.inbox.support import make_ticket

DEFAULT_DAYS = Settings.__fields__["retention_days"].default


def committed_files() -> list:
    """Files in the repository, and new ones git would take (not ignored)."""
    command = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in listed.splitlines() if (ROOT / name).is_file()]


SECRET_PATTERNS = {
    "Twilio account SID": re.compile(r"\bAC[0-9a-f]{32}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "secret assigned": re.compile(
        r"^(?:RASA_API_TOKEN|RASA_JWT_SECRET|TWILIO_AUTH_TOKEN|TRIAGE_WEBHOOK_TOKEN|SENDER_HASH_KEY|SMS_SENDER_ID_KEY"
        r"|INBOX_STAFF)"
        r"=[^\s#]+",
        re.MULTILINE,
    ),
}


def test_no_secret_is_committed():
    files = committed_files()
    assert any(path.name == ".env.example" for path in files)
    assert not any(path.name == ".env" or path.suffix == ".db" for path in files)
    for path in files:
        if path.relative_to(ROOT).parts[0] == "tests":
            continue  # test fixtures hold made-up credentials on purpose
        text = path.read_bytes().decode("utf-8", errors="replace")
        found = [what for what, pattern in SECRET_PATTERNS.items() if pattern.search(text)]
        assert not found, f"{path}: {found}"


def test_the_greeting_says_what_is_kept_and_for_how_long():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for variant in domain["responses"]["utter_greet"]:
        assert f"{DEFAULT_DAYS} days" in variant["text"] and "deleted" in variant["text"]


# ---- retention ---------------------------------------------------------------------------------------------------

DAY = 24 * 3600


def save_conversation(store: SQLTrackerStore, sender: str, *days_ago: float) -> None:
    """One conversation with a question and its answer on each of the given days."""
    tracker = DialogueStateTracker(sender, slots=[])
    for days in days_ago:
        at = time.time() - days * DAY
        for event in (
            ActionExecuted("action_listen", timestamp=at),
            UserUttered("what is immunotherapy", timestamp=at + 1),
            BotUttered("Immunotherapy is ...", timestamp=at + 2),
        ):
            tracker.update(event)
    asyncio.run(store.save(tracker))


@pytest.fixture
def tracker_db(tmp_path: Path) -> Path:
    path = tmp_path / "trackers.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    save_conversation(store, "old", 40)
    save_conversation(store, "recent", 2)
    save_conversation(store, "old-then-back", 45, 1.5)  # came back lately: the conversation is kept whole
    return path


def senders(path: Path) -> set:
    with closing(sqlite3.connect(path)) as db:
        return {row[0] for row in db.execute("SELECT DISTINCT sender_id FROM events")}


def retention(tmp_path: Path, tracker_db: Path, *args: str) -> subprocess.CompletedProcess:
    """The retention command on these stores only (never the default paths)."""
    stores = {
        "db": tracker_db,
        "outbox": tmp_path / "outbox.db",
        "inbox": tmp_path / "inbox.db",
        "sms": tmp_path / "sms.db",
    }
    command = [sys.executable, "-m", "scripts.retention", *(f"--{flag}={path}" for flag, path in stores.items()), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def old_and_new_tickets(tmp_path: Path) -> None:
    """One ticket 40 days old and one from today, in the outbox and in the inbox."""
    outbox, inbox = Outbox(str(tmp_path / "outbox.db")), TicketStore(str(tmp_path / "inbox.db"))
    for days in (40, 0):
        created = datetime.now(timezone.utc) - timedelta(days=days)
        ticket = make_ticket(created_at=created.strftime("%Y-%m-%dT%H:%M:%SZ"))
        outbox.add(ticket)
        inbox.add(ticket)
    with closing(sqlite3.connect(tmp_path / "outbox.db")) as db, db:  # the outbox stamps its own time on add
        db.execute("UPDATE outbox SET created_at = ? WHERE rowid = 1", (time.time() - 40 * DAY,))


def test_retention_deletes_conversations_and_tickets_older_than_n_days(tracker_db, tmp_path):
    old_and_new_tickets(tmp_path)
    dry = retention(tmp_path, tracker_db, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would delete 1 conversations, 1 outbox tickets, 1 inbox tickets, 0 SMS lists" in dry.stdout
    assert senders(tracker_db) == {"old", "recent", "old-then-back"}
    done = retention(tmp_path, tracker_db)
    assert done.returncode == 0 and "deleted 1 conversations, 1 outbox tickets, 1 inbox tickets" in done.stdout
    assert senders(tracker_db) == {"recent", "old-then-back"}
    assert Outbox(str(tmp_path / "outbox.db")).counts()["waiting"] == 1
    assert len(TicketStore(str(tmp_path / "inbox.db")).tickets("all")) == 1
    assert retention(tmp_path, tracker_db, "--days", "1").returncode == 0
    assert senders(tracker_db) == set()


@pytest.mark.parametrize("days", ["0", "-3", "thirty"])
def test_retention_refuses_a_bad_number_of_days(tracker_db, tmp_path, days):
    result = retention(tmp_path, tracker_db, "--days", days)
    assert result.returncode == 2 and "days" in result.stderr
    assert senders(tracker_db) == {"old", "recent", "old-then-back"}
