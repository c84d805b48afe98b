"""``python -m bench [--quick] [--no-write]``: the speed budget of fake-trunking (issue 7).

Every measurement is a ratio taken side by side in one run (absolute times on a shared machine are
noise). Results are printed as a table and written to ``bench/RESULTS.md`` (not with ``--quick``,
the few-second smoke run the test suite uses).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .run import render_markdown, run_all

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no thresholds, no file")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    parser.add_argument("--only", default="", help="comma-separated section names to run")
    args = parser.parse_args(argv)
    only = {s for s in args.only.split(",") if s}
    rows = run_all(quick=args.quick, only=only)
    width = max(len(r.name) for r in rows)
    for r in rows:
        verdict = "" if r.target is None else ("ok" if r.met else "MISSED")
        print(f"{r.name:<{width}}  {r.value:>10}  {r.target or '':<14} {verdict}")
    text = render_markdown(rows)  # rendered in every mode, so the quick smoke run checks it too
    if not args.quick and not args.no_write and not only:
        (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
        print(f"wrote {HERE / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
