"""Build the project's own spaCy pipeline: blank English, lookup lemmatizer, entity ruler for our terms.

The official pretrained models cannot be downloaded here, so this script builds one from data we keep:
the term lists in data/nlu/terms.yml (Rasa lookup tables and synonyms). config.yml points SpacyNLP at
the output folder. Run: python spacy_pipeline/build.py [OUTPUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List

import spacy
import yaml

ROOT = Path(__file__).resolve().parent.parent
TERMS_FILE = ROOT / "data" / "nlu" / "terms.yml"
DEFAULT_OUTPUT = ROOT / "spacy_pipeline" / "en_immuno"
ENTITY_LABELS = ("therapy_type", "cancer_type", "drug")


def _examples(block: str) -> List[str]:
    return [line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")]


def load_terms(path: Path = TERMS_FILE) -> Dict[str, Dict[str, List[str]]]:
    """Return {entity label: {canonical value: [all spellings, canonical first]}}."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
    synonyms = {i["synonym"]: _examples(i["examples"]) for i in items if "synonym" in i}
    terms: Dict[str, Dict[str, List[str]]] = {}
    for item in items:
        label = item.get("lookup")
        if label is None:
            continue
        if label not in ENTITY_LABELS:
            raise ValueError(f"{path}: unknown lookup table {label!r}")
        terms[label] = {value: [value, *synonyms.get(value, [])] for value in _examples(item["examples"])}
    orphans = set(synonyms) - {v for values in terms.values() for v in values}
    if orphans:
        raise ValueError(f"{path}: synonyms with no lookup entry: {sorted(orphans)}")
    return terms


def build(output: Path = DEFAULT_OUTPUT) -> spacy.language.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    nlp.initialize()  # loads the lemma lookup table from spacy-lookups-data into the pipeline
    patterns = [
        {"label": label, "pattern": spelling, "id": canonical}
        for label, values in load_terms().items()
        for canonical, spellings in values.items()
        for spelling in spellings
    ]
    ruler.add_patterns(patterns)
    nlp.meta["name"] = "immuno"
    nlp.meta["description"] = "Blank English + lookup lemmatizer + entity ruler for immunotherapy terms"
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return nlp


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    build(target)
    print(f"spaCy pipeline written to {target}")
