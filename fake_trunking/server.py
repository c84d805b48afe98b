"""Server mode: the same ``FakeTrunkingService.handle`` over real HTTP, for any client and curl.

``fake-trunking serve`` and ``FakeTrunkingServer`` run a threaded ``http.server`` whose every
``/v1`` request becomes a ``Request`` for the (never started) fake, with ``base_url`` taken from
the request's ``Host`` header, so every ``url``, ``links`` entry and ``meta`` page URL points back
at the server. Admin endpoints live under ``/__fake__/`` (see ``ADMIN_ROUTES``); they answer JSON,
and their errors are Twilio error bodies like the API's.

Robustness: bodies above ``MAX_BODY`` (1 MiB) are refused with 413/20001 before they are read
(``Content-Length`` is checked first, chunked bodies are read with a running bound); malformed HTTP
is a 400 Twilio body; every connection has its own thread and a socket timeout, and the number of
connections is capped, so slow or idle clients cannot block the others.

Only the standard library is imported here (``twilio`` is imported by ``client()`` on first use).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import socketserver
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    List,
    Mapping,
    Optional,
    Set,
    TextIO,
    Tuple,
    Union,
)
from urllib.parse import parse_qsl, urlsplit

from . import errors
from ._version import __version__
from .errors import TwilioError
from .faults import Fault
from .handler import _ACCOUNT_SID, Request
from .resources.association import PHONE_NUMBER_DEFAULTS
from .service import FakeTrunkingService
from .store import DATE_FORMAT

if TYPE_CHECKING:
    import argparse

    from twilio.rest import Client

MAX_BODY = 1024 * 1024  # bytes; larger request bodies are 413/20001
MAX_STATE_FILE = 1024 * 1024 * 1024  # bytes; a larger --state file is refused unread
MAX_CREDENTIALS_FILE = 1024 * 1024  # bytes; a larger --credentials file is refused unread
MAX_SEED_COUNT = 100_000  # trunks per admin seed request
DEFAULT_TIMEOUT = 30.0  # seconds a connection may stay silent (idle keep-alive or slow sender)
DEFAULT_MAX_CONNECTIONS = 256
DEFAULT_LOG_LIMIT = 10_000  # requests kept in ``fake.calls`` by a server (oldest dropped first)
ADMIN_PREFIX = "/__fake__"

_HOST = re.compile(
    r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}"
    r"[A-Za-z0-9_])?)*\.?(?::[0-9]{1,5})?\Z"
    r"|\[[0-9A-Fa-f:.]{2,45}\](?::[0-9]{1,5})?\Z"
)
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}\Z")
_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
_TWILIO_CODES = {404: 20404, 405: 20004, 500: 20500, 503: 20503}

PathLike = Union[str, "os.PathLike[str]"]


class StateFileError(Exception):
    """A state file that cannot be read, parsed, validated or written (one-line message)."""


class StateFile:
    """A JSON state file (the ``fake.dump_state()`` format), loaded once and saved atomically."""

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _fail(self, what: str, exc: BaseException) -> StateFileError:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return StateFileError(f"cannot {what} state file {self.path}: {reason}")

    def load_into(self, fake: FakeTrunkingService) -> bool:
        """Load the file into ``fake``; False (nothing loaded) when it does not exist yet.

        Anything else that stops the load raises ``StateFileError``; the fake and the file are
        then unchanged.
        """
        try:
            raw = _read_bounded(self.path, MAX_STATE_FILE)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._fail("read", OSError(exc.strerror) if exc.strerror else exc) from None
        try:
            snapshot = _parse_json(raw)
            if not isinstance(snapshot, dict):
                raise ValueError("the top level is not a JSON object")
            fake.load_state(snapshot)
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            raise self._fail("load", exc) from None
        return True

    def save(self, fake: FakeTrunkingService) -> None:
        """Write ``fake``'s state atomically (temporary file in the same folder, then replace)."""
        with self._lock:  # dump and write under one lock: a later save never loses to an earlier
            data = json.dumps(fake.dump_state(), separators=(",", ":")) + "\n"
            folder = self.path.parent
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
            except OSError as exc:
                raise self._fail("write", exc) from None
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                with contextlib.suppress(OSError):  # a new file keeps mkstemp's 0600
                    os.chmod(tmp, os.stat(self.path).st_mode & 0o7777)
                os.replace(tmp, self.path)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise self._fail("write", exc) from None


