"""Fixtures for the SMS tests: the real action server, a local fake of Twilio's Messages API, and Rasa with the SMS
channel, each on a free loopback port, logging to results/sms/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import ActionServer, RasaServer, fresh_dir, snapshot_model
from tests.sms.support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CREDENTIALS_ENTRY,
    LOGS,
    SENDER_ID_KEY,
    TWILIO_NUMBER,
    WEBHOOK_URL,
    FakeTwilio,
    Phone,
    base_env,
)


@pytest.fixture(scope="session")
def sms_logs() -> Path:
    return fresh_dir(LOGS)


@pytest.fixture(scope="session")
def action_server(sms_logs: Path):
    """The real action server."""
    server = ActionServer("actions", sms_logs, base_env())
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def model(tmp_path_factory) -> Path:
    """The trained model, copied once: every Rasa server in the session runs the same one."""
    return snapshot_model(tmp_path_factory.mktemp("model") / "immuno.tar.gz")


@pytest.fixture(scope="session")
def fake_twilio():
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def sms_store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sms-store") / "sms.db"


@pytest.fixture(scope="module")
def sms_server(action_server: ActionServer, model: Path, fake_twilio: FakeTwilio, sms_logs: Path, sms_store: Path):
    """Rasa with the SMS channel configured to talk to the fake Twilio."""
    credentials = sms_logs / "credentials.yml"
    credentials.write_text("channels.rest.RestInput:\n" + CREDENTIALS_ENTRY)
    env = base_env()
    env.update(
        {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_NUMBER": TWILIO_NUMBER,
            "TWILIO_WEBHOOK_URL": WEBHOOK_URL,
            "TWILIO_API_BASE_URL": fake_twilio.url,
            "SMS_SENDER_ID_KEY": SENDER_ID_KEY,
            "SMS_STORE_PATH": str(sms_store),
        }
    )
    server = RasaServer("rasa-sms", sms_logs, env, model, credentials, action_server, extra=["--debug"])
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def phone(sms_server: RasaServer, fake_twilio: FakeTwilio) -> Phone:
    return Phone(sms_server, fake_twilio)
