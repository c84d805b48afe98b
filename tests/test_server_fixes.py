"""Server fixes (issue 16, item 4) and the account of a call (issue 14).

Clients made for a server ignore ``TWILIO_EDGE``/``TWILIO_REGION``; ``serve
--max-trunks-per-account``; a ``Twilio-Request-Id`` on every answer, the HTTP layer's errors
included; an HTTP/0.9 line answered at once; a fault ``path`` pattern cannot stall the server;
the admin token beyond loopback; API-key calls attributed to their account in the request log
and in cassettes.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from pathlib import Path
from typing import Dict, Tuple

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from fake_trunking import FakeTrunkingServer, FakeTrunkingService
from fake_trunking.clients.server_client import ServerHttpClient, client_for
from fake_trunking.core.errors import TwilioError
from fake_trunking.server.admin_client import ADMIN_TOKEN_HEADER, AdminClient

from .helpers import basic, read_line, spawn_serve, stop

ACCOUNT = "AC" + "2" * 32
REQUEST_ID = re.compile(r"RQ[0-9a-f]{32}\Z")


def exchange(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def parse(answer: bytes) -> Tuple[int, Dict[str, str], Dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body) if body else {}


def has_request_id(answer: bytes, status: int) -> Dict[str, object]:
    got, headers, payload = parse(answer)
    assert got == status, answer[:300]
    assert REQUEST_ID.match(headers.get("twilio-request-id", "")), headers
    assert set(payload) >= {"code", "message", "more_info", "status"}, payload
    return payload


# -- TWILIO_EDGE / TWILIO_REGION ---------------------------------------------------------------
def test_clients_for_a_server_ignore_twilio_edge_and_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    with FakeTrunkingServer(seed=1) as server:
        server.fake.seed_trunks(ACCOUNT, 5)
        for client in (
            server.client(ACCOUNT),
            client_for(server.base_url, ACCOUNT, "token"),
        ):
            assert client.edge is None and client.region is None
            # page 2 and 3 follow the server's own next_page_url
            assert len(client.trunking.v1.trunks.list(page_size=2)) == 5
    import os

    assert os.environ["TWILIO_EDGE"] == "sydney"  # the environment is left alone


# -- --max-trunks-per-account --------------------------------------------------------------------
def test_serve_max_trunks_per_account_lets_admin_seed_past_100() -> None:
    proc = spawn_serve("--max-trunks-per-account", "none")
    try:
        base = read_line(proc).strip()
        assert len(AdminClient(base).seed_trunks(ACCOUNT, count=150)) == 150
    finally:
        stop(proc)
    proc = spawn_serve()  # the default stays Twilio's 100, and the refusal says what to do
    try:
        base = read_line(proc).strip()
        with pytest.raises(TwilioError) as refused:
            AdminClient(base).seed_trunks(ACCOUNT, count=150)
        assert refused.value.code == 21244
        assert "--max-trunks-per-account" in refused.value.message
    finally:
        stop(proc)


def test_serve_max_trunks_per_account_refuses_a_bad_value() -> None:
    proc = spawn_serve("--max-trunks-per-account", "lots")
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "--max-trunks-per-account" in err


# -- a Twilio-Request-Id on every answer ------------------------------------------------------
def test_http_layer_errors_carry_a_twilio_request_id() -> None:
    with FakeTrunkingServer(seed=1, timeout=1.0) as s:
        port = s.port
        big = f"POST /v1/Trunks HTTP/1.1\r\nContent-Length: {10**9}\r\n\r\n".encode()
        has_request_id(exchange(port, big), 413)
        has_request_id(exchange(port, b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"), 414)
        pad = "".join(f"X-Pad-{n}: {'p' * 8000}\r\n" for n in range(20))
        has_request_id(exchange(port, f"GET /v1/Trunks HTTP/1.1\r\n{pad}\r\n".encode()), 431)
        has_request_id(exchange(port, b"GET /v1/Trunks HTTX/1.1\r\n\r\n"), 400)
        has_request_id(exchange(port, b"NONSENSE\r\n\r\n"), 400)
        has_request_id(exchange(port, b"GET /v1/Trunks HTTP/1.1\r\nHost: x\r\n"), 408)
        admin = requests.get(f"{s.base_url}/__fake__/", timeout=5)
        assert REQUEST_ID.match(admin.headers["Twilio-Request-Id"])


def test_the_503s_at_the_connection_cap_carry_a_twilio_request_id() -> None:
    with FakeTrunkingServer(seed=1, max_connections=1) as s:
        s.fake.inject_fault(latency=1.5, times=1)
        auth = basic(s.fake.default_account_sid)
        busy = threading.Thread(
            target=exchange,
            args=(s.port, f"GET /v1/Trunks HTTP/1.0\r\nAuthorization: {auth}\r\n\r\n".encode()),
        )
        busy.start()
        deadline = time.monotonic() + 5
        while s.fake.faults and s.fake.faults[0].hits == 0:  # until the one connection is busy
            assert time.monotonic() < deadline
            time.sleep(0.01)
        answer = exchange(s.port, b"GET /v1/Trunks HTTP/1.0\r\n\r\n")
        busy.join(10)
        payload = has_request_id(answer, 503)
        assert "too many connections" in str(payload["message"])


# -- HTTP/0.9 ---------------------------------------------------------------------------------
def test_a_bare_http_0_9_request_line_is_answered_at_once() -> None:
    with FakeTrunkingServer(seed=1, timeout=30.0) as s:
        started = time.monotonic()
        answer = exchange(s.port, b"GET /\r\n", timeout=20)
        assert time.monotonic() - started < 2.0  # not after the 30 s timeout
        payload = has_request_id(answer, 400)
        assert "HTTP/0.9" in str(payload["message"])


# -- fault path patterns over the admin API ----------------------------------------------------
def test_a_fault_path_pattern_cannot_stall_the_server() -> None:
    """Fault patterns are bounded (``faults.check_path_pattern``, another helper's work): a
    catastrophic pattern is refused over the admin API, and a long path next to an accepted
    pattern is answered quickly."""
    with FakeTrunkingServer(seed=1) as s:
        admin = AdminClient(s.base_url)
        for pattern in ("(a+)+$", "(a|aa)*b", r"(\w+\s?)*$"):
            with pytest.raises(TwilioError) as refused:
                admin.inject_fault(status=500, path=pattern, times=None)
            assert refused.value.status == 400
        admin.inject_fault(status=500, path="/Trunks/a*a*b", times=None)
        started = time.monotonic()
        answer = requests.get(
            f"{s.base_url}/v1/Trunks/" + "a" * 30000,
            auth=(s.fake.default_account_sid, "t"),
            timeout=10,
        )
        assert time.monotonic() - started < 1.0
        assert answer.status_code == 404


# -- the admin token -----------------------------------------------------------------------------
def test_an_admin_token_is_required_when_set() -> None:
    with FakeTrunkingServer(seed=1, admin_token="s3cret") as s:
        url = f"{s.base_url}/__fake__/"
        refused = requests.get(url, timeout=5)
        assert refused.status_code == 401 and refused.json()["code"] == 20003
        assert ADMIN_TOKEN_HEADER in refused.json()["message"]
        assert (
            requests.get(url, headers={ADMIN_TOKEN_HEADER: "wrong"}, timeout=5).status_code == 401
        )
        assert requests.get(url, headers={ADMIN_TOKEN_HEADER: "s3cret"}, timeout=5).ok
        assert requests.get(url, headers={"Authorization": "Bearer s3cret"}, timeout=5).ok
        assert AdminClient(s.base_url, admin_token="s3cret").info()["version"]
        with pytest.raises(TwilioError):
            AdminClient(s.base_url).reset()
        # the API itself is unaffected
        trunks = s.client().trunking.v1.trunks
        assert trunks.create(friendly_name="x").friendly_name == "x"


def test_loopback_binding_needs_no_admin_token() -> None:
    proc = spawn_serve()
    try:
        base = read_line(proc).strip()
        assert AdminClient(base).info()["version"]
    finally:
        _status, _out, err = stop(proc)
    assert "admin token" not in err and "warning" not in err


def test_binding_beyond_loopback_generates_an_admin_token_and_warns() -> None:
    proc = spawn_serve("--host", "0.0.0.0")
    try:
        base = read_line(proc).strip()
        port = base.rsplit(":", 1)[1]
        local = f"http://127.0.0.1:{port}"
        with pytest.raises(TwilioError) as refused:
            AdminClient(local).info()
        assert refused.value.status == 401
    finally:
        _status, _out, err = stop(proc)
    match = re.search(r"admin token: (\S+)", err)
    assert match is not None, err
    assert "warning: listening on 0.0.0.0" in err


def test_a_given_admin_token_is_used_and_not_printed() -> None:
    proc = spawn_serve("--host", "0.0.0.0", "--admin-token", "given-token")
    try:
        base = read_line(proc).strip()
        local = f"http://127.0.0.1:{base.rsplit(':', 1)[1]}"
        assert AdminClient(local, admin_token="given-token").info()["version"]
    finally:
        _status, _out, err = stop(proc)
    assert "given-token" not in err and "warning" in err


# -- issue 14: which account made a call --------------------------------------------------------
API_KEY = "SK" + "3" * 32


def test_api_key_calls_are_attributed_to_their_account(tmp_path: Path) -> None:
    with FakeTrunkingServer(seed=1, api_keys={API_KEY: (ACCOUNT, "key-secret")}) as s:

        def keyed(secret: str) -> Client:
            return Client(API_KEY, secret, ACCOUNT, http_client=ServerHttpClient(s.base_url))

        keyed("key-secret").trunking.v1.trunks.create(friendly_name="by key")
        with pytest.raises((TwilioRestException, TwilioException)):
            keyed("wrong").trunking.v1.trunks.list()
        logged = AdminClient(s.base_url).requests()
        assert [c["account_sid"] for c in logged] == [ACCOUNT, None]
        assert s.fake.calls[0].account_sid == ACCOUNT
        assert s.fake.calls[1].account_sid is None


def test_api_key_calls_are_attributed_alike_in_a_saved_cassette(tmp_path: Path) -> None:
    from fake_trunking.cassettes.save import save_calls

    fake = FakeTrunkingService(seed=1, api_keys={API_KEY: (ACCOUNT, "key-secret")})
    with fake:
        Client(API_KEY, "key-secret", ACCOUNT).trunking.v1.trunks.create(friendly_name="k")
    assert fake.calls[0].account_sid == ACCOUNT
    path = save_calls(fake, tmp_path / "c.yaml")
    assert "account: AC" in path.read_text()  # attributed (and scrubbed)


def test_demo_against_a_server_ignores_twilio_edge_and_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from fake_trunking.demo import run_demo

    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    with FakeTrunkingServer(seed=2) as server:
        out = io.StringIO()
        assert run_demo(server=server.base_url, out=out) is None
        assert "requests answered by the fake-trunking server" in out.getvalue()
        assert all(c.request.base_url == server.base_url for c in server.fake.calls)


def test_the_admin_token_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_TRUNKING_ADMIN_TOKEN", "from-env")
    proc = spawn_serve("--host", "0.0.0.0")
    try:
        base = read_line(proc).strip()
        local = f"http://127.0.0.1:{base.rsplit(':', 1)[1]}"
        assert AdminClient(local).info()["version"]  # the client reads it too
        with pytest.raises(TwilioError):
            AdminClient(local, admin_token="other").info()
    finally:
        _status, _out, err = stop(proc)
    assert "from-env" not in err and "admin token:" not in err
