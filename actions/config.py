"""Settings of the action server, read from environment variables in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class TriageSettings:
    """Where triage tickets go and how hard we try."""

    webhook_url: str
    token: str
    outbox_path: Path
    timeout: float  # seconds for one delivery attempt
    retry_seconds: float  # how often the background loop retries tickets not yet delivered
    sender_key: str  # secret for pseudonymous sender ids; empty: one generated and kept in the outbox

    @classmethod
    def from_env(cls) -> TriageSettings:
        env = os.environ
        return cls(
            webhook_url=env.get("TRIAGE_WEBHOOK_URL", "http://127.0.0.1:8090/tickets"),
            token=env.get("TRIAGE_WEBHOOK_TOKEN", ""),
            outbox_path=Path(env.get("TRIAGE_OUTBOX_PATH", PROJECT_ROOT / "data_store" / "outbox.db")),
            timeout=float(env.get("TRIAGE_WEBHOOK_TIMEOUT", "3")),
            retry_seconds=float(env.get("TRIAGE_RETRY_SECONDS", "10")),
            sender_key=env.get("SENDER_HASH_KEY", ""),
        )
