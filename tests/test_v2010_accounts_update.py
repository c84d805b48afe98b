"""API v2010 Accounts beyond the caller's own fetch (issue 15, part 3): subaccounts
(``CreateAccount``, ``ListAccount``), ``UpdateAccount`` (FriendlyName, Status and what a status
means for later requests), closing (numbers released, final), and moving a number between a
main account and its subaccounts (``AccountSid`` on an IncomingPhoneNumber update)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from fake_trunking import FakeTrunkingServer, FakeTrunkingService
from fake_trunking.core.auth import subaccount_token

from .helpers import Clock, assert_error, raw

V2010 = "https://api.twilio.com"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 4, 15, 6, 7, tzinfo=timezone.utc))


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=1517, clock=clock) as service:
        yield service


@pytest.fixture
def client(fake: FakeTrunkingService) -> Any:
    return fake.client()


def code_of(call: Any, *args: Any, **kwargs: Any) -> Any:
    """``(status, code)`` of the Twilio error a call answers (a list's too: the twilio client
    raises a plain ``TwilioException`` holding the response for those)."""
    try:
        call(*args, **kwargs)
    except TwilioRestException as error:
        return error.status, error.code
    except TwilioException as error:
        body = json.loads(error.args[1].text)
        return body["status"], body["code"]
    raise AssertionError("no error")


# -- subaccounts: create, list, fetch ------------------------------------------------------


def test_create_list_and_fetch_subaccounts(fake: FakeTrunkingService, client: Any) -> None:
    main = fake.default_account_sid
    assert [a.sid for a in client.api.accounts.list()] == [main]  # just the caller at first
    first = client.api.accounts.create(friendly_name="customer 1")
    assert first.sid.startswith("AC") and first.sid != main
    assert (first.owner_account_sid, first.status, first.type) == (main, "active", "Full")
    assert first.friendly_name == "customer 1"
    assert first.uri == f"/2010-04-01/Accounts/{first.sid}.json"
    assert first.auth_token == fake.auth_token(first.sid)
    unnamed = client.api.accounts.create()
    # the spec: "defaults to SubAccount Created at {YYYY-MM-DD HH:MM meridian}"
    assert unnamed.friendly_name == "SubAccount Created at 2026-03-04 03:06 pm"
    more = [client.api.accounts.create(friendly_name=f"c{i}").sid for i in range(3)]
    everything = [main, first.sid, unnamed.sid, *more]
    assert [a.sid for a in client.api.accounts.list()] == everything
    assert [a.sid for a in client.api.accounts.list(page_size=2)] == everything
    assert [a.sid for a in client.api.accounts.stream(page_size=4)] == everything
    assert [a.sid for a in client.api.accounts.page(page_size=4).next_page()] == more[1:]
    assert [a.sid for a in client.api.accounts.list(friendly_name="c1")] == [more[1]]
    assert [a.sid for a in client.api.accounts.list(status="suspended")] == []
    fetched = client.api.accounts(first.sid).fetch()
    assert (fetched.sid, fetched.friendly_name, fetched.owner_account_sid) == (
        first.sid, "customer 1", main,
    )  # fmt: skip
    assert fetched.date_created == fetched.date_updated
    # the filters are kept in the page URIs, so next_page() walks the same filtered list
    page = raw(fake, "GET", "/2010-04-01/Accounts.json?Status=active&PageSize=2", base=V2010)
    body = page.json()
    assert body["next_page_uri"].startswith("/2010-04-01/Accounts.json?Status=active&PageSize=2")
    assert [a["sid"] for a in body["accounts"]] == everything[:2]


def test_bad_account_input_changes_nothing(fake: FakeTrunkingService, client: Any) -> None:
    sub = client.api.accounts.create(friendly_name="kept")
    before = fake.dump_state()
    accounts = "/2010-04-01/Accounts"
    for method, path, body in (
        ("POST", f"{accounts}.json", "FriendlyName=" + "n" * 65),
        ("POST", f"{accounts}/{sub.sid}.json", "Status=gone"),
        ("POST", f"{accounts}/{sub.sid}.json", "FriendlyName=" + "n" * 65),
        ("GET", f"{accounts}.json?Status=gone", ""),
    ):
        assert_error(raw(fake, method, path, body, base=V2010), 400, 20001)
    assert fake.dump_state() == before
    assert client.api.accounts(sub.sid).fetch().friendly_name == "kept"


def test_subaccount_credentials_reach_only_their_own_account(
    fake: FakeTrunkingService, client: Any
) -> None:
    main = fake.default_account_sid
    sub = client.api.accounts.create(friendly_name="one")
    sibling = client.api.accounts.create(friendly_name="two")
    mine = fake.client(sub.sid)
    assert [a.sid for a in mine.api.accounts.list()] == [sub.sid]  # itself only
    assert mine.api.accounts(sub.sid).fetch().owner_account_sid == main
    for call in (
        mine.api.accounts(main).fetch,
        mine.api.accounts(sibling.sid).fetch,
        lambda: mine.api.accounts(sibling.sid).update(friendly_name="x"),
        lambda: mine.api.accounts(main).update(friendly_name="x"),
        mine.api.accounts.create,  # a subaccount makes no subaccounts
    ):
        assert code_of(call) == (401, 20003)
    assert client.api.accounts(main).fetch().friendly_name == "fake-trunking account"
    assert [a.sid for a in client.api.accounts.list()] == [main, sub.sid, sibling.sid]


def test_a_main_account_reaches_its_subaccounts_v2010_resources(
    fake: FakeTrunkingService, client: Any
) -> None:
    main = fake.default_account_sid
    sub = client.api.accounts.create()
    # the helper libraries: main SID and token, the subaccount SID as the third parameter
    as_parent = Client(main, fake.auth_token(), sub.sid)
    made = as_parent.sip.credential_lists.create(friendly_name="for the customer")
    assert made.account_sid == sub.sid
    assert [c.sid for c in fake.client(sub.sid).sip.credential_lists.list()] == [made.sid]
    assert client.sip.credential_lists.list() == []  # not the main account's
    assert as_parent.api.accounts(sub.sid).fetch().sid == sub.sid
    # Trunking's paths name no account: the credentials' own
    trunk = fake.client(sub.sid).trunking.v1.trunks.create(friendly_name="sub trunk")
    assert trunk.account_sid == sub.sid
    assert client.trunking.v1.trunks.list() == []
    # an unrelated account's path stays 401/20003
    other = "AC" + "7" * 32
    assert code_of(Client(main, fake.auth_token(), other).sip.credential_lists.list) == (401, 20003)


def test_api_keys_reach_only_their_own_account() -> None:
    main, key, secret = "AC" + "b" * 32, "SK" + "c" * 32, "kw-secret"
    with FakeTrunkingService(credentials={main: "main-token"}, api_keys={key: (main, secret)}) as f:
        sub = f.client(main).api.accounts.create(friendly_name="s")
        # Twilio: "Main account API Keys are only available to access main account resources"
        keyed = Client(key, secret, sub.sid)
        assert code_of(keyed.api.accounts(sub.sid).fetch) == (401, 20003)
        assert code_of(keyed.sip.credential_lists.list) == (401, 20003)
        assert Client(key, secret, main).api.accounts.list()[1].sid == sub.sid
        # a Standard key (made through the Keys API) may not call the Accounts at all
        standard = f.client(main).new_keys.create()
        assert code_of(Client(standard.sid, standard.secret, main).api.accounts.list) == (
            401, 20003,
        )  # fmt: skip


def test_a_subaccount_token_is_derived_from_its_main_accounts() -> None:
    main = "AC" + "a" * 32
    with FakeTrunkingService(credentials={main: "the-main-token"}) as fake:
        sub = fake.client(main).api.accounts.create(friendly_name="s")
        token = subaccount_token("the-main-token", sub.sid)
        assert len(token) == 32 and token != "the-main-token"
        assert sub.auth_token == token == fake.auth_token(sub.sid)
        assert Client(sub.sid, token).api.accounts(sub.sid).fetch().auth_token == token
        assert code_of(Client(sub.sid, "the-main-token").api.accounts(sub.sid).fetch) == (
            401, 20003,
        )  # fmt: skip
        listed = fake.client(main).api.accounts.list()
        assert listed[1].auth_token == token
        # never logged (the call log scrubs auth_token, so cassettes and the server log do)
        assert all(token not in call.body for call in fake.calls)
        # never stored: not in a snapshot, yet the same after a load
        state = fake.dump_state()
        assert token not in json.dumps(state)
        fake.reset()
        assert code_of(Client(sub.sid, token).api.accounts(sub.sid).fetch) == (401, 20003)
        fake.load_state(state)
        assert Client(sub.sid, token).sip.credential_lists.list() == []


# -- UpdateAccount -------------------------------------------------------------------------


def test_friendly_name_updates(fake: FakeTrunkingService, client: Any, clock: Clock) -> None:
    main = fake.default_account_sid
    clock.advance(minutes=5)
    renamed = client.api.accounts(main).update(friendly_name="Acme production")
    assert (renamed.friendly_name, renamed.status) == ("Acme production", "active")
    assert renamed.date_updated > renamed.date_created
    assert client.api.accounts(main).fetch().friendly_name == "Acme production"
    assert client.api.accounts.list()[0].friendly_name == "Acme production"
    sub = client.api.accounts.create(friendly_name="before")
    # a subaccount renames itself; its main account renames it too
    own = fake.client(sub.sid).api.accounts(sub.sid)
    assert own.update(friendly_name="mine").friendly_name == "mine"
    assert client.api.accounts(sub.sid).update(friendly_name="theirs").friendly_name == "theirs"
    # the same status again is no change
    assert client.api.accounts(main).update(status="active").status == "active"


def test_who_may_change_a_status(fake: FakeTrunkingService, client: Any) -> None:
    main = fake.default_account_sid
    sub = client.api.accounts.create()
    before = fake.dump_state()
    # Twilio: "you cannot suspend your main account" (nor close it)
    for status in ("suspended", "closed"):
        assert code_of(client.api.accounts(main).update, status=status) == (400, 20001)
    # "You must use your main account's authentication credentials to suspend a subaccount"
    mine = fake.client(sub.sid)
    for status in ("suspended", "closed"):
        assert code_of(mine.api.accounts(sub.sid).update, status=status) == (401, 20003)
    assert fake.dump_state() == before


def test_a_suspended_subaccount_is_refused_until_reactivated(
    fake: FakeTrunkingService, client: Any
) -> None:
    sub = client.api.accounts.create()
    mine = fake.client(sub.sid)
    number = mine.incoming_phone_numbers.create(area_code="415")
    trunk = mine.trunking.v1.trunks.create(friendly_name="t")
    suspended = client.api.accounts(sub.sid).update(status="suspended")
    assert suspended.status == "suspended"
    # every request on the suspended account's credentials: 401/20005, in both APIs
    for call in (
        mine.api.accounts(sub.sid).fetch,
        mine.incoming_phone_numbers.list,
        mine.trunking.v1.trunks.list,
        lambda: mine.trunking.v1.trunks.create(friendly_name="x"),
    ):
        assert code_of(call) == (401, 20005)
    answer = raw(fake, "GET", "/v1/Trunks", account=sub.sid)
    assert_error(answer, 401, 20005, "Account not active")
    # its numbers stay (Twilio keeps charging for them); its main account still manages it
    as_parent = Client(fake.default_account_sid, fake.auth_token(), sub.sid)
    assert [n.sid for n in as_parent.incoming_phone_numbers.list()] == [number.sid]
    assert [a.sid for a in client.api.accounts.list(status="suspended")] == [sub.sid]
    reactivated = client.api.accounts(sub.sid).update(status="active")
    assert reactivated.status == "active"
    assert [t.sid for t in mine.trunking.v1.trunks.list()] == [trunk.sid]
    assert mine.incoming_phone_numbers(number.sid).fetch().trunk_sid is None  # not on it before


def test_closing_releases_the_numbers_and_is_final(fake: FakeTrunkingService, client: Any) -> None:
    main = fake.default_account_sid
    sub = client.api.accounts.create(friendly_name="leaving")
    mine = fake.client(sub.sid)
    trunk = mine.trunking.v1.trunks.create(friendly_name="t")
    number = mine.incoming_phone_numbers.create(area_code="415", trunk_sid=trunk.sid)
    lists = mine.sip.credential_lists.create(friendly_name="kept")
    closed = client.api.accounts(sub.sid).update(status="closed")
    assert closed.status == "closed"
    # "Twilio will release all phone numbers in the subaccount": for sale again at once
    as_parent = Client(main, fake.auth_token(), sub.sid)
    assert as_parent.incoming_phone_numbers.list() == []
    bought = client.incoming_phone_numbers.create(phone_number=number.phone_number)
    assert bought.account_sid == main
    # the closed account's credentials are refused; its data stays readable by its main account
    assert code_of(mine.trunking.v1.trunks.list) == (401, 20005)
    assert [c.sid for c in as_parent.sip.credential_lists.list()] == [lists.sid]
    assert [a.status for a in client.api.accounts.list(friendly_name="leaving")] == ["closed"]
    # but takes no more writes, and "you cannot reopen a closed account"
    before = fake.dump_state()
    assert code_of(as_parent.sip.credential_lists.create, friendly_name="x") == (401, 20005)
    assert code_of(as_parent.sip.credential_lists(lists.sid).delete) == (401, 20005)
    for status in ("active", "suspended"):
        assert code_of(client.api.accounts(sub.sid).update, status=status) == (400, 21479)
    assert fake.dump_state() == before
    assert client.api.accounts(sub.sid).update(status="closed").status == "closed"  # no change
    assert client.api.accounts(sub.sid).update(friendly_name="gone").friendly_name == "gone"


# -- moving a number (AccountSid) ----------------------------------------------------------


def test_a_main_account_moves_numbers_within_its_family(
    fake: FakeTrunkingService, client: Any
) -> None:
    main = fake.default_account_sid
    one = client.api.accounts.create(friendly_name="one")
    two = client.api.accounts.create(friendly_name="two")
    trunk = client.trunking.v1.trunks.create(friendly_name="main trunk")
    number = client.incoming_phone_numbers.create(area_code="415", trunk_sid=trunk.sid)
    assert [p.sid for p in client.trunking.v1.trunks(trunk.sid).phone_numbers.list()] == [
        number.sid
    ]
    # main -> subaccount: same SID, the subaccount's now, off the main account's trunk
    moved = client.incoming_phone_numbers(number.sid).update(account_sid=one.sid)
    assert (moved.sid, moved.account_sid, moved.trunk_sid) == (number.sid, one.sid, None)
    assert moved.uri == f"/2010-04-01/Accounts/{one.sid}/IncomingPhoneNumbers/{number.sid}.json"
    assert client.trunking.v1.trunks(trunk.sid).phone_numbers.list() == []
    assert client.incoming_phone_numbers.list() == []
    assert code_of(client.incoming_phone_numbers(number.sid).fetch) == (404, 20404)
    assert [n.sid for n in fake.client(one.sid).incoming_phone_numbers.list()] == [number.sid]
    # subaccount -> subaccount (on the main account's credentials), onto the gaining one's trunk
    theirs = fake.client(two.sid).trunking.v1.trunks.create(friendly_name="two's trunk")
    as_parent = Client(main, fake.auth_token(), one.sid)
    again = as_parent.incoming_phone_numbers(number.sid).update(
        account_sid=two.sid, trunk_sid=theirs.sid, friendly_name="moved twice"
    )
    assert (again.account_sid, again.trunk_sid, again.friendly_name) == (
        two.sid, theirs.sid, "moved twice",
    )  # fmt: skip
    two_client = fake.client(two.sid)
    linked = two_client.trunking.v1.trunks(theirs.sid).phone_numbers.list()
    assert [p.sid for p in linked] == [number.sid]
    assert fake.client(one.sid).incoming_phone_numbers.list() == []
    # subaccount -> main
    home = (
        Client(main, fake.auth_token(), two.sid)
        .incoming_phone_numbers(number.sid)
        .update(account_sid=main)
    )
    assert (home.account_sid, home.trunk_sid) == (main, None)
    assert two_client.trunking.v1.trunks(theirs.sid).phone_numbers.list() == []
    assert [n.sid for n in client.incoming_phone_numbers.list()] == [number.sid]
    # the index of owned numbers still knows it: not for sale
    assert code_of(fake.client(one.sid).incoming_phone_numbers.create,
                   phone_number=number.phone_number) == (400, 21422)  # fmt: skip
    # moving to its own account is no move
    assert client.incoming_phone_numbers(number.sid).update(account_sid=main).account_sid == main


def test_a_refused_move_changes_nothing(fake: FakeTrunkingService, client: Any) -> None:
    main = fake.default_account_sid
    one = client.api.accounts.create(friendly_name="one")
    two = client.api.accounts.create(friendly_name="two")
    resting = client.api.accounts.create(friendly_name="suspended")
    client.api.accounts(resting.sid).update(status="suspended")
    gone = client.api.accounts.create(friendly_name="closed")
    client.api.accounts(gone.sid).update(status="closed")
    trunk = client.trunking.v1.trunks.create(friendly_name="t")
    number = client.incoming_phone_numbers.create(area_code="415", trunk_sid=trunk.sid)
    theirs = fake.client(one.sid).incoming_phone_numbers.create(area_code="212")
    before = fake.dump_state()
    update = client.incoming_phone_numbers(number.sid).update
    # an account outside the family (21473), one not active (21472), a malformed SID (20001)
    assert code_of(update, account_sid="AC" + "9" * 32) == (400, 21473)
    assert code_of(update, account_sid=resting.sid) == (400, 21472)
    assert code_of(update, account_sid=gone.sid) == (400, 21472)
    assert code_of(update, account_sid="AC123") == (400, 20001)
    # a TrunkSid that is not a trunk of the gaining account
    assert code_of(update, account_sid=one.sid, trunk_sid=trunk.sid) == (400, 20001)
    # a subaccount's own credentials move nothing (main credentials only), not even to its main
    mine = fake.client(one.sid).incoming_phone_numbers(theirs.sid).update
    assert code_of(mine, account_sid=main) == (401, 20003)
    assert code_of(mine, account_sid=two.sid) == (401, 20003)
    assert fake.dump_state() == before


# -- state ---------------------------------------------------------------------------------


def _snapshot_with_subaccount(fake: FakeTrunkingService, client: Any) -> Dict[str, Any]:
    sub = client.api.accounts.create(friendly_name="saved")
    client.api.accounts(sub.sid).update(status="suspended")
    client.api.accounts(fake.default_account_sid).update(friendly_name="main, renamed")
    return fake.dump_state()


def test_state_carries_the_accounts(fake: FakeTrunkingService, client: Any) -> None:
    state = _snapshot_with_subaccount(fake, client)
    records = state["account_records"]
    assert len(records) == 2
    (sub,) = [sid for sid, r in records.items() if r["owner_account_sid"] != sid]
    with FakeTrunkingService(seed=1517) as other:
        other.load_state(state)
        again = other.client()
        assert again.api.accounts(fake.default_account_sid).fetch().friendly_name == (
            "main, renamed"
        )
        assert [(a.sid, a.status) for a in again.api.accounts.list()][1] == (sub, "suspended")
        assert code_of(other.client(sub).api.accounts(sub).fetch) == (401, 20005)
        assert other.dump_state() == state


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r, sub, main: r[sub].update(status="asleep"), "status must be one of"),
        (lambda r, sub, main: r[sub].update(type="Gold"), "type must be Trial or Full"),
        (lambda r, sub, main: r[sub].update(friendly_name="n" * 65), "friendly_name"),
        (lambda r, sub, main: r[sub].update(owner_account_sid="AC1"), "owner_account_sid"),
        (lambda r, sub, main: r[sub].update(sid=main), "sid differs from its key"),
        (lambda r, sub, main: r[sub].update(extra=1), "missing or unknown"),
        (lambda r, sub, main: r[sub].update(date_created="yesterday"), "date_created"),
        (lambda r, sub, main: r[main].update(status="suspended"), "a main account is always"),
        (lambda r, sub, main: r[main].update(owner_account_sid=sub), "itself a subaccount"),
    ],
)
def test_a_bad_account_record_is_refused_on_load(
    fake: FakeTrunkingService, client: Any, change: Any, message: str
) -> None:
    state = _snapshot_with_subaccount(fake, client)
    main = fake.default_account_sid
    records = state["account_records"]
    (sub,) = [sid for sid in records if sid != main]
    if "itself a subaccount" in message:  # main made a child of sub, sub left as it is
        records[main]["status"] = "active"
    change(records, sub, main)
    with FakeTrunkingService() as other:
        empty = other.dump_state()
        with pytest.raises(ValueError, match=message):
            other.load_state(state)
        assert other.dump_state() == empty


def test_a_closed_account_with_numbers_is_refused_on_load(
    fake: FakeTrunkingService, client: Any
) -> None:
    sub = client.api.accounts.create()
    fake.client(sub.sid).incoming_phone_numbers.create(area_code="415")
    state = fake.dump_state()
    state["account_records"][sub.sid]["status"] = "closed"
    with FakeTrunkingService() as other, pytest.raises(ValueError, match="no phone numbers"):
        other.load_state(state)


def test_accounts_survive_a_restart_of_a_durable_server(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with FakeTrunkingServer(seed=5, state_file=db) as server:
        client = server.client()
        sub = client.api.accounts.create(friendly_name="durable")
        number = client.incoming_phone_numbers.create(area_code="415")
        client.incoming_phone_numbers(number.sid).update(account_sid=sub.sid)
        client.api.accounts(sub.sid).update(status="suspended")
        main = server.fake.default_account_sid
    with FakeTrunkingServer(seed=5, state_file=db) as server:
        client = server.client(main)
        (found,) = client.api.accounts.list(friendly_name="durable")
        assert (found.sid, found.status) == (sub.sid, "suspended")
        assert code_of(server.client(sub.sid).incoming_phone_numbers.list) == (401, 20005)
        client.api.accounts(sub.sid).update(status="active")
        assert [n.sid for n in server.client(sub.sid).incoming_phone_numbers.list()] == [number.sid]


# -- the async client ------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_the_async_client_manages_subaccounts(fake: FakeTrunkingService) -> None:
    client = fake.async_client()
    own = fake.async_client(fake.default_account_sid)
    try:
        sub = await client.api.accounts.create_async(friendly_name="async")
        number = await client.incoming_phone_numbers.create_async(area_code="415")
        moved = await client.incoming_phone_numbers(number.sid).update_async(account_sid=sub.sid)
        assert moved.account_sid == sub.sid
        suspended = await client.api.accounts(sub.sid).update_async(status="suspended")
        assert suspended.status == "suspended"
        listed = await client.api.accounts.list_async(status="suspended")
        assert [a.sid for a in listed] == [sub.sid]
        own = fake.async_client(sub.sid)
        with pytest.raises(TwilioRestException) as info:
            await own.api.accounts(sub.sid).fetch_async()
        assert (info.value.status, info.value.code) == (401, 20005)
    finally:
        await client.http_client.close()
        await own.http_client.close()
