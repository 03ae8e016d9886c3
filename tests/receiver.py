"""A real HTTP receiver on loopback for outgoing webhook calls in tests: records what it gets, can be slow."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List


class Receiver:
    """Collects JSON POSTs; answers 201 for a new idempotency key and 200 for one seen before."""

    def __init__(self, delay: float = 0.0, status: int = 201) -> None:
        self.delay = delay
        self.status = status
        self.requests: List[Dict[str, Any]] = []
        self.keys: set = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(receiver.delay)
                key = self.headers.get("Idempotency-Key")
                duplicate = key in receiver.keys
                receiver.requests.append({"headers": dict(self.headers), "json": json.loads(body or b"null")})
                status = receiver.status if receiver.status >= 300 else (200 if duplicate else 201)
                if status < 300:
                    receiver.keys.add(key)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tickets"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def tickets(self) -> Dict[str, Dict[str, Any]]:
        """Each distinct ticket received, by idempotency key."""
        return {r["headers"].get("Idempotency-Key"): r["json"] for r in self.requests}

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
