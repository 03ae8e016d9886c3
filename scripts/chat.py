"""Chat with the running assistant in the terminal, through Rasa's own console client (REST channel)."""

from __future__ import annotations

import asyncio
import sys
import uuid

from rasa.core.channels.console import record_messages


def main() -> None:
    server_url = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:5005"
    sender_id = f"terminal-{uuid.uuid4().hex[:8]}"
    asyncio.run(record_messages(sender_id, server_url=server_url, use_response_stream=False))


if __name__ == "__main__":
    main()
