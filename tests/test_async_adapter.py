"""The aiohttp adapter itself (issue 9): what it intercepts, what it lets through or refuses, how
it nests with aioresponses and with other fakes, faults seen by async callers, cassettes (save,
replay, record) through the async client, and that nothing needs aiohttp unless it is used."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import aiohttp
import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestServer
from aioresponses import aioresponses
from twilio.base.exceptions import TwilioRestException

from fake_trunking import FakeTrunkingService
from fake_trunking.clients.lazy_async import LazyAsyncTwilioHttpClient
from fake_trunking.intercept import aio as _async_adapter
from fake_trunking.intercept import aiohttp_mock as _aiohttp_mock

from .helpers import Clock, basic

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
]

BASE = "https://trunking.twilio.com"
FORM = "application/x-www-form-urlencoded"
# aioresponses 0.7.x cannot build responses on aiohttp >= 3.14 by itself (pnuckowski/aioresponses
# #289); the user's own mocks in these tests borrow the adapter's compatible response class
COMPAT = {"response_class": _aiohttp_mock._RESPONSE_CLASS}


@pytest.fixture
def aclient(fake: FakeTrunkingService) -> Iterator[Any]:
    client = fake.async_client()
    yield client
    client.http_client.close_sync()


def headers_for(fake: FakeTrunkingService) -> dict[str, str]:
    sid = fake.default_account_sid
    return {"Authorization": basic(sid, fake.auth_token(sid))}


# -- what is intercepted ---------------------------------------------------------------------


async def test_plain_aiohttp_requests_are_served(fake: FakeTrunkingService) -> None:
    async with aiohttp.ClientSession(base_url=BASE, headers=headers_for(fake)) as session:
        async with session.post("/v1/Trunks", data={"FriendlyName": "a b&c"}) as response:
            assert response.status == 201
            assert response.headers["Content-Type"] == "application/json"
            created = await response.json()
        assert created["friendly_name"] == "a b&c"
        assert fake.calls[-1].request.body == b"FriendlyName=a+b%26c"
        assert fake.calls[-1].request.headers["content-type"] == FORM

        async with session.get("/v1/Trunks", params={"PageSize": 1}) as response:
            page = await response.json()
        assert page["meta"]["page_size"] == 1
        assert fake.calls[-1].url == f"{BASE}/v1/Trunks?PageSize=1"

        raw = await session.post(
            "/v1/Trunks", data=b"FriendlyName=bytes", headers={"Content-Type": FORM}
        )
        assert (await raw.json())["friendly_name"] == "bytes"
        as_json = await session.post("/v1/Trunks", json={"FriendlyName": "ignored"})
        assert as_json.status == 201 and (await as_json.json())["friendly_name"] is None

        with pytest.raises(aiohttp.ClientResponseError) as info:
            await session.get("/v1/Trunks/TK" + "0" * 32, raise_for_status=True)
        assert info.value.status == 404

        deleted = await session.delete(f"/v1/Trunks/{created['sid']}")
        assert deleted.status == 204 and await deleted.read() == b""
        assert "Content-Type" not in deleted.headers

    async with aiohttp.ClientSession() as anonymous:
        response = await anonymous.get(f"{BASE}/v1/Trunks")
        assert (response.status, (await response.json())["code"]) == (401, 20003)
        sid, token = fake.default_account_sid, fake.auth_token()
        in_url = await anonymous.get(f"https://{sid}:{token}@trunking.twilio.com/v1/Trunks")
        assert in_url.status == 200


async def test_edge_and_region_hosts(fake: FakeTrunkingService) -> None:
    client = fake.async_client(edge="sydney", region="au1")
    try:
        trunk = await client.trunking.v1.trunks.create_async()
    finally:
        await client.http_client.close()
    assert trunk.url.startswith("https://trunking.sydney.au1.twilio.com/v1/Trunks/TK")
    assert fake.calls[-1].request.base_url == "https://trunking.sydney.au1.twilio.com"


async def test_other_hosts_are_refused_not_sent(fake: FakeTrunkingService) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError, match=r"example\.com/anything"):
            await session.get("https://api.example.com/anything")
        with pytest.raises(aiohttp.ClientConnectionError, match="refused"):
            await session.post("https://trunking.twilio.com.evil.example/v1/Trunks")
    assert fake.calls == []


async def test_loopback_goes_through(fake: FakeTrunkingService) -> None:
    async def ping(request: web.Request) -> web.Response:
        return web.Response(text="pong")

    app = web.Application()
    app.router.add_get("/ping", ping)
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        response = await session.get(server.make_url("/ping"))
        assert await response.text() == "pong"
    assert fake.calls == []


async def test_concurrent_requests_are_served_in_call_order() -> None:
    with FakeTrunkingService(seed=5) as sync_fake:
        expected = [sync_fake.client().trunking.v1.trunks.create().sid for _ in range(20)]
    with FakeTrunkingService(seed=5) as fake:
        client = fake.async_client()
        try:
            made = await asyncio.gather(
                *(client.trunking.v1.trunks.create_async() for _ in range(20))
            )
        finally:
            await client.http_client.close()
    assert [t.sid for t in made] == expected  # seeded SIDs stay reproducible under gather


# -- nesting and restoring -------------------------------------------------------------------


async def test_an_outer_aioresponses_keeps_the_other_hosts() -> None:
    with aioresponses() as outer:
        outer.get("https://api.example.com/x", payload={"ok": True}, **COMPAT)
        with FakeTrunkingService(seed=1) as fake:
            client = fake.async_client()
            try:
                trunk = await client.trunking.v1.trunks.create_async(friendly_name="mine")
            finally:
                await client.http_client.close()
            async with aiohttp.ClientSession() as session:
                async with session.get("https://api.example.com/x") as response:
                    assert await response.json() == {"ok": True}
                with pytest.raises(aiohttp.ClientConnectionError):  # outer's own refusal
                    await session.get("https://api.example.com/not-mocked")
        assert [c.path for c in fake.calls] == ["/v1/Trunks"]
        assert trunk.friendly_name == "mine"


async def test_an_inner_aioresponses_hands_unmocked_trunking_urls_to_the_fake(
    fake: FakeTrunkingService, aclient: Any
) -> None:
    real = fake.seed_trunks(friendly_name="real")[0]
    mocked = "TK" + "f" * 32
    body = {"sid": mocked, "friendly_name": "mocked by the user"}
    with aioresponses() as inner:
        inner.get(re.compile(rf"{re.escape(BASE)}/v1/Trunks/{mocked}$"), payload=body, **COMPAT)
        trunks = aclient.trunking.v1.trunks
        assert (await trunks(mocked).fetch_async()).friendly_name == "mocked by the user"
        assert (await trunks(real).fetch_async()).friendly_name == "real"
        assert [t.sid for t in await trunks.list_async()] == [real]
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get("https://api.example.com/")
    assert [c.path for c in fake.calls] == [f"/v1/Trunks/{real}", "/v1/Trunks"]
    assert (await aclient.trunking.v1.trunks(real).fetch_async()).friendly_name == "real"


async def test_nested_fakes_the_innermost_answers() -> None:
    with FakeTrunkingService(seed=1) as outer:
        client = outer.async_client()
        try:
            with FakeTrunkingService(seed=2) as inner:
                await client.trunking.v1.trunks.create_async(friendly_name="inner")
            await client.trunking.v1.trunks.create_async(friendly_name="outer")
        finally:
            await client.http_client.close()
    assert [c.body["friendly_name"] for c in inner.calls] == ["inner"]
    assert [c.body["friendly_name"] for c in outer.calls] == ["outer"]


async def test_stop_restores_aiohttp_and_aioresponses() -> None:
    request, match = aiohttp.ClientSession._request, aioresponses.match
    fake = FakeTrunkingService().start()
    assert aiohttp.ClientSession._request is not request
    assert aioresponses.match is not match
    fake.stop()
    assert aiohttp.ClientSession._request is request
    assert aioresponses.match is match
    fake.stop()  # idempotent
    assert aiohttp.ClientSession._request is request


async def test_without_aioresponses_trunking_requests_are_refused_not_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_async_adapter, "_support", _async_adapter.GUARD)
    request = aiohttp.ClientSession._request
    with FakeTrunkingService() as fake:
        client = fake.async_client()
        try:
            with pytest.raises(aiohttp.ClientConnectionError, match=r"fake-trunking\[async\]"):
                await client.trunking.v1.trunks.list_async()
        finally:
            await client.http_client.close()
        assert fake.calls == []
        assert fake.client().trunking.v1.trunks.list() == []  # the sync client is unaffected
    assert aiohttp.ClientSession._request is request


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


async def test_import_fake_trunking_does_not_import_aiohttp() -> None:
    code = (
        "import sys, fake_trunking\n"
        "print(sorted(m for m in ('aiohttp', 'aioresponses', 'aiohttp_retry') if m in sys.modules))"
    )
    assert _python(code) == "[]"


async def test_everything_else_works_without_aiohttp() -> None:
    code = """
