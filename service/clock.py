"""UTC timestamps as the stores and tickets keep them: 2026-11-26T15:04:05Z, which sorts as text."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso_utc(moment: Optional[datetime] = None) -> str:
    """A moment (default: now) as 2026-11-26T15:04:05Z."""
    return (moment or now()).astimezone(timezone.utc).strftime(FORMAT)


def parse_iso_utc(value: str) -> Optional[str]:
    """2026-11-26T16:04:05+01:00 -> 2026-11-26T15:04:05Z; None for a time without a zone or not ISO 8601."""
    iso = value.strip()
    if iso[-1:] in ("Z", "z"):
        iso = iso[:-1] + "+00:00"  # Python 3.10's fromisoformat does not read "Z"
    try:
        moment = datetime.fromisoformat(iso)
        if moment.tzinfo is None:
            return None
        return iso_utc(moment)
    except (ValueError, OverflowError):
        return None


def shown(moment: Optional[str]) -> str:
    """2026-11-26T15:04:05Z -> 2026-11-26 15:04 UTC, for people to read."""
    if not moment:
        return ""
    return f"{moment[:10]} {moment[11:16]} UTC" if len(moment) == 20 else moment
