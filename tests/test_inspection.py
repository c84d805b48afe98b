"""Inspection without HTTP: ``fake.calls``, ``assert_called`` and state snapshots."""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest

from fake_trunking import FakeTrunkingService, TwilioError

BASE = "https://trunking.twilio.com/v1"


def _origination(trunk: Any) -> Any:
    return trunk.origination_urls.create(
        weight=1, priority=2, enabled=True, friendly_name="pbx", sip_url="sip:pbx@example.com"
    )


def test_calls_record_what_was_served(fake: FakeTrunkingService, client: Any) -> None:
    created = client.trunking.v1.trunks.create(friendly_name="HQ", secure=True)
    client.trunking.v1.trunks.list(limit=5)
    post, get = fake.calls
    assert (post.method, post.path, post.status) == ("POST", "/v1/Trunks", 201)
    assert post.url == f"{BASE}/Trunks"
    assert post.params == {"FriendlyName": "HQ", "Secure": "true"}
    assert post.body["sid"] == created.sid and post.duration >= 0
    assert post.fault is None and post.exception is None
    assert (get.method, get.status, get.params) == ("GET", 200, {"PageSize": "5"})
    assert get.url == f"{BASE}/Trunks?PageSize=5"
    assert get.body["trunks"][0]["friendly_name"] == "HQ"


def test_assert_called_exact_regex_and_times(fake: FakeTrunkingService, client: Any) -> None:
    sid = client.trunking.v1.trunks.create(friendly_name="a").sid
    client.trunking.v1.trunks(sid).fetch()
    client.trunking.v1.trunks(sid).fetch()
    assert len(fake.assert_called("POST", "/v1/Trunks", times=1)) == 1
    fake.assert_called("post", "/Trunks")  # with or without /v1, any case of method
    fake.assert_called("GET", f"/Trunks/{sid}", times=2)
    fake.assert_called("GET", r"/Trunks/TK[0-9a-f]{32}", times=2)
    fake.assert_called("GET", re.compile(r"/v1/Trunks/TK\w+"))
    fake.assert_called("DELETE", "/Trunks/.*", times=0)


def test_assert_called_failure_lists_the_calls(fake: FakeTrunkingService, client: Any) -> None:
    sid = client.trunking.v1.trunks.create(friendly_name="a").sid
    with pytest.raises(AssertionError) as info:
        fake.assert_called("DELETE", r"/Trunks/TK\w+")
    text = str(info.value)
    assert (
        "expected DELETE /Trunks/TK\\w+ to be called at least once, it was called 0 times" in text
    )
    assert "calls served (1):" in text
    assert "1. POST /v1/Trunks -> 201" in text
    client.trunking.v1.trunks(sid).fetch()
    with pytest.raises(AssertionError, match="called 3 times, it was called 1 time"):
        fake.assert_called("GET", f"/Trunks/{sid}", times=3)


def test_assert_called_failure_shows_faults_and_keeps_the_list_short(
    fake: FakeTrunkingService,
) -> None:
    fake.inject_fault(503, times=None)
    client = fake.client()
    for _ in range(40):
        with pytest.raises(Exception):  # noqa: B017 - any failure; we only want the log
            client.trunking.v1.trunks.list()
    with pytest.raises(AssertionError) as info:
        fake.assert_called("POST", "/Trunks")
    text = str(info.value)
    assert "... 10 earlier calls not shown" in text
    assert "40. GET /v1/Trunks -> 503 (injected fault)" in text


def test_snapshots_are_the_api_bodies(fake: FakeTrunkingService, client: Any) -> None:
    trunk = client.trunking.v1.trunks.create(friendly_name="HQ", domain_name="hq.pstn.twilio.com")
    ctx = client.trunking.v1.trunks(trunk.sid)
    _origination(ctx)
    ctx.credentials_lists.create(credential_list_sid=fake.seed_credential_list())
    ctx.ip_access_control_lists.create(
        ip_access_control_list_sid=fake.seed_ip_access_control_list()
    )
    ctx.phone_numbers.create(phone_number_sid=fake.seed_phone_number())
    ctx.recordings().update(mode="record-from-answer")

    def listed(path: str, key: str) -> List[Dict[str, Any]]:
        client.request("GET", f"{BASE}{path}")
        body: Dict[str, Any] = fake.calls[-1].body
        return list(body[key])

    tk = f"/Trunks/{trunk.sid}"
    assert fake.trunks() == listed("/Trunks", "trunks")
    assert fake.origination_urls(trunk.sid) == listed(f"{tk}/OriginationUrls", "origination_urls")
    assert fake.credential_lists(trunk.sid) == listed(f"{tk}/CredentialLists", "credential_lists")
    assert fake.ip_access_control_lists(trunk.sid) == listed(
        f"{tk}/IpAccessControlLists", "ip_access_control_lists"
    )
    assert fake.phone_numbers(trunk.sid) == listed(f"{tk}/PhoneNumbers", "phone_numbers")
    client.request("GET", f"{BASE}{tk}/Recording")
    assert (
        fake.recording(trunk.sid)
        == fake.calls[-1].body
        == {
            "mode": "record-from-answer",
            "trim": "do-not-trim",
        }
    )
    assert fake.trunks()[0]["auth_type_set"] == ["CREDENTIAL_LIST", "IP_ACL"]


def test_snapshots_are_copies_and_make_no_calls(fake: FakeTrunkingService) -> None:
    sid = fake.seed_trunks(friendly_name="orig")[0]
    snapshot = fake.trunks()
    snapshot[0]["friendly_name"] = "mutated"
    snapshot[0]["recording"]["mode"] = "mutated"
    snapshot[0]["auth_type_set"].append("X")
    fresh = fake.trunks()[0]
    assert fresh["friendly_name"] == "orig"
    assert fresh["recording"]["mode"] == "do-not-record"
    assert fresh["auth_type_set"] == []
    assert fake.recording(sid)["mode"] == "do-not-record"
    assert fake.calls == []


def test_snapshots_respect_accounts(fake: FakeTrunkingService) -> None:
    other = "AC" + "1" * 32
    mine = fake.seed_trunks()[0]
    theirs = fake.seed_trunks(other, count=2)
    assert [t["sid"] for t in fake.trunks()] == [mine]
    assert [t["sid"] for t in fake.trunks(other)] == theirs
    assert fake.origination_urls(theirs[0], account_sid=other) == []
    with pytest.raises(TwilioError) as info:
        fake.origination_urls(theirs[0])  # not in the default account
    assert (info.value.status, info.value.code) == (404, 20404)
    assert "/Trunks/" in info.value.message


def test_reading_an_unknown_account_creates_nothing(fake: FakeTrunkingService) -> None:
    stranger = "AC" + "2" * 32
    assert fake.trunks(stranger) == []
    with pytest.raises(TwilioError):
        fake.recording("TK" + "0" * 32, account_sid=stranger)
    assert stranger not in fake.store.accounts
    assert fake.dump_state()["accounts"] == {}
