"""The direct transport (issue 17): twilio's own HTTP clients answered before any HTTP.

Everything a user can observe is the same on both transports (``transport="direct"`` and
``transport="http"``): the client's ``last_request``/``last_response``, its log lines,
``TwilioRestException``, ``fake.calls``, faults (status, latency, ``Retry-After``) and cassettes.
And each case where the HTTP layer itself is under test really takes the full path (a spy on
``requests.Session.send`` / ``aiohttp.ClientSession._request`` sees it).
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List
from unittest import mock

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from fake_trunking import FakeTrunkingService
from fake_trunking.intercept import twilio_client

TRANSPORTS = ("direct", "http")


@pytest.fixture(autouse=True)
def _default_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests choose their transport themselves, whatever the run forces."""
    monkeypatch.delenv(twilio_client.TRANSPORT_ENV, raising=False)


@pytest.fixture
def sends() -> Iterator[List[str]]:
    """Every request ``requests`` prepares (the full path), by URL. (Not a spy on
    ``Session.send``: a patched ``send`` is another mock, so it takes the full path itself.)"""
    seen: List[str] = []
    original = requests.Session.prepare_request

    def spy(session: Any, request: Any) -> Any:
        seen.append(str(request.url))
        return original(session, request)

    with mock.patch.object(requests.Session, "prepare_request", spy):
        yield seen


@pytest.fixture
def async_sends() -> Iterator[List[str]]:
    """Every aiohttp request our aiohttp interception answers (the async full path)."""
    from fake_trunking.intercept import aiohttp_mock

    seen: List[str] = []
    original = aiohttp_mock.respond

    async def spy(target: Any, request: Any, url: Any, kwargs: Any) -> Any:
        seen.append(str(url))
        return await original(target, request, url, kwargs)

    with mock.patch.object(aiohttp_mock, "respond", spy):
        yield seen


FIXED = __import__("datetime").datetime(
    2026, 1, 2, 3, 4, 5, tzinfo=__import__("datetime").timezone.utc
)


def _clock() -> Any:
    return FIXED


