"""A Rasa server and its action server for one trained model, on free loopback ports, timed from start to ready."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

import psutil

from bench import BIN, ROOT, progress
from bench.pipelines import env
from scripts.endpoints import write_endpoints
from tests.servers import free_port, stop, wait_until_up


def endpoints_for(action_port: int, folder: Path) -> Path:
    """The project's endpoints.yml with the action server's address changed and the tracker store in `folder`."""
    return write_endpoints(folder / "endpoints.yml", action_port, folder / "tracker_store.db")


def rss_mb(process: subprocess.Popen) -> float:
    """Resident memory of a process and all its children, in MB."""
    try:
        parent = psutil.Process(process.pid)
        members = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return float("nan")
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


class Assistant:
    """One running assistant: its action server and Rasa server, started one after the other so each start is
    timed without the other competing for the CPU."""

    def __init__(self, name: str, model: str, folder: Path) -> None:
        self.name, self.model, self.folder = name, model, folder
        self.processes: Dict[str, subprocess.Popen] = {}
        self.ready_seconds: Dict[str, float] = {}
        self.url = ""

    def _start(self, role: str, command: List[str], health: str, extra_env: Optional[Dict[str, str]] = None) -> None:
        log = self.folder / f"{role}.log"
        started = time.monotonic()
        with log.open("w") as handle:
            process = subprocess.Popen(
                command, cwd=ROOT, env={**env(), **(extra_env or {})}, stdout=handle, stderr=subprocess.STDOUT
            )
        self.processes[role] = process
        wait_until_up(health, process, log, timeout=300, interval=0.1)
        self.ready_seconds[role] = time.monotonic() - started
        progress(f"start {self.name}", f"{role} ready in {self.ready_seconds[role]:.1f}s")

    def __enter__(self) -> Assistant:
        self.folder.mkdir(parents=True, exist_ok=True)
        action_port, rasa_port = free_port(), free_port()
        # triage tickets from handoffs go to a closed local port and a throwaway outbox: nothing leaves the machine
        action_env = {
            "TRIAGE_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/tickets",
            "TRIAGE_OUTBOX_PATH": str(self.folder / "outbox.db"),
            "SENDER_HASH_KEY": "bench-key",
        }
        try:
            actions = [str(BIN / "python"), "-m", "actions.server", "--port", str(action_port)]
            self._start("actions", actions, f"http://127.0.0.1:{action_port}/health", action_env)
            endpoints = endpoints_for(action_port, self.folder)
            rasa = [
                str(BIN / "rasa"),
                "run",
                "--model",
                self.model,
                "--interface",
                "127.0.0.1",
                "--port",
                str(rasa_port),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(ROOT / "credentials.yml"),
            ]
            self._start("rasa", rasa, f"http://127.0.0.1:{rasa_port}/")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes.values():
            stop(process)

    def rss(self) -> Dict[str, float]:
        return {role: rss_mb(process) for role, process in self.processes.items()}
