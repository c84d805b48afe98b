"""The ``fake-trunking`` command line."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from ._version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fake-trunking",
        description="A stateful, offline fake of Twilio's Elastic SIP Trunking v1 API.",
    )
    parser.add_argument("--version", action="version", version=f"fake-trunking {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="run an offline walkthrough with the real twilio client")
    demo.add_argument("--seed", type=int, default=7, help="seed for SIDs and Faker values")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        run_demo(seed=args.seed)
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