def _observe(transport: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Dict[str, Any]:
    """One scenario through a user-built ``Client``; everything a user can see of it."""
    out: Dict[str, Any] = {}
    caplog.clear()
    with (
        caplog.at_level(logging.INFO, logger="twilio.http_client"),
        FakeTrunkingService(seed=7, transport=transport, clock=_clock) as fake,
    ):
        client = Client(fake.default_account_sid, fake.auth_token())
        trunks = client.trunking.v1.trunks
        http = client.http_client
        trunk = trunks.create(friendly_name="a b~ü", secure=True, domain_name="x.pstn.twilio.com")
        out["created"] = (
            http._test_only_last_request.__dict__,
            http._test_only_last_response.status_code,
            http._test_only_last_response.text,
            dict(http._test_only_last_response.headers),
            type(http._test_only_last_response.headers),
        )
        trunks(trunk.sid).fetch()
        trunks(trunk.sid).update(friendly_name="renamed", cnam_lookup_enabled=True)
        trunks(trunk.sid).origination_urls.create(
            weight=1, priority=1, enabled=True, friendly_name="o", sip_url="sip:a@b.com"
        )
        out["listed"] = [t.sid for t in trunks.list(page_size=1, limit=3)]
        # a query that is not plain (``%``, spaces, non-ASCII): requoted as ``requests`` does
        numbers = client.incoming_phone_numbers
        out["filtered"] = [n.sid for n in numbers.list(friendly_name="a b%20ü~'*", limit=1)]
        fake.inject_fault(429, retry_after=3, method="GET")
        with pytest.raises(TwilioRestException) as raised:
            trunks(trunk.sid).fetch()
        out["fault"] = (
            raised.value.__dict__,
            dict(http._test_only_last_response.headers),
            http._test_only_last_response.text,
        )
        fake.inject_fault(latency=0.05)
        trunks(trunk.sid).fetch()
        with pytest.raises(TwilioRestException) as raised:
            trunks("TK" + "0" * 32).fetch()
        out["404"] = raised.value.__dict__
        trunks(trunk.sid).delete()
        out["deleted"] = (
            http._test_only_last_response.status_code,
            http._test_only_last_response.text,
        )
        out["calls"] = [
            (
                c.request,
                list(c.request.headers.items()),
                c.response,
                c.fault is not None,
                c.duration >= 0.05,
            )
            for c in fake.calls
        ]
        path = fake.save_cassette(tmp_path / f"{transport}.yaml")
        out["cassette"] = re.sub(r"recorded_at: .*", "", path.read_text(encoding="utf-8"))
    out["log"] = [r.getMessage() for r in caplog.records if r.name == "twilio.http_client"]
    return out


def test_observables_are_identical_on_both_transports(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, sends: List[str]
) -> None:
    direct = _observe("direct", tmp_path, caplog)
    assert sends == []  # the direct run sent nothing through requests
    http = _observe("http", tmp_path, caplog)
    assert len(sends) == len(http["calls"])  # the http run sent everything through it
    for key in direct:
        assert direct[key] == http[key], key
    assert direct["log"] and "-- BEGIN Twilio API Request --" in direct["log"]
    assert direct["fault"][1]["Retry-After"] == "3"
    assert [latency for *_, latency in direct["calls"]].count(True) >= 1


def _async_observe(transport: str) -> Dict[str, Any]:
    async def scenario() -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        with FakeTrunkingService(seed=7, transport=transport, clock=_clock) as fake:
            client = fake.async_client()
            trunks = client.trunking.v1.trunks
            http = client.http_client
            trunk = await trunks.create_async(friendly_name="a b")
            out["created"] = (
                http._test_only_last_request.__dict__ | {"auth": None},
                http._test_only_last_response.status_code,
                http._test_only_last_response.text,
                list(http._test_only_last_response.headers.items()),
                type(http._test_only_last_response.headers),
            )
            out["listed"] = [t.sid for t in await trunks.list_async(page_size=1, limit=2)]
            fake.inject_fault(503, retry_after=2)
            with pytest.raises(TwilioRestException) as raised:
                await trunks(trunk.sid).fetch_async()
            out["fault"] = (
                raised.value.__dict__,
                list(http._test_only_last_response.headers.items()),
            )
            fake.inject_fault(exception=requests.exceptions.ConnectionError)
            with pytest.raises(Exception) as failed:
                await trunks(trunk.sid).fetch_async()
            out["exception"] = (type(failed.value), str(failed.value))
            await trunks(trunk.sid).delete_async()
            out["deleted"] = (
                http._test_only_last_response.status_code,
                http._test_only_last_response.text,
            )
            out["calls"] = [
                (c.request, list(c.request.headers.items()), c.response) for c in fake.calls
            ]
            await http.close()
        return out

    return asyncio.run(scenario())


def test_async_observables_are_identical_on_both_transports(async_sends: List[str]) -> None:
    direct = _async_observe("direct")
    assert async_sends == []
    http = _async_observe("http")
    assert len(async_sends) == len(http["calls"])  # every call, the exception fault's too
    assert direct == http


# -- the full path, case by case -------------------------------------------------------------
def _fetch_through(client: Client, fake: FakeTrunkingService) -> None:
    (sid,) = fake.seed_trunks(count=1)
    assert client.trunking.v1.trunks(sid).fetch().sid == sid


def test_fake_client_and_user_client_are_direct(sends: List[str]) -> None:
    with FakeTrunkingService() as fake:
        _fetch_through(fake.client(), fake)
        _fetch_through(Client(fake.default_account_sid, "any"), fake)
        _fetch_through(
            Client(
                fake.default_account_sid, "t", http_client=TwilioHttpClient(pool_connections=False)
            ),
            fake,
        )
    assert sends == []
    assert len(fake.calls) == 3


class OwnHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """A user's own http_client class."""


def _retry_adapter_client() -> TwilioHttpClient:
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    http = TwilioHttpClient()
    http.session.mount("https://", HTTPAdapter(max_retries=Retry(total=2, status_forcelist=[500])))
    return http


def _extra_adapter_client() -> TwilioHttpClient:
    from requests.adapters import HTTPAdapter

    http = TwilioHttpClient()
    http.session.mount("https://trunking.twilio.com", HTTPAdapter())
    return http


@pytest.mark.parametrize(
    "make_http",
    [
        pytest.param(OwnHttpClient, id="own-http-client-class"),
        pytest.param(lambda: TwilioHttpClient(max_retries=3), id="max_retries"),
        pytest.param(_retry_adapter_client, id="urllib3-Retry-mounted"),
        pytest.param(_extra_adapter_client, id="extra-adapter-mounted"),
        pytest.param(
            lambda: TwilioHttpClient(proxy={"https": "http://proxy.invalid:3128"}), id="proxy"
        ),
        pytest.param(
            lambda: TwilioHttpClient(request_hooks={"response": [lambda r, **k: r]}),
            id="request-hooks",
        ),
    ],
)
def test_the_http_layer_under_test_takes_the_full_path(make_http: Any, sends: List[str]) -> None:
    with FakeTrunkingService() as fake:
        _fetch_through(Client(fake.default_account_sid, "t", http_client=make_http()), fake)
    assert len(sends) == 1 and "/Trunks/TK" in sends[0]


def test_transport_http_forces_the_full_path(sends: List[str]) -> None:
    with FakeTrunkingService(transport="http") as fake:
        _fetch_through(fake.client(), fake)
    assert len(sends) == 1


def test_the_environment_variable_is_the_default(
    monkeypatch: pytest.MonkeyPatch, sends: List[str]
) -> None:
    monkeypatch.setenv(twilio_client.TRANSPORT_ENV, "http")
    with FakeTrunkingService() as fake:
        assert fake.transport == "http"
        _fetch_through(fake.client(), fake)
    assert len(sends) == 1
    assert FakeTrunkingService(transport="direct").transport == "direct"  # the keyword wins
    monkeypatch.setenv(twilio_client.TRANSPORT_ENV, "sideways")
    with pytest.raises(ValueError, match="FAKE_TRUNKING_TRANSPORT='sideways'"):
        FakeTrunkingService()


def test_a_bad_transport_keyword_is_named() -> None:
    from fake_trunking.options import KeywordError

    with pytest.raises(KeywordError, match="transport"):
        FakeTrunkingService(transport="carrier-pigeon")


def test_exception_faults_take_the_full_path_with_urllib3_retries(sends: List[str]) -> None:
    with FakeTrunkingService() as fake:
        (sid,) = fake.seed_trunks(count=1)
        fake.inject_fault(exception=requests.exceptions.ConnectionError, times=2)
        client = Client(fake.default_account_sid, "t", http_client=TwilioHttpClient(max_retries=2))
        assert client.trunking.v1.trunks(sid).fetch().sid == sid  # two retried, third answered
        assert len(sends) == 1
        fake.inject_fault(exception=requests.exceptions.ReadTimeout)
        plain = fake.client()
        with pytest.raises(requests.exceptions.ReadTimeout) as raised:
            plain.trunking.v1.trunks(sid).fetch()
        assert isinstance(raised.value.request, requests.PreparedRequest)
        assert len(sends) == 2
        plain.trunking.v1.trunks(sid).fetch()  # the fault is spent: direct again
        assert len(sends) == 2


def test_a_users_responses_mock_keeps_winning(sends: List[str]) -> None:
    import responses

    with FakeTrunkingService() as fake:
        (sid,) = fake.seed_trunks(count=1)
        client = fake.client()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as theirs:
            theirs.get(
                f"https://trunking.twilio.com/v1/Trunks/{sid}",
                json={"sid": sid, "friendly_name": "theirs"},
            )
            assert client.trunking.v1.trunks(sid).fetch().friendly_name == "theirs"
            assert len(client.trunking.v1.trunks.list()) == 1  # unmatched: handed to the fake
        assert len(sends) == 2
    # theirs started first, ours inside it: the full path too
    with responses.RequestsMock(assert_all_requests_are_fired=False), FakeTrunkingService() as fake:
        _fetch_through(fake.client(), fake)
    assert len(sends) == 3


def test_a_users_requests_mock_keeps_winning(sends: List[str]) -> None:
    requests_mock = pytest.importorskip("requests_mock")
    with FakeTrunkingService() as fake:
        (sid,) = fake.seed_trunks(count=1)
        with requests_mock.Mocker() as theirs:
            theirs.get(
                f"https://trunking.twilio.com/v1/Trunks/{sid}",
                json={"sid": sid, "friendly_name": "theirs"},
            )
            assert fake.client().trunking.v1.trunks(sid).fetch().friendly_name == "theirs"
    assert len(sends) == 1


def test_vcrpy_active_takes_the_full_path(tmp_path: Path, sends: List[str]) -> None:
    vcr = pytest.importorskip("vcr")
    cassette = vcr.use_cassette(str(tmp_path / "c.yaml"), record_mode="none")
    with FakeTrunkingService() as fake, cassette:
        _fetch_through(fake.client(), fake)
    assert len(sends) == 1


def test_the_most_recently_started_fake_answers_directly(sends: List[str]) -> None:
    outer, inner = FakeTrunkingService(), FakeTrunkingService()
    with outer:
        client = outer.client()
        with inner:
            (sid,) = inner.seed_trunks(account_sid=outer.default_account_sid, count=1)
            assert client.trunking.v1.trunks(sid).fetch().sid == sid
        assert len(inner.calls) == 1 and len(outer.calls) == 0
        _fetch_through(client, outer)
    assert sends == []
    assert not getattr(TwilioHttpClient.request, "_fake_trunking_direct", False)


def test_async_full_path_cases(async_sends: List[str]) -> None:
    import aiohttp

    aioresponses = pytest.importorskip("aioresponses").aioresponses

    async def scenario() -> str:
        from fake_trunking.clients.lazy_async import LazyAsyncTwilioHttpClient

        with FakeTrunkingService() as fake:
            (sid,) = fake.seed_trunks(count=1)
            direct = fake.async_client()
            await direct.trunking.v1.trunks(sid).fetch_async()
            assert async_sends == []
            retrying = fake.async_client(http_client=LazyAsyncTwilioHttpClient(max_retries=2))
            await retrying.trunking.v1.trunks(sid).fetch_async()
            await retrying.http_client.close()
            assert len(async_sends) == 1
            with aioresponses() as theirs:
                theirs.get(
                    f"https://trunking.twilio.com/v1/Trunks/{sid}",
                    exception=aiohttp.ClientConnectionError("theirs"),
                )
                with pytest.raises(aiohttp.ClientConnectionError) as raised:
                    await direct.trunking.v1.trunks(sid).fetch_async()
            await direct.http_client.close()
            return str(raised.value)

    assert asyncio.run(scenario()) == "theirs"


def test_plain_requests_still_go_through_responses(sends: List[str]) -> None:
    with FakeTrunkingService() as fake:
        (sid,) = fake.seed_trunks(count=1)
        got = requests.get(
            f"https://trunking.twilio.com/v1/Trunks/{sid}", auth=(fake.default_account_sid, "t")
        )
        assert got.json()["sid"] == sid
    assert len(sends) == 1


def test_stopping_the_last_fake_restores_twilio() -> None:
    original = TwilioHttpClient.request
    with FakeTrunkingService():
        assert TwilioHttpClient.request is not original
    assert TwilioHttpClient.request is original
