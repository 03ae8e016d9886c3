"""SMS through Twilio: checks Twilio's signature, keeps phone numbers out of Rasa and the logs, obeys
STOP/START/HELP, and turns buttons into a numbered list a person answers with a number.

Set-up: list `channels.sms.SmsInput:` in credentials.yml; the settings come from environment variables (see
`SETTINGS`). Without them the server still starts and the SMS webhook answers 503.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import sqlite3
from collections import OrderedDict
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, FrozenSet, List, Mapping, Optional
from urllib.parse import parse_qs, urlparse

import yaml
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.guard import ReplyGuard, clean_text, too_long

logger = logging.getLogger(__name__)

MESSAGES_FILE = Path(__file__).parent / "sms_messages.yml"
DEFAULT_STORE = Path(__file__).resolve().parent.parent / "data_store" / "sms.db"
DEFAULT_API_BASE_URL = "https://api.twilio.com"
# setting -> environment variable; a non-empty value of the same name in credentials.yml wins
SETTINGS = {
    "account_sid": "TWILIO_ACCOUNT_SID",
    "auth_token": "TWILIO_AUTH_TOKEN",
    "twilio_number": "TWILIO_NUMBER",
    "webhook_url": "TWILIO_WEBHOOK_URL",
    "api_base_url": "TWILIO_API_BASE_URL",
    "sender_id_key": "SMS_SENDER_ID_KEY",
    "store_path": "SMS_STORE_PATH",
}
REQUIRED = ("account_sid", "auth_token", "twilio_number")
MAX_FORM_BYTES = 64 * 1024  # a webhook call from Twilio is a few kilobytes
TWILIO_BODY_LIMIT = 1600  # Twilio refuses a longer outgoing body
SEND_TIMEOUT = 10  # seconds for one Twilio API call
KNOWN_NUMBERS = 10_000  # hashed sender id -> phone number, in memory only, for replies sent outside a webhook call
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
CHOICE = re.compile(r"^#?(\d{1,2})[.)]?$")


# ---- settings and wording -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsSettings:
    """Everything the channel needs from outside, read in one place."""

    account_sid: str = ""
    auth_token: str = ""
    twilio_number: str = ""
    webhook_url: str = ""  # the public address Twilio posts to; empty: the address the request arrived at
    api_base_url: str = DEFAULT_API_BASE_URL
    sender_id_key: str = ""  # empty: a key generated once and kept in the store
    store_path: Path = DEFAULT_STORE

    @classmethod
    def load(
        cls, credentials: Optional[Mapping[str, Any]] = None, environ: Optional[Mapping[str, str]] = None
    ) -> SmsSettings:
        credentials = credentials or {}
        environ = os.environ if environ is None else environ
        values: Dict[str, str] = {}
        for name, variable in SETTINGS.items():
            value = str(credentials.get(name) or "").strip()
            if value.startswith("${"):
                # Rasa leaves a quoted ${VAR} as it is; an unquoted unset one stops `rasa run` instead.
                logger.warning("credentials.yml: `%s` is %s, not expanded: using $%s.", name, value, variable)
                value = ""
            values[name] = value or environ.get(variable, "").strip()
        return cls(
            account_sid=values["account_sid"],
            auth_token=values["auth_token"],
            twilio_number=values["twilio_number"],
            webhook_url=values["webhook_url"],
            api_base_url=(values["api_base_url"] or DEFAULT_API_BASE_URL).rstrip("/"),
            sender_id_key=values["sender_id_key"],
            store_path=Path(values["store_path"]) if values["store_path"] else DEFAULT_STORE,
        )

    def problems(self) -> List[str]:
        """Why SMS cannot run with these settings; empty when it can."""
        found = [f"{SETTINGS[name]} is not set" for name in REQUIRED if not getattr(self, name)]
        api = urlparse(self.api_base_url)
        if not api.hostname or not (api.scheme == "https" or (api.scheme == "http" and _is_loopback(api.hostname))):
            # plain http would send the auth token in clear; it is only for a local fake in tests
            found.append(f"{SETTINGS['api_base_url']} must be an https address (http only on loopback)")
        return found


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmsMessages:
    """The wording and keywords from sms_messages.yml."""

    replies: Mapping[str, str]
    keywords: Mapping[str, FrozenSet[str]]
    menu_header: str
    menu_item: str
    menu_separator: str


REPLIES = ("help", "stop", "start", "empty", "media", "too_long", "not_in_list", "error")
KEYWORDS = ("help", "stop", "start")


@cache
def load_messages(path: Path = MESSAGES_FILE) -> SmsMessages:
    """Read and check the SMS wording once per process."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    replies = data.get("replies") or {}
    keywords = data.get("keywords") or {}
    menu = data.get("menu") or {}
    problems = [f"replies: `{name}` is missing" for name in REPLIES if not isinstance(replies.get(name), str)]
    problems += [f"keywords: `{name}` needs a list of words" for name in KEYWORDS if not keywords.get(name)]
    problems += [f"menu: `{name}` is missing" for name in ("header", "item", "separator") if name not in menu]
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return SmsMessages(
        replies={name: str(replies[name]).strip() for name in REPLIES},
        keywords={name: frozenset(str(word).upper() for word in keywords[name]) for name in KEYWORDS},
        menu_header=str(menu["header"]),
        menu_item=str(menu["item"]),
        menu_separator=str(menu["separator"]),
    )


