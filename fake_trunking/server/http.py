"""Server mode: the same ``FakeTrunkingService.handle`` over real HTTP, for any client and curl.

``fake-trunking serve`` and ``FakeTrunkingServer`` run a threaded ``http.server`` whose every
``/v1`` request becomes a ``Request`` for the (never started) fake, with ``base_url`` taken from
the request's ``Host`` header, so every ``url``, ``links`` entry and ``meta`` page URL points back
at the server. Admin endpoints live under ``/__fake__/`` (see ``ADMIN_ROUTES``); they answer JSON,
and their errors are Twilio error bodies like the API's.

Robustness: bodies above ``MAX_BODY`` (1 MiB) are refused with 413/20001 before they are read
(``Content-Length`` is checked first, chunked bodies are read with a running bound), and header
fields above ``MAX_HEADER_BYTES`` in all with 431; malformed HTTP is a 400 Twilio body, an
internal error a 500 one and one line on stderr. Every connection has its own thread; a request
must arrive whole (line, headers, body) within ``timeout`` seconds of its first byte, and an idle
connection is closed after ``timeout`` seconds. The number of connections is capped: at the cap,
a new connection evicts an idle keep-alive connection, else the one that has been receiving its
request the longest, and is refused (503) only when every connection is being answered. So slow,
dribbling or idle clients cannot lock the others out. The request log (``fake.calls``) is bounded
in count, bytes and body size (``DEFAULT_LOG_*``), and ``GET /__fake__/requests`` is streamed.
Admin requests that carry a foreign ``Origin`` or a ``Host`` that is not this machine's are 403
(a web page, or DNS rebinding, cannot drive the admin endpoints).

This module is the HTTP layer and ``FakeTrunkingServer``; the admin endpoints are in
``server.admin``, the state and credentials files in ``server.files`` and ``fake-trunking serve`` in
``server.cli``.

Only the standard library is imported here (``twilio`` is imported by ``client()`` on first use).
"""

from __future__ import annotations

import contextlib
import hmac
import http.client
import io
import ipaddress
import json
import math
import re
import socket
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    TextIO,
    Tuple,
)
from urllib.parse import urlsplit

from .._version import __version__
from ..core import errors
from ..core.calllog import CallLog
from ..core.errors import TwilioError
from ..core.messages import Request
from ..faults import is_injected
from ..service import FakeTrunkingService
from .admin import ADMIN_PREFIX, ADMIN_ROUTES, JSONStream, handle_admin
from .admin_client import ADMIN_TOKEN_HEADER
from .database import StateDatabase, is_database_path
from .files import (
    MAX_CREDENTIALS_FILE,
    MAX_STATE_FILE,
    PathLike,
    StateFile,
    StateFileError,
    StateStore,
    load_credentials,
)
from .proxy import ProxyTunnels, environment

if TYPE_CHECKING:
    from twilio.rest import Client

MAX_BODY = 1024 * 1024  # bytes; larger request bodies are 413/20001
MAX_HEADER_BYTES = 64 * 1024  # bytes of header fields in all; more is 431/20001
DEFAULT_TIMEOUT = 30.0  # seconds: idle keep-alive time, and the deadline of a whole request
MAX_TIMEOUT = 86_400.0  # seconds (a day): the largest timeout accepted
DEFAULT_MAX_CONNECTIONS = 256
DEFAULT_LOG_LIMIT = 10_000  # requests kept in ``fake.calls`` by a server (oldest dropped first)
DEFAULT_LOG_MAX_BYTES = 64 * 1024 * 1024  # bytes the server's request log retains at most
DEFAULT_LOG_MAX_BODY = 256 * 1024  # bytes of each request/response body kept in that log

_HOST = re.compile(
    r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}"
    r"[A-Za-z0-9_])?)*\.?(?::[0-9]{1,5})?\Z"
    r"|\[[0-9A-Fa-f:.]{2,45}\](?::[0-9]{1,5})?\Z"
)
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}\Z")


