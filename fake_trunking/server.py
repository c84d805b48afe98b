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

This module is the HTTP layer and ``FakeTrunkingServer``; the admin endpoints are in
``server_admin``, the state and credentials files in ``statefile`` and ``fake-trunking serve`` in
``server_cli`` (their public names are importable from here too).

Only the standard library is imported here (``twilio`` is imported by ``client()`` on first use).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Set, TextIO, Tuple
from urllib.parse import urlsplit

from . import errors
from ._version import __version__
from .errors import TwilioError
from .handler import Request
from .server_admin import ADMIN_PREFIX, ADMIN_ROUTES, handle_admin
from .server_cli import add_arguments, serve
from .service import FakeTrunkingService
from .statefile import (
    MAX_CREDENTIALS_FILE,
    MAX_STATE_FILE,
    PathLike,
    StateFile,
    StateFileError,
    load_credentials,
)

if TYPE_CHECKING:
    from twilio.rest import Client

MAX_BODY = 1024 * 1024  # bytes; larger request bodies are 413/20001
DEFAULT_TIMEOUT = 30.0  # seconds a connection may stay silent (idle keep-alive or slow sender)
DEFAULT_MAX_CONNECTIONS = 256
DEFAULT_LOG_LIMIT = 10_000  # requests kept in ``fake.calls`` by a server (oldest dropped first)

_HOST = re.compile(
    r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}"
    r"[A-Za-z0-9_])?)*\.?(?::[0-9]{1,5})?\Z"
    r"|\[[0-9A-Fa-f:.]{2,45}\](?::[0-9]{1,5})?\Z"
)
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}\Z")
_TWILIO_CODES = {404: 20404, 405: 20004, 500: 20500, 503: 20503}


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
        body = _json(error.body())
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
        self._send_twilio(TwilioError(code, _TWILIO_CODES.get(code, 20001), text))

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
                    self._send_twilio(error)
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
        if request.method.upper() not in ("GET", "HEAD", "OPTIONS") and response.status < 400:
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
        self._send(error.status, {"Content-Type": "application/json"}, _json(error.body()), True)

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, {"Content-Type": "application/json"}, _json(payload))

    # -- admin -----------------------------------------------------------------------------
    def _serve_admin(self, path: str, query: str, body: bytes) -> None:
        server = self.server
        status, payload, writes = handle_admin(server, self.command, path, query, body)
        if writes:
            server.after_write()
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


__all__ = [
    "ADMIN_ROUTES",
    "MAX_BODY",
    "MAX_CREDENTIALS_FILE",
    "MAX_STATE_FILE",
    "FakeTrunkingServer",
    "StateFile",
    "StateFileError",
    "TrunkingHTTPServer",
    "add_arguments",
    "load_credentials",
    "serve",
]
