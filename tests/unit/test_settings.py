"""Settings: one module reads the environment, every setting is documented in .env.example with its default, run.sh
takes its values from that module, and every make verb reads .env."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from actions.outbox import Outbox
from service.settings import Settings
from tests.conftest import ROOT
from tests.inbox.support import make_ticket
from tests.receiver import Receiver

CODE = ["actions", "channels", "inbox", "nlu_components", "replicas", "scripts", "service", "spacy_pipeline"]
RASA_OWN = {"TICKET_LOCK_LIFETIME"}  # documented for people, read by Rasa itself


def documented() -> dict:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", text, re.MULTILINE))


def test_every_setting_is_in_env_example_with_its_default():
    example = documented()
    assert set(example) - RASA_OWN == {name.upper() for name in Settings.__fields__}
    for name, field in Settings.__fields__.items():
        default = str(field.default).lower() if isinstance(field.default, bool) else str(field.default)
        assert example[name.upper()] == default, name


def test_env_example_is_readable_by_make_and_the_shell():
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*=[^\s$#'\"]*", line), line


def test_no_module_but_the_settings_module_reads_the_environment():
    readers = [
        str(path.relative_to(ROOT))
        for folder in CODE
        for path in (ROOT / folder).rglob("*.py")
        if re.search(r"\benviron\b|getenv|BaseSettings", path.read_text(encoding="utf-8"))
    ]
    assert readers == ["service/settings.py"]
    run_script = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert not re.search(r"\$\{[A-Z_]+:-", run_script), "run.sh has a default of its own"


def shell_exports(**environment: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "service.settings", "shell-exports"]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


def test_run_sh_gets_every_setting_and_the_webhook_follows_the_inbox_port():
    result = shell_exports(INBOX_PORT="9123", LOG_DIR="/tmp/a folder")
    exports = dict(re.findall(r"^export ([A-Z_]+)=(.*)$", result.stdout, re.MULTILINE))
    assert set(exports) == {name.upper() for name in Settings.__fields__}
    assert exports["TRIAGE_WEBHOOK_URL"] == "http://127.0.0.1:9123/tickets"
    assert exports["LOG_DIR"] == "'/tmp/a folder'" and exports["ENABLE_API"] == "false"
    given = shell_exports(INBOX_PORT="9123", TRIAGE_WEBHOOK_URL="https://cc.example/hook")
    assert "export TRIAGE_WEBHOOK_URL=https://cc.example/hook" in given.stdout


def test_a_wrong_setting_stops_run_sh_naming_it():
    result = shell_exports(RETENTION_DAYS="0")
    assert result.returncode == 2 and "retention_days" in result.stderr and result.stdout == ""


def make(env_file: Path, verb: str) -> subprocess.CompletedProcess:
    command = ["make", "--no-print-directory", "-s", f"ENV_FILE={env_file}", verb]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_make_retention_and_make_flush_outbox_read_the_env_file(tmp_path):
    outbox = tmp_path / "outbox.db"
    Outbox(str(outbox)).add(make_ticket())
    with Receiver() as receiver:
        env_file = tmp_path / ".env"
        stores = {"TRACKER_DB": "trackers.db", "INBOX_DB": "inbox.db", "SMS_STORE_PATH": "sms.db"}
        lines = [f"{name}={tmp_path / file}" for name, file in stores.items()]
        lines += ["RETENTION_DAYS=7", f"TRIAGE_OUTBOX_PATH={outbox}", f"TRIAGE_WEBHOOK_URL={receiver.url}"]
        env_file.write_text("\n".join(lines) + "\n")
        retention = make(env_file, "retention")
        assert retention.returncode == 0, retention.stderr
        assert "Older than 7 days: deleted 0 conversations" in retention.stdout
        flush = make(env_file, "flush-outbox")
        assert flush.returncode == 0, flush.stderr
        assert "delivered 1, still waiting 0" in flush.stdout and len(receiver.tickets) == 1
    assert {path.name for path in tmp_path.iterdir()} >= {"inbox.db", "sms.db", "outbox.db"}
