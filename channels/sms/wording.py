"""What SMS says and how a text is shaped for it: the wording from messages.yml, the STOP/START/HELP keywords,
buttons as a numbered list answered with a number, and long texts cut into parts Twilio accepts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional

import yaml

MESSAGES_FILE = Path(__file__).with_name("messages.yml")
TWILIO_BODY_LIMIT = 1600  # Twilio refuses a longer outgoing body
CHOICE = re.compile(r"^#?(\d{1,2})[.)]?$")
REPLIES = ("help", "stop", "start", "empty", "media", "too_long", "not_in_list", "error")
KEYWORDS = ("help", "stop", "start")


@dataclass(frozen=True)
class SmsMessages:
    """The wording and keywords from messages.yml."""

    replies: Mapping[str, str]
    keywords: Mapping[str, FrozenSet[str]]
    menu_header: str
    menu_item: str
    menu_separator: str


@cache
def load_messages(path: Path = MESSAGES_FILE) -> SmsMessages:
    """Read and check the SMS wording once per process."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    replies = data.get("replies") or {}
    keywords = data.get("keywords") or {}
    menu = data.get("menu") or {}
    problems = [f"replies: `{name}` is missing" for name in REPLIES if not isinstance(replies.get(name), str)]
    problems += [f"keywords: `{name}` needs a list of words" for name in KEYWORDS if not keywords.get(name)]
    problems += [f"menu: `{name}` is missing" for name in ("header", "item", "separator") if name not in menu]
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return SmsMessages(
        replies={name: str(replies[name]).strip() for name in REPLIES},
        keywords={name: frozenset(str(word).upper() for word in keywords[name]) for name in KEYWORDS},
        menu_header=str(menu["header"]),
        menu_item=str(menu["item"]),
        menu_separator=str(menu["separator"]),
    )


def keyword(text: str, messages: SmsMessages) -> Optional[str]:
    """Which keyword the whole message is ("help", "stop" or "start"), if it is one."""
    word = text.strip().rstrip(".!").strip().upper()
    return next((name for name in KEYWORDS if word in messages.keywords[name]), None)


def chosen_number(text: str) -> Optional[int]:
    """The number in a reply that is only a number ("2", "2.", "#2"), else None."""
    match = CHOICE.match(text.strip())
    return int(match.group(1)) if match else None


def render_menu(text: str, buttons: List[Dict[str, Any]], messages: SmsMessages) -> tuple[str, List[str]]:
    """The text with its buttons as a numbered list after it, and the payloads in list order."""
    choices = [b for b in buttons if b.get("title") and b.get("payload")]
    if not choices:
        return text, []
    items = [messages.menu_item.format(number=n, title=b["title"]) for n, b in enumerate(choices, start=1)]
    menu = messages.menu_separator.join([messages.menu_header, *items])
    body = f"{text.strip()}\n\n{menu}" if text and text.strip() else menu
    return body, [str(b["payload"]) for b in choices]


def split_for_sms(text: str, limit: int = TWILIO_BODY_LIMIT) -> List[str]:
    """The text in parts Twilio accepts, cut at a line break, sentence end or space where possible."""
    parts, rest = [], text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cuts = (window.rfind("\n"), window.rfind(". ") + 1, window.rfind(" "), limit)
        cut = next(c for c in cuts if c > limit // 2)  # the first kind of break found in the second half
        parts.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return parts + [rest] if rest else parts
