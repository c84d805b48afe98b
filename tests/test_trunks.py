"""The Trunks resource (issue 2) through the real twilio client: every operation, status code,
field, default, date, partial update and validation rule of DECISIONS.md that concerns trunks."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Iterator

import pytest

from fake_trunking import FakeTrunkingService

from .helpers import Clock, assert_error, raw, rest_error

SID = re.compile(r"TK[0-9a-f]{32}\Z")
FIELDS = {
    "account_sid", "domain_name", "disaster_recovery_method", "disaster_recovery_url",
    "friendly_name", "secure", "recording", "transfer_mode", "transfer_caller_id",
    "cnam_lookup_enabled", "auth_type", "symmetric_rtp_enabled", "auth_type_set",
    "date_created", "date_updated", "sid", "url", "links",
}  # fmt: skip


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(clock: Clock) -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=5, clock=clock) as service:
        yield service


# -- status codes and bodies ------------------------------------------------------------------


def test_create_is_201_with_every_field_and_default(timed: FakeTrunkingService) -> None:
    trunks = timed.client().trunking.v1.trunks
    response = trunks.create_with_http_info()
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert re.fullmatch(r"RQ[0-9a-f]{32}", response.headers["Twilio-Request-Id"])
    body = timed.calls[-1].body
    assert set(body) == FIELDS
    sid = body["sid"]
    assert SID.match(sid)
    url = f"https://trunking.twilio.com/v1/Trunks/{sid}"
    assert body == {
        "account_sid": timed.default_account_sid,
        "domain_name": None,
        "disaster_recovery_method": None,
        "disaster_recovery_url": None,
        "friendly_name": None,
        "secure": False,
        "recording": {"mode": "do-not-record", "trim": "do-not-trim"},
        "transfer_mode": "disable-all",
        "transfer_caller_id": "from-transferee",
        "cnam_lookup_enabled": False,
        "auth_type": "",
        "symmetric_rtp_enabled": False,
        "auth_type_set": [],
        "date_created": "2024-05-06T07:08:09Z",
        "date_updated": "2024-05-06T07:08:09Z",
        "sid": sid,
        "url": url,
        "links": {
            "origination_urls": f"{url}/OriginationUrls",
            "credential_lists": f"{url}/CredentialLists",
            "ip_access_control_lists": f"{url}/IpAccessControlLists",
            "phone_numbers": f"{url}/PhoneNumbers",
        },
    }
    trunk = response.data
    assert trunk.sid == sid
    assert trunk.symmetric_rtp_enabled is False
    assert trunk.date_created == datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert trunk.date_updated == trunk.date_created
    assert len(trunk.links) == 4


def test_create_with_every_parameter(trunks: Any) -> None:
    trunk = trunks.create(
        friendly_name="x y&z",
        domain_name="Acme-HQ.pstn.twilio.com",
        disaster_recovery_url="https://dr.example.com/twiml?x=1",
        disaster_recovery_method="get",
        transfer_mode="sip-only",
        secure=True,
        cnam_lookup_enabled=True,
        transfer_caller_id="from-transferor",
    )
    assert trunk.friendly_name == "x y&z"
    assert trunk.domain_name == "Acme-HQ.pstn.twilio.com"
    assert trunk.disaster_recovery_url == "https://dr.example.com/twiml?x=1"
    assert trunk.disaster_recovery_method == "GET"  # any case in, upper case stored
    assert trunk.transfer_mode == "sip-only"
    assert trunk.secure is True
    assert trunk.cnam_lookup_enabled is True
    assert trunk.transfer_caller_id == "from-transferor"
    assert trunk.symmetric_rtp_enabled is False
    assert trunks(trunk.sid).fetch().friendly_name == "x y&z"


def test_fetch_is_200_and_equals_the_created_body(fake: FakeTrunkingService, trunks: Any) -> None:
    sid = trunks.create(friendly_name="a").sid
    created = fake.calls[-1].body
    response = trunks(sid).fetch_with_http_info()
    assert response.status_code == 200
    assert fake.calls[-1].body == created
    assert response.data.friendly_name == "a"


def test_delete_is_204_with_an_empty_body(fake: FakeTrunkingService, trunks: Any) -> None:
    sid = trunks.create().sid
    response = trunks(sid).delete_with_http_info()
    assert response.status_code == 204
    assert response.data is True
    call = fake.calls[-1]
    assert (call.method, call.status, call.response.body) == ("DELETE", 204, b"")
    assert "Content-Type" not in call.response.headers
    assert rest_error(trunks(sid).fetch).status == 404


def test_delete_twice_is_404(trunks: Any) -> None:
    sid = trunks.create().sid
    assert trunks(sid).delete() is True
    err = rest_error(trunks(sid).delete)
    assert (err.status, err.code) == (404, 20404)


def test_list_returns_trunks_oldest_first(trunks: Any) -> None:
    sids = [trunks.create(friendly_name=f"t{i}").sid for i in range(5)]
    assert [t.sid for t in trunks.list()] == sids


# -- dates -----------------------------------------------------------------------------------


def test_update_sets_date_updated_from_the_clock(timed: FakeTrunkingService, clock: Clock) -> None:
    trunks = timed.client().trunking.v1.trunks
    sid = trunks.create(friendly_name="a").sid
    clock.advance(hours=1, seconds=30)
    response = trunks(sid).update_with_http_info(friendly_name="b")
    assert response.status_code == 200
    trunk = response.data
    assert trunk.date_created == datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert trunk.date_updated == datetime(2024, 5, 6, 8, 8, 39, tzinfo=timezone.utc)
    assert timed.calls[-1].body["date_updated"] == "2024-05-06T08:08:39Z"
    clock.advance(seconds=1)
    assert trunks(sid).update().date_updated.second == 40  # even with no parameters


def test_a_non_utc_clock_is_converted_to_utc() -> None:
    from datetime import timedelta

    tz = timezone(timedelta(hours=2))
    with FakeTrunkingService(clock=lambda: datetime(2024, 1, 1, 1, 0, 0, tzinfo=tz)) as fake:
        fake.client().trunking.v1.trunks.create()
        assert fake.calls[-1].body["date_created"] == "2023-12-31T23:00:00Z"


# -- partial updates -------------------------------------------------------------------------


def test_update_changes_only_what_is_sent(fake: FakeTrunkingService, trunks: Any) -> None:
    sid = trunks.create(
        friendly_name="keep",
        domain_name="keep.pstn.twilio.com",
        disaster_recovery_url="https://dr.example.com",
        disaster_recovery_method="POST",
        transfer_mode="enable-all",
        cnam_lookup_enabled=True,
        transfer_caller_id="from-transferor",
    ).sid
    before = fake.calls[-1].body
    updated = trunks(sid).update(secure=True)
    after = fake.calls[-1].body
    assert updated.secure is True
    assert {k for k in before if before[k] != after[k]} - {"date_updated"} == {"secure"}
    after_all = trunks(sid).update(
        friendly_name="new",
        domain_name="new.pstn.twilio.com",
        disaster_recovery_url="http://dr2.example.com/x",
        disaster_recovery_method="GET",
        transfer_mode="sip-only",
        secure=False,
        cnam_lookup_enabled=False,
        transfer_caller_id="from-transferee",
    )
    assert (after_all.friendly_name, after_all.domain_name) == ("new", "new.pstn.twilio.com")
    assert after_all.disaster_recovery_url == "http://dr2.example.com/x"
    assert after_all.disaster_recovery_method == "GET"
    assert after_all.transfer_mode == "sip-only"
    assert after_all.secure is False and after_all.cnam_lookup_enabled is False
    assert after_all.transfer_caller_id == "from-transferee"
    assert trunks(sid).fetch().domain_name == "new.pstn.twilio.com"


def test_empty_friendly_name_stores_empty_string(fake: FakeTrunkingService, trunks: Any) -> None:
    sid = trunks.create(friendly_name="named").sid
    assert trunks(sid).update(friendly_name="").friendly_name == ""
    assert fake.calls[-1].params == {"FriendlyName": ""}
    assert fake.calls[-1].body["friendly_name"] == ""
    assert trunks.create(friendly_name="").friendly_name == ""


def test_empty_domain_and_disaster_recovery_clear_to_null(trunks: Any) -> None:
    sid = trunks.create(
        domain_name="clear-me.pstn.twilio.com",
        disaster_recovery_url="https://dr.example.com",
        disaster_recovery_method="POST",
    ).sid
    cleared = trunks(sid).update(
        domain_name="", disaster_recovery_url="", disaster_recovery_method=""
    )
    assert cleared.domain_name is None
    assert cleared.disaster_recovery_url is None
    assert cleared.disaster_recovery_method is None
    # the domain is free again
    assert trunks.create(domain_name="clear-me.pstn.twilio.com").domain_name


def test_boolean_parameters_accept_any_case(fake: FakeTrunkingService) -> None:
    response = raw(fake, "POST", "/v1/Trunks", "Secure=TRUE&CnamLookupEnabled=False")
    assert response.status == 201
    assert (response.json()["secure"], response.json()["cnam_lookup_enabled"]) == (True, False)


def test_unknown_parameters_are_ignored(fake: FakeTrunkingService) -> None:
    response = raw(fake, "POST", "/v1/Trunks", "Bogus=1&SymmetricRtpEnabled=true&FriendlyName=a")
    assert response.status == 201
    assert response.json()["symmetric_rtp_enabled"] is False
    assert response.json()["friendly_name"] == "a"


# -- validation: 400/20001 naming the parameter ---------------------------------------------

BAD_PARAMETERS = [
    ({"friendly_name": "x" * 65}, "Invalid FriendlyName: must be at most 64 characters"),
    ({"secure": "yes"}, "Invalid Secure: must be true or false"),
    ({"cnam_lookup_enabled": "1"}, "Invalid CnamLookupEnabled: must be true or false"),
    (
        {"transfer_mode": "DISABLE-ALL"},
        "Invalid TransferMode: must be one of disable-all, enable-all, sip-only",
    ),
    (
        {"transfer_caller_id": "nobody"},
        "Invalid TransferCallerId: must be one of from-transferee, from-transferor",
    ),
    (
        {"disaster_recovery_method": "PUT"},
        "Invalid DisasterRecoveryMethod: must be one of GET, POST",
    ),
    (
        {"disaster_recovery_url": "not a url"},
        "Invalid DisasterRecoveryUrl: must be an absolute http or https URL",
    ),
    (
        {"disaster_recovery_url": "ftp://dr.example.com/x"},
        "Invalid DisasterRecoveryUrl: must be an absolute http or https URL",
    ),
    (
        {"disaster_recovery_url": "/relative/path"},
        "Invalid DisasterRecoveryUrl: must be an absolute http or https URL",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_PARAMETERS)
def test_bad_parameter_on_create_is_400_20001(
    fake: FakeTrunkingService, trunks: Any, kwargs: Any, message: str
) -> None:
    before = fake.dump_state()
    err = rest_error(trunks.create, **kwargs)
    assert (err.status, err.code) == (400, 20001)
    assert err.msg == f"Unable to create record: {message}"
    assert fake.calls[-1].body["message"] == message
    assert fake.dump_state() == before


@pytest.mark.parametrize(("kwargs", "message"), BAD_PARAMETERS)
def test_bad_parameter_on_update_is_400_20001(
    fake: FakeTrunkingService, trunks: Any, kwargs: Any, message: str
) -> None:
    sid = trunks.create(friendly_name="unchanged").sid
    before = fake.dump_state()
    err = rest_error(trunks(sid).update, **{"friendly_name": "would change", **kwargs})
    assert (err.status, err.code) == (400, 20001)
    assert fake.calls[-1].body["message"] == message
    assert fake.dump_state() == before


def test_friendly_name_of_exactly_64_is_accepted(trunks: Any) -> None:
    assert trunks.create(friendly_name="é" * 64).friendly_name == "é" * 64


# -- DomainName: 21245 syntax, 21248 taken -------------------------------------------------

GOOD_DOMAINS = [
    "a.pstn.twilio.com",
    "acme-hq-1.pstn.twilio.com",
    "Upper.Case.pstn.twilio.com",
    "x" * 63 + ".pstn.twilio.com",
]
BAD_DOMAINS = [
    "example.com",
    "pstn.twilio.com",
    "acme.pstn.twilio.com.evil.com",
    "acme_hq.pstn.twilio.com",
    "-acme.pstn.twilio.com",
    "acme-.pstn.twilio.com",
    "ac me.pstn.twilio.com",
    "acme..pstn.twilio.com",
    "x" * 64 + ".pstn.twilio.com",
    "acme.pstn.twilio.co",
]


@pytest.mark.parametrize("domain", GOOD_DOMAINS)
def test_valid_domain_names(trunks: Any, domain: str) -> None:
    assert trunks.create(domain_name=domain).domain_name == domain


@pytest.mark.parametrize("domain", BAD_DOMAINS)
def test_domain_syntax_is_400_21245(fake: FakeTrunkingService, trunks: Any, domain: str) -> None:
    sid = trunks.create().sid
    before = fake.dump_state()
    for call in (trunks.create, trunks(sid).update):
        err = rest_error(call, domain_name=domain)
        assert (err.status, err.code) == (400, 21245)
        assert fake.calls[-1].body["message"].startswith("Trunk Validation Error: ")
    assert fake.dump_state() == before


def test_domain_taken_across_accounts_is_21248_and_freed_after_delete(
    fake: FakeTrunkingService,
) -> None:
    ours = fake.client().trunking.v1.trunks
    theirs = fake.client("AC" + "b" * 32).trunking.v1.trunks
    first = ours.create(domain_name="shared.pstn.twilio.com")
    before = fake.dump_state()
    for trunks in (ours, theirs):
        for domain in ("shared.pstn.twilio.com", "SHARED.pstn.twilio.com"):
            err = rest_error(trunks.create, domain_name=domain)
            assert (err.status, err.code) == (400, 21248)
            assert fake.calls[-1].body["message"] == "Trunk Domain already taken"
    other = theirs.create().sid
    before = fake.dump_state()
    err = rest_error(theirs(other).update, domain_name="shared.pstn.twilio.com")
    assert (err.status, err.code) == (400, 21248)
    assert fake.dump_state() == before
    # updating a trunk to its own domain (even in another case) is fine
    assert ours(first.sid).update(domain_name="Shared.pstn.twilio.com").domain_name == (
        "Shared.pstn.twilio.com"
    )
    ours(first.sid).delete()
    assert theirs.create(domain_name="shared.pstn.twilio.com").account_sid == "AC" + "b" * 32


def test_domain_moves_when_a_trunk_changes_its_domain(trunks: Any) -> None:
    sid = trunks.create(domain_name="old.pstn.twilio.com").sid
    trunks(sid).update(domain_name="new.pstn.twilio.com")
    assert trunks.create(domain_name="old.pstn.twilio.com").domain_name == "old.pstn.twilio.com"
    assert rest_error(trunks.create, domain_name="new.pstn.twilio.com").code == 21248


# -- 21244: the trunk limit -----------------------------------------------------------------


def test_the_101st_trunk_is_400_21244() -> None:
    with FakeTrunkingService(seed=3) as fake:
        fake.seed_trunks(count=99)
        trunks = fake.client().trunking.v1.trunks
        trunks.create()
        before = fake.dump_state()
        err = rest_error(trunks.create, friendly_name="one too many")
        assert (err.status, err.code) == (400, 21244)
        assert fake.calls[-1].body["message"] == "Maximum Number of Trunks reached"
        assert fake.dump_state() == before
        # the limit is per account
        assert fake.client("AC" + "c" * 32).trunking.v1.trunks.create().sid
        # a delete makes room again
        trunks(trunks.list(limit=1)[0].sid).delete()
        assert trunks.create().sid


def test_configurable_limit_and_unlimited() -> None:
    with FakeTrunkingService(max_trunks_per_account=2) as fake:
        trunks = fake.client().trunking.v1.trunks
        trunks.create()
        trunks.create()
        assert rest_error(trunks.create).code == 21244
        with pytest.raises(Exception) as info:
            fake.seed_trunks(count=1)
        assert getattr(info.value, "code", None) == 21244
    with FakeTrunkingService(max_trunks_per_account=None) as fake:
        fake.seed_trunks(count=150)
        trunks = fake.client().trunking.v1.trunks
        assert trunks.create().sid
        assert len(fake.store.account(fake.default_account_sid).trunks) == 151


# -- 404/20404 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sid",
    [
        "TK" + "0" * 32,  # well-formed, unknown
        "TK71",  # too short
        "TK" + "g" * 32,  # not hex
        "OU" + "0" * 32,  # another resource's prefix
    ],
)
def test_unknown_or_malformed_sid_is_404(trunks: Any, sid: str) -> None:
    message = f"The requested resource /Trunks/{sid} was not found"
    for call in (trunks(sid).fetch, trunks(sid).update, trunks(sid).delete):
        err = rest_error(call)
        assert (err.status, err.code) == (404, 20404)
        assert err.msg.endswith(": " + message)
        assert err.uri == f"/Trunks/{sid}"


def test_upper_case_hex_sid_of_an_existing_trunk_is_not_the_same_trunk(trunks: Any) -> None:
    sid = trunks.create().sid
    assert rest_error(trunks("TK" + sid[2:].upper()).fetch).status == 404


# -- 405/20004 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/Trunks"),
        ("PUT", "/v1/Trunks"),
        ("PATCH", "/v1/Trunks"),
        ("PUT", "/v1/Trunks/TK" + "0" * 32),
        ("PATCH", "/v1/Trunks/TK" + "0" * 32),
    ],
)
def test_method_not_allowed_is_405(client: Any, method: str, path: str) -> None:
    response = client.request(method, "https://trunking.twilio.com" + path)
    import json

    body = json.loads(response.text)
    assert response.status_code == 405
    assert body == {
        "code": 20004,
        "message": "Method not allowed",
        "more_info": "https://www.twilio.com/docs/errors/20004",
        "status": 405,
    }


# -- 500/20500 ------------------------------------------------------------------------------


def test_a_bug_inside_the_fake_is_a_500_twilio_body(
    fake: FakeTrunkingService, trunks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fake_trunking.apis.trunking_v1.trunk import Trunk

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(Trunk, "render", broken)
    err = rest_error(trunks.create)
    assert (err.status, err.code) == (500, 20500)
    assert err.msg == "Unable to create record: Internal Server Error: boom"
    assert_error(fake.calls[-1].response, 500, 20500, "Internal Server Error: boom")
    monkeypatch.undo()
    # the fake keeps working after the bug
    assert trunks.create().sid


def test_errors_carry_json_and_a_request_id(fake: FakeTrunkingService) -> None:
    response = raw(fake, "GET", "/v1/Trunks/TK71")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Twilio-Request-Id"].startswith("RQ")
    assert_error(response, 404, 20404, "The requested resource /Trunks/TK71 was not found")
