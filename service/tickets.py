"""The triage ticket the assistant files and the inbox receives: the four handoff reasons (defined here only) and
the pydantic model both sides check a ticket with."""

from __future__ import annotations

from enum import Enum
from typing import List

from pydantic import BaseModel, ValidationError, conlist, constr, validator

from service.clock import parse_iso_utc

MAX_MESSAGES, MAX_MESSAGE_CHARS = 20, 2000
MAX_TOPICS, MAX_TOPIC_CHARS = 50, 100
PRIORITIES = ("urgent", "routine")


class Reason(str, Enum):
    """Why a person was handed over, with the label staff see (staff wording, not patient wording)."""

    label: str

    def __new__(cls, value: str, label: str) -> Reason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    REQUESTED_HUMAN = ("requested_human", "Asked for a person")
    URGENT_SYMPTOM = ("urgent_symptom", "May describe an urgent symptom")
    NOT_UNDERSTOOD = ("not_understood", "The assistant did not understand")
    OUT_OF_SCOPE = ("out_of_scope", "Outside what the assistant covers")

    @property
    def priority(self) -> str:
        return PRIORITIES[0] if self is Reason.URGENT_SYMPTOM else PRIORITIES[1]


def _text(most: int) -> type:
    return constr(strict=True, max_length=most)


class Ticket(BaseModel):
    """A ticket as sent: strict types (a number is not a message), limits, and created_at normalised to UTC.
    Unknown fields are dropped, so a newer sender still gets through."""

    reference: constr(strict=True, max_length=32, regex=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # type: ignore[valid-type]
    created_at: _text(40)  # type: ignore[valid-type]
    channel: _text(64)  # type: ignore[valid-type]
    sender: _text(128)  # type: ignore[valid-type]
    priority: _text(16)  # type: ignore[valid-type]
    reason: Reason
    topics: conlist(_text(MAX_TOPIC_CHARS), max_items=MAX_TOPICS)  # type: ignore[valid-type]
    last_messages: conlist(_text(MAX_MESSAGE_CHARS), max_items=MAX_MESSAGES)  # type: ignore[valid-type]
    next_step: _text(2000)  # type: ignore[valid-type]
    idempotency_key: _text(128)  # type: ignore[valid-type]

    class Config:
        use_enum_values = True

    @validator("*", each_item=True)
    def _valid_unicode(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # JSON allows a lone surrogate ("\ud800"); no database or page can hold it
                raise ValueError("is not valid Unicode text") from None
        return value

    @validator("reference", "created_at", "channel", "sender", "idempotency_key")
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @validator("created_at")
    def _in_utc(cls, value: str) -> str:
        utc = parse_iso_utc(value)
        if utc is None:
            raise ValueError("must be an ISO 8601 time with a time zone, e.g. 2026-11-26T15:04:05Z")
        return utc

    @validator("priority")
    def _known_priority(cls, value: str) -> str:
        if value not in PRIORITIES:
            raise ValueError(f"must be one of: {', '.join(PRIORITIES)}")
        return value

    @validator("idempotency_key")
    def _one_word(cls, value: str) -> str:
        if any(c.isspace() or not c.isprintable() for c in value):
            raise ValueError("must not contain spaces or control characters")
        return value


def problems(error: ValidationError) -> List[str]:
    """What is wrong with a ticket, naming fields ("last_messages[1]: ...") and never quoting their values."""
    found = []
    for item in error.errors():
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in item["loc"]).lstrip(".")
        found.append(f"{where}: {item['msg']}")
    return found
