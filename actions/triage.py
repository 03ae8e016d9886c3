"""Triage tickets for the Cancer Information Service: reference codes, masked messages, pseudonymous senders,
and the line's opening hours. The wording lives in actions/content/handoff.yml."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional
from zoneinfo import ZoneInfo

import yaml

HANDOFF_FILE = Path(__file__).parent / "content" / "handoff.yml"
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread on the phone
LAST_MESSAGES = 5
REASONS = ("requested_human", "urgent_symptom", "not_understood", "out_of_scope")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 8 or more digits, with the spaces, dots, dashes and brackets people write phone numbers with
PHONE = re.compile(r"(?<![\w])\+?(?:\d[\s().-]{0,2}){7,}\d(?![\w])")


@cache
def handoff_content(path: Path = HANDOFF_FILE) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def reference_code() -> str:
    return "CIS-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def mask(text: str) -> str:
    """The text with email addresses and phone numbers replaced (and any broken characters made valid)."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return PHONE.sub("[phone]", EMAIL.sub("[email]", text))


def pseudonym(sender_id: str, key: str) -> str:
    return hmac.new(key.encode("utf-8"), sender_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


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
    events: List[Dict[str, Any]], sender_id: str, channel: Optional[str], reason: str, key: str, now: datetime
) -> Dict[str, Any]:
    """A ticket for contact-center staff from the conversation so far."""
    if reason not in REASONS:
        raise ValueError(f"unknown handoff reason {reason!r}")
    user_events = [e for e in events if e.get("event") == "user"]
    topics: List[str] = []
    for event in user_events:
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
        if intent.startswith("ask_") and intent not in topics:
            topics.append(intent)
    texts = [mask(str(e.get("text") or ""))[:2000] for e in user_events if e.get("text")]
    return {
        "reference": reference_code(),
        "created_at": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "channel": channel or "unknown",
        "sender": pseudonym(sender_id, key),
        "priority": "urgent" if reason == "urgent_symptom" else "routine",
        "reason": reason,
        "topics": topics,
        "last_messages": texts[-LAST_MESSAGES:],
        "next_step": handoff_content()["next_steps"][reason],
        "idempotency_key": str(uuid.uuid4()),
    }
