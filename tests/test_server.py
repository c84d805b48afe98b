"""Server mode in process: ``FakeTrunkingServer`` on a loopback port, driven over real sockets by
the twilio client (``client_for``), plain ``requests`` and raw HTTP."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Tuple

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

import fake_trunking
from fake_trunking import FakeTrunkingServer, FakeTrunkingService, client_for
from fake_trunking.core.errors import TwilioError
from fake_trunking.server.admin_client import AdminClient
from fake_trunking.server.http import MAX_BODY, StateFile, StateFileError

TOKEN = "server-token"


@pytest.fixture
def server() -> Iterator[FakeTrunkingServer]:
    with FakeTrunkingServer(seed=42, timeout=5.0, max_trunks_per_account=None) as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # never an environment proxy: the server is on loopback
        yield session


def auth(server: FakeTrunkingServer) -> Tuple[str, str]:
    return (server.fake.default_account_sid, TOKEN)


def basic(account: str, token: str = TOKEN) -> str:
    return "Basic " + base64.b64encode(f"{account}:{token}".encode()).decode()


def raw(server: FakeTrunkingServer, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data`` on a fresh connection; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
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


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def parse(response: bytes) -> Tuple[int, Dict[str, str], Any]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, json.loads(body) if body else None


def assert_twilio_error(body: Any, status: int, code: int) -> None:
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["status"] == status and body["code"] == code
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"


# -- the API through the twilio client and through requests ----------------------------------
def test_crud_and_subresources_through_client_for(server: FakeTrunkingServer) -> None:
    client = client_for(server.base_url, server.fake.default_account_sid, "any token")
    trunks = client.trunking.v1.trunks
    created = trunks.create(friendly_name="edge", domain_name="edge-1.pstn.twilio.com")
    assert created.url == f"{server.base_url}/v1/Trunks/{created.sid}"
    assert all(link.startswith(server.base_url + "/v1/Trunks/") for link in created.links.values())
    assert trunks(created.sid).fetch().domain_name == "edge-1.pstn.twilio.com"
    assert trunks(created.sid).update(secure=True).secure is True
    ou = trunks(created.sid).origination_urls.create(
        weight=1, priority=1, enabled=True, friendly_name="pbx", sip_url="sip:pbx@example.com"
    )
    assert [o.sid for o in trunks(created.sid).origination_urls.list()] == [ou.sid]
    number = server.fake.seed_phone_number()
    assert trunks(created.sid).phone_numbers.create(phone_number_sid=number).sid == number
    with pytest.raises(TwilioRestException) as taken:
        trunks.create(domain_name="edge-1.pstn.twilio.com")
    assert (taken.value.status, taken.value.code) == (400, 21248)
    assert trunks(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        trunks(created.sid).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)
    assert server.fake.store.accounts[server.fake.default_account_sid].trunks.__len__() == 0
    assert client.http_client.request_count >= 8


def test_pagination_through_client_for_stays_on_the_server(server: FakeTrunkingServer) -> None:
    sids = server.fake.seed_trunks(count=7)
    client = server.client()
    trunks = client.trunking.v1.trunks
    page = trunks.page(page_size=3)
    assert page.next_page_url.startswith(server.base_url + "/v1/Trunks?PageSize=3&Page=1")
    walked = []
    while page is not None:
        walked.extend(t.sid for t in page)
        page = page.next_page()
    assert walked == sids
    assert [t.sid for t in trunks.list(page_size=2)] == sids
    assert [t.sid for t in trunks.stream(limit=5, page_size=2)] == sids[:5]
    assert all(c.request.base_url == server.base_url for c in server.fake.calls)


def test_crud_and_pagination_through_requests(
    server: FakeTrunkingServer, http: requests.Session
) -> None:
    base = f"{server.base_url}/v1/Trunks"
    created = http.post(base, data={"FriendlyName": "plain"}, auth=auth(server))
    assert created.status_code == 201
    assert created.headers["Content-Type"] == "application/json"
    assert created.headers["Twilio-Request-Id"].startswith("RQ")
    sid = created.json()["sid"]
    assert created.json()["url"] == f"{base}/{sid}"
    for n in range(4):
        assert http.post(base, data={"FriendlyName": f"t{n}"}, auth=auth(server)).ok
    first = http.get(base, params={"PageSize": 2}, auth=auth(server)).json()
    meta = first["meta"]
    assert meta["first_page_url"] == f"{base}?PageSize=2&Page=0"
    assert meta["url"] == f"{base}?PageSize=2&Page=0"
    names = [t["friendly_name"] for t in first["trunks"]]
    url = meta["next_page_url"]
    while url is not None:
        assert url.startswith(base + "?")
        page = http.get(url, auth=auth(server)).json()
        names.extend(t["friendly_name"] for t in page["trunks"])
        url = page["meta"]["next_page_url"]
    assert names == ["plain", "t0", "t1", "t2", "t3"]
    updated = http.post(f"{base}/{sid}", data={"FriendlyName": "renamed"}, auth=auth(server))
    assert updated.json()["friendly_name"] == "renamed"
    deleted = http.delete(f"{base}/{sid}", auth=auth(server))
    assert deleted.status_code == 204 and deleted.content == b""
    assert http.get(f"{base}/{sid}", auth=auth(server)).status_code == 404
    unauthenticated = http.get(base)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["code"] == 20003


def test_links_follow_the_host_header_and_ignore_hostile_ones(
    server: FakeTrunkingServer, http: requests.Session
) -> None:
    sid = server.fake.seed_trunks()[0]
    url = f"{server.base_url}/v1/Trunks/{sid}"
    named = http.get(url, auth=auth(server), headers={"Host": "fake.example.test:8080"}).json()
    assert named["url"] == f"http://fake.example.test:8080/v1/Trunks/{sid}"
    for hostile in ('evil.test/"><script>', "a b", "x@evil.test", "evil.test:99999999", "é.test"):
        body = raw(
            server,
            f"GET /v1/Trunks/{sid} HTTP/1.1\r\nHost: {hostile}\r\n"
            f"Authorization: {basic(server.fake.default_account_sid)}\r\n"
            "Connection: close\r\n\r\n".encode(),
        )
        status, _, payload = parse(body)
        assert status == 200
        assert payload["url"] == f"{server.base_url}/v1/Trunks/{sid}"
    # HTTP/1.0 without a Host header: the bound address
    status, _, payload = parse(
        raw(
            server,
            f"GET /v1/Trunks/{sid} HTTP/1.0\r\n"
            f"Authorization: {basic(server.fake.default_account_sid)}\r\n\r\n".encode(),
        )
    )
    assert status == 200 and payload["url"] == f"{server.base_url}/v1/Trunks/{sid}"


def test_keep_alive_connection_serves_many_requests(server: FakeTrunkingServer) -> None:
    request = (
        "GET /v1/Trunks HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {basic(server.fake.default_account_sid)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request * 3 + request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 4


# -- admin endpoints -------------------------------------------------------------------------
def test_admin_info_reset_and_errors(server: FakeTrunkingServer, http: requests.Session) -> None:
    admin = f"{server.base_url}/__fake__"
    info = http.get(f"{admin}/").json()
    assert info["default_account_sid"] == server.fake.default_account_sid
    assert info["credentials_required"] is False
    assert "POST /__fake__/faults" in info["endpoints"]
    server.fake.seed_trunks(count=2)
    assert http.post(f"{admin}/reset").json() == {"reset": True}
    assert server.fake.dump_state()["accounts"] == {}
    missing = http.get(f"{admin}/nope")
    assert missing.status_code == 404
    assert_twilio_error(missing.json(), 404, 20404)
    assert missing.json()["message"] == "The requested resource /__fake__/nope was not found"
    wrong = http.delete(f"{admin}/reset")
    assert_twilio_error(wrong.json(), 405, 20004)
    for bad in (b"{nope", b"[1]", b'{"count": NaN}', b"\xff\xfe"):
        answer = http.post(f"{admin}/seed/trunks", data=bad)
        assert answer.status_code == 400, bad
        assert_twilio_error(answer.json(), 400, 20001)
    deep = http.post(f"{admin}/seed/trunks", data=b"[" * 100_000 + b"]" * 100_000)
    assert_twilio_error(deep.json(), 400, 20001)
    assert server.fake.dump_state()["accounts"] == {}


def test_admin_seeding(server: FakeTrunkingServer, http: requests.Session) -> None:
    admin = f"{server.base_url}/__fake__/seed"
    other = "AC" + "ab" * 16
    made = http.post(f"{admin}/trunks", json={"count": 3, "secure": True})
    assert made.status_code == 201
    sids = made.json()["sids"]
    assert len(sids) == 3 and made.json()["account_sid"] == server.fake.default_account_sid
    cl = http.post(f"{admin}/credential_lists", json={"account_sid": other, "friendly_name": "u"})
    al = http.post(f"{admin}/ip_access_control_lists", json={"account_sid": other})
    pn = http.post(
        f"{admin}/phone_numbers",
        json={"account_sid": other, "phone_number": "+14155550100", "voice_url": None},
    )
    assert [cl.status_code, al.status_code, pn.status_code] == [201, 201, 201]
    registry = server.fake.dump_state()["accounts"][other]["registry"]
    assert [o["sid"] for o in registry["CL"]] == [cl.json()["sid"]]
    assert registry["CL"][0]["friendly_name"] == "u"
    assert [o["sid"] for o in registry["AL"]] == [al.json()["sid"]]
    assert registry["PN"][0]["phone_number"] == "+14155550100"
    # the seeded objects are usable through the API
    client = server.client(other)
    trunk = client.trunking.v1.trunks.create(friendly_name="x")
    assert (
        client.trunking.v1.trunks(trunk.sid)
        .credentials_lists.create(credential_list_sid=cl.json()["sid"])
        .friendly_name
        == "u"
    )
    before = server.fake.dump_state()
    for path, body, message in (
        ("trunks", {"count": -1}, "Invalid count"),
        ("trunks", {"count": "3"}, "Invalid count"),
        ("trunks", {"count": 10**9}, "Invalid count"),
        ("trunks", {"colour": "red"}, "unknown trunk field"),
        ("trunks", {"friendly_name": ["x"]}, "Invalid friendly_name"),
        ("trunks", {"domain_name": "not a domain"}, "Trunk Validation Error"),
        ("trunks", {"account_sid": "ACnope"}, "Invalid account_sid"),
        ("credential_lists", {"friendly_name": 3}, "Invalid friendly_name"),
        ("credential_lists", {"extra": 1}, "Unknown field(s) in the JSON body: extra"),
        ("phone_numbers", {"phone_number": "+14155550100"}, "already belongs"),
        ("phone_numbers", {"phone_number": "555"}, "E.164"),
        ("phone_numbers", {"capabilities": {"voice": 1}}, "Invalid capabilities"),
        ("phone_numbers", {"beta": "yes"}, "Invalid beta"),
        ("phone_numbers", {"sms_url": 5}, "Invalid sms_url"),
        ("phone_numbers", {"date_created": "yesterday"}, "Invalid date_created"),
        ("phone_numbers", {"trunk_sid": "TK" + "0" * 32}, "PhoneNumbers API"),
        ("phone_numbers", {"colour": "red"}, "unknown phone number fields"),
    ):
        answer = http.post(f"{admin}/{path}", json=body)
        assert answer.status_code == 400, (path, body, answer.text)
        assert message in answer.json()["message"], (path, body, answer.text)
    assert server.fake.dump_state() == before


def test_admin_state_dump_and_load(server: FakeTrunkingServer, http: requests.Session) -> None:
    state_url = f"{server.base_url}/__fake__/state"
    source = FakeTrunkingService(seed=9)
    sids = source.seed_trunks(count=4)
    source.seed_phone_number()
    loaded = http.put(state_url, json=source.dump_state())
    assert loaded.json() == {"loaded": True, "accounts": 1, "trunks": 4}
    dumped = http.get(state_url).json()
    assert dumped == source.dump_state()
    assert [t.sid for t in server.client(source.default_account_sid).trunking.v1.trunks.list()] == (
        sids
    )
    broken = source.dump_state()
    broken["accounts"][source.default_account_sid]["trunks"][0]["sid"] = "nope"
    refused = http.put(state_url, json=broken)
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("Invalid state: invalid state at accounts.AC")
    assert http.post(state_url, json={"format": "something else"}).status_code == 400
    assert http.get(state_url).json() == dumped


def test_admin_request_log_has_no_secrets(
    server: FakeTrunkingServer, http: requests.Session
) -> None:
    secret = "s3cr3t-t0ken-value"
    account = server.fake.default_account_sid
    http.post(f"{server.base_url}/v1/Trunks", data={"FriendlyName": "x"}, auth=(account, secret))
    http.get(f"{server.base_url}/v1/Trunks?PageSize=5", auth=(account, secret))
    http.get(f"{server.base_url}/v1/Trunks", headers={"Cookie": secret, "X-Api-Key": secret})
    answer = http.get(f"{server.base_url}/__fake__/requests")
    text = answer.text
    assert secret not in text
    # no Authorization header (the CORS Access-Control-Allow-Headers value names it, as Twilio's)
    assert '"authorization"' not in text.lower()
    assert base64.b64encode(f"{account}:{secret}".encode()).decode() not in text
    log = answer.json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", "/v1/Trunks", 201),
        ("GET", "/v1/Trunks", 200),
        ("GET", "/v1/Trunks", 401),
    ]
    assert log[0]["params"] == {"FriendlyName": "x"} and log[0]["account_sid"] == account
    assert log[1]["query"] == "PageSize=5" and log[2]["account_sid"] is None
    assert log[0]["response"]["friendly_name"] == "x"
    assert log[0]["request_id"].startswith("RQ")
    last = http.get(f"{server.base_url}/__fake__/requests?limit=1").json()["requests"]
    assert [r["status"] for r in last] == [401]
    assert http.get(f"{server.base_url}/__fake__/requests?limit=x").status_code == 400
    assert http.delete(f"{server.base_url}/__fake__/requests").json() == {"cleared": True}
    after = http.get(f"{server.base_url}/__fake__/requests").json()  # numbering goes on
    assert after == {"requests": [], "offset": 3, "next_offset": 3}


def test_request_log_is_bounded() -> None:
    with FakeTrunkingServer(seed=1, log_limit=3) as small, requests.Session() as http:
        http.trust_env = False
        for _ in range(5):
            http.get(f"{small.base_url}/v1/Trunks", auth=auth(small))
        assert len(small.fake.calls) == 3


def test_admin_faults(server: FakeTrunkingServer, http: requests.Session) -> None:
    faults = f"{server.base_url}/__fake__/faults"
    client = server.client()
    made = http.post(faults, json={"status": 429, "retry_after": 3, "path": "/Trunks"})
    assert made.status_code == 201
    assert made.json()["code"] == 20429 and made.json()["remaining"] == 1
    assert [f["description"] for f in http.get(faults).json()["faults"]] == [
        "429/20429 on * /Trunks"
    ]
    with pytest.raises(TwilioRestException) as limited:
        client.trunking.v1.trunks.create(friendly_name="nope")
    assert (limited.value.status, limited.value.code) == (429, 20429)
    assert http.get(faults).json() == {"faults": []}
    assert server.fake.dump_state()["accounts"] == {}
    http.post(faults, json={"status": 503, "retry_after": 3, "method": "get", "times": None})
    first = http.get(f"{server.base_url}/v1/Trunks", auth=auth(server))
    second = http.get(f"{server.base_url}/v1/Trunks", auth=auth(server))
    assert [first.status_code, second.status_code] == [503, 503]
    assert first.headers["Retry-After"] == "3"
    assert_twilio_error(first.json(), 503, 20503)
    assert http.get(faults).json()["faults"][0]["hits"] == 2
    assert http.delete(faults).json() == {"cleared": True}
    assert http.get(f"{server.base_url}/v1/Trunks", auth=auth(server)).status_code == 200
    for bad in (
        {"status": 200},
        {"exception": "NoSuchError"},
        {"exception": "ConnectionError", "status": 500},
        {"path": "("},
        {"times": 0},
        {"probability": "often"},
        {"colour": 1},
        {},
    ):
        answer = http.post(faults, json=bad)
        assert answer.status_code == 400, (bad, answer.text)
        assert_twilio_error(answer.json(), 400, 20001)
    assert server.fake.faults == []


def test_exception_fault_drops_the_connection_and_the_server_lives_on(
    server: FakeTrunkingServer,
) -> None:
    admin = AdminClient(server.base_url)
    fault = admin.inject_fault(exception="ReadTimeout", method="POST", path="/Trunks")
    assert fault["exception"] == "ReadTimeout"
    client = server.client()
    with pytest.raises(requests.exceptions.ConnectionError):
        client.trunking.v1.trunks.create(friendly_name="lost")
    assert server.fake.dump_state()["accounts"] == {}
    assert client.trunking.v1.trunks.create(friendly_name="kept").friendly_name == "kept"
    logged = admin.requests()
    assert [(r["status"], r["exception"]) for r in logged] == [(0, "ReadTimeout"), (201, None)]


def test_latency_fault_does_not_block_other_clients(server: FakeTrunkingServer) -> None:
    fault = server.fake.inject_fault(latency=1.0, method="POST", path="/Trunks")
    slow_client, fast_client = server.client(), server.client()
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(slow_client.trunking.v1.trunks.create, friendly_name="slow")
        wait_until(lambda: fault.hits == 1)  # the slow request is in the server, sleeping
        for _ in range(3):
            assert fast_client.trunking.v1.trunks.list() == []
        assert not slow.done()  # served while the slow one still waits
        assert slow.result(timeout=10).friendly_name == "slow"


def test_admin_client(server: FakeTrunkingServer) -> None:
    admin = AdminClient(server.base_url + "/")
    assert admin.info()["version"] == fake_trunking.__version__
    sids = admin.seed_trunks(count=2)
    cl = admin.seed_credential_list(friendly_name="users")
    al = admin.seed_ip_access_control_list()
    pn = admin.seed_phone_number(phone_number="+14155550123", friendly_name="main")
    state = admin.dump_state()["accounts"][server.fake.default_account_sid]
    assert [t["sid"] for t in state["trunks"]] == sids
    assert [state["registry"][k][0]["sid"] for k in ("CL", "AL", "PN")] == [cl, al, pn]
    admin.inject_fault(500, times=2)
    assert [f["remaining"] for f in admin.faults()] == [2]
    admin.clear_faults()
    assert admin.faults() == []
    with pytest.raises(TwilioError) as refused:
        admin.seed_trunks(count=-5)
    assert (refused.value.status, refused.value.code) == (400, 20001)
    snapshot = admin.dump_state()
    admin.reset()
    assert admin.dump_state()["accounts"] == {}
    admin.load_state(snapshot)
    assert admin.dump_state() == snapshot
    admin.clear_requests()
    assert admin.requests() == []


# -- robustness ------------------------------------------------------------------------------
def test_oversized_bodies_are_413_without_being_read(server: FakeTrunkingServer) -> None:
    account = server.fake.default_account_sid
    head = f"POST /v1/Trunks HTTP/1.1\r\nHost: x\r\nAuthorization: {basic(account)}\r\n"
    # a declared terabyte, never sent: answered at once, from the headers alone
    status, headers, body = parse(
        raw(server, (head + "Content-Length: 1099511627776\r\n\r\n").encode())
    )
    assert status == 413 and headers["connection"] == "close"
    assert_twilio_error(body, 413, 20001)
    assert body["message"] == "Request body too large"
    # Expect: 100-continue gets the 413 instead of the 100
    expect = head + f"Content-Length: {MAX_BODY + 1}\r\nExpect: 100-continue\r\n\r\n"
    answer = raw(server, expect.encode())
    assert answer.startswith(b"HTTP/1.1 413 ") and b"100 Continue" not in answer
    # a chunked body whose first chunk goes over the limit
    chunked = head + "Transfer-Encoding: chunked\r\n\r\n" + f"{MAX_BODY + 1:x}\r\n"
    assert parse(raw(server, chunked.encode()))[0] == 413
    # small chunks that add up to more than the limit
    piece = b"a" * 65536
    many = (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + (
        b"10000\r\n" + piece + b"\r\n"
    ) * 17
    assert parse(raw(server, many))[0] == 413
    assert server.fake.calls == []
    assert server.fake.dump_state()["accounts"] == {}


def test_oversized_body_through_requests_sees_the_413(
    server: FakeTrunkingServer, http: requests.Session
) -> None:
    big = http.post(f"{server.base_url}/v1/Trunks", data=b"a" * (2 * MAX_BODY), auth=auth(server))
    assert big.status_code == 413
    assert_twilio_error(big.json(), 413, 20001)
    # exactly 1 MiB is read and answered by the fake (400: the name is too long)
    form = b"FriendlyName=" + b"a" * (MAX_BODY - len(b"FriendlyName="))
    assert len(form) == MAX_BODY
    limit = http.post(
        f"{server.base_url}/v1/Trunks",
        data=form,
        auth=auth(server),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert limit.status_code == 400
    assert limit.json()["message"].startswith("Invalid FriendlyName")
    chunks = (b"FriendlyName=" if n == 0 else b"b" for n in range(3))
    chunked = http.post(f"{server.base_url}/v1/Trunks", data=chunks, auth=auth(server))
    assert chunked.status_code == 201 and chunked.json()["friendly_name"] == "bb"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /v1/Trunks HTTP/1.1 extra\r\n\r\n", 400),
        (b"GET /v1/Trunks HTTP/x.y\r\n\r\n", 400),
        (b"GET /v1/Trunks HTTP/2.0\r\n\r\n", 505),
        (b"GET /v1/Trunks\r\n\r\n", 400),  # HTTP/0.9
        (b"BREW /v1/Trunks\r\n\r\n", 400),
        (b"GET " + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nX-Long: " + b"b" * 70000 + b"\r\n\r\n", 431),
        (b"POST /v1/Trunks HTTP/1.1\r\nContent-Length: ten\r\n\r\n", 400),
        (b"POST /v1/Trunks HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST /v1/Trunks HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        (
            b"POST /v1/Trunks HTTP/1.1\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        (b"POST /v1/Trunks HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"POST /v1/Trunks HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"POST /v1/Trunks HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY", 400),
        (b"GET nowhere HTTP/1.1\r\n\r\n", 400),
    ],
)
def test_malformed_http_gets_a_clean_twilio_error(
    server: FakeTrunkingServer, request_bytes: bytes, status: int
) -> None:
    answer = raw(server, request_bytes)
    got, headers, body = parse(answer)
    assert got == status, answer[:200]
    assert headers["content-type"] == "application/json"
    assert body["status"] == status and body["code"] == 20001
    assert b"<html" not in answer.lower()
    assert server.fake.calls == []


def test_odd_but_wellformed_requests_reach_the_fake(
    server: FakeTrunkingServer, http: requests.Session
) -> None:
    account = server.fake.default_account_sid
    odd = raw(
        server,
        b"GET /v1/Trunks/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + f"Authorization: {basic(account)}\r\n\r\n".encode(),
    )
    assert parse(odd)[0] == 404
    absolute = raw(
        server,
        b"GET http://elsewhere.test/v1/Trunks HTTP/1.1\r\nHost: x:1\r\nConnection: close\r\n"
        + f"Authorization: {basic(account)}\r\n\r\n".encode(),
    )
    status, _, body = parse(absolute)
    assert status == 200 and body["meta"]["url"].startswith("http://x:1/v1/Trunks?")
    assert (
        http.request("PATCH", f"{server.base_url}/v1/Trunks", auth=auth(server)).status_code == 405
    )
    head = http.head(f"{server.base_url}/v1/Trunks", auth=auth(server))
    assert head.status_code == 405 and head.content == b""


def test_slow_and_idle_clients_do_not_block_others() -> None:
    with FakeTrunkingServer(seed=3, timeout=1.5) as server, requests.Session() as http:
        http.trust_env = False
        idle = socket.create_connection(("127.0.0.1", server.port))
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.sendall(b"POST /v1/Trunks HTTP/1.1\r\nContent-Length: 100\r\n\r\nFriendly")
        for _ in range(5):
            assert http.get(f"{server.base_url}/v1/Trunks", auth=auth(server)).ok
        for sock in (idle, slow):  # still open: the requests above did not wait for them
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(100)
        idle.settimeout(5)  # then the idle one is closed by the timeout, nothing answered
        assert idle.recv(100) == b""
        idle.close()
        slow.settimeout(5)  # and the slow request, past its deadline, is a 408 Twilio body
        status, headers, body = parse(slow.makefile("rb").read())
        slow.close()
        assert status == 408 and headers["connection"] == "close"
        assert_twilio_error(body, 408, 20001)
        assert len(server.fake.calls) == 5


def test_connection_cap_answers_503_and_recovers() -> None:
    with FakeTrunkingServer(seed=3, max_connections=2, timeout=5) as server:
        # two connections being answered (a latency fault holds them): nothing to evict
        server.fake.inject_fault(latency=1.0, times=2)
        account = server.fake.default_account_sid
        slow = f"GET /v1/Trunks HTTP/1.1\r\nConnection: close\r\nAuthorization: {basic(account)}"
        with ThreadPoolExecutor(2) as pool:
            held = [pool.submit(raw, server, (slow + "\r\n\r\n").encode()) for _ in range(2)]
            httpd = server.httpd
            assert httpd is not None
            wait_until(lambda: httpd.connections == 2 and httpd._inflight == 2)
            status, headers, body = parse(raw(server, b"GET /v1/Trunks HTTP/1.1\r\n\r\n"))
            assert status == 503 and headers["connection"] == "close"
            assert_twilio_error(body, 503, 20503)
            assert [parse(f.result(timeout=10))[0] for f in held] == [200, 200]
        wait_until(lambda: httpd.connections == 0)
        request = f"GET / HTTP/1.1\r\nConnection: close\r\nAuthorization: {basic(account)}\r\n\r\n"
        assert parse(raw(server, request.encode()))[0] == 404  # served by the fake again


def test_many_concurrent_clients(server: FakeTrunkingServer) -> None:
    accounts = [f"AC{n:032x}" for n in range(1, 5)]
    clients = {a: server.client(a) for a in accounts}

    def work(n: int) -> str:
        account = accounts[n % len(accounts)]
        trunks = clients[account].trunking.v1.trunks
        sid: str = trunks.create(friendly_name=f"t{n}").sid
        assert trunks(sid).fetch().friendly_name == f"t{n}"
        return sid

    with ThreadPoolExecutor(32) as pool:
        sids = list(pool.map(work, range(200)))
    assert len(set(sids)) == 200
    for account in accounts:
        listed = [t.friendly_name for t in clients[account].trunking.v1.trunks.list(page_size=20)]
        assert sorted(listed) == sorted(f"t{n}" for n in range(200) if accounts[n % 4] == account)
    assert {c.status for c in server.fake.calls} == {200, 201}


# -- FakeTrunkingServer and its state file ---------------------------------------------------
def test_server_object_lifecycle_and_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = FakeTrunkingServer(seed=5, state_file=path)
    with pytest.raises(RuntimeError):
        _ = first.base_url
    with first:
        assert first.running and first.base_url == f"http://127.0.0.1:{first.port}"
        sid = first.client().trunking.v1.trunks.create(friendly_name="kept").sid
        account = first.fake.default_account_sid
    assert not first.running and path.exists()
    with FakeTrunkingServer(seed=5, state_file=path) as second:
        assert second.client(account).trunking.v1.trunks(sid).fetch().friendly_name == "kept"
    with pytest.raises(TypeError):
        FakeTrunkingServer(FakeTrunkingService(), seed=1)


def test_state_sync_saves_after_each_write(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with FakeTrunkingServer(seed=5, state_file=path, state_sync=True) as server:
        assert not path.exists()
        server.client().trunking.v1.trunks.list()  # a read saves nothing
        assert not path.exists()
        sid = server.client().trunking.v1.trunks.create(friendly_name="synced").sid
        saved = json.loads(path.read_text())
        assert [t["sid"] for t in saved["accounts"][server.fake.default_account_sid]["trunks"]] == [
            sid
        ]
        AdminClient(server.base_url).seed_credential_list()
        saved = json.loads(path.read_text())
        assert len(saved["accounts"][server.fake.default_account_sid]["registry"]["CL"]) == 1
        assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp files left


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"\xff\xfe\x00",
        b"[]",
        b'{"format": "fake-trunking-state", "version": 99, "accounts": {}}',
        b'{"format": "fake-trunking-state", "version": 1, "accounts": {"ACnope": {}}}',
        b"[" * 100_000,
        b'{"format": "fake-trunking-state", "version": 1, "accounts": {}, "x": NaN}',
    ],
)
def test_corrupt_state_files_are_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    server = FakeTrunkingServer(state_file=path)
    with pytest.raises(StateFileError) as refused:
        server.start()
    message = str(refused.value)
    assert "\n" not in message and str(path) in message
    assert not server.running
    assert path.read_bytes() == content


def test_unreadable_state_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="cannot read state file"):
        StateFile(tmp_path).load_into(FakeTrunkingService())
    fake = FakeTrunkingService()
    with pytest.raises(StateFileError, match="cannot write state file"):
        StateFile(tmp_path / "missing-dir" / "state.json").save(fake)


def test_client_for_validates_its_arguments(server: FakeTrunkingServer) -> None:
    with pytest.raises(ValueError):
        client_for("ftp://127.0.0.1:1", "AC" + "0" * 32, "t")
    with pytest.raises(ValueError):
        client_for(server.base_url + "/v1", "AC" + "0" * 32, "t")
    with pytest.raises(ValueError):
        client_for(server.base_url, "AC" + "0" * 32, "t", edge="sydney")
    with pytest.raises(TypeError):
        client_for(server.base_url, "AC" + "0" * 32, "t", http_client=object())
    http = client_for(server.base_url, "AC" + "0" * 32, "t").http_client
    assert http.rewrite("https://trunking.twilio.com/v1/Trunks?x=1") == (
        f"{server.base_url}/v1/Trunks?x=1"
    )
    assert http.rewrite("https://trunking.sydney.au1.twilio.com/v1/Trunks") == (
        f"{server.base_url}/v1/Trunks"
    )
    assert http.rewrite("https://api.twilio.com/2010-04-01/Accounts.json") == (
        f"{server.base_url}/2010-04-01/Accounts.json"
    )
    assert http.rewrite("https://messaging.twilio.com/v1/Services") == (
        "https://messaging.twilio.com/v1/Services"
    )


def test_client_for_ignores_environment_proxies(
    server: FakeTrunkingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert server.client().trunking.v1.trunks.list() == []
    assert AdminClient(server.base_url).faults() == []


def test_stop_drains_requests_in_flight(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    server = FakeTrunkingServer(seed=2, state_file=path).start()
    fault = server.fake.inject_fault(latency=0.5, method="POST")
    client = server.client()
    result: Dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: result.update(sid=client.trunking.v1.trunks.create(friendly_name="late").sid)
    )
    worker.start()
    wait_until(lambda: fault.hits == 1)  # in flight: inside the server, sleeping
    server.stop()
    worker.join(5)
    saved = json.loads(path.read_text())["accounts"][server.fake.default_account_sid]["trunks"]
    assert [t["sid"] for t in saved] == [result["sid"]]


def test_stop_closes_idle_connections_and_refuses_new_ones() -> None:
    server = FakeTrunkingServer(seed=2, timeout=30).start()
    port = server.port
    idle = socket.create_connection(("127.0.0.1", port))
    httpd = server.httpd
    assert httpd is not None
    wait_until(lambda: httpd.connections == 1)
    server.stop()
    idle.settimeout(5)  # far below the 30 s socket timeout: closed by stop(), not by the timeout
    assert idle.recv(100) == b""
    idle.close()
    assert not server.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
