"""The website chat widget's channel: Rasa's socketio channel, with replies that actually arrive.

Rasa 3.6.21 calls `sio.enter_room(...)` without awaiting it, but with python-socketio 5.x it is a coroutine: with
`session_persistence: true` the room is never joined and every reply goes to a room nobody is in. This channel
registers the session handler again, awaiting it, and lets only the configured origins connect. Messages are
checked (an `error` event answers one it cannot read) and always answered (channels/guard.py). With REDIS_URL set,
several replicas share python-socketio's AsyncRedisManager, so a reply reaches the session's browsers whichever
replica they are connected to.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Union

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from socketio import AsyncRedisManager

from channels.guard import MAX_SENDER_CHARS, ReplyGuard, clean_text, odd_message_reply, valid_sender_id
from service.settings import settings

SOCKETIO_CHANNEL = "immuno-socketio"  # the Redis pub/sub channel the replicas' socket.io servers talk on

logger = logging.getLogger(__name__)


def parse_origins(value: Any) -> List[str]:
    """Origins from a list or a comma-separated string; '*' alone allows any origin."""
    if isinstance(value, str):
        value = value.split(",")
    return [str(origin).strip().rstrip("/") for origin in value or [] if str(origin).strip()]


def read_message(data: Any, metadata_key: str) -> Union[str, tuple[str, str, Optional[Dict[str, Any]]]]:
    """(session id, text, metadata) from a `user_uttered` event, or what is wrong with it."""
    if not isinstance(data, dict):
        return "The message must be an object with 'message' and 'session_id'."
    session_id, text = data.get("session_id"), data.get("message")
    if not valid_sender_id(session_id):
        return f"'session_id' must be a string of 1 to {MAX_SENDER_CHARS} printable characters."
    if not isinstance(text, str):
        return "'message' must be a string."
    metadata = data.get(metadata_key)
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = None
    return session_id, clean_text(text), metadata if isinstance(metadata, dict) else None


class WebChatOutput(SocketIOOutput):
    """Rasa's socketio output, passing on which topic an answer is about (`feedback`, set by the answer actions) as
    the last message part's metadata: the widget shows its helpful / not helpful control for it."""

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        feedback = kwargs.get("feedback")
        if not isinstance(feedback, dict):
            await super().send_text_with_buttons(recipient_id, text, buttons, **kwargs)
            return
        messages: List[Dict[str, Any]] = [{"text": part, "quick_replies": []} for part in text.strip().split("\n\n")]
        messages[-1]["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons
        ]
        messages[-1]["metadata"] = {"feedback": feedback}  # rasa-webchat takes metadata off before showing it
        for message in messages:
            await self._send_message(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        if isinstance(kwargs.get("feedback"), dict):
            await self.send_text_with_buttons(recipient_id, text, [], **kwargs)
        else:
            await super().send_text_message(recipient_id, text, **kwargs)


class WebChatInput(SocketIOInput):
    """Rasa's socketio channel for the rasa-webchat widget, with the session room joined and allowed origins."""

    allowed_origins: List[str] = []

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> WebChatInput:
        channel = super().from_credentials(credentials)
        channel.allowed_origins = parse_origins((credentials or {}).get("cors_allowed_origins"))
        return channel

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        redis_url = settings().redis_url
        if redis_url:  # before any browser connects: the manager is started at the first connection
            sio.manager = AsyncRedisManager(redis_url, channel=SOCKETIO_CHANNEL)
            sio.manager.set_server(sio)
            sio.manager_initialized = False
        # An empty list would switch python-engineio's origin check off altogether: allow none instead.
        sio.eio.cors_allowed_origins = "*" if self.allowed_origins == ["*"] else (self.allowed_origins or [""])

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Optional[Dict[str, Any]]) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not valid_sender_id(session_id):
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        guard = ReplyGuard()

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None, *more: Any) -> None:  # clients may send 0 or 2+ args
            message = read_message(data if not more else [data, *more], self.metadata_key)
            if isinstance(message, str):
                await sio.emit("error", {"error": message}, room=sid)
                return
            session_id, text, metadata = message
            # replies go to the session's room (every tab of it) when sessions persist, else to this socket
            recipient = session_id if self.session_persistence else sid
            output = WebChatOutput(sio, self.bot_message_evt)
            odd = odd_message_reply(text)
            if odd:  # readable but not answerable: the person is told what to do
                await output.send_text_message(recipient, odd)
                return
            user_message = UserMessage(text, output, recipient, input_channel=self.name(), metadata=metadata)
            await guard.answer(on_new_message, user_message)

        return blueprint
