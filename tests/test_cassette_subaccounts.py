"""Issue 15: cassettes carry subaccounts and numbers moved between accounts.

``fake.load_cassette`` (the final state) and ``verify``'s starting state (what existed before the
session) rebuild the accounts a cassette shows (``account_records``: SID, owner, friendly name,
status, type, dates; never an auth token, which is derived and scrubbed), a subaccount known only
because its main account used its paths, and a number moved with ``AccountSid`` (in the gaining
account's registry, off its old trunk; released when its account is closed). Scrubbing gives
each subaccount SID its own placeholder (``AC…01``, ``AC…02``, … in order of first appearance),
so the family survives it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from fake_trunking import FakeTrunkingService
from fake_trunking.cassettes import CassetteError, read_cassette, verify
from fake_trunking.cassettes.seed import final_state, initial_state
from fake_trunking.server.files import StateFile

from .canary import CANARY, assert_no_leak

FIRST_SUB = "AC" + "0" * 31 + "1"  # the placeholder scrubbing gives the second account seen
SECOND_SUB = "AC" + "0" * 31 + "2"


@pytest.fixture
def fake() -> Iterator[FakeTrunkingService]:
    # seed=0: verify replays AvailablePhoneNumbers searches against a seed=0 fake
    with FakeTrunkingService(seed=0) as service:
        yield service


def code_of(call: Any, *args: Any, **kwargs: Any) -> Tuple[int, int]:
    """``(status, code)`` of the Twilio error a call answers (a list's too)."""
    try:
        call(*args, **kwargs)
    except TwilioRestException as error:
        return error.status, error.code
    except TwilioException as error:
        body = json.loads(error.args[1].text)
        return body["status"], body["code"]
    raise AssertionError("no error")


def buy(client: Client) -> Any:
    (found,) = client.available_phone_numbers("US").local.list(limit=1)
    return client.incoming_phone_numbers.create(phone_number=found.phone_number)


def as_main(fake: FakeTrunkingService, sub: str) -> Client:
    """The main account's own credentials on a subaccount's paths (the helper libraries' way)."""
    return Client(fake.default_account_sid, fake.auth_token(), sub)


def family_session(fake: FakeTrunkingService) -> Dict[str, Any]:
    """Two subaccounts; one number moved into the first (off its trunk), one kept on the trunk;
    the second subaccount suspended; a trunk and a list of the first subaccount's own."""
    client = fake.client()
    first = client.api.accounts.create(friendly_name="customer 1")
    second = client.api.accounts.create(friendly_name="customer 2")
    moved, kept = buy(client), buy(client)
    trunk = client.trunking.v1.trunks.create(friendly_name="main trunk")
    for number in (moved, kept):
        client.trunking.v1.trunks(trunk.sid).phone_numbers.create(phone_number_sid=number.sid)
    assert client.incoming_phone_numbers(moved.sid).update(account_sid=first.sid).trunk_sid is None
    own = Client(first.sid, fake.auth_token(first.sid))
    sub_trunk = own.trunking.v1.trunks.create(friendly_name="customer trunk")
    sub_list = own.sip.credential_lists.create(friendly_name="customer users")
    client.api.accounts(second.sid).update(status="suspended")
    return {
        "first": first.sid,
        "second": second.sid,
        "moved": (moved.sid, moved.phone_number),
        "kept": kept.sid,
        "trunk": trunk.sid,
        "sub_trunk": sub_trunk.sid,
        "sub_list": sub_list.sid,
    }


# -- load_cassette: the final state ------------------------------------------------------------


def test_load_cassette_rebuilds_subaccounts_and_a_moved_number(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    family_session(fake)
    path = tmp_path / "family.yaml"
    fake.save_cassette(path)
    with FakeTrunkingService(seed=7) as other:
        other.load_cassette(path)
        main = other.default_account_sid
        client = other.client()
        listed = [(a.sid, a.owner_account_sid, a.friendly_name, a.status, a.type)
                  for a in client.api.accounts.list()]  # fmt: skip
        assert listed[1:] == [
            (FIRST_SUB, main, "customer 1", "active", "Full"),
            (SECOND_SUB, main, "customer 2", "suspended", "Full"),
        ]
        assert listed[0][0] == main and listed[0][1] == main
        # the moved number is the subaccount's, on no trunk; the kept one stays on the trunk
        (number,) = as_main(other, FIRST_SUB).incoming_phone_numbers.list()
        assert (number.account_sid, number.trunk_sid) == (FIRST_SUB, None)
        (kept,) = client.incoming_phone_numbers.list()
        (trunk,) = client.trunking.v1.trunks.list()
        assert kept.trunk_sid == trunk.sid
        assert [n.sid for n in client.trunking.v1.trunks(trunk.sid).phone_numbers.list()] == [
            kept.sid
        ]
        assert code_of(client.incoming_phone_numbers(number.sid).fetch) == (404, 20404)
        # the subaccount's token is derived from the loading fake's main token: it works
        own = Client(FIRST_SUB, other.auth_token(FIRST_SUB))
        assert [n.sid for n in own.incoming_phone_numbers.list()] == [number.sid]
        assert [t.friendly_name for t in own.trunking.v1.trunks.list()] == ["customer trunk"]
        assert [c.friendly_name for c in own.sip.credential_lists.list()] == ["customer users"]
        # the suspended one is suspended: its credentials are refused until it is reactivated
        second = Client(SECOND_SUB, other.auth_token(SECOND_SUB))
        assert code_of(second.incoming_phone_numbers.list) == (401, 20005)
        client.api.accounts(SECOND_SUB).update(status="active")
        assert second.incoming_phone_numbers.list() == []
        # and the family still works as a family: the number moves back to its main account
        on_sub = as_main(other, FIRST_SUB)
        back = on_sub.incoming_phone_numbers(number.sid).update(account_sid=main)
        assert back.account_sid == main
        # a subaccount makes no subaccount (its record says whose it is)
        assert code_of(own.api.accounts.create) == (401, 20003)
    # the same session replays clean (the subaccount's own requests as the fake's SID for it)
    result = verify(path)
    assert result.ok, result.report()
    assert result.agreed == len(fake.calls) == 13


def test_load_cassette_of_a_closed_subaccount_releases_its_numbers(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    client = fake.client()
    sub = client.api.accounts.create(friendly_name="leaving")
    number = buy(client)
    client.incoming_phone_numbers(number.sid).update(account_sid=sub.sid)
    client.api.accounts(sub.sid).update(status="suspended")
    client.api.accounts(sub.sid).update(status="closed")
    path = tmp_path / "closed.yaml"
    fake.save_cassette(path)
    with FakeTrunkingService(seed=0) as other:
        other.load_cassette(path)
        client = other.client()
        assert client.api.accounts(FIRST_SUB).fetch().status == "closed"
        assert as_main(other, FIRST_SUB).incoming_phone_numbers.list() == []
        assert client.incoming_phone_numbers.list() == []
        # released: for sale again, to anyone
        again = client.incoming_phone_numbers.create(phone_number=number.phone_number)
        assert again.phone_number == number.phone_number
        state = other.dump_state()
    assert state["account_records"][FIRST_SUB]["status"] == "closed"
    assert all(not a["registry"]["PN"] or sid == other.default_account_sid
               for sid, a in state["accounts"].items())  # fmt: skip


def test_a_subaccount_known_only_through_its_paths_is_its_users_subaccount(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    """No Account answer shows it: a main account's answered request on its paths says whose
    it is (nothing else reaches another account's paths). Its record is made up."""
    sub = fake.client().api.accounts.create(friendly_name="made before").sid
    fake.calls.clear()  # the cassette starts here
    lists = as_main(fake, sub).sip.credential_lists
    made = lists.create(friendly_name="users")
    assert [c.sid for c in lists.list()] == [made.sid]
    path = tmp_path / "paths-only.yaml"
    fake.save_cassette(path)
    cassette = read_cassette(path)
    for state in (final_state(cassette), initial_state(cassette)):
        record = state["account_records"][FIRST_SUB]
        assert record["owner_account_sid"] == "AC" + "0" * 32
        assert (record["status"], record["friendly_name"]) == ("active", "unknown")
    with FakeTrunkingService() as other:
        other.load_cassette(path)
        assert [c.sid for c in as_main(other, FIRST_SUB).sip.credential_lists.list()] == [made.sid]
        assert other.client().sip.credential_lists.list() == []  # not the main account's
    result = verify(path)
    assert result.ok, result.report()


# -- verify: the starting state ----------------------------------------------------------------


def test_verify_create_move_suspend_close_replays_clean(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    client = fake.client()
    sub = client.api.accounts.create(friendly_name="customer")
    number = buy(client)
    trunk = client.trunking.v1.trunks.create(friendly_name="t")
    client.trunking.v1.trunks(trunk.sid).phone_numbers.create(phone_number_sid=number.sid)
    client.incoming_phone_numbers(number.sid).update(account_sid=sub.sid)
    own = Client(sub.sid, fake.auth_token(sub.sid))  # the new subaccount's own credentials
    assert [n.sid for n in own.incoming_phone_numbers.list()] == [number.sid]
    assert own.api.accounts(sub.sid).fetch().status == "active"
    assert client.trunking.v1.trunks(trunk.sid).phone_numbers.list() == []
    client.api.accounts(sub.sid).update(status="suspended")
    assert code_of(own.incoming_phone_numbers.list) == (401, 20005)
    client.api.accounts(sub.sid).update(status="closed")
    assert as_main(fake, sub.sid).incoming_phone_numbers.list() == []
    assert [a.status for a in client.api.accounts.list()] == ["active", "closed"]
    path = tmp_path / "lifecycle.yaml"
    fake.save_cassette(path)
    result = verify(path)
    assert result.ok, result.report()
    assert result.agreed == len(fake.calls) == 14


def pre_existing_family(fake: FakeTrunkingService) -> Dict[str, str]:
    """A suspended subaccount with a number and a list, made before the cassette starts."""
    client = fake.client()
    sub = client.api.accounts.create(friendly_name="customer")
    number = buy(client)
    client.incoming_phone_numbers(number.sid).update(account_sid=sub.sid)
    listed = as_main(fake, sub.sid).sip.credential_lists.create(friendly_name="users")
    client.api.accounts(sub.sid).update(status="suspended")
    fake.calls.clear()  # the cassette starts here
    return {"sub": sub.sid, "number": number.sid, "list": listed.sid}


def test_verify_a_session_on_a_pre_existing_subaccount(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    """Fetched (suspended), its number and list read, the number moved to the main account,
    then reactivated: verify's starting state holds the subaccount as first seen."""
    ids = pre_existing_family(fake)
    client = fake.client()
    main = fake.default_account_sid
    assert client.api.accounts(ids["sub"]).fetch().status == "suspended"
    on_sub = as_main(fake, ids["sub"])
    assert [n.sid for n in on_sub.incoming_phone_numbers.list()] == [ids["number"]]
    assert on_sub.sip.credential_lists(ids["list"]).fetch().friendly_name == "users"
    own = Client(ids["sub"], fake.auth_token(ids["sub"]))
    assert code_of(own.sip.credential_lists.list) == (401, 20005)
    moved = on_sub.incoming_phone_numbers(ids["number"]).update(account_sid=main)
    assert moved.account_sid == main
    client.api.accounts(ids["sub"]).update(status="active")
    assert [c.sid for c in own.sip.credential_lists.list()] == [ids["list"]]
    assert own.incoming_phone_numbers.list() == []
    path = tmp_path / "pre-existing-sub.yaml"
    fake.save_cassette(path)
    start = initial_state(read_cassette(path))
    record = start["account_records"][FIRST_SUB]
    assert (record["status"], record["friendly_name"]) == ("suspended", "customer")
    # the number was the subaccount's before the session (where the move found it)
    numbers = start["accounts"][FIRST_SUB]["registry"]["PN"]
    assert [n["account_sid"] for n in numbers] == [FIRST_SUB]
    result = verify(path)
    assert result.ok, result.report()
    assert result.agreed == len(fake.calls) == 8


def test_an_account_first_seen_changing_status_was_active_before(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    """An update that set ``Status`` shows the status after it: before, the account is taken
    as active (a main account may suspend or close an active one)."""
    sub = fake.client().api.accounts.create(friendly_name="customer").sid
    fake.calls.clear()
    fake.client().api.accounts(sub).update(status="closed")
    path = tmp_path / "close.yaml"
    fake.save_cassette(path)
    cassette = read_cassette(path)
    assert initial_state(cassette)["account_records"][FIRST_SUB]["status"] == "active"
    assert final_state(cassette)["account_records"][FIRST_SUB]["status"] == "closed"
    result = verify(path)
    assert result.ok, result.report()


def test_verify_still_catches_a_difference_on_a_subaccount(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    sub = fake.client().api.accounts.create(friendly_name="customer").sid
    fake.calls.clear()
    fake.client().api.accounts(sub).fetch()
    fake.client().api.accounts(sub).update(friendly_name="renamed")
    path = tmp_path / "edited.yaml"
    fake.save_cassette(path)
    text = path.read_text()
    assert text.count('"friendly_name":"renamed"') == 1
    path.write_text(text.replace('"friendly_name":"renamed"', '"friendly_name":"other"'))
    result = verify(path)
    assert not result.ok
    assert [(d.index, d.field) for d in result.differences] == [(2, "body.friendly_name")]


# -- a subaccount whose main account is not in the cassette ---------------------------------


def test_a_session_on_a_subaccounts_own_credentials_keeps_its_family(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    """The main account never made a request: it is only the subaccount's owner (its scrubbed
    placeholder), with no record and no objects. The subaccount stays its subaccount, so what
    the cassette shows a subaccount refused is refused again (docs/decisions.md)."""
    sub = fake.client().api.accounts.create(friendly_name="tests").sid
    fake.calls.clear()
    own = Client(sub, fake.auth_token(sub))
    assert own.api.accounts(sub).fetch().owner_account_sid == fake.default_account_sid
    own.sip.credential_lists.create(friendly_name="users")
    own.trunking.v1.trunks.create(friendly_name="t")
    assert code_of(own.api.accounts.create) == (401, 20003)
    path = tmp_path / "own.yaml"
    fake.save_cassette(path)
    result = verify(path)
    assert result.ok, result.report()
    with FakeTrunkingService() as other:
        other.load_cassette(path)  # the cassette's account (the subaccount) becomes the default
        mine = other.client()
        account = mine.api.accounts(other.default_account_sid).fetch()
        assert (account.owner_account_sid, account.friendly_name) == (FIRST_SUB, "tests")
        assert [c.friendly_name for c in mine.sip.credential_lists.list()] == ["users"]
        assert [t.friendly_name for t in mine.trunking.v1.trunks.list()] == ["t"]
        assert code_of(mine.api.accounts.create) == (401, 20003)
        assert [a.sid for a in mine.api.accounts.list()] == [other.default_account_sid]
    # with credentials configured, the loading fake's own token still authenticates it
    mine_sid = "AC" + "7" * 32
    with FakeTrunkingService(credentials={mine_sid: CANARY}) as other:
        other.load_cassette(path)
        assert other.auth_token() == CANARY
        assert other.client().api.accounts(mine_sid).fetch().owner_account_sid == FIRST_SUB
        assert [t.friendly_name for t in other.client().trunking.v1.trunks.list()] == ["t"]


def test_loading_as_an_account_the_cassette_already_has_is_refused(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    """Two accounts would become one: one line naming the file and the SID; nothing changes."""
    family_session(fake)
    path = tmp_path / "family.yaml"
    fake.save_cassette(path)
    with FakeTrunkingService() as other:
        kept = other.client().trunking.v1.trunks.create(friendly_name="kept").sid
        before = other.dump_state()
        with pytest.raises(CassetteError) as refused:
            other.load_cassette(path, account_sid=FIRST_SUB)
        text = str(refused.value)
        assert str(path) in text and FIRST_SUB in text and "\n" not in text
        assert other.dump_state() == before
        assert [t.sid for t in other.client().trunking.v1.trunks.list()] == [kept]


# -- scrubbing and secrets ---------------------------------------------------------------------


def test_scrubbing_gives_each_subaccount_its_own_placeholder(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    ids = family_session(fake)
    path = tmp_path / "family.yaml"
    fake.save_cassette(path)
    text = path.read_text()
    for real in (fake.default_account_sid, ids["first"], ids["second"]):
        assert real not in text
    cassette = read_cassette(path)
    assert cassette.accounts == ["AC" + "0" * 32, FIRST_SUB]  # the callers, scrubbed
    created = [json.loads(it.response_body) for it in cassette.interactions[:2]]
    assert [(a["sid"], a["owner_account_sid"]) for a in created] == [
        (FIRST_SUB, "AC" + "0" * 32),
        (SECOND_SUB, "AC" + "0" * 32),
    ]
    assert all(a["auth_token"] == "<redacted>" for a in created)
    moved = next(it for it in cassette.interactions if "AccountSid=" in (it.request_body or ""))
    assert moved.request_body == f"AccountSid={FIRST_SUB}"
    assert json.loads(moved.response_body)["account_sid"] == FIRST_SUB


def test_no_auth_token_in_any_cassette_or_state_file(tmp_path: Path) -> None:
    main = "AC" + "5" * 32
    with FakeTrunkingService(seed=0, credentials={main: CANARY}) as fake:
        client = fake.client()
        sub = client.api.accounts.create(friendly_name="customer")
        sub_token = fake.auth_token(sub.sid)
        assert sub.auth_token == sub_token and sub_token != CANARY
        own = Client(sub.sid, sub_token)
        assert own.api.accounts(sub.sid).fetch().auth_token == sub_token
        client.api.accounts.list()
        number = buy(client)
        client.incoming_phone_numbers(number.sid).update(account_sid=sub.sid)
        secrets = [CANARY, sub_token]
        path = tmp_path / "tokens.yaml"
        fake.save_cassette(path)
    assert_no_leak(path.read_bytes(), "a cassette with subaccounts", secrets)
    assert path.read_text().count('"auth_token": "<redacted>"') == 4  # create, fetch, list(2)
    with FakeTrunkingService(credentials={main: "another-token"}) as other:
        other.load_cassette(path, account_sid=main)
        state = other.dump_state()
        assert_no_leak(json.dumps(state), "a loaded cassette's dump_state", secrets)
        assert "auth_token" not in json.dumps(state["account_records"])
        saved = tmp_path / "loaded.json"
        StateFile(saved).save(other)
        assert_no_leak(saved.read_bytes(), "a loaded cassette's state file", secrets)
        # the loading fake derives the subaccount's token from its own main token
        token = other.auth_token(FIRST_SUB)
        assert token not in secrets
        (found,) = Client(FIRST_SUB, token).incoming_phone_numbers.list()
        assert found.sid == number.sid
        assert code_of(Client(FIRST_SUB, sub_token).incoming_phone_numbers.list) == (401, 20003)
        again = tmp_path / "again.yaml"
        other.client().api.accounts.list()
        other.save_cassette(again)
    assert_no_leak(again.read_bytes(), "a cassette of the loaded fake", [*secrets, token])
