"""The website chat widget's channel: Rasa's socketio channel, with replies that actually arrive.

Rasa 3.6.21 calls `sio.enter_room(...)` without awaiting it, but with python-socketio 5.x it is a coroutine: with
`session_persistence: true` the room is never joined and every reply goes to a room nobody is in. This channel
registers the session handler again, awaiting it, and lets only the configured origins connect.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

logger = logging.getLogger(__name__)


def parse_origins(value: Any) -> List[str]:
    """Origins from a list or a comma-separated string; '*' alone allows any origin."""
    if isinstance(value, str):
        value = value.split(",")
    return [str(origin).strip().rstrip("/") for origin in value or [] if str(origin).strip()]


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
        # An empty list would switch python-engineio's origin check off altogether: allow none instead.
        sio.eio.cors_allowed_origins = "*" if self.allowed_origins == ["*"] else (self.allowed_origins or [""])

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Optional[Dict[str, Any]]) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not session_id:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        return blueprint
