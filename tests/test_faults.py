"""Fault injection, seen the way users see it: through the real twilio client."""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient

from fake_trunking import FakeTrunkingService, Fault, Request
from fake_trunking import faults as faults_module


def _fetch_error(client: Any, sid: str) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as info:
        client.trunking.v1.trunks(sid).fetch()
    return info.value


def test_429_with_retry_after_is_a_twilio_error(fake: FakeTrunkingService, client: Any) -> None:
    sid = fake.seed_trunks()[0]
    fault = fake.inject_fault(429, retry_after=7, method="GET", path=r"/Trunks/TK\w+")
    error = _fetch_error(client, sid)
    assert (error.status, error.code) == (429, 20429)
    assert "Too Many Requests" in error.msg
    call = fake.calls[-1]
    assert call.fault is fault and call.status == 429
    assert call.response.headers["Retry-After"] == "7"
    assert call.response.headers["Content-Type"] == "application/json"
    assert call.response.headers["Twilio-Request-Id"].startswith("RQ")
    assert call.body == {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }
    # times=1 by default: the fault is spent, the next call is served
    assert fake.faults == []
    assert client.trunking.v1.trunks(sid).fetch().sid == sid


@pytest.mark.parametrize(
    ("status", "code", "expected_code", "message"),
    [
        (500, None, 20500, "Internal Server Error"),
        (503, None, 20503, "Service Unavailable"),
        (None, 20503, 20503, "Service Unavailable"),
        (400, 21245, 21245, "Bad Request"),
    ],
)
def test_status_and_code(
    fake: FakeTrunkingService,
    client: Any,
    status: Any,
    code: Any,
    expected_code: int,
    message: str,
) -> None:
    sid = fake.seed_trunks()[0]
    fake.inject_fault(status, code)
    error = _fetch_error(client, sid)
    assert error.code == expected_code
    assert error.status == (status or 503)
    assert message in error.msg


def test_a_faulted_call_changes_no_state(fake: FakeTrunkingService, client: Any) -> None:
    trunks = client.trunking.v1.trunks
    fake.inject_fault(500, method="POST", path="/Trunks")
    with pytest.raises(TwilioRestException) as info:
        trunks.create(friendly_name="never")
    assert info.value.status == 500
    assert fake.trunks() == []
    sid = trunks.create(friendly_name="kept").sid
    fake.inject_fault(503, method="DELETE")
    with pytest.raises(TwilioRestException):
        trunks(sid).delete()
    assert [t["sid"] for t in fake.trunks()] == [sid]
    fake.inject_fault(exception=requests.exceptions.ConnectionError, method="POST")
    with pytest.raises(requests.exceptions.ConnectionError):
        trunks(sid).update(friendly_name="changed")
    assert fake.trunks()[0]["friendly_name"] == "kept"


def test_method_and_path_choose_the_calls(fake: FakeTrunkingService, client: Any) -> None:
    sid = client.trunking.v1.trunks.create(friendly_name="t").sid
    fake.inject_fault(503, method="get", path=r"/Trunks/TK[0-9a-f]{32}/Recording", times=None)
    trunk = client.trunking.v1.trunks(sid)
    assert trunk.fetch().sid == sid  # other path
    assert trunk.recordings().update(mode="record-from-answer").mode == "record-from-answer"
    for _ in range(3):  # sticky: times=None fires on every match
        with pytest.raises(TwilioRestException) as info:
            trunk.recordings().fetch()
        assert info.value.status == 503
    assert fake.faults[0].hits == 3
    fake.clear_faults()
    assert fake.faults == []
    assert trunk.recordings().fetch().mode == "record-from-answer"


def test_the_path_must_match_whole_and_is_given_without_v1(
    fake: FakeTrunkingService, client: Any
) -> None:
    sid = fake.seed_trunks()[0]
    fake.inject_fault(500, path="/Trunks")  # the list only, not /Trunks/TK…
    assert client.trunking.v1.trunks(sid).fetch().sid == sid
    assert len(fake.faults) == 1
    with pytest.raises(ValueError, match="without the /v1 prefix"):
        fake.inject_fault(500, path="/v1/Trunks")
    fake.inject_fault(500, path=re.compile(r"/Trunks/TK.*"), times=2)
    assert [f.times for f in fake.faults] == [1, 2]


def test_list_calls_see_the_fault_as_twilio_reports_page_errors(
    fake: FakeTrunkingService, client: Any
) -> None:
    fake.inject_fault(429, retry_after=1, method="GET", path="/Trunks")
    with pytest.raises(TwilioException) as info:
        client.trunking.v1.trunks.list()
    response = info.value.args[1]
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"


def test_faults_come_before_authentication(fake: FakeTrunkingService) -> None:
    fake.inject_fault(503)
    response = fake.handle(Request("GET", "/v1/Trunks"))  # no Authorization header at all
    assert response.status == 503 and response.json()["code"] == 20503


