"""Runs the triage inbox (inbox/app.py): `python -m inbox.server [--host H] [--port P] [--db FILE-OR-URL]`; the
defaults are INBOX_HOST, INBOX_PORT and INBOX_DB (service/settings.py)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional

from sqlalchemy.exc import SQLAlchemyError

from inbox.app import create_app, logger
from inbox.store import TicketStore
from service.privacy import is_loopback
from service.settings import settings


def main(argv: Optional[List[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    current = settings()
    parser = argparse.ArgumentParser(prog="python -m inbox.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=current.inbox_host, help="INBOX_HOST (%(default)s)")
    parser.add_argument("--port", type=int, default=current.inbox_port, help="INBOX_PORT (%(default)s)")
    parser.add_argument("--db", default=current.inbox_db, help="INBOX_DB (%(default)s)")
    args = parser.parse_args(argv)
    store = TicketStore(args.db)
    try:
        store.ping()
        app = create_app(current, store)
    except (OSError, SQLAlchemyError, ValueError) as error:  # ValueError: INBOX_STAFF, which names the entry
        logger.error("Cannot start the inbox: %s", error)
        return 1
    if not current.triage_webhook_token:
        logger.warning("TRIAGE_WEBHOOK_TOKEN is not set: only clients on this machine (loopback) may post tickets.")
    if not current.inbox_staff:
        logger.warning("INBOX_STAFF is not set: nobody can sign in to the staff page (make staff-password).")
    if not is_loopback(args.host):
        logger.warning("Listening on %s: serve the inbox behind TLS (the session cookie is Secure then).", args.host)

    started = []

    @app.listener("after_server_start")
    async def listening(*_: object) -> None:
        started.append(True)
        logger.info("Triage inbox on http://%s:%s/", args.host, args.port)

    @app.listener("before_server_stop")
    async def stopping(*_: object) -> None:
        logger.info("Stopping.")

    app.run(host=args.host, port=args.port, access_log=False, workers=1)
    if not started:  # Sanic logs why (a port in use, ...) and returns
        logger.error("The inbox could not listen on %s port %s.", args.host, args.port)
        return 1
    logger.info("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
