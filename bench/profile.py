"""Where a message's time goes: py-spy samples our Rasa server and action server while one client talks to them."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path
from typing import Dict, List

from bench import BIN, RESULTS, progress
from bench.servers import Assistant
from bench.speed import load

TOP = 25


def _record(pid: int, out: Path, seconds: int) -> subprocess.Popen:
    command = [
        str(BIN / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(seconds),
        "--rate",
        "200",
        "--format",
        "raw",
        "--output",
        str(out),
        "--subprocesses",
        "--nonblocking",
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def hot_spots(collapsed: Path, top: int = TOP) -> List[str]:
    """Share of samples in which each of our, Rasa's or a library's function is on the stack (inclusive)."""
    inclusive: Counter = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        frames = {
            frame.split(" (")[0] + " (" + frame.split(" (")[-1].split(":")[0].split("site-packages/")[-1]
            for frame in stack.split(";")
            if "(" in frame
        }
        for frame in frames:
            inclusive[frame] += samples
    return [f"{100 * n / max(total, 1):5.1f}%  {frame})" for frame, n in inclusive.most_common(top)]


def profile(model: str, seconds: int = 30) -> Dict[str, List[str]]:
    """Samples both servers of the assistant served from `model` under one client for `seconds`."""
    folder = RESULTS / "profile"
    with Assistant("ours", model, folder) as assistant:
        load(assistant.url, 1, "profile warm-up", messages=20, seed=1)
        outputs = {role: folder / f"{role}.collapsed" for role in assistant.processes}
        recorders = [_record(assistant.processes[role].pid, out, seconds) for role, out in outputs.items()]
        progress("profile", f"sampling both servers for {seconds}s under one client")
        load(assistant.url, 1, "profile", seconds=seconds, seed=3)
        for recorder in recorders:
            recorder.wait(timeout=seconds + 60)
    report = {role: hot_spots(out) for role, out in outputs.items() if out.exists()}
    text = "\n\n".join(
        f"# {role}: share of samples with the function on the stack\n" + "\n".join(lines)
        for role, lines in report.items()
    )
    (folder / "hot_spots.txt").write_text(text + "\n")
    progress("profile", f"written {folder / 'hot_spots.txt'}")
    return report
