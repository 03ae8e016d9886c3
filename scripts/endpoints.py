"""Prints the project's endpoints.yml with the action server's port and the tracker store's SQLite file set, for
`make run`, the tests and the benchmark: python scripts/endpoints.py --actions-port 5055 --tracker-db FILE"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from service.settings import ROOT, settings
from service.storage import database_url

ENDPOINTS = ROOT / "endpoints.yml"


def endpoints(actions_port: int, tracker_db: Path, base: Path = ENDPOINTS) -> Dict[str, Any]:
    config = yaml.safe_load(base.read_text(encoding="utf-8"))
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    config["tracker_store"]["db"] = str(tracker_db)
    return config


def write_endpoints(target: Path, actions_port: int, db: Path) -> Path:
    db.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(endpoints(actions_port, db), sort_keys=False), encoding="utf-8")
    return target


def main(argv: Optional[List[str]] = None) -> int:
    current = settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions-port", type=int, default=current.actions_port, help="ACTIONS_PORT (%(default)s)")
    parser.add_argument("--tracker-db", default=current.tracker_db, help="TRACKER_DB, a file (%(default)s)")
    args = parser.parse_args(argv)
    db = Path(database_url(args.tracker_db).removeprefix("sqlite:///"))  # Rasa's SQLite store takes a file
    db.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.write(yaml.safe_dump(endpoints(args.actions_port, db), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