# ---- the pure parts ---------------------------------------------------------------------------------------------


def keyword(text: str, messages: SmsMessages) -> Optional[str]:
    """Which keyword the whole message is ("help", "stop" or "start"), if it is one."""
    word = text.strip().rstrip(".!").strip().upper()
    return next((name for name in KEYWORDS if word in messages.keywords[name]), None)


def chosen_number(text: str) -> Optional[int]:
    """The number in a reply that is only a number ("2", "2.", "#2"), else None."""
    match = CHOICE.match(text.strip())
    return int(match.group(1)) if match else None


def render_menu(text: str, buttons: List[Dict[str, Any]], messages: SmsMessages) -> tuple[str, List[str]]:
    """The text with its buttons as a numbered list after it, and the payloads in list order."""
    choices = [b for b in buttons if b.get("title") and b.get("payload")]
    if not choices:
        return text, []
    items = [messages.menu_item.format(number=n, title=b["title"]) for n, b in enumerate(choices, start=1)]
    menu = messages.menu_separator.join([messages.menu_header, *items])
    body = f"{text.strip()}\n\n{menu}" if text and text.strip() else menu
    return body, [str(b["payload"]) for b in choices]


def split_for_sms(text: str, limit: int = TWILIO_BODY_LIMIT) -> List[str]:
    """The text in parts Twilio accepts, cut at a line break, sentence end or space where possible."""
    parts, rest = [], text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cuts = (window.rfind("\n"), window.rfind(". ") + 1, window.rfind(" "), limit)
        cut = next(c for c in cuts if c > limit // 2)  # the first kind of break found in the second half
        parts.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return parts + [rest] if rest else parts


def hashed_sender_id(number: str, key: bytes) -> str:
    """The sender id Rasa sees for a phone number: a keyed hash, so the number itself never reaches Rasa."""
    return "sms-" + hmac.new(key, number.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:32]


class WebhookForm(Dict[str, List[str]]):
    """The webhook's form fields with blank ones kept: Twilio signs those too, and Sanic's request.form drops them."""

    @classmethod
    def parse(cls, body: bytes) -> WebhookForm:
        return cls(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))

    def getall(self, name: str) -> List[str]:  # what twilio's RequestValidator reads repeated fields with
        return self[name]

    def first(self, name: str) -> str:
        return (self.get(name) or [""])[0]


# ---- the store --------------------------------------------------------------------------------------------------


