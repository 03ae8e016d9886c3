"""Settings and privacy: every setting documented in .env.example, no secret in the repository, the greeting
telling people how long their messages are kept, and the retention command on a real SQLite tracker store."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.sms import SETTINGS as SMS_SETTINGS
from scripts.retention import DEFAULT_DAYS
from tests.conftest import ROOT

CODE = ["actions", "channels", "inbox", "nlu_components", "scripts", "spacy_pipeline"]
READ = re.compile(r"""(?:environ|env)(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""")


def settings_read_by_the_code() -> set:
    names = set(SMS_SETTINGS.values())
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(READ.findall(path.read_text(encoding="utf-8")))
    names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+):-", (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")))
    return names


def test_every_setting_is_documented_in_env_example():
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    read = settings_read_by_the_code()
    assert len(read) > 20
    assert read - documented == set()


def committed_files() -> list:
    """Files in the repository, and new ones git would take (not ignored)."""
    command = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / name for name in listed.splitlines() if (ROOT / name).is_file()]


SECRET_PATTERNS = {
    "Twilio account SID": re.compile(r"\bAC[0-9a-f]{32}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "secret assigned": re.compile(
        r"^(?:RASA_API_TOKEN|RASA_JWT_SECRET|TWILIO_AUTH_TOKEN|TRIAGE_WEBHOOK_TOKEN|SENDER_HASH_KEY|SMS_SENDER_ID_KEY)"
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


def retention(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scripts.retention", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_retention_deletes_conversations_older_than_n_days(tracker_db, tmp_path):
    outbox, inbox = tmp_path / "outbox.db", tmp_path / "inbox.db"
    dry = retention("--db", str(tracker_db), "--outbox", str(outbox), "--inbox", str(inbox), "--dry-run")
    assert dry.returncode == 0 and "would delete 1 conversations" in dry.stdout
    assert senders(tracker_db) == {"old", "recent", "old-then-back"}
    done = retention("--db", str(tracker_db), "--outbox", str(outbox), "--inbox", str(inbox))
    assert done.returncode == 0 and "deleted 1 conversations" in done.stdout
    assert senders(tracker_db) == {"recent", "old-then-back"}
    assert retention("--db", str(tracker_db), "--days", "1").returncode == 0
    assert senders(tracker_db) == set()


@pytest.mark.parametrize("days", ["0", "-3", "thirty"])
def test_retention_refuses_a_bad_number_of_days(tracker_db, days):
    result = retention("--db", str(tracker_db), "--days", days)
    assert result.returncode == 2 and "days" in result.stderr
    assert senders(tracker_db) == {"old", "recent", "old-then-back"}
