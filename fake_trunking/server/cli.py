"""``fake-trunking serve``: its options (``add_arguments``) and the command (``serve``).

The server itself (``server.http``) never imports this module.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, TextIO

from ..core.hosts import is_loopback_host
from ..options import MAX_RESERVATION_DAYS
from .admin_client import ADMIN_TOKEN_ENV
from .database import is_database_path
from .files import StateFileError, load_credentials

if TYPE_CHECKING:
    import argparse

    from .http import FakeTrunkingServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fake-trunking serve``."""
    from .http import (
        DEFAULT_LOG_LIMIT,
        DEFAULT_LOG_MAX_BODY,
        DEFAULT_LOG_MAX_BYTES,
        DEFAULT_TIMEOUT,
    )

    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=0, help="port to bind; 0 (default) picks a free one"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for SIDs and Faker values")
    parser.add_argument(
        "--state", metavar="FILE", default=None,
        help="keep state in FILE: a SQLite database that commits every write before answering "
        "it (survives kill -9); a FILE ending in .json is instead a snapshot loaded at start "
        "and saved on shutdown (not crash-safe)",
    )  # fmt: skip
    parser.add_argument(
        "--state-sync", action="store_true",
        help="deprecated: with a .json --state, also save the snapshot after every write; a "
        "database --state commits every write already",
    )  # fmt: skip
    parser.add_argument(
        "--max-trunks-per-account", metavar="N|none", default=100, type=_limit,
        help="at most N trunks in one account (21244 beyond); 'none' for no limit (default 100,"
        " as Twilio)",
    )  # fmt: skip
    parser.add_argument(
        "--admin-token", metavar="TOKEN", default=None,
        help="admin requests (/__fake__/) must send X-Fake-Trunking-Admin-Token: TOKEN (default: "
        "$FAKE_TRUNKING_ADMIN_TOKEN); needed when --host is not loopback (one is generated and "
        "printed if not given)",
    )  # fmt: skip
    parser.add_argument(
        "--credentials", metavar="FILE", default=None,
        help='JSON {"AC…": "token"}: only these accounts and tokens authenticate',
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
        help="seconds an idle connection is kept, and the deadline for a whole request "
        f"(line, headers and body) to arrive (default {DEFAULT_TIMEOUT:g})",
    )  # fmt: skip
    parser.add_argument(
        "--log-limit", type=_count, metavar="N", default=DEFAULT_LOG_LIMIT,
        help=f"requests kept in the request log (default {DEFAULT_LOG_LIMIT:,})",
    )  # fmt: skip
    parser.add_argument(
        "--log-max-bytes", type=_count, metavar="BYTES", default=DEFAULT_LOG_MAX_BYTES,
        help=f"bytes the request log retains at most (default {DEFAULT_LOG_MAX_BYTES:,})",
    )  # fmt: skip
    parser.add_argument(
        "--log-max-body", type=_count, metavar="BYTES", default=DEFAULT_LOG_MAX_BODY,
        help="bytes of each request and response body kept in the request log; longer ones "
        f"are cut, saying so (default {DEFAULT_LOG_MAX_BODY:,})",
    )  # fmt: skip
    parser.add_argument("--log-requests", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--admin-host", metavar="NAME", action="append", default=[],
        help="a host name the admin endpoints accept in Host besides loopback and the bound "
        "address (e.g. a container's service name); repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--domain-reservation-days", metavar="N", default=0,
        type=_bounded_count(MAX_RESERVATION_DAYS),
        help="keep a deleted trunk's DomainName taken for N days of the fake's clock (21248 on "
        "reuse, for every account); default 0, off (Twilio keeps it up to 30)",
    )  # fmt: skip
    parser.add_argument(
        "--number-hold-days", metavar="N", default=0, type=_bounded_count(MAX_RESERVATION_DAYS),
        help="keep a released phone number off sale for N days of the fake's clock (21422 on "
        "a buy, for every account); default 0, off (Twilio recycles it first)",
    )  # fmt: skip
    parser.add_argument(
        "--max-origination-urls-per-trunk", metavar="N", default=None, type=_bounded_count(),
        help="at most N origination URLs on one trunk (21249 beyond); default: no limit",
    )  # fmt: skip
    parser.add_argument(
        "--proxy", action="store_true",
        help="also be an HTTPS proxy for unmodified clients (twilio-cli, twilio-node...): "
        "CONNECT to the Twilio hosts the fake serves is answered with a certificate of a local, "
        "name-constrained CA; nothing is forwarded. Prints the environment lines to use "
        "(needs the proxy extra)",
    )  # fmt: skip
    parser.add_argument(
        "--ca-dir", metavar="DIR", default=None,
        help="folder of the proxy's CA (default: fake-trunking under $XDG_CACHE_HOME or "
        "~/.cache)",
    )  # fmt: skip