class SmsStore:
    """Opt-outs, each sender's last numbered list, and the generated sender-id key, in SQLite.

    It holds hashed sender ids, never phone numbers. The file is created on first use, readable by its owner only.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch(mode=0o600, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=5)) as connection, connection:
                connection.executescript(
                    """
                    CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS opt_outs (sender_id TEXT PRIMARY KEY, since TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS menus (sender_id TEXT PRIMARY KEY, payloads TEXT NOT NULL);
                    """
                )
            self._ready = True
        return sqlite3.connect(self.path, timeout=5)

    def _run(self, sql: str, *args: Any) -> List[tuple]:
        with closing(self._connect()) as connection, connection:
            return connection.execute(sql, args).fetchall()

    def sender_id_key(self) -> bytes:
        """The key generated the first time it was asked for, the same ever after."""
        self._run("INSERT OR IGNORE INTO settings VALUES ('sender_id_key', ?)", secrets.token_hex(32))
        return self._run("SELECT value FROM settings WHERE name = 'sender_id_key'")[0][0].encode("utf-8")

    def opt_out(self, sender_id: str) -> None:
        self._run("INSERT OR IGNORE INTO opt_outs VALUES (?, datetime('now'))", sender_id)

    def opt_in(self, sender_id: str) -> None:
        self._run("DELETE FROM opt_outs WHERE sender_id = ?", sender_id)

    def is_opted_out(self, sender_id: str) -> bool:
        return bool(self._run("SELECT 1 FROM opt_outs WHERE sender_id = ?", sender_id))

    def set_menu(self, sender_id: str, payloads: List[str]) -> None:
        self._run("INSERT OR REPLACE INTO menus VALUES (?, ?)", sender_id, json.dumps(payloads))

    def menu(self, sender_id: str) -> List[str]:
        rows = self._run("SELECT payloads FROM menus WHERE sender_id = ?", sender_id)
        return json.loads(rows[0][0]) if rows else []

    def clear_menu(self, sender_id: str) -> None:
        self._run("DELETE FROM menus WHERE sender_id = ?", sender_id)


# ---- Twilio -----------------------------------------------------------------------------------------------------


def make_client(settings: SmsSettings) -> Client:
    """A Twilio REST client with timeouts, sending to settings.api_base_url."""
    http_client = TwilioHttpClient(timeout=SEND_TIMEOUT, max_retries=2)  # retries failed connections only
    client = Client(settings.account_sid, settings.auth_token, http_client=http_client)
    # twilio 8.2.2 builds every Messages URL from this domain's base_url (twilio/base/domain.py)
    client.api.base_url = settings.api_base_url
    return client


class SmsOutput(OutputChannel):
    """Sends the assistant's messages by SMS: buttons as a numbered list, nothing to a number that opted out."""

    @classmethod
    def name(cls) -> str:
        return "twilio"

    def __init__(
        self, client: Client, from_number: str, numbers: Mapping[str, str], store: SmsStore, messages: SmsMessages
    ) -> None:
        self.client = client
        self.from_number = from_number
        self.numbers = numbers
        self.store = store
        self.messages = messages

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_for_sms(text):
            await self._send(recipient_id, part)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        body, payloads = render_menu(text, buttons, self.messages)
        if payloads:
            self.store.set_menu(recipient_id, payloads)
        await self.send_text_message(recipient_id, body)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, image)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        logger.debug("A custom message is not sent by SMS (sender %s).", recipient_id)

    async def send_notice(self, recipient_id: str, text: str) -> None:
        """Send even to a number that opted out: the STOP confirmation and the HELP reply."""
        await self._send(recipient_id, text, even_if_opted_out=True)

    async def _send(self, recipient_id: str, body: str, even_if_opted_out: bool = False) -> None:
        number = self.numbers.get(recipient_id)
        if number is None:
            logger.warning("No phone number is known for SMS sender %s: message not sent.", recipient_id)
            return
        if not even_if_opted_out and self.store.is_opted_out(recipient_id):
            logger.info("SMS sender %s has opted out: message not sent.", recipient_id)
            return
        try:
            await asyncio.to_thread(self.client.messages.create, to=number, from_=self.from_number, body=body)
        except TwilioRestException as error:
            # not error.msg: Twilio's messages can contain the phone number
            logger.error(
                "Twilio refused an SMS to sender %s: HTTP %s, error %s.", recipient_id, error.status, error.code
            )
        except Exception as error:  # a failed send must not stop the conversation
            logger.error("Could not send an SMS to sender %s: %s.", recipient_id, type(error).__name__)


# ---- the webhook ------------------------------------------------------------------------------------------------