def load_credentials(path: PathLike) -> Dict[str, str]:
    """``{account_sid: auth_token}`` from a JSON file; ``StateFileError``-like one-line errors."""
    where = Path(path)
    try:
        data = _parse_json(_read_bounded(where, MAX_CREDENTIALS_FILE))
    except OSError as exc:
        raise ValueError(f"cannot read credentials file {where}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        reason = " ".join(str(exc).split())
        raise ValueError(f"cannot load credentials file {where}: {reason}") from None
    if not isinstance(data, dict) or not data:
        raise ValueError(f"credentials file {where}: expected a JSON object {{account_sid: token}}")
    for sid, token in data.items():
        if not _ACCOUNT_SID.match(sid):
            raise ValueError(f"credentials file {where}: {sid!r} is not an account SID (AC…)")
        if not isinstance(token, str) or not token:
            raise ValueError(f"credentials file {where}: the token of {sid} is not a string")
    return dict(data)


def _read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of ``path``; a file larger than ``limit`` is refused (OSError) unread."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size > limit:
            raise OSError(f"larger than {limit // (1024 * 1024)} MiB; refused")
        raw = fh.read(limit + 1)
    if len(raw) > limit:
        raise OSError(f"larger than {limit // (1024 * 1024)} MiB; refused")
    return raw


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_json(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)


# -- the HTTP server ------------------------------------------------------------------------
class TrunkingHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server answering through ``fake.handle``; one thread per connection."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        fake: FakeTrunkingService,
        address: Tuple[str, int] = ("127.0.0.1", 0),
        *,
        state_file: Optional[StateFile] = None,
        state_sync: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        max_body: int = MAX_BODY,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        log_limit: Optional[int] = DEFAULT_LOG_LIMIT,
        log_requests: bool = False,
        log: Optional[TextIO] = None,
    ) -> None:
        self.fake = fake
        self.state_file = state_file
        self.state_sync = state_sync
        self.client_timeout = timeout
        self.max_body = max_body
        self.max_connections = max_connections
        self.log_limit = log_limit
        self.log_requests = log_requests
        self.log = log
        self.stopping = False
        self._connections = 0
        self._sockets: Set[socket.socket] = set()
        self._inflight = 0
        self._counts = threading.Condition()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can hang without DNS: skip it
        socketserver.TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    @property
    def port(self) -> int:
        return int(self.server_port)

    @property
    def host(self) -> str:
        """The bound address as it goes in a URL (IPv6 in brackets)."""
        name = self.server_name
        return f"[{name}]" if ":" in name else name

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def say(self, line: str) -> None:
        stream = self.log or sys.stderr
        try:
            stream.write(line + "\n")
            stream.flush()
        except (OSError, ValueError):
            pass

    # connection accounting: a cap on connections, and in-flight requests drained on stop
    def process_request(self, request: Any, client_address: Any) -> None:
        with self._counts:
            refuse = self.stopping or self._connections >= self.max_connections
            if not refuse:
                self._connections += 1
                self._sockets.add(request)
        if refuse:
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            with self._counts:
                self._connections -= 1
                self._sockets.discard(request)
            raise

    def _refuse(self, request: Any) -> None:
        error = TwilioError(503, 20503, "Service Unavailable: too many connections")
        body = json.dumps(error.body()).encode()
        head = (
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        try:
            request.settimeout(1.0)
            request.sendall(head + body)
        except OSError:
            pass
        self.shutdown_request(request)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._counts:
                self._connections -= 1
                self._sockets.discard(request)

    def begin_request(self) -> None:
        with self._counts:
            self._inflight += 1

    def end_request(self) -> None:
        with self._counts:
            self._inflight -= 1
            if self._inflight == 0:
                self._counts.notify_all()

    def drain(self, timeout: float) -> bool:
        """Refuse new requests and wait up to ``timeout`` s for those in flight; True if none."""
        with self._counts:
            self.stopping = True
            return self._counts.wait_for(lambda: self._inflight == 0, timeout)

    def close_connections(self) -> None:
        """Shut down every open connection (idle keep-alive ones after ``drain``)."""
        with self._counts:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    @property
    def connections(self) -> int:
        return self._connections

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return  # the client went away
        self.say(f"fake-trunking: error serving {client_address}: {exc!r}")

    # -- what a request does ---------------------------------------------------------------
    def after_write(self) -> None:
        """Save the state after a write when ``--state-sync`` is on."""
        if self.state_sync and self.state_file is not None:
            try:
                self.state_file.save(self.fake)
            except StateFileError as exc:
                self.say(f"fake-trunking: {exc}")

    def trim_log(self) -> None:
        limit = self.log_limit
        calls = self.fake.calls
        if limit is not None and len(calls) > limit:
            del calls[: len(calls) - limit]


def _read_line(rfile: Any, limit: int) -> bytes:
    line: bytes = rfile.readline(limit + 1)
    if len(line) > limit or not line.endswith(b"\n"):
        raise TwilioError(400, 20001, "Malformed chunked body")
    return line


class _BodyTooLarge(Exception):
    pass


class _RequestHandler(BaseHTTPRequestHandler):
    server: TrunkingHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = f"fake-trunking/{__version__}"
    sys_version = ""
    disable_nagle_algorithm = True
    _headers_buffer: List[bytes]

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        self._drain_input = False
        super().setup()
        self.connection.settimeout(self.server.client_timeout)

    # -- logging: quiet unless asked -------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log_requests:
            self.server.say(f"{self.address_string()} - {_printable(format % args)}")

    # -- errors of the HTTP layer: Twilio bodies, never HTML -------------------------------
    def send_error(
        self, code: int, message: Optional[str] = None, explain: Optional[str] = None
    ) -> None:
        if not self.request_version or self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        text = message or self.responses.get(code, ("Error",))[0]
        error = TwilioError(code, _TWILIO_CODES.get(code, 20001), text)
        self.close_connection = True
        self._send(code, {"Content-Type": "application/json"}, _json(error.body()), close=True)

    def handle_expect_100(self) -> bool:
        try:
            self._check_length()
        except _BodyTooLarge:
            self._too_large()
            return False
        except TwilioError as exc:
            self._send_twilio(exc, close=True)
            return False
        return bool(super().handle_expect_100())

    # -- one request -------------------------------------------------------------------------
    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline = ""
                self.request_version = "HTTP/1.0"
                self.command = ""
                self.send_error(414, "Request line too long")
                self._drain_input = True
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            if self.request_version == "HTTP/0.9":
                self.send_error(400, "HTTP/0.9 requests are not supported")
                return
            self.server.begin_request()
            try:
                if self.server.stopping:
                    error = TwilioError(503, 20503, "Service Unavailable: the server is stopping")
                    self._send_twilio(error, close=True)
                else:
                    self._serve()
            finally:
                self.server.end_request()
            self.wfile.flush()
        except OSError:  # a timeout or a connection reset: drop this connection only
            self.close_connection = True
        finally:
            if self._drain_input:
                self._drain_input = False
                self._discard_input()

    def _serve(self) -> None:
        target = self.path
        if target.startswith("/"):
            path, _, query = target.partition("?")
            query = query.partition("#")[0]
        elif target.lower().startswith(("http://", "https://")):
            parts = urlsplit(target)
            path, query = parts.path or "/", parts.query
        else:
            self._send_twilio(errors.bad_request(f"Invalid request target {target[:100]!r}"), True)
            return
        try:
            body = self._read_body()
        except _BodyTooLarge:
            self._too_large()
            return
        except TwilioError as exc:
            self._send_twilio(exc, close=True)
            return
        if body is None:  # the client went away mid-body
            self.close_connection = True
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            self._serve_admin(path, query, body)
            return
        request = Request(
            method=self.command,
            path=path,
            query=query,
            body=body,
            headers=headers,
            base_url=f"http://{self._host()}",
        )
        server = self.server
        try:
            response = server.fake.handle(request)
        except Exception:  # an injected connection fault: drop the connection, answer nothing
            self.close_connection = True
            server.trim_log()
            return
        server.trim_log()
        if request.method.upper() not in ("GET", "HEAD") and response.status < 400:
            server.after_write()
        self._send(response.status, response.headers, response.body)

    def _host(self) -> str:
        """The request's Host when it is a plain host[:port]; else the bound address."""
        host = self.headers.get("Host", "").strip()
        if host and len(host) <= 260 and _HOST.match(host):
            return host
        return f"{self.server.host}:{self.server.port}"

    # -- bodies ----------------------------------------------------------------------------
    def _check_length(self) -> Optional[int]:
        """The declared Content-Length (None when absent); raises on a bad or too large one."""
        encodings = self.headers.get_all("Transfer-Encoding") or []
        lengths = self.headers.get_all("Content-Length") or []
        if encodings:
            if lengths:
                raise errors.bad_request("Content-Length and Transfer-Encoding are both set")
            codings = [c.strip().lower() for v in encodings for c in v.split(",") if c.strip()]
            if codings != ["chunked"]:
                raise TwilioError(501, 20001, "Unsupported Transfer-Encoding")
            return None
        if not lengths:
            return None
        values = {v.strip() for v in lengths}
        value = values.pop()
        if values or not value.isdigit() or len(value) > 18:
            raise errors.bad_request("Invalid Content-Length")
        length = int(value)
        if length > self.server.max_body:
            raise _BodyTooLarge
        return length

    def _read_body(self) -> Optional[bytes]:
        length = self._check_length()
        if length is not None:
            body: bytes = self.rfile.read(length) if length else b""
            return body if len(body) == length else None
        if self.headers.get_all("Transfer-Encoding"):
            return self._read_chunked()
        return b""

    def _read_chunked(self) -> bytes:
        limit = self.server.max_body
        chunks: List[bytes] = []
        total = 0
        while True:
            line = _read_line(self.rfile, 1024).rstrip(b"\r\n")
            size_text = line.split(b";", 1)[0].strip()
            if not _CHUNK_SIZE.match(size_text):
                raise TwilioError(400, 20001, "Malformed chunked body")
            size = int(size_text, 16)
            if size == 0:
                for _ in range(64):  # trailer fields, then the blank line
                    if _read_line(self.rfile, 8192) in (b"\r\n", b"\n"):
                        return b"".join(chunks)
                raise TwilioError(400, 20001, "Malformed chunked body")
            total += size
            if total > limit:
                raise _BodyTooLarge
            data = self.rfile.read(size)
            if len(data) != size or self.rfile.read(2) != b"\r\n":
                raise TwilioError(400, 20001, "Malformed chunked body")
            chunks.append(data)

    def _too_large(self) -> None:
        self._send_twilio(errors.too_large(), close=True)
        self._drain_input = True

    def _discard_input(self) -> None:
        """Read and drop what the client is still sending (bounded in time), so that it sees
        our response instead of a connection reset. Nothing is kept."""
        sock = self.connection
        try:
            self.wfile.flush()
            sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + 2.0
            sock.settimeout(0.5)
            while time.monotonic() < deadline and sock.recv(65536):
                pass
        except OSError:
            pass

    # -- responses -------------------------------------------------------------------------
    def _send(
        self, status: int, headers: Mapping[str, str], body: bytes, close: bool = False
    ) -> None:
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            if "\r" in value or "\n" in value or "\r" in key or "\n" in key:
                continue
            self.send_header(key, value)
        if status >= 200 and status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
        if self.command != "HEAD" and body and status not in (204, 304):
            self._headers_buffer.append(b"\r\n" + body)  # one write: no Nagle/delayed-ACK stall
            self.flush_headers()
        else:
            self.end_headers()

    def _send_twilio(self, error: TwilioError, close: bool = False) -> None:
        if close:
            self.close_connection = True
        self._send(error.status, {"Content-Type": "application/json"}, _json(error.body()), close)

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, {"Content-Type": "application/json"}, _json(payload))

    # -- admin -----------------------------------------------------------------------------
    def _serve_admin(self, path: str, query: str, body: bytes) -> None:
        server = self.server
        route = ADMIN_ROUTES.get(path[len(ADMIN_PREFIX) :].rstrip("/") or "/")
        try:
            if route is None:
                raise errors.not_found(path)
            action = route.get(self.command)
            if action is None:
                raise errors.method_not_allowed()
            if body.strip():
                try:
                    data = _parse_json(body)
                except (ValueError, RecursionError) as exc:
                    reason = " ".join(str(exc).split())
                    raise errors.bad_request(f"Invalid JSON body: {reason}") from None
            else:
                data = {}
            if not isinstance(data, dict):
                raise errors.bad_request("The JSON body must be an object")
            args = _Args(data, dict(parse_qsl(query, keep_blank_values=True)))
            status, payload, writes = action(server, args)
        except TwilioError as exc:
            self._send_twilio(exc)
            return
        if writes:
            server.after_write()
        self._send_json(status, payload)


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _json(payload: Any) -> bytes:
    return json.dumps(payload).encode("utf-8")


