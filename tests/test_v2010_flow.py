"""Issue 15's "Done when": the whole provisioning session, one function taking a twilio
``Client``, run unchanged in process, in server mode and from a cassette (replayed by the
plugin's replay backend, then ``verify``-ed), and a cassette of it seeding ``load_cassette``.

The flow: a credential list and a credential, an IP ACL and an IP address (API v2010), a search
of AvailablePhoneNumbers and the purchase of one (IncomingPhoneNumbers), a trunk with all three
associated (Trunking v1), everything read back through both APIs, then everything released.
Every response body is validated against its spec by the autouse fixture (tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from fake_trunking import FakeTrunkingServer, FakeTrunkingService, client_for
from fake_trunking.cassettes import open_backend, read_cassette, verify

ACCOUNT = "AC" + "5" * 32
PASSWORD = "Provision-Passw0rd-15"


def provision(client: Any, release: bool = True) -> Dict[str, Any]:
    """The provisioning session through the twilio client; what it saw (ids left out, so two
    fakes' runs compare). ``release=False`` stops before releasing anything."""
    cl = client.sip.credential_lists.create(friendly_name="PBX users")
    cred = client.sip.credential_lists(cl.sid).credentials.create(
        username="alice", password=PASSWORD
    )
    acl = client.sip.ip_access_control_lists.create(friendly_name="PBX addresses")
    ip = client.sip.ip_access_control_lists(acl.sid).ip_addresses.create(
        friendly_name="gateway", ip_address="192.0.2.10", cidr_prefix_length=32
    )
    offers = client.available_phone_numbers("US").local.list(area_code=206, limit=3)
    assert offers and all(o.phone_number.startswith("+1206") for o in offers)
    number = client.incoming_phone_numbers.create(
        phone_number=offers[0].phone_number, friendly_name="main line"
    )
    assert number.trunk_sid is None
    trunk = client.trunking.v1.trunks.create(friendly_name="pbx")
    on_trunk = client.trunking.v1.trunks(trunk.sid)
    on_trunk.credentials_lists.create(credential_list_sid=cl.sid)
    on_trunk.ip_access_control_lists.create(ip_access_control_list_sid=acl.sid)
    on_trunk.phone_numbers.create(phone_number_sid=number.sid)

    # read back through both APIs: one world
    fetched = client.incoming_phone_numbers(number.sid).fetch()
    assert fetched.trunk_sid == trunk.sid and fetched.friendly_name == "main line"
    mine = client.incoming_phone_numbers.list(phone_number=number.phone_number)
    assert [n.sid for n in mine] == [number.sid]
    assert [c.sid for c in on_trunk.credentials_lists.list()] == [cl.sid]
    assert [a.sid for a in on_trunk.ip_access_control_lists.list()] == [acl.sid]
    linked = on_trunk.phone_numbers.list()
    assert [(p.sid, p.phone_number) for p in linked] == [(number.sid, number.phone_number)]
    assert on_trunk.phone_numbers(number.sid).fetch().trunk_sid == trunk.sid
    assert [c.username for c in client.sip.credential_lists(cl.sid).credentials.list()] == [
        "alice"
    ]
    addresses = client.sip.ip_access_control_lists(acl.sid).ip_addresses.list()
    assert [(a.ip_address, a.cidr_prefix_length) for a in addresses] == [("192.0.2.10", 32)]
    assert client.sip.credential_lists(cl.sid).fetch().friendly_name == "PBX users"
    seen = {
        "number": number.phone_number[:5],
        "offers": len(offers),
        "trunk": trunk.friendly_name,
        "on_trunk": (len(linked), fetched.trunk_sid == trunk.sid),
        "credential": cred.username,
        "address": ip.ip_address,
    }
    if not release:
        return seen

    # release everything
    assert on_trunk.phone_numbers(number.sid).delete()
    assert client.incoming_phone_numbers(number.sid).fetch().trunk_sid is None
    assert client.incoming_phone_numbers(number.sid).delete()
    assert client.incoming_phone_numbers.list() == []
    assert on_trunk.delete()
    assert client.sip.ip_access_control_lists(acl.sid).ip_addresses(ip.sid).delete()
    assert client.sip.ip_access_control_lists(acl.sid).delete()
    assert client.sip.credential_lists(cl.sid).credentials(cred.sid).delete()
    assert client.sip.credential_lists(cl.sid).delete()
    assert client.sip.credential_lists.list() == []
    assert client.sip.ip_access_control_lists.list() == []
    assert client.trunking.v1.trunks.list() == []
    return seen


@pytest.fixture
def fake() -> Iterator[FakeTrunkingService]:
    # seed 0: what ``verify`` replays against, so the search offers the very same numbers
    with FakeTrunkingService(seed=0) as service:
        yield service


def test_the_flow_in_process(fake: FakeTrunkingService) -> None:
    seen = provision(fake.client())
    assert seen["number"] == "+1206" and seen["on_trunk"] == (1, True)
    paths = {c.path.split("/")[1] for c in fake.calls}
    assert paths == {"2010-04-01", "v1"}  # both APIs, one fake
    (state,) = fake.dump_state()["accounts"].values()
    assert state["trunks"] == [] and state["registry"] == {"CL": [], "AL": [], "PN": []}


def test_the_flow_in_server_mode(fake: FakeTrunkingService) -> None:
    expected = provision(fake.client())
    with FakeTrunkingServer(seed=0, timeout=5.0) as server:
        assert provision(client_for(server.base_url, ACCOUNT, "token")) == expected
        assert {c.path.split("/")[1] for c in server.fake.calls} == {"2010-04-01", "v1"}


def test_the_flow_from_a_cassette(fake: FakeTrunkingService, tmp_path: Path) -> None:
    path = tmp_path / "provisioning.yaml"
    expected = provision(fake.client())
    fake.save_cassette(path)
    text = path.read_text()
    assert PASSWORD not in text  # the credential's password is redacted
    assert len(read_cassette(path).interactions) == len(fake.calls)
    with open_backend("replay", path, {}) as backend:
        assert provision(backend.client()) == expected
    result = verify(path)
    assert result.ok, result.report()
    assert result.agreed == len(fake.calls)


def test_load_cassette_rebuilds_the_bought_number_on_its_trunk(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    """The number's last state is what v2010 showed: renamed and moved to another trunk by an
    IncomingPhoneNumbers update (``TrunkSid``), which no Trunking answer of the cassette shows."""
    path = tmp_path / "provisioned.yaml"
    client = fake.client()
    provision(client, release=False)
    (number,) = client.incoming_phone_numbers.list()
    (first,) = client.trunking.v1.trunks.list()
    second = client.trunking.v1.trunks.create(friendly_name="backup")
    moved = client.incoming_phone_numbers(number.sid).update(
        trunk_sid=second.sid, friendly_name="moved line"
    )
    assert moved.trunk_sid == second.sid
    fake.save_cassette(path)
    with FakeTrunkingService(seed=7) as other:
        other.load_cassette(path)
        again = other.client()
        (loaded,) = again.incoming_phone_numbers.list()
        assert (loaded.sid, loaded.phone_number, loaded.friendly_name) == (
            number.sid,
            number.phone_number,
            "moved line",
        )
        assert loaded.trunk_sid == second.sid
        assert again.trunking.v1.trunks(first.sid).phone_numbers.list() == []
        linked = again.trunking.v1.trunks(second.sid).phone_numbers.list()
        assert [p.sid for p in linked] == [number.sid]
        # owned again: never offered by a search
        offered = again.available_phone_numbers("US").local.list(area_code=206, limit=50)
        assert number.phone_number not in {o.phone_number for o in offered}
        # taken off its trunk through v2010: Trunking sees it
        again.incoming_phone_numbers(number.sid).update(trunk_sid="")
        assert again.trunking.v1.trunks(second.sid).phone_numbers.list() == []


def test_a_released_number_leaves_the_loaded_state(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    client = fake.client()
    offer = client.available_phone_numbers("US").local.list(area_code=206, limit=1)[0]
    kept = client.incoming_phone_numbers.create(phone_number=offer.phone_number)
    gone = client.incoming_phone_numbers.local.create(
        phone_number=client.available_phone_numbers("US").local.list(limit=2)[1].phone_number
    )
    assert client.incoming_phone_numbers(gone.sid).delete()
    path = tmp_path / "released.yaml"
    fake.save_cassette(path)
    with FakeTrunkingService() as other:
        other.load_cassette(path)
        assert [n.sid for n in other.client().incoming_phone_numbers.list()] == [kept.sid]


def test_verify_starts_from_a_number_the_session_did_not_buy(
    fake: FakeTrunkingService, tmp_path: Path
) -> None:
    """A cassette that uses a number bought before it, through v2010 only (read, moved onto a
    trunk made before it, released): verify's starting state has the number and the trunk, so
    the session replays clean."""
    client = fake.client()
    offer = client.available_phone_numbers("US").local.list(area_code=206, limit=1)[0]
    number = client.incoming_phone_numbers.create(phone_number=offer.phone_number)
    trunk = client.trunking.v1.trunks.create(friendly_name="earlier")
    client.incoming_phone_numbers(number.sid).update(trunk_sid=trunk.sid)
    fake.calls.clear()  # the cassette starts here
    assert client.incoming_phone_numbers(number.sid).fetch().trunk_sid == trunk.sid
    renamed = client.incoming_phone_numbers(number.sid).update(friendly_name="renamed")
    assert renamed.trunk_sid == trunk.sid
    assert client.incoming_phone_numbers(number.sid).delete()
    path = tmp_path / "later.yaml"
    fake.save_cassette(path)
    result = verify(path)
    assert result.ok, result.report()
    assert result.agreed == 3
