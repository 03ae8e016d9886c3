"""Every message gets an answer. When Rasa sends nothing within the reply deadline (the action server is down,
slow or failing: Rasa 3.6 then logs "Bot will continue, but the actions events are lost" and stays silent), the
person gets an apology with the Cancer Information Service's number. Also: the action timeout, well under the
conversation lock's lifetime, and the checks every channel makes on message text.

Settings: REPLY_DEADLINE_SECONDS and ACTION_TIMEOUT_SECONDS (service/settings.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Set

import aiohttp
import yaml
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException

from nlu_components.red_flags import RedFlags
from service.settings import settings as current_settings

logger = logging.getLogger(__name__)

REPLIES_FILE = Path(__file__).with_name("replies.yml")
MAX_MESSAGE_CHARS = 2000  # a longer message gets a reply asking for a shorter one, unless it may be an emergency
MAX_SENDER_CHARS = 128
# C0 and C1 control characters except tab and newline, and the Unicode line/paragraph separators
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")

Handler = Callable[[UserMessage], Awaitable[Any]]


@dataclass(frozen=True)
class GuardSettings:
    reply_deadline: float  # seconds until the apology goes out instead of silence
    action_timeout: float  # seconds Rasa waits for the action server (Rasa's own default is 300)

    @classmethod
    def from_settings(cls) -> GuardSettings:
        current = current_settings()
        return cls(reply_deadline=current.reply_deadline_seconds, action_timeout=current.action_timeout_seconds)


@cache
def replies(path: Path = REPLIES_FILE) -> Dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    missing = {"service_trouble", "too_long", "empty"} - set(data or {})
    if missing:
        raise ValueError(f"{path}: missing {', '.join(sorted(missing))}")
    return {key: " ".join(str(value).split()) for key, value in data.items()}


@cache
def red_flags() -> RedFlags:
    return RedFlags()


def clean_text(text: str) -> str:
    """Message text without control characters (which no person types) and runs of spaces."""
    return re.sub(r"[ \t]{2,}", " ", CONTROL_CHARACTERS.sub(" ", text)).strip()


def valid_sender_id(value: object) -> bool:
    """A conversation id: text, printable, 1 to MAX_SENDER_CHARS characters."""
    return isinstance(value, str) and 0 < len(value) <= MAX_SENDER_CHARS and bool(value.strip()) and value.isprintable()


def too_long(text: str) -> bool:
    """Too long to read, and not a possible emergency: a possible emergency is always answered."""
    return len(text) > MAX_MESSAGE_CHARS and not red_flags().match(text)


def odd_message_reply(text: str) -> Optional[str]:
    """What to tell someone whose (cleaned) message is empty, or too long to read; None for a message to answer."""
    if not text:
        return replies()["empty"]
    return replies()["too_long"] if too_long(text) else None


def harden_action_calls(timeout: float) -> None:
    """Changes to how Rasa 3.6 calls the action server, which it has no settings for:
    - it waits up to 5 minutes, holding the conversation's lock (60 s) meanwhile: shorten the two module constants
      its action calls read;
    - under load a fresh connection sometimes fails before the request is written ("Cannot write to closing
      transport") and the answer is lost: try such a call once more. A call that may have reached the action server
      (disconnected, reset, timed out) is not repeated, so a handoff never makes two tickets;
    - it rebuilds a JSON Schema validator for every response: build it once."""
    import rasa.core.actions.action as rasa_action
    import rasa.core.lock_store as rasa_lock_store
    import rasa.utils.endpoints as rasa_endpoints

    if timeout >= rasa_lock_store.LOCK_LIFETIME / 2:
        raise ValueError(
            f"ACTION_TIMEOUT_SECONDS={timeout} must be well under the lock lifetime ({rasa_lock_store.LOCK_LIFETIME} s)"
        )
    rasa_action.DEFAULT_REQUEST_TIMEOUT = timeout
    rasa_endpoints.DEFAULT_REQUEST_TIMEOUT = timeout

    remote = rasa_action.RemoteAction
    if getattr(remote.run, "retries_unsent_calls", False):
        return
    run_once = remote.run

    async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await run_once(self, *args, **kwargs)
        except RasaException as error:
            if not never_sent(error.__context__):
                raise
            logger.warning("The call to the action server failed before it was sent: trying once more.")
            return await run_once(self, *args, **kwargs)

    run.retries_unsent_calls = True  # type: ignore[attr-defined]
    remote.run = run
    check_action_results_with_one_validator()


def check_action_results_with_one_validator() -> None:
    """Rasa 3.6 checks each action-server response with `jsonschema.validate`, which first checks Rasa's schema
    against the JSON Schema meta-schema, on every call: about a third of the Rasa server's time per message (py-spy,
    `make bench` latency). Build the validator once; a response that fails goes to Rasa's own check, so the error
    and its message stay Rasa's."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._validate_action_result, "one_validator", False):
        return
    spec = RemoteAction.action_response_format_spec()
    validator_class = validator_for(spec)
    validator_class.check_schema(spec)
    validator = validator_class(spec)
    rasa_check = RemoteAction._validate_action_result

    def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
        if validator.is_valid(result):
            return True
        return rasa_check(self, result)

    _validate_action_result.one_validator = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def never_sent(error: Optional[BaseException]) -> bool:
    """True for a connection failure that happened before any of the request reached the action server."""
    if isinstance(error, aiohttp.ClientConnectorError):  # no connection at all
        return True
    # the connection closed while the request was being written: the action server never got a whole request, so
    # it cannot have run the action (aiohttp 3.9's words for it, from writing the headers and the body)
    unsent = ("Cannot write to closing transport", "Can not write request body")
    return isinstance(error, aiohttp.ClientOSError) and any(words in str(error) for words in unsent)


class WatchedOutput(OutputChannel):
    """Passes every reply on to the real output channel and counts them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> str:  # type: ignore[override]
        return self.inner.name()  # channel-specific responses depend on it

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class ReplyGuard:
    """Runs Rasa's message handler and makes sure the person hears something within the deadline."""

    def __init__(self, settings: Optional[GuardSettings] = None) -> None:
        self.settings = settings or GuardSettings.from_settings()
        harden_action_calls(self.settings.action_timeout)
        self._running: Set[asyncio.Task] = set()  # handlers that outlived the deadline, kept until they finish

    async def answer(self, handle: Handler, message: UserMessage, trouble_text: Optional[str] = None) -> None:
        output = WatchedOutput(message.output_channel)
        message.output_channel = output
        task = asyncio.ensure_future(handle(message))
        self._running.add(task)
        task.add_done_callback(self._finished)
        try:
            await asyncio.wait_for(asyncio.shield(task), self.settings.reply_deadline)
        except asyncio.TimeoutError:
            logger.warning("No reply within %.1f s: sent the service-trouble message.", self.settings.reply_deadline)
        except Exception as error:  # Rasa's own failure; its text may hold the message, so only the type is logged
            logger.error("Handling a message failed (%s): sent the service-trouble message.", type(error).__name__)
        if not output.sent:
            if task.done() and not task.cancelled() and task.exception() is None:
                logger.warning("Rasa sent no reply (see its log above): sent the service-trouble message.")
            await output.send_text_message(message.sender_id, trouble_text or replies()["service_trouble"])

    def _finished(self, task: asyncio.Task) -> None:
        self._running.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved so asyncio does not report it again: answer() has logged it