class _Args:
    """A JSON admin body (and query): typed getters, 400/20001 on a wrong type or unknown key."""

    def __init__(self, body: Dict[str, Any], query: Dict[str, str]) -> None:
        self.body = body
        self.query = query
        self.used: Set[str] = set()

    def get(self, key: str, kinds: Tuple[type, ...], default: Any = None) -> Any:
        self.used.add(key)
        if key not in self.body or self.body[key] is None:
            return default
        value = self.body[key]
        if isinstance(value, bool) and bool not in kinds:
            raise errors.invalid_parameter(key, f"must be {_kind_names(kinds)}")
        if not isinstance(value, kinds):
            raise errors.invalid_parameter(key, f"must be {_kind_names(kinds)}")
        return value

    def account(self, server: TrunkingHTTPServer) -> str:
        sid = self.get("account_sid", (str,))
        if sid is None:
            return server.fake.default_account_sid
        if not _ACCOUNT_SID.match(sid):
            raise errors.invalid_parameter("account_sid", "must be an account SID (AC + 32 hex)")
        return str(sid)

    def rest(self) -> Dict[str, Any]:
        """The keys no getter asked for (consumed: ``finish`` will not complain about them)."""
        out = {k: v for k, v in self.body.items() if k not in self.used}
        self.used.update(out)
        return out

    def finish(self) -> None:
        """Every action calls this once it has read its arguments and before it acts."""
        unknown = sorted(set(self.body) - self.used)
        if unknown:
            raise errors.bad_request(f"Unknown field(s) in the JSON body: {', '.join(unknown)}")


