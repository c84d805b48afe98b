#!/usr/bin/env python3
"""Project tasks; each one sets up what it needs (a virtual environment in .venv) first.

    python3 tasks.py demo    # the offline demo: the real twilio client against the fake
    python3 tasks.py test    # ruff, mypy (strict) and the whole test suite, in parallel
    python3 tasks.py bench   # the benchmark (writes bench/RESULTS.md)

Only the Python 3 standard library is needed to run this file.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("FAKE_TRUNKING_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*cmd: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], cwd=ROOT, check=True)


def setup() -> None:
    """Create .venv and install the package with its test and dev extras (once per pyproject)."""
    stamp = VENV / ".fake-trunking-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text() == wanted and PY.exists():
        return
    if not PY.exists():
        print(f"creating a virtual environment in {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    stamp.write_text(wanted)


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    rest = argv[1:]
    if task == "demo":
        setup()
        run(BIN / "fake-trunking", "demo", *rest)
    elif task == "test":
        setup()
        run(PY, "-m", "ruff", "check", "fake_trunking", "tests", "tasks.py")
        run(PY, "-m", "mypy")
        run(PY, "-m", "pytest", "-n", "auto", *rest)
    elif task == "bench":
        setup()
        run(PY, "-m", "bench", *rest)
    else:
        print(__doc__)
        return 0 if task in ("help", "-h", "--help") else 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode or 1)
