"""Other hosts are the user's choice (issue 13, point 4): ``passthrough_hosts`` lets chosen hosts
through to whatever is under the fake (vcrpy, responses, or the transport), in both nesting orders,
for ``requests`` and aiohttp; the default refusal names the host, says fake-trunking does not serve
it and names the keyword; other Twilio hosts are named as such."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Iterator, List

import aiohttp
import pytest
import requests
import responses
import vcr

from fake_trunking import FakeTrunkingService
from fake_trunking.intercept.routing import HostRules

from .intercept_helpers import no_network, unpatched

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

OTHER = "https://api.example.com/things"
CASSETTE = """\
interactions:
- request:
    body: null
    headers: {}
    method: GET
    uri: https://api.example.com/things
  response:
    body: {string: '{"from": "vcrpy"}'}
    headers:
      Content-Type: [application/json]
    status: {code: 200, message: OK}
version: 1
"""


@pytest.fixture
def guard() -> Iterator[List[Any]]:
    with no_network() as attempts:
        yield attempts
    assert unpatched()


@pytest.fixture
def tape(tmp_path: Path) -> str:
    path = tmp_path / "other.yaml"
    path.write_text(CASSETTE)
    return str(path)


def created(fake: FakeTrunkingService) -> str:
    sid: str = fake.client().trunking.v1.trunks.create(friendly_name="t").sid
    return sid


async def created_async(fake: FakeTrunkingService) -> str:
    client = fake.async_client()
    try:
        trunk = await client.trunking.v1.trunks.create_async(friendly_name="async")
    finally:
        await client.http_client.close()
    sid: str = trunk.sid
    return sid


async def aiohttp_get(url: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.json()


# -- the default refusal -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (OTHER, "fake-trunking does not serve api.example.com"),
        ("https://verify.twilio.com/v2/Services", "verify.twilio.com is a Twilio API"),
        ("https://messaging.twilio.com/v1/Services", "messaging.twilio.com is a Twilio API"),
        ("https://trunking.twilio.com.evil.example/v1", "does not serve trunking.twilio.com.evil"),
    ],
)
def test_the_refusal_names_the_host_and_the_way_through(
    guard: List[Any], url: str, says: str
) -> None:
    host = url.split("/")[2]
    with FakeTrunkingService() as fake:
        with pytest.raises(requests.exceptions.ConnectionError) as sync_info:
            requests.get(url, timeout=2)
        with pytest.raises(aiohttp.ClientConnectionError) as async_info:
            asyncio.run(aiohttp_get(url))
    for message in (str(sync_info.value), str(async_info.value)):
        assert says in message
        assert f"passthrough_hosts=[{host!r}]" in message
        assert "Connection refused by Responses" not in message
    assert fake.calls == [] and guard == []


# -- passthrough_hosts ---------------------------------------------------------------------------


def test_passthrough_hosts_reach_the_transport_and_others_stay_refused(guard: List[Any]) -> None:
    with FakeTrunkingService(passthrough_hosts=["api.example.com", "*.example.org"]) as fake:
        for url in (OTHER, "https://a.example.org/", "https://b.c.example.org/"):
            with pytest.raises(requests.exceptions.ConnectionError, match="test guard"):
                requests.get(url, timeout=2)  # let through: the guard below is reached
            with pytest.raises(aiohttp.ClientConnectionError):
                asyncio.run(aiohttp_get(url))
        for url in ("https://example.org/", "https://other.example.com/"):
            with pytest.raises(requests.exceptions.ConnectionError, match="does not serve"):
                requests.get(url, timeout=2)
        assert created(fake)
    hosts = [a[1] for a in guard if a[0] == "getaddrinfo"]
    assert sorted(set(hosts)) == ["a.example.org", "api.example.com", "b.c.example.org"]
    guard.clear()


def test_the_most_recent_fake_decides_what_goes_through(guard: List[Any]) -> None:
    with FakeTrunkingService() as outer:
        inner = FakeTrunkingService(passthrough_hosts=["*"])
        with inner, pytest.raises(requests.exceptions.ConnectionError, match="test guard"):
            requests.get("https://anything.example/", timeout=2)
        with pytest.raises(requests.exceptions.ConnectionError, match="does not serve"):
            requests.get("https://anything.example/", timeout=2)
        assert created(outer)
    guard.clear()


@pytest.mark.parametrize(
    ("value", "error", "says"),
    [
        ("api.example.com", TypeError, "must be a list of host names"),
        (["https://api.example.com/x"], ValueError, "give the host name alone ('api.example.com')"),
        ([""], ValueError, "is not a host name"),
        (["api.*.com"], ValueError, "is not a host name"),
        ([3], TypeError, "expected host names"),
    ],
)
def test_bad_passthrough_hosts_are_one_clear_error(value: Any, error: type, says: str) -> None:
    with pytest.raises(error, match="passthrough_hosts") as info:
        FakeTrunkingService(passthrough_hosts=value)
    assert says in str(info.value)


def test_host_rules_match_in_linear_time() -> None:
    rules = HostRules([f"h{n}.example.com" for n in range(5000)] + ["*.deep.example"])
    assert rules.allows("H42.Example.Com.") and not rules.allows("h42.example.com.evil")
    assert rules.allows("a." * 5000 + "deep.example")  # one set lookup per label
    assert not rules.allows("deep.example") and not HostRules().allows("x")


# -- vcrpy and responses under and over the fake --------------------------------------------------


def test_vcrpy_under_the_fake_answers_the_passthrough_hosts(guard: List[Any], tape: str) -> None:
    cassette = vcr.use_cassette(tape, record_mode="none", allow_playback_repeats=True)
    with cassette, FakeTrunkingService(passthrough_hosts=["api.example.com"]) as fake:
        assert requests.get(OTHER).json() == {"from": "vcrpy"}
        assert asyncio.run(aiohttp_get(OTHER)) == {"from": "vcrpy"}
        assert created(fake) and asyncio.run(created_async(fake))
        with pytest.raises(requests.exceptions.ConnectionError, match="passthrough_hosts"):
            requests.get("https://not-listed.example.com/")
    assert guard == []


def test_vcrpy_over_the_fake_answers_the_passthrough_hosts(guard: List[Any], tape: str) -> None:
    """vcrpy started inside the fake. For aiohttp, vcrpy hands what it does not play to aiohttp
    itself (captured at import), not to the fake: there, start vcrpy first (the test above)."""
    with FakeTrunkingService(passthrough_hosts=["api.example.com"]) as fake:
        with vcr.use_cassette(tape, record_mode="none", allow_playback_repeats=True):
            assert requests.get(OTHER).json() == {"from": "vcrpy"}
            assert asyncio.run(aiohttp_get(OTHER)) == {"from": "vcrpy"}
            assert created(fake)
        with pytest.raises(requests.exceptions.ConnectionError, match="test guard"):
            requests.get(OTHER, timeout=2)  # vcrpy gone: the passthrough host meets the guard
    guard.clear()


def test_vcrpy_without_passthrough_hosts_is_refused_by_name(guard: List[Any], tape: str) -> None:
    cassette = vcr.use_cassette(tape, record_mode="none", allow_playback_repeats=True)
    with (
        cassette,
        FakeTrunkingService(),
        pytest.raises(requests.exceptions.ConnectionError) as info,
    ):
        requests.get(OTHER)
    assert "passthrough_hosts=['api.example.com']" in str(info.value)
    assert guard == []


def test_responses_in_both_orders(guard: List[Any]) -> None:
    with responses.RequestsMock() as theirs:
        theirs.get(OTHER, json={"from": "responses"})
        with FakeTrunkingService() as fake:  # started over theirs: theirs gets the other hosts
            assert requests.get(OTHER).json() == {"from": "responses"}
            assert created(fake)
    with FakeTrunkingService() as fake, responses.RequestsMock() as theirs:
        theirs.get(OTHER, json={"from": "responses"})
        assert requests.get(OTHER).json() == {"from": "responses"}
        assert created(fake)
    assert guard == []


def test_passthrough_hosts_from_the_marker_and_the_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        'fake_trunking_defaults =\n    passthrough_hosts = ["ini.example.com"]\n'
    )
    pytester.makepyfile(
        test_inner="""