def check_timeout(name: str, value: Any) -> float:
    """``value`` as a timeout in seconds: a finite number above 0, at most ``MAX_TIMEOUT``;
    a ValueError naming ``name`` otherwise (``inf`` would make a server that never frees a
    connection, ``nan`` or 0 one that serves nothing)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number of seconds, not {value!r}")
    if not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT):
        raise ValueError(
            f"{name} must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, not {value!r}"
        )
    return float(value)


class _Connection:
    """What the server knows of one open connection, for the cap and eviction."""

    __slots__ = ("evicted", "served", "since", "sock", "state")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.state = "idle"  # idle (waiting for a request), reading, busy (being answered)
        self.since = time.monotonic()  # when the state began
        self.served = 0  # requests answered on it
        self.evicted = False


# -- the HTTP server ------------------------------------------------------------------------
class TrunkingHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server answering through ``fake.handle``; one thread per connection."""

    daemon_threads = True
    request_queue_size = 1024  # a burst of connections waits in the kernel, not dropped SYNs

    def __init__(
        self,
        fake: FakeTrunkingService,
        address: Tuple[str, int] = ("127.0.0.1", 0),
        *,
        state_file: Optional[StateStore] = None,
        state_sync: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        max_body: int = MAX_BODY,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        log_limit: Optional[int] = DEFAULT_LOG_LIMIT,
        log_max_bytes: Optional[int] = DEFAULT_LOG_MAX_BYTES,
        log_max_body: Optional[int] = DEFAULT_LOG_MAX_BODY,
        log_requests: bool = False,
        log: Optional[TextIO] = None,
        admin_hosts: Iterable[str] = (),
        admin_token: Optional[str] = None,
        tunnels: Optional[ProxyTunnels] = None,
    ) -> None:
        self.fake = fake
        # when set, every admin request must carry it (``X-Fake-Trunking-Admin-Token`` or
        # ``Authorization: Bearer``); ``serve`` sets one whenever it binds beyond loopback
        self.admin_token = admin_token or None
        self.tunnels = tunnels  # proxy mode (server.proxy) when set
        self.state_file = state_file
        # a database commits every write itself; --state-sync is for a JSON snapshot only
        self.state_sync = state_sync and isinstance(state_file, StateFile)
        self.client_timeout = check_timeout("timeout", timeout)
        self.max_body = max_body
        self.max_connections = max_connections
        self.log_requests = log_requests
        self.log = log
        self.stopping = False
        # the request log: bounded, since any client can fill it (see fake_trunking.calllog)
        calls = fake.calls
        if not isinstance(calls, CallLog):
            calls = fake.calls = CallLog(calls)
        try:
            calls.configure(limit=log_limit, max_bytes=log_max_bytes, max_body=log_max_body)
        except ValueError as exc:  # named as the keyword: log_limit, log_max_bytes...
            raise ValueError(f"log_{exc}") from None
        self._connections = 0  # open connections not evicted (what the cap counts)
        self._open: Dict[socket.socket, _Connection] = {}
        self._inflight = 0
        self._counts = threading.Condition()
        self.bind_name = address[0].strip("[]").lower().rstrip(".")  # as given: may be a name
        # more names of this server that admin requests may use in Host (a container's name)
        self.admin_hosts = frozenset(h.strip().lower().rstrip(".") for h in admin_hosts)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _RequestHandler)

    @property
    def log_limit(self) -> Optional[int]:
        """The request log's count bound (``fake.calls.limit``)."""
        limit: Optional[int] = getattr(self.fake.calls, "limit", None)
        return limit

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

    # connection accounting: a cap on connections (evicting idle and slow ones first), and
    # in-flight requests drained on stop
    def process_request(self, request: Any, client_address: Any) -> None:
        with self._counts:
            refuse = self.stopping
            if not refuse and self._connections >= self.max_connections:
                refuse = not self._evict_one()
            if not refuse:
                self._connections += 1
                self._open[request] = _Connection(request)
        if refuse:
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._forget(request)
            raise

    def _evict_one(self) -> bool:
        """Close one connection to make room (under ``_counts``): an idle keep-alive one first,
        else the one idle or receiving its request the longest; never one being answered."""
        candidates = [c for c in self._open.values() if not c.evicted and c.state != "busy"]
        if not candidates:
            return False
        victim = min(candidates, key=lambda c: (not (c.state == "idle" and c.served), c.since))
        victim.evicted = True
        self._connections -= 1
        how = socket.SHUT_RD if victim.state == "reading" else socket.SHUT_RDWR
        with contextlib.suppress(OSError):  # wakes its thread: its next read sees the end
            socket.socket.shutdown(victim.sock, how)  # (a TLS socket's own would drop its state)
        return True

    def _forget(self, request: Any) -> None:
        with self._counts:
            conn = self._open.pop(request, None)
            if conn is not None and not conn.evicted:
                self._connections -= 1

    def connection_state(self, request: Any, state: str) -> bool:
        """Record that connection ``request`` is now ``state``; False if it was evicted."""
        with self._counts:
            conn = self._open.get(request)
            if conn is None or conn.evicted:
                return False
            if state == "idle" and conn.state == "busy":
                conn.served += 1
            conn.state = state
            conn.since = time.monotonic()
            return True

    def replace_socket(self, request: Any, wrap: Callable[[], ssl.SSLSocket]) -> ssl.SSLSocket:
        """Connection ``request`` now speaks over the socket ``wrap`` makes of it (TLS inside a
        proxy tunnel). Made and recorded under the lock eviction takes: wrapping detaches the
        plain socket, so an eviction in between would shut down nothing and the connection
        would keep its slot until its deadline (a race seen in CI)."""
        with self._counts:
            sock = wrap()
            conn = self._open.get(request)
            if conn is not None:
                conn.sock = sock
            return sock

    def evicted(self, request: Any) -> bool:
        with self._counts:
            conn = self._open.get(request)
            return conn is not None and conn.evicted

    def _refuse(self, request: Any) -> None:
        error = TwilioError(503, 20503, "Service Unavailable: too many connections")
        body = _json(error.body())
        head = (
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Twilio-Request-Id: {self.fake.handler.request_id()}\r\n"
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
            self._forget(request)

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
            sockets = [c.sock for c in self._open.values()]
        for sock in sockets:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    @property
    def connections(self) -> int:
        return self._connections

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) or exc is None:
            return  # the client went away
        self.say(f"fake-trunking: error serving {client_address}: {_one_line(exc)}")

    # -- what a request does ---------------------------------------------------------------
    def after_write(self) -> None:
        """Save the state after a write when ``--state-sync`` is on."""
        if self.state_sync and self.state_file is not None:
            try:
                self.state_file.save(self.fake)
            except StateFileError as exc:
                self.say(f"fake-trunking: {exc}")

    # -- which hosts are this server's own ------------------------------------------------
    def own_host(self, name: Optional[str], local_address: Optional[str]) -> bool:
        """Whether host ``name`` (of a Host header or an Origin, without the port) names this
        server: ``localhost`` or ``*.localhost``, a loopback address (127.0.0.0/8, ::1), the
        address the connection came in on, or the address or name the server was bound to."""
        if not name:
            return False
        name = name.lower().rstrip(".")
        if name == "localhost" or name.endswith(".localhost"):
            return True
        if (name == self.bind_name and name not in ("0.0.0.0", "::")) or name in self.admin_hosts:
            return True
        try:
            address = ipaddress.ip_address(name.split("%")[0])
        except ValueError:
            return False
        mapped = getattr(address, "ipv4_mapped", None)
        if address.is_loopback or (mapped is not None and mapped.is_loopback):
            return True
        if address.is_unspecified:
            return False
        for own in (local_address, self.server_name):
            try:
                if own is not None and address == ipaddress.ip_address(own.split("%")[0]):
                    return True
            except ValueError:
                pass
        return False


