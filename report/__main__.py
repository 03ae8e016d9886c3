"""`make report [DAYS=7]`: what people asked that the assistant could not answer, and whether answers helped.

python -m report [--days N] [--db TRACKERS] [--out reports]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

from actions.content import load_content
from report.collect import collect
from report.write import write_all
from scripts.retention import days_arg
from service.settings import ROOT, settings


def titles() -> dict:
    return {name: topic.title for name, topic in load_content().topics.items()}


def main(argv: Optional[List[str]] = None) -> int:
    current = settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--days", type=days_arg, default=7, help="the last N days (%(default)s; at most RETENTION_DAYS)"
    )
    parser.add_argument("--db", default=current.tracker_db, help="the tracker store: TRACKER_DB (%(default)s)")
    parser.add_argument("--out", default=str(ROOT / "reports"), help="folder for the files (%(default)s)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    findings = collect(args.db, args.days, current.retention_days)
    written = write_all(findings, Path(args.out), titles())
    print(
        f"{findings.conversations} conversations, {findings.messages} messages in {findings.days} days:"
        f" {len(findings.rows)} for editors ({time.monotonic() - started:.1f} s). Wrote "
        + ", ".join(str(p) for p in written)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
