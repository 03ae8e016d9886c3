"""Two Rasa replicas on one PostgreSQL and one Redis lock store, with an action server each and nginx in front,
as `make run-scaled` runs them, started on free ports with logs in results/scale/; and what they stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Tuple

import requests
from sqlalchemy import create_engine, text

from scripts.local_servers import LocalNginx, LocalPostgres, LocalRedis
from tests.conftest import ROOT
from tests.servers import ActionServer, RasaServer, free_port, project_env

SHARED = {"database_variable": "DATABASE_URL", "redis_variable": "REDIS_URL"}


class Cluster:
    """Replicas `rasa[0]`, `rasa[1]`... (two unless told), each calling its own action server, all on the same
    stores, behind one nginx."""

    def __init__(
        self,
        logs: Path,
        model: Path,
        postgres: LocalPostgres,
        redis: LocalRedis,
        receiver_url: str,
        replicas: int = 2,
        **settings: str,
    ) -> None:
        self.postgres = postgres
        self.database_url = postgres.create_database("cluster")
        env = project_env(
            logs,
            DATABASE_URL=self.database_url,
            REDIS_URL=redis.url,
            TRIAGE_WEBHOOK_URL=receiver_url,
            SENDER_HASH_KEY="scale-test-key",
            REPLY_DEADLINE_SECONDS="60",  # every reply here must be Rasa's own answer, not the deadline apology
            TICKET_LOCK_LIFETIME="24",  # a dead replica's conversation waits this long for its lock
            ACTION_TIMEOUT_SECONDS="5",  # well under the lock lifetime (channels/guard.py checks)
            **settings,
        )
        self.actions = [ActionServer(f"actions-{n}", logs, env) for n in range(replicas)]
        credentials = ROOT / "credentials.yml"
        self.rasa = [
            RasaServer(f"rasa-{n}", logs, env, model, credentials, actions, shared=SHARED)
            for n, actions in enumerate(self.actions)
        ]
        self.nginx = LocalNginx(logs / "nginx", free_port(), [rasa.port for rasa in self.rasa])
        self.engine = create_engine(self.database_url, future=True, pool_pre_ping=True)

    def start(self) -> None:
        for server in [*self.actions, *self.rasa]:
            server.launch()
        for server in [*self.actions, *self.rasa]:
            server.wait_until_up()
        self.nginx.start()

    def stop(self) -> None:
        self.nginx.stop()
        for server in [*self.rasa, *self.actions]:
            server.stop()
        self.engine.dispose()

    def send(self, base_url: str, sender: str, message: str) -> List[Dict]:
        response = requests.post(
            f"{base_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=90
        )
        assert response.status_code == 200, response.text
        replies = response.json()
        assert replies and all(reply.get("text") for reply in replies), f"no answer to {message!r}"
        return replies

    def events(self, sender: str) -> List[Tuple[str, float, dict]]:
        """The conversation's events in PostgreSQL, in the order they were stored."""
        query = text("SELECT type_name, timestamp, data FROM events WHERE sender_id = :sender ORDER BY id")
        with self.engine.connect() as db:
            return [(kind, stamp, json.loads(data)) for kind, stamp, data in db.execute(query, {"sender": sender})]


def user_texts(events: List[Tuple[str, float, dict]]) -> List[str]:
    """The messages the conversation holds. Rasa's two-stage fallback stores a message, rewinds it and stores it
    again once it is understood: a rewound message counts once."""
    texts: List[str] = []
    for kind, _, data in events:
        if kind == "user":
            texts.append(data["text"])
        elif kind == "rewind" and texts:
            texts.pop()
    return texts


def check_whole(events: List[Tuple[str, float, dict]], sent: List[str], label: str) -> None:
    """Each message sent is stored exactly once, and was handled to the end before the next one began."""
    stored = user_texts(events)
    assert sorted(stored) == sorted(sent), label
    timestamps = [stamp for _, stamp, _ in events]
    listing = "\n".join(f"{kind} {stamp:.3f} {data.get('name') or data.get('text')}" for kind, stamp, data in events)
    assert timestamps == sorted(timestamps), f"{label}:\n{listing}"
    turns = [kind for kind, _, data in events if kind == "user" or data.get("name") == "action_listen"]
    for index, kind in enumerate(turns):
        if kind == "user":
            assert index + 1 < len(turns) and turns[index + 1] != "user", f"{label}: a message was not finished"