import pytest
import requests


def test_the_ini_host(fake_trunking):
    assert fake_trunking.passthrough_hosts.allows("ini.example.com")
    with pytest.raises(requests.exceptions.ConnectionError, match="passthrough_hosts"):
        requests.get("https://marker.example.com/")


@pytest.mark.fake_trunking(passthrough_hosts=["marker.example.com"])
def test_the_marker_host(fake_trunking):
    assert fake_trunking.passthrough_hosts.hosts == ("marker.example.com",)
"""
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_replay_mode_lets_the_same_hosts_through(tmp_path: Path, guard: List[Any]) -> None:
    """A test's ``passthrough_hosts`` apply in replay mode as in fake mode: the host reaches the
    transport underneath (here the test's network guard); others stay refused by the fake."""
    from fake_trunking.cassettes import open_backend

    cassette = tmp_path / "c.yaml"
    with FakeTrunkingService(seed=1) as fake:
        created(fake)
        fake.save_cassette(cassette)
    kwargs = {"passthrough_hosts": ["api.example.com"]}
    with open_backend("replay", cassette, service_kwargs=kwargs):
        with pytest.raises(requests.exceptions.ConnectionError, match="test guard"):
            requests.get(OTHER, timeout=2)  # let through: the guard below is reached
        with pytest.raises(requests.exceptions.ConnectionError, match="does not serve"):
            requests.get("https://other.example.com/", timeout=2)
    assert [a[1] for a in guard if a[0] == "getaddrinfo"] == ["api.example.com"]
    guard.clear()
