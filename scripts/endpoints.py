"""Prints the project's endpoints.yml with the action server's port and the tracker store's SQLite file set, for
`make run`, the tests and the benchmark: python scripts/endpoints.py --actions-port 5055 --tracker-db FILE"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = ROOT / "endpoints.yml"


def endpoints(actions_port: int, tracker_db: Path, base: Path = ENDPOINTS) -> Dict[str, Any]:
    config = yaml.safe_load(base.read_text(encoding="utf-8"))
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    config["tracker_store"]["db"] = str(tracker_db)
    return config


def tracker_db(base: Path = ENDPOINTS) -> Path:
    """The tracker store's SQLite file named in endpoints.yml, relative to the project."""
    store = yaml.safe_load(base.read_text(encoding="utf-8")).get("tracker_store") or {}
    if store.get("type") != "SQL" or store.get("dialect") != "sqlite":
        raise SystemExit(f"{base}: the tracker store is not an SQLite file")
    return ROOT / store["db"]


def write_endpoints(target: Path, actions_port: int, db: Path) -> Path:
    db.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(endpoints(actions_port, db), sort_keys=False), encoding="utf-8")
    return target


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument("--tracker-db", type=Path, default=tracker_db())
    args = parser.parse_args(argv)
    args.tracker_db.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.write(yaml.safe_dump(endpoints(args.actions_port, args.tracker_db.resolve()), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
