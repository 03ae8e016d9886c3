"""Rasa's REST channel (POST /webhooks/rest/webhook), strict about what it accepts: a JSON object with a `sender`
and a `message`, both text. Anything else gets a clear 4xx with a JSON `error`, never a 500, and every readable
message gets an answer (channels/guard.py). Used by the terminal chat, the tests and the benchmark."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.guard import MAX_SENDER_CHARS, Handler, ReplyGuard, clean_text, odd_message_reply, valid_sender_id

MAX_BODY_BYTES = 64 * 1024  # far more than MAX_MESSAGE_CHARS of any script needs


class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RestMessage:
    sender: str
    text: str
    metadata: Optional[Dict[str, Any]]


def parse_body(body: bytes) -> RestMessage:
    """The request body as a message, or BadRequest saying what is wrong with it."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"The request body is larger than {MAX_BODY_BYTES} bytes.", status=413)
    if not body.strip():
        raise BadRequest('The request body is empty: send JSON like {"sender": "id", "message": "text"}.')
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8.") from None
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise BadRequest("The request body must be a JSON object.")
    sender, text, metadata = payload.get("sender"), payload.get("message"), payload.get("metadata")
    if not valid_sender_id(sender):
        raise BadRequest(f'"sender" must be a string of 1 to {MAX_SENDER_CHARS} printable characters.')
    if not isinstance(text, str):
        raise BadRequest('"message" must be a string.')
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest('"metadata" must be a JSON object when given.')
    return RestMessage(sender, clean_text(text), metadata)


class RestInput(InputChannel):
    """POST /webhooks/rest/webhook -> a JSON list of the bot's replies."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        guard = ReplyGuard()
        webhook = Blueprint("rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                message = parse_body(request.body or b"")
            except BadRequest as error:
                return response.json({"error": str(error)}, status=error.status)
            odd = odd_message_reply(message.text)
            if odd:  # readable but not answerable: the person is told what to do
                return response.json([{"recipient_id": message.sender, "text": odd}])
            collector = CollectingOutputChannel()
            user_message = UserMessage(
                message.text, collector, message.sender, input_channel=self.name(), metadata=message.metadata
            )
            await guard.answer(on_new_message, user_message)
            return response.json(list(collector.messages))

        return webhook
