"""`make bench`: understanding, speed and cost of the assistant, measured beside stock Rasa on the same machine."""

from __future__ import annotations

import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = ROOT / ".venv" / "bin"
_START = time.monotonic()


def progress(step: str, detail: str = "") -> None:
    """One line saying which step runs, how far it is and how long the whole run has taken."""
    elapsed = time.monotonic() - _START
    print(f"[bench {elapsed:6.0f}s] {step}{': ' + detail if detail else ''}", flush=True)