def _kind_names(kinds: Tuple[type, ...]) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names.update({dict: "an object", list: "a list"})
    return " or ".join(names.get(k, k.__name__) for k in kinds)


AdminAction = Callable[[TrunkingHTTPServer, _Args], Tuple[int, Any, bool]]


def _as_400(call: Callable[[], Any]) -> Any:
    """Run a Python-API call; its ValueError/TypeError is a 400/20001 (TwilioErrors pass)."""
    try:
        return call()
    except (ValueError, TypeError) as exc:
        raise errors.bad_request(" ".join(str(exc).split())) from None


def _admin_info(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    fake = server.fake
    return (
        200,
        {
            "name": "fake-trunking",
            "version": __version__,
            "api_base_url": "/v1",
            "default_account_sid": fake.default_account_sid,
            "credentials_required": fake.credentials is not None,
            "state_file": str(server.state_file.path) if server.state_file else None,
            "state_sync": server.state_sync,
            "max_body": server.max_body,
            "endpoints": sorted(
                f"{m} {ADMIN_PREFIX}{p}" for p, r in ADMIN_ROUTES.items() for m in r
            ),
        },
        False,
    )


def _admin_reset(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    server.fake.reset()
    return 200, {"reset": True}, True


def _admin_state(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    return 200, server.fake.dump_state(), False


def _admin_load_state(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
    snapshot = args.rest()
    try:
        server.fake.load_state(snapshot)
    except (ValueError, TypeError, KeyError) as exc:
        raise errors.bad_request("Invalid state: " + " ".join(str(exc).split())) from None
    accounts = snapshot.get("accounts", {})
    trunks = sum(len(a.get("trunks", [])) for a in accounts.values())
    return 200, {"loaded": True, "accounts": len(accounts), "trunks": trunks}, True


def _admin_seed_trunks(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
    account = args.account(server)
    count = args.get("count", (int,), 1)
    if not 0 <= count <= MAX_SEED_COUNT:
        raise errors.invalid_parameter("count", f"must be an integer from 0 to {MAX_SEED_COUNT}")
    fields = args.rest()
    for key, value in fields.items():
        if not isinstance(value, (str, bool, int)):
            raise errors.invalid_parameter(key, "must be a string, a boolean or an integer")
    sids = _as_400(lambda: server.fake.seed_trunks(account, count, **fields))
    return 201, {"account_sid": account, "sids": sids}, True


def _seed_list(method: str) -> AdminAction:
    def seed(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
        account = args.account(server)
        name = args.get("friendly_name", (str,))
        args.finish()
        sid = _as_400(lambda: getattr(server.fake, method)(account, name))
        return 201, {"account_sid": account, "sid": sid}, True

    return seed


def _admin_seed_phone_number(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
    account = args.account(server)
    number = args.get("phone_number", (str,))
    name = args.get("friendly_name", (str,))
    fields = args.rest()
    for key, value in fields.items():
        _check_phone_field(key, value)
    sid = _as_400(lambda: server.fake.seed_phone_number(account, number, name, **fields))
    return 201, {"account_sid": account, "sid": sid}, True


def _check_phone_field(key: str, value: Any) -> None:
    """JSON types of the phone number fields (the names are checked by ``seed_phone_number``)."""
    if key in ("date_created", "date_updated"):
        if not (isinstance(value, str) and _DATE.match(value)):
            raise errors.invalid_parameter(key, f"must be a date like {DATE_FORMAT}")
        return
    if key not in PHONE_NUMBER_DEFAULTS:
        return
    default = PHONE_NUMBER_DEFAULTS[key]
    if isinstance(default, dict):
        ok = isinstance(value, dict) and all(
            k in default and isinstance(v, bool) for k, v in value.items()
        )
        if not ok:
            raise errors.invalid_parameter(key, f"must be an object of booleans {sorted(default)}")
    elif isinstance(default, bool):
        if not isinstance(value, bool):
            raise errors.invalid_parameter(key, "must be a boolean")
    elif not (value is None or isinstance(value, str)):
        raise errors.invalid_parameter(key, "must be a string or null")


def _admin_requests(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    calls = list(server.fake.calls)
    raw = args.query.get("limit")
    if raw is not None:
        if not raw.isdigit():
            raise errors.invalid_parameter("limit", "must be a non-negative integer")
        calls = calls[len(calls) - int(raw) :] if int(raw) < len(calls) else calls
    return 200, {"requests": [_render_call(c) for c in calls]}, False


def _admin_clear_requests(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    server.fake.calls.clear()
    return 200, {"cleared": True}, False


def _render_call(call: Any) -> Dict[str, Any]:
    """One logged request, without its headers (so never its Authorization) or body bytes."""
    request: Request = call.request
    try:
        params = call.params
    except TwilioError:
        params = {}
    exception = call.exception
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "params": params,
        "account_sid": _account_of(request.headers.get("authorization")),
        "status": call.response.status,
        "request_id": call.response.headers.get("Twilio-Request-Id"),
        "duration": round(call.duration, 6),
        "response": call.body,
        "fault": call.fault.describe() if call.fault is not None else None,
        "exception": type(exception).__name__ if exception is not None else None,
    }


def _account_of(authorization: Optional[str]) -> Optional[str]:
    """The account SID user name of a Basic header (never the secret); None for anything else."""
    import base64
    import binascii

    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        user = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user = user.partition(":")[0]
    return user if _ACCOUNT_SID.match(user) else None


def _admin_faults(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    return 200, {"faults": [_render_fault(f) for f in server.fake.faults]}, False


def _admin_inject_fault(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
    """``fake.inject_fault`` from JSON; ``exception`` names a ``requests.exceptions`` class
    (``"ConnectionError"``, ``"ReadTimeout"``): the server then drops the connection."""
    kwargs: Dict[str, Any] = {
        "status": args.get("status", (int,)),
        "code": args.get("code", (int,)),
        "method": args.get("method", (str,)),
        "path": args.get("path", (str,)),
        "times": args.get("times", (int,), 1),
        "probability": args.get("probability", (int, float)),
        "latency": args.get("latency", (int, float)),
        "retry_after": args.get("retry_after", (int, str)),
    }
    if "times" in args.body and args.body["times"] is None:
        kwargs["times"] = None  # null: no limit
    name = args.get("exception", (str,))
    if name is not None:
        kwargs["exception"] = _exception_class(name)
    args.finish()
    fault = _as_400(lambda: server.fake.inject_fault(**kwargs))
    return 201, _render_fault(fault), False


def _admin_clear_faults(server: TrunkingHTTPServer, args: _Args) -> Tuple[int, Any, bool]:
    args.finish()
    server.fake.clear_faults()
    return 200, {"cleared": True}, False


def _exception_class(name: str) -> type:
    import requests.exceptions

    found = getattr(requests.exceptions, name, None)
    if not (isinstance(found, type) and issubclass(found, Exception)):
        raise errors.invalid_parameter(
            "exception",
            "must name a requests.exceptions class, e.g. ConnectionError or ReadTimeout",
        )
    return found


def _render_fault(fault: Fault) -> Dict[str, Any]:
    exception = fault.exception
    if exception is not None and not isinstance(exception, type):
        exception = type(exception)
    return {
        "description": fault.describe(),
        "status": fault.status,
        "code": fault.code,
        "method": fault.method,
        "path": fault.path.pattern if fault.path is not None else None,
        "times": fault.times,
        "remaining": fault.remaining,
        "hits": fault.hits,
        "probability": fault.probability,
        "latency": fault.latency,
        "exception": exception.__name__ if exception is not None else None,
        "retry_after": fault.retry_after,
    }


ADMIN_ROUTES: Dict[str, Dict[str, AdminAction]] = {
    "/": {"GET": _admin_info},
    "/reset": {"POST": _admin_reset},
    "/state": {"GET": _admin_state, "PUT": _admin_load_state, "POST": _admin_load_state},
    "/seed/trunks": {"POST": _admin_seed_trunks},
    "/seed/credential_lists": {"POST": _seed_list("seed_credential_list")},
    "/seed/ip_access_control_lists": {"POST": _seed_list("seed_ip_access_control_list")},
    "/seed/phone_numbers": {"POST": _admin_seed_phone_number},
    "/requests": {"GET": _admin_requests, "DELETE": _admin_clear_requests},
    "/faults": {"GET": _admin_faults, "POST": _admin_inject_fault, "DELETE": _admin_clear_faults},
}


# -- a server in a background thread (tests, notebooks) ------------------------------------
class FakeTrunkingServer:
    """A fake Trunking server on a free loopback port, served from a background thread.

    >>> with FakeTrunkingServer(seed=1) as server:
    ...     client = server.client()          # a twilio Client whose Trunking calls go to it
    ...     trunk = client.trunking.v1.trunks.create(friendly_name="x")
    ...     assert trunk.url.startswith(server.base_url)

    Keywords other than the ones below go to ``FakeTrunkingService`` (or pass ``fake=``, a fake
    that you made; it must not be started, or its ``responses`` mock would catch the client's
    requests to the server).
    """

    def __init__(
        self,
        fake: Optional[FakeTrunkingService] = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: Optional[PathLike] = None,
        state_sync: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        log_limit: Optional[int] = DEFAULT_LOG_LIMIT,
        log_requests: bool = False,
        **service_kwargs: Any,
    ) -> None:
        if fake is not None and service_kwargs:
            raise TypeError("pass either fake= or FakeTrunkingService keywords, not both")
        self.fake = fake if fake is not None else FakeTrunkingService(**service_kwargs)
        self.state_file = StateFile(state_file) if state_file is not None else None
        self._address = (host, port)
        self._options: Dict[str, Any] = {
            "state_sync": state_sync,
            "timeout": timeout,
            "max_connections": max_connections,
            "log_limit": log_limit,
            "log_requests": log_requests,
        }
        self.httpd: Optional[TrunkingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> FakeTrunkingServer:
        """Load the state file (if any), bind, and serve in a daemon thread."""
        if self.httpd is not None:
            return self
        if self.state_file is not None:
            self.state_file.load_into(self.fake)
        httpd = TrunkingHTTPServer(
            self.fake, self._address, state_file=self.state_file, **self._options
        )
        thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-trunking-server-{httpd.port}",
            daemon=True,
        )
        thread.start()
        self.httpd, self._thread = httpd, thread
        return self

    def stop(self, drain_timeout: float = 5.0) -> None:
        """Stop accepting, let requests in flight finish, save the state file, close."""
        httpd, thread = self.httpd, self._thread
        if httpd is None:
            return
        httpd.shutdown()
        httpd.drain(drain_timeout)
        httpd.close_connections()
        try:
            if self.state_file is not None:
                self.state_file.save(self.fake)
        finally:
            httpd.server_close()
            if thread is not None:
                thread.join(5.0)
            self.httpd = self._thread = None

    def __enter__(self) -> FakeTrunkingServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.httpd is not None

    def _httpd(self) -> TrunkingHTTPServer:
        if self.httpd is None:
            raise RuntimeError("the server is not started (use start() or a with block)")
        return self.httpd

    @property
    def port(self) -> int:
        return self._httpd().port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (while started)."""
        return self._httpd().base_url

    def client(self, account_sid: Optional[str] = None, **kwargs: Any) -> Client:
        """A ``twilio.rest.Client`` for ``account_sid`` whose Trunking calls go to this server."""
        from .client import client_for

        sid = account_sid or self.fake.default_account_sid
        return client_for(self.base_url, sid, self.fake.auth_token(sid), **kwargs)


# -- ``fake-trunking serve`` ---------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fake-trunking serve``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=0, help="port to bind; 0 (default) picks a free one"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for SIDs and Faker values")
    parser.add_argument(
        "--state", metavar="FILE", default=None,
        help="load state from FILE at start (if it exists) and save it there on shutdown",
    )  # fmt: skip
    parser.add_argument(
        "--state-sync", action="store_true", help="also save the state after every write"
    )
    parser.add_argument(
        "--credentials", metavar="FILE", default=None,
        help='JSON {"AC…": "token"}: only these accounts and tokens authenticate',
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT,
        help=f"seconds an idle or slow connection is kept (default {DEFAULT_TIMEOUT:g})",
    )  # fmt: skip
    parser.add_argument("--log-requests", action="store_true", help="log every request to stderr")


def serve(
    args: argparse.Namespace, *, out: Optional[TextIO] = None, err: Optional[TextIO] = None
) -> int:
    """Run ``fake-trunking serve`` until SIGINT or SIGTERM; the exit status.

    Prints exactly one line on ``out`` (the base URL) once it accepts connections; every other
    message, one line each, goes to ``err``. On a signal it stops accepting, lets requests in
    flight finish, saves the state file and returns 0 (1 when the state cannot be saved).
    """
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
    if not args.timeout > 0:
        return fail("--timeout must be a positive number of seconds", 2)
    credentials = None
    if args.credentials:
        try:
            credentials = load_credentials(args.credentials)
        except ValueError as exc:
            return fail(str(exc))
    server = FakeTrunkingServer(
        host=args.host,
        port=args.port,
        state_file=args.state,
        state_sync=args.state_sync,
        timeout=args.timeout,
        log_requests=args.log_requests,
        seed=args.seed,
        credentials=credentials,
    )
    # The handler only sets a flag: taking a lock (Event.set) in a signal handler can deadlock
    # with the main thread holding that very lock.
    signalled: List[int] = []
    previous: Dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(
                signum, lambda signum, _frame: signalled.append(signum)
            )
    try:
        try:
            server.start()
        except StateFileError as exc:
            return fail(str(exc))
        except OSError as exc:
            return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        assert server.httpd is not None
        server.httpd.log = err
        try:
            out.write(server.base_url + "\n")
            out.flush()
            while not signalled:
                time.sleep(0.1)
        finally:
            saved = _stop_and_save(server)
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


def _stop_and_save(server: FakeTrunkingServer) -> Optional[str]:
    """Stop ``server``; the one-line error when its state could not be saved."""
    try:
        server.stop()
    except StateFileError as exc:
        return str(exc)
    return None


__all__ = [
    "ADMIN_ROUTES",
    "MAX_BODY",
    "FakeTrunkingServer",
    "StateFile",
    "StateFileError",
    "TrunkingHTTPServer",
    "add_arguments",
    "load_credentials",
    "serve",
]
