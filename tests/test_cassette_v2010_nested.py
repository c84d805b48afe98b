"""Issue 15 (remaining part): cassettes rebuild the nested API v2010 objects.

``load_cassette`` and ``verify``'s starting state carry a list's IP addresses (in full), its
credentials (username, SID, dates; the password is never in a cassette, so a rebuilt credential
has none: ``password_hash`` null) and the account's API keys (SID, friendly name, dates; the
secret is scrubbed, so a rebuilt key cannot authenticate: ``secret_hash`` null). A state snapshot
with such a null round-trips through ``dump_state``/``load_state``; any other shape there is
refused with one line naming the field.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from fake_trunking import FakeTrunkingService
from fake_trunking.cassettes import verify
from fake_trunking.server.files import StateFile

from .canary import assert_no_leak
from .helpers import list_error

PASSWORD = "Nested-Passw0rd-alice"
NEW_PASSWORD = "Changed-Passw0rd-bob9"


@pytest.fixture
def fake() -> Iterator[FakeTrunkingService]:
    with FakeTrunkingService(seed=0) as service:
        yield service


def make_objects(client: Client) -> Dict[str, Any]:
    """Lists with credentials and addresses, and keys, each created, changed or deleted."""
    cl = client.sip.credential_lists.create(friendly_name="PBX users")
    creds = client.sip.credential_lists(cl.sid).credentials
    alice = creds.create(username="alice", password=PASSWORD)
    bob = creds.create(username="bob", password=PASSWORD)
    gone = creds.create(username="carol", password=PASSWORD)
    creds(bob.sid).update(password=NEW_PASSWORD)
    assert creds(gone.sid).delete()
    acl = client.sip.ip_access_control_lists.create(friendly_name="PBX addresses")
    ips = client.sip.ip_access_control_lists(acl.sid).ip_addresses
    gateway = ips.create(friendly_name="gateway", ip_address="192.0.2.10")
    office = ips.create(friendly_name="office", ip_address="198.51.100.0", cidr_prefix_length=24)
    dropped = ips.create(friendly_name="old", ip_address="203.0.113.7")
    ips(gateway.sid).update(friendly_name="gateway-1", ip_address="192.0.2.11")
    assert ips(dropped.sid).delete()
    ci = client.new_keys.create(friendly_name="ci")
    deploy = client.new_keys.create(friendly_name="deploy")
    revoked = client.new_keys.create(friendly_name="revoked")
    client.keys(deploy.sid).update(friendly_name="deploy-2")
    assert client.keys(revoked.sid).delete()
    return {
        "cl": cl.sid,
        "acl": acl.sid,
        "credentials": [(c.sid, c.username, c.date_created) for c in creds.list()],  # alice, bob
        "addresses": [
            (a.sid, a.friendly_name, a.ip_address, a.cidr_prefix_length, a.date_created)
            for a in ips.list()
        ],
        "keys": [(k.sid, k.friendly_name, k.date_created) for k in client.keys.list()],
        "secrets": [ci.secret, deploy.secret, revoked.secret],
        "alice": alice.sid,
        "office": office.sid,
    }


def seen(client: Client, cl: str, acl: str) -> Dict[str, Any]:
    creds = client.sip.credential_lists(cl).credentials
    ips = client.sip.ip_access_control_lists(acl).ip_addresses
    return {
        "credentials": [(c.sid, c.username, c.date_created) for c in creds.list()],
        "addresses": [
            (a.sid, a.friendly_name, a.ip_address, a.cidr_prefix_length, a.date_created)
            for a in ips.list()
        ],
        "keys": [(k.sid, k.friendly_name, k.date_created) for k in client.keys.list()],
    }


def test_load_cassette_rebuilds_credentials_addresses_and_keys(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    made = make_objects(fake.client())
    assert [c[1] for c in made["credentials"]] == ["alice", "bob"]
    assert [a[1] for a in made["addresses"]] == ["gateway-1", "office"]
    assert [k[1] for k in made["keys"]] == ["ci", "deploy-2"]
    path = tmp_path / "nested.yaml"
    fake.save_cassette(path)
    with FakeTrunkingService(seed=9) as other:
        other.load_cassette(path)
        client = other.client()
        assert seen(client, made["cl"], made["acl"]) == {
            k: made[k] for k in ("credentials", "addresses", "keys")
        }
        # each one fetched: the fields of its last answer
        alice = client.sip.credential_lists(made["cl"]).credentials(made["alice"]).fetch()
        assert (alice.username, alice.credential_list_sid) == ("alice", made["cl"])
        office = client.sip.ip_access_control_lists(made["acl"]).ip_addresses(made["office"])
        got = office.fetch()
        assert (got.ip_address, got.cidr_prefix_length, got.friendly_name) == (
            "198.51.100.0",
            24,
            "office",
        )
        assert got.ip_access_control_list_sid == made["acl"]
        key_sid = made["keys"][1][0]
        assert client.keys(key_sid).fetch().friendly_name == "deploy-2"
        # the listing of lists shows them with their items
        (listed,) = client.sip.credential_lists.list()
        assert listed.sid == made["cl"]
        assert listed.subresource_uris["credentials"].endswith(f"/{made['cl']}/Credentials.json")
        # usable as any object: a username stays unique, a rebuilt credential takes a password
        with pytest.raises(TwilioRestException) as dup:
            client.sip.credential_lists(made["cl"]).credentials.create(
                username="alice", password=PASSWORD
            )
        assert dup.value.status == 400
        creds = client.sip.credential_lists(made["cl"]).credentials
        assert creds(made["alice"]).update(password=NEW_PASSWORD).username == "alice"
        state = other.dump_state()
    (account,) = state["accounts"].values()
    hashes = {c["username"]: c["password_hash"] for c in account["credentials"][made["cl"]]}
    assert hashes["bob"] is None  # never given one since the load
    assert hashes["alice"] is not None and hashes["alice"].startswith("pbkdf2_sha256$")
    assert [k["secret_hash"] for k in account["registry"]["SK"]] == [None, None]


def test_a_rebuilt_key_does_not_authenticate_a_known_one_still_does(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    client = fake.client()
    key = client.new_keys.create(friendly_name="ci")
    account = fake.default_account_sid
    assert [t.sid for t in Client(key.sid, key.secret, account).trunking.v1.trunks.list()] == []
    path = tmp_path / "key.yaml"
    fake.save_cassette(path)
    dumped = fake.dump_state()
    with FakeTrunkingService() as other:
        other.load_cassette(path)
        assert [k.sid for k in other.client().keys.list()] == [key.sid]
        for secret in (key.secret, "<redacted>"):
            status, body = list_error(Client(key.sid, secret, account).trunking.v1.trunks.list)
            assert (status, body["code"]) == (401, 20003)
        # the state of the fake that made it (its hash known) authenticates it as SK:secret
        other.load_state(dumped)
        keyed = Client(key.sid, key.secret, account)
        assert keyed.trunking.v1.trunks.list() == []
        assert keyed.sip.credential_lists.list() == []


def test_deleting_a_list_removes_its_items_from_the_loaded_state(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    client = fake.client()
    kept = client.sip.ip_access_control_lists.create(friendly_name="kept")
    client.sip.ip_access_control_lists(kept.sid).ip_addresses.create(
        friendly_name="a", ip_address="192.0.2.1"
    )
    acl = client.sip.ip_access_control_lists.create(friendly_name="gone")
    client.sip.ip_access_control_lists(acl.sid).ip_addresses.create(
        friendly_name="b", ip_address="192.0.2.2"
    )
    cl = client.sip.credential_lists.create(friendly_name="gone")
    client.sip.credential_lists(cl.sid).credentials.create(username="u", password=PASSWORD)
    assert client.sip.ip_access_control_lists(acl.sid).delete()
    assert client.sip.credential_lists(cl.sid).delete()
    path = tmp_path / "deleted.yaml"
    fake.save_cassette(path)
    with FakeTrunkingService() as other:
        other.load_cassette(path)
        (account,) = other.dump_state()["accounts"].values()
    assert list(account["ip_addresses"]) == [kept.sid]
    assert "credentials" not in account
    assert [a["sid"] for a in account["registry"]["AL"]] == [kept.sid]


def pre_existing(fake: FakeTrunkingService) -> Tuple[Client, Dict[str, str]]:
    """Objects made before the cassette starts (the call log is cleared after them)."""
    client = fake.client()
    cl = client.sip.credential_lists.create(friendly_name="users")
    cred = client.sip.credential_lists(cl.sid).credentials.create(
        username="alice", password=PASSWORD
    )
    other = client.sip.credential_lists(cl.sid).credentials.create(
        username="bob", password=PASSWORD
    )
    acl = client.sip.ip_access_control_lists.create(friendly_name="addresses")
    ip = client.sip.ip_access_control_lists(acl.sid).ip_addresses.create(
        friendly_name="gateway", ip_address="192.0.2.10", cidr_prefix_length=30
    )
    key = client.new_keys.create(friendly_name="ci")
    spare = client.new_keys.create(friendly_name="spare")
    fake.calls.clear()  # the cassette starts here
    ids = {"cl": cl.sid, "cred": cred.sid, "bob": other.sid, "acl": acl.sid, "ip": ip.sid}
    return client, {**ids, "key": key.sid, "spare": spare.sid}


def test_verify_a_session_on_pre_existing_credentials_addresses_and_keys(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    """Fetched, listed, updated and deleted, never created by the session: verify's starting
    state holds them as first seen (the lists too, known only through their items at first)."""
    client, ids = pre_existing(fake)
    creds = client.sip.credential_lists(ids["cl"]).credentials
    assert creds(ids["cred"]).fetch().username == "alice"
    assert client.sip.credential_lists(ids["cl"]).fetch().friendly_name == "users"
    assert creds(ids["cred"]).update(password=NEW_PASSWORD).username == "alice"
    assert [c.username for c in creds.list()] == ["alice", "bob"]
    assert creds(ids["cred"]).delete()
    ips = client.sip.ip_access_control_lists(ids["acl"]).ip_addresses
    assert ips(ids["ip"]).fetch().cidr_prefix_length == 30
    assert ips(ids["ip"]).update(cidr_prefix_length=24).cidr_prefix_length == 24
    assert ips.create(friendly_name="new", ip_address="192.0.2.99").friendly_name == "new"
    assert [a.cidr_prefix_length for a in ips.list()] == [24, 32]
    assert ips(ids["ip"]).delete()
    assert client.keys(ids["key"]).fetch().friendly_name == "ci"
    assert client.keys(ids["key"]).update(friendly_name="ci-2").friendly_name == "ci-2"
    assert [k.friendly_name for k in client.keys.list()] == ["ci-2", "spare"]
    assert client.keys(ids["key"]).delete()
    # a key made by the session authenticates in the replay too (its secret is in the answer)
    made = client.new_keys.create(friendly_name="made")
    assert [k.sid for k in client.keys.list()] == [ids["spare"], made.sid]
    path = tmp_path / "pre-existing.yaml"
    fake.save_cassette(path)
    result = verify(path)
    assert result.ok, result.report()
    assert result.agreed == len(fake.calls) == 16


def test_verify_a_session_that_only_deletes_pre_existing_items(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    """Deleted before any answer showed them: they existed, with made-up fields."""
    client, ids = pre_existing(fake)
    assert client.sip.credential_lists(ids["cl"]).credentials(ids["cred"]).delete()
    assert client.sip.ip_access_control_lists(ids["acl"]).ip_addresses(ids["ip"]).delete()
    assert client.keys(ids["key"]).delete()
    assert client.sip.credential_lists(ids["cl"]).credentials(ids["bob"]).fetch().username == "bob"
    assert client.sip.ip_access_control_lists(ids["acl"]).ip_addresses.list() == []
    path = tmp_path / "deletes.yaml"
    fake.save_cassette(path)
    result = verify(path)
    assert result.ok, result.report()
    assert result.agreed == 5


def test_verify_still_catches_a_difference_on_a_pre_existing_address(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    """The starting state is the first sighting, not the last: an edited answer differs."""
    client, ids = pre_existing(fake)
    ips = client.sip.ip_access_control_lists(ids["acl"]).ip_addresses
    ips(ids["ip"]).fetch()
    ips(ids["ip"]).update(friendly_name="renamed")
    path = tmp_path / "edited.yaml"
    fake.save_cassette(path)
    text = path.read_text()
    assert text.count('"friendly_name":"renamed"') == 1
    path.write_text(text.replace('"friendly_name":"renamed"', '"friendly_name":"other"'))
    result = verify(path)
    assert not result.ok
    assert [(d.index, d.field) for d in result.differences] == [(2, "body.friendly_name")]


def test_dump_and_load_round_trip_unknown_secrets(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    made = make_objects(fake.client())
    path = tmp_path / "nested.yaml"
    fake.save_cassette(path)
    with FakeTrunkingService() as other:
        other.load_cassette(path)
        first = other.dump_state()
        shown = seen(other.client(), made["cl"], made["acl"])
    (account,) = first["accounts"]
    with FakeTrunkingService() as third:
        third.load_state(json.loads(json.dumps(first)))
        assert third.dump_state() == first
        assert seen(third.client(account), made["cl"], made["acl"]) == shown
    assert shown == {k: made[k] for k in ("credentials", "addresses", "keys")}


def unknown_state(tmp_path: Path) -> Dict[str, Any]:
    """A snapshot with one credential and one key whose secrets are not known."""
    with FakeTrunkingService(seed=2) as maker:
        client = maker.client()
        cl = client.sip.credential_lists.create(friendly_name="users")
        client.sip.credential_lists(cl.sid).credentials.create(username="u", password=PASSWORD)
        client.new_keys.create(friendly_name="k")
        path = tmp_path / "unknown.yaml"
        maker.save_cassette(path)
    with FakeTrunkingService() as loader:
        loader.load_cassette(path)
        return loader.dump_state()


def _credential(state: Dict[str, Any]) -> Dict[str, Any]:
    (account,) = state["accounts"].values()
    (items,) = account["credentials"].values()
    return items[0]  # type: ignore[no-any-return]


def _key(state: Dict[str, Any]) -> Dict[str, Any]:
    (account,) = state["accounts"].values()
    return account["registry"]["SK"][0]  # type: ignore[no-any-return]


BAD_SHAPES: List[Tuple[str, Any, Any, str]] = [
    ("credential", "password_hash", "", "password_hash is not a salted hash"),
    ("credential", "password_hash", PASSWORD, "password_hash is not a salted hash"),
    ("credential", "password_hash", False, "password_hash is not a salted hash"),
    ("credential", "password_hash", {"unknown": True}, "password_hash is not a salted hash"),
    ("credential", "password_hash", KeyError, "['password_hash'] missing or unknown"),
    ("key", "secret_hash", "<redacted>", "secret_hash is not a salted hash"),
    ("key", "secret_hash", 0, "secret_hash is not a salted hash"),
    ("key", "secret_hash", KeyError, "['secret_hash'] missing or unknown"),
]


@pytest.mark.parametrize(("kind", "name", "value", "message"), BAD_SHAPES)
def test_a_bad_unknown_secret_shape_is_refused(
    tmp_path: Path, kind: str, name: str, value: Any, message: str
) -> None:
    good = unknown_state(tmp_path)
    assert _credential(good)["password_hash"] is None and _key(good)["secret_hash"] is None
    bad = copy.deepcopy(good)
    record = _credential(bad) if kind == "credential" else _key(bad)
    if value is KeyError:
        del record[name]
    else:
        record[name] = value
    with FakeTrunkingService() as fake:
        fake.load_state(good)
        with pytest.raises(ValueError) as refused:
            fake.load_state(bad)
        text = str(refused.value)
        assert message in text and "\n" not in text
        assert "credentials" in text if kind == "credential" else "registry.SK[0]" in text
        assert fake.dump_state() == good  # bad input changes nothing


def test_no_password_or_key_secret_in_any_cassette_or_state_file(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    made = make_objects(fake.client())
    secrets = [PASSWORD, NEW_PASSWORD, *made["secrets"]]
    cassette = tmp_path / "nested.yaml"
    fake.save_cassette(cassette)
    assert_no_leak(cassette.read_bytes(), "a saved cassette", secrets)
    assert_no_leak(json.dumps(fake.dump_state()), "the maker's dump_state", secrets)
    first = tmp_path / "state.json"
    StateFile(first).save(fake)
    assert_no_leak(first.read_bytes(), "the maker's state file", secrets)
    with FakeTrunkingService() as other:
        other.load_cassette(cassette)
        second = tmp_path / "loaded.json"
        StateFile(second).save(other)
        assert_no_leak(second.read_bytes(), "a loaded cassette's state file", secrets)
        again = tmp_path / "again.yaml"
        other.client().sip.credential_lists.list()
        other.save_cassette(again)
        assert_no_leak(again.read_bytes(), "a cassette of the loaded fake", secrets)