def _limit(text: str) -> Optional[int]:
    """An argparse ``type``: an integer >= 0, or ``none`` (no limit)."""
    import argparse

    if text.strip().lower() == "none":
        return None
    value = int(text) if text.isascii() and text.strip().isdigit() else -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0 or 'none', not {text!r}")
    return value


def _seconds(text: str) -> Any:
    """A number of seconds; anything else is kept as text and refused by ``serve``."""
    try:
        return float(text)
    except ValueError:
        return _Invalid(text)


def _count(text: str) -> Any:
    """A non-negative integer option; a bad one is kept as text and refused by ``serve``."""
    digits = text.strip().replace("_", "")
    if digits.isascii() and digits.isdigit() and len(digits) <= 18:
        return int(digits)
    return _Invalid(text)


class _Invalid(str):
    """An option value ``serve`` refuses in one line (argparse would print its usage too)."""


class _OneLine(logging.Formatter):
    """The ``fake_trunking`` logger under ``serve``: one line per event, no traceback (the
    exception's type and message end the line)."""

    def format(self, record: logging.LogRecord) -> str:
        line = " ".join(record.getMessage().split())
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = " ".join(str(exc).split())[:300]
            line += f": {type(exc).__name__}" + (f": {text}" if text else "")
        return "".join(c if c.isprintable() else "?" for c in line)


def _bounded_count(maximum: Optional[int] = None) -> Callable[[str], int]:
    """An argparse ``type``: an integer from 0 (to ``maximum``); argparse names the option."""
    import argparse

    def parse(text: str) -> int:
        value = int(text) if text.isascii() and text.strip().isdigit() else -1
        if value < 0 or (maximum is not None and value > maximum):
            expected = f"from 0 to {maximum}" if maximum is not None else ">= 0"
            raise argparse.ArgumentTypeError(f"must be an integer {expected}, not {text!r}")
        return value

    return parse


def serve(
    args: argparse.Namespace, *, out: Optional[TextIO] = None, err: Optional[TextIO] = None
) -> int:
    """Run ``fake-trunking serve`` until SIGINT or SIGTERM; the exit status.

    Prints exactly one line on ``out`` (the base URL) once it accepts connections, followed
    with ``--proxy`` by the ``export NAME=value`` lines that send clients through it; every
    other message, one line each, goes to ``err``. On a signal it stops accepting, lets requests in
    flight finish, saves the state file and returns 0 (1 when the state cannot be saved).
    """
    from .http import check_timeout

    out = out or sys.stdout
    err = err or sys.stderr

    def fail(message: str, status: int = 1) -> int:
        err.write(f"fake-trunking serve: {message}\n")
        err.flush()
        return status

    if args.state_sync and not args.state:
        return fail("--state-sync needs --state FILE", 2)
    if not 0 <= args.port <= 65535:
        return fail(f"--port must be from 0 to 65535, not {args.port}", 2)
    try:
        check_timeout("--timeout", args.timeout)
    except ValueError as exc:
        return fail(str(exc), 2)
    for option in ("log_limit", "log_max_bytes", "log_max_body"):
        value = getattr(args, option, None)
        if isinstance(value, _Invalid):
            name = "--" + option.replace("_", "-")
            return fail(f"{name} must be a non-negative integer, not {str(value)!r}", 2)
    state_sync = args.state_sync
    if state_sync:
        if is_database_path(args.state):
            err.write(
                "fake-trunking serve: --state-sync is deprecated and not needed: the database "
                f"{args.state} commits every write before it is answered\n"
            )
            state_sync = False
        else:
            err.write(
                "fake-trunking serve: --state-sync is deprecated: a .json snapshot is not "
                "crash-safe; use a database file (e.g. --state state.db) instead\n"
            )
    admin_token = getattr(args, "admin_token", None)
    if admin_token is None:
        admin_token = os.environ.get(ADMIN_TOKEN_ENV) or None
    if admin_token is not None and not admin_token.strip():
        return fail("--admin-token must not be empty", 2)
    if not is_loopback_host(args.host):
        if admin_token is None:
            admin_token = secrets.token_urlsafe(24)
            err.write(f"fake-trunking serve: admin token: {admin_token}\n")
        err.write(
            f"fake-trunking serve: warning: listening on {args.host}, beyond this machine; the "
            "admin endpoints (reset, dump, load) need the admin token in the "
            "X-Fake-Trunking-Admin-Token header\n"
        )
    proxy = bool(getattr(args, "proxy", False))
    ca_dir = getattr(args, "ca_dir", None)
    if ca_dir and not proxy:
        return fail("--ca-dir needs --proxy", 2)
    if proxy:
        from .certs import ProxyUnavailable, require_cryptography

        try:
            require_cryptography()
        except ProxyUnavailable as exc:
            return fail(str(exc))
    credentials = None
    if args.credentials:
        try:
            credentials = load_credentials(args.credentials)
        except ValueError as exc:
            return fail(str(exc))
    try:
        server = _make_server(args, credentials, state_sync, admin_token, proxy, ca_dir)
    except OSError as exc:  # the proxy's CA folder
        return fail(str(exc))
    return _run(server, args, out, err, fail)