class SmsInput(TwilioInput):
    """The Twilio SMS webhook at /webhooks/twilio/webhook.

    Named "twilio" like Rasa's own channel, so actions give SMS answers. Every request must carry a valid
    X-Twilio-Signature for the public webhook address. Rasa sees a keyed hash of the phone number as the sender id.
    """

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> SmsInput:
        return cls(SmsSettings.load(credentials))

    def __init__(self, settings: SmsSettings, messages: Optional[SmsMessages] = None) -> None:
        super().__init__(settings.account_sid, settings.auth_token, settings.twilio_number, debug_mode=False)
        self.settings = settings
        self.messages = messages or load_messages()
        self.store = SmsStore(settings.store_path)
        self._numbers: OrderedDict[str, str] = OrderedDict()
        self._client: Optional[Client] = None
        self._key: Optional[bytes] = None
        self._guard: Optional[ReplyGuard] = None

    @property
    def configured(self) -> bool:
        return not self.settings.problems()

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    def sender_id(self, number: str) -> str:
        """The hashed sender id for a number, remembering the number in memory so replies can reach it."""
        if self._key is None:
            self._key = self.settings.sender_id_key.encode("utf-8") or self.store.sender_id_key()
        sender = hashed_sender_id(number, self._key)
        self._numbers[sender] = number
        self._numbers.move_to_end(sender)
        while len(self._numbers) > KNOWN_NUMBERS:
            self._numbers.popitem(last=False)
        return sender

    @property
    def guard(self) -> ReplyGuard:
        if self._guard is None:
            self._guard = ReplyGuard()
        return self._guard

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        self._log_set_up()
        _ = self.guard  # sets Rasa's action timeout at start-up
        webhook = Blueprint("sms_twilio_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.configured})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return webhook

    def _log_set_up(self) -> None:
        problems = self.settings.problems()
        if problems:
            logger.warning("SMS is not configured (%s): the SMS webhook answers 503.", "; ".join(problems))
            return
        if not self.settings.webhook_url:
            logger.warning(
                "%s is not set: Twilio signatures are checked against the address requests arrive at, "
                "which fails behind a proxy. Set it to the webhook address configured in Twilio.",
                SETTINGS["webhook_url"],
            )
        if not self.settings.sender_id_key:
            logger.warning(
                "%s is not set: sender ids use a key generated and kept in %s. Set it in production and keep it: "
                "a new key forgets every opt-out.",
                SETTINGS["sender_id_key"],
                self.settings.store_path,
            )

    def _signed(self, request: Request, form: WebhookForm) -> bool:
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return False
        url = self.settings.webhook_url or request.url
        return RequestValidator(self.settings.auth_token).validate(url, form, signature)

    async def handle(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        """Answer one Twilio webhook call: refuse it, or reply by SMS and return empty TwiML."""
        if not self.configured:
            return response.text("SMS is not configured on this server.", status=503)
        if len(request.body or b"") > MAX_FORM_BYTES:
            return response.text("Request body too large", status=413)
        form = WebhookForm.parse(request.body or b"")
        if not self._signed(request, form):
            logger.warning("Refused an SMS webhook request without a valid Twilio signature.")
            return response.text("Forbidden", status=403)
        number = form.first("From").strip()
        if not number:
            return response.text("Missing From", status=400)
        sender = self.sender_id(number)
        output = SmsOutput(self.client, self.settings.twilio_number, {sender: number}, self.store, self.messages)
        try:
            await self._answer(form, sender, output, on_new_message)
        except Exception:
            logger.exception("Could not answer an SMS from sender %s.", sender)
            await output.send_text_message(sender, self.messages.replies["error"])
        return response.text(EMPTY_TWIML, content_type="text/xml")

    async def _answer(
        self,
        form: WebhookForm,
        sender: str,
        output: SmsOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        replies = self.messages.replies
        text = clean_text(form.first("Body").replace("¡", "@"))  # some carriers turn @ into ¡
        command = keyword(text, self.messages)
        if command == "stop":
            self.store.opt_out(sender)
            self.store.clear_menu(sender)
            logger.info("SMS sender %s opted out.", sender)
            if replies["stop"]:
                await output.send_notice(sender, replies["stop"])
            return
        if command == "start":
            self.store.opt_in(sender)
            logger.info("SMS sender %s opted back in.", sender)
            await output.send_text_message(sender, replies["start"])
            return
        if command == "help":
            await output.send_notice(sender, replies["help"])
            return
        if self.store.is_opted_out(sender):
            logger.info("Ignored an SMS from sender %s, who has opted out.", sender)
            return
        if not text:
            media = form.first("NumMedia").strip()
            sent_media = (media.isdigit() and int(media) > 0) or bool(form.first("Latitude"))
            await output.send_text_message(sender, replies["media" if sent_media else "empty"])
            return
        if too_long(text):  # a possible emergency is always answered
            await output.send_text_message(sender, replies["too_long"])
            return
        choice = chosen_number(text)
        menu = self.store.menu(sender) if choice is not None else []
        if choice is not None and menu:
            if not 1 <= choice <= len(menu):
                await output.send_text_message(sender, replies["not_in_list"].format(count=len(menu)))
                return
            text = menu[choice - 1]
        self.store.clear_menu(sender)  # a reply's own list, if it has one, replaces it
        message = UserMessage(text, output, sender, input_channel=self.name())
        await self.guard.answer(on_new_message, message, replies["error"])

    def get_output_channel(self) -> Optional[OutputChannel]:  # type: ignore[override]
        """For messages sent outside a webhook call; reaches numbers seen since the server started."""
        if not self.configured:
            return None  # Rasa then collects the messages instead
        return SmsOutput(self.client, self.settings.twilio_number, self._numbers, self.store, self.messages)