def test_exception_faults_are_raised_and_logged(fake: FakeTrunkingService, client: Any) -> None:
    sid = fake.seed_trunks()[0]
    fault = fake.inject_fault(exception=requests.exceptions.ReadTimeout, times=2)
    with pytest.raises(requests.exceptions.ReadTimeout) as info:
        client.trunking.v1.trunks(sid).fetch()
    assert "fake_trunking fault: ReadTimeout on GET https://trunking.twilio.com/v1/Trunks/" in str(
        info.value
    )
    assert isinstance(info.value.request, requests.PreparedRequest)
    call = fake.calls[-1]
    assert call.exception is not None and call.fault is fault
    assert call.status == 0 and call.body is None
    # an instance is raised afresh each time (a copy), keeping its message
    fake.clear_faults()
    fake.inject_fault(exception=requests.exceptions.ConnectionError("reset by peer"))
    with pytest.raises(requests.exceptions.ConnectionError, match="reset by peer"):
        client.trunking.v1.trunks(sid).fetch()


def test_handle_raises_for_other_adapters(fake: FakeTrunkingService) -> None:
    """The server adapter calls ``handle`` directly: an exception fault reaches it raised."""
    fake.inject_fault(exception=requests.exceptions.ConnectionError)
    auth = {"authorization": "Basic " + "QUMxMjM6eA=="}
    with pytest.raises(requests.exceptions.ConnectionError):
        fake.handle(Request("GET", "/v1/Trunks", headers=auth))
    assert fake.calls[-1].exception is not None


