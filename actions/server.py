"""Starts the action server: on 127.0.0.1 unless ACTIONS_HOST says otherwise (only the Rasa server calls it), and
with the triage outbox's delivery loop running from the start, so tickets left from before a restart go out.

    python -m actions.server [--host 127.0.0.1] [--port 5055]
"""

from __future__ import annotations

import argparse
import logging
from typing import List, Optional

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic

from actions.outbox import outbox_worker
from service.settings import settings

logger = logging.getLogger(__name__)


def make_app() -> Sanic:
    app = create_app("actions", cors_origins=None)  # server to server: no browser has business here

    @app.listener("after_server_start")
    async def start_outbox(*_: object) -> None:
        outbox_worker()

    return app


def main(argv: Optional[List[str]] = None) -> None:
    current = settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=current.actions_host, help="ACTIONS_HOST (%(default)s)")
    parser.add_argument("--port", type=int, default=current.actions_port, help="ACTIONS_PORT (%(default)s)")
    args = parser.parse_args(argv)
    utils.configure_colored_logging(current.log_level)
    utils.update_sanic_log_level()
    logger.info("Action server on http://%s:%s", args.host, args.port)
    make_app().run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
