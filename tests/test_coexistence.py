"""Good citizenship: the user's own ``responses`` and ``requests-mock`` mocks keep working beside
ours, in both nesting orders, and stopping ours restores everything. No test leaves loopback:
every other host is mocked by the user's mock or refused."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator

import pytest
import requests
import requests_mock
import responses
from requests.adapters import HTTPAdapter

from fake_trunking import FakeTrunkingService

OTHER = "https://api.example.com/things"
TRUNKS = "https://trunking.twilio.com/v1/Trunks"


def _patch_points() -> Dict[str, Callable[..., Any]]:
    return {
        "HTTPAdapter.send": HTTPAdapter.send,
        "RequestsMock._find_match": responses.RequestsMock._find_match,
        "requests_mock.Adapter.send": requests_mock.Adapter.send,
        "Session.send": requests.Session.send,
        "Session.get_adapter": requests.Session.get_adapter,
    }


@pytest.fixture
def pristine() -> Iterator[Dict[str, Callable[..., Any]]]:
    """The patch points as they were before the test; the test must leave them so."""
    before = _patch_points()
    yield before
    assert _patch_points() == before


def _create_and_list(fake: FakeTrunkingService) -> int:
    client = fake.client()
    client.trunking.v1.trunks.create(friendly_name="x")
    return len(client.trunking.v1.trunks.list())


def test_alone_other_hosts_are_refused_not_sent(pristine: Any) -> None:
    with FakeTrunkingService() as fake:
        assert _create_and_list(fake) == 1
        with pytest.raises(requests.exceptions.ConnectionError, match=r"api\.example\.com"):
            requests.get(OTHER)
    assert _patch_points() == pristine


# -- responses --------------------------------------------------------------------------


def test_ours_inside_a_responses_mock(pristine: Any) -> None:
    with responses.RequestsMock() as theirs:
        theirs.get(OTHER, json={"mine": True})
        with FakeTrunkingService() as fake:
            assert requests.get(OTHER).json() == {"mine": True}  # their host: theirs
            assert _create_and_list(fake) == 1  # Trunking: ours
        # ours stopped: theirs is back in charge, Trunking URLs are theirs to refuse
        assert requests.get(OTHER).json() == {"mine": True}
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(TRUNKS)
        assert len(theirs.calls) == 3  # only what reached theirs, twice OTHER and once TRUNKS


def test_a_responses_mock_inside_ours(pristine: Any) -> None:
    with FakeTrunkingService() as fake:
        with responses.RequestsMock() as theirs:
            theirs.get(OTHER, json={"mine": True})
            theirs.get(f"{TRUNKS}/TK{'0' * 32}", json={"stubbed": True}, status=200)
            assert requests.get(OTHER).json() == {"mine": True}
            # their own Trunking stub wins over the fake
            assert requests.get(f"{TRUNKS}/TK{'0' * 32}").json() == {"stubbed": True}
            assert _create_and_list(fake) == 1  # what they do not stub goes to the fake
        assert _create_and_list(fake) == 2
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(OTHER)  # theirs is gone again


def test_responses_activate_inside_ours(pristine: Any) -> None:
    with FakeTrunkingService() as fake:

        @responses.activate
        def user_code() -> Any:
            responses.add(responses.GET, OTHER, body="hello")
            assert requests.get(OTHER).text == "hello"
            return _create_and_list(fake)

        assert user_code() == 1
        fake.assert_called("POST", "/Trunks", times=1)


def test_ours_inside_responses_activate(pristine: Any) -> None:
    @responses.activate
    def user_code() -> int:
        responses.add(responses.GET, OTHER, body="hello")
        with FakeTrunkingService() as fake:
            assert requests.get(OTHER).text == "hello"
            return _create_and_list(fake)

    assert user_code() == 1


# -- requests-mock ----------------------------------------------------------------------


def test_requests_mock_inside_ours(pristine: Any) -> None:
    with FakeTrunkingService() as fake:
        with requests_mock.Mocker() as theirs:
            theirs.get(OTHER, json={"mine": True})
            theirs.get(f"{TRUNKS}/TK{'0' * 32}", json={"stubbed": True})
            assert requests.get(OTHER).json() == {"mine": True}
            assert requests.get(f"{TRUNKS}/TK{'0' * 32}").json() == {"stubbed": True}
            assert _create_and_list(fake) == 1  # unmatched Trunking URLs reach the fake
            with pytest.raises(requests_mock.exceptions.NoMockAddress):
                requests.get("https://api.example.com/unmocked")  # theirs still refuses
        assert _create_and_list(fake) == 2
    assert _patch_points() == pristine


def test_ours_inside_requests_mock(pristine: Any) -> None:
    with requests_mock.Mocker() as theirs:
        theirs.get(OTHER, text="hello")
        with FakeTrunkingService() as fake:
            assert requests.get(OTHER).text == "hello"
            assert _create_and_list(fake) == 1
            fake.inject_fault(exception=requests.exceptions.ReadTimeout)
            with pytest.raises(requests.exceptions.ReadTimeout):
                fake.client().trunking.v1.trunks.list()  # faults work through it too
            fake.inject_fault(429, retry_after=3)
            response = requests.get(TRUNKS, auth=(fake.default_account_sid, "x"))
            assert response.status_code == 429 and response.headers["Retry-After"] == "3"
        # ours stopped: Trunking URLs are unmatched for theirs again
        with pytest.raises(requests_mock.exceptions.NoMockAddress):
            requests.get(TRUNKS)
        assert requests.get(OTHER).text == "hello"


def test_requests_mock_real_http_reaches_the_fake_not_the_network(pristine: Any) -> None:
    with FakeTrunkingService() as fake, requests_mock.Mocker(real_http=True):
        assert _create_and_list(fake) == 1
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(OTHER)  # passed on to the real transport: refused by the fake


def test_two_fakes_nested_the_innermost_answers(pristine: Any) -> None:
    with FakeTrunkingService() as outer:
        with FakeTrunkingService() as inner, requests_mock.Mocker():
            _create_and_list(inner)
            assert outer.calls == [] and len(inner.calls) == 2
        _create_and_list(outer)
        assert len(outer.calls) == 2
