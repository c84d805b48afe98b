"""Server mode under attack (issue 12): the request log stays bounded, odd numbers are 400s,
internal errors are 500s in one line, dribbling clients lock nobody out, and the admin
endpoints refuse browsers. Loopback only; every loop is bounded and stops by itself.

The long variants (FAKE_TRUNKING_LONG=1) send 1,500 unauthenticated 1 MiB POSTs and hold 300
dribbling connections for 30 s."""

from __future__ import annotations

import base64
import io
import json
import os
import select
import signal
import socket
import sys
import threading
import time
import tracemalloc
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest
import requests

from fake_trunking import FakeTrunkingServer
from fake_trunking.cli import main
from fake_trunking.core.calllog import CallLog
from fake_trunking.faults import Fault
from fake_trunking.server.admin_client import AdminClient
from fake_trunking.server.http import DEFAULT_LOG_MAX_BYTES

from .helpers import read_line, spawn, stop

LONG = os.environ.get("FAKE_TRUNKING_LONG") == "1"
long_only = pytest.mark.skipif(not LONG, reason="long adversarial run: set FAKE_TRUNKING_LONG=1")
MIB = 1024 * 1024


# -- helpers ---------------------------------------------------------------------------------
def basic(account: str, token: str = "any-token") -> str:
    return "Basic " + base64.b64encode(f"{account}:{token}".encode()).decode()


