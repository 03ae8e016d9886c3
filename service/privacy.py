"""Keeping people's details out of tickets, stores, reports and logs: keyed hashes, masking of phone numbers,
email addresses and names, and which clients count as this machine."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from typing import Union

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 8 or more digits, with the spaces, dots, dashes and brackets people write phone numbers with
PHONE = re.compile(r"(?<![\w(])\+?\(?(?:\d[\s().-]{0,2}){7,}\d(?![\w])")


def keyed_hash(value: str, key: Union[str, bytes], length: int) -> str:
    """The first `length` hex digits of HMAC-SHA256(key, value): the same value and key give the same pseudonym,
    and without the key it cannot be turned back into the value."""
    key_bytes = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.new(key_bytes, value.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def mask(text: str) -> str:
    """The text with email addresses and phone numbers replaced (and any broken characters made valid)."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return PHONE.sub("[phone]", EMAIL.sub("[email]", text))


# A name is only recognised where people introduce one ("my name is Ann", "I'm Ann Lee", "Dr. Patel",
# "my husband Tom"): a capitalised word elsewhere is more often a drug or a cancer than a person.
_NAMED = r"(?:[A-Z][a-z'\u00c0-\u024f-]+)(?:\s+[A-Z][a-z'\u00c0-\u024f-]+)?"
_RELATIVE = (
    r"wife|husband|partner|son|daughter|mother|mom|mum|father|dad|brother|sister|friend|aunt|uncle|"
    r"grandmother|grandfather|grandma|grandpa|doctor|oncologist|nurse"
)
NAME = re.compile(
    r"(?:(?i:\b(?:my name is|my name's|name:|i am called|i'm called|call me|this is|signed|regards,?|thanks,?)\s+)"
    r"|(?i:\bi(?:'m| am)\s+)(?=[A-Z][a-z]+(?:[\s,.!]|$)(?!\s*(?i:years|from|on|in|a|an|the|not|so|very|on)\b))"
    r"|\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+"
    r"|(?i:\bmy\s+(?:" + _RELATIVE + r"),?\s+))"
    r"(" + _NAMED + r")"
)


def mask_names(text: str) -> str:
    """The text with the names people introduce replaced by [name]."""
    return NAME.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + "[name]", text)


def mask_all(text: str) -> str:
    """Email addresses, phone numbers and introduced names masked: for what editors read in reports."""
    return mask_names(mask(text))


def is_loopback(host: str) -> bool:
    """Whether an address or host name is this machine: 127.0.0.0/8, ::1, ::ffff:127.x (IPv4-mapped) or localhost."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback
