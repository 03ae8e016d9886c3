"""The Twilio SMS webhook: checks Twilio's signature, keeps phone numbers out of Rasa and the logs (Rasa sees a
keyed hash), obeys STOP/START/HELP, and reads a number sent back as the choice from the last numbered list."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Optional
from urllib.parse import parse_qs

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.guard import ReplyGuard, clean_text, too_long
from channels.sms.sending import SmsOutput, make_client
from channels.sms.settings import SmsSettings
from channels.sms.store import SmsStore
from channels.sms.wording import SmsMessages, chosen_number, keyword, load_messages
from service.privacy import keyed_hash

logger = logging.getLogger(__name__)

MAX_FORM_BYTES = 64 * 1024  # a webhook call from Twilio is a few kilobytes
KNOWN_NUMBERS = 10_000  # hashed sender id -> phone number, in memory only, for replies sent outside a webhook call
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def hashed_sender_id(number: str, key: bytes) -> str:
    """The sender id Rasa sees for a phone number: a keyed hash, so the number itself never reaches Rasa."""
    return "sms-" + keyed_hash(number.strip(), key, 32)


class WebhookForm(Dict[str, List[str]]):
    """The webhook's form fields with blank ones kept: Twilio signs those too, and Sanic's request.form drops them."""

    @classmethod
    def parse(cls, body: bytes) -> WebhookForm:
        return cls(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))

    def getall(self, name: str) -> List[str]:  # what twilio's RequestValidator reads repeated fields with
        return self[name]

    def first(self, name: str) -> str:
        return (self.get(name) or [""])[0]


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
                "TWILIO_WEBHOOK_URL",
            )
        if not self.settings.sender_id_key:
            logger.warning(
                "%s is not set: sender ids use a key generated and kept in %s. Set it in production and keep it: "
                "a new key forgets every opt-out.",
                "SMS_SENDER_ID_KEY",
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
