"""Helpers for the SMS tests: a local fake of Twilio's Messages API, a restartable Rasa server, and a fake phone
that texts the signed Twilio webhook. The fixtures that start them are in conftest.py."""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional
from urllib.parse import parse_qs

import requests
from twilio.request_validator import RequestValidator

from tests.conftest import ROOT
from tests.servers import RasaServer, project_env

LOGS = ROOT / "results" / "sms"
ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-not-a-secret"
TWILIO_NUMBER = "+12025550100"
# the public address Twilio would sign: deliberately not the loopback address the server listens on
WEBHOOK_URL = "https://sms.example.test/webhooks/twilio/webhook"
SENDER_ID_KEY = "test-sender-id-key"
REPLY_TIMEOUT = 30  # seconds to wait for an SMS reply
QUIET = 3.0  # seconds without an SMS before deciding there is no reply
SETTLE = 1.0  # seconds without a further SMS before deciding a reply is complete
TWILIO_NAMES = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_NUMBER", "TWILIO_WEBHOOK_URL", "SMS_SENDER_ID_KEY")
# what credentials.yml needs for SMS (the README says the same)
CREDENTIALS_ENTRY = (
    "# SMS through Twilio (channels/sms/). Its settings are environment variables (README, SMS), not ${VAR}s here:\n"
    "# Rasa 3.6 will not start when a ${VAR} in this file is unset, and the server must start without SMS.\n"
    "channels.sms.webhook.SmsInput:\n"
)

_numbers = itertools.count(101)
USED_NUMBERS: List[str] = []  # every fake phone number a test used, for the log scan


def new_number() -> str:
    """A fictional US number (202-555-01xx), different for each test."""
    number = f"+1202555{next(_numbers):04d}"
    USED_NUMBERS.append(number)
    return number


def base_env() -> Dict[str, str]:
    """No Twilio settings; stores and logs in results/sms/, tickets to a closed local port."""
    return project_env(LOGS)


class FakeTwilio:
    """A local stand-in for Twilio's Messages API: records every SMS the assistant sends, answers 201."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.sent: List[Dict[str, str]] = []
        self.refused = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
                if self.path != fake.path or self.headers.get("Authorization") != fake.auth:
                    with fake._lock:
                        fake.refused += 1
                    return self._reply(401 if self.path == fake.path else 404, {"message": "refused"})
                with fake._lock:
                    fake.sent.append(form)
                sid = "SM" + uuid.uuid4().hex
                self._reply(201, {"sid": sid, "account_sid": account_sid, "to": form.get("To"), "status": "queued"})

            def _reply(self, status: int, payload: Dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sent_to(self, number: str) -> List[str]:
        with self._lock:
            return [m["Body"] for m in self.sent if m.get("To") == number]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Phone:
    """One fake phone texting the assistant through the signed Twilio webhook, and reading its replies."""

    def __init__(self, server: RasaServer, fake: FakeTwilio, number: Optional[str] = None) -> None:
        self.server, self.fake = server, fake
        self.number = number or new_number()
        self.seen = 0

    def form(self, body: Optional[str] = "", **fields: str) -> Dict[str, str]:
        """The fields Twilio posts for an incoming SMS, blank ones included as Twilio sends them."""
        form = {
            "ToCountry": "US",
            "ToState": "DC",
            "SmsMessageSid": "SM" + uuid.uuid4().hex,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": "SM" + uuid.uuid4().hex,
            "FromState": "DC",
            "SmsStatus": "received",
            "FromCity": "",
            "FromCountry": "US",
            "To": TWILIO_NUMBER,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": ACCOUNT_SID,
            "From": self.number,
            "ApiVersion": "2010-04-01",
        }
        if body is not None:
            form["Body"] = body
        form.update(fields)
        return form

    def post(self, form: Dict[str, str], signature: Optional[str] = "sign") -> requests.Response:
        headers = {}
        if signature == "sign":
            headers["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature(WEBHOOK_URL, form)
        elif signature is not None:
            headers["X-Twilio-Signature"] = signature
        return requests.post(f"{self.server.url}/webhooks/twilio/webhook", data=form, headers=headers, timeout=60)

    def text(self, body: Optional[str], **fields: str) -> requests.Response:
        response = self.post(self.form(body, **fields))
        assert response.status_code == 200, response.text
        return response

    def new_replies(self, expect: bool = True) -> List[str]:
        """The SMS sent to this phone since last asked. Expecting some: wait for the first, then until SETTLE s
        pass with no more. Expecting none: wait QUIET s."""
        deadline = time.monotonic() + (REPLY_TIMEOUT if expect else QUIET)
        while time.monotonic() < deadline and len(self.fake.sent_to(self.number)) == self.seen:
            time.sleep(0.2)
        count = -1
        while expect and count != len(self.fake.sent_to(self.number)):
            count = len(self.fake.sent_to(self.number))
            time.sleep(SETTLE)
        replies = self.fake.sent_to(self.number)[self.seen :]
        self.seen += len(replies)
        if expect:
            assert replies, f"no SMS reply within {REPLY_TIMEOUT}s"
        return replies

    def ask(self, body: Optional[str], **fields: str) -> List[str]:
        self.text(body, **fields)
        return self.new_replies()


def numbered_list(text: str) -> List[str]:
    """The choices of the numbered list at the end of a reply, in order."""
    return re.findall(r"^(\d+)\. (.+)$", text, flags=re.MULTILINE)
