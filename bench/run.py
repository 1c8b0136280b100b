"""``make bench``: run every benchmark script in bench/ (each writes bench/results-*.json/.md).

Benchmarks that need ../shared (the developer cases) are passed ``--shared``; each script is a
plain program so it can also be run on its own. Results are written beside this file (they are
gitignored: numbers belong to a machine and a run, and go into notes and docs by hand).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Script -> whether it takes --shared (the developer cases and background exome).
SCRIPTS = {"speed.py": False, "annotate.py": False, "phenotype.py": True, "batch.py": True}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args()
    failed = []
    for script, needs_shared in SCRIPTS.items():
        path = HERE / script
        if not path.exists():
            continue
        if needs_shared and not args.shared.exists():
            print(f"skipping {script}: {args.shared} absent", file=sys.stderr)
            continue
        cmd = [sys.executable, str(path)] + (["--shared", str(args.shared)] if needs_shared else [])
        print(f"== {' '.join(cmd)}", file=sys.stderr)
        if subprocess.run(cmd).returncode != 0:
            failed.append(script)
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
