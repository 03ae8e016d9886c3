"""Starting and stopping the real servers the tests talk to: free loopback ports, readiness, clean stops, and a
stable copy of the trained model."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tarfile
import time
from pathlib import Path

import requests

from tests.conftest import ROOT

MODEL = ROOT / "models" / "immuno.tar.gz"
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
