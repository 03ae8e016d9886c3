"""Triage tickets for the Cancer Information Service: reference codes, masked messages, pseudonymous senders,
and the line's opening hours. The wording lives in actions/content/handoff.yml."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional
from zoneinfo import ZoneInfo

import yaml

from service.clock import iso_utc
from service.privacy import keyed_hash, mask
from service.tickets import MAX_MESSAGE_CHARS, Reason, Ticket

HANDOFF_FILE = Path(__file__).parent / "content" / "handoff.yml"
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread on the phone
LAST_MESSAGES = 5


@cache
def handoff_content(path: Path = HANDOFF_FILE) -> Dict[str, Any]:
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    if set(content["next_steps"]) != {reason.value for reason in Reason}:
        raise ValueError(f"{path}: next_steps must have one entry for each of {', '.join(r.value for r in Reason)}")
    return content


def reference_code() -> str:
    return "CIS-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def pseudonym(sender_id: str, key: str) -> str:
    return keyed_hash(sender_id, key, 16)


def next_opening(now: datetime, hours: Mapping[str, Any]) -> Optional[str]:
    """None while the line is open; otherwise when it opens next, in words."""
    zone = ZoneInfo(hours["timezone"])
    local = now.astimezone(zone)
    opens, closes = (time.fromisoformat(hours[k]) for k in ("opens", "closes"))
    days = hours["days"]
    if local.strftime("%A") in days and opens <= local.time() < closes:
        return None
    for ahead in range(0, 8):
        day = local.date() + timedelta(days=ahead)
        if day.strftime("%A") not in days or (ahead == 0 and local.time() >= opens):
            continue
        when = "today" if ahead == 0 else "tomorrow" if ahead == 1 else day.strftime("%A")
        clock = (
            datetime.combine(day, opens).strftime("%I:%M %p").lstrip("0").replace("AM", "a.m.").replace("PM", "p.m.")
        )
        return f"{when} at {clock} Eastern Time"
    return None


def build_ticket(
    events: List[Dict[str, Any]], sender_id: str, channel: Optional[str], reason: Reason, key: str, now: datetime
) -> Dict[str, Any]:
    """A ticket for contact-center staff from the conversation so far, checked against the inbox's model."""
    reason = Reason(reason)
    user_events = [e for e in events if e.get("event") == "user"]
    topics: List[str] = []
    for event in user_events:
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
        if intent.startswith("ask_") and intent not in topics:
            topics.append(intent)
    texts = [mask(str(e.get("text") or ""))[:MAX_MESSAGE_CHARS] for e in user_events if e.get("text")]
    return Ticket(
        reference=reference_code(),
        created_at=iso_utc(now),
        channel=(channel or "unknown")[:64],
        sender=pseudonym(sender_id, key),
        priority=reason.priority,
        reason=reason,
        topics=topics[:50],
        last_messages=texts[-LAST_MESSAGES:],
        next_step=handoff_content()["next_steps"][reason.value],
        idempotency_key=str(uuid.uuid4()),
    ).dict()
