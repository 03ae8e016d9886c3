"""Without the Twilio settings, `rasa run` with the project's credentials still starts: the REST channel answers
and the SMS webhook refuses with 503, saying why once in the log."""

from __future__ import annotations

import pytest
import requests

from actions.content import load_content
from tests.conftest import ROOT
from tests.servers import RasaServer
from tests.sms.support import LOGS, TWILIO_NAMES, Phone, base_env

HOW_GIVEN = load_content().topics["ask_how_given"]


@pytest.fixture(scope="module")
def unconfigured_server(action_server, model):
    """Rasa with the project's own credentials.yml and no SMS settings."""
    path = ROOT / "credentials.yml"
    assert "channels.sms.webhook.SmsInput" in path.read_text(encoding="utf-8")
    env = base_env()
    assert not set(TWILIO_NAMES) & set(env)
    server = RasaServer("rasa-no-sms", LOGS, env, model, path, action_server)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def test_the_rest_channel_still_answers(unconfigured_server):
    response = requests.post(
        f"{unconfigured_server.url}/webhooks/rest/webhook",
        json={"sender": "no-sms-settings", "message": "how is immunotherapy given?"},
        timeout=30,
    )
    assert response.status_code == 200
    assert any(HOW_GIVEN.answer.web in reply.get("text", "") for reply in response.json())


def test_the_sms_webhook_refuses_with_503_and_the_log_says_why_once(unconfigured_server, fake_twilio):
    phone = Phone(unconfigured_server, fake_twilio)
    for _ in range(2):
        assert phone.post(phone.form("how is immunotherapy given?")).status_code == 503
    health = requests.get(f"{unconfigured_server.url}/webhooks/twilio/", timeout=10).json()
    assert health == {"status": "ok", "configured": False}
    log = unconfigured_server.logs[-1].read_text(encoding="utf-8")
    assert log.count("SMS is not configured") == 1
    assert "TWILIO_ACCOUNT_SID is not set" in log
    assert phone.new_replies(expect=False) == []
