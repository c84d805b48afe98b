"""Authentication (401/20003) and accounts: Basic auth with account SIDs and API keys, configured
credentials, and account isolation of trunks."""

from __future__ import annotations

from typing import Any

import pytest
from twilio.rest import Client

from fake_trunking import FakeTrunkingService

from .helpers import assert_error, basic, raw, rest_error

A = "AC" + "1" * 32
B = "AC" + "2" * 32
KEY = "SK" + "3" * 32
UNAUTHENTICATED = {
    "code": 20003,
    "message": "Authenticate",
    "detail": "Your AccountSid or AuthToken was incorrect.",
    "more_info": "https://www.twilio.com/docs/errors/20003",
    "status": 401,
}


def test_any_token_is_accepted_for_any_account_by_default(fake: FakeTrunkingService) -> None:
    trunk = Client(A, "whatever").trunking.v1.trunks.create(friendly_name="a")
    assert trunk.account_sid == A
    assert Client(A, "something else").trunking.v1.trunks(trunk.sid).fetch().friendly_name == "a"


def test_no_credentials_is_401_with_detail(
    fake: FakeTrunkingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    client = Client()  # sends no Authorization header at all
    err = rest_error(client.trunking.v1.trunks.create)
    assert (err.status, err.code) == (401, 20003)
    assert err.msg == "Unable to create record: Authenticate"
    assert fake.calls[-1].body == UNAUTHENTICATED
    assert "authorization" not in fake.calls[-1].request.headers


@pytest.mark.parametrize(
    "authorization",
    [
        basic("bob", "secret"),  # not an AC or SK SID
        basic("AC" + "1" * 31, "token"),  # too short
        basic("ac" + "1" * 32, "token"),  # lower-case prefix
        basic("US" + "1" * 32, "token"),
        "Basic not-base64!!",
        "Basic " + "QUM=",  # base64 without a colon
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
        "",
    ],
)
def test_malformed_or_unknown_auth_is_401(fake: FakeTrunkingService, authorization: str) -> None:
    response = raw(fake, "GET", "/v1/Trunks", auth=authorization)
    assert response.status == 401
    assert response.json() == UNAUTHENTICATED


def test_auth_is_checked_before_the_route(fake: FakeTrunkingService) -> None:
    assert raw(fake, "GET", "/v1/Nope", auth=None).status == 401
    assert raw(fake, "DELETE", "/v1/Trunks", auth=None).status == 401
    assert raw(fake, "GET", "/v1/Nope").status == 404


def test_configured_credentials_only_accept_their_tokens() -> None:
    with FakeTrunkingService(credentials={A: "token-a", B: "token-b"}) as fake:
        assert fake.default_account_sid == A  # the first configured account
        assert fake.client().trunking.v1.trunks.create().account_sid == A
        assert fake.client(B).trunking.v1.trunks.create().account_sid == B
        assert Client(A, "token-a").trunking.v1.trunks.list()[0].account_sid == A
        for client in (
            Client(A, "token-b"),
            Client(B, "token-a"),
            Client(A, ""),
            Client("AC" + "9" * 32, "token-a"),  # not a configured account
        ):
            err = rest_error(client.trunking.v1.trunks.create)
            assert (err.status, err.code) == (401, 20003)
            assert fake.calls[-1].body == UNAUTHENTICATED
        assert len(fake.dump_state()["accounts"]) == 2


def test_api_keys_act_for_their_account() -> None:
    with FakeTrunkingService(api_keys={KEY: (A, "key-secret")}) as fake:
        client = Client(KEY, "key-secret", A)
        trunk = client.trunking.v1.trunks.create(friendly_name="via key")
        assert trunk.account_sid == A
        # the key's account is the account: an AC client sees the same trunk
        assert fake.client(A).trunking.v1.trunks(trunk.sid).fetch().friendly_name == "via key"
        assert fake.client(B).trunking.v1.trunks.list() == []
        for bad in (
            Client(KEY, "wrong", A),
            Client("SK" + "4" * 32, "key-secret", A),  # unknown key
        ):
            err = rest_error(bad.trunking.v1.trunks.create)
            assert (err.status, err.code) == (401, 20003)


def test_api_key_account_wins_over_the_client_account_sid() -> None:
    # the Trunking URLs carry no account, so the key alone decides the account
    with FakeTrunkingService(api_keys={KEY: (A, "s")}):
        assert Client(KEY, "s", B).trunking.v1.trunks.create().account_sid == A


def test_api_keys_with_credentials() -> None:
    with FakeTrunkingService(credentials={A: "token-a"}, api_keys={KEY: (A, "s")}) as fake:
        assert Client(KEY, "s", A).trunking.v1.trunks.create().account_sid == A
        assert rest_error(Client(KEY, "token-a", A).trunking.v1.trunks.create).status == 401
        assert len(fake.client().trunking.v1.trunks.list()) == 1


def test_accounts_never_see_each_others_trunks(fake: FakeTrunkingService) -> None:
    ours = fake.client(A).trunking.v1.trunks
    theirs = fake.client(B).trunking.v1.trunks
    mine = [ours.create(friendly_name=f"a{i}").sid for i in range(3)]
    other = theirs.create(friendly_name="b").sid
    assert [t.sid for t in ours.list()] == mine
    assert [t.sid for t in theirs.list()] == [other]
    before = fake.dump_state()
    for call in (theirs(mine[0]).fetch, theirs(mine[0]).update, theirs(mine[0]).delete):
        err = rest_error(call)
        assert (err.status, err.code) == (404, 20404)
        assert (
            fake.calls[-1].body["message"]
            == f"The requested resource /Trunks/{mine[0]} was not found"
        )
    rest_error(theirs(mine[0]).update, friendly_name="hijacked")
    assert fake.dump_state() == before
    assert ours(mine[0]).fetch().friendly_name == "a0"


def test_requests_from_a_new_account_leave_no_trace(fake: FakeTrunkingService) -> None:
    fake.client(A).trunking.v1.trunks.create()
    before = fake.dump_state()
    newcomer = fake.client(B).trunking.v1.trunks
    assert newcomer.list() == []
    rest_error(newcomer("TK" + "0" * 32).fetch)
    rest_error(newcomer.create, friendly_name="x" * 65)
    assert fake.dump_state() == before
    assert_error(raw(fake, "GET", "/v1/Trunks/TK1", account=B), 404, 20404)
    assert fake.dump_state() == before


def test_default_account_client(fake: FakeTrunkingService, client: Any) -> None:
    assert client.username == fake.default_account_sid
    assert client.trunking.v1.trunks.create().account_sid == fake.default_account_sid