def test_latency_sleeps_then_serves(
    fake: FakeTrunkingService, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: List[float] = []
    monkeypatch.setattr(faults_module.time, "sleep", slept.append)
    trunk = client.trunking.v1.trunks.create(friendly_name="slow")
    fake.inject_fault(latency=2.5, method="POST", path="/Trunks")
    created = client.trunking.v1.trunks.create(friendly_name="late")  # served, state changes
    assert slept == [2.5]
    assert {t["sid"] for t in fake.trunks()} == {trunk.sid, created.sid}
    fake.inject_fault(503, latency=1.0)  # latency, then the error
    with pytest.raises(TwilioRestException):
        client.trunking.v1.trunks(trunk.sid).fetch()
    assert slept == [2.5, 1.0]


def test_latency_really_sleeps(fake: FakeTrunkingService, client: Any) -> None:
    fake.inject_fault(latency=0.02)
    client.trunking.v1.trunks.list()
    assert fake.calls[-1].duration >= 0.02


def test_probability_is_seeded() -> None:
    def outcomes(seed: int) -> List[int]:
        with FakeTrunkingService(seed=seed) as fake:
            sid = fake.seed_trunks()[0]
            fake.inject_fault(500, probability=0.5, times=None)
            client = fake.client()
            out = []
            for _ in range(30):
                try:
                    client.trunking.v1.trunks(sid).fetch()
                    out.append(200)
                except TwilioRestException as exc:
                    out.append(exc.status)
            return out

    first = outcomes(5)
    assert first == outcomes(5)
    assert 200 in first and 500 in first
    assert first != outcomes(6)


def test_probability_with_times_limits_the_firings(fake: FakeTrunkingService) -> None:
    fake.inject_fault(500, probability=0.5, times=3)
    statuses = [fake.handle(Request("GET", "/v1/Trunks")).status for _ in range(40)]
    assert statuses.count(500) == 3
    assert fake.faults == []


def test_first_matching_fault_wins_and_reset_clears(fake: FakeTrunkingService) -> None:
    fake.inject_fault(503, method="GET")
    fake.inject_fault(500)
    assert fake.handle(Request("GET", "/v1/Trunks")).status == 503
    assert fake.handle(Request("GET", "/v1/Trunks")).status == 500
    fake.inject_fault(500, times=None)
    fake.reset()
    assert fake.faults == [] and fake.calls == []


# -- retries: urllib3's Retry through TwilioHttpClient(max_retries=...) ---------------------


def _retrying_client(fake: FakeTrunkingService, retries: int = 3) -> Any:
    return fake.client(http_client=TwilioHttpClient(max_retries=retries))


def _statuses(fake: FakeTrunkingService) -> List[Any]:
    return [type(c.exception).__name__ if c.exception is not None else c.status for c in fake.calls]


def test_429_with_retry_after_is_retried(fake: FakeTrunkingService) -> None:
    sid = fake.seed_trunks()[0]
    client = _retrying_client(fake)
    fake.inject_fault(429, retry_after=0, times=2)
    assert client.trunking.v1.trunks(sid).fetch().sid == sid
    assert _statuses(fake) == [429, 429, 200]
    fake.assert_called("GET", rf"/Trunks/{sid}", times=3)


def test_retries_give_up_after_max_retries(fake: FakeTrunkingService) -> None:
    sid = fake.seed_trunks()[0]
    client = _retrying_client(fake, retries=2)
    fake.inject_fault(503, retry_after=0, times=None)
    # as urllib3 does: once the budget is spent, the last answer reaches the caller
    assert _fetch_error(client, sid).status == 503
    assert _statuses(fake) == [503, 503, 503]


def test_without_retry_after_or_for_post_there_is_no_retry(fake: FakeTrunkingService) -> None:
    sid = fake.seed_trunks()[0]
    client = _retrying_client(fake)
    fake.inject_fault(503, times=None)  # urllib3 retries 503 only with Retry-After
    assert _fetch_error(client, sid).status == 503
    fake.clear_faults()
    fake.inject_fault(429, retry_after=0, times=None)  # POST is not idempotent
    with pytest.raises(TwilioRestException):
        client.trunking.v1.trunks.create(friendly_name="x")
    assert _statuses(fake) == [503, 429]


def test_default_client_does_not_retry(fake: FakeTrunkingService, client: Any) -> None:
    sid = fake.seed_trunks()[0]
    fake.inject_fault(429, retry_after=0, times=None)
    assert _fetch_error(client, sid).status == 429
    assert len(fake.calls) == 1


def test_connection_errors_are_retried_for_any_method(fake: FakeTrunkingService) -> None:
    client = _retrying_client(fake)
    fake.inject_fault(exception=requests.exceptions.ConnectionError, times=2)
    created = client.trunking.v1.trunks.create(friendly_name="after two refusals")
    assert _statuses(fake) == ["ConnectionError", "ConnectionError", 201]
    assert [t["sid"] for t in fake.trunks()] == [created.sid]


def test_connection_errors_past_max_retries_reach_the_caller(fake: FakeTrunkingService) -> None:
    client = _retrying_client(fake, retries=1)
    fake.inject_fault(exception=requests.exceptions.ConnectTimeout, times=None)
    with pytest.raises(requests.exceptions.ConnectTimeout):
        client.trunking.v1.trunks.list()
    assert _statuses(fake) == ["ConnectTimeout", "ConnectTimeout"]


def test_read_timeouts_are_retried_only_for_idempotent_methods(fake: FakeTrunkingService) -> None:
    sid = fake.seed_trunks()[0]
    client = _retrying_client(fake)
    fake.inject_fault(exception=requests.exceptions.ReadTimeout, times=1)
    assert client.trunking.v1.trunks(sid).fetch().sid == sid
    fake.inject_fault(exception=requests.exceptions.ReadTimeout, times=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.trunking.v1.trunks.create(friendly_name="maybe")
    assert _statuses(fake) == ["ReadTimeout", 200, "ReadTimeout"]


def test_other_exceptions_are_not_retried(fake: FakeTrunkingService) -> None:
    client = _retrying_client(fake)
    fake.inject_fault(exception=requests.exceptions.ChunkedEncodingError, times=None)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        client.trunking.v1.trunks.list()
    assert len(fake.calls) == 1


# -- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs a status"),
        ({"status": 200}, "400..599"),
        ({"status": True}, "400..599"),
        ({"status": "500"}, "400..599"),
        ({"code": 21245}, "give the HTTP status"),
        ({"code": -1, "status": 500}, "positive"),
        ({"status": 500, "exception": requests.exceptions.ConnectionError}, "not both"),
        ({"status": 500, "times": 0}, "times"),
        ({"status": 500, "probability": 0}, "probability"),
        ({"status": 500, "probability": 1.5}, "probability"),
        ({"latency": -1}, "latency"),
        ({"latency": "1"}, "latency"),
        ({"exception": "boom"}, "exception must be"),
        ({"exception": KeyboardInterrupt}, "exception must be"),
        ({"status": 500, "path": "(unclosed"}, "regular expression"),
        ({"status": 500, "method": ""}, "method"),
        ({"retry_after": 5, "latency": 1}, "retry_after needs a status"),
        ({"status": 429, "retry_after": 1.5}, "retry_after"),
        ({"status": 429, "retry_after": -1}, "retry_after"),
    ],
)
def test_bad_arguments_are_value_errors(
    fake: FakeTrunkingService, kwargs: Dict[str, Any], message: str
) -> None:
    status = kwargs.pop("status", None)
    code = kwargs.pop("code", None)
    with pytest.raises(ValueError, match=message):
        fake.inject_fault(status, code, **kwargs)
    assert fake.faults == []


def test_faults_list_is_a_copy_of_fault_objects(fake: FakeTrunkingService) -> None:
    fault = fake.inject_fault(503, method="GET", path="/Trunks", times=None)
    assert isinstance(fault, Fault)
    listed = fake.faults
    listed.clear()
    assert fake.faults == [fault]
    assert fault.describe() == "503/20503 on GET /Trunks"