def exchange(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send ``data`` on a fresh connection; all the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def parse(answer: bytes) -> Tuple[int, Dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def twilio_error(answer: bytes, status: int, code: int) -> str:
    """The message of a Twilio error answer with ``status`` and ``code``."""
    got, _, body = parse(answer)
    assert got == status, answer[:300]
    payload = json.loads(body)
    assert set(payload) == {"code", "message", "more_info", "status"}, payload
    assert (payload["status"], payload["code"]) == (status, code), payload
    return str(payload["message"])


def retained(obj: Any, seen: Set[int]) -> int:
    """The bytes ``obj`` keeps alive (a deep ``sys.getsizeof``); shared faults not counted."""
    if id(obj) in seen or isinstance(obj, (type, Fault)):
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, (str, bytes, int, float, type(None))):
        return size
    if isinstance(obj, dict):
        return size + sum(retained(k, seen) + retained(v, seen) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return size + sum(retained(x, seen) for x in obj)
    if isinstance(obj, BaseException):
        return size
    fields = getattr(obj, "__dict__", None)
    return size + (retained(fields, seen) if fields is not None else 0)


def log_bytes(calls: List[Any]) -> int:
    seen: Set[int] = set()
    return sum(retained(call, seen) for call in list(calls))


def post_1mib(port: int, count: int, authorization: Optional[str] = None) -> List[int]:
    """``count`` POSTs of a 1 MiB form body on one keep-alive connection; their statuses."""
    body = b"FriendlyName=" + b"x" * (MIB - len(b"FriendlyName="))
    auth = f"Authorization: {authorization}\r\n" if authorization else ""
    head = (
        f"POST /v1/Trunks HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    statuses = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        reader = sock.makefile("rb")
        for _ in range(count):
            sock.sendall(head + body)
            status_line = reader.readline()
            length = 0
            while True:
                line = reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)
            statuses.append(int(status_line.split()[1]))
    return statuses


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


# -- item 2: the request log is bounded ------------------------------------------------------
def test_unauthenticated_1mib_posts_keep_the_log_under_its_byte_bound() -> None:
    bound = 32 * 1024  # a dozen calls
    with FakeTrunkingServer(seed=1, log_max_bytes=bound, credentials={"AC" + "a" * 32: "t"}) as s:
        assert post_1mib(s.port, 40) == [401] * 40  # 40 MiB sent
        calls = s.fake.calls
        assert isinstance(calls, CallLog)
        assert 0 < len(calls) < 40  # the oldest were dropped to stay within the bytes
        assert log_bytes(calls) <= bound and calls.retained_bytes <= bound
        for call in calls:  # a refused request keeps no body, and says how long it was
            assert call.request.body == b"" and call.request_body_length == MIB
            assert call.truncated
        entry = AdminClient(s.base_url).requests(limit=1)[0]
        assert entry["status"] == 401 and entry["body_truncated"] is True
        assert entry["body_length"] == MIB and entry["params"] == {}


def test_large_bodies_are_cut_in_the_log_saying_so(http: requests.Session) -> None:
    with FakeTrunkingServer(seed=1, log_max_body=2000, max_trunks_per_account=None) as s:
        account = s.fake.default_account_sid
        big = http.post(
            f"{s.base_url}/v1/Trunks",
            data=b"x" * (MIB - 10),
            headers={"Content-Type": "text/plain", "Authorization": basic(account)},
        )
        assert big.status_code == 201  # a body that is not a form is ignored by the API
        s.fake.seed_trunks(account, 20)
        page = http.get(f"{s.base_url}/v1/Trunks", headers={"Authorization": basic(account)})
        assert len(page.content) > 2000 and page.json()["trunks"]  # the client got it whole
        create, listing = s.fake.calls
        assert len(create.request.body) == 2000 and create.request_body_length == MIB - 10
        assert len(listing.response.body) == 2000
        assert listing.response_body_length == len(page.content)
        with pytest.raises(ValueError, match="cut in the call log"):
            listing.body  # noqa: B018
        logged = http.get(f"{s.base_url}/__fake__/requests").json()["requests"]
        assert logged[0]["body_truncated"] and logged[0]["body_length"] == MIB - 10
        assert not logged[0]["response_truncated"] and logged[0]["response"]["sid"]
        assert logged[1]["response_truncated"] and logged[1]["response"] is None
        assert logged[1]["response_length"] == len(page.content)
        assert not logged[1]["body_truncated"]


def test_the_server_log_is_bounded_by_default() -> None:
    with FakeTrunkingServer(seed=1) as s:
        calls = s.fake.calls
        assert isinstance(calls, CallLog)
        assert (calls.limit, calls.max_bytes, calls.max_body) == (10_000, 64 * MIB, 256 * 1024)
        info = AdminClient(s.base_url).info()["log"]
        assert info == {"limit": 10_000, "max_bytes": 64 * MIB, "max_body": 256 * 1024}
        assert post_1mib(s.port, 8) == [401] * 8
        assert all(c.request.body == b"" for c in calls) and log_bytes(calls) < 100_000


@long_only
def test_long_1500_unauthenticated_1mib_posts_stay_within_the_default_bound() -> None:
    with FakeTrunkingServer(seed=1, credentials={"AC" + "a" * 32: "t"}) as s:
        for _ in range(15):
            assert post_1mib(s.port, 100) == [401] * 100
        assert len(s.fake.calls) == 1500
        assert log_bytes(s.fake.calls) <= DEFAULT_LOG_MAX_BYTES
        assert log_bytes(s.fake.calls) < 10 * MIB  # no body kept: about 2 KiB a call


def test_in_process_calls_take_an_optional_bound() -> None:
    from fake_trunking import FakeTrunkingService

    with FakeTrunkingService(seed=1) as fake:  # unbounded by default (docs/decisions.md)
        assert (fake.calls.limit, fake.calls.max_bytes, fake.calls.max_body) == (None,) * 3
    with FakeTrunkingService(seed=1, calls_limit=2, calls_max_body=10) as fake:
        client = fake.client()
        for n in range(4):
            client.trunking.v1.trunks.create(friendly_name=f"trunk number {n}")
        assert len(fake.calls) == 2 and fake.calls.evicted == 2
        assert all(c.request_body_length is not None for c in fake.calls)
        with pytest.raises(AssertionError, match="2 older ones no longer logged"):
            fake.assert_called("GET", "/v1/Trunks")
        with pytest.raises(ValueError, match="calls_limit: got -1"):
            FakeTrunkingService(calls_limit=-1)


def test_the_admin_log_is_paged_by_offset_and_limit(http: requests.Session) -> None:
    with FakeTrunkingServer(seed=1, log_limit=5) as s:
        account = s.fake.default_account_sid
        for n in range(8):
            http.get(f"{s.base_url}/v1/Trunks?PageSize={n + 1}", auth=(account, "t"))
        admin = AdminClient(s.base_url)
        page = admin.requests_page(offset=0, limit=2)  # calls 0-2 were dropped by the bound
        assert [r["index"] for r in page["requests"]] == [3, 4]
        assert (page["offset"], page["next_offset"]) == (3, 5)
        walked, offset = [], 0
        for _ in range(10):
            page = admin.requests_page(offset=offset, limit=2)
            if not page["requests"]:
                break
            walked += page["requests"]
            offset = page["next_offset"]
        assert [r["query"] for r in walked] == [f"PageSize={n}" for n in range(4, 9)]
        assert [r["index"] for r in admin.requests(limit=2)] == [6, 7]  # limit alone: the last
        assert admin.requests(offset=100) == []
        answer = http.get(f"{s.base_url}/__fake__/requests")
        assert answer.headers["Transfer-Encoding"] == "chunked"  # streamed, not built whole
        assert [r["index"] for r in answer.json()["requests"]] == [3, 4, 5, 6, 7]


def test_the_admin_log_answer_is_streamed_one_call_at_a_time() -> None:
    with FakeTrunkingServer(seed=1, max_trunks_per_account=None) as s:
        account = s.fake.default_account_sid
        s.fake.seed_trunks(account, 150)
        head = f"GET /v1/Trunks?PageSize=150 HTTP/1.1\r\nAuthorization: {basic(account)}\r\n"
        with socket.create_connection(("127.0.0.1", s.port), timeout=30) as sock:
            reader = sock.makefile("rb")
            for _ in range(100):  # 100 calls, each with a 180 kB page kept in the log
                sock.sendall((head + "\r\n").encode())
                length = 0
                while (line := reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                reader.read(length)
        kept = sum(len(c.response.body) for c in s.fake.calls)
        assert kept > 15 * MIB
        tracemalloc.start()
        try:
            with socket.create_connection(("127.0.0.1", s.port), timeout=60) as sock:
                sock.sendall(b"GET /__fake__/requests HTTP/1.0\r\n\r\n")
                received = 0
                while chunk := sock.recv(1 << 20):
                    received += len(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert received > kept  # every page, rendered as JSON
        assert peak < kept / 2, (peak, kept)  # never the whole answer (or 5x it) at once


# -- item 3: odd numbers on the HTTP layer, and internal errors ------------------------------
_BOOM = """
import sys
from fake_trunking.handler import Handler
from fake_trunking.cli import main

original = Handler._dispatch

def dispatch(self, request, *args):
    if request.path == "/v1/Boom":
        raise RuntimeError("a bug\\nwith a second line")
    return original(self, request, *args)

Handler._dispatch = dispatch
sys.exit(main(["serve", "--port", "0"]))
"""


def test_odd_numbers_are_400s_and_errors_are_one_line_on_stderr() -> None:
    proc = spawn("-c", _BOOM)
    try:
        url = read_line(proc).strip()
        port = int(url.rsplit(":", 1)[1])
        account = "AC" + "b" * 32
        auth = f"Authorization: {basic(account)}\r\n"
        for length in ("\u00b2", "1" * 5000, "\u0661\u0662", "12 34", "-1"):
            request = f"POST /v1/Trunks HTTP/1.1\r\n{auth}Content-Length: {length}\r\n\r\n"
            message = twilio_error(exchange(port, request.encode("utf-8")), 400, 20001)
            assert "Content-Length" in message, message
        for limit in ("\u00b2", "9" * 5000, "-1", "1.5"):
            answer = exchange(
                port, f"GET /__fake__/requests?limit={limit} HTTP/1.0\r\n\r\n".encode()
            )
            message = twilio_error(answer, 400, 20001)
            assert "limit" in message, message
        answer = exchange(port, f"GET /v1/Boom HTTP/1.0\r\n{auth}\r\n".encode())
        assert "a bug" in twilio_error(answer, 500, 20500)
        answer = exchange(port, f"GET /v1/Trunks HTTP/1.0\r\n{auth}\r\n".encode())
        assert parse(answer)[0] == 200  # and the server serves on
    finally:
        status, _, err = stop(proc, signal.SIGTERM)
    lines = err.splitlines()
    assert status == 0 and "Traceback" not in err, err
    assert lines[-1] == "fake-trunking serve: stopped", lines
    events = lines[:-1]
    assert len(events) == 1 and "RuntimeError: a bug with a second line" in events[0], lines


def test_an_internal_error_in_the_server_path_is_a_500_and_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fake_trunking.server.http as server_module

    def broken(*args: Any) -> Any:
        raise KeyError("a bug in an admin endpoint")

    monkeypatch.setattr(server_module, "handle_admin", broken)
    with FakeTrunkingServer(seed=1) as s:
        assert s.httpd is not None
        s.httpd.log = log = io.StringIO()
        answer = exchange(s.port, b"GET /__fake__/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert "a bug in an admin endpoint" in twilio_error(answer, 500, 20500)
        assert parse(answer)[1]["connection"] == "close"
    lines = log.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "fake-trunking: internal error on GET /__fake__/"
    )


# -- item 4: slowloris -----------------------------------------------------------------------
class Dribblers:
    """``count`` connections that each send one header byte every ``every`` s, and open a new
    connection when the server closes one; in a thread, for at most ``seconds``."""

    def __init__(self, port: int, count: int, every: float, seconds: float) -> None:
        self.port, self.count, self.every, self.seconds = port, count, every, seconds
        self.stopped = threading.Event()
        self.opened = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(b"POST /v1/Trunks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        self.opened += 1
        return sock

    def run(self) -> None:
        end = time.monotonic() + self.seconds
        socks = [self.connect() for _ in range(self.count)]
        try:
            while not self.stopped.is_set() and time.monotonic() < end:
                readable, _, _ = select.select(socks, [], [], 0)
                for sock in readable:  # answered (408/503) or closed: open another one
                    socks.remove(sock)
                    sock.close()
                    socks.append(self.connect())
                for sock in list(socks):
                    try:
                        sock.send(b"a")
                    except OSError:
                        socks.remove(sock)
                        sock.close()
                        socks.append(self.connect())
                self.stopped.wait(self.every)
        finally:
            for sock in socks:
                sock.close()

    def __enter__(self) -> Dribblers:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(30)


def ordinary_requests_while_dribbling(timeout: float, count: int, seconds: float) -> None:
    with FakeTrunkingServer(seed=1, timeout=timeout) as s, requests.Session() as http:
        http.trust_env = False
        auth = (s.fake.default_account_sid, "t")
        httpd = s.httpd
        assert httpd is not None
        with Dribblers(s.port, count, every=0.25, seconds=seconds + 10) as dribblers:
            deadline = time.monotonic() + 10
            while httpd.connections < httpd.max_connections:  # the cap is reached
                assert time.monotonic() < deadline, httpd.connections
                time.sleep(0.01)
            end = time.monotonic() + seconds
            served = 0
            while time.monotonic() < end:
                started = time.monotonic()
                answer = http.get(
                    f"{s.base_url}/v1/Trunks", auth=auth, timeout=5, headers={"Connection": "close"}
                )
                took = time.monotonic() - started
                assert answer.status_code == 200 and took < 2.0, (answer.status_code, took)
                served += 1
                time.sleep(0.1)
            assert served >= 5
            assert dribblers.opened >= count  # they kept at it all along
        statuses = [(c.status, c.method, c.request.body[:20]) for c in s.fake.calls]
        assert all(c.status == 200 for c in s.fake.calls), statuses  # no dribbler got in


def test_300_dribbling_connections_do_not_lock_out_ordinary_requests() -> None:
    ordinary_requests_while_dribbling(timeout=1.0, count=300, seconds=3.0)


@long_only
def test_long_300_dribbling_connections_for_30_seconds() -> None:
    ordinary_requests_while_dribbling(timeout=5.0, count=300, seconds=30.0)


def test_a_request_must_arrive_whole_within_the_timeout() -> None:
    with FakeTrunkingServer(seed=1, timeout=1.0) as s:
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as sock:
            sock.sendall(b"GET /v1/Trunks HTTP/1.1\r\n")
            started = time.monotonic()
            for _ in range(40):  # a byte every 0.1 s: each recv is quick, the whole is not
                try:
                    sock.sendall(b"X")
                except OSError:
                    break
                time.sleep(0.1)
                if select.select([sock], [], [], 0)[0]:
                    break
            answer = sock.makefile("rb").read()
            assert time.monotonic() - started < 2.5
        assert "Request Timeout" in twilio_error(answer, 408, 20001)


def test_at_the_cap_an_idle_keep_alive_connection_is_evicted(http: requests.Session) -> None:
    with FakeTrunkingServer(seed=1, max_connections=2) as s:
        account = s.fake.default_account_sid
        request = f"GET /v1/Trunks HTTP/1.1\r\nAuthorization: {basic(account)}\r\n\r\n".encode()
        keep = []
        for _ in range(2):  # two keep-alive connections, each served once, now idle
            sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            sock.sendall(request)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            keep.append(sock)
            time.sleep(0.5)  # its thread marks it idle well before the next one's (loaded CI)
        answer = http.get(f"{s.base_url}/v1/Trunks", auth=(account, "t"), timeout=5)
        assert answer.status_code == 200  # not 503
        assert keep[0].recv(100) == b""  # the one idle the longest was closed, silently
        keep[1].sendall(request)  # the other one still serves
        assert keep[1].recv(65536).startswith(b"HTTP/1.1 200")
        for sock in keep:
            sock.close()


def test_oversized_header_fields_are_431() -> None:
    with FakeTrunkingServer(seed=1) as s:
        headers = "".join(f"X-Pad-{n}: {'p' * 8000}\r\n" for n in range(20))  # 160 kB
        answer = exchange(s.port, f"GET /v1/Trunks HTTP/1.1\r\n{headers}\r\n".encode())
        assert "header fields too large" in twilio_error(answer, 431, 20001)
        assert s.fake.calls == []


# -- item 7: the admin endpoints refuse browsers ---------------------------------------------
def admin_post(port: int, path: str, headers: Dict[str, str]) -> bytes:
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (
        f"POST /__fake__{path} HTTP/1.1\r\n{lines}Content-Type: text/plain\r\n"
        "Content-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    return exchange(port, request.encode())


def test_a_web_pages_simple_request_to_the_admin_endpoints_is_403() -> None:
    with FakeTrunkingServer(seed=1) as s:
        s.fake.seed_trunks(count=1)
        host = f"127.0.0.1:{s.port}"
        for path in ("/reset", "/state", "/faults"):
            for origin in ("http://evil.example", "null", "https://127.0.0.1.evil.example"):
                answer = admin_post(s.port, path, {"Host": host, "Origin": origin})
                message = twilio_error(answer, 403, 20403)
                assert "Origin" in message and origin in message, message
        answer = admin_post(s.port, "/reset", {"Host": host, "Sec-Fetch-Site": "cross-site"})
        assert "Sec-Fetch-Site" in twilio_error(answer, 403, 20403)
        assert len(s.fake.trunks()) == 1 and s.fake.faults == []  # nothing changed


def test_dns_rebinding_to_the_admin_endpoints_is_403() -> None:
    with FakeTrunkingServer(seed=1) as s:
        s.fake.seed_trunks(count=1)
        for host in (f"evil.example:{s.port}", "evil.example", "localhost.evil.example", "0.0.0.0"):
            answer = admin_post(s.port, "/reset", {"Host": host})
            message = twilio_error(answer, 403, 20403)
            assert "Host" in message and host in message, message
            get = exchange(s.port, f"GET /__fake__/state HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            twilio_error(get, 403, 20403)  # no reading the state either
        assert len(s.fake.trunks()) == 1


def test_local_clients_keep_working_on_the_admin_endpoints(http: requests.Session) -> None:
    with FakeTrunkingServer(seed=1) as s:
        port = s.port
        for headers in (
            {"Host": f"127.0.0.1:{port}"},
            {"Host": "localhost"},
            {"Host": f"LocalHost.:{port}"},
            {"Host": f"app.localhost:{port}"},
            {"Host": "127.1.2.3"},
            {"Host": f"[::1]:{port}"},
            {"Host": f"127.0.0.1:{port}", "Origin": f"http://localhost:{port}"},
            {"Host": f"127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"},
            {},  # HTTP/1.0 style: no Host at all
        ):
            answer = admin_post(port, "/reset", headers)
            assert parse(answer)[0] == 200, (headers, answer[:200])
        admin = AdminClient(s.base_url)  # the admin client sends no Origin
        admin.seed_trunks(count=2)
        admin.inject_fault(status=503, path="/Trunks")
        assert len(admin.dump_state()["accounts"]) == 1 and len(admin.faults()) == 1
        admin.reset()
        curl_like = http.get(f"{s.base_url}/__fake__/", headers={"User-Agent": "curl/8.0"})
        assert curl_like.status_code == 200
        # the API itself is not an admin endpoint: it answers whatever the Origin
        api = http.get(
            f"{s.base_url}/v1/Trunks",
            auth=(s.fake.default_account_sid, "t"),
            headers={"Origin": "http://evil.example"},
        )
        assert api.status_code == 200


def test_a_server_bound_to_all_addresses_accepts_its_own_address() -> None:
    with FakeTrunkingServer(seed=1, host="0.0.0.0", admin_hosts=["Fake.Trunking"]) as s:
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as sock:
            own = sock.getsockname()[0]
        assert parse(admin_post(s.port, "/reset", {"Host": f"{own}:{s.port}"}))[0] == 200
        twilio_error(admin_post(s.port, "/reset", {"Host": "192.0.2.1"}), 403, 20403)
        # a name given as admin_hosts (--admin-host), e.g. a container's service name
        assert parse(admin_post(s.port, "/reset", {"Host": "fake.trunking:8080"}))[0] == 200
        twilio_error(admin_post(s.port, "/reset", {"Host": "fake.trunking.evil"}), 403, 20403)


# -- item 8: --timeout and the log options at the command line ---------------------------------
@pytest.mark.parametrize(
    "args,needle",
    [
        (["--timeout", "inf"], "--timeout"),
        (["--timeout", "nan"], "--timeout"),
        (["--timeout", "-1"], "--timeout"),
        (["--timeout", "0"], "--timeout"),
        (["--timeout", "1e300"], "--timeout"),
        (["--timeout", "soon"], "--timeout"),
        (["--log-limit", "many"], "--log-limit"),
        (["--log-max-bytes", "-5"], "--log-max-bytes"),
        (["--log-max-body", "\u00b2"], "--log-max-body"),
    ],
)
def test_bad_timeouts_and_log_bounds_are_one_line_errors(args: List[str], needle: str) -> None:
    err = io.StringIO()
    saved, sys.stderr = sys.stderr, err
    try:
        code = main(["serve", "--port", "0", *args])
    finally:
        sys.stderr = saved
    lines = err.getvalue().splitlines()
    assert code == 2 and len(lines) == 1 and needle in lines[0], lines


def test_bad_timeouts_are_refused_by_the_python_api() -> None:
    for value in (float("inf"), float("nan"), -1, 0, "5"):
        with pytest.raises(ValueError, match="timeout must be a number of seconds"):
            FakeTrunkingServer(timeout=value)  # type: ignore[arg-type]


def test_the_log_options_reach_the_server(tmp_path: Any) -> None:
    proc = spawn(
        "-m", "fake_trunking", "serve", "--port", "0",
        "--log-limit", "2", "--log-max-bytes", "100000", "--log-max-body", "10",
        "--admin-host", "box",
    )  # fmt: skip
    try:
        url = read_line(proc).strip()
        with requests.Session() as http:
            http.trust_env = False
            for n in range(3):
                http.post(f"{url}/v1/Trunks", data={"FriendlyName": f"t{n}" * 10},
                          auth=("AC" + "c" * 32, "t"))  # fmt: skip
            log = http.get(f"{url}/__fake__/requests").json()
        assert [r["index"] for r in log["requests"]] == [1, 2]
        assert all(r["body_truncated"] and r["body_length"] > 10 for r in log["requests"])
        port = int(url.rsplit(":", 1)[1])
        assert parse(admin_post(port, "/reset", {"Host": "box:80"}))[0] == 200
        twilio_error(admin_post(port, "/reset", {"Host": "other"}), 403, 20403)
    finally:
        stop(proc)
