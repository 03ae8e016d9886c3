"""The curated content file: complete, well-formed, sourced, and consistent with the domain and terms."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from actions.content import CONTENT_FILE, SMS_LIMIT, ContentError, load_content, parse_content, sms_answer
from tests.conftest import ROOT

ANSWER_INTENTS = [i for i in yaml.safe_load((ROOT / "domain.yml").read_text())["intents"] if i.startswith("ask_")]


def raw_content():
    return yaml.safe_load(CONTENT_FILE.read_text(encoding="utf-8"))


def all_answers():
    for intent, topic in load_content().topics.items():
        yield intent, topic.answer
        for name, variant in topic.variants.items():
            yield f"{intent} / {name}", variant


def test_the_domain_has_the_seventeen_answer_intents():
    assert len(ANSWER_INTENTS) == 17


def test_every_answer_intent_has_exactly_one_entry():
    assert sorted(load_content().topics) == sorted(ANSWER_INTENTS)


@pytest.mark.parametrize("where,answer", list(all_answers()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_answer_is_complete_sourced_and_fits_sms(where, answer):
    assert answer.web and answer.sms and answer.source.section
    assert answer.source.url.startswith("https://www.cancer.gov/")
    assert len(sms_answer(answer.sms, answer.source.url, load_content().templates)) <= SMS_LIMIT
    assert answer.reviewed.year >= 2026


@pytest.mark.parametrize("where,answer", list(all_answers()), ids=lambda x: x if isinstance(x, str) else "")
def test_answers_are_plain_text(where, answer):
    for text in filter(None, (answer.web, answer.sms, answer.more)):
        assert not re.search(r"<[a-z/!]|https?://|\]\(", text), f"{where}: markup or a URL in the text"


def test_follow_ups_point_to_other_topics_with_short_titles():
    topics = load_content().topics
    for topic in topics.values():
        assert 1 <= len(topic.follow_ups) <= 3
        assert all(f in topics and f != topic.intent for f in topic.follow_ups)
        assert 0 < len(topic.title) <= 30


def test_variant_keys_are_terms_the_assistant_recognises():
    terms = yaml.safe_load((ROOT / "data/nlu/terms.yml").read_text())["nlu"]
    canonical = {
        line.strip()[2:] for t in terms if "lookup" in t for line in t["examples"].splitlines() if line.strip()
    }
    for topic in load_content().topics.values():
        assert set(topic.variants) <= canonical, topic.intent
        assert topic.therapy_type is None or topic.therapy_type in canonical


def test_how_given_names_every_route_on_the_page():
    web = load_content().topics["ask_how_given"].answer.web.lower()
    for route in ("intravenous", "oral", "topical", "intravesical"):
        assert route in web


def test_if_right_for_me_points_to_the_care_team_and_the_cis_in_the_assistants_own_words():
    topic = load_content().topics["ask_if_right_for_me"]
    for words in (topic.advice.web, topic.advice.sms):
        assert "only your care team" in words.lower() and "1-800-4-CANCER" in words
        assert "not stop or change" in words.lower()
    assert "care team" not in topic.answer.web.lower()  # NCI's part is NCI's facts only


@pytest.mark.parametrize("where,answer", list(all_answers()), ids=lambda x: x if isinstance(x, str) else "")
def test_sms_versions_keep_the_severity_their_web_versions_state(where, answer):
    for words in ("life-threatening", "dangerously low blood pressure", "not stop or change"):
        if words in answer.web:
            assert words in answer.sms, f"{where}: the SMS version drops {words!r}"


def test_unsupported_claims_found_in_review_are_gone():
    topics = load_content().topics
    assert "each one helps" not in topics["ask_types"].answer.sms.lower()
    assert "bcg" not in topics["ask_immune_modulators"].answer.web.lower()
    assert "specialist can help you search" not in topics["ask_clinical_trials"].answer.web


def _broken(mutate):
    data = copy.deepcopy(raw_content())
    mutate(data)
    return data


@pytest.mark.parametrize(
    "mutate,problem",
    [
        (lambda d: d["topics"]["ask_types"].pop("sms"), "`sms` is missing"),
        (lambda d: d["topics"]["ask_types"].update(web="  "), "`web` is missing"),
        (lambda d: d["topics"]["ask_types"].update(sms="x" * 300), "characters (max 320)"),
        (lambda d: d["topics"]["ask_types"].update(sms="it\u2019s fine"), "outside the GSM alphabet"),
        (lambda d: d["topics"]["ask_types"].pop("reviewed"), "`reviewed`"),
        (lambda d: d["topics"]["ask_side_effects"]["advice"].pop("sms"), "`advice` needs"),
        (lambda d: d["topics"]["ask_types"]["source"].update(url="https://example.com/x"), "not a cancer.gov"),
        (lambda d: d["topics"]["ask_types"].update(follow_ups=["ask_nothing"]), "is not another topic"),
        (lambda d: d["topics"]["ask_types"].update(follow_ups=["ask_types"]), "is not another topic"),
        (lambda d: d["topics"]["ask_types"].update(follow_ups=[]), "needs 1 to 3"),
        (lambda d: d["topics"]["ask_types"].update(title="t" * 31), "`title`"),
        (lambda d: d["templates"].pop("source"), "`source` is missing"),
        (lambda d: d["topics"]["ask_side_effects"]["variants"]["TIL therapy"].pop("web"), "TIL therapy"),
    ],
)
def test_the_loader_rejects_broken_content_and_says_why(mutate, problem):
    with pytest.raises(ContentError, match=re.escape(problem)):
        parse_content(_broken(mutate))


def test_the_loader_rejects_a_file_without_topics():
    with pytest.raises(ContentError):
        parse_content({"templates": {}})
