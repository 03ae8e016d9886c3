"""`make run-scaled`: the assistant as several Rasa replicas behind nginx, all on one PostgreSQL (conversations,
outbox, opt-outs, inbox) and one Redis (conversation locks). With DATABASE_URL or REDIS_URL unset, a throwaway
local server of each is started, its data under data_store/. Prints where everything is; Ctrl-C stops it all.

    python -m scripts.run_scaled [--replicas 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import requests

from scripts.endpoints import write_endpoints
from scripts.local_servers import PG_USER, LocalNginx, LocalPostgres, LocalRedis
from service.settings import ROOT, child_environment, settings

BIN = ROOT / ".venv" / "bin"
DATA = ROOT / "data_store"
PG_PORT, REDIS_PORT = 5433, 6380  # the throwaway servers' ports, beside any system PostgreSQL or Redis


class Services:
    """The processes started here, stopped in reverse order."""

    def __init__(self, logs: Path, env: Dict[str, str]) -> None:
        self.logs, self.env = logs, env
        self.processes: List[tuple] = []  # (name, process, log)

    def start(self, name: str, command: List[str]) -> subprocess.Popen:
        log = self.logs / f"{name}.log"
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.processes.append((name, process, log))
        return process

    def wait_for(self, name: str, url: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for other, process, log in self.processes:
                if process.poll() is not None:
                    raise SystemExit(f"{other} stopped: see {log}")
            try:
                requests.get(url, timeout=2)
                return
            except requests.RequestException:
                time.sleep(1)
        raise SystemExit(f"{name} did not start in time: see {self.logs}/")

    def stop(self) -> None:
        for _, process, _ in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for _, process, _ in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def local_postgres() -> LocalPostgres:
    folder = DATA / "postgres"
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, PG_USER, PG_USER)
    server = LocalPostgres(folder, PG_PORT)
    if not (folder / "data" / "postmaster.pid").exists():
        server.start()
    return server


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2, help="Rasa replicas (%(default)s)")
    args = parser.parse_args(argv)
    current = settings()
    logs = ROOT / current.log_dir
    logs.mkdir(parents=True, exist_ok=True)
    started: list = []
    database_url, redis_url = current.database_url, current.redis_url
    if not database_url:
        started.append(local_postgres())
        database_url = started[-1].url
    if not redis_url:
        started.append(LocalRedis(DATA / "redis", REDIS_PORT).start())
        redis_url = started[-1].url
    env = child_environment(DATABASE_URL=database_url, REDIS_URL=redis_url)  # they hold every store
    services = Services(logs, env)
    nginx: Optional[LocalNginx] = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        retention = subprocess.run([str(BIN / "python"), "-m", "scripts.retention"], cwd=ROOT, env=env,
                                   capture_output=True, text=True)  # fmt: skip
        if retention.returncode != 0:
            raise SystemExit(f"The retention clean-up failed: {retention.stderr.strip()[-300:]}")
        services.start("inbox", [str(BIN / "python"), "-m", "inbox.server"])
        replica_ports = []
        for number in range(args.replicas):
            actions_port, rasa_port = current.actions_port + number, current.rasa_port + 1 + number
            services.start(
                f"actions-{number}", [str(BIN / "python"), "-m", "actions.server", "--port", str(actions_port)]
            )
            shared = {"database_variable": "DATABASE_URL", "redis_variable": "REDIS_URL"}
            endpoints = write_endpoints(logs / f"endpoints-{number}.yml", actions_port, None, **shared)
            services.start(f"rasa-{number}", [
                str(BIN / "rasa"), "run", "--model", "models/immuno.tar.gz", "--interface", "127.0.0.1",
                "--port", str(rasa_port), "--endpoints", str(endpoints), "--credentials", "credentials.yml",
            ])  # fmt: skip
            replica_ports.append(rasa_port)
        services.start("web", [str(BIN / "python"), "-m", "http.server", str(current.web_port), "--bind", "127.0.0.1",
                               "--directory", "web"])  # fmt: skip
        print(f"Starting {args.replicas} replicas (the first start takes about a minute)...", flush=True)
        for number in range(args.replicas):
            services.wait_for(f"action server {number}", f"http://127.0.0.1:{current.actions_port + number}/health")
        for number, port in enumerate(replica_ports):
            services.wait_for(f"Rasa replica {number}", f"http://127.0.0.1:{port}/")
        services.wait_for("the inbox", f"http://127.0.0.1:{current.inbox_port}/health")
        nginx = LocalNginx(logs / "nginx", current.rasa_port, replica_ports, host=current.rasa_host).start()
        print(
            f"""
  Chat on the web page:  http://localhost:{current.web_port}/
  Triage inbox (staff):  http://localhost:{current.inbox_port}/
  REST API (nginx):      POST http://localhost:{current.rasa_port}/webhooks/rest/webhook
  Rasa replicas:         {", ".join(f"127.0.0.1:{port}" for port in replica_ports)} (behind nginx)
  PostgreSQL:            {"local, data_store/postgres/" if not current.database_url else "DATABASE_URL"}
  Redis:                 {"local, data_store/redis/" if not current.redis_url else "REDIS_URL"}
  Logs:                  {logs}/

Press Ctrl-C to stop.""",
            flush=True,
        )
        while all(process.poll() is None for _, process, _ in services.processes):
            time.sleep(1)
        stopped = next(name for name, process, _ in services.processes if process.poll() is not None)
        print(f"{stopped} stopped: see {logs}/{stopped}.log", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave servers behind
        if nginx is not None:
            nginx.stop()
        services.stop()
        for server in reversed(started):
            try:
                server.stop()
            except RuntimeError as error:  # Ctrl-C reached it too and it is stopping already
                print(error, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
