"""Sending SMS through Twilio's REST API: a client with timeouts, and the output channel that turns the
assistant's buttons into a numbered list and sends nothing to a number that opted out."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Mapping

from rasa.core.channels.channel import OutputChannel
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from channels.sms.settings import SmsSettings
from channels.sms.store import SmsStore
from channels.sms.wording import SmsMessages, render_menu, split_for_sms

logger = logging.getLogger(__name__)

SEND_TIMEOUT = 10  # seconds for one Twilio API call


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
