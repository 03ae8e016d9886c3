"""The curated answers: loads and checks actions/content/immunotherapy.yml (editors change that file, not this)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from service.segments import is_gsm

CONTENT_FILE = Path(__file__).parent / "content" / "immunotherapy.yml"
SMS_LIMIT = 320  # characters of an SMS answer as sent, with "Source: " and its address
TITLE_LIMIT = 30
SOURCE_PREFIX = "https://www.cancer.gov/"
TEMPLATES = (
    "source",
    "source_markdown",
    "sms_source",
    "named_not_covered",
    "sms_named_not_covered",
    "more_on_page",
    "did_you_mean",
    "not_sure",
    "something_else",
    "advice",
    "sms_advice",
)


class ContentError(ValueError):
    """The content file is missing something or breaks a rule; the message lists every problem."""


@dataclass(frozen=True)
class Source:
    url: str
    section: str


@dataclass(frozen=True)
class Answer:
    web: str
    sms: str
    source: Source
    reviewed: date
    more: Optional[str] = None


@dataclass(frozen=True)
class Advice:
    """The assistant's own advice that goes with a topic's answers: shown apart from NCI's text and source."""

    web: str
    sms: str


@dataclass(frozen=True)
class Topic:
    intent: str
    title: str
    answer: Answer
    follow_ups: Tuple[str, ...]
    therapy_type: Optional[str] = None
    variants: Mapping[str, Answer] = field(default_factory=dict)
    advice: Optional[Advice] = None
    depends_on_therapy: bool = False  # the answer differs by therapy: say so when it has nothing on the one discussed

    def answer_for(self, names: Sequence[Optional[str]]) -> Tuple[Answer, Optional[str]]:
        """The answer for the first name that has a variant, else the general answer."""
        for name in names:
            if name and name in self.variants:
                return self.variants[name], name
        return self.answer, None


@dataclass(frozen=True)
class Content:
    topics: Mapping[str, Topic]
    templates: Mapping[str, str]


def sms_answer(sms: str, url: str, templates: Mapping[str, str]) -> str:
    """The SMS answer exactly as it is sent: the text, then its source line."""
    return f"{sms} {templates['sms_source'].format(url=url)}"


def _sms_problems(where: str, text: str) -> List[str]:
    problems = []
    if len(text) > SMS_LIMIT:
        problems.append(f"{where}: the SMS as sent is {len(text)} characters (max {SMS_LIMIT})")
    if not is_gsm(text):
        odd = sorted({c for c in text if not is_gsm(c)})
        problems.append(f"{where}: the SMS has characters outside the GSM alphabet {odd} (each segment shrinks to 67)")
    return problems


def _answer(
    raw: Any, where: str, problems: List[str], templates: Mapping[str, str], general: Optional[Answer] = None
) -> Optional[Answer]:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping")
        return None
    source = raw.get("source") or (general.source.__dict__ if general else None)
    for key in ("web", "sms"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(f"{where}: `{key}` is missing or empty")
    if not isinstance(source, dict) or not all(isinstance(source.get(k), str) for k in ("url", "section")):
        problems.append(f"{where}: `source` needs `url` and `section`")
        return None
    url = source["url"].strip()
    if not url.startswith(SOURCE_PREFIX):
        problems.append(f"{where}: source {url!r} is not a cancer.gov address")
    sms = str(raw.get("sms") or "").strip()
    if isinstance(templates.get("sms_source"), str):
        problems.extend(_sms_problems(where, sms_answer(sms, url, templates)))
    reviewed = raw.get("reviewed")
    if not isinstance(reviewed, date):
        problems.append(f"{where}: `reviewed` must be the date the answer was last checked against NCI (YYYY-MM-DD)")
        reviewed = date.min
    more = raw.get("more")
    return Answer(
        web=str(raw.get("web") or "").strip(),
        sms=sms,
        source=Source(url=url, section=source["section"].strip()),
        reviewed=reviewed,
        more=more.strip() if isinstance(more, str) and more.strip() else None,
    )


def _advice(raw: Any, where: str, problems: List[str], templates: Mapping[str, str]) -> Optional[Advice]:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) and raw[k].strip() for k in ("web", "sms")):
        problems.append(f"{where}: `advice` needs `web` and `sms` text")
        return None
    advice = Advice(web=raw["web"].strip(), sms=raw["sms"].strip())
    if isinstance(templates.get("sms_advice"), str):
        problems.extend(_sms_problems(f"{where} advice", templates["sms_advice"].format(advice=advice.sms)))
    return advice


def parse_content(data: Any) -> Content:
    """Build the content from parsed YAML, or raise ContentError listing every problem found."""
    problems: List[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("topics"), dict) or not data["topics"]:
        raise ContentError("the content file needs a non-empty `topics` mapping")
    templates = data.get("templates") or {}
    if not isinstance(templates, dict):
        problems.append("`templates` must be a mapping")
        templates = {}
    for name in TEMPLATES:
        if not isinstance(templates.get(name), str):
            problems.append(f"templates: `{name}` is missing")
    topics: Dict[str, Topic] = {}
    for intent, raw in data["topics"].items():
        if not isinstance(intent, str) or not intent.strip():
            problems.append(f"topic name {intent!r} must be text")
            continue
        answer = _answer(raw, intent, problems, templates)
        if answer is None:
            continue
        title = raw.get("title")
        title = title.strip() if isinstance(title, str) else ""
        if not title or len(title) > TITLE_LIMIT:
            problems.append(f"{intent}: `title` must have 1 to {TITLE_LIMIT} characters")
        follow_ups = raw.get("follow_ups") or []
        if not isinstance(follow_ups, list) or not 1 <= len(follow_ups) <= 3:
            problems.append(f"{intent}: needs 1 to 3 `follow_ups`")
            follow_ups = []
        therapy_type = raw.get("therapy_type")
        if therapy_type is not None and not isinstance(therapy_type, str):
            problems.append(f"{intent}: `therapy_type` must be text")
        raw_variants = raw.get("variants") or {}
        if not isinstance(raw_variants, dict):
            problems.append(f"{intent}: `variants` must be a mapping")
            raw_variants = {}
        variants = {}
        for name, variant in raw_variants.items():
            parsed = _answer(variant, f"{intent} / {name}", problems, templates, general=answer)
            if parsed:
                variants[str(name)] = parsed
        topics[intent] = Topic(
            intent=intent,
            title=title,
            answer=answer,
            follow_ups=tuple(str(f) for f in follow_ups),
            therapy_type=therapy_type if isinstance(therapy_type, str) else None,
            variants=variants,
            advice=_advice(raw.get("advice"), intent, problems, templates),
            depends_on_therapy=raw.get("depends_on_therapy") is True,
        )
    for topic in topics.values():
        for follow_up in topic.follow_ups:
            if follow_up == topic.intent or follow_up not in topics:
                problems.append(f"{topic.intent}: follow-up {follow_up!r} is not another topic")
    if problems:
        raise ContentError("; ".join(problems))
    return Content(topics=topics, templates=templates)


@cache
def load_content(path: Path = CONTENT_FILE) -> Content:
    """Read and check the content file once per process."""
    with open(path, encoding="utf-8") as handle:
        return parse_content(yaml.safe_load(handle))