def _host_name(host: str) -> Optional[str]:
    """The host of a Host header ``host[:port]`` or ``[v6][:port]``; None when malformed."""
    host = host.strip()
    if host.startswith("["):
        inside, sep, rest = host[1:].partition("]")
        if not sep or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            return None
        return inside
    if host.count(":") > 1:
        return None
    name, _, port = host.partition(":")
    if port and not (port.isascii() and port.isdigit()):
        return None
    return name


def _one_line(exc: BaseException) -> str:
    """``Type: message`` of ``exc`` on one line (no traceback, no control characters)."""
    text = " ".join(str(exc).split())[:300]
    return _printable(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def _read_line(rfile: Any, limit: int) -> bytes:
    line: bytes = rfile.readline(limit + 1)
    if len(line) > limit or not line.endswith(b"\n"):
        raise TwilioError(400, 20001, "Malformed chunked body")
    return line


class _BodyTooLarge(Exception):
    pass


class _DeadlineReader(io.RawIOBase):
    """The connection's input with a deadline for the whole of what is being read (a request,
    or the wait for one), not for each ``recv``: a client that dribbles a byte at a time gains
    nothing. The first byte of a request starts its deadline (``on_first_byte``)."""

    def __init__(self, sock: socket.socket, handler: _RequestHandler) -> None:
        super().__init__()
        self.sock = sock
        self.handler = handler
        self.deadline = time.monotonic()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("the deadline passed")
            self.sock.settimeout(remaining)
            try:
                count = self.sock.recv_into(buffer)
            except InterruptedError:
                continue
            if count:
                self.handler.request_started()
            return count


class _SocketWriter(io.BufferedIOBase):
    """``wfile`` over a TLS socket: every write sent whole (``sendall``), nothing buffered."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._sock.sendall(data)
        with memoryview(data) as view:
            return view.nbytes

    def fileno(self) -> int:
        return self._sock.fileno()


class _HeaderBudget:
    """``rfile`` while the header fields are read: more than ``MAX_HEADER_BYTES`` in all
    stops the reading (http.server answers 431) before more is kept."""

    def __init__(self, rfile: Any) -> None:
        self.rfile = rfile
        self.left = MAX_HEADER_BYTES
        self.last: Optional[bytes] = None  # the last line read: blank when the fields ended

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self.rfile.readline(limit)
        self.last = line
        self.left -= len(line)
        if self.left < 0:
            raise http.client.LineTooLong("header fields")
        return line


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
        self._key = self.request  # the server's name for this connection, TLS or not
        self._tunnel_host: Optional[str] = None  # inside a proxy tunnel: the host asked for
        self._drain_input = False
        self._responded = False
        self._reading = False  # a request has begun to arrive (its deadline runs)
        super().setup()
        self.connection.settimeout(self.server.client_timeout)
        self._input = _DeadlineReader(self.connection, self)
        self.rfile = io.BufferedReader(self._input, 65536)

    def request_started(self) -> None:
        """The first byte of a request is here: its deadline starts."""
        if not self._reading:
            self._reading = True
            self._input.deadline = time.monotonic() + self.server.client_timeout
            self.server.connection_state(self._key, "reading")

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
        if code == 431:
            message = f"Request header fields too large (at most {MAX_HEADER_BYTES} bytes)"
        text = message or self.responses.get(code, ("Error",))[0]
        self._send_twilio(TwilioError(code, errors.code_for_status(code), text))

    def parse_request(self) -> bool:
        words = self.raw_requestline.split()
        if len(words) == 2:
            # an HTTP/0.9 request line (``GET /``) has no header fields after it: the standard
            # library would still wait for them until the timeout. Answered at once.
            self.close_connection = True
            self.request_version = "HTTP/1.0"
            self.requestline = self.raw_requestline.decode("latin-1").rstrip("\r\n")
            self.send_error(400, "HTTP/0.9 requests are not supported")
            return False
        rfile = self.rfile
        budget = _HeaderBudget(rfile)
        self.rfile = budget  # type: ignore[assignment]
        try:
            parsed = bool(super().parse_request())
        finally:
            self.rfile = rfile
        if parsed and budget.last is not None and budget.last not in (b"\r\n", b"\n"):
            self.close_connection = True  # the connection ended inside the header fields:
            return False  # a truncated request is never served
        return parsed

    def handle_expect_100(self) -> bool:
        try:
            self._check_length()
        except _BodyTooLarge:
            self._too_large()
            return False
        except TwilioError as exc:
            self._send_twilio(exc)
            return False
        return bool(super().handle_expect_100())

    # -- one request -------------------------------------------------------------------------
    def handle_one_request(self) -> None:
        server = self.server
        self.command, self.request_version, self.requestline = "", "HTTP/1.0", ""
        self._reading = False
        self._responded = False
        self._input.deadline = time.monotonic() + server.client_timeout  # the idle wait
        if not server.connection_state(self._key, "idle"):
            self.close_connection = True
            return
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if self.raw_requestline:
                self.request_started()  # (when it came from the buffer: pipelined)
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
            server.begin_request()
            try:
                if server.stopping:
                    error = TwilioError(503, 20503, "Service Unavailable: the server is stopping")
                    self._send_twilio(error)
                else:
                    self._serve()
            except OSError:
                raise
            except Exception as exc:  # a bug in the fake: a 500 body and one line on stderr
                server.say(
                    f"fake-trunking: internal error on {_printable(self.command)} "
                    f"{_printable(self.path[:200])}: {_one_line(exc)}"
                )
                if not self._responded:
                    self._send_twilio(errors.internal(exc))
                else:
                    self.close_connection = True
            finally:
                server.end_request()
            self.wfile.flush()
        except OSError as exc:  # a timeout, a reset or an eviction: drop this connection only
            self.close_connection = True
            self._after_failed_read(exc)
        finally:
            if self._drain_input:
                self._drain_input = False
                self._discard_input()

    def _after_failed_read(self, exc: OSError) -> None:
        """A request that began but did not arrive in time (or was evicted) gets a Twilio
        answer; a connection that was only waiting is closed silently."""
        if not self._reading or self._responded:
            return
        if self.server.evicted(self._key):
            error = TwilioError(503, 20503, "Service Unavailable: too many connections")
        elif isinstance(exc, socket.timeout):
            seconds = f"{self.server.client_timeout:g}"
            error = TwilioError(408, 20001, f"Request Timeout: not received within {seconds} s")
        else:
            return
        with contextlib.suppress(OSError):
            self._send_twilio(error)
            self.wfile.flush()

    def _serve(self) -> None:
        target = self.path
        if self.command == "CONNECT":
            self._connect(target)
            return
        if target.startswith("/"):
            path, _, query = target.partition("?")
            query = query.partition("#")[0]
        elif target.lower().startswith(("http://", "https://")):
            parts = urlsplit(target)
            path, query = parts.path or "/", parts.query
            refusal = self._foreign_target(parts)
            if refusal is not None:
                self._send_twilio(refusal)
                return
        else:
            self._send_twilio(errors.bad_request(f"Invalid request target {target[:100]!r}"))
            return
        try:
            body = self._read_body()
        except _BodyTooLarge:
            self._too_large()
            return
        except TwilioError as exc:
            self._send_twilio(exc)
            return
        if body is None:  # the client went away mid-body
            self.close_connection = True
            return
        server = self.server
        if not server.connection_state(self._key, "busy"):  # evicted meanwhile
            raise ConnectionAbortedError("evicted")
        self.connection.settimeout(server.client_timeout)  # for the answer
        headers = {k.lower(): v for k, v in self.headers.items()}
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            refusal = self._admin_refusal()
            if refusal is not None:
                self._send_twilio(refusal)
                return
            self._serve_admin(path, query, body)
            return
        request = Request(
            method=self.command,
            path=path,
            query=query,
            body=body,
            headers=headers,
            base_url=(
                f"https://{self._tunnel_host}" if self._tunnel_host else f"http://{self._host()}"
            ),
        )
        try:
            response = server.fake.handle(request)
        except Exception as exc:
            if not is_injected(exc):
                raise  # a bug: a 500 (handle_one_request)
            # an injected connection fault: drop the connection, answer nothing
            exc.with_traceback(None)  # the log keeps the exception, not this thread's frames
            self.close_connection = True
            return
        if request.method.upper() not in ("GET", "HEAD", "OPTIONS") and response.status < 400:
            server.after_write()
        self._send(response.status, response.headers, response.body)

    # -- proxy mode (server.proxy decides; the tunnel is served by this very handler) -------
    def _foreign_target(self, parts: Any) -> Optional[TwilioError]:
        """In proxy mode, the refusal of an absolute-form request for a host other than this
        server (nothing is forwarded); None otherwise (plain server mode answers them all)."""
        tunnels = self.server.tunnels
        if tunnels is None or self._tunnel_host is not None:
            return None
        try:
            local: Optional[str] = str(self.connection.getsockname()[0])
        except OSError:
            local = None
        try:
            name = parts.hostname
        except ValueError:
            name = None
        if self.server.own_host(name, local):
            return None
        return tunnels.refuse_absolute(f"{parts.scheme}://{parts.netloc}")

    def _connect(self, target: str) -> None:
        """``CONNECT host:443``: in proxy mode, for a served host, answer 200, terminate TLS
        with a certificate for that host and go on serving requests on this connection (the
        rest of ``handle``'s loop reads them from the tunnel); anything else is refused."""
        server = self.server
        tunnels = server.tunnels
        if tunnels is None:
            self._send_twilio(
                TwilioError(
                    405,
                    20004,
                    "Method not allowed: CONNECT (this fake-trunking server is not a proxy; "
                    "start it with `fake-trunking serve --proxy` to use it as HTTPS_PROXY)",
                )
            )
            return
        if self._tunnel_host is not None:
            self._send_twilio(errors.bad_request("CONNECT inside a tunnel is not supported"))
            return
        host, refusal = tunnels.accept(target)
        if refusal is not None or host is None:
            self._send_twilio(refusal or errors.bad_request("Invalid CONNECT target"))
            return
        if not server.connection_state(self._key, "busy"):  # evicted meanwhile
            raise ConnectionAbortedError("evicted")
        context = tunnels.context_for(host)
        # the handshake is the client's to send, like a request: evictable at the cap, from
        # before the client can see the 200 (so a connection it opens next finds room)
        server.connection_state(self._key, "reading")
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        plain = self.connection
        tls = server.replace_socket(
            self._key,
            lambda: context.wrap_socket(plain, server_side=True, do_handshake_on_connect=False),
        )
        self.connection = tls
        self._tunnel_host = host
        tls.settimeout(server.client_timeout)  # the handshake has the same deadline
        try:
            tls.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            server.say(
                f"fake-trunking: TLS handshake for {host} failed ({_one_line(exc)}); does the "
                f"client trust {tunnels.ca_file}?"
            )
            self.close_connection = True
            return
        self._input = _DeadlineReader(tls, self)
        self.rfile = io.BufferedReader(self._input, 65536)
        self.wfile = _SocketWriter(tls)
        self.close_connection = False  # (http.client sends CONNECT as HTTP/1.0)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self._tunnel_host is not None:  # socketserver closes the (detached) plain one
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(self.connection, socket.SHUT_WR)
                with contextlib.suppress(OSError):
                    self.connection.close()

    def _host(self) -> str:
        """The request's Host when it is a plain host[:port]; else the bound address."""
        host = self.headers.get("Host", "").strip()
        if host and len(host) <= 260 and _HOST.match(host):
            return host
        return f"{self.server.host}:{self.server.port}"

    def _admin_refusal(self) -> Optional[TwilioError]:
        """403 for an admin request a browser may have sent for another site: a foreign
        ``Origin`` (a web page's fetch or form), ``Sec-Fetch-Site: cross-site``, or a ``Host``
        that is not this machine's (DNS rebinding). curl and ``AdminClient`` send none of it."""
        try:
            local: Optional[str] = str(self.connection.getsockname()[0])
        except OSError:
            local = None
        server = self.server
        token = server.admin_token
        if token is not None:
            given = self.headers.get(ADMIN_TOKEN_HEADER)
            if given is None:
                scheme, _, rest = (self.headers.get("Authorization") or "").strip().partition(" ")
                given = rest.strip() if scheme.lower() == "bearer" else None
            if given is None or not hmac.compare_digest(
                given.strip().encode("utf-8", "replace"), token.encode("utf-8")
            ):
                return TwilioError(
                    401,
                    20003,
                    "Authenticate: this server's admin endpoints need its admin token in the "
                    f"{ADMIN_TOKEN_HEADER} header (or Authorization: Bearer TOKEN)",
                )
        for origin in self.headers.get_all("Origin") or []:
            try:
                parts = urlsplit(origin.strip())
                name = parts.hostname if parts.scheme in ("http", "https") else None
            except ValueError:
                name = None
            if not server.own_host(name, local):
                shown = _printable(origin.strip()[:100])
                return TwilioError(
                    403,
                    20403,
                    f"Forbidden: admin requests with a foreign Origin header ({shown}) are "
                    "refused, so that no web page can drive the fake; curl and AdminClient "
                    "send no Origin",
                )
        if (self.headers.get("Sec-Fetch-Site") or "").strip().lower() == "cross-site":
            return TwilioError(
                403, 20403, "Forbidden: admin requests with Sec-Fetch-Site: cross-site are refused"
            )
        host = self.headers.get("Host")
        if host is not None and not server.own_host(_host_name(host), local):
            shown = _printable(host.strip()[:100])
            return TwilioError(
                403,
                20403,
                f"Forbidden: admin requests for Host {shown} are refused (it is not this "
                "machine: DNS rebinding?); use localhost, a loopback address or the server's "
                "own address",
            )
        return None

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
        if values or not (value.isascii() and value.isdigit()) or len(value) > 18:
            raise errors.bad_request(
                "Invalid Content-Length header: it must be one number of at most 18 ASCII digits"
            )
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
        self._send_twilio(errors.too_large())
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
    def send_response(self, code: int, message: Optional[str] = None) -> None:
        self._responded = True
        super().send_response(code, message)

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

    def _send_twilio(self, error: TwilioError) -> None:
        """An error of the HTTP layer, as a Twilio body; the connection is closed after it."""
        self.close_connection = True
        self._send(error.status, self._own_headers(), _json(error.body()), True)

    def _own_headers(self) -> Dict[str, str]:
        """The headers of the server's own answers (HTTP-layer errors, admin): JSON and a
        ``Twilio-Request-Id``, like every answer of the API (no CORS: admin stays same-site)."""
        return {
            "Content-Type": "application/json",
            "Twilio-Request-Id": self.server.fake.handler.request_id(),
        }

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, self._own_headers(), _json(payload))

    def _send_stream(self, status: int, stream: JSONStream) -> None:
        """A JSON answer written as it is produced: chunked (HTTP/1.1), else until the close."""
        chunked = self.request_version != "HTTP/1.0"
        self.send_response(status)
        for key, value in self._own_headers().items():
            self.send_header(key, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        pending: List[bytes] = []
        size = 0
        for piece in stream.pieces:
            data = piece.encode("utf-8")
            pending.append(data)
            size += len(data)
            if size >= 65536:
                self._write_piece(b"".join(pending), chunked)
                pending, size = [], 0
        if pending:
            self._write_piece(b"".join(pending), chunked)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _write_piece(self, data: bytes, chunked: bool) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)

    # -- admin -----------------------------------------------------------------------------
    def _serve_admin(self, path: str, query: str, body: bytes) -> None:
        server = self.server
        status, payload, writes = handle_admin(server, self.command, path, query, body)
        if writes:
            server.after_write()
        if isinstance(payload, JSONStream):
            self._send_stream(status, payload)
        else:
            self._send_json(status, payload)


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _json(payload: Any) -> bytes:
    return json.dumps(payload).encode("utf-8")


# -- a server in a background thread (tests, notebooks) ------------------------------------
class FakeTrunkingServer:
    """A fake Trunking server on a free loopback port, served from a background thread.

    >>> with FakeTrunkingServer(seed=1) as server:
    ...     client = server.client()          # a twilio Client whose Trunking calls go to it
    ...     trunk = client.trunking.v1.trunks.create(friendly_name="x")
    ...     assert trunk.url.startswith(server.base_url)

    ``timeout``: seconds an idle connection is kept, and the deadline for a whole request to
    arrive. ``log_limit``, ``log_max_bytes`` and ``log_max_body`` bound the request log
    (``fake.calls``): calls kept, bytes retained, bytes of each body kept (``None``: unbounded).
    ``admin_hosts``: more host names the admin endpoints accept in ``Host`` (besides loopback
    and the server's own address), e.g. a container's service name. ``admin_token``: when set,
    admin requests must send it (``X-Fake-Trunking-Admin-Token``; ``AdminClient(admin_token=)``).
    ``state_file``: a ``*.json`` file is a snapshot loaded at start and saved on stop (not
    crash-safe); any other name is a SQLite database that commits every write before it is
    answered (``server.database``).
    ``proxy=True``: also a proxy for unmodified clients (``server.proxy``): ``CONNECT`` for the
    hosts the fake serves is answered inside a TLS tunnel with a certificate of the local CA in
    ``ca_dir`` (default ``server.certs.default_ca_dir()``); ``proxy_environment()`` is what to
    set in a client's environment. Needs ``cryptography`` (the ``proxy`` extra).

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
        log_max_bytes: Optional[int] = DEFAULT_LOG_MAX_BYTES,
        log_max_body: Optional[int] = DEFAULT_LOG_MAX_BODY,
        log_requests: bool = False,
        admin_hosts: Iterable[str] = (),
        admin_token: Optional[str] = None,
        proxy: bool = False,
        ca_dir: Optional[PathLike] = None,
        **service_kwargs: Any,
    ) -> None:
        if fake is not None and service_kwargs:
            raise TypeError("pass either fake= or FakeTrunkingService keywords, not both")
        check_timeout("timeout", timeout)
        self.fake = fake if fake is not None else FakeTrunkingService(**service_kwargs)
        self.state_file: Optional[StateStore] = None
        if state_file is not None:
            self.state_file = (
                StateDatabase(state_file) if is_database_path(state_file) else StateFile(state_file)
            )
        self._address = (host, port)
        self._options: Dict[str, Any] = {
            "state_sync": state_sync,
            "timeout": timeout,
            "max_connections": max_connections,
            "log_limit": log_limit,
            "log_max_bytes": log_max_bytes,
            "log_max_body": log_max_body,
            "log_requests": log_requests,
            "admin_hosts": tuple(admin_hosts),
            "admin_token": admin_token,
        }
        self.tunnels: Optional[ProxyTunnels] = None
        if proxy:  # the CA is made (or loaded) now: a bad --ca-dir fails before anything binds
            from .certs import CertificateAuthority

            self.tunnels = ProxyTunnels(CertificateAuthority(ca_dir).load_or_create())
        self.httpd: Optional[TrunkingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> FakeTrunkingServer:
        """Load the state file (if any), bind, and serve in a daemon thread."""
        if self.httpd is not None:
            return self
        if self.state_file is not None:
            self.state_file.load_into(self.fake)
        try:
            httpd = TrunkingHTTPServer(
                self.fake,
                self._address,
                state_file=self.state_file,
                tunnels=self.tunnels,
                **self._options,
            )
        except BaseException:
            if isinstance(self.state_file, StateDatabase):
                self.state_file.save(self.fake)  # let the file go: nothing was served
            raise
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

    @property
    def ca_file(self) -> Optional[str]:
        """In proxy mode, the CA certificate file clients must trust; else None."""
        return self.tunnels.ca_file if self.tunnels is not None else None

    def proxy_environment(self) -> Dict[str, str]:
        """In proxy mode (while started), the environment variables that send an unmodified
        client through this server: ``HTTPS_PROXY``, ``HTTP_PROXY``, ``NODE_EXTRA_CA_CERTS``,
        ``REQUESTS_CA_BUNDLE`` and ``SSL_CERT_FILE``."""
        if self.tunnels is None:
            raise RuntimeError("the server is not in proxy mode (FakeTrunkingServer(proxy=True))")
        return environment(self.base_url, self.tunnels.ca_file)

    def client(self, account_sid: Optional[str] = None, **kwargs: Any) -> Client:
        """A ``twilio.rest.Client`` for ``account_sid`` whose Trunking calls go to this server."""
        from ..clients.server_client import client_for

        sid = account_sid or self.fake.default_account_sid
        return client_for(self.base_url, sid, self.fake.auth_token(sid), **kwargs)


__all__ = [
    "ADMIN_ROUTES",
    "DEFAULT_LOG_LIMIT",
    "DEFAULT_LOG_MAX_BODY",
    "DEFAULT_LOG_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "MAX_BODY",
    "MAX_CREDENTIALS_FILE",
    "MAX_HEADER_BYTES",
    "MAX_STATE_FILE",
    "FakeTrunkingServer",
    "StateFile",
    "StateFileError",
    "TrunkingHTTPServer",
    "check_timeout",
    "load_credentials",
]