def _make_server(
    args: argparse.Namespace,
    credentials: Any,
    state_sync: bool,
    admin_token: Optional[str],
    proxy: bool,
    ca_dir: Optional[str],
) -> FakeTrunkingServer:
    from .http import (
        DEFAULT_LOG_LIMIT,
        DEFAULT_LOG_MAX_BODY,
        DEFAULT_LOG_MAX_BYTES,
        FakeTrunkingServer,
    )

    return FakeTrunkingServer(
        host=args.host,
        port=args.port,
        state_file=args.state,
        state_sync=state_sync,
        admin_token=admin_token,
        max_trunks_per_account=getattr(args, "max_trunks_per_account", 100),
        timeout=args.timeout,
        log_limit=getattr(args, "log_limit", DEFAULT_LOG_LIMIT),
        log_max_bytes=getattr(args, "log_max_bytes", DEFAULT_LOG_MAX_BYTES),
        log_max_body=getattr(args, "log_max_body", DEFAULT_LOG_MAX_BODY),
        log_requests=args.log_requests,
        admin_hosts=getattr(args, "admin_host", None) or (),
        seed=args.seed,
        credentials=credentials,
        domain_reservation_days=getattr(args, "domain_reservation_days", 0),
        max_origination_urls_per_trunk=getattr(args, "max_origination_urls_per_trunk", None),
        number_hold_days=getattr(args, "number_hold_days", 0),
        proxy=proxy,
        ca_dir=ca_dir,
    )


def _run(
    server: FakeTrunkingServer,
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    fail: Callable[[str], int],
) -> int:
    # The handler only sets a flag: taking a lock (Event.set) in a signal handler can deadlock
    # with the main thread holding that very lock. While the state file loads (nothing is
    # served yet, nothing would be saved) it raises instead, so a long load stops at once.
    signalled: List[int] = []
    previous: Dict[signal.Signals, Any] = {}
    state_file = server.state_file

    def on_signal(signum: int, _frame: Any) -> None:
        signalled.append(signum)
        if state_file is not None and state_file.loading:
            raise _Interrupted(signum)

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        try:
            server.start()
        except StateFileError as exc:
            return fail(str(exc))
        except _Interrupted as exc:
            name = signal.Signals(exc.args[0]).name
            where = state_file.path if state_file is not None else "the state file"
            return fail(f"stopped by {name} while loading state file {where}; nothing was saved")
        except OSError as exc:
            return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        assert server.httpd is not None
        server.httpd.log = err
        logger = logging.getLogger("fake_trunking")
        handler = logging.StreamHandler(err)
        handler.setFormatter(_OneLine())
        logger.addHandler(handler)
        propagate, logger.propagate = logger.propagate, False
        try:
            out.write(server.base_url + "\n")
            if server.tunnels is not None:
                from .proxy import export_lines

                out.write(export_lines(server.proxy_environment()))
            out.flush()
            while not signalled:
                time.sleep(0.1)
        finally:
            saved = _stop_and_save(server)
            logger.removeHandler(handler)
            logger.propagate = propagate
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if saved is not None:
        return fail(saved)
    if server.state_file is not None:
        err.write(f"fake-trunking serve: stopped; state saved to {server.state_file.path}\n")
    else:
        err.write("fake-trunking serve: stopped\n")
    err.flush()
    return 0


class _Interrupted(BaseException):
    """A signal stopped the state file's load (a BaseException: no ``except Exception`` on the
    way catches it)."""


def _stop_and_save(server: FakeTrunkingServer) -> Optional[str]:
    """Stop ``server``; the one-line error when its state could not be saved."""
    try:
        server.stop()
    except StateFileError as exc:
        return str(exc)
    return None


__all__ = ["add_arguments", "serve"]
