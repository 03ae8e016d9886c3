"""Prints the project's endpoints.yml with the action server's port and the tracker store set, for `make run`,
`make run-scaled`, the tests and the benchmark: python -m scripts.endpoints --actions-port 5055 --tracker-db FILE

A file is Rasa's own SQLite store. With DATABASE_URL (or a URL in TRACKER_DB) the conversations go to that database
through replicas.stores, and with REDIS_URL the conversation locks go to Redis; the file names the variable
(`${DATABASE_URL}`), which Rasa reads when it starts, so no password is ever written into it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from service.settings import ROOT, Settings, settings
from service.storage import database_url

ENDPOINTS = ROOT / "endpoints.yml"
TRACKER_STORE = "replicas.stores.SharedSQLTrackerStore"
LOCK_STORE = "replicas.stores.RedisUrlLockStore"


def endpoints(
    actions_port: int,
    tracker_db: Optional[Path],
    database_variable: str = "",
    redis_variable: str = "",
    base: Path = ENDPOINTS,
) -> Dict[str, Any]:
    """`database_variable`/`redis_variable`: the environment variable that holds the shared store's URL, if any."""
    config = yaml.safe_load(base.read_text(encoding="utf-8"))
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    if database_variable:
        config["tracker_store"] = {"type": TRACKER_STORE, "url": f"${{{database_variable}}}"}
    else:
        config["tracker_store"]["db"] = str(tracker_db)
    if redis_variable:
        config["lock_store"] = {"type": LOCK_STORE, "url": f"${{{redis_variable}}}"}
    return config


def write_endpoints(target: Path, actions_port: int, db: Optional[Path], **shared: str) -> Path:
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(endpoints(actions_port, db, **shared), sort_keys=False), encoding="utf-8")
    return target


def shared_variables(current: Settings, tracker_db: str) -> Dict[str, str]:
    """Which variables hold the shared stores' URLs for these settings (none: the single-process set-up)."""
    shared = {}
    if current.database_url:
        shared["database_variable"] = "DATABASE_URL"
    elif "://" in tracker_db:
        shared["database_variable"] = "TRACKER_DB"
    if current.redis_url:
        shared["redis_variable"] = "REDIS_URL"
    return shared


def main(argv: Optional[List[str]] = None) -> int:
    current = settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions-port", type=int, default=current.actions_port, help="ACTIONS_PORT (%(default)s)")
    parser.add_argument("--tracker-db", default=current.tracker_db, help="TRACKER_DB, a file (%(default)s)")
    args = parser.parse_args(argv)
    shared = shared_variables(current, args.tracker_db)
    db = None
    if "database_variable" not in shared:
        db = Path(database_url(args.tracker_db).removeprefix("sqlite:///"))  # Rasa's SQLite store takes a file
        db.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.write(yaml.safe_dump(endpoints(args.actions_port, db, **shared), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
