"""The SMS channel's settings: the project's settings (service/settings.py), each overridden by a non-empty value
of the same name in credentials.yml."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional
from urllib.parse import urlparse

from service.privacy import is_loopback
from service.settings import Settings, settings

logger = logging.getLogger(__name__)

# setting -> its name in service/settings.py (the environment variable in capitals)
SETTINGS = {
    "account_sid": "twilio_account_sid",
    "auth_token": "twilio_auth_token",
    "twilio_number": "twilio_number",
    "webhook_url": "twilio_webhook_url",
    "api_base_url": "twilio_api_base_url",
    "sender_id_key": "sms_sender_id_key",
    "store_path": "sms_store_path",
}
REQUIRED = ("account_sid", "auth_token", "twilio_number")


@dataclass(frozen=True)
class SmsSettings:
    """Everything the channel needs from outside."""

    account_sid: str
    auth_token: str
    twilio_number: str
    webhook_url: str  # the public address Twilio posts to; empty: the address the request arrived at
    api_base_url: str
    sender_id_key: str  # empty: a key generated once and kept in the store
    store_path: str  # a file path or a database URL

    @classmethod
    def load(cls, credentials: Optional[Mapping[str, Any]] = None, current: Optional[Settings] = None) -> SmsSettings:
        credentials = credentials or {}
        current = current or settings()
        values = {}
        for name, setting in SETTINGS.items():
            value = str(credentials.get(name) or "").strip()
            if value.startswith("${"):
                # Rasa leaves a quoted ${VAR} as it is; an unquoted unset one stops `rasa run` instead.
                logger.warning("credentials.yml: `%s` is %s, not expanded: using $%s.", name, value, setting.upper())
                value = ""
            values[name] = value or getattr(current, setting)
        values["api_base_url"] = values["api_base_url"].rstrip("/")
        return cls(**values)

    def problems(self) -> List[str]:
        """Why SMS cannot run with these settings; empty when it can."""
        found = [f"{SETTINGS[name].upper()} is not set" for name in REQUIRED if not getattr(self, name)]
        api = urlparse(self.api_base_url)
        if not api.hostname or not (api.scheme == "https" or (api.scheme == "http" and is_loopback(api.hostname))):
            # plain http would send the auth token in clear; it is only for a local fake in tests
            found.append("TWILIO_API_BASE_URL must be an https address (http only on loopback)")
        return found
