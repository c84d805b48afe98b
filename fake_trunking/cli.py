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
    demo.add_argument(
        "--server", metavar="URL", help="run against a `fake-trunking serve` server at URL"
    )
    demo.add_argument("--account-sid", help="with --server: the account (default: a fresh one)")
    demo.add_argument("--auth-token", help="with --server: the account's token")
    from .server.cli import add_arguments

    add_arguments(sub.add_parser("serve", help="serve the fake over HTTP (loopback by default)"))
    from .cassettes.verify import add_arguments as add_verify_arguments

    add_verify_arguments(
        sub.add_parser(
            "verify",
            help="replay cassettes (files or folders) against the fake and diff the answers",
        )
    )
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        if args.server:
            run_demo(
                seed=args.seed,
                server=args.server,
                account_sid=args.account_sid,
                auth_token=args.auth_token,
            )
        else:
            run_demo(seed=args.seed)
        return 0
    if args.command == "serve":
        from .server.cli import serve

        return serve(args)
    if args.command == "verify":
        from .cassettes.verify import run

        return run(args)
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
