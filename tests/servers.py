"""Starting and stopping the real servers the tests talk to: free loopback ports, readiness, clean stops, and a
stable copy of the trained model."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import requests

from scripts.endpoints import write_endpoints
from tests.conftest import ROOT

MODEL = ROOT / "models" / "immuno.tar.gz"
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports_in_a_row(count: int) -> int:
    """The first of `count` free ports in a row, below the range the kernel hands out for outgoing connections (a
    port next to one from `free_port` may be taken by any client a moment later)."""
    rng = random.Random()
    for _ in range(200):
        first = rng.randrange(20000, 32000 - count)
        sockets = [socket.socket() for _ in range(count)]
        try:
            for offset, sock in enumerate(sockets):
                sock.bind(("127.0.0.1", first + offset))
            return first
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError(f"no {count} free ports in a row")


def fresh_dir(path: Path) -> Path:
    """An empty folder for one suite's logs and files (what an earlier run left is removed)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 240, interval: float = 1.0) -> None:
    """Wait until GET url answers 2xx; fail at once, naming the log, if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}; see {log}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(interval)
    raise RuntimeError(f"{url} did not come up in {timeout}s; see {log}")


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def snapshot_model(target: Path, timeout: float = 600) -> Path:
    """A copy of the trained model, taken once it is complete, so a retraining meanwhile cannot change it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            before = MODEL.stat()
            time.sleep(2)
            if MODEL.stat().st_size == before.st_size and MODEL.stat().st_mtime == before.st_mtime:
                shutil.copyfile(MODEL, target)
                with tarfile.open(target, "r:gz") as archive:
                    archive.getmembers()  # reads to the end: fails on a model still being written
                return target
        except (OSError, tarfile.TarError, EOFError):
            pass
        time.sleep(5)
    raise RuntimeError(f"no complete model at {MODEL} within {timeout}s: run `make train` first")


def project_env(folder: Path, **extra: str) -> Dict[str, str]:
    """The environment every server in the tests runs with (tests/conftest.py has removed the project's settings
    from it): every store and log in `folder`, and tickets sent to a closed local port unless `extra` says
    otherwise, so nothing reaches data_store/ or a real inbox."""
    env = dict(os.environ)
    env.update({"TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false"})
    env.update(
        TRACKER_DB=str(folder / "trackers.db"),
        TRIAGE_OUTBOX_PATH=str(folder / "outbox.db"),
        INBOX_DB=str(folder / "inbox.db"),
        SMS_STORE_PATH=str(folder / "sms.db"),
        LOG_DIR=str(folder / "logs"),
        TRIAGE_WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/tickets",
    )
    env.update(extra)
    return env


class Server:
    """One server process on a fixed free port: started and waited for, and stopped, killed, paused or restarted as
    a fault in production would."""

    health = "/"

    def __init__(self, name: str, logs: Path, env: Dict[str, str]) -> None:
        self.name, self.logs_dir, self.env = name, logs, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: Optional[subprocess.Popen] = None
        self.logs: List[Path] = []

    def command(self) -> List[str]:
        raise NotImplementedError

    def launch(self) -> None:
        """Starts the process without waiting for it (several servers can then get ready side by side)."""
        log = self.logs_dir / f"{self.name}-{len(self.logs) + 1}.log"
        self.logs.append(log)
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )

    def wait_until_up(self) -> None:
        assert self.process is not None
        wait_until_up(f"{self.url}{self.health}", self.process, self.logs[-1])

    def start(self) -> None:
        self.launch()
        self.wait_until_up()

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill(self) -> None:
        """As a crash would: no clean shutdown."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None

    def pause(self) -> None:
        """Still accepting connections, never answering: a hung server."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


class ActionServer(Server):
    health = "/health"

    def command(self) -> List[str]:
        return [str(BIN / "python"), "-m", "actions.server", "--port", str(self.port)]


class RasaServer(Server):
    """`rasa run` with the project's endpoints (this action server, its own SQLite tracker store, or the stores
    named in `shared`: scripts.endpoints) and credentials."""

    def __init__(
        self,
        name: str,
        logs: Path,
        env: Dict[str, str],
        model: Path,
        credentials: Path,
        actions: ActionServer,
        extra: Sequence[str] = (),
        shared: Optional[Dict[str, str]] = None,
    ) -> None:
        super().__init__(name, logs, env)
        self.model, self.credentials, self.extra = model, credentials, list(extra)
        self.tracker_db = None if shared else logs / f"{name}-trackers.db"
        target = logs / f"{name}-endpoints.yml"
        self.endpoints = write_endpoints(target, actions.port, self.tracker_db, **(shared or {}))

    def command(self) -> List[str]:
        return [
            str(BIN / "rasa"), "run", "--model", str(self.model), "--interface", "127.0.0.1", "--port", str(self.port),
            "--endpoints", str(self.endpoints), "--credentials", str(self.credentials), *self.extra,
        ]  # fmt: skip

    def wait_until_up(self) -> None:
        super().wait_until_up()
        if "Could not load model" in self.logs[-1].read_text(encoding="utf-8", errors="replace"):
            raise RuntimeError(f"{self.name} started without a model; see {self.logs[-1]}")
