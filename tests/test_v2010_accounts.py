"""API v2010 Accounts and API Keys (issue 15), and the secrets v2010 bodies carry (SIP
passwords, key secrets, auth tokens): never returned, stored, logged or recorded in the clear."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlencode

import pytest
from twilio.rest import Client

from fake_trunking import FakeTrunkingServer, FakeTrunkingService, client_for
from fake_trunking.server.admin_client import AdminClient

from .canary import assert_no_leak
from .helpers import assert_error, raw, rest_error

V2010 = "https://api.twilio.com"
# a password that passes Twilio's rule and that every encoding changes (+ / = and a space)
CANARY_PASSWORD = "Canary+Pass/w0rd 7Q=x"


@pytest.fixture
def fake() -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=1516) as service:
        yield service


@pytest.fixture
def client(fake: FakeTrunkingService) -> Any:
    return fake.client()


# -- Accounts ---------------------------------------------------------------------------


def test_fetch_of_the_callers_own_account(fake: FakeTrunkingService, client: Any) -> None:
    sid = fake.default_account_sid
    account = client.api.accounts(sid).fetch()
    assert (account.sid, account.owner_account_sid, account.status, account.type) == (
        sid, sid, "active", "Full",
    )  # fmt: skip
    assert account.auth_token == fake.auth_token()
    assert account.uri == f"/2010-04-01/Accounts/{sid}.json"
    assert account.subresource_uris["keys"] == f"/2010-04-01/Accounts/{sid}/Keys.json"
    assert account.subresource_uris["sip"] == f"/2010-04-01/Accounts/{sid}/SIP.json"
    assert account.date_created == account.date_updated
    # the account the credentials are for is what a client checks them with
    assert client.api.account.fetch().sid == sid


def test_another_accounts_fetch_is_401(fake: FakeTrunkingService, client: Any) -> None:
    other = "AC" + "1" * 32
    error = rest_error(client.api.accounts(other).fetch)
    assert (error.status, error.code) == (401, 20003)
    assert_error(raw(fake, "GET", f"/2010-04-01/Accounts/{other}.json", base=V2010), 401, 20003)


def test_a_main_account_cannot_close_itself(fake: FakeTrunkingService) -> None:
    # UpdateAccount is served (tests/test_v2010_accounts_update.py), but Twilio: "you cannot
    # suspend your main account" (nor close it)
    sid = fake.default_account_sid
    update = raw(fake, "POST", f"/2010-04-01/Accounts/{sid}.json", "Status=closed", base=V2010)
    assert_error(update, 400, 20001)
    listed = raw(fake, "GET", "/2010-04-01/Accounts.json", base=V2010)
    assert [a["sid"] for a in listed.json()["accounts"]] == [sid]


def test_configured_credentials_are_checked_and_shown(tmp_path: Path) -> None:
    sid = "AC" + "a" * 32
    with FakeTrunkingService(credentials={sid: "the-real-token"}) as fake:
        assert fake.client(sid).api.accounts(sid).fetch().auth_token == "the-real-token"
        wrong = Client(sid, "not-it")
        error = rest_error(wrong.api.accounts(sid).fetch)
        assert (error.status, error.code) == (401, 20003)


# -- Keys -------------------------------------------------------------------------------


def test_keys_every_operation(fake: FakeTrunkingService, client: Any) -> None:
    made = client.new_keys.create(friendly_name="ci")
    assert made.sid.startswith("SK") and made.friendly_name == "ci"
    assert len(made.secret) == 32
    call = fake.calls[-1]
    assert (call.method, call.path, call.status) == (
        "POST", f"/2010-04-01/Accounts/{fake.default_account_sid}/Keys.json", 201,
    )  # fmt: skip
    fetched = client.keys(made.sid).fetch()
    assert (fetched.sid, fetched.friendly_name) == (made.sid, "ci")
    assert not hasattr(fetched, "secret") or getattr(fetched, "secret", None) is None
    assert "secret" not in fake.calls[-1].body  # shown once, at create
    assert client.keys(made.sid).update(friendly_name="ci 2").friendly_name == "ci 2"
    unnamed = client.new_keys.create()
    assert unnamed.friendly_name is None
    more = [client.new_keys.create(friendly_name=f"k{i}").sid for i in range(3)]
    everything = [made.sid, unnamed.sid, *more]
    assert [k.sid for k in client.keys.list(page_size=2)] == everything
    assert [k.sid for k in client.keys.stream(page_size=4)] == everything
    assert [k.sid for k in client.keys.page(page_size=4).next_page()] == more[2:]
    assert client.keys(made.sid).delete() is True
    assert [k.sid for k in client.keys.list()] == everything[1:]
    error = rest_error(client.keys(made.sid).fetch)
    assert (error.status, error.code) == (404, 20404)
    assert_error(
        raw(fake, "POST", f"/2010-04-01/Accounts/{fake.default_account_sid}/Keys.json",
            "FriendlyName=" + "k" * 65, base=V2010),
        400, 20001,
    )  # fmt: skip


def test_a_key_made_through_the_api_authenticates(fake: FakeTrunkingService, client: Any) -> None:
    account = fake.default_account_sid
    key = client.new_keys.create(friendly_name="deploy")
    keyed = Client(key.sid, key.secret, account)
    made = keyed.sip.credential_lists.create(friendly_name="by key")
    assert made.account_sid == account
    trunk = keyed.trunking.v1.trunks.create(friendly_name="by key")
    assert trunk.account_sid == account
    assert [t.sid for t in client.trunking.v1.trunks.list()] == [trunk.sid]
    wrong = Client(key.sid, "0" * 32, account)
    error = rest_error(wrong.trunking.v1.trunks.create, friendly_name="x")
    assert (error.status, error.code) == (401, 20003)
    client.keys(key.sid).delete()  # revoked
    error = rest_error(keyed.trunking.v1.trunks.create, friendly_name="x")
    assert (error.status, error.code) == (401, 20003)


def test_a_standard_key_may_not_manage_keys_or_the_account(
    fake: FakeTrunkingService, client: Any
) -> None:
    account = fake.default_account_sid
    key = client.new_keys.create()
    keyed = Client(key.sid, key.secret, account)
    for call in (keyed.new_keys.create, lambda: keyed.keys(key.sid).fetch(),
                 lambda: keyed.api.accounts(account).fetch()):  # fmt: skip
        error = rest_error(call)
        assert (error.status, error.code) == (401, 20003)
    assert [k.sid for k in client.keys.list()] == [key.sid]  # nothing changed


def test_keys_given_as_a_keyword_are_main_keys() -> None:
    account = "AC" + "b" * 32
    with FakeTrunkingService(api_keys={"SK" + "c" * 32: (account, "kw-secret")}) as fake:
        keyed = Client("SK" + "c" * 32, "kw-secret", account)
        assert keyed.api.accounts(account).fetch().sid == account
        made = keyed.new_keys.create(friendly_name="from main")
        assert [k.sid for k in keyed.keys.list()] == [made.sid]  # the keyword key is not listed
        assert fake.client(account).keys(made.sid).fetch().friendly_name == "from main"


def test_keys_are_per_account(fake: FakeTrunkingService, client: Any) -> None:
    mine = client.new_keys.create().sid
    other = fake.client("AC" + "d" * 32)
    assert other.keys.list() == []
    error = rest_error(other.keys(mine).fetch)
    assert (error.status, error.code) == (404, 20404)


def test_seeded_fakes_make_the_same_keys() -> None:
    def keys() -> Any:
        with FakeTrunkingService(seed=7) as fake:
            made = fake.client().new_keys.create()
            return made.sid, made.secret

    assert keys() == keys()


def test_async_client_keys_and_account(fake: FakeTrunkingService) -> None:
    import asyncio

    async def flow() -> Any:
        client = fake.async_client()
        key = await client.new_keys.create_async(friendly_name="async")
        account = await client.api.accounts(fake.default_account_sid).fetch_async()
        listed = await client.keys.list_async()
        await client.http_client.close()
        return key, account, listed

    key, account, listed = asyncio.run(flow())
    assert [k.sid for k in listed] == [key.sid] and account.sid == fake.default_account_sid


def test_server_mode_keys_and_account() -> None:
    with FakeTrunkingServer(seed=3, timeout=5.0) as server:
        account = "AC" + "2" * 32
        client = client_for(server.base_url, account, "t")
        assert client.api.accounts(account).fetch().uri == f"/2010-04-01/Accounts/{account}.json"
        key = client.new_keys.create(friendly_name="srv")
        from fake_trunking.clients.server_client import ServerHttpClient

        keyed = Client(key.sid, key.secret, account, http_client=ServerHttpClient(server.base_url))
        assert keyed.sip.credential_lists.create(friendly_name="x").account_sid == account


# -- secrets: never returned, stored, logged or recorded ----------------------------------


def test_the_password_canary_is_nowhere(
    fake: FakeTrunkingService, client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    cred = client.sip.credential_lists(cl).credentials.create(
        username="alice", password=CANARY_PASSWORD
    )
    client.sip.credential_lists(cl).credentials(cred.sid).update(password=CANARY_PASSWORD + "2")
    key = client.new_keys.create(friendly_name="k")
    token = fake.auth_token()
    client.api.accounts(fake.default_account_sid).fetch()
    secrets = (CANARY_PASSWORD, CANARY_PASSWORD + "2", key.secret)
    # the call log: bodies, repr, parameters
    for call in fake.calls:
        assert_no_leak(call.request.body, "a logged request body", secrets)
        assert_no_leak(call.response.body, "a logged response body", (*secrets, token))
        assert_no_leak(repr(call), "a call's repr", (*secrets, token))
    assert fake.calls[1].params["Password"] == "<redacted>"
    assert json.loads(fake.calls[-2].response.body)["secret"] == "<redacted>"
    # state, cassettes, logs
    assert_no_leak(json.dumps(fake.dump_state()), "dump_state", secrets)
    saved = fake.save_cassette(tmp_path / "v2010.yaml")
    text = saved.read_text()
    assert_no_leak(text, "a saved cassette", (*secrets, token))
    assert "Password=%3Credacted%3E" in text
    assert_no_leak(caplog.text, "the log", (*secrets, token))


def test_server_request_log_and_state_file_hold_no_password(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with FakeTrunkingServer(seed=5, timeout=5.0, state_file=state, state_sync=True) as server:
        account = "AC" + "3" * 32
        client = client_for(server.base_url, account, "t")
        cl = client.sip.credential_lists.create(friendly_name="PBX").sid
        client.sip.credential_lists(cl).credentials.create(username="bob", password=CANARY_PASSWORD)
        key = client.new_keys.create()
        log = json.dumps(AdminClient(server.base_url).requests())
        assert_no_leak(log, "the server's request log", (CANARY_PASSWORD, key.secret))
        assert "Password" in log  # the call is logged, its value is not
    assert_no_leak(state.read_text(), "the state file", (CANARY_PASSWORD, key.secret))


def test_a_recorded_cassette_with_a_password_is_scrubbed(tmp_path: Path) -> None:
    from fake_trunking.cassettes.format import Cassette, Interaction
    from fake_trunking.cassettes.save import write_cassette

    interaction = Interaction(
        method="POST",
        uri="https://api.twilio.com/2010-04-01/Accounts/AC" + "0" * 32
        + "/SIP/CredentialLists/CL" + "0" * 32 + "/Credentials.json",
        request_headers={},
        request_body=urlencode({"Username": "bob", "Password": CANARY_PASSWORD}),
        status=201,
        reason="Created",
        response_headers={},
        response_body='{"secret": "' + "s3cr3tS3cr3tValue" + '"}',
        account=None,
    )  # fmt: skip
    path = write_cassette(tmp_path / "rec.yaml", Cassette([interaction], {}))
    text = path.read_text()
    assert_no_leak(text, "a recorded cassette", (CANARY_PASSWORD, "s3cr3tS3cr3tValue"))
    with pytest.raises(Exception, match="refused to write"):
        write_cassette(
            tmp_path / "raw.yaml",
            Cassette([interaction], {}),
            before_save=lambda it: replace(it, request_body="Password=" + CANARY_PASSWORD),
        )
    assert not (tmp_path / "raw.yaml").exists()


def test_a_saved_v2010_flow_replays_and_a_miss_never_shows_the_password(
    fake: FakeTrunkingService, client: Any, tmp_path: Path
) -> None:
    from fake_trunking.cassettes.record import open_backend
    from fake_trunking.cassettes.replay import UnmatchedRequest

    cl = client.sip.credential_lists.create(friendly_name="PBX").sid
    client.sip.credential_lists(cl).credentials.create(username="alice", password=CANARY_PASSWORD)
    path = fake.save_cassette(tmp_path / "flow.yaml")
    with open_backend("replay", path, {}) as backend:
        replayed = backend.client()
        assert replayed.sip.credential_lists.create(friendly_name="PBX").sid == cl
        made = replayed.sip.credential_lists(cl).credentials.create(
            username="alice", password=CANARY_PASSWORD
        )
        assert made.username == "alice"
        with pytest.raises(UnmatchedRequest) as info:
            replayed.sip.credential_lists(cl).credentials.create(
                username="bob", password=CANARY_PASSWORD
            )
        assert_no_leak(str(info.value), "a replay miss", (CANARY_PASSWORD,))
        assert "Password=<redacted>" in str(info.value)
