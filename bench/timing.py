"""Shared by the benchmark scripts: time a shell command and read its peak memory."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path


def varprio_command() -> str:
    """The installed ``varprio`` script next to this Python (not a version manager's shim,
    which would add its own start-up to every timing)."""
    script = Path(sys.executable).with_name("varprio")
    return str(script) if script.is_file() else (shutil.which("varprio") or "varprio")


def timed(cmd: str) -> dict[str, float]:
    """Wall seconds and peak RSS (MB) of a shell command, via /usr/bin/time -v."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", "bash", "-c", cmd],
                          capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"benchmark command failed: {cmd}\n{done.stderr[-2000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    peak = round(int(rss.group(1)) / 1024, 1) if rss else -1.0
    return {"seconds": round(wall, 2), "peak_rss_mb": peak}
