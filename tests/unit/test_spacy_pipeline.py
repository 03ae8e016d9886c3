"""The project's spaCy pipeline finds our terms, in the spellings people use, with their canonical values."""

from __future__ import annotations

import pytest
import spacy

from spacy_pipeline.build import DEFAULT_OUTPUT, load_terms


@pytest.fixture(scope="module")
def nlp():
    return spacy.load(DEFAULT_OUTPUT)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("my dad starts keytruda next week", [("drug", "pembrolizumab")]),
        ("Opdivo and Yervoy together?", [("drug", "nivolumab"), ("drug", "ipilimumab")]),
        ("is car-t used for lymphoma", [("therapy_type", "CAR T-cell therapy"), ("cancer_type", "lymphoma")]),
        ("what are PD-1 inhibitors", [("therapy_type", "checkpoint inhibitor")]),
        ("side effects of checkpoint inhibitors", [("therapy_type", "checkpoint inhibitor")]),
        ("bcg for bladder cancer", [("therapy_type", "BCG"), ("cancer_type", "bladder cancer")]),
        ("immuno for nsclc?", [("cancer_type", "lung cancer")]),
        ("TILs in my tumor", []),  # what a pathology report finds, not the therapy
        ("is til therapy an option", [("therapy_type", "TIL therapy")]),
        ("my lung hurts after keytruda", [("drug", "pembrolizumab")]),  # an organ alone is no cancer type
        ("is il-2 the same as interleukin 2", [("therapy_type", "immune system modulator")] * 2),
        ("what is cytokine release syndrome", [("therapy_type", "CAR T-cell therapy")]),
        (
            "rituximab, provenge and revlimid",
            [("drug", "rituximab"), ("drug", "sipuleucel-T"), ("drug", "lenalidomide")],
        ),
        ("what is interferon", [("therapy_type", "immune system modulator")]),
        ("how is it given", []),
    ],
)
def test_entities_are_found_with_their_canonical_value(nlp, text, expected):
    doc = nlp(text.lower())  # Rasa's SpacyNLP lowercases (case_sensitive: false)
    assert [(e.label_, e.ent_id_) for e in doc.ents] == expected


def test_the_lookup_lemmatizer_is_in_the_pipeline(nlp):
    assert [t.lemma_ for t in nlp("infusions are given")] == ["infusion", "be", "give"]


def test_every_synonym_belongs_to_a_lookup_table():
    terms = load_terms()
    assert set(terms) == {"therapy_type", "cancer_type", "drug"}
    assert "keytruda" in terms["drug"]["pembrolizumab"]
