"""Every setting of the assistant's services, read from the environment in this one place (documented in
.env.example). `python -m service.settings shell-exports` prints them for scripts/run.sh."""

from __future__ import annotations

import os
import shlex
import sys
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional

from pydantic import BaseSettings, ValidationError, validator

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Each field is read from the environment variable of the same name in capitals (INBOX_PORT, ...)."""

    # services and ports
    rasa_host: str = "127.0.0.1"  # 0.0.0.0 serves other machines: behind TLS only
    rasa_port: int = 5005
    actions_host: str = "127.0.0.1"  # only the Rasa server calls it
    actions_port: int = 5055
    web_port: int = 8080  # the demo page, always on 127.0.0.1
    inbox_host: str = "127.0.0.1"
    inbox_port: int = 8090
    log_dir: str = "logs"
    log_level: str = "INFO"  # DEBUG logs message texts: never in production
    # Rasa's HTTP API
    enable_api: bool = False
    rasa_api_token: str = ""
    rasa_jwt_secret: str = ""
    # several replicas (docs/deploy.md): one PostgreSQL for every store and Redis for the conversation locks; empty
    # keeps today's single process, each store in its SQLite file below
    database_url: str = ""  # postgresql://user:password@host:5432/db; when set, the four store settings follow it
    redis_url: str = ""  # redis://[:password@]host:6379/0: Rasa's lock store (and the widget's socket.io manager)
    # conversations and privacy
    tracker_db: str = "data_store/trackers.db"
    retention_days: int = 30
    sender_hash_key: str = ""
    # always answering
    reply_deadline_seconds: float = 4.0
    action_timeout_seconds: float = 10.0
    # the triage inbox: staff accounts (name:hash, see `make staff-password`) and the proxies in front of it
    inbox_db: str = "data_store/inbox.db"
    inbox_staff: str = ""
    inbox_trusted_proxies: int = 0
    # triage tickets
    triage_webhook_url: str = ""  # empty: the embedded inbox on INBOX_PORT
    triage_webhook_token: str = ""
    triage_outbox_path: str = "data_store/outbox.db"
    triage_webhook_timeout: float = 3.0
    triage_retry_seconds: float = 10.0
    # SMS through Twilio
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_number: str = ""
    twilio_webhook_url: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    sms_sender_id_key: str = ""
    sms_store_path: str = "data_store/sms.db"
    # measuring understanding (tests, bench): MedQuAD's questions.tsv; empty: ../shared/datasets/medquad/ beside
    # the project (or beside the workplace's main checkout, for a clone made elsewhere)
    medquad_path: str = ""

    class Config:
        anystr_strip_whitespace = True
        allow_mutation = False

    @validator("triage_webhook_url", always=True)
    def _webhook_follows_the_inbox(cls, value: str, values: dict) -> str:
        return value or f"http://127.0.0.1:{values.get('inbox_port', 8090)}/tickets"

    @validator("database_url")
    def _postgresql_only(cls, value: str) -> str:
        if value.startswith("postgres://"):  # Heroku's and others' spelling; SQLAlchemy wants the full name
            value = "postgresql://" + value.removeprefix("postgres://")
        if value and not value.startswith(("postgresql://", "postgresql+psycopg2://")):
            raise ValueError("must be a postgresql:// URL (or empty for the SQLite files)")
        return value

    @validator("redis_url")
    def _redis_only(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://")):
            raise ValueError("must be a redis:// or rediss:// URL (or empty for one process's own locks)")
        return value

    @validator("tracker_db", "inbox_db", "triage_outbox_path", "sms_store_path", always=True)
    def _shared_database_holds_every_store(cls, value: str, values: dict) -> str:
        return values.get("database_url") or value

    @validator("retention_days")
    def _at_least_a_day(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be 1 or more")
        return value


SHARED_PLACES = (ROOT.parent / "shared", Path("/work/shared"))


def medquad_file(current: Optional[Settings] = None) -> Path:
    """Where MedQuAD's questions are: the setting, else the first shared folder that has them."""
    chosen = (current or settings()).medquad_path
    if chosen:
        return Path(chosen)
    places = [place / "datasets" / "medquad" / "questions.tsv" for place in SHARED_PLACES]
    return next((p for p in places if p.exists()), places[0])


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings, read once."""
    return Settings()


def child_environment(**changes: Optional[str]) -> Dict[str, str]:
    """This process's environment with `changes` (None removes a variable), for the servers a launcher starts:
    they read their settings from it in turn (scripts/run_scaled.py)."""
    env = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def shell_exports(current: Settings) -> str:
    """`export NAME=value` lines, quoted for the shell."""
    lines = []
    for name, value in current.dict().items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        lines.append(f"export {name.upper()}={shlex.quote(text)}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["shell-exports"]:
        print("usage: python -m service.settings shell-exports", file=sys.stderr)
        return 2
    try:
        current = Settings()
    except ValidationError as error:  # names the setting and the rule, as run.sh should show them
        print(f"Settings (.env or environment): {error}", file=sys.stderr)
        return 2
    print(shell_exports(current))
    return 0


if __name__ == "__main__":
    sys.exit(main())