import sys
for name in ("aiohttp", "aioresponses", "aiohttp_retry"):
    sys.modules[name] = None  # as if not installed
from fake_trunking import FakeTrunkingService
from fake_trunking.intercept import aio as _async_adapter
with FakeTrunkingService(seed=1) as fake:
    trunks = fake.client().trunking.v1.trunks
    sid = trunks.create(friendly_name="sync only").sid
    assert trunks(sid).fetch().friendly_name == "sync only"
try:
    fake.async_client()
except ImportError as exc:
    assert "fake-trunking[async]" in str(exc), exc
else:
    raise AssertionError("async_client() without aiohttp")
print(_async_adapter.support())
"""
    assert _python(code) == _async_adapter.NONE


# -- faults through the async client ---------------------------------------------------------


async def test_status_fault(fake: FakeTrunkingService, aclient: Any) -> None:
    trunks = aclient.trunking.v1.trunks
    fake.inject_fault(429, retry_after=3, method="POST", path="/Trunks")
    with pytest.raises(TwilioRestException) as info:
        await trunks.create_async(friendly_name="x")
    assert (info.value.status, info.value.code) == (429, 20429)
    assert fake.calls[-1].fault is not None
    assert fake.calls[-1].response.headers["Retry-After"] == "3"
    assert await trunks.list_async() == []  # the faulted call changed nothing
    assert (await trunks.create_async(friendly_name="x")).friendly_name == "x"  # times=1


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (requests.exceptions.ConnectionError, aiohttp.ClientConnectionError),
        (requests.exceptions.ReadTimeout, asyncio.TimeoutError),
        (requests.exceptions.ConnectTimeout, aiohttp.ServerTimeoutError),
        (requests.exceptions.ChunkedEncodingError, aiohttp.ClientPayloadError),
        (requests.exceptions.TooManyRedirects, aiohttp.ClientError),
    ],
)
async def test_exception_faults_are_aiohttp_exceptions(
    fake: FakeTrunkingService, aclient: Any, raised: type, expected: type
) -> None:
    trunks = aclient.trunking.v1.trunks
    fake.inject_fault(exception=raised, path="/Trunks")
    with pytest.raises(expected) as info:
        await trunks.create_async(friendly_name="never")
    assert isinstance(info.value, aiohttp.ClientError)
    assert isinstance(info.value.__cause__, raised)
    assert "fake_trunking fault" in str(info.value)
    assert isinstance(fake.calls[-1].exception, raised)
    assert await trunks.list_async() == []


async def test_other_exceptions_pass_unchanged(fake: FakeTrunkingService, aclient: Any) -> None:
    fake.inject_fault(exception=KeyError("boom"))
    with pytest.raises(KeyError):
        await aclient.trunking.v1.trunks.list_async()


async def test_retries_with_max_retries(fake: FakeTrunkingService) -> None:
    client = fake.client(http_client=LazyAsyncTwilioHttpClient(max_retries=2))
    fake.inject_fault(503, times=1)
    try:
        trunk = await client.trunking.v1.trunks.create_async(friendly_name="retried")
    finally:
        await client.http_client.close()
    assert trunk.friendly_name == "retried"
    assert [c.status for c in fake.calls] == [503, 201]


async def test_a_latency_fault_does_not_block_the_event_loop(
    fake: FakeTrunkingService, aclient: Any
) -> None:
    fake.inject_fault(latency=0.2)
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    trunk = await aclient.trunking.v1.trunks.create_async(friendly_name="slow")
    done.set()
    await task
    assert trunk.friendly_name == "slow"
    assert ticks >= 3  # the loop kept running while the fake slept (inline it would be 0 or 1)
    assert fake.calls[-1].fault is not None and fake.calls[-1].status == 201


# -- cassettes: save, replay, record ---------------------------------------------------------


async def _walkthrough(client: Any) -> list[Any]:
    trunks = client.trunking.v1.trunks
    trunk = await trunks.create_async(friendly_name="cassette", secure=True)
    await trunks(trunk.sid).origination_urls.create_async(
        weight=1, priority=2, enabled=True, friendly_name="ou", sip_url="sip:a@example.com"
    )
    renamed = await trunks(trunk.sid).update_async(friendly_name="renamed")
    listed = await trunks.list_async(page_size=1)
    ous = await trunks(trunk.sid).origination_urls.list_async()
    missing: Any = None
    try:
        await trunks("TK" + "0" * 32).fetch_async()
    except TwilioRestException as exc:
        missing = (exc.status, exc.code)
    return [trunk.sid, renamed.friendly_name, [t.sid for t in listed], len(ous), missing]


async def test_save_cassette_then_replay_through_the_async_client(tmp_path: Path) -> None:
    from fake_trunking.cassettes import UnmatchedRequest, open_backend

    path = tmp_path / "walk.yaml"
    with FakeTrunkingService(seed=3, clock=Clock()) as fake:
        client = fake.async_client()
        try:
            original = await _walkthrough(client)
        finally:
            await client.http_client.close()
        fake.save_cassette(path)
    # no Authorization header (the CORS Access-Control-Allow-Headers value names it, as Twilio's)
    assert "authorization:" not in path.read_text().lower()

    with open_backend("replay", path) as backend:
        client = backend.client(http_client=LazyAsyncTwilioHttpClient())
        try:
            replayed = await _walkthrough(client)
            with pytest.raises(UnmatchedRequest, match=r"walk\.yaml"):
                await client.trunking.v1.trunks.create_async(friendly_name="not recorded")
        finally:
            await client.http_client.close()
    assert replayed == original
    # the cassette the async client made replays through the sync client too
    with open_backend("replay", path) as backend:
        trunks = backend.client().trunking.v1.trunks
        trunk = trunks.create(secure=True, friendly_name="cassette")
        assert trunk.sid == original[0]


async def test_record_through_the_async_client_then_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record mode: vcrpy records aiohttp traffic to a simulated Twilio (a loopback server)."""
    from fake_trunking import FakeTrunkingServer
    from fake_trunking.cassettes import open_backend

    path = tmp_path / "recorded.yaml"
    with FakeTrunkingServer(seed=4, clock=Clock()) as server:
        sid = server.fake.default_account_sid
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", sid)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", server.fake.auth_token(sid))
        monkeypatch.setenv("FAKE_TRUNKING_RECORD_ACCOUNTS", sid)
        monkeypatch.setenv("FAKE_TRUNKING_BASE_URL", server.base_url)
        with open_backend("record", path) as backend:
            client = backend.client(http_client=LazyAsyncTwilioHttpClient())
            try:
                recorded = await _walkthrough(client)
                async with aiohttp.ClientSession() as session:  # other hosts stay blocked
                    with pytest.raises(aiohttp.ClientConnectionError, match="refused"):
                        await session.get("https://api.example.com/")
            finally:
                await client.http_client.close()
        served = len(server.fake.calls)
    text = path.read_text()
    assert "source: live" in text and text.count("method: POST") == 3
    assert server.fake.auth_token(sid) not in text

    monkeypatch.delenv("FAKE_TRUNKING_BASE_URL")
    with open_backend("replay", path) as backend:
        client = backend.client(http_client=LazyAsyncTwilioHttpClient())
        try:  # on the real host now: replay matches method, path, query and form, not the host
            replayed = await _walkthrough(client)
        finally:
            await client.http_client.close()
    assert replayed[1:] == recorded[1:]
    assert served == 6
